<?php

declare(strict_types=1);

namespace QFlow\Auth;

use FFI;

/**
 * How the client proves its identity to the token endpoint (the `auth_method` option). Exactly one method
 * is used per request. The string values may be given instead of the cases.
 */
enum AuthMethod: string
{
    /** `client_id` and `client_secret` in the form body: the quick-start's way, always parsed by IdentityServer3. The default. */
    case ClientSecretPost = 'client_secret_post';

    /** HTTP Basic with RFC 6749 section 2.3.1 encoding (id and secret form-urlencoded first): for RFC servers. */
    case ClientSecretBasic = 'client_secret_basic';

    /** HTTP Basic without the form-urlencoding step: what IdentityServer3 decodes correctly. */
    case ClientSecretBasicUnencoded = 'client_secret_basic_unencoded';

    /**
     * The C ABI's value: the header's QFLOW_AUTH_METHOD_<NAME> constant.
     *
     * @internal
     */
    public function nativeValue(FFI $ffi): int
    {
        return $ffi->{'QFLOW_AUTH_METHOD_' . strtoupper($this->value)};
    }
}
