<?php

/*
 * The opcache preload script of qflow/auth, for PHP-FPM (whose default ffi.enable=preload lets only
 * preloaded code use FFI) and any server where the library should be loaded once at start-up:
 *
 *     opcache.preload=/path/to/vendor/qflow/auth/preload.php
 *
 * It preloads the package's classes and declares the FFI scope QFLOW_AUTH, which the package then uses
 * through FFI::scope(). The library is found as always (QFLOW_AUTH_LIB, the package's lib/ folder, the
 * system's search path), in the environment of the process that starts PHP. If your application has its
 * own preload script, require this file from it. See the package's README, "PHP-FPM and preloading".
 */

declare(strict_types=1);

require_once __DIR__ . '/autoload.php';

QFlow\Auth\Library::preload();
