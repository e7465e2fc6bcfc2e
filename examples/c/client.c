/*
 * The full client API: a client created once (connection reuse), a token with its expiry and
 * refresh token, a refresh, and complete error reporting.
 *
 *   QFLOW_TOKEN_URL  token endpoint (required)
 *   QFLOW_CA_FILE    extra CA certificates in PEM (optional, for a private CA)
 */
#include <stdio.h>
#include <stdlib.h>

#include "qflow_auth.h"

static int report(const char *what) {
    fprintf(stderr, "%s failed: %s (%s)\n", what, qflow_last_error_message(),
            qflow_status_str(qflow_last_error_status()));
    if (qflow_last_error_status() == QFLOW_STATUS_OAUTH) {
        const char *description = qflow_last_error_description();
        fprintf(stderr, "  server said: %s%s%s (HTTP %u)\n", qflow_last_error_oauth_error(),
                description ? ": " : "", description ? description : "", qflow_last_error_http_status());
    }
    return 1;
}

int main(void) {
    const char *token_url = getenv("QFLOW_TOKEN_URL");
    if (token_url == NULL) {
        fprintf(stderr, "set QFLOW_TOKEN_URL\n");
        return 2;
    }

    qflow_client_options *options = qflow_client_options_new();
    if (getenv("QFLOW_CA_FILE") && qflow_client_options_set_ca_file(options, getenv("QFLOW_CA_FILE")) != QFLOW_STATUS_OK)
        return report("setting the CA file");
    qflow_client_options_set_timeout_ms(options, 15000);

    qflow_client *client = NULL;
    qflow_status status =
        qflow_client_new(token_url, "acme_resowner", "96184159-60d4-4ad4-a11e-0ff3ddcc6678", options, &client);
    qflow_client_options_free(options); /* the client keeps its own copy */
    if (status != QFLOW_STATUS_OK) return report("creating the client");

    qflow_token *token = NULL;
    if (qflow_client_request_password(client, "joe.bloggs@example.com", "secret1234",
                                      "qflowapi openid offline_access", &token) != QFLOW_STATUS_OK) {
        qflow_client_free(client);
        return report("the password grant");
    }
    printf("access token:  %s\n", qflow_token_access_token(token));
    printf("token type:    %s\n", qflow_token_token_type(token));
    printf("expires in:    %lld s\n", (long long)qflow_token_expires_in(token));

    qflow_token *refreshed = NULL;
    if (qflow_client_request_refresh(client, qflow_token_refresh_token(token), NULL, &refreshed) != QFLOW_STATUS_OK) {
        qflow_token_free(token);
        qflow_client_free(client);
        return report("the refresh");
    }
    printf("refreshed:     %s\n", qflow_token_access_token(refreshed));

    qflow_token_free(refreshed);
    qflow_token_free(token);
    qflow_client_free(client);
    return 0;
}
