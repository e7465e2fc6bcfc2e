<?php

declare(strict_types=1);

namespace QFlow\Auth;

use FFI;
use FFI\CData;
use QFlow\Auth\Exception\InvalidArgumentException;
use QFlow\Auth\Internal\Native;

/**
 * A token response: the access token, its type and expiry, the refresh and ID tokens, the scope and any
 * other member the server sent. Immutable.
 *
 * It holds the native token, released (and its memory overwritten with zeros) when the object is
 * destroyed. Converting it to a string, var_dump() and print_r() never show the tokens.
 */
final class Token implements \Stringable
{
    private function __construct(private FFI $ffi, private CData $handle)
    {
    }

    /**
     * Takes ownership of a `qflow_token *` returned by the library.
     *
     * @internal
     */
    public static function fromNative(FFI $ffi, CData $handle): self
    {
        return new self($ffi, $handle);
    }

    public function __destruct()
    {
        $this->ffi->qflow_token_free($this->handle);
    }

    /** The access token, to send as `Authorization: Bearer <token>`. */
    public function getAccessToken(): string
    {
        return $this->ffi->qflow_token_access_token($this->handle);
    }

    /** The token type as the server sent it, e.g. "Bearer" (compare case-insensitively); null if absent. */
    public function getTokenType(): ?string
    {
        return $this->ffi->qflow_token_token_type($this->handle);
    }

    /** The lifetime in seconds the server gave (`expires_in`); null when it gave none. */
    public function getExpiresIn(): ?int
    {
        $seconds = $this->ffi->qflow_token_expires_in($this->handle);
        return $seconds < 0 ? null : $seconds;
    }

    /** When the token expires (the time the response arrived plus `expires_in`), in UTC; null when unknown. */
    public function getExpiresAt(): ?\DateTimeImmutable
    {
        $timestamp = $this->ffi->qflow_token_expires_at($this->handle);
        return $timestamp < 0 ? null : new \DateTimeImmutable('@' . $timestamp);
    }

    /**
     * Whether the token has expired or will within $leewaySeconds. A token whose response had no
     * `expires_in` is never reported expired.
     */
    public function isExpired(int $leewaySeconds = 0): bool
    {
        if ($leewaySeconds < 0) {
            throw new InvalidArgumentException('leeway_seconds must not be negative');
        }
        return $this->ffi->qflow_token_is_expired($this->handle, $leewaySeconds);
    }

    /**
     * The refresh token; null if the server sent none (e.g. without the `offline_access` scope). The server
     * may rotate it: after TokenClient::requestRefreshToken(), use the new token's refresh token.
     */
    public function getRefreshToken(): ?string
    {
        return $this->ffi->qflow_token_refresh_token($this->handle);
    }

    /** The granted scope, space-separated; null if the server did not say (IdentityServer3 does not). */
    public function getScope(): ?string
    {
        return $this->ffi->qflow_token_scope($this->handle);
    }

    /** The OpenID Connect ID token; null if absent. */
    public function getIdToken(): ?string
    {
        return $this->ffi->qflow_token_id_token($this->handle);
    }

    /**
     * Any member of the response by name: a string member as its text, any other value as its JSON text
     * (e.g. "3600" or "{\"a\":1}"); null if there is no such member.
     */
    public function get(string $name): ?string
    {
        Native::rejectNulBytes(['name' => $name]);
        return $this->ffi->qflow_token_get($this->handle, $name);
    }

    /** The response body exactly as received (JSON). It contains the tokens: do not log it. */
    public function getRawJson(): string
    {
        return $this->ffi->qflow_token_raw_json($this->handle);
    }

    /** A description without the tokens, e.g. for logs; use getAccessToken() for the token itself. */
    public function __toString(): string
    {
        $expiresAt = $this->getExpiresAt();
        return sprintf(
            'QFlow\Auth\Token(type %s, %s, %s; the access token is hidden: use getAccessToken())',
            $this->getTokenType() ?? 'unknown',
            $expiresAt === null ? 'no expiry given' : 'expires ' . $expiresAt->format(\DATE_ATOM),
            $this->getRefreshToken() === null ? 'no refresh token' : 'with a refresh token',
        );
    }

    /** What var_dump() and print_r() show: everything but the tokens. */
    public function __debugInfo(): array
    {
        $hidden = static fn (?string $value): ?string => $value === null ? null : '(hidden)';
        return [
            'accessToken' => '(hidden)',
            'tokenType' => $this->getTokenType(),
            'expiresIn' => $this->getExpiresIn(),
            'expiresAt' => $this->getExpiresAt()?->format(\DATE_ATOM),
            'scope' => $this->getScope(),
            'refreshToken' => $hidden($this->getRefreshToken()),
            'idToken' => $hidden($this->getIdToken()),
        ];
    }

    /** A token owns native memory: it cannot be copied (request a new one, or keep a reference). */
    private function __clone()
    {
    }

    public function __serialize(): array
    {
        throw new \LogicException('a Token cannot be serialized; store getRawJson() or the values you need');
    }

    public function __unserialize(array $data): void
    {
        throw new \LogicException('a Token cannot be unserialized');
    }
}
