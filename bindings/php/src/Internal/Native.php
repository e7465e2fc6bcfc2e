<?php

declare(strict_types=1);

namespace QFlow\Auth\Internal;

use FFI;
use FFI\CData;
use QFlow\Auth\Exception\CancelledException;
use QFlow\Auth\Exception\ConnectionException;
use QFlow\Auth\Exception\HttpException;
use QFlow\Auth\Exception\InternalException;
use QFlow\Auth\Exception\InvalidArgumentException;
use QFlow\Auth\Exception\InvalidStateException;
use QFlow\Auth\Exception\IoException;
use QFlow\Auth\Exception\MalformedResponseException;
use QFlow\Auth\Exception\OAuthException;
use QFlow\Auth\Exception\QFlowAuthException;
use QFlow\Auth\Exception\TimeoutException;
use QFlow\Auth\Exception\TlsException;

/**
 * Plumbing shared by the public classes: turning the native last error into an exception, checking
 * strings before they become C strings, and building C string arrays.
 *
 * @internal
 */
final class Native
{
    private function __construct()
    {
    }

    /** Throws the exception that describes the native call's failure, unless $status is QFLOW_STATUS_OK. */
    public static function check(FFI $ffi, int $status): void
    {
        if ($status !== $ffi->QFLOW_STATUS_OK) {
            throw self::lastError($ffi, $status);
        }
    }

    /** The exception for the failure just reported on this thread, with the library's last-error details. */
    public static function lastError(FFI $ffi, int $status): QFlowAuthException
    {
        $message = $ffi->qflow_last_error_message() ?? $ffi->qflow_status_str($status);
        $httpStatus = $ffi->qflow_last_error_http_status() ?: null;
        return match ($status) {
            $ffi->QFLOW_STATUS_OAUTH => new OAuthException(
                $message,
                $ffi->qflow_last_error_oauth_error() ?? '',
                $ffi->qflow_last_error_description(),
                $ffi->qflow_last_error_uri(),
                $httpStatus,
            ),
            $ffi->QFLOW_STATUS_INVALID_ARGUMENT => new InvalidArgumentException($message, $httpStatus),
            $ffi->QFLOW_STATUS_NETWORK => new ConnectionException($message, $httpStatus),
            $ffi->QFLOW_STATUS_TIMEOUT => new TimeoutException($message, $httpStatus),
            $ffi->QFLOW_STATUS_TLS => new TlsException($message, $httpStatus),
            $ffi->QFLOW_STATUS_HTTP => new HttpException($message, $httpStatus, self::retryAfter($ffi)),
            $ffi->QFLOW_STATUS_MALFORMED_RESPONSE => new MalformedResponseException($message, $httpStatus),
            $ffi->QFLOW_STATUS_INVALID_STATE => new InvalidStateException($message, $httpStatus),
            $ffi->QFLOW_STATUS_IO => new IoException($message, $httpStatus),
            $ffi->QFLOW_STATUS_CANCELLED => new CancelledException($message, $httpStatus),
            default => new InternalException($message, $httpStatus),
        };
    }

    /**
     * The server's Retry-After for the failure just reported, in seconds; null when it sent none (the library
     * says 0). A uint64_t comes back as a PHP int, wrapped around beyond PHP_INT_MAX: that is capped instead.
     */
    private static function retryAfter(FFI $ffi): ?int
    {
        $seconds = $ffi->qflow_last_error_retry_after();
        return match (true) {
            $seconds === 0 => null,
            $seconds < 0 => PHP_INT_MAX,
            default => $seconds,
        };
    }

    /**
     * Rejects strings that C would cut short: a NUL byte ends a C string, so "pass\0word" would silently
     * be sent as "pass". The values may be secrets: they stay out of stack traces.
     *
     * @param array<string, ?string> $values C parameter name => value
     */
    public static function rejectNulBytes(#[\SensitiveParameter] array $values): void
    {
        foreach ($values as $name => $value) {
            if ($value !== null && str_contains($value, "\0")) {
                throw new InvalidArgumentException("$name must not contain a NUL byte");
            }
        }
    }

    /**
     * Copies PHP strings into native memory as a `const char *[n]` array. The array points into the
     * returned buffers, which must stay referenced while the array is in use; wipe() zeroes them after.
     *
     * @param list<string> $values
     * @return array{?CData, list<CData>} the array (null when $values is empty) and its buffers
     */
    public static function stringArray(FFI $ffi, #[\SensitiveParameter] array $values): array
    {
        if ($values === []) {
            return [null, []];
        }
        $array = $ffi->new('const char *[' . count($values) . ']');
        $buffers = [];
        foreach ($values as $i => $value) {
            $length = strlen($value);
            $buffer = $ffi->new('char[' . ($length + 1) . ']'); // zero-filled: the terminator is there
            FFI::memcpy($buffer, $value, $length);
            $array[$i] = $ffi->cast('const char *', $buffer);
            $buffers[] = $buffer;
        }
        return [$array, $buffers];
    }

    /** Overwrites buffers made by stringArray() with zeros: they may hold secrets. */
    public static function wipe(array $buffers): void
    {
        foreach ($buffers as $buffer) {
            FFI::memset($buffer, 0, FFI::sizeof($buffer));
        }
    }
}
