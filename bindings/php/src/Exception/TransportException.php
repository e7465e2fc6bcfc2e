<?php

declare(strict_types=1);

namespace QFlow\Auth\Exception;

/**
 * No usable answer came back: see the subclasses ConnectionException (the server could not be reached or
 * the connection broke), TimeoutException and TlsException. Usually worth retrying later, except TLS errors.
 */
class TransportException extends QFlowAuthException
{
}
