<?php

/*
 * Class loading without Composer (with Composer, vendor/autoload.php does this): a PSR-4 autoloader for
 * the QFlow\Auth\ namespace. Used by preload.php, bin/qflow-auth-ffi-header, the tests and the examples.
 */

declare(strict_types=1);

spl_autoload_register(static function (string $class): void {
    $prefix = 'QFlow\\Auth\\';
    if (strncmp($class, $prefix, strlen($prefix)) === 0) {
        $file = __DIR__ . '/src/' . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
        if (is_file($file)) {
            require $file;
        }
    }
});
