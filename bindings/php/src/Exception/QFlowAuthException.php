<?php

declare(strict_types=1);

namespace QFlow\Auth\Exception;

/**
 * Base class of every exception this package throws, so that one `catch (QFlowAuthException $e)` covers
 * them all. The message is safe to log: it never contains a password, secret, token or response body.
 */
class QFlowAuthException extends \Exception
{
    private ?int $httpStatus;

    public function __construct(string $message, ?int $httpStatus = null, ?\Throwable $previous = null)
    {
        parent::__construct($message, 0, $previous);
        $this->httpStatus = $httpStatus;
    }

    /** The HTTP status of the server's answer behind this error; null when there was no answer. */
    public function getHttpStatus(): ?int
    {
        return $this->httpStatus;
    }
}
