<?php

declare(strict_types=1);

namespace QFlow\Auth\Tests;

use PHPUnit\Framework\TestCase;
use QFlow\Auth\Exception\InvalidArgumentException;
use QFlow\Auth\Exception\QFlowAuthException;
use QFlow\Auth\TokenClient;

/** Values rejected before anything is sent, with a message naming the parameter. */
final class BadInputTest extends TestCase
{
    private const JOE = 'joe.bloggs@example.com';

    private static function client(): TokenClient
    {
        return new TokenClient(Local::url(), 'acme_resowner', Local::client('acme_resowner')['secret']);
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

    public function testEmptyAndNonUtf8Values(): void
    {
        self::assertRejected('client_id must not be empty', fn () => new TokenClient(Local::url(), ''));
        self::assertRejected('client_id is not valid UTF-8', fn () => new TokenClient(Local::url(), "caf\xE9"));
        self::assertRejected('client_secret must not be empty', fn () => new TokenClient(Local::url(), 'acme_resowner', ''));
        self::assertRejected('username must not be empty', fn () => self::client()->requestPasswordToken('', 'x'));
        self::assertRejected('password must not be empty', fn () => self::client()->requestPasswordToken(self::JOE, ''));
        self::assertRejected('password is not valid UTF-8', fn () => self::client()->requestPasswordToken(self::JOE, "\xFF"));
        self::assertRejected('refresh_token must not be empty', fn () => self::client()->requestRefreshToken(''));
        self::assertRejected('grant_type must not be empty', fn () => self::client()->requestToken(''));
        self::assertRejected('scope', fn () => self::client()->requestPasswordToken(self::JOE, 'x', 'bad"scope'));
        self::assertRejected('username must not be empty', fn () => TokenClient::fetchAccessToken(null, 'acme_resowner', null, '', 'x'));
    }

    public function testNulBytesWhichCWouldCutShort(): void
    {
        self::assertRejected('token_url must not contain a NUL byte', fn () => new TokenClient(Local::url() . "\0x", 'a'));
        self::assertRejected('client_id must not contain a NUL byte', fn () => new TokenClient(Local::url(), "a\0b"));
        self::assertRejected('client_secret must not contain a NUL byte', fn () => new TokenClient(Local::url(), 'a', "s\0"));
        self::assertRejected('username must not contain a NUL byte', fn () => self::client()->requestPasswordToken("a\0", 'x'));
        self::assertRejected('password must not contain a NUL byte', fn () => self::client()->requestPasswordToken(self::JOE, "pass\0word"));
        self::assertRejected('scope must not contain a NUL byte', fn () => self::client()->requestClientCredentialsToken("a\0"));
        self::assertRejected('refresh_token must not contain a NUL byte', fn () => self::client()->requestRefreshToken("rt\0"));
        self::assertRejected('parameter api_key must not contain a NUL byte',
            fn () => self::client()->requestToken('urn:x', ['api_key' => "k\0"]));
        self::assertRejected('password must not contain a NUL byte',
            fn () => TokenClient::fetchAccessToken(null, 'acme_resowner', null, self::JOE, "p\0"));
        self::assertRejected('option ca_file must not contain a NUL byte',
            fn () => new TokenClient(Local::url(), 'a', null, ['ca_file' => "/tmp/\0"]));
        $token = self::client()->requestPasswordToken(self::JOE, 'secret1234');
        self::assertRejected('name must not contain a NUL byte', fn () => $token->get("access_token\0x"));
        self::assertRejected('leeway_seconds must not be negative', fn () => $token->isExpired(-1));
    }

    public function testUrls(): void
    {
        self::assertRejected('token_url is not a valid URL', fn () => new TokenClient('not a url', 'a'));
        self::assertRejected('token_url', fn () => new TokenClient('http://identity.example.com/connect/token', 'a'));
        $allowed = new TokenClient('http://identity.example.com/connect/token', 'a', null, ['allow_insecure_http' => true]);
        self::assertSame('http://identity.example.com/connect/token', $allowed->getTokenUrl());
    }

    public function testExtraParameters(): void
    {
        self::assertRejected('parameter "client_secret" is set by the client itself',
            fn () => self::client()->requestToken('urn:x', ['client_secret' => 'x']));
        self::assertRejected('parameter name 1 must not be empty', fn () => self::client()->requestToken('urn:x', ['a' => 'x', '' => 'y']));

        $tag = Local::tag();
        $client = new TokenClient(Local::url("tag-$tag"), 'special_client', Local::client('special_client')['secret']);
        try {
            $client->requestToken('urn:qflow:grant-type:api-key', ['123' => 'numeric name', 'api_key' => 'wrong']);
        } catch (QFlowAuthException) {
        }
        self::assertSame('numeric name', Local::form(Local::log($tag)[0])['123'], 'a key PHP made an int is sent as its name');

        $this->expectException(\TypeError::class);
        self::client()->requestToken('urn:x', ['api_key' => 42]);
    }

    public function testOptions(): void
    {
        $new = static fn (array $options) => new TokenClient(Local::url(), 'acme_resowner', null, $options);
        self::assertRejected('unknown option "timeout"', fn () => $new(['timeout' => 5]));
        self::assertRejected('option timeout_ms must be a positive integer', fn () => $new(['timeout_ms' => 0]));
        self::assertRejected('option connect_timeout_ms must be a positive integer', fn () => $new(['connect_timeout_ms' => -5]));
        self::assertRejected('option max_response_bytes must be a positive integer', fn () => $new(['max_response_bytes' => 0]));
        self::assertRejected('option auth_method must be one of client_secret_post, client_secret_basic, client_secret_basic_unencoded',
            fn () => $new(['auth_method' => 'basic']));
        self::assertRejected('ca_file', fn () => new TokenClient(Local::httpsUrl(), 'a', null, ['ca_file' => '/nonexistent/ca.pem']));
        self::assertRejected('proxy', fn () => $new(['proxy' => 'not a proxy url']));
        self::assertRejected('user_agent', fn () => $new(['user_agent' => "bad\nagent"]));

        foreach ([['timeout_ms' => '300'], ['allow_insecure_http' => 1], ['proxy' => false], ['auth_method' => 1]] as $options) {
            try {
                $new($options);
                self::fail('accepted ' . json_encode($options));
            } catch (\TypeError $e) {
                self::assertStringStartsWith('option ' . array_key_first($options), $e->getMessage());
            }
        }
    }

    public function testWrongPhpTypesAreTypeErrors(): void
    {
        $calls = [
            fn () => new TokenClient(42, 'a'),
            fn () => new TokenClient(Local::url(), null),
            fn () => self::client()->requestPasswordToken(self::JOE, null),
            fn () => self::client()->requestPasswordToken(self::JOE, 'x', 42),
            fn () => self::client()->requestToken('urn:x', 'api_key=x'),
            fn () => TokenClient::fetchAccessToken(null, 'a', null, ['user'], 'x'),
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
