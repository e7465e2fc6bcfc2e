<?php

declare(strict_types=1);

namespace QFlow\Auth;

use FFI;
use FFI\CData;
use QFlow\Auth\Exception\InternalException;
use QFlow\Auth\Exception\InvalidArgumentException;
use QFlow\Auth\Exception\QFlowAuthException;
use QFlow\Auth\Internal\Native;

/**
 * An OAuth 2.0 token client for one token endpoint and one client (QFlow Hub's IdentityServer3, or any
 * RFC 6749 server). Create it once and reuse it: it keeps its connection open between requests.
 *
 *     $client = new TokenClient('https://identity.qflowhub.io/core/connect/token', $clientId, $clientSecret);
 *     $token = $client->requestPasswordToken($username, $password, 'qflowapi openid offline_access');
 *     $headers[] = 'Authorization: Bearer ' . $token->getAccessToken();
 *
 * Every value is form-encoded correctly (a password with `&`, `+` or `%` works). Failures throw a subclass
 * of QFlowAuthException: OAuthException (the server said no), TransportException (connection, TLS,
 * timeout), HttpException, MalformedResponseException, InvalidArgumentException.
 *
 * Options (all optional; they mirror the C library's qflow_client_options_set_* functions):
 *
 * - `auth_method`: an AuthMethod or its string value; default AuthMethod::ClientSecretPost.
 * - `connect_timeout_ms`, `timeout_ms`: positive ints; defaults 10000 (connecting) and 30000 (a whole request).
 * - `ca_file`: a PEM file of CA certificates trusted in addition to the system's.
 * - `proxy`: null (the default) reads HTTPS_PROXY, HTTP_PROXY, ALL_PROXY and NO_PROXY, never for
 *   loopback; '' uses no proxy; otherwise the proxy URL, e.g. 'http://proxy:3128'.
 * - `allow_insecure_http`: bool; allow http:// to a host that is not loopback (http:// to 127.0.0.1,
 *   ::1 and localhost is always allowed, for local development). Default false.
 * - `user_agent`: the User-Agent header; default "qflow-auth/<version>".
 * - `max_response_bytes`: positive int; the largest response accepted, default 1048576.
 */
final class TokenClient
{
    private FFI $ffi;
    private CData $handle;
    private string $tokenUrl;
    private string $clientId;

    /**
     * @param string $tokenUrl the token endpoint; https://, or http:// to a loopback host (or to any host
     *     with the `allow_insecure_http` option)
     * @param ?string $clientSecret null for a public client, which sends only its client_id
     * @param array<string, mixed> $options see the class documentation
     */
    public function __construct(
        string $tokenUrl,
        string $clientId,
        #[\SensitiveParameter] ?string $clientSecret = null,
        array $options = [],
    ) {
        $ffi = Library::ffi();
        Native::rejectNulBytes(['token_url' => $tokenUrl, 'client_id' => $clientId, 'client_secret' => $clientSecret]);
        $nativeOptions = $ffi->qflow_client_options_new();
        if ($nativeOptions === null) {
            throw new InternalException('qflow_client_options_new failed');
        }
        try {
            self::applyOptions($ffi, $nativeOptions, $options);
            $handle = $ffi->new('qflow_client *');
            Native::check($ffi, $ffi->qflow_client_new($tokenUrl, $clientId, $clientSecret, $nativeOptions, FFI::addr($handle)));
        } finally {
            $ffi->qflow_client_options_free($nativeOptions);
        }
        $this->ffi = $ffi;
        $this->handle = $handle;
        $this->tokenUrl = $tokenUrl;
        $this->clientId = $clientId;
    }

    public function __destruct()
    {
        // Unset when the constructor threw: there is no native client then.
        if (isset($this->handle)) {
            $this->ffi->qflow_client_free($this->handle);
        }
    }

    /**
     * The quick-start in one call: an access token with the password grant, using the library's shared
     * connection pool (repeated calls reuse connections) and its default options.
     *
     * @param ?string $tokenUrl null for QFlow Hub's https://identity.qflowhub.io/core/connect/token
     * @param ?string $clientSecret null for a public client
     * @param ?string $scope null for "qflowapi openid offline_access"; scopes are separated by spaces or `+`
     * @throws QFlowAuthException
     */
    public static function fetchAccessToken(
        ?string $tokenUrl,
        string $clientId,
        #[\SensitiveParameter] ?string $clientSecret,
        string $username,
        #[\SensitiveParameter] string $password,
        ?string $scope = null,
    ): string {
        $ffi = Library::ffi();
        Native::rejectNulBytes(['token_url' => $tokenUrl, 'client_id' => $clientId, 'client_secret' => $clientSecret,
            'username' => $username, 'password' => $password, 'scope' => $scope]);
        $owned = $ffi->qflow_fetch_token($tokenUrl, $clientId, $clientSecret, $username, $password, $scope);
        if ($owned === null) {
            throw Native::lastError($ffi, $ffi->qflow_last_error_status());
        }
        try {
            return FFI::string($owned);
        } finally {
            $ffi->qflow_string_free($owned);
        }
    }

    /**
     * Resource owner password grant (RFC 6749 section 4.3), as in QFlow Hub's quick-start. New designs
     * should prefer other grants (RFC 9700 section 2.4).
     *
     * @param ?string $scope scopes separated by spaces or `+`, e.g. "qflowapi openid offline_access"
     *     (offline_access asks for a refresh token); null sends none
     * @throws QFlowAuthException
     */
    public function requestPasswordToken(string $username, #[\SensitiveParameter] string $password, ?string $scope = null): Token
    {
        Native::rejectNulBytes(['username' => $username, 'password' => $password, 'scope' => $scope]);
        $out = $this->ffi->new('qflow_token *');
        Native::check($this->ffi, $this->ffi->qflow_client_request_password($this->handle, $username, $password, $scope, FFI::addr($out)));
        return Token::fromNative($this->ffi, $out);
    }

    /**
     * Client credentials grant (RFC 6749 section 4.4): a token for the client itself.
     *
     * @param ?string $scope as for requestPasswordToken(); null sends none
     * @throws QFlowAuthException
     */
    public function requestClientCredentialsToken(?string $scope = null): Token
    {
        Native::rejectNulBytes(['scope' => $scope]);
        $out = $this->ffi->new('qflow_token *');
        Native::check($this->ffi, $this->ffi->qflow_client_request_client_credentials($this->handle, $scope, FFI::addr($out)));
        return Token::fromNative($this->ffi, $out);
    }

    /**
     * Exchanges a refresh token for a new token (RFC 6749 section 6). The server may rotate the refresh
     * token: keep the new token's getRefreshToken() from then on.
     *
     * @param ?string $scope null keeps the original scope; otherwise a subset of it
     * @throws QFlowAuthException
     */
    public function requestRefreshToken(#[\SensitiveParameter] string $refreshToken, ?string $scope = null): Token
    {
        Native::rejectNulBytes(['refresh_token' => $refreshToken, 'scope' => $scope]);
        $out = $this->ffi->new('qflow_token *');
        Native::check($this->ffi, $this->ffi->qflow_client_request_refresh($this->handle, $refreshToken, $scope, FFI::addr($out)));
        return Token::fromNative($this->ffi, $out);
    }

    /**
     * Any grant, including extension grants (RFC 6749 section 4.5), with extra form parameters, e.g.
     * `requestToken('urn:ietf:params:oauth:grant-type:token-exchange', ['subject_token' => $t, ...])`.
     *
     * @param array<string, string> $parameters name => value; names must not be grant_type, client_id or
     *     client_secret (the client sends those); a `scope` value is normalised as for the other grants
     * @throws QFlowAuthException
     */
    public function requestToken(string $grantType, #[\SensitiveParameter] array $parameters = []): Token
    {
        $names = [];
        $values = [];
        foreach ($parameters as $name => $value) {
            if (!is_string($value)) {
                throw new \TypeError(sprintf('parameter "%s" must be of type string, %s given', $name, get_debug_type($value)));
            }
            $names[] = (string) $name; // PHP turns a key like "123" into an int
            $values[] = $value;
        }
        Native::rejectNulBytes(['grant_type' => $grantType]);
        foreach ($names as $i => $name) {
            Native::rejectNulBytes(['parameter name' => $name, "parameter $name" => $values[$i]]);
        }
        // The arrays point into the buffers, which must stay referenced until the call returns.
        [$nameArray, $nameBuffers] = Native::stringArray($this->ffi, $names);
        [$valueArray, $valueBuffers] = Native::stringArray($this->ffi, $values);
        try {
            $out = $this->ffi->new('qflow_token *');
            Native::check($this->ffi, $this->ffi->qflow_client_request_grant(
                $this->handle,
                $grantType,
                $nameArray,
                $valueArray,
                count($names),
                FFI::addr($out),
            ));
            return Token::fromNative($this->ffi, $out);
        } finally {
            Native::wipe($valueBuffers);
        }
    }

    /** The token endpoint this client talks to. */
    public function getTokenUrl(): string
    {
        return $this->tokenUrl;
    }

    /** The client id it authenticates as. */
    public function getClientId(): string
    {
        return $this->clientId;
    }

    /** What var_dump() and print_r() show: the endpoint and client id, never the secret. */
    public function __debugInfo(): array
    {
        return ['tokenUrl' => $this->tokenUrl, 'clientId' => $this->clientId];
    }

    /** A client owns native resources: share the object instead of cloning it. */
    private function __clone()
    {
    }

    public function __serialize(): array
    {
        throw new \LogicException('a TokenClient cannot be serialized; create one per process and share it');
    }

    public function __unserialize(array $data): void
    {
        throw new \LogicException('a TokenClient cannot be unserialized');
    }

    /** @param array<string, mixed> $options */
    private static function applyOptions(FFI $ffi, CData $native, array $options): void
    {
        foreach ($options as $name => $value) {
            $status = match ($name) {
                'auth_method' => $ffi->qflow_client_options_set_auth_method($native, self::authMethod($value)->nativeValue($ffi)),
                'connect_timeout_ms' => $ffi->qflow_client_options_set_connect_timeout_ms($native, self::positiveInt($name, $value)),
                'timeout_ms' => $ffi->qflow_client_options_set_timeout_ms($native, self::positiveInt($name, $value)),
                'ca_file' => $ffi->qflow_client_options_set_ca_file($native, self::nullableString($name, $value)),
                'proxy' => $ffi->qflow_client_options_set_proxy($native, self::nullableString($name, $value)),
                'allow_insecure_http' => $ffi->qflow_client_options_set_allow_insecure_http($native, self::bool($name, $value)),
                'user_agent' => $ffi->qflow_client_options_set_user_agent($native, self::nullableString($name, $value)),
                'max_response_bytes' => $ffi->qflow_client_options_set_max_response_bytes($native, self::positiveInt($name, $value)),
                default => throw new InvalidArgumentException(sprintf('unknown option "%s"; the options are auth_method, '
                    . 'connect_timeout_ms, timeout_ms, ca_file, proxy, allow_insecure_http, user_agent and max_response_bytes', $name)),
            };
            Native::check($ffi, $status);
        }
    }

    private static function authMethod(mixed $value): AuthMethod
    {
        if ($value instanceof AuthMethod) {
            return $value;
        }
        if (!is_string($value)) {
            throw new \TypeError('option auth_method must be an AuthMethod or a string, ' . get_debug_type($value) . ' given');
        }
        return AuthMethod::tryFrom($value) ?? throw new InvalidArgumentException(sprintf(
            'option auth_method must be one of %s; "%s" given',
            implode(', ', array_map(static fn (AuthMethod $m): string => $m->value, AuthMethod::cases())),
            $value,
        ));
    }

    private static function positiveInt(string $name, mixed $value): int
    {
        if (!is_int($value)) {
            throw new \TypeError("option $name must be of type int, " . get_debug_type($value) . ' given');
        }
        if ($value < 1) {
            throw new InvalidArgumentException("option $name must be a positive integer, $value given");
        }
        return $value;
    }

    private static function nullableString(string $name, mixed $value): ?string
    {
        if ($value !== null && !is_string($value)) {
            throw new \TypeError("option $name must be of type ?string, " . get_debug_type($value) . ' given');
        }
        Native::rejectNulBytes(["option $name" => $value]);
        return $value;
    }

    private static function bool(string $name, mixed $value): bool
    {
        if (!is_bool($value)) {
            throw new \TypeError("option $name must be of type bool, " . get_debug_type($value) . ' given');
        }
        return $value;
    }
}
