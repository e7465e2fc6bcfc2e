<?php

declare(strict_types=1);

namespace QFlow\Auth\Tests;

use PHPUnit\Framework\TestCase;
use QFlow\Auth\Claims;
use QFlow\Auth\Exception\HttpException;
use QFlow\Auth\Exception\InvalidArgumentException;
use QFlow\Auth\Exception\OAuthException;
use QFlow\Auth\Exception\QFlowAuthException;
use QFlow\Auth\TokenClient;

/**
 * revokeToken() (RFC 7009), introspectToken() (RFC 7662) and getUserInfo() (OpenID Connect) on a client made
 * from a token URL with the endpoint options (and the getters that report them), with the same error model as
 * token requests, plus the server's Retry-After on a 503 from revocation.
 */
final class RevocationIntrospectionUserInfoTest extends TestCase
{
    private const RESOWNER = 'acme_resowner';
    private const JOE = 'joe.bloggs@example.com';

    /** A client whose revocation, introspection and userinfo endpoints are under $modes. */
    private static function client(string $modes = 'core', ?string $secret = null): TokenClient
    {
        return new TokenClient(Local::url('core'), self::RESOWNER, $secret ?? Local::client(self::RESOWNER)['secret'], [
            'revocation_url' => Local::endpoint($modes, 'revocation'),
            'introspection_url' => Local::endpoint($modes, 'introspect'),
            'userinfo_url' => Local::endpoint($modes, 'userinfo'),
        ]);
    }

    private static function failure(callable $call): QFlowAuthException
    {
        try {
            $call();
        } catch (QFlowAuthException $e) {
            return $e;
        }
        self::fail('no exception');
    }

    public function testIntrospectionThenRevocationRoundTrip(): void
    {
        $tag = Local::tag();
        $client = self::client("tag-$tag/core");
        $token = $client->requestPasswordToken(self::JOE, Local::password(self::JOE), 'qflowapi offline_access');

        $claims = $client->introspectToken($token->getAccessToken(), 'access_token');
        self::assertInstanceOf(Claims::class, $claims);
        self::assertTrue($claims->isActive());
        self::assertSame('true', $claims->get('active'), 'a non-string member as its JSON text');
        self::assertSame(self::RESOWNER, $claims->get('client_id'));
        self::assertSame('qflowapi offline_access', $claims->get('scope'));
        self::assertSame('1001', $claims->get('sub'));
        self::assertSame((string) $token->getExpiresAt()->getTimestamp(), $claims->get('exp'));
        self::assertNull($claims->get('missing'));
        $members = $claims->toArray();
        self::assertTrue($members['active']);
        self::assertIsInt($members['exp']);
        self::assertSame($members, json_decode($claims->getRawJson(), true));

        $client->revokeToken($token->getAccessToken(), 'access_token');
        $after = $client->introspectToken($token->getAccessToken());
        self::assertFalse($after->isActive());
        self::assertSame('{"active": false}', $after->getRawJson());
        self::assertSame(['active' => false], $after->toArray());

        $client->revokeToken('never-issued'); // RFC 7009: unknown tokens are fine

        $log = Local::log($tag);
        self::assertSame(['/connect/introspect', '/connect/revocation', '/connect/introspect', '/connect/revocation'],
            array_column($log, 'endpoint'));
        foreach ($log as $request) {
            $form = Local::form($request);
            self::assertSame(Local::client(self::RESOWNER)['secret'], $form['client_secret'], 'authenticated like a token request');
            self::assertSame('POST', $request['method']);
        }
        self::assertSame('access_token', Local::form($log[1])['token_type_hint']);
        self::assertArrayNotHasKey('token_type_hint', Local::form($log[2]), 'no hint: none sent');
    }

    public function testARevokedRefreshTokenCannotBeUsed(): void
    {
        $client = self::client();
        $token = $client->requestPasswordToken(self::JOE, Local::password(self::JOE), 'qflowapi offline_access');
        self::assertSame('refresh_token', $client->introspectToken($token->getRefreshToken(), 'refresh_token')->get('token_type'));

        $client->revokeToken($token->getRefreshToken(), 'refresh_token');

        self::assertFalse($client->introspectToken($token->getRefreshToken())->isActive());
        $e = self::failure(fn () => $client->requestRefreshToken($token->getRefreshToken()));
        self::assertInstanceOf(OAuthException::class, $e);
        self::assertSame('invalid_grant', $e->getError());
    }

    public function testUserInfo(): void
    {
        $tag = Local::tag();
        $client = self::client("tag-$tag/core");
        $token = $client->requestPasswordToken(self::JOE, Local::password(self::JOE), 'qflowapi openid');

        $user = $client->getUserInfo($token->getAccessToken());
        self::assertSame(self::JOE, $user->get('email'));
        self::assertSame('1001', $user->get('sub'));
        self::assertSame(['sub' => '1001', 'email' => self::JOE, 'preferred_username' => self::JOE], $user->toArray());
        self::assertFalse($user->isActive(), 'no "active" member');

        $request = Local::log($tag)[0];
        self::assertSame('GET', $request['method']);
        self::assertSame('Bearer ' . $token->getAccessToken(), $request['headers']['authorization']);
    }

    public function testUserInfoErrorsComeFromWwwAuthenticate(): void
    {
        $client = self::client();
        $invalid = self::failure(fn () => $client->getUserInfo('at-not-issued-by-this-server'));
        self::assertInstanceOf(OAuthException::class, $invalid);
        self::assertSame('invalid_token', $invalid->getError());
        self::assertSame('the access token is not valid', $invalid->getErrorDescription());
        self::assertSame(401, $invalid->getHttpStatus());
        self::assertStringNotContainsString('at-not-issued-by-this-server', $invalid->getMessage());

        $withoutOpenid = $client->requestPasswordToken(self::JOE, Local::password(self::JOE), 'qflowapi');
        $scope = self::failure(fn () => $client->getUserInfo($withoutOpenid->getAccessToken()));
        self::assertInstanceOf(OAuthException::class, $scope);
        self::assertSame('insufficient_scope', $scope->getError());
        self::assertSame(403, $scope->getHttpStatus());
    }

    public function testRevocationUnavailableGivesTheRetryAfter(): void
    {
        $e = self::failure(fn () => self::client('unavailable')->revokeToken('at-x'));

        self::assertInstanceOf(HttpException::class, $e);
        self::assertSame(503, $e->getHttpStatus());
        self::assertSame(7, $e->getRetryAfter(), 'the Retry-After: 7 header');
        self::assertStringContainsString('retry after 7 s', $e->getMessage());

        // the value belongs to that failure: the next one, without a Retry-After, has none
        $next = self::failure(fn () => self::client('html500')->revokeToken('at-x'));
        self::assertInstanceOf(HttpException::class, $next);
        self::assertSame(500, $next->getHttpStatus());
        self::assertNull($next->getRetryAfter());
    }

    public function testAWrongClientSecretIsInvalidClient(): void
    {
        $rfc = self::failure(fn () => self::client('rfc', 'not-the-secret')->revokeToken('at-x'));
        self::assertInstanceOf(OAuthException::class, $rfc);
        self::assertSame(['invalid_client', 401], [$rfc->getError(), $rfc->getHttpStatus()]);
        self::assertStringNotContainsString('not-the-secret', $rfc->getMessage());

        $core = self::failure(fn () => self::client('core', 'not-the-secret')->introspectToken('at-x'));
        self::assertInstanceOf(OAuthException::class, $core);
        self::assertSame(['invalid_client', 400], [$core->getError(), $core->getHttpStatus()], 'IdentityServer3 style');
    }

    public function testAClientWithoutTheEndpointsSaysHowToSetThem(): void
    {
        $plain = new TokenClient(Local::url('core'), self::RESOWNER, Local::client(self::RESOWNER)['secret']);
        $calls = [
            'revocation' => fn () => $plain->revokeToken('x'),
            'introspection' => fn () => $plain->introspectToken('x'),
            'userinfo' => fn () => $plain->getUserInfo('x'),
        ];
        foreach ($calls as $name => $call) {
            $e = self::failure($call);
            self::assertInstanceOf(InvalidArgumentException::class, $e, $name);
            self::assertStringContainsString("no $name endpoint", $e->getMessage());
            self::assertStringContainsString("{$name}_url", $e->getMessage());
        }
    }

    public function testTheEndpointGetters(): void
    {
        $client = self::client('tag-x/core');
        self::assertSame(Local::url('core'), $client->getTokenUrl());
        self::assertSame(Local::endpoint('tag-x/core', 'revocation'), $client->getRevocationUrl());
        self::assertSame(Local::endpoint('tag-x/core', 'introspect'), $client->getIntrospectionUrl());
        self::assertSame(Local::endpoint('tag-x/core', 'userinfo'), $client->getUserInfoUrl());

        $plain = new TokenClient(Local::url('rfc'), self::RESOWNER);
        self::assertSame(Local::url('rfc'), $plain->getTokenUrl());
        self::assertNull($plain->getRevocationUrl(), 'no revocation endpoint');
        self::assertNull($plain->getIntrospectionUrl(), 'no introspection endpoint');
        self::assertNull($plain->getUserInfoUrl(), 'no userinfo endpoint');

        $onlyUserInfo = new TokenClient(Local::url('core'), self::RESOWNER, null,
            ['userinfo_url' => Local::endpoint('core', 'userinfo'), 'revocation_url' => null]);
        self::assertSame([null, null, Local::endpoint('core', 'userinfo')],
            [$onlyUserInfo->getRevocationUrl(), $onlyUserInfo->getIntrospectionUrl(), $onlyUserInfo->getUserInfoUrl()]);
    }

    public function testTheEndpointOptions(): void
    {
        $new = static fn (array $options) => new TokenClient(Local::url('core'), self::RESOWNER, null, $options);
        foreach (['revocation_url', 'introspection_url', 'userinfo_url'] as $option) {
            $empty = self::failure(fn () => $new([$option => '']));
            self::assertInstanceOf(InvalidArgumentException::class, $empty);
            self::assertStringContainsString('must not be empty', $empty->getMessage());

            $malformed = self::failure(fn () => $new([$option => 'not a url']));
            self::assertInstanceOf(InvalidArgumentException::class, $malformed);
            self::assertStringContainsString(str_replace('_url', '', $option), $malformed->getMessage());

            $insecure = self::failure(fn () => $new([$option => 'http://identity.example.com/core/connect/x']));
            self::assertInstanceOf(InvalidArgumentException::class, $insecure, "$option: http:// to a remote host");

            $unset = $new([$option => null]);
            self::assertInstanceOf(InvalidArgumentException::class, self::failure(fn () => $unset->revokeToken('x')), 'null: none');

            try {
                $new([$option => 42]);
                self::fail("$option accepted an int");
            } catch (\TypeError $e) {
                self::assertStringStartsWith("option $option must be of type ?string", $e->getMessage());
            }
        }
    }

    public function testIntrospectingTheTokenOfASource(): void
    {
        $client = self::client();
        $source = $client->passwordTokenSource(self::JOE, Local::password(self::JOE), 'qflowapi openid offline_access');
        $token = $source->getToken();
        self::assertTrue($client->introspectToken($token->getAccessToken())->isActive());

        // After the API says 401 (here: the token was revoked), invalidate() and the next token works again.
        $client->revokeToken($token->getAccessToken(), 'access_token');
        self::assertSame('invalid_token', self::failure(fn () => $client->getUserInfo($token->getAccessToken()))->getError());
        $source->invalidate();
        self::assertSame(self::JOE, $client->getUserInfo($source->getAccessToken())->get('email'));
    }
}
