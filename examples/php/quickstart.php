<?php

/*
 * QFlow Hub's quick-start in PHP, done right: one call gets an access token with the password grant.
 * Values are form-encoded correctly (a password with & or + works), errors are reported, and repeated
 * calls reuse the connection.
 *
 *   QFLOW_TOKEN_URL  token endpoint (default: https://identity.qflowhub.io/core/connect/token)
 *   QFLOW_AUTH_LIB   the native library, if it is not in the package's lib/ folder or the system's path
 */

declare(strict_types=1);

require __DIR__ . '/../../bindings/php/autoload.php'; // in your project: require 'vendor/autoload.php';

use QFlow\Auth\Exception\QFlowAuthException;
use QFlow\Auth\TokenClient;

try {
    echo TokenClient::fetchAccessToken(
        getenv('QFLOW_TOKEN_URL') ?: null, // null: QFlow Hub's token endpoint
        'acme_resowner',
        '96184159-60d4-4ad4-a11e-0ff3ddcc6678',
        'joe.bloggs@example.com',
        'secret1234',
        'qflowapi openid offline_access',
    ), "\n";
} catch (QFlowAuthException $e) {
    fwrite(STDERR, 'could not get a token: ' . $e->getMessage() . "\n");
    exit(1);
}
