<?php

declare(strict_types=1);

namespace QFlow\Auth\Tests;

use PHPUnit\Framework\TestCase;
use QFlow\Auth\Exception\InvalidArgumentException;
use QFlow\Auth\Exception\QFlowAuthException;
use QFlow\Auth\TokenClient;

/**
 * Values the lifecycle API rejects before anything is sent (empty, not UTF-8, a NUL byte, unknown or negative
 * options, each with a message naming the parameter), and wrong PHP types (TypeError).
 */
final class LifecycleBadInputTest extends TestCase
{
    private const JOE = 'joe.bloggs@example.com';

    private static string $tag;

    public static function setUpBeforeClass(): void
    {
        self::$tag = Local::tag();
    }

    /** A client whose every request is tagged, so that the test can check nothing was sent. */
    private static function client(): TokenClient
    {
        $modes = 'tag-' . self::$tag . '/core';
        return new TokenClient(Local::url($modes), 'acme_resowner', Local::client('acme_resowner')['secret'], [
            'revocation_url' => Local::endpoint($modes, 'revocation'),
            'introspection_url' => Local::endpoint($modes, 'introspect'),
            'userinfo_url' => Local::endpoint($modes, 'userinfo'),
        ]);
    }

    private static function assertRejected(string $expectedMessage, callable $call): void
    {
        try {
            $call();
            self::fail("accepted, but expected: $expectedMessage");
        } catch (InvalidArgumentException $e) {
            self::assertInstanceOf(QFlowAuthException::class, $e);
            self::assertStringStartsWith($expectedMessage, $e->getMessage());
            self::assertNull($e->getHttpStatus());
        }
    }

    protected function tearDown(): void
    {
        self::assertSame(0, Local::stats(self::$tag)['requests'], 'rejected values are never sent');
    }

    public function testEmptyAndNonUtf8Values(): void
    {
        $c = self::client();
        self::assertRejected('username must not be empty', fn () => $c->passwordTokenSource('', 'x'));
        self::assertRejected('password must not be empty', fn () => $c->passwordTokenSource(self::JOE, ''));
        self::assertRejected('password is not valid UTF-8', fn () => $c->passwordTokenSource(self::JOE, "\xFF"));
        self::assertRejected('scope', fn () => $c->passwordTokenSource(self::JOE, 'x', 'bad"scope'));
        self::assertRejected('scope', fn () => $c->clientCredentialsTokenSource('bad"scope'));
        self::assertRejected('refresh_token must not be empty', fn () => $c->refreshTokenSource(''));
        self::assertRejected('token must not be empty', fn () => $c->revokeToken(''));
        self::assertRejected('token_type_hint must not be empty', fn () => $c->revokeToken('x', ''));
        self::assertRejected('token must not be empty', fn () => $c->introspectToken(''));
        self::assertRejected('token_type_hint must not be empty', fn () => $c->introspectToken('x', ''));
        self::assertRejected('access_token must not be empty', fn () => $c->getUserInfo(''));
        self::assertRejected('client_id must not be empty', fn () => TokenClient::fromAuthority(Local::authority(), ''));
        self::assertRejected('client_secret must not be empty', fn () => TokenClient::fromAuthority(Local::authority(), 'a', ''));
        self::assertRejected('authority is not valid UTF-8', fn () => TokenClient::fromAuthority("http://127.0.0.1/\xFF", 'a'));
    }

    public function testNulBytesWhichCWouldCutShort(): void
    {
        $c = self::client();
        self::assertRejected('username must not contain a NUL byte', fn () => $c->passwordTokenSource("joe\0", 'x'));
        self::assertRejected('password must not contain a NUL byte', fn () => $c->passwordTokenSource(self::JOE, "pass\0word"));
        self::assertRejected('scope must not contain a NUL byte', fn () => $c->passwordTokenSource(self::JOE, 'x', "a\0"));
        self::assertRejected('scope must not contain a NUL byte', fn () => $c->clientCredentialsTokenSource("a\0"));
        self::assertRejected('refresh_token must not contain a NUL byte', fn () => $c->refreshTokenSource("rt\0"));
        self::assertRejected('token must not contain a NUL byte', fn () => $c->revokeToken("at\0"));
        self::assertRejected('token_type_hint must not contain a NUL byte', fn () => $c->introspectToken('at', "access_token\0"));
        self::assertRejected('access_token must not contain a NUL byte', fn () => $c->getUserInfo("at\0"));
        self::assertRejected('authority must not contain a NUL byte', fn () => TokenClient::fromAuthority(Local::authority() . "\0x", 'a'));
        self::assertRejected('client_id must not contain a NUL byte', fn () => TokenClient::fromAuthority(Local::authority(), "a\0"));
        self::assertRejected('option file_cache_dir must not contain a NUL byte',
            fn () => $c->clientCredentialsTokenSource(null, ['file_cache_dir' => "/tmp/\0x"]));
        self::assertRejected('option userinfo_url must not contain a NUL byte',
            fn () => new TokenClient(Local::url(), 'a', null, ['userinfo_url' => "http://127.0.0.1/\0"]));
    }

    public function testTokenSourceOptions(): void
    {
        $c = self::client();
        self::assertRejected('unknown token source option "skew"; the options are skew_seconds, keep_password, file_cache_dir',
            fn () => $c->clientCredentialsTokenSource(null, ['skew' => 5]));
        self::assertRejected('option skew_seconds must not be negative, -1 given',
            fn () => $c->clientCredentialsTokenSource(null, ['skew_seconds' => -1]));
        self::assertRejected('unknown option "file_cache_dir"', fn () => new TokenClient(Local::url(), 'a', null, ['file_cache_dir' => '/tmp/x']));

        foreach ([['skew_seconds' => '60'], ['skew_seconds' => 1.5], ['keep_password' => 1], ['file_cache_dir' => false]] as $options) {
            try {
                $c->passwordTokenSource(self::JOE, 'x', null, $options);
                self::fail('accepted ' . json_encode($options));
            } catch (\TypeError $e) {
                self::assertStringStartsWith('option ' . array_key_first($options) . ' must be of type', $e->getMessage());
            }
        }
    }

    public function testClaimNames(): void
    {
        // an untagged client: this request is meant to be sent
        $introspector = new TokenClient(Local::url(), 'acme_resowner', Local::client('acme_resowner')['secret'],
            ['introspection_url' => Local::endpoint('core', 'introspect')]);
        $claims = $introspector->introspectToken('at-unknown');
        self::assertRejected('name must not contain a NUL byte', fn () => $claims->get("active\0x"));
        self::assertNull($claims->get(''), 'no such member');
        self::assertNull($claims->get("caf\xE9"), 'a name that is not UTF-8 names no member');
        self::assertSame('false', $claims->get('active'));
    }

    public function testWrongPhpTypesAreTypeErrors(): void
    {
        $c = self::client();
        $calls = [
            fn () => $c->passwordTokenSource(self::JOE, null),
            fn () => $c->passwordTokenSource(self::JOE, 'x', 42),
            fn () => $c->passwordTokenSource(self::JOE, 'x', null, 'keep_password'),
            fn () => $c->clientCredentialsTokenSource(['qflowapi']),
            fn () => $c->refreshTokenSource(null),
            fn () => $c->revokeToken(42),
            fn () => $c->introspectToken('x', false),
            fn () => $c->getUserInfo(null),
            fn () => TokenClient::fromAuthority(null, 'a'),
            fn () => TokenClient::fromAuthority(Local::authority(), 'a', null, 'options'),
        ];
        foreach ($calls as $i => $call) {
            try {
                $call();
                self::fail("call $i accepted a wrong type");
            } catch (\TypeError) {
                $this->addToAssertionCount(1);
            }
        }
    }
}
