<?php

declare(strict_types=1);

namespace QFlow\Auth\Exception;

/**
 * The request was cancelled from another thread (the library's QFLOW_STATUS_CANCELLED). PHP runs each
 * request on the calling thread and this package offers no way to cancel one, so PHP code only sees it
 * if native code in the same process attached a cancel token to the thread; it exists so that every
 * status of the library has its exception.
 */
class CancelledException extends QFlowAuthException
{
}
