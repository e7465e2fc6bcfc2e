<?php

/*
 * A client made from the identity server's authority URL (OpenID Connect discovery), the endpoints it found,
 * then the token's lifecycle at the server: who the user is (userinfo), whether the token is active
 * (introspection), and signing out (revocation).
 *
 *   QFLOW_AUTHORITY  the authority (default: https://identity.qflowhub.io/core)
 *   QFLOW_CA_FILE    optional PEM file of extra CA certificates to trust
 *   QFLOW_AUTH_LIB   the native library, if it is not in the package's lib/ folder or the system's path
 */

declare(strict_types=1);

require __DIR__ . '/../../bindings/php/autoload.php'; // in your project: require 'vendor/autoload.php';

use QFlow\Auth\Exception\HttpException;
use QFlow\Auth\Exception\OAuthException;
use QFlow\Auth\Exception\QFlowAuthException;
use QFlow\Auth\TokenClient;

$options = [];
if (getenv('QFLOW_CA_FILE')) {
    $options['ca_file'] = getenv('QFLOW_CA_FILE');
}

try {
    // Reads <authority>/.well-known/openid-configuration (cached for an hour in this process).
    $client = TokenClient::fromAuthority(getenv('QFLOW_AUTHORITY') ?: 'https://identity.qflowhub.io/core',
        'acme_resowner', '96184159-60d4-4ad4-a11e-0ff3ddcc6678', $options);
    echo "issuer: {$client->getIssuer()}\n";
    echo "token endpoint: {$client->getTokenUrl()}\n";                  // what the document named
    echo 'revocation endpoint: ', $client->getRevocationUrl() ?? 'none', "\n";
    if ($client->getDiscoveryWarning() !== null) {
        fwrite(STDERR, "note: {$client->getDiscoveryWarning()}\n"); // e.g. another issuer: worth logging, not fatal
    }

    $token = $client->requestPasswordToken('joe.bloggs@example.com', 'secret1234', 'qflowapi openid offline_access');

    $user = $client->getUserInfo($token->getAccessToken()); // needs the openid scope
    echo "signed in as {$user->get('email')} (subject {$user->get('sub')})\n";

    $claims = $client->introspectToken($token->getAccessToken(), 'access_token');
    echo 'the token is ', $claims->isActive() ? "active, for scope \"{$claims->get('scope')}\"" : 'not active', "\n";

    // Signing out: revoke the refresh token, then the access token.
    $client->revokeToken($token->getRefreshToken(), 'refresh_token');
    $client->revokeToken($token->getAccessToken(), 'access_token');
    echo 'after revocation the token is ', $client->introspectToken($token->getAccessToken())->isActive() ? 'still active' : 'not active', "\n";
} catch (OAuthException $e) {
    // e.g. invalid_token (HTTP 401) or insufficient_scope (403) from userinfo, invalid_client from revocation
    fwrite(STDERR, "refused: {$e->getError()}, HTTP {$e->getHttpStatus()}\n");
    exit(1);
} catch (HttpException $e) {
    // e.g. 503 from revocation: the server says when to try again (Retry-After)
    $retry = $e->getRetryAfter() === null ? '' : ", retry after {$e->getRetryAfter()} s";
    fwrite(STDERR, "HTTP {$e->getHttpStatus()}$retry: {$e->getMessage()}\n");
    exit(1);
} catch (QFlowAuthException $e) {
    fwrite(STDERR, "failed: {$e->getMessage()}\n");
    exit(1);
}
