<?php

/*
 * A token source instead of a token per API call: the token is cached and renewed before it expires, and,
 * through the file cache, shared by every PHP process that uses the same directory (PHP-FPM workers, cron
 * jobs). Run it twice: the second run gets its token from the cache, without asking the server.
 *
 *   QFLOW_TOKEN_URL        token endpoint (default: https://identity.qflowhub.io/core/connect/token)
 *   QFLOW_CA_FILE          optional PEM file of extra CA certificates to trust
 *   QFLOW_TOKEN_CACHE_DIR  the shared cache directory (default: <temporary directory>/qflow-auth-<uid>)
 *   QFLOW_AUTH_LIB         the native library, if it is not in the package's lib/ folder or the system's path
 */

declare(strict_types=1);

require __DIR__ . '/../../bindings/php/autoload.php'; // in your project: require 'vendor/autoload.php';

use QFlow\Auth\Exception\IoException;
use QFlow\Auth\Exception\OAuthException;
use QFlow\Auth\Exception\QFlowAuthException;
use QFlow\Auth\Exception\TransportException;
use QFlow\Auth\TokenClient;
use QFlow\Auth\TokenSource;

/**
 * Calls an API with the source's token; if the API answers 401 (the token was revoked early, say), drops the
 * token and tries once more with a renewed one. Here the "API" only shows which token it was given.
 */
function callApi(TokenSource $source, callable $send): int
{
    $status = $send($source->getAccessToken());
    if ($status === 401) {
        $source->invalidate();
        $status = $send($source->getAccessToken());
    }
    return $status;
}

$options = ['timeout_ms' => 15_000];
if (getenv('QFLOW_CA_FILE')) {
    $options['ca_file'] = getenv('QFLOW_CA_FILE');
}
$cacheDir = getenv('QFLOW_TOKEN_CACHE_DIR') ?: sys_get_temp_dir() . '/qflow-auth-' . (function_exists('posix_geteuid') ? posix_geteuid() : 'user');

try {
    // In a web application, do this once per request (or keep the objects in your service container); the file
    // cache carries the token from one request, and one worker, to the next.
    $client = new TokenClient(
        getenv('QFLOW_TOKEN_URL') ?: 'https://identity.qflowhub.io/core/connect/token',
        'acme_resowner',
        '96184159-60d4-4ad4-a11e-0ff3ddcc6678',
        $options,
    );
    // offline_access: a refresh token, to renew without the password (which the source discards)
    $source = $client->passwordTokenSource('joe.bloggs@example.com', 'secret1234', 'qflowapi openid offline_access', [
        'file_cache_dir' => $cacheDir,
    ]);

    $token = $source->getToken();
    echo "Authorization: Bearer {$token->getAccessToken()}\n";
    echo 'expires at ', $token->getExpiresAt()?->format(DATE_ATOM) ?? 'an unknown time', "\n";
    echo 'asked again: ', $source->getAccessToken() === $token->getAccessToken() ? 'the cached token' : 'a new token', "\n";

    $calls = 0;
    $status = callApi($source, static function (string $accessToken) use ($token, &$calls): int {
        $calls++;
        return $accessToken === $token->getAccessToken() ? 401 : 200; // pretend the first token was revoked
    });
    echo "the API answered $status after $calls calls\n";
} catch (OAuthException $e) {
    fwrite(STDERR, "refused: {$e->getError()} ({$e->getErrorDescription()}), HTTP {$e->getHttpStatus()}\n");
    exit(1);
} catch (IoException $e) {
    // the cache directory: its permissions changed, the disk is full...
    fwrite(STDERR, "the token cache in $cacheDir is not usable: {$e->getMessage()}\n");
    exit(1);
} catch (TransportException $e) {
    fwrite(STDERR, "unreachable, try again later: {$e->getMessage()}\n");
    exit(1);
} catch (QFlowAuthException $e) {
    fwrite(STDERR, "failed: {$e->getMessage()}\n");
    exit(1);
}
