<?php

declare(strict_types=1);

namespace QFlow\Auth\Tests;

use PHPUnit\Framework\TestCase;
use QFlow\Auth\Exception\ConnectionException;
use QFlow\Auth\Exception\HttpException;
use QFlow\Auth\Exception\InvalidArgumentException;
use QFlow\Auth\Exception\MalformedResponseException;
use QFlow\Auth\Exception\QFlowAuthException;
use QFlow\Auth\Exception\TlsException;
use QFlow\Auth\TokenClient;

/**
 * TokenClient::fromAuthority(): the endpoints from the OpenID Connect discovery document under the
 * IdentityServer3-style `/core` path, another issuer reported, RFC 8414's location as a fallback, insecure
 * endpoints refused. Every authority carries a fresh tag, since the library caches documents per process.
 */
final class DiscoveryTest extends TestCase
{
    private const RESOWNER = 'acme_resowner';
    private const JOE = 'joe.bloggs@example.com';
    private const OIDC = '/.well-known/openid-configuration';

    private static function discover(string $authority, array $options = []): TokenClient
    {
        return TokenClient::fromAuthority($authority, self::RESOWNER, Local::client(self::RESOWNER)['secret'], $options);
    }

    private static function failure(string $authority, array $options = []): QFlowAuthException
    {
        try {
            self::discover($authority, $options);
        } catch (QFlowAuthException $e) {
            return $e;
        }
        self::fail("discovery at $authority succeeded");
    }

    public function testEveryEndpointComesFromTheDocumentUnderTheCorePath(): void
    {
        $tag = Local::tag();
        $authority = Local::authority("tag-$tag/core");
        $client = self::discover($authority);

        self::assertSame($authority, $client->getAuthority());
        self::assertSame($authority, $client->getIssuer());
        self::assertNull($client->getDiscoveryWarning());
        self::assertSame("$authority/connect/token", $client->getTokenUrl(), 'what discovery found');
        self::assertSame("$authority/connect/revocation", $client->getRevocationUrl());
        self::assertSame("$authority/connect/introspect", $client->getIntrospectionUrl());
        self::assertSame("$authority/connect/userinfo", $client->getUserInfoUrl());
        self::assertSame(['authority' => $authority, 'clientId' => self::RESOWNER], $client->__debugInfo());
        self::assertSame(self::RESOWNER, $client->getClientId());
        $discovery = Local::log($tag)[0];
        self::assertSame(['GET', "/tag-$tag/core" . self::OIDC], [$discovery['method'], $discovery['path']]);

        $token = $client->requestPasswordToken(self::JOE, Local::password(self::JOE), 'qflowapi openid offline_access');
        self::assertTrue($client->introspectToken($token->getAccessToken())->isActive());
        self::assertSame(self::JOE, $client->getUserInfo($token->getAccessToken())->get('email'));
        $client->revokeToken($token->getRefreshToken(), 'refresh_token');

        $stats = Local::stats($tag)['by_endpoint'];
        ksort($stats);
        self::assertSame([self::OIDC => 1, '/connect/introspect' => 1, '/connect/revocation' => 1, '/connect/token' => 1,
            '/connect/userinfo' => 1], $stats);
        self::assertSame("/tag-$tag/core/connect/token", Local::log($tag)[1]['path']);
    }

    public function testTheDocumentIsFetchedOncePerProcess(): void
    {
        $tag = Local::tag();
        $authority = Local::authority("tag-$tag/core");
        self::discover($authority);
        $second = TokenClient::fromAuthority("$authority/", self::RESOWNER); // a trailing slash, a public client

        self::assertSame(1, Local::requests($tag, self::OIDC), 'the second client used the cached document');
        self::assertSame($authority, $second->getIssuer());
    }

    public function testAnotherIssuerIsReportedNotRefused(): void
    {
        $tag = Local::tag();
        $client = self::discover(Local::authority("tag-$tag/other-issuer/core"));

        self::assertSame('https://identity.qflowhub.io/core', $client->getIssuer());
        self::assertStringContainsString('https://identity.qflowhub.io/core', (string) $client->getDiscoveryWarning());
        self::assertStringContainsString('differs from the authority', (string) $client->getDiscoveryWarning());
        self::assertStringStartsWith('at-', $client->requestPasswordToken(self::JOE, Local::password(self::JOE))->getAccessToken());
    }

    public function testRfc8414IsTheFallback(): void
    {
        $tag = Local::tag();
        $client = self::discover(Local::authority("tag-$tag/no-oidc-discovery/core"));
        $client->requestPasswordToken(self::JOE, Local::password(self::JOE));

        self::assertSame(1, Local::requests($tag, self::OIDC), 'answered 404');
        self::assertSame(1, Local::requests($tag, 'rfc8414'));
        self::assertSame("/.well-known/oauth-authorization-server/tag-$tag/no-oidc-discovery/core", Local::log($tag)[1]['path']);
        self::assertSame(1, Local::requests($tag));
    }

    public function testInsecureEndpointsInTheDocumentAreRefused(): void
    {
        $authority = Local::authority('tag-' . Local::tag() . '/http-endpoints/core');
        $e = self::failure($authority);
        self::assertInstanceOf(InvalidArgumentException::class, $e);
        self::assertStringStartsWith('token_endpoint (from discovery)', $e->getMessage());

        $allowed = self::discover($authority, ['allow_insecure_http' => true]);
        self::assertSame($authority, $allowed->getIssuer(), 'accepted when insecure HTTP is allowed explicitly');
    }

    public function testDiscoveryOverHttps(): void
    {
        $authority = Local::authority('tag-' . Local::tag() . '/core', true);
        $client = self::discover($authority, ['ca_file' => Local::caFile()]);
        self::assertSame($authority, $client->getIssuer());
        self::assertStringStartsWith('at-', $client->requestPasswordToken(self::JOE, Local::password(self::JOE))->getAccessToken());

        self::assertInstanceOf(TlsException::class, self::failure(Local::authority('tag-' . Local::tag() . '/core', true)));
    }

    public function testDiscoveryFailures(): void
    {
        $html = self::failure(Local::authority('html500/core'));
        self::assertInstanceOf(HttpException::class, $html);
        self::assertSame(500, $html->getHttpStatus());
        self::assertInstanceOf(MalformedResponseException::class, self::failure(Local::authority('garbage/core')));
        self::assertInstanceOf(ConnectionException::class, self::failure('http://127.0.0.1:9/core'));

        foreach (['' => 'authority', 'not a url' => 'authority', 'http://identity.example.com/core' => 'authority'] as $authority => $named) {
            $e = self::failure($authority);
            self::assertInstanceOf(InvalidArgumentException::class, $e, $authority);
            self::assertStringStartsWith($named, $e->getMessage());
        }
        $e = self::failure(Local::authority('core'), ['timeout' => 1]);
        self::assertStringStartsWith('unknown option "timeout"', $e->getMessage());
    }

    public function testEndpointsSetInTheOptionsTakePrecedence(): void
    {
        $authority = Local::authority('tag-' . Local::tag() . '/core');
        $client = self::discover($authority, ['revocation_url' => Local::endpoint('unavailable', 'revocation')]);
        self::assertSame(Local::endpoint('unavailable', 'revocation'), $client->getRevocationUrl());
        self::assertSame("$authority/connect/introspect", $client->getIntrospectionUrl(), 'the others from the document');
        try {
            $client->revokeToken('at-anything');
            self::fail('revoked at the discovered endpoint');
        } catch (HttpException $e) {
            self::assertSame(503, $e->getHttpStatus());
            self::assertSame(7, $e->getRetryAfter());
        }
    }
}
