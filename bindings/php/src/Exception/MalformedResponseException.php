<?php

declare(strict_types=1);

namespace QFlow\Auth\Exception;

/**
 * The server's answer could not be used: not JSON, no access token in it, or larger than the size cap
 * (option `max_response_bytes`).
 */
class MalformedResponseException extends QFlowAuthException
{
}
