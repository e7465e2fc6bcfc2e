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
 * For a server that publishes an OpenID Connect discovery document, TokenClient::fromAuthority() finds the
 * token, revocation, introspection and userinfo endpoints from the authority URL instead (getTokenUrl(),
 * getRevocationUrl(), getIntrospectionUrl() and getUserInfoUrl() tell which it found):
 *
 *     $client = TokenClient::fromAuthority('https://identity.qflowhub.io/core', $clientId, $clientSecret);
 *
 * Instead of requesting a token before every API call, get a TokenSource (passwordTokenSource(),
 * clientCredentialsTokenSource(), refreshTokenSource()): it caches the token, renews it before it expires
 * and, with the `file_cache_dir` option, shares it with other processes (PHP-FPM workers).
 *
 * Options (all optional; they mirror the C library's qflow_client_options_set_* functions):
 *
 * - `auth_method`: an AuthMethod or its string value; default AuthMethod::ClientSecretPost.
 * - `connect_timeout_ms`, `timeout_ms`: positive ints; defaults 10000 (connecting) and 30000 (a whole request).
 * - `ca_file`: a PEM file of CA certificates trusted in addition to the system's.
 * - `proxy`: null (the default) reads HTTPS_PROXY, HTTP_PROXY, ALL_PROXY and NO_PROXY, never for
 *   loopback; '' uses no proxy; otherwise the proxy URL, e.g. 'http://proxy:3128' or
 *   'socks5h://user:pass@proxy:1080'.
 * - `allow_insecure_http`: bool; allow http:// to a host that is not loopback (http:// to 127.0.0.1,
 *   ::1 and localhost is always allowed, for local development). Default false.
 * - `user_agent`: the User-Agent header; default "qflow-auth/<version>".
 * - `max_response_bytes`: positive int; the largest response accepted, default 1048576.
 * - `revocation_url`, `introspection_url`, `userinfo_url`: the endpoints for revokeToken(),
 *   introspectToken() and getUserInfo(), e.g. 'https://identity.qflowhub.io/core/connect/revocation'.
 *   Not needed for a client made by fromAuthority(), whose discovery finds them (a value set here wins).
 */
final class TokenClient
{
    private const OPTIONS = ['auth_method', 'connect_timeout_ms', 'timeout_ms', 'ca_file', 'proxy', 'allow_insecure_http',
        'user_agent', 'max_response_bytes', 'revocation_url', 'introspection_url', 'userinfo_url'];

    private FFI $ffi;
    private CData $handle;
    /** The token URL given to the constructor, as __debugInfo() shows it; null for a client made by fromAuthority(). */
    private ?string $tokenUrl = null;
    /** Set for a client made by fromAuthority(). */
    private ?string $authority = null;
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
        Native::rejectNulBytes(['token_url' => $tokenUrl, 'client_id' => $clientId, 'client_secret' => $clientSecret]);
        $this->open('qflow_client_new', $tokenUrl, $clientId, $clientSecret, $options);
        $this->tokenUrl = $tokenUrl;
    }

    /**
     * A client for the server at $authority (e.g. 'https://identity.qflowhub.io/core'), with its token,
     * revocation, introspection and userinfo endpoints read from the server's OpenID Connect discovery
     * document (`<authority>/.well-known/openid-configuration`, as IdentityServer3 serves it; RFC 8414's
     * location when that answers 404). The library caches the document for an hour per process (under
     * PHP-FPM: per worker, across requests). Every endpoint must be https://, or http:// to a loopback host,
     * unless the `allow_insecure_http` option is set. An `issuer` other than $authority is no reason to fail
     * (IdentityServer3 deployments often configure another one): see getDiscoveryWarning().
     *
     * @param ?string $clientSecret null for a public client
     * @param array<string, mixed> $options as for the constructor; endpoint URLs set there take precedence
     * @throws QFlowAuthException InvalidArgumentException for a bad authority or an insecure discovered
     *     endpoint; the exceptions of any request when the document cannot be fetched or used
     */
    public static function fromAuthority(
        string $authority,
        string $clientId,
        #[\SensitiveParameter] ?string $clientSecret = null,
        array $options = [],
    ): self {
        Native::rejectNulBytes(['authority' => $authority, 'client_id' => $clientId, 'client_secret' => $clientSecret]);
        $client = (new \ReflectionClass(self::class))->newInstanceWithoutConstructor();
        $client->open('qflow_client_new_from_authority', $authority, $clientId, $clientSecret, $options);
        $client->authority = $authority;
        return $client;
    }

    /** Creates the native client with qflow_client_new or qflow_client_new_from_authority. */
    private function open(string $function, string $url, string $clientId, #[\SensitiveParameter] ?string $clientSecret, array $options): void
    {
        $ffi = Library::ffi();
        $nativeOptions = $ffi->qflow_client_options_new();
        if ($nativeOptions === null) {
            throw new InternalException('qflow_client_options_new failed');
        }
        try {
            self::applyOptions($ffi, $nativeOptions, $options);
            $handle = $ffi->new('qflow_client *');
            Native::check($ffi, $ffi->{$function}($url, $clientId, $clientSecret, $nativeOptions, FFI::addr($handle)));
        } finally {
            $ffi->qflow_client_options_free($nativeOptions);
        }
        $this->ffi = $ffi;
        $this->handle = $handle;
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

    /**
     * A token source for the password grant: getToken() then gives the cached token while it is valid and
     * renews it with the refresh token when it is due. Unless the `keep_password` option is set, the first
     * token is requested now (so this can throw like requestPasswordToken()) and the password is discarded,
     * as RFC 6749 section 4.3.1 asks: ask for `offline_access` so that there is a refresh token to renew with.
     *
     * @param ?string $scope scopes separated by spaces or `+`, e.g. "qflowapi openid offline_access"; null sends none
     * @param array<string, mixed> $options see TokenSource: `skew_seconds`, `keep_password`, `file_cache_dir`
     * @throws QFlowAuthException
     */
    public function passwordTokenSource(
        string $username,
        #[\SensitiveParameter] string $password,
        ?string $scope = null,
        array $options = [],
    ): TokenSource {
        Native::rejectNulBytes(['username' => $username, 'password' => $password, 'scope' => $scope]);
        return TokenSource::create($this->ffi, 'qflow_token_source_new_password', [$this->handle, $username, $password, $scope],
            $options, $this->describe() + ['grant' => 'password', 'username' => $username, 'scope' => $scope]);
    }

    /**
     * A token source for the client credentials grant, which can always sign in again. No request is made
     * until the first getToken().
     *
     * @param ?string $scope as for requestClientCredentialsToken(); null sends none
     * @param array<string, mixed> $options see TokenSource: `skew_seconds`, `file_cache_dir`
     * @throws QFlowAuthException
     */
    public function clientCredentialsTokenSource(?string $scope = null, array $options = []): TokenSource
    {
        Native::rejectNulBytes(['scope' => $scope]);
        return TokenSource::create($this->ffi, 'qflow_token_source_new_client_credentials', [$this->handle, $scope],
            $options, $this->describe() + ['grant' => 'client_credentials', 'scope' => $scope]);
    }

    /**
     * A token source that starts from an existing refresh token (e.g. one saved by an earlier run). No request
     * is made until the first getToken(); rotated refresh tokens replace it as they come (the source keeps the
     * newest one: get it from getToken()->getRefreshToken() if you save it again).
     *
     * @param ?string $scope null keeps the original scope
     * @param array<string, mixed> $options see TokenSource: `skew_seconds`, `file_cache_dir`
     * @throws QFlowAuthException
     */
    public function refreshTokenSource(#[\SensitiveParameter] string $refreshToken, ?string $scope = null, array $options = []): TokenSource
    {
        Native::rejectNulBytes(['refresh_token' => $refreshToken, 'scope' => $scope]);
        return TokenSource::create($this->ffi, 'qflow_token_source_new_refresh_token', [$this->handle, $refreshToken, $scope],
            $options, $this->describe() + ['grant' => 'refresh_token', 'scope' => $scope]);
    }

    /**
     * Revokes an access or refresh token (RFC 7009) at the revocation endpoint, authenticating like a token
     * request. A token the server does not know is not an error (as the RFC says). A 503 is an HttpException
     * whose getRetryAfter() gives the server's Retry-After in seconds (its message says it too).
     *
     * @param ?string $tokenTypeHint null, 'access_token' or 'refresh_token'
     * @throws QFlowAuthException InvalidArgumentException when the client has no revocation endpoint (use
     *     fromAuthority() or the `revocation_url` option)
     */
    public function revokeToken(#[\SensitiveParameter] string $token, ?string $tokenTypeHint = null): void
    {
        Native::rejectNulBytes(['token' => $token, 'token_type_hint' => $tokenTypeHint]);
        Native::check($this->ffi, $this->ffi->qflow_client_revoke($this->handle, $token, $tokenTypeHint));
    }

    /**
     * Asks the introspection endpoint (RFC 7662) about a token. An unknown, expired or revoked token is not an
     * error: the claims' isActive() is then false.
     *
     * @param ?string $tokenTypeHint null, 'access_token' or 'refresh_token'
     * @throws QFlowAuthException InvalidArgumentException when the client has no introspection endpoint
     */
    public function introspectToken(#[\SensitiveParameter] string $token, ?string $tokenTypeHint = null): Claims
    {
        Native::rejectNulBytes(['token' => $token, 'token_type_hint' => $tokenTypeHint]);
        $out = $this->ffi->new('qflow_claims *');
        Native::check($this->ffi, $this->ffi->qflow_client_introspect($this->handle, $token, $tokenTypeHint, FFI::addr($out)));
        return Claims::fromNative($this->ffi, $out);
    }

    /**
     * The claims about the user of an access token, from the OpenID Connect userinfo endpoint (the token needs
     * the `openid` scope). A rejected token is an OAuthException with the `error` of the server's
     * WWW-Authenticate header: `invalid_token` (HTTP 401) or `insufficient_scope` (403).
     *
     * @throws QFlowAuthException InvalidArgumentException when the client has no userinfo endpoint
     */
    public function getUserInfo(#[\SensitiveParameter] string $accessToken): Claims
    {
        Native::rejectNulBytes(['access_token' => $accessToken]);
        $out = $this->ffi->new('qflow_claims *');
        Native::check($this->ffi, $this->ffi->qflow_client_userinfo($this->handle, $accessToken, FFI::addr($out)));
        return Claims::fromNative($this->ffi, $out);
    }

    /**
     * The token endpoint this client talks to: the URL given to the constructor, or for a client made by
     * fromAuthority() the one the discovery document named.
     */
    public function getTokenUrl(): string
    {
        return $this->ffi->qflow_client_token_url($this->handle)
            ?? throw new InternalException('qflow_client_token_url gave no URL for a live client');
    }

    /**
     * The revocation endpoint revokeToken() uses: the `revocation_url` option, or the one discovery found;
     * null when the client has none.
     */
    public function getRevocationUrl(): ?string
    {
        return $this->ffi->qflow_client_revocation_url($this->handle);
    }

    /**
     * The introspection endpoint introspectToken() uses: the `introspection_url` option, or the one discovery
     * found; null when the client has none.
     */
    public function getIntrospectionUrl(): ?string
    {
        return $this->ffi->qflow_client_introspection_url($this->handle);
    }

    /**
     * The userinfo endpoint getUserInfo() uses: the `userinfo_url` option, or the one discovery found; null
     * when the client has none.
     */
    public function getUserInfoUrl(): ?string
    {
        return $this->ffi->qflow_client_userinfo_url($this->handle);
    }

    /** The authority given to fromAuthority(); null for a client made from a token URL. */
    public function getAuthority(): ?string
    {
        return $this->authority;
    }

    /** The `issuer` named by the discovery document, for a client made by fromAuthority(); null otherwise. */
    public function getIssuer(): ?string
    {
        return $this->ffi->qflow_client_issuer($this->handle);
    }

    /**
     * Something discovery found worth reporting but no reason to fail, e.g. an `issuer` other than the
     * authority URL (worth logging once); null when there is nothing to report or the client was not made by
     * fromAuthority().
     */
    public function getDiscoveryWarning(): ?string
    {
        return $this->ffi->qflow_client_discovery_warning($this->handle);
    }

    /** The client id it authenticates as. */
    public function getClientId(): string
    {
        return $this->clientId;
    }

    /** What var_dump() and print_r() show: the endpoint (or authority) and client id, never the secret. */
    public function __debugInfo(): array
    {
        return $this->describe();
    }

    /** @return array<string, ?string> */
    private function describe(): array
    {
        return $this->authority === null
            ? ['tokenUrl' => $this->tokenUrl, 'clientId' => $this->clientId]
            : ['authority' => $this->authority, 'clientId' => $this->clientId];
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
                'revocation_url' => $ffi->qflow_client_options_set_revocation_url($native, self::nullableString($name, $value)),
                'introspection_url' => $ffi->qflow_client_options_set_introspection_url($native, self::nullableString($name, $value)),
                'userinfo_url' => $ffi->qflow_client_options_set_userinfo_url($native, self::nullableString($name, $value)),
                default => throw new InvalidArgumentException(sprintf('unknown option "%s"; the options are %s',
                    $name, implode(', ', self::OPTIONS))),
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
