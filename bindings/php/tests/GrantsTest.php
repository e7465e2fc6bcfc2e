<?php

declare(strict_types=1);

namespace QFlow\Auth\Tests;

use PHPUnit\Framework\TestCase;
use QFlow\Auth\Exception\OAuthException;
use QFlow\Auth\TokenClient;

/** Every grant against the local identity server, the token's fields, and connection reuse. */
final class GrantsTest extends TestCase
{
    private const RESOWNER = 'acme_resowner';
    private const JOE = 'joe.bloggs@example.com';

    private static function resowner(string $modes = 'core'): TokenClient
    {
        return new TokenClient(Local::url($modes), self::RESOWNER, Local::client(self::RESOWNER)['secret']);
    }

    public function testTheQuickStartOneLinerReturnsAnAccessToken(): void
    {
        $tag = Local::tag();
        $token = TokenClient::fetchAccessToken(Local::url("tag-$tag"), self::RESOWNER,
            Local::client(self::RESOWNER)['secret'], self::JOE, Local::password(self::JOE));

        self::assertStringStartsWith('at-', $token);
        $form = Local::form(Local::log($tag)[0]);
        self::assertSame('password', $form['grant_type']);
        self::assertSame('qflowapi openid offline_access', $form['scope'], 'the default scope');
    }

    public function testTheOneLinerAcceptsTheQuickStartsPlusSeparatedScope(): void
    {
        $tag = Local::tag();
        TokenClient::fetchAccessToken(Local::url("tag-$tag"), self::RESOWNER, Local::client(self::RESOWNER)['secret'],
            self::JOE, Local::password(self::JOE), 'qflowapi+openid');

        self::assertSame('qflowapi openid', Local::form(Local::log($tag)[0])['scope']);
    }

    public function testTheOneLinerReusesItsConnection(): void
    {
        $tag = Local::tag();
        for ($i = 0; $i < 3; $i++) {
            TokenClient::fetchAccessToken(Local::url("tag-$tag"), self::RESOWNER, Local::client(self::RESOWNER)['secret'],
                self::JOE, Local::password(self::JOE));
        }

        self::assertSame(['requests' => 3, 'connections' => 1], array_intersect_key(Local::stats($tag), ['requests' => 0, 'connections' => 0]));
    }

    public function testPasswordGrantGivesEveryFieldOfTheToken(): void
    {
        $before = time();
        $token = self::resowner()->requestPasswordToken(self::JOE, Local::password(self::JOE), 'qflowapi openid offline_access');

        self::assertStringStartsWith('at-', $token->getAccessToken());
        self::assertSame('Bearer', $token->getTokenType());
        self::assertSame(3600, $token->getExpiresIn());
        self::assertGreaterThanOrEqual($before + 3600, $token->getExpiresAt()->getTimestamp());
        self::assertLessThanOrEqual(time() + 3600, $token->getExpiresAt()->getTimestamp());
        self::assertSame('+00:00', $token->getExpiresAt()->format('P'));
        self::assertFalse($token->isExpired());
        self::assertFalse($token->isExpired(60));
        self::assertTrue($token->isExpired(7200));
        self::assertStringStartsWith('rt-', $token->getRefreshToken());
        self::assertCount(3, explode('.', $token->getIdToken()), 'a JWT');
        self::assertNull($token->getScope(), 'IdentityServer3 does not send scope');
        self::assertSame('3600', $token->get('expires_in'));
        self::assertSame('Bearer', $token->get('token_type'));
        self::assertNull($token->get('missing'));
        $raw = json_decode($token->getRawJson(), true, 512, JSON_THROW_ON_ERROR);
        self::assertSame($token->getAccessToken(), $raw['access_token']);
    }

    public function testClientCredentialsGrant(): void
    {
        $tag = Local::tag();
        $client = new TokenClient(Local::url("tag-$tag"), 'acme_service', Local::client('acme_service')['secret']);
        $token = $client->requestClientCredentialsToken('qflowapi');

        self::assertStringStartsWith('at-', $token->getAccessToken());
        self::assertNull($token->getRefreshToken());
        self::assertNull($token->getIdToken());
        self::assertSame('client_credentials', Local::form(Local::log($tag)[0])['grant_type']);
        self::assertStringStartsWith('at-', $client->requestClientCredentialsToken()->getAccessToken(), 'without a scope');
    }

    public function testRefreshGrantRotatesTheRefreshToken(): void
    {
        $client = self::resowner();
        $first = $client->requestPasswordToken(self::JOE, Local::password(self::JOE), 'qflowapi offline_access');
        $second = $client->requestRefreshToken($first->getRefreshToken());

        self::assertNotSame($first->getAccessToken(), $second->getAccessToken());
        self::assertStringStartsWith('rt-', $second->getRefreshToken());
        self::assertNotSame($first->getRefreshToken(), $second->getRefreshToken());

        $narrowed = $client->requestRefreshToken($second->getRefreshToken(), 'qflowapi');
        self::assertNull($narrowed->getRefreshToken(), 'offline_access was dropped from the scope');

        $this->expectException(OAuthException::class);
        $client->requestRefreshToken($first->getRefreshToken()); // rotated away
    }

    public function testAnyGrantWithExtraParameters(): void
    {
        $tag = Local::tag();
        $special = Local::client('special_client');
        $client = new TokenClient(Local::url("tag-$tag"), 'special_client', $special['secret']);
        $token = $client->requestToken('urn:qflow:grant-type:api-key', ['api_key' => $special['api_key'], 'scope' => 'qflowapi']);

        self::assertStringStartsWith('at-', $token->getAccessToken());
        $form = Local::form(Local::log($tag)[0]);
        self::assertSame('urn:qflow:grant-type:api-key', $form['grant_type']);
        self::assertSame($special['api_key'], $form['api_key']);

        $password = $client->requestToken('password', ['username' => 'special.user@example.com',
            'password' => Local::password('special.user@example.com')]);
        self::assertStringStartsWith('at-', $password->getAccessToken(), 'a standard grant through requestToken()');
    }

    public function testAPublicClientSendsNoSecret(): void
    {
        $tag = Local::tag();
        $client = new TokenClient(Local::url("tag-$tag"), 'acme_public');
        $client->requestPasswordToken(self::JOE, Local::password(self::JOE), 'qflowapi');

        $form = Local::form(Local::log($tag)[0]);
        self::assertSame('acme_public', $form['client_id']);
        self::assertArrayNotHasKey('client_secret', $form);
    }

    public function testAClientReusesOneConnectionForAllItsRequests(): void
    {
        $tag = Local::tag();
        $client = self::resowner("tag-$tag");
        for ($i = 0; $i < 4; $i++) {
            $client->requestPasswordToken(self::JOE, Local::password(self::JOE));
        }

        $stats = Local::stats($tag);
        self::assertSame(4, $stats['requests']);
        self::assertSame(1, $stats['connections']);
    }

    public function testResponseVariants(): void
    {
        $lower = self::resowner('lowercase')->requestPasswordToken(self::JOE, Local::password(self::JOE), 'qflowapi openid');
        self::assertSame('bearer', $lower->getTokenType());
        self::assertSame('qflowapi openid', $lower->getScope());
        self::assertMatchesRegularExpression('/^\d+$/', $lower->get('iat'), 'a number member as its JSON text');

        $noExpiry = self::resowner('no-expiry')->requestPasswordToken(self::JOE, Local::password(self::JOE));
        self::assertNull($noExpiry->getExpiresIn());
        self::assertNull($noExpiry->getExpiresAt());
        self::assertFalse($noExpiry->isExpired(1_000_000), 'a token without expires_in is never reported expired');

        $stringExpiry = self::resowner('string-expiry/expires-90')->requestPasswordToken(self::JOE, Local::password(self::JOE));
        self::assertSame(90, $stringExpiry->getExpiresIn());
        self::assertTrue($stringExpiry->isExpired(120));
    }

    public function testATokenOutlivesItsClient(): void
    {
        $client = self::resowner();
        $token = $client->requestPasswordToken(self::JOE, Local::password(self::JOE));
        unset($client);

        self::assertStringStartsWith('at-', $token->getAccessToken());
    }
}
