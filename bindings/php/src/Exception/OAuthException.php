<?php

declare(strict_types=1);

namespace QFlow\Auth\Exception;

/**
 * The server refused the request with an OAuth error (RFC 6749 section 5.2), such as `invalid_grant` for
 * a wrong username or password, or `invalid_client` for a wrong client secret. IdentityServer3 sends
 * every such error with HTTP 400; RFC servers may use 401.
 */
class OAuthException extends QFlowAuthException
{
    private string $error;
    private ?string $errorDescription;
    private ?string $errorUri;

    public function __construct(
        string $message,
        string $error,
        ?string $errorDescription = null,
        ?string $errorUri = null,
        ?int $httpStatus = null,
        ?\Throwable $previous = null,
    ) {
        parent::__construct($message, $httpStatus, $previous);
        $this->error = $error;
        $this->errorDescription = $errorDescription;
        $this->errorUri = $errorUri;
    }

    /** The server's `error` code, e.g. "invalid_grant". */
    public function getError(): string
    {
        return $this->error;
    }

    /** The server's `error_description`, if it sent one. Server-provided text: treat it as untrusted. */
    public function getErrorDescription(): ?string
    {
        return $this->errorDescription;
    }

    /** The server's `error_uri`, if it sent one. */
    public function getErrorUri(): ?string
    {
        return $this->errorUri;
    }
}
