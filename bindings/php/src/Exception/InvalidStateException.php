<?php

declare(strict_types=1);

namespace QFlow\Auth\Exception;

/**
 * The object cannot do what was asked in its current state; nothing was sent. So far: a token source whose
 * token is due (or was invalidated) with nothing left to renew it with, such as a password source made
 * without the `keep_password` option that got no refresh token (ask for the `offline_access` scope). The
 * message says what to change. A refresh token the server refuses is an OAuthException instead. (Before the
 * library's status for it, this was an InvalidArgumentException.)
 */
class InvalidStateException extends QFlowAuthException
{
}
