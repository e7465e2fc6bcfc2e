<?php

declare(strict_types=1);

namespace QFlow\Auth\Exception;

/**
 * The server answered with an HTTP status that carries no OAuth error: an HTML error page, an empty 403,
 * a redirect (never followed: a token request must not be re-sent elsewhere). getHttpStatus() tells which.
 */
class HttpException extends QFlowAuthException
{
}
