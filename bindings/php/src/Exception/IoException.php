<?php

declare(strict_types=1);

namespace QFlow\Auth\Exception;

/**
 * A local file operation failed: creating, writing, locking or removing a file in a token source's
 * `file_cache_dir` (permissions, a full disk, a lock). A problem of the environment, not of the server or of
 * this package; the message names the file and the kind of failure, e.g. "cannot open the token cache file
 * /run/qflow-auth/www-data/qflow-token-<digest>.lock: permission denied". (Before the library's status for
 * it, this was an InternalException.)
 */
class IoException extends QFlowAuthException
{
}
