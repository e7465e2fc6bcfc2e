/*
 * C tests of libqflow_auth through include/qflow_auth.h, against the local identity server.
 * Run by tests/c/run.sh, which starts the server and passes its addresses in QFLOW_TEST_HTTP,
 * QFLOW_TEST_HTTPS and QFLOW_TEST_CA_FILE. Prints one line per failed check and a summary line.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "qflow_auth.h"

static int checks_failed = 0;
static int tests_passed = 0;
static int tests_failed = 0;
static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond)) {                                                               \
            pthread_mutex_lock(&report_lock);                                        \
            checks_failed++;                                                         \
            fprintf(stderr, "  FAILED %s:%d: %s (last error: %s)\n", __FILE__,      \
                    __LINE__, #cond, show(qflow_last_error_message()));              \
            pthread_mutex_unlock(&report_lock);                                      \
        }                                                                            \
    } while (0)

#define CHECK_STR(actual, expected) CHECK(same((actual), (expected)))

static const char *show(const char *s) { return s ? s : "(null)"; }

static int same(const char *a, const char *b) {
    if (a == NULL || b == NULL) return a == b;
    return strcmp(a, b) == 0;
}

static int starts_with(const char *s, const char *prefix) {
    return s != NULL && strncmp(s, prefix, strlen(prefix)) == 0;
}

static int contains(const char *s, const char *part) { return s != NULL && strstr(s, part) != NULL; }

/* ---- fixtures (tests/identity_server/fixtures.json) ---------------------------------------- */

static const char *RESOWNER = "acme_resowner";
static const char *RESOWNER_SECRET = "96184159-60d4-4ad4-a11e-0ff3ddcc6678";
static const char *SERVICE = "acme_service";
static const char *SERVICE_SECRET = "service-secret-2b7e";
static const char *SPECIAL_CLIENT = "special_client";
static const char *SPECIAL_SECRET = "s&cr+t =%\xc3\xa9:x";
static const char *SPECIAL_API_KEY = "key&with+special=chars %\xc3\xa9";
static const char *JOE = "joe.bloggs@example.com";
static const char *JOE_PASSWORD = "secret1234";
static const char *SPECIAL_USER = "special.user@example.com";
static const char *SPECIAL_PASSWORD = "p&ss+w rd=%\xc3\xa9";

static const char *http_base;
static const char *https_base;
static const char *ca_file;

/* The token URL for some mode segments of the local server; static storage, one per call site. */
static const char *url_for(char *buffer, size_t size, const char *base, const char *modes) {
    snprintf(buffer, size, "%s/%s/connect/token", base, modes);
    return buffer;
}
#define URL(modes) url_for((char[512]){0}, 512, http_base, (modes))
#define HTTPS_URL(modes) url_for((char[512]){0}, 512, https_base, (modes))

static qflow_client *new_client(const char *url, const char *id, const char *secret,
                                const qflow_client_options *options) {
    qflow_client *client = NULL;
    qflow_status status = qflow_client_new(url, id, secret, options, &client);
    CHECK(status == QFLOW_STATUS_OK);
    CHECK(client != NULL);
    return client;
}

/* ---- tests ----------------------------------------------------------------------------------- */

static void test_version_macros_match_the_library(void) {
    char expected[64];
    CHECK_STR(qflow_version(), QFLOW_AUTH_VERSION);
    snprintf(expected, sizeof expected, "%d.%d.%d", QFLOW_AUTH_VERSION_MAJOR, QFLOW_AUTH_VERSION_MINOR,
             QFLOW_AUTH_VERSION_PATCH);
    CHECK_STR(qflow_version(), expected);
    CHECK(QFLOW_AUTH_VERSION_NUMBER ==
          QFLOW_AUTH_VERSION_MAJOR * 10000 + QFLOW_AUTH_VERSION_MINOR * 100 + QFLOW_AUTH_VERSION_PATCH);
}

static void test_quickstart_one_call(void) {
    char *token = qflow_fetch_token(URL("core"), RESOWNER, RESOWNER_SECRET, JOE, JOE_PASSWORD,
                                    "qflowapi+openid+offline_access");
    CHECK(starts_with(token, "at-"));
    CHECK(qflow_last_error_status() == QFLOW_STATUS_OK);
    qflow_string_free(token);

    char *json = qflow_fetch_token_json(URL("core"), RESOWNER, RESOWNER_SECRET, JOE, JOE_PASSWORD, NULL);
    CHECK(contains(json, "\"expires_in\": 3600"));
    CHECK(contains(json, "\"refresh_token\""));
    qflow_string_free(json);

    char *failed = qflow_fetch_token(URL("core"), RESOWNER, RESOWNER_SECRET, JOE, "wrong", NULL);
    CHECK(failed == NULL);
    CHECK(qflow_last_error_status() == QFLOW_STATUS_OAUTH);
    CHECK_STR(qflow_last_error_oauth_error(), "invalid_grant");
}

static void test_password_grant_and_getters(void) {
    qflow_client *client = new_client(URL("core"), RESOWNER, RESOWNER_SECRET, NULL);
    qflow_token *token = NULL;
    CHECK(qflow_client_request_password(client, JOE, JOE_PASSWORD, "qflowapi openid offline_access", &token) ==
          QFLOW_STATUS_OK);
    CHECK(starts_with(qflow_token_access_token(token), "at-"));
    CHECK_STR(qflow_token_token_type(token), "Bearer");
    CHECK(qflow_token_expires_in(token) == 3600);
    CHECK(qflow_token_expires_at(token) > 1700000000);
    CHECK(!qflow_token_is_expired(token, 60));
    CHECK(qflow_token_is_expired(token, 7200));
    CHECK(starts_with(qflow_token_refresh_token(token), "rt-"));
    CHECK(qflow_token_id_token(token) != NULL);
    CHECK(qflow_token_scope(token) == NULL);
    CHECK_STR(qflow_token_get(token, "expires_in"), "3600");
    CHECK(qflow_token_get(token, "missing") == NULL);
    CHECK(contains(qflow_token_raw_json(token), "access_token"));
    qflow_token_free(token);
    qflow_client_free(client);
}

static void test_special_characters_reach_the_server(void) {
    /* The server compares the decoded values with its fixtures: success proves the encoding. */
    qflow_client *client = new_client(URL("core"), SPECIAL_CLIENT, SPECIAL_SECRET, NULL);
    qflow_token *token = NULL;
    CHECK(qflow_client_request_password(client, SPECIAL_USER, SPECIAL_PASSWORD, "qflowapi", &token) ==
          QFLOW_STATUS_OK);
    qflow_token_free(token);
    qflow_client_free(client);
}

static void test_client_credentials_and_refresh_rotation(void) {
    qflow_client *service = new_client(URL("core"), SERVICE, SERVICE_SECRET, NULL);
    qflow_token *token = NULL;
    CHECK(qflow_client_request_client_credentials(service, "qflowapi", &token) == QFLOW_STATUS_OK);
    CHECK(qflow_token_refresh_token(token) == NULL);
    qflow_token_free(token);
    qflow_client_free(service);

    qflow_client *client = new_client(URL("core"), RESOWNER, RESOWNER_SECRET, NULL);
    qflow_token *first = NULL, *second = NULL, *again = NULL;
    CHECK(qflow_client_request_password(client, JOE, JOE_PASSWORD, "qflowapi offline_access", &first) ==
          QFLOW_STATUS_OK);
    CHECK(qflow_client_request_refresh(client, qflow_token_refresh_token(first), NULL, &second) ==
          QFLOW_STATUS_OK);
    CHECK(!same(qflow_token_refresh_token(first), qflow_token_refresh_token(second)));
    CHECK(qflow_client_request_refresh(client, qflow_token_refresh_token(first), NULL, &again) ==
          QFLOW_STATUS_OAUTH);
    CHECK(again == NULL);
    CHECK_STR(qflow_last_error_oauth_error(), "invalid_grant");
    qflow_token_free(first);
    qflow_token_free(second);
    qflow_client_free(client);
}

static void test_extension_grant(void) {
    qflow_client *client = new_client(URL("core"), SPECIAL_CLIENT, SPECIAL_SECRET, NULL);
    const char *names[] = {"api_key", "scope"};
    const char *values[] = {SPECIAL_API_KEY, "qflowapi"};
    qflow_token *token = NULL;
    CHECK(qflow_client_request_grant(client, "urn:qflow:grant-type:api-key", names, values, 2, &token) ==
          QFLOW_STATUS_OK);
    qflow_token_free(token);
    token = NULL;
    const char *duplicate[] = {"api_key", "api_key"};
    CHECK(qflow_client_request_grant(client, "urn:qflow:grant-type:api-key", duplicate, values, 2, &token) ==
          QFLOW_STATUS_INVALID_ARGUMENT);
    CHECK(contains(qflow_last_error_message(), "appears twice"));
    CHECK(token == NULL);
    qflow_client_free(client);
}

static void test_basic_auth_methods(void) {
    qflow_client_options *options = qflow_client_options_new();
    CHECK(qflow_client_options_set_auth_method(options, QFLOW_AUTH_METHOD_CLIENT_SECRET_BASIC) == QFLOW_STATUS_OK);
    qflow_client *rfc = new_client(URL("rfc"), SPECIAL_CLIENT, SPECIAL_SECRET, options);
    qflow_token *token = NULL;
    CHECK(qflow_client_request_client_credentials(rfc, "qflowapi", &token) == QFLOW_STATUS_OK);
    CHECK_STR(qflow_token_scope(token), "qflowapi");
    qflow_token_free(token);
    qflow_client_free(rfc);

    CHECK(qflow_client_options_set_auth_method(options, QFLOW_AUTH_METHOD_CLIENT_SECRET_BASIC_UNENCODED) ==
          QFLOW_STATUS_OK);
    qflow_client *ids3 = new_client(URL("core"), SPECIAL_CLIENT, SPECIAL_SECRET, options);
    token = NULL;
    CHECK(qflow_client_request_client_credentials(ids3, "qflowapi", &token) == QFLOW_STATUS_OK);
    qflow_token_free(token);
    qflow_client_free(ids3);
    qflow_client_options_free(options);
}

static void test_https_with_extra_ca_and_without(void) {
    qflow_client_options *options = qflow_client_options_new();
    CHECK(qflow_client_options_set_ca_file(options, ca_file) == QFLOW_STATUS_OK);
    qflow_client *trusted = new_client(HTTPS_URL("core"), RESOWNER, RESOWNER_SECRET, options);
    qflow_client_options_free(options);
    qflow_token *token = NULL;
    CHECK(qflow_client_request_password(trusted, JOE, JOE_PASSWORD, NULL, &token) == QFLOW_STATUS_OK);
    qflow_token_free(token);
    qflow_client_free(trusted);

    qflow_client *untrusted = new_client(HTTPS_URL("core"), RESOWNER, RESOWNER_SECRET, NULL);
    token = NULL;
    CHECK(qflow_client_request_password(untrusted, JOE, JOE_PASSWORD, NULL, &token) == QFLOW_STATUS_TLS);
    CHECK(token == NULL);
    CHECK(qflow_last_error_http_status() == 0);
    CHECK(contains(qflow_last_error_message(), "trusted CA"));
    qflow_client_free(untrusted);
}

/* One request against a misbehaving endpoint; returns its status and leaves the last error set. */
static qflow_status request_with(const char *modes, const qflow_client_options *options) {
    qflow_client *client = new_client(URL(modes), RESOWNER, RESOWNER_SECRET, options);
    qflow_token *token = (qflow_token *)&checks_failed; /* a sentinel that must stay untouched */
    qflow_status status = qflow_client_request_password(client, JOE, JOE_PASSWORD, NULL, &token);
    CHECK(token == (qflow_token *)&checks_failed);
    qflow_client_free(client);
    return status;
}

static void test_each_error_kind(void) {
    qflow_client *client = new_client(URL("core"), RESOWNER, RESOWNER_SECRET, NULL);
    qflow_token *token = NULL;
    CHECK(qflow_client_request_password(client, JOE, "wrong", NULL, &token) == QFLOW_STATUS_OAUTH);
    CHECK(qflow_last_error_status() == QFLOW_STATUS_OAUTH);
    CHECK(qflow_last_error_http_status() == 400);
    CHECK_STR(qflow_last_error_oauth_error(), "invalid_grant");
    CHECK_STR(qflow_last_error_description(), "invalid_username_or_password");
    CHECK(qflow_last_error_uri() == NULL);
    CHECK(contains(qflow_last_error_message(), "invalid_grant"));
    CHECK(!contains(qflow_last_error_message(), "wrong"));
    qflow_client_free(client);

    qflow_client *bad_secret = new_client(URL("oauth401"), RESOWNER, "not-the-secret", NULL);
    CHECK(qflow_client_request_password(bad_secret, JOE, JOE_PASSWORD, NULL, &token) == QFLOW_STATUS_OAUTH);
    CHECK(qflow_last_error_http_status() == 401);
    CHECK_STR(qflow_last_error_oauth_error(), "invalid_client");
    CHECK(!contains(qflow_last_error_message(), "not-the-secret"));
    qflow_client_free(bad_secret);

    CHECK(request_with("html500", NULL) == QFLOW_STATUS_HTTP);
    CHECK(qflow_last_error_http_status() == 500);
    CHECK(qflow_last_error_oauth_error() == NULL);
    CHECK(!contains(qflow_last_error_message(), "stack trace"));

    CHECK(request_with("empty403", NULL) == QFLOW_STATUS_HTTP);
    CHECK(qflow_last_error_http_status() == 403);

    CHECK(request_with("redirect", NULL) == QFLOW_STATUS_HTTP);
    CHECK(qflow_last_error_http_status() == 301);

    CHECK(request_with("garbage", NULL) == QFLOW_STATUS_MALFORMED_RESPONSE);
    CHECK(request_with("truncated-json", NULL) == QFLOW_STATUS_MALFORMED_RESPONSE);
    CHECK(request_with("huge-5000000", NULL) == QFLOW_STATUS_MALFORMED_RESPONSE);
    CHECK(contains(qflow_last_error_message(), "limit"));

    CHECK(request_with("drop", NULL) == QFLOW_STATUS_NETWORK);
    CHECK(qflow_last_error_http_status() == 0);
    CHECK(request_with("truncated", NULL) == QFLOW_STATUS_NETWORK);

    qflow_client_options *options = qflow_client_options_new();
    CHECK(qflow_client_options_set_timeout_ms(options, 300) == QFLOW_STATUS_OK);
    CHECK(request_with("slow-3000", options) == QFLOW_STATUS_TIMEOUT);
    CHECK(contains(qflow_last_error_message(), "300 ms"));
    qflow_client_options_free(options);

    qflow_client *nowhere = new_client("http://127.0.0.1:9/connect/token", RESOWNER, RESOWNER_SECRET, NULL);
    CHECK(qflow_client_request_client_credentials(nowhere, NULL, &token) == QFLOW_STATUS_NETWORK);
    qflow_client_free(nowhere);
}

static void test_bad_input_names_the_parameter(void) {
    qflow_client *client = (qflow_client *)&checks_failed; /* sentinel: must not be overwritten */
    CHECK(qflow_client_new(NULL, RESOWNER, NULL, NULL, &client) == QFLOW_STATUS_INVALID_ARGUMENT);
    CHECK_STR(qflow_last_error_message(), "token_url must not be NULL");
    CHECK(qflow_last_error_http_status() == 0);
    CHECK(qflow_client_new(URL("core"), NULL, NULL, NULL, &client) == QFLOW_STATUS_INVALID_ARGUMENT);
    CHECK_STR(qflow_last_error_message(), "client_id must not be NULL");
    CHECK(qflow_client_new(URL("core"), "", NULL, NULL, &client) == QFLOW_STATUS_INVALID_ARGUMENT);
    CHECK_STR(qflow_last_error_message(), "client_id must not be empty");
    CHECK(qflow_client_new(URL("core"), "caf\xe9", NULL, NULL, &client) == QFLOW_STATUS_INVALID_ARGUMENT);
    CHECK_STR(qflow_last_error_message(), "client_id is not valid UTF-8");
    CHECK(qflow_client_new("not a url", RESOWNER, NULL, NULL, &client) == QFLOW_STATUS_INVALID_ARGUMENT);
    CHECK(starts_with(qflow_last_error_message(), "token_url is not a valid URL"));
    CHECK(qflow_client_new("http://identity.qflowhub.io/core/connect/token", RESOWNER, NULL, NULL, &client) ==
          QFLOW_STATUS_INVALID_ARGUMENT);
    CHECK(contains(qflow_last_error_message(), "not loopback"));
    CHECK(qflow_client_new(URL("core"), RESOWNER, NULL, NULL, NULL) == QFLOW_STATUS_INVALID_ARGUMENT);
    CHECK_STR(qflow_last_error_message(), "client_out must not be NULL");
    CHECK(client == (qflow_client *)&checks_failed);

    qflow_client *real = new_client(URL("core"), RESOWNER, RESOWNER_SECRET, NULL);
    qflow_token *token = NULL;
    CHECK(qflow_client_request_password(real, NULL, JOE_PASSWORD, NULL, &token) == QFLOW_STATUS_INVALID_ARGUMENT);
    CHECK_STR(qflow_last_error_message(), "username must not be NULL");
    CHECK(qflow_client_request_password(real, JOE, "", NULL, &token) == QFLOW_STATUS_INVALID_ARGUMENT);
    CHECK_STR(qflow_last_error_message(), "password must not be empty");
    CHECK(qflow_client_request_password(real, JOE, JOE_PASSWORD, "bad\"scope", &token) ==
          QFLOW_STATUS_INVALID_ARGUMENT);
    CHECK(starts_with(qflow_last_error_message(), "scope"));
    CHECK(qflow_client_request_password(real, JOE, JOE_PASSWORD, NULL, NULL) == QFLOW_STATUS_INVALID_ARGUMENT);
    CHECK_STR(qflow_last_error_message(), "token_out must not be NULL");
    CHECK(qflow_client_request_refresh(NULL, "x", NULL, &token) == QFLOW_STATUS_INVALID_ARGUMENT);
    CHECK_STR(qflow_last_error_message(), "client must not be NULL");
    CHECK(token == NULL);
    qflow_client_free(real);

    CHECK(qflow_fetch_token(NULL, RESOWNER, RESOWNER_SECRET, NULL, JOE_PASSWORD, NULL) == NULL);
    CHECK_STR(qflow_last_error_message(), "username must not be NULL");

    qflow_client_options *options = qflow_client_options_new();
    CHECK(qflow_client_options_set_auth_method(options, 42) == QFLOW_STATUS_INVALID_ARGUMENT);
    CHECK(qflow_client_options_set_connect_timeout_ms(options, 0) == QFLOW_STATUS_INVALID_ARGUMENT);
    CHECK(starts_with(qflow_last_error_message(), "connect_timeout"));
    CHECK(qflow_client_options_set_ca_file(options, "/nonexistent/ca.pem") == QFLOW_STATUS_OK);
    CHECK(qflow_client_new(HTTPS_URL("core"), RESOWNER, NULL, options, &client) == QFLOW_STATUS_INVALID_ARGUMENT);
    CHECK(starts_with(qflow_last_error_message(), "ca_file"));
    CHECK(qflow_client_options_set_timeout_ms(NULL, 1) == QFLOW_STATUS_INVALID_ARGUMENT);
    qflow_client_options_free(options);
}

static void test_null_is_safe_for_frees_and_getters(void) {
    qflow_string_free(NULL);
    qflow_token_free(NULL);
    qflow_client_free(NULL);
    qflow_client_options_free(NULL);
    CHECK(qflow_token_access_token(NULL) == NULL);
    CHECK(qflow_token_get(NULL, "access_token") == NULL);
    CHECK(qflow_token_expires_in(NULL) == -1);
    CHECK(qflow_token_expires_at(NULL) == -1);
    CHECK(qflow_token_is_expired(NULL, 0));
}

static void test_status_strings(void) {
    CHECK_STR(qflow_status_str(QFLOW_STATUS_OK), "success");
    CHECK_STR(qflow_status_str(QFLOW_STATUS_INVALID_ARGUMENT), "invalid argument");
    CHECK_STR(qflow_status_str(QFLOW_STATUS_NETWORK), "network error");
    CHECK_STR(qflow_status_str(QFLOW_STATUS_TIMEOUT), "timed out");
    CHECK_STR(qflow_status_str(QFLOW_STATUS_TLS), "TLS error");
    CHECK_STR(qflow_status_str(QFLOW_STATUS_HTTP), "unexpected HTTP response");
    CHECK_STR(qflow_status_str(QFLOW_STATUS_OAUTH), "OAuth error from the server");
    CHECK_STR(qflow_status_str(QFLOW_STATUS_MALFORMED_RESPONSE), "malformed response");
    CHECK_STR(qflow_status_str(QFLOW_STATUS_INTERNAL), "internal error");
    CHECK_STR(qflow_status_str(QFLOW_STATUS_INVALID_STATE), "invalid state");
    CHECK_STR(qflow_status_str(QFLOW_STATUS_IO), "local I/O error");
    CHECK_STR(qflow_status_str(QFLOW_STATUS_CANCELLED), "cancelled");
    CHECK_STR(qflow_status_str(1000), "unknown status");
}

/* ---- threads --------------------------------------------------------------------------------- */

#define THREADS 8
#define REQUESTS_PER_THREAD 10

struct worker {
    const qflow_client *client;
    int fail_on_purpose;
    int ok;
};

static void *worker_main(void *arg) {
    struct worker *w = (struct worker *)arg;
    for (int i = 0; i < REQUESTS_PER_THREAD; i++) {
        qflow_token *token = NULL;
        const char *password = w->fail_on_purpose ? "wrong" : JOE_PASSWORD;
        qflow_status status = qflow_client_request_password(w->client, JOE, password, NULL, &token);
        if (w->fail_on_purpose) {
            /* This thread's last error is its own, whatever the other threads are doing. */
            if (status == QFLOW_STATUS_OAUTH && qflow_last_error_status() == QFLOW_STATUS_OAUTH &&
                same(qflow_last_error_oauth_error(), "invalid_grant"))
                w->ok++;
        } else if (status == QFLOW_STATUS_OK && starts_with(qflow_token_access_token(token), "at-") &&
                   qflow_last_error_status() == QFLOW_STATUS_OK) {
            w->ok++;
        }
        qflow_token_free(token);
    }
    return NULL;
}

static void test_threads_share_one_client(void) {
    qflow_client *client = new_client(URL("core"), RESOWNER, RESOWNER_SECRET, NULL);
    pthread_t threads[THREADS];
    struct worker workers[THREADS];
    for (int i = 0; i < THREADS; i++) {
        workers[i].client = client;
        workers[i].fail_on_purpose = (i == 0);
        workers[i].ok = 0;
        CHECK(pthread_create(&threads[i], NULL, worker_main, &workers[i]) == 0);
    }
    for (int i = 0; i < THREADS; i++) {
        CHECK(pthread_join(threads[i], NULL) == 0);
        CHECK(workers[i].ok == REQUESTS_PER_THREAD);
    }
    qflow_client_free(client);
}

/* ---- cancellation ---------------------------------------------------------------------------- */

struct canceller {
    const qflow_cancel_token *cancel;
    long delay_ms;
};

static void *canceller_main(void *arg) {
    struct canceller *c = (struct canceller *)arg;
    struct timespec delay = {c->delay_ms / 1000, (c->delay_ms % 1000) * 1000000L};
    nanosleep(&delay, NULL);
    qflow_cancel_token_cancel(c->cancel);
    return NULL;
}

static double seconds_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_cancel_a_request_in_flight(void) {
    /* The server answers after 5 s; another thread cancels after 0.2 s. */
    qflow_client *client = new_client(URL("slow-5000/core"), RESOWNER, RESOWNER_SECRET, NULL);
    qflow_cancel_token *cancel = qflow_cancel_token_new();
    CHECK(cancel != NULL);
    CHECK(!qflow_cancel_token_is_cancelled(cancel));
    CHECK(qflow_cancel_token_attach(cancel) == QFLOW_STATUS_OK);
    struct canceller c = {cancel, 200};
    pthread_t thread;
    CHECK(pthread_create(&thread, NULL, canceller_main, &c) == 0);
    double started = seconds_now();
    qflow_token *token = NULL;
    CHECK(qflow_client_request_password(client, JOE, JOE_PASSWORD, NULL, &token) == QFLOW_STATUS_CANCELLED);
    CHECK(seconds_now() - started < 2.0);
    CHECK(token == NULL);
    CHECK(qflow_last_error_status() == QFLOW_STATUS_CANCELLED);
    CHECK_STR(qflow_last_error_message(), "the request was cancelled");
    CHECK(pthread_join(thread, NULL) == 0);
    CHECK(qflow_cancel_token_is_cancelled(cancel));

    /* Still attached and cancelled: nothing is sent. Freed while attached: the thread keeps its own
       reference. Detached: requests work again. */
    qflow_client *fast = new_client(URL("core"), RESOWNER, RESOWNER_SECRET, NULL);
    CHECK(qflow_client_request_password(fast, JOE, JOE_PASSWORD, NULL, &token) == QFLOW_STATUS_CANCELLED);
    qflow_cancel_token_free(cancel);
    CHECK(qflow_client_request_password(fast, JOE, JOE_PASSWORD, NULL, &token) == QFLOW_STATUS_CANCELLED);
    CHECK(qflow_cancel_token_attach(NULL) == QFLOW_STATUS_OK);
    CHECK(qflow_client_request_password(fast, JOE, JOE_PASSWORD, NULL, &token) == QFLOW_STATUS_OK);
    qflow_token_free(token);

    /* qflow_cancel_token_detach() does the same as attaching NULL. */
    qflow_cancel_token *other = qflow_cancel_token_new();
    qflow_cancel_token_cancel(other);
    CHECK(qflow_cancel_token_attach(other) == QFLOW_STATUS_OK);
    CHECK(qflow_client_request_password(fast, JOE, JOE_PASSWORD, NULL, &token) == QFLOW_STATUS_CANCELLED);
    qflow_cancel_token_detach();
    CHECK(qflow_client_request_password(fast, JOE, JOE_PASSWORD, NULL, &token) == QFLOW_STATUS_OK);
    qflow_token_free(token);
    qflow_cancel_token_free(other);

    qflow_cancel_token_cancel(NULL);
    CHECK(!qflow_cancel_token_is_cancelled(NULL));
    qflow_cancel_token_free(NULL);
    qflow_client_free(fast);
    qflow_client_free(client);
}

/* ---- token lifecycle ------------------------------------------------------------------------- */

#define SOURCE_THREADS 8
#define SOURCE_CALLS 50

struct source_worker {
    const qflow_token_source *source;
    int ok;
    char first[128];
};

static void *source_worker_main(void *arg) {
    struct source_worker *w = (struct source_worker *)arg;
    for (int i = 0; i < SOURCE_CALLS; i++) {
        qflow_token *token = NULL;
        if (qflow_token_source_token(w->source, &token) == QFLOW_STATUS_OK &&
            starts_with(qflow_token_access_token(token), "at-")) {
            if (i == 0) snprintf(w->first, sizeof w->first, "%s", qflow_token_access_token(token));
            if (same(qflow_token_access_token(token), w->first)) w->ok++;
        }
        qflow_token_free(token);
    }
    return NULL;
}

static void test_token_source_shares_one_token_across_threads(void) {
    qflow_client *client = new_client(URL("core"), SERVICE, SERVICE_SECRET, NULL);
    qflow_token_source *source = NULL;
    CHECK(qflow_token_source_new_client_credentials(client, "qflowapi", NULL, &source) == QFLOW_STATUS_OK);
    qflow_client_free(client); /* the source keeps what it needs */
    qflow_token *cached = (qflow_token *)&cached; /* not NULL: must be overwritten */
    CHECK(qflow_token_source_cached_token(source, &cached) == QFLOW_STATUS_OK);
    CHECK(cached == NULL); /* nothing yet, and nothing fetched */
    CHECK(qflow_token_source_cached_token(source, NULL) == QFLOW_STATUS_INVALID_ARGUMENT);
    CHECK(qflow_token_source_cached_token(NULL, &cached) == QFLOW_STATUS_INVALID_ARGUMENT);

    pthread_t threads[SOURCE_THREADS];
    struct source_worker workers[SOURCE_THREADS];
    for (int i = 0; i < SOURCE_THREADS; i++) {
        workers[i].source = source;
        workers[i].ok = 0;
        workers[i].first[0] = '\0';
        CHECK(pthread_create(&threads[i], NULL, source_worker_main, &workers[i]) == 0);
    }
    for (int i = 0; i < SOURCE_THREADS; i++) {
        CHECK(pthread_join(threads[i], NULL) == 0);
        CHECK(workers[i].ok == SOURCE_CALLS);
        CHECK_STR(workers[i].first, workers[0].first); /* one token for everybody: one request */
    }

    /* The cached token, without a request. */
    CHECK(qflow_token_source_cached_token(source, &cached) == QFLOW_STATUS_OK);
    CHECK(cached != NULL);
    CHECK_STR(qflow_token_access_token(cached), workers[0].first);
    qflow_token_free(cached);

    /* After invalidate, the next call renews; the old handle stays usable. */
    qflow_token *before = NULL, *after = NULL;
    CHECK(qflow_token_source_token(source, &before) == QFLOW_STATUS_OK);
    CHECK(qflow_token_source_invalidate(source) == QFLOW_STATUS_OK);
    CHECK(qflow_token_source_cached_token(source, &cached) == QFLOW_STATUS_OK);
    CHECK(cached == NULL);
    CHECK(qflow_token_source_token(source, &after) == QFLOW_STATUS_OK);
    CHECK(!same(qflow_token_access_token(before), qflow_token_access_token(after)));
    CHECK(starts_with(qflow_token_access_token(before), "at-"));
    qflow_token_free(before);
    qflow_token_free(after);
    qflow_token_source_free(source);
}

static void test_password_source_with_options_and_file_cache(void) {
    char dir[] = "/tmp/qflow-c-cache-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    qflow_token_source_options *options = qflow_token_source_options_new();
    CHECK(qflow_token_source_options_set_skew_seconds(options, 0) == QFLOW_STATUS_OK);
    CHECK(qflow_token_source_options_set_file_cache_dir(options, dir) == QFLOW_STATUS_OK);
    CHECK(qflow_token_source_options_set_file_cache_dir(options, "") == QFLOW_STATUS_INVALID_ARGUMENT);

    qflow_client *client = new_client(URL("expires-1/core"), RESOWNER, RESOWNER_SECRET, NULL);
    qflow_token_source *source = NULL, *twin = NULL;
    CHECK(qflow_token_source_new_password(client, JOE, JOE_PASSWORD, "qflowapi offline_access", options, &source) ==
          QFLOW_STATUS_OK);
    /* A second source with the same key reads the first one's token from the file. */
    CHECK(qflow_token_source_new_password(client, JOE, JOE_PASSWORD, "qflowapi offline_access", options, &twin) ==
          QFLOW_STATUS_OK);
    qflow_token *a = NULL, *b = NULL;
    CHECK(qflow_token_source_token(source, &a) == QFLOW_STATUS_OK);
    CHECK(qflow_token_source_token(twin, &b) == QFLOW_STATUS_OK);
    CHECK_STR(qflow_token_access_token(a), qflow_token_access_token(b));
    qflow_token_free(b);
    b = NULL;

    sleep(2); /* past the 1 s lifetime: renewed with the (rotated) refresh token */
    CHECK(qflow_token_source_token(source, &b) == QFLOW_STATUS_OK);
    CHECK(!same(qflow_token_access_token(a), qflow_token_access_token(b)));
    qflow_token_free(a);
    qflow_token_free(b);

    /* Bad input and the password that was not kept. */
    qflow_token_source *none = (qflow_token_source *)&checks_failed;
    CHECK(qflow_token_source_new_password(client, JOE, NULL, NULL, NULL, &none) == QFLOW_STATUS_INVALID_ARGUMENT);
    CHECK_STR(qflow_last_error_message(), "password must not be NULL");
    CHECK(qflow_token_source_new_password(client, JOE, "wrong", NULL, NULL, &none) == QFLOW_STATUS_OAUTH);
    CHECK(none == (qflow_token_source *)&checks_failed);
    CHECK(qflow_token_source_token(NULL, &a) == QFLOW_STATUS_INVALID_ARGUMENT);
    CHECK(qflow_token_source_invalidate(NULL) == QFLOW_STATUS_INVALID_ARGUMENT);

    qflow_token_source_free(source);
    qflow_token_source_free(twin);
    qflow_token_source_free(NULL);
    qflow_token_source_options_free(options);
    qflow_token_source_options_free(NULL);
    qflow_client_free(client);
    char command[128];
    snprintf(command, sizeof command, "rm -rf %s", dir);
    CHECK(system(command) == 0);
}

static void test_discovery_revocation_introspection_userinfo(void) {
    char authority[512];
    snprintf(authority, sizeof authority, "%s/core", http_base);
    qflow_client *client = NULL;
    CHECK(qflow_client_new_from_authority(authority, RESOWNER, RESOWNER_SECRET, NULL, &client) == QFLOW_STATUS_OK);
    CHECK_STR(qflow_client_issuer(client), authority);
    CHECK(qflow_client_discovery_warning(client) == NULL);

    qflow_token *token = NULL;
    CHECK(qflow_client_request_password(client, JOE, JOE_PASSWORD, "qflowapi openid offline_access", &token) ==
          QFLOW_STATUS_OK);
    qflow_claims *claims = NULL;
    CHECK(qflow_client_introspect(client, qflow_token_access_token(token), "access_token", &claims) == QFLOW_STATUS_OK);
    CHECK(qflow_claims_is_active(claims));
    CHECK_STR(qflow_claims_get(claims, "client_id"), RESOWNER);
    CHECK_STR(qflow_claims_get(claims, "active"), "true");
    CHECK(contains(qflow_claims_raw_json(claims), "\"active\": true"));
    qflow_claims_free(claims);

    claims = NULL;
    CHECK(qflow_client_userinfo(client, qflow_token_access_token(token), &claims) == QFLOW_STATUS_OK);
    CHECK_STR(qflow_claims_get(claims, "email"), JOE);
    qflow_claims_free(claims);

    CHECK(qflow_client_revoke(client, qflow_token_access_token(token), "access_token") == QFLOW_STATUS_OK);
    claims = NULL;
    CHECK(qflow_client_introspect(client, qflow_token_access_token(token), NULL, &claims) == QFLOW_STATUS_OK);
    CHECK(!qflow_claims_is_active(claims));
    qflow_claims_free(claims);

    claims = (qflow_claims *)&checks_failed;
    CHECK(qflow_client_userinfo(client, qflow_token_access_token(token), &claims) == QFLOW_STATUS_OAUTH);
    CHECK(qflow_last_error_http_status() == 401);
    CHECK_STR(qflow_last_error_oauth_error(), "invalid_token");
    CHECK(claims == (qflow_claims *)&checks_failed);
    qflow_token_free(token);
    qflow_client_free(client);

    snprintf(authority, sizeof authority, "%s/other-issuer/core", http_base);
    CHECK(qflow_client_new_from_authority(authority, RESOWNER, NULL, NULL, &client) == QFLOW_STATUS_OK);
    CHECK_STR(qflow_client_issuer(client), "https://identity.qflowhub.io/core");
    CHECK(contains(qflow_client_discovery_warning(client), "differs from the authority"));
    qflow_client_free(client);

    snprintf(authority, sizeof authority, "%s/core", http_base);
    CHECK(qflow_client_new_from_authority(authority, RESOWNER, NULL, NULL, &client) == QFLOW_STATUS_OK);
    char expected[600];
    snprintf(expected, sizeof expected, "%s/connect/token", authority);
    CHECK_STR(qflow_client_token_url(client), expected);
    snprintf(expected, sizeof expected, "%s/connect/revocation", authority);
    CHECK_STR(qflow_client_revocation_url(client), expected);
    qflow_client_free(client);

    /* A 503 from revocation carries the server's Retry-After. */
    qflow_client_options *options = qflow_client_options_new();
    snprintf(expected, sizeof expected, "%s/unavailable/connect/revocation", http_base);
    CHECK(qflow_client_options_set_revocation_url(options, expected) == QFLOW_STATUS_OK);
    qflow_client *busy = new_client(URL("core"), RESOWNER, RESOWNER_SECRET, options);
    qflow_client_options_free(options);
    CHECK(qflow_client_revoke(busy, "at-x", NULL) == QFLOW_STATUS_HTTP);
    CHECK(qflow_last_error_http_status() == 503);
    CHECK(qflow_last_error_retry_after() == 7);
    qflow_client_free(busy);

    qflow_client *plain = new_client(URL("core"), RESOWNER, RESOWNER_SECRET, NULL);
    CHECK(qflow_client_revocation_url(plain) == NULL);
    CHECK(qflow_client_revoke(plain, "x", NULL) == QFLOW_STATUS_INVALID_ARGUMENT);
    CHECK(contains(qflow_last_error_message(), "revocation endpoint"));
    CHECK(qflow_client_issuer(plain) == NULL);
    qflow_client_free(plain);
    CHECK(qflow_claims_get(NULL, "x") == NULL);
    CHECK(!qflow_claims_is_active(NULL));
    qflow_claims_free(NULL);
}

/* ---- runner ---------------------------------------------------------------------------------- */

static void run(const char *name, void (*test)(void)) {
    int before = checks_failed;
    test();
    if (checks_failed == before) {
        tests_passed++;
        printf("ok     %s\n", name);
    } else {
        tests_failed++;
        printf("FAILED %s\n", name);
    }
}

#define RUN(test) run(#test, test)

int main(void) {
    http_base = getenv("QFLOW_TEST_HTTP");
    https_base = getenv("QFLOW_TEST_HTTPS");
    ca_file = getenv("QFLOW_TEST_CA_FILE");
    if (!http_base || !https_base || !ca_file) {
        fprintf(stderr, "set QFLOW_TEST_HTTP, QFLOW_TEST_HTTPS and QFLOW_TEST_CA_FILE (tests/c/run.sh does)\n");
        return 2;
    }
    RUN(test_version_macros_match_the_library);
    RUN(test_quickstart_one_call);
    RUN(test_password_grant_and_getters);
    RUN(test_special_characters_reach_the_server);
    RUN(test_client_credentials_and_refresh_rotation);
    RUN(test_extension_grant);
    RUN(test_basic_auth_methods);
    RUN(test_https_with_extra_ca_and_without);
    RUN(test_each_error_kind);
    RUN(test_bad_input_names_the_parameter);
    RUN(test_null_is_safe_for_frees_and_getters);
    RUN(test_status_strings);
    RUN(test_threads_share_one_client);
    RUN(test_cancel_a_request_in_flight);
    RUN(test_token_source_shares_one_token_across_threads);
    RUN(test_password_source_with_options_and_file_cache);
    RUN(test_discovery_revocation_introspection_userinfo);
    printf("%d passed, %d failed\n", tests_passed, tests_failed);
    return tests_failed == 0 ? 0 : 1;
}
