<?php

declare(strict_types=1);

namespace QFlow\Auth\Exception;

/** The connect timeout or the overall timeout (options `connect_timeout_ms`, `timeout_ms`) expired. */
class TimeoutException extends TransportException
{
}
