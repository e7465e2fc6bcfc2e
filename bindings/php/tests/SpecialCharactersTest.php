<?php

declare(strict_types=1);

namespace QFlow\Auth\Tests;

use PHPUnit\Framework\TestCase;
use QFlow\Auth\AuthMethod;
use QFlow\Auth\Exception\OAuthException;
use QFlow\Auth\TokenClient;

/**
 * Credentials with `&`, `+`, `=`, `%`, spaces, `:` and non-ASCII letters, which the quick-start's PHP
 * snippet sends wrongly. The server compares the decoded values with its fixtures, so a token proves the
 * encoding; the log shows the values as they arrived.
 */
final class SpecialCharactersTest extends TestCase
{
    private const SPECIAL_USER = 'special.user@example.com';
    private const UNICODE_USER = 'zoë@example.com';

    public function testEveryCredentialOfThePasswordGrantArrivesIntact(): void
    {
        $tag = Local::tag();
        $secret = Local::client('special_client')['secret'];
        $client = new TokenClient(Local::url("tag-$tag"), 'special_client', $secret);
        $first = $client->requestPasswordToken(self::SPECIAL_USER, Local::password(self::SPECIAL_USER), 'qflowapi offline_access');
        $client->requestPasswordToken(self::UNICODE_USER, Local::password(self::UNICODE_USER), 'qflowapi');
        $client->requestRefreshToken($first->getRefreshToken());

        [$special, $unicode, $refresh] = array_map([Local::class, 'form'], Local::log($tag));
        self::assertSame($secret, $special['client_secret']);
        self::assertSame(self::SPECIAL_USER, $special['username']);
        self::assertSame(Local::password(self::SPECIAL_USER), $special['password']);
        self::assertSame(self::UNICODE_USER, $unicode['username']);
        self::assertSame(Local::password(self::UNICODE_USER), $unicode['password']);
        self::assertSame($first->getRefreshToken(), $refresh['refresh_token']);
    }

    public function testTheOneLinerEncodesSpecialCharactersToo(): void
    {
        $token = TokenClient::fetchAccessToken(Local::url(), 'special_client', Local::client('special_client')['secret'],
            self::SPECIAL_USER, Local::password(self::SPECIAL_USER), 'qflowapi');

        self::assertStringStartsWith('at-', $token);
    }

    public function testSpecialCharactersInExtraParameters(): void
    {
        $special = Local::client('special_client');
        $client = new TokenClient(Local::url(), 'special_client', $special['secret']);

        $token = $client->requestToken('urn:qflow:grant-type:api-key', ['api_key' => $special['api_key']]);

        self::assertStringStartsWith('at-', $token->getAccessToken());
    }

    public function testASecretWithReservedCharactersInEachClientAuthenticationMethod(): void
    {
        $secret = Local::client('special_client')['secret'];
        $cases = [
            ['core', AuthMethod::ClientSecretPost],
            ['core', 'client_secret_basic_unencoded'], // IdentityServer3 does not decode Basic credentials
            ['rfc', AuthMethod::ClientSecretBasic],   // RFC 6749 section 2.3.1: form-encoded, then Basic
        ];
        foreach ($cases as [$mode, $method]) {
            $client = new TokenClient(Local::url($mode), 'special_client', $secret, ['auth_method' => $method]);
            $token = $client->requestClientCredentialsToken('qflowapi');
            self::assertStringStartsWith('at-', $token->getAccessToken(), "$mode with " . ($method instanceof AuthMethod ? $method->value : $method));
        }
    }

    public function testAClientIdWithSpecialCharactersArrivesIntact(): void
    {
        $tag = Local::tag();
        $clientId = 'acme & co+ =%é';
        $client = new TokenClient(Local::url("tag-$tag"), $clientId, 'x&y');
        try {
            $client->requestClientCredentialsToken();
            self::fail('the server knows no such client');
        } catch (OAuthException $e) {
            self::assertSame('invalid_client', $e->getError());
        }

        $form = Local::form(Local::log($tag)[0]);
        self::assertSame($clientId, $form['client_id']);
        self::assertSame('x&y', $form['client_secret']);
    }
}
