<?php

/*
 * A TokenClient created once and reused: options, the token's expiry, refreshing it, and telling the
 * server's refusals from other failures.
 *
 *   QFLOW_TOKEN_URL  token endpoint (default: https://identity.qflowhub.io/core/connect/token)
 *   QFLOW_CA_FILE    optional PEM file of extra CA certificates to trust
 *   QFLOW_AUTH_LIB   the native library, if it is not in the package's lib/ folder or the system's path
 */

declare(strict_types=1);

require __DIR__ . '/../../bindings/php/autoload.php'; // in your project: require 'vendor/autoload.php';

use QFlow\Auth\Exception\OAuthException;
use QFlow\Auth\Exception\QFlowAuthException;
use QFlow\Auth\Exception\TransportException;
use QFlow\Auth\TokenClient;

$options = ['timeout_ms' => 15_000];
if (getenv('QFLOW_CA_FILE')) {
    $options['ca_file'] = getenv('QFLOW_CA_FILE');
}
$client = new TokenClient(
    getenv('QFLOW_TOKEN_URL') ?: 'https://identity.qflowhub.io/core/connect/token',
    'acme_resowner',
    '96184159-60d4-4ad4-a11e-0ff3ddcc6678',
    $options,
);

try {
    $token = $client->requestPasswordToken('joe.bloggs@example.com', 'secret1234', 'qflowapi openid offline_access');
    echo "Authorization: Bearer {$token->getAccessToken()}\n";
    echo 'expires at ', $token->getExpiresAt()?->format(DATE_ATOM) ?? 'an unknown time', "\n";

    // Later, once $token->isExpired(60) (expired, or will be within a minute), refresh it. The server
    // may rotate the refresh token: keep the new token, not the old one.
    $token = $client->requestRefreshToken($token->getRefreshToken());
    echo "refreshed: $token\n"; // a Token prints without its secrets
} catch (OAuthException $e) {
    // The server said no: invalid_grant (wrong password, expired refresh token), invalid_client, ...
    fwrite(STDERR, "refused: {$e->getError()} ({$e->getErrorDescription()}), HTTP {$e->getHttpStatus()}\n");
    exit(1);
} catch (TransportException $e) {
    fwrite(STDERR, "unreachable, try again later: {$e->getMessage()}\n"); // connection, TLS, timeout
    exit(1);
} catch (QFlowAuthException $e) {
    fwrite(STDERR, "failed: {$e->getMessage()}\n");
    exit(1);
}
