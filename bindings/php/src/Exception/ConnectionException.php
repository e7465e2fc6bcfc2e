<?php

declare(strict_types=1);

namespace QFlow\Auth\Exception;

/** The server could not be reached or the connection broke: DNS failure, refused, reset, closed early. */
class ConnectionException extends TransportException
{
}
