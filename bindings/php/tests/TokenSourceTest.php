<?php

declare(strict_types=1);

namespace QFlow\Auth\Tests;

use PHPUnit\Framework\TestCase;
use QFlow\Auth\Exception\HttpException;
use QFlow\Auth\Exception\InvalidArgumentException;
use QFlow\Auth\Exception\InvalidStateException;
use QFlow\Auth\Exception\OAuthException;
use QFlow\Auth\Exception\QFlowAuthException;
use QFlow\Auth\TokenClient;
use QFlow\Auth\TokenSource;

/**
 * Token sources in one process: the cached path makes no request, short-lived tokens are renewed with the
 * (rotated) refresh token, invalidate() forces a renewal, failures are thrown and not cached, and the password
 * is discarded unless kept. The server's requests are counted through its /_stats and /_log.
 */
final class TokenSourceTest extends TestCase
{
    private const RESOWNER = 'acme_resowner';
    private const SERVICE = 'acme_service';
    private const JOE = 'joe.bloggs@example.com';

    private static function client(string $modes, string $id = self::RESOWNER, array $options = []): TokenClient
    {
        return new TokenClient(Local::url($modes), $id, Local::client($id)['secret'], $options);
    }

    private static function joe(string $modes, ?string $scope = 'qflowapi openid offline_access', array $options = []): TokenSource
    {
        return self::client($modes)->passwordTokenSource(self::JOE, Local::password(self::JOE), $scope, $options);
    }

    /** A client that can revoke tokens at the local server. */
    private static function revoker(): TokenClient
    {
        return self::client('core', self::RESOWNER, ['revocation_url' => Local::endpoint('core', 'revocation')]);
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

    public function testTheCachedTokenComesWithoutARequest(): void
    {
        $tag = Local::tag();
        $source = self::client("tag-$tag/core", self::SERVICE)->clientCredentialsTokenSource('qflowapi');
        self::assertSame(0, Local::stats($tag)['requests'], 'a client credentials source asks on first use');

        $first = $source->getToken();
        for ($i = 0; $i < 500; $i++) {
            self::assertSame($first->getAccessToken(), $source->getAccessToken());
        }

        self::assertSame(1, Local::requests($tag));
        self::assertSame(1, Local::stats($tag)['requests'], 'and nothing else was sent');
        self::assertSame(['client_credentials'], Local::grants($tag));
        self::assertSame('qflowapi', Local::form(Local::log($tag)[0])['scope']);
    }

    public function testAPasswordSourceSignsInWhenMadeThenServesTheCachedToken(): void
    {
        $tag = Local::tag();
        $source = self::joe("tag-$tag/core");
        self::assertSame(1, Local::requests($tag), 'the first token is requested when the source is made');

        $token = $source->getToken();
        self::assertStringStartsWith('at-', $token->getAccessToken());
        self::assertStringStartsWith('rt-', $token->getRefreshToken());
        self::assertSame(3600, $token->getExpiresIn());
        for ($i = 0; $i < 100; $i++) {
            self::assertSame($token->getAccessToken(), $source->getAccessToken());
        }

        self::assertSame(1, Local::requests($tag));
        $form = Local::form(Local::log($tag)[0]);
        self::assertSame(['password', self::JOE, 'qflowapi openid offline_access'], [$form['grant_type'], $form['username'], $form['scope']]);
    }

    public function testShortLivedTokensAreRenewedWithTheRotatedRefreshToken(): void
    {
        $tag = Local::tag();
        // expires_in 1 and no skew: each token is served until it expires, then renewed
        $source = self::joe("tag-$tag/expires-1/core", 'qflowapi offline_access', ['skew_seconds' => 0]);
        $seen = [];
        for ($round = 0; $round < 3; $round++) {
            if ($round > 0) {
                usleep(1_100_000);
            }
            $seen[] = $source->getAccessToken();
            self::assertSame(end($seen), $source->getAccessToken(), 'still valid: the same token');
        }

        self::assertCount(3, array_unique($seen), 'one new token per expiry');
        self::assertSame(['password', 'refresh_token', 'refresh_token'], Local::grants($tag));
        $refreshTokensSent = [];
        foreach (array_slice(Local::log($tag), 1) as $request) {
            $form = Local::form($request);
            self::assertArrayNotHasKey('password', $form, 'the password is sent once');
            $refreshTokensSent[] = $form['refresh_token'];
        }
        // The server's refresh tokens are one-time-only: the second refresh succeeding with another refresh token
        // than the first proves that the rotated one was stored.
        self::assertCount(2, array_unique($refreshTokensSent));
    }

    public function testTheSkewOptionDecidesWhenATokenIsRenewed(): void
    {
        // expires_in 2: with the default skew (60 s) it is renewed at half its lifetime; with 0, at expiry only
        $early = Local::tag();
        $late = Local::tag();
        $default = self::client("tag-$early/expires-2/core", self::SERVICE)->clientCredentialsTokenSource();
        $atExpiry = self::client("tag-$late/expires-2/core", self::SERVICE)->clientCredentialsTokenSource(null, ['skew_seconds' => 0]);
        $first = [$default->getAccessToken(), $atExpiry->getAccessToken()];
        usleep(1_300_000);

        self::assertNotSame($first[0], $default->getAccessToken(), 'renewed after half of its lifetime');
        self::assertSame($first[1], $atExpiry->getAccessToken(), 'still served: it has not expired');
        self::assertSame([2, 1], [Local::requests($early), Local::requests($late)]);
    }

    public function testInvalidateForcesARenewal(): void
    {
        $tag = Local::tag();
        $service = self::client("tag-$tag/core", self::SERVICE)->clientCredentialsTokenSource();
        $before = $service->getAccessToken();
        $service->invalidate();
        $after = $service->getAccessToken();

        self::assertNotSame($before, $after);
        self::assertSame($after, $service->getAccessToken(), 'the renewed token is cached in turn');
        self::assertSame(['client_credentials', 'client_credentials'], Local::grants($tag));

        $joeTag = Local::tag();
        $joe = self::joe("tag-$joeTag/core");
        $before = $joe->getAccessToken();
        $joe->invalidate();
        $joe->invalidate(); // twice: harmless
        self::assertNotSame($before, $joe->getAccessToken());
        self::assertSame(['password', 'refresh_token'], Local::grants($joeTag), 'renewed with the refresh token');
    }

    public function testAFailedRenewalIsThrownAndNotCached(): void
    {
        $tag = Local::tag();
        $source = self::client("tag-$tag/html500", self::SERVICE)->clientCredentialsTokenSource();
        for ($attempt = 1; $attempt <= 2; $attempt++) {
            try {
                $source->getToken();
                self::fail('no exception');
            } catch (HttpException $e) {
                self::assertSame(500, $e->getHttpStatus());
            }
            self::assertSame($attempt, Local::requests($tag), 'each call asks again: the failure was not cached');
        }

        // A refresh token that stopped working: OAuthException, and again on the next call
        $joeTag = Local::tag();
        $joe = self::joe("tag-$joeTag/core");
        self::revoker()->revokeToken($joe->getToken()->getRefreshToken(), 'refresh_token');
        $joe->invalidate();
        for ($attempt = 1; $attempt <= 2; $attempt++) {
            try {
                $joe->getToken();
                self::fail('no exception');
            } catch (OAuthException $e) {
                self::assertSame('invalid_grant', $e->getError());
                self::assertSame(400, $e->getHttpStatus());
            }
        }
        self::assertSame(['password', 'refresh_token', 'refresh_token'], Local::grants($joeTag));
    }

    public function testAPasswordSourceThatCannotSignInIsNotMade(): void
    {
        $tag = Local::tag();
        try {
            self::client("tag-$tag/core")->passwordTokenSource(self::JOE, 'not-the-password', 'qflowapi');
            self::fail('no exception');
        } catch (OAuthException $e) {
            self::assertSame('invalid_grant', $e->getError());
            self::assertSame('invalid_username_or_password', $e->getErrorDescription());
            self::assertStringNotContainsString('not-the-password', $e->getMessage());
        }
        self::assertSame(1, Local::requests($tag));
    }

    public function testThePasswordIsDiscardedUnlessKept(): void
    {
        // Without offline_access there is no refresh token; without the password nothing can renew.
        $tag = Local::tag();
        $discarded = self::joe("tag-$tag/core", 'qflowapi');
        self::assertNull($discarded->getToken()->getRefreshToken());
        $discarded->invalidate();
        try {
            $discarded->getToken();
            self::fail('renewed without a password or refresh token');
        } catch (InvalidStateException $e) {
            self::assertStringContainsString('keep_password', $e->getMessage());
            self::assertStringContainsString('offline_access', $e->getMessage());
            self::assertNull($e->getHttpStatus());
        }
        self::assertSame(1, Local::requests($tag), 'nothing was sent for the refused renewal');
        // the state of the source, not an argument, is at fault: no longer an InvalidArgumentException
        self::assertSame(QFlowAuthException::class, get_parent_class(InvalidStateException::class));
        self::assertFalse(is_a(InvalidStateException::class, InvalidArgumentException::class, true));
        self::assertInstanceOf(InvalidStateException::class, self::failure(static fn () => $discarded->getAccessToken()),
            'and again on the next call');

        $keptTag = Local::tag();
        $kept = self::joe("tag-$keptTag/core", 'qflowapi', ['keep_password' => true]);
        self::assertSame(0, Local::requests($keptTag), 'with a kept password, the first request waits for the first use');
        $before = $kept->getAccessToken();
        $kept->invalidate();
        self::assertNotSame($before, $kept->getAccessToken());
        self::assertSame(['password', 'password'], Local::grants($keptTag), 'signed in again with the kept password');
    }

    public function testAKeptPasswordSignsInAgainWhenTheRefreshTokenIsRevoked(): void
    {
        $tag = Local::tag();
        $source = self::joe("tag-$tag/core", 'qflowapi offline_access', ['keep_password' => true]);
        $first = $source->getToken();
        self::revoker()->revokeToken($first->getRefreshToken(), 'refresh_token');
        $source->invalidate();

        self::assertNotSame($first->getAccessToken(), $source->getAccessToken());
        self::assertSame(['password', 'refresh_token', 'password'], Local::grants($tag), 'refresh refused, then a new sign-in');
    }

    public function testARefreshTokenSourceKeepsTheRotatedRefreshToken(): void
    {
        $saved = self::client('core')->requestPasswordToken(self::JOE, Local::password(self::JOE), 'qflowapi offline_access')
            ->getRefreshToken();
        $tag = Local::tag();
        $client = self::client("tag-$tag/core");
        $source = $client->refreshTokenSource($saved);
        self::assertSame(0, Local::requests($tag), 'no request before the first use');

        $first = $source->getToken();
        $source->invalidate();
        $second = $source->getToken();

        self::assertNotSame($first->getAccessToken(), $second->getAccessToken());
        self::assertSame(['refresh_token', 'refresh_token'], Local::grants($tag));
        [$a, $b] = array_map(static fn (array $r): string => Local::form($r)['refresh_token'], Local::log($tag));
        self::assertSame($saved, $a);
        self::assertSame($first->getRefreshToken(), $b, 'the second renewal used the rotated refresh token');
        self::assertNotSame($saved, $second->getRefreshToken(), 'the newest refresh token, to save again');

        $this->expectException(OAuthException::class);
        $client->refreshTokenSource($saved)->getToken(); // rotated away: one-time-only
    }

    public function testTokensOutliveTheirSourceAndSourcesTheirClient(): void
    {
        $client = self::client('core', self::SERVICE);
        $source = $client->clientCredentialsTokenSource('qflowapi');
        unset($client);
        $token = $source->getToken();
        unset($source);

        self::assertStringStartsWith('at-', $token->getAccessToken());
        self::assertFalse($token->isExpired(60));
    }

    public function testASourceUsesItsClientsOptions(): void
    {
        $https = new TokenClient(Local::httpsUrl(), self::SERVICE, Local::client(self::SERVICE)['secret'], ['ca_file' => Local::caFile()]);
        self::assertStringStartsWith('at-', $https->clientCredentialsTokenSource()->getAccessToken());

        $tag = Local::tag();
        self::client("tag-$tag/core", self::SERVICE, ['user_agent' => 'source-test/1'])->clientCredentialsTokenSource()->getToken();
        self::assertSame('source-test/1', Local::log($tag)[0]['headers']['user-agent']);
    }
}
