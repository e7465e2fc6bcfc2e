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
 * "Give me a valid access token": a token kept and renewed for you, instead of a new token before every API
 * call. Get one from a TokenClient:
 *
 *     $source = $client->passwordTokenSource($username, $password, 'qflowapi openid offline_access', [
 *         'file_cache_dir' => '/run/qflow-auth/www-data',   // shared by all PHP-FPM workers of the pool
 *     ]);
 *     $headers[] = 'Authorization: Bearer ' . $source->getAccessToken();
 *     // ... if the API answers 401 with it: $source->invalidate(), and try once more
 *
 * getToken() returns the cached token while it is valid for longer than the skew (60 s by default; half the
 * lifetime for tokens shorter than two minutes) without any request; otherwise it renews the token, with the
 * refresh token when there is one (the rotated refresh token is kept), else with the original grant where
 * that is possible. A failed renewal throws and is not cached: the next call tries again.
 *
 * All the logic is in the native library. Within a process there is one renewal at a time; with the
 * `file_cache_dir` option, processes using the same directory and the same key (token endpoint, client, grant
 * and user, scope; for refresh-token sources a digest of the refresh token) share the token through a file,
 * and a lock makes concurrent processes renew once. See the package's README for what protects those files.
 *
 * Options (all optional; they mirror the C library's qflow_token_source_options_set_* functions):
 *
 * - `skew_seconds`: int >= 0; renew this long before expiry (default 60; a token that lives shorter than
 *   twice this is renewed at half its lifetime; 0 renews only at expiry).
 * - `keep_password`: bool, password sources only. Default false: the first token is requested when the source
 *   is created and the password is discarded, as RFC 6749 section 4.3.1 asks; renewals then need a refresh
 *   token (ask for `offline_access`), and without one getToken() throws an InvalidStateException. True keeps
 *   the password in the library's memory (zeroed when the source is destroyed), so that the source can sign in
 *   again when the refresh token stops working; the first request then waits for the first getToken().
 * - `file_cache_dir`: ?string, an absolute directory path; null (the default) keeps the token in this
 *   object's memory only. Created with mode 0700 if missing; refused (InvalidArgumentException) if it belongs
 *   to another user or others can write to it. A file in it that cannot be created, written, locked or removed
 *   later (permissions changed, a full disk) makes getToken() or invalidate() throw an IoException.
 *
 * Converting a source to a string, var_dump() and print_r() show the grant, user, scope and client, never a
 * password or token. Sources cannot be cloned or serialized.
 */
final class TokenSource implements \Stringable
{
    private const OPTIONS = ['skew_seconds', 'keep_password', 'file_cache_dir'];

    /** @param array<string, mixed> $description what __debugInfo() shows: no secrets */
    private function __construct(private FFI $ffi, private CData $handle, private array $description)
    {
    }

    /**
     * Creates a source with one of the qflow_token_source_new_* functions. Used by TokenClient's
     * passwordTokenSource(), clientCredentialsTokenSource() and refreshTokenSource().
     *
     * @internal
     * @param list<mixed> $arguments the function's arguments before `options` and `source_out`
     * @param array<string, mixed> $options see the class documentation
     * @param array<string, mixed> $description what __debugInfo() shows, without the options
     * @throws QFlowAuthException
     */
    public static function create(
        FFI $ffi,
        string $function,
        #[\SensitiveParameter] array $arguments,
        array $options,
        array $description,
    ): self {
        $nativeOptions = $ffi->qflow_token_source_options_new();
        if ($nativeOptions === null) {
            throw new InternalException('qflow_token_source_options_new failed');
        }
        try {
            $description += self::applyOptions($ffi, $nativeOptions, $options);
            $handle = $ffi->new('qflow_token_source *');
            Native::check($ffi, $ffi->{$function}(...[...$arguments, $nativeOptions, FFI::addr($handle)]));
        } finally {
            $ffi->qflow_token_source_options_free($nativeOptions);
        }
        return new self($ffi, $handle, $description);
    }

    public function __destruct()
    {
        // zeroes the refresh token and any kept password; tokens already handed out stay valid
        $this->ffi->qflow_token_source_free($this->handle);
    }

    /**
     * A valid token: the cached one while it is valid for longer than the skew (no request), otherwise a
     * renewed one. The Token stays usable after later renewals.
     *
     * @throws QFlowAuthException the renewal's failure (OAuthException for a refused refresh token,
     *     TransportException, ...); InvalidStateException when a password source without `keep_password`
     *     has no refresh token left to renew with; IoException when a `file_cache_dir` file cannot be
     *     created, written or locked (an unreadable entry only counts as absent)
     */
    public function getToken(): Token
    {
        $out = $this->ffi->new('qflow_token *');
        Native::check($this->ffi, $this->ffi->qflow_token_source_token($this->handle, FFI::addr($out)));
        return Token::fromNative($this->ffi, $out);
    }

    /**
     * getToken()->getAccessToken(): the access token to send as `Authorization: Bearer <token>`.
     *
     * @throws QFlowAuthException as getToken()
     */
    public function getAccessToken(): string
    {
        return $this->getToken()->getAccessToken();
    }

    /**
     * Forgets the current token, e.g. after the API answered 401 with it, so that the next getToken() renews
     * (with the refresh token when there is one). With a file cache the shared entry is removed too, if it
     * still holds this token (another process may have renewed it already).
     *
     * @throws QFlowAuthException only if the shared entry cannot be removed: an IoException
     */
    public function invalidate(): void
    {
        Native::check($this->ffi, $this->ffi->qflow_token_source_invalidate($this->handle));
    }

    /** A description without secrets, e.g. for logs. */
    public function __toString(): string
    {
        $d = $this->description;
        return sprintf(
            'QFlow\Auth\TokenSource(%s grant%s, scope %s, client %s at %s%s)',
            $d['grant'],
            isset($d['username']) ? ' for ' . $d['username'] : '',
            $d['scope'] === null ? 'none' : '"' . $d['scope'] . '"',
            $d['clientId'],
            $d['tokenUrl'] ?? $d['authority'],
            $d['fileCacheDir'] === null ? '' : ', shared through ' . $d['fileCacheDir'],
        );
    }

    /** What var_dump() and print_r() show: the grant, user, scope, client and options, never a secret. */
    public function __debugInfo(): array
    {
        return $this->description;
    }

    /** A source owns native state: share the object instead of cloning it. */
    private function __clone()
    {
    }

    public function __serialize(): array
    {
        throw new \LogicException('a TokenSource cannot be serialized; to share tokens between processes, use the '
            . 'file_cache_dir option');
    }

    public function __unserialize(array $data): void
    {
        throw new \LogicException('a TokenSource cannot be unserialized');
    }

    /**
     * @param array<string, mixed> $options
     * @return array{skewSeconds: int, keepPassword: bool, fileCacheDir: ?string} the options in effect, to describe
     */
    private static function applyOptions(FFI $ffi, CData $native, array $options): array
    {
        $effective = ['skewSeconds' => 60, 'keepPassword' => false, 'fileCacheDir' => null];
        foreach ($options as $name => $value) {
            switch ($name) {
                case 'skew_seconds':
                    if (!is_int($value)) {
                        throw new \TypeError('option skew_seconds must be of type int, ' . get_debug_type($value) . ' given');
                    }
                    if ($value < 0) {
                        throw new InvalidArgumentException("option skew_seconds must not be negative, $value given");
                    }
                    $status = $ffi->qflow_token_source_options_set_skew_seconds($native, $value);
                    $effective['skewSeconds'] = $value;
                    break;
                case 'keep_password':
                    if (!is_bool($value)) {
                        throw new \TypeError('option keep_password must be of type bool, ' . get_debug_type($value) . ' given');
                    }
                    $status = $ffi->qflow_token_source_options_set_keep_password($native, $value);
                    $effective['keepPassword'] = $value;
                    break;
                case 'file_cache_dir':
                    if ($value !== null && !is_string($value)) {
                        throw new \TypeError('option file_cache_dir must be of type ?string, ' . get_debug_type($value) . ' given');
                    }
                    Native::rejectNulBytes(['option file_cache_dir' => $value]);
                    $status = $ffi->qflow_token_source_options_set_file_cache_dir($native, $value);
                    $effective['fileCacheDir'] = $value;
                    break;
                default:
                    throw new InvalidArgumentException(sprintf('unknown token source option "%s"; the options are %s',
                        $name, implode(', ', self::OPTIONS)));
            }
            Native::check($ffi, $status);
        }
        return $effective;
    }
}
