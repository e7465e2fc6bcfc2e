// The header must be usable from C++: this file is compiled with -std=c++11 -Wall -Wextra -Werror
// -pedantic and linked, by tests/c/run.sh.
#include "qflow_auth.h"

#include <cstdio>
#include <cstring>

int main() {
    qflow_client_options *options = qflow_client_options_new();
    qflow_status status = qflow_client_options_set_auth_method(options, QFLOW_AUTH_METHOD_CLIENT_SECRET_BASIC);
    qflow_client_options_free(options);
    bool matches = std::strcmp(qflow_version(), QFLOW_AUTH_VERSION) == 0;
    std::printf("C++: %s, version %s\n", qflow_status_str(status), qflow_version());
    return status == QFLOW_STATUS_OK && matches ? 0 : 1;
}
