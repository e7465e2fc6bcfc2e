<?php

declare(strict_types=1);

namespace QFlow\Auth;

use FFI;
use FFI\CData;
use QFlow\Auth\Internal\Native;

/**
 * Claims about a token (TokenClient::introspectToken(), RFC 7662) or about a user
 * (TokenClient::getUserInfo(), OpenID Connect): the JSON object the server answered. Immutable.
 *
 *     $claims = $client->introspectToken($accessToken);
 *     if ($claims->isActive()) { $subject = $claims->get('sub'); }
 *
 * It holds the native answer, released (and its memory overwritten with zeros) when the object is destroyed.
 * The values may be personal data or describe a token: converting claims to a string, var_dump() and print_r()
 * show the member names only.
 */
final class Claims implements \Stringable
{
    private function __construct(private FFI $ffi, private CData $handle)
    {
    }

    /**
     * Takes ownership of a `qflow_claims *` returned by the library.
     *
     * @internal
     */
    public static function fromNative(FFI $ffi, CData $handle): self
    {
        return new self($ffi, $handle);
    }

    public function __destruct()
    {
        $this->ffi->qflow_claims_free($this->handle);
    }

    /** For an introspection answer: whether the token is active (`"active": true`); false for anything else. */
    public function isActive(): bool
    {
        return $this->ffi->qflow_claims_is_active($this->handle);
    }

    /**
     * Any member by name: a string as its text, any other value as its JSON text (e.g. "true", "1735689600",
     * "[\"a\",\"b\"]"); null if there is no such member.
     */
    public function get(string $name): ?string
    {
        Native::rejectNulBytes(['name' => $name]);
        return $this->ffi->qflow_claims_get($this->handle, $name);
    }

    /** The answer exactly as received (JSON). */
    public function getRawJson(): string
    {
        return $this->ffi->qflow_claims_raw_json($this->handle);
    }

    /**
     * Every member, decoded from getRawJson() with PHP's json_decode(): strings, ints, bools, arrays as PHP
     * values (unlike get(), which gives every non-string value as its JSON text).
     *
     * @return array<string, mixed>
     */
    public function toArray(): array
    {
        $members = json_decode($this->getRawJson(), true, 512, \JSON_THROW_ON_ERROR | \JSON_BIGINT_AS_STRING);
        return is_array($members) ? $members : [];
    }

    /** A description without the values, e.g. for logs. */
    public function __toString(): string
    {
        $names = array_map('strval', array_keys($this->toArray()));
        return sprintf('QFlow\Auth\Claims(%smembers %s; values hidden: use get())',
            in_array('active', $names, true) ? ($this->isActive() ? 'active; ' : 'not active; ') : '',
            $names === [] ? 'none' : implode(', ', $names));
    }

    /**
     * What var_dump() and print_r() show: the member names and, for an introspection answer, whether the token
     * is active; never the values.
     */
    public function __debugInfo(): array
    {
        $names = array_map('strval', array_keys($this->toArray()));
        return (in_array('active', $names, true) ? ['active' => $this->isActive()] : []) + ['members' => $names];
    }

    /** Claims own native memory: they cannot be copied (keep a reference). */
    private function __clone()
    {
    }

    public function __serialize(): array
    {
        throw new \LogicException('Claims cannot be serialized; store toArray() or the values you need');
    }

    public function __unserialize(array $data): void
    {
        throw new \LogicException('Claims cannot be unserialized');
    }
}
