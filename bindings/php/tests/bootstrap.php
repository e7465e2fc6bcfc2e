<?php

/*
 * PHPUnit bootstrap: the package's autoloader plus the tests' namespace. The suite expects the local
 * identity server and the library that tests/run.sh provides (QFLOW_TEST_HTTP, QFLOW_TEST_HTTPS,
 * QFLOW_TEST_CA_FILE, QFLOW_AUTH_LIB); run it through that script.
 */

declare(strict_types=1);

require_once dirname(__DIR__) . '/autoload.php';

spl_autoload_register(static function (string $class): void {
    $prefix = 'QFlow\\Auth\\Tests\\';
    if (strncmp($class, $prefix, strlen($prefix)) === 0) {
        $file = __DIR__ . '/' . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
        if (is_file($file)) {
            require $file;
        }
    }
});

foreach (['QFLOW_TEST_HTTP', 'QFLOW_TEST_HTTPS', 'QFLOW_TEST_CA_FILE', 'QFLOW_AUTH_LIB'] as $name) {
    if (getenv($name) === false) {
        fwrite(STDERR, "$name is not set: run the PHP suite with bindings/php/tests/run.sh\n");
        exit(2);
    }
}
