/*
 * QFlow Hub's quick-start, done right: one call gets an access token with the password grant.
 * Values are form-encoded correctly (a password with & or + works), errors are reported, and
 * repeated calls reuse the connection.
 *
 *   QFLOW_TOKEN_URL  token endpoint (default: https://identity.qflowhub.io/core/connect/token)
 */
#include <stdio.h>
#include <stdlib.h>

#include "qflow_auth.h"

int main(void) {
    const char *token_url = getenv("QFLOW_TOKEN_URL"); /* NULL means QFlow Hub's endpoint */

    char *access_token = qflow_fetch_token(token_url, "acme_resowner", "96184159-60d4-4ad4-a11e-0ff3ddcc6678",
                                           "joe.bloggs@example.com", "secret1234",
                                           "qflowapi openid offline_access");
    if (access_token == NULL) {
        fprintf(stderr, "could not get a token: %s\n", qflow_last_error_message());
        return 1;
    }
    printf("%s\n", access_token);
    qflow_string_free(access_token);
    return 0;
}
