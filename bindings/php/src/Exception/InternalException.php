<?php

declare(strict_types=1);

namespace QFlow\Auth\Exception;

/** A bug in the native library (or a status this package does not know). Please report it. */
class InternalException extends QFlowAuthException
{
}
