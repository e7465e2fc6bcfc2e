<?php

declare(strict_types=1);

namespace QFlow\Auth\Exception;

/**
 * The server answered with an HTTP status that carries no OAuth error: an HTML error page, an empty 403,
 * a redirect (never followed: a token request must not be re-sent elsewhere). getHttpStatus() tells which;
 * getRetryAfter() gives the server's Retry-After, e.g. with a 503 from revocation.
 */
class HttpException extends QFlowAuthException
{
    private ?int $retryAfter;

    /** @param ?int $retryAfter the server's Retry-After in seconds; null when it sent none */
    public function __construct(string $message, ?int $httpStatus = null, ?int $retryAfter = null, ?\Throwable $previous = null)
    {
        parent::__construct($message, $httpStatus, $previous);
        $this->retryAfter = $retryAfter;
    }

    /**
     * How long, in seconds, the server asked to wait before trying again (its `Retry-After` header, e.g. with
     * a 503); null when it did not say. Only the seconds form of the header is understood, not an HTTP date.
     */
    public function getRetryAfter(): ?int
    {
        return $this->retryAfter;
    }
}
