<?php

declare(strict_types=1);

namespace QFlow\Auth\Exception;

/**
 * TLS failed: a certificate not signed by a trusted CA (see the `ca_file` option), expired, or for another
 * host name, or a failed handshake.
 */
class TlsException extends TransportException
{
}
