<?php

declare(strict_types=1);

namespace QFlow\Auth\Exception;

/**
 * A value was rejected before any request was sent: empty, not UTF-8, containing a NUL byte, a malformed
 * or insecure URL, an unknown option, an unreadable CA file... The message names the parameter, e.g.
 * "password must not be empty". (A value of the wrong PHP type is a \TypeError, as usual.)
 */
class InvalidArgumentException extends QFlowAuthException
{
}
