<?php

declare(strict_types=1);

namespace QFlow\Auth\Exception;

/**
 * The native library could not be loaded. The message says what is wrong (FFI missing or disabled, or
 * each path tried and why it failed) and what to do; getAttempts() lists the paths and reasons.
 */
class LibraryLoadException extends QFlowAuthException
{
    /** @var array<string, string> */
    private array $attempts;

    /** @param array<string, string> $attempts path tried => why it failed */
    public function __construct(string $message, array $attempts = [], ?\Throwable $previous = null)
    {
        parent::__construct($message, null, $previous);
        $this->attempts = $attempts;
    }

    /** @return array<string, string> each path tried => why it failed, in the order tried */
    public function getAttempts(): array
    {
        return $this->attempts;
    }
}
