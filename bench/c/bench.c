/*
 * C contenders of the benchmark (bench/run.sh). Each run makes WARMUP untimed requests, then N timed
 * ones, and prints one line: "<contender> <microseconds per request>" (or nanoseconds per call for
 * the cached path, requests per second for the threaded runs).
 *
 *   bench <contender> <base-url> <n> [threads]
 *
 * Contenders: raw (one kept-alive socket, hand-written request: the floor), curl-reuse, curl-new,
 * ours-reuse (one qflow_client), ours-oneshot (qflow_fetch_token), ours-new-client (a client per
 * request), ours-cached (qflow_token_source_token on a fresh token), ours-threads (requests per second
 * with <threads> threads sharing one client). The base URL is http://127.0.0.1:port or
 * https://localhost:port; for https, QFLOW_BENCH_CA names the CA file.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "qflow_auth.h"

#define WARMUP 50

static const char *CLIENT_ID = "acme_resowner";
static const char *CLIENT_SECRET = "96184159-60d4-4ad4-a11e-0ff3ddcc6678";
static const char *USERNAME = "joe.bloggs@example.com";
static const char *PASSWORD = "secret1234";
static const char *SCOPE = "qflowapi openid offline_access";
/* The same form body every contender sends, encoded correctly (which the quick-start does not). */
static const char *BODY =
    "grant_type=password&username=joe.bloggs%40example.com&password=secret1234"
    "&scope=qflowapi+openid+offline_access&client_id=acme_resowner"
    "&client_secret=96184159-60d4-4ad4-a11e-0ff3ddcc6678";

static char token_url[512];
static const char *ca_file;
static int https;

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *what) {
    fprintf(stderr, "bench: %s\n", what);
    exit(1);
}

/* ---- the floor: one kept-alive socket, optionally with TLS ------------------------------------ */

struct raw {
    int fd;
    SSL *ssl;
    char request[1024];
    size_t request_len;
};

static int raw_write(struct raw *r, const char *data, size_t len) {
    return r->ssl ? SSL_write(r->ssl, data, (int)len) : (int)write(r->fd, data, len);
}

static int raw_read(struct raw *r, char *data, size_t len) {
    return r->ssl ? SSL_read(r->ssl, data, (int)len) : (int)read(r->fd, data, len);
}

static void raw_open(struct raw *r, int port) {
    r->fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(r->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    if (connect(r->fd, (struct sockaddr *)&addr, sizeof addr) != 0) die("connect failed");
    r->ssl = NULL;
    if (https) {
        SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
        SSL_CTX_load_verify_locations(ctx, ca_file, NULL);
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
        r->ssl = SSL_new(ctx);
        SSL_set_tlsext_host_name(r->ssl, "localhost");
        SSL_set1_host(r->ssl, "localhost");
        SSL_set_fd(r->ssl, r->fd);
        if (SSL_connect(r->ssl) != 1) die("TLS handshake failed");
    }
    r->request_len = (size_t)snprintf(r->request, sizeof r->request,
                                      "POST /core/connect/token HTTP/1.1\r\nHost: localhost\r\n"
                                      "Content-Type: application/x-www-form-urlencoded\r\n"
                                      "Content-Length: %zu\r\n\r\n%s",
                                      strlen(BODY), BODY);
}

/* One request and its whole response (headers, then Content-Length bytes of body). */
static void raw_request(struct raw *r) {
    char buffer[4096];
    if (raw_write(r, r->request, r->request_len) != (int)r->request_len) die("write failed");
    size_t have = 0;
    char *end = NULL;
    while (end == NULL) {
        int n = raw_read(r, buffer + have, sizeof buffer - 1 - have);
        if (n <= 0) die("read failed");
        have += (size_t)n;
        buffer[have] = '\0';
        end = strstr(buffer, "\r\n\r\n");
    }
    const char *length = strstr(buffer, "Content-Length: ");
    if (!length) length = strstr(buffer, "content-length: ");
    if (!length) die("no Content-Length");
    size_t body = (size_t)atol(length + 16);
    size_t got = have - (size_t)(end + 4 - buffer);
    while (got < body) {
        int n = raw_read(r, buffer, sizeof buffer);
        if (n <= 0) die("read failed");
        got += (size_t)n;
    }
}

/* ---- libcurl ---------------------------------------------------------------------------------- */

static size_t sink(char *data, size_t size, size_t count, void *user) {
    (void)data;
    (void)user;
    return size * count;
}

static CURL *curl_prepare(CURL *curl) {
    curl_easy_setopt(curl, CURLOPT_URL, token_url);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, BODY);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(curl, CURLOPT_TCP_NODELAY, 1L);
    if (ca_file) curl_easy_setopt(curl, CURLOPT_CAINFO, ca_file);
    return curl;
}

static void curl_request(CURL *curl) {
    if (curl_easy_perform(curl) != CURLE_OK) die("curl request failed");
}

/* ---- ours ------------------------------------------------------------------------------------- */

static qflow_client *ours_client(void) {
    qflow_client_options *options = qflow_client_options_new();
    if (ca_file) qflow_client_options_set_ca_file(options, ca_file);
    qflow_client *client = NULL;
    if (qflow_client_new(token_url, CLIENT_ID, CLIENT_SECRET, options, &client) != QFLOW_STATUS_OK)
        die(qflow_last_error_message());
    qflow_client_options_free(options);
    return client;
}

static void ours_request(const qflow_client *client) {
    qflow_token *token = NULL;
    if (qflow_client_request_password(client, USERNAME, PASSWORD, SCOPE, &token) != QFLOW_STATUS_OK)
        die(qflow_last_error_message());
    qflow_token_free(token);
}

static void ours_oneshot(void) {
    char *token = qflow_fetch_token(token_url, CLIENT_ID, CLIENT_SECRET, USERNAME, PASSWORD, SCOPE);
    if (!token) die(qflow_last_error_message());
    qflow_string_free(token);
}

struct worker {
    const qflow_client *client;
    long requests;
};

static void *worker_main(void *arg) {
    struct worker *w = (struct worker *)arg;
    for (long i = 0; i < w->requests; i++) ours_request(w->client);
    return NULL;
}

/* ---- runner ----------------------------------------------------------------------------------- */

int main(int argc, char **argv) {
    if (argc < 4) die("usage: bench <contender> <base-url> <n> [threads]");
    const char *contender = argv[1];
    snprintf(token_url, sizeof token_url, "%s/core/connect/token", argv[2]);
    long n = atol(argv[3]);
    https = strncmp(argv[2], "https:", 6) == 0;
    ca_file = https ? getenv("QFLOW_BENCH_CA") : NULL;
    if (https && !ca_file) die("QFLOW_BENCH_CA must name the CA file for https");
    int port = atoi(strrchr(argv[2], ':') + 1);
    curl_global_init(CURL_GLOBAL_DEFAULT);

    double started = 0, elapsed = 0;
    if (strcmp(contender, "raw") == 0) {
        struct raw r;
        raw_open(&r, port);
        for (int i = 0; i < WARMUP; i++) raw_request(&r);
        started = now_seconds();
        for (long i = 0; i < n; i++) raw_request(&r);
    } else if (strcmp(contender, "curl-reuse") == 0) {
        CURL *curl = curl_prepare(curl_easy_init());
        for (int i = 0; i < WARMUP; i++) curl_request(curl);
        started = now_seconds();
        for (long i = 0; i < n; i++) curl_request(curl);
    } else if (strcmp(contender, "curl-new") == 0) {
        for (int i = 0; i < WARMUP; i++) {
            CURL *curl = curl_prepare(curl_easy_init());
            curl_request(curl);
            curl_easy_cleanup(curl);
        }
        started = now_seconds();
        for (long i = 0; i < n; i++) {
            CURL *curl = curl_prepare(curl_easy_init());
            curl_request(curl);
            curl_easy_cleanup(curl);
        }
    } else if (strcmp(contender, "ours-reuse") == 0) {
        qflow_client *client = ours_client();
        for (int i = 0; i < WARMUP; i++) ours_request(client);
        started = now_seconds();
        for (long i = 0; i < n; i++) ours_request(client);
    } else if (strcmp(contender, "ours-oneshot") == 0) {
        if (https) die("ours-oneshot uses the system trust store: run it over http");
        for (int i = 0; i < WARMUP; i++) ours_oneshot();
        started = now_seconds();
        for (long i = 0; i < n; i++) ours_oneshot();
    } else if (strcmp(contender, "ours-new-client") == 0) {
        for (int i = 0; i < WARMUP; i++) {
            qflow_client *client = ours_client();
            ours_request(client);
            qflow_client_free(client);
        }
        started = now_seconds();
        for (long i = 0; i < n; i++) {
            qflow_client *client = ours_client();
            ours_request(client);
            qflow_client_free(client);
        }
    } else if (strcmp(contender, "ours-cached") == 0) {
        qflow_client *client = ours_client();
        qflow_token_source *source = NULL;
        if (qflow_token_source_new_password(client, USERNAME, PASSWORD, SCOPE, NULL, &source) != QFLOW_STATUS_OK)
            die(qflow_last_error_message());
        qflow_token *token = NULL;
        for (int i = 0; i < WARMUP; i++) {
            qflow_token_source_token(source, &token);
            qflow_token_free(token);
        }
        started = now_seconds();
        for (long i = 0; i < n; i++) {
            if (qflow_token_source_token(source, &token) != QFLOW_STATUS_OK) die(qflow_last_error_message());
            if (qflow_token_access_token(token) == NULL) die("no token");
            qflow_token_free(token);
        }
        elapsed = now_seconds() - started;
        printf("%s %.1f ns/call\n", contender, elapsed * 1e9 / (double)n);
        return 0;
    } else if (strcmp(contender, "ours-threads") == 0) {
        int threads = argc > 4 ? atoi(argv[4]) : 1;
        qflow_client *client = ours_client();
        for (int i = 0; i < WARMUP; i++) ours_request(client);
        pthread_t ids[64];
        struct worker workers[64];
        if (threads < 1 || threads > 64) die("threads must be 1..64");
        started = now_seconds();
        for (int t = 0; t < threads; t++) {
            workers[t].client = client;
            workers[t].requests = n / threads;
            pthread_create(&ids[t], NULL, worker_main, &workers[t]);
        }
        for (int t = 0; t < threads; t++) pthread_join(ids[t], NULL);
        elapsed = now_seconds() - started;
        printf("%s-%d %.0f requests/s\n", contender, threads, (double)(n / threads * threads) / elapsed);
        return 0;
    } else {
        die("unknown contender");
    }
    elapsed = now_seconds() - started;
    printf("%s %.2f us/request\n", contender, elapsed * 1e6 / (double)n);
    return 0;
}
