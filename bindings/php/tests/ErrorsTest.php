<?php

declare(strict_types=1);

namespace QFlow\Auth\Tests;

use PHPUnit\Framework\TestCase;
use QFlow\Auth\Exception\ConnectionException;
use QFlow\Auth\Exception\HttpException;
use QFlow\Auth\Exception\MalformedResponseException;
use QFlow\Auth\Exception\OAuthException;
use QFlow\Auth\Exception\QFlowAuthException;
use QFlow\Auth\Exception\TimeoutException;
use QFlow\Auth\Exception\TlsException;
use QFlow\Auth\Exception\TransportException;
use QFlow\Auth\TokenClient;

/** Each kind of failure becomes its exception class, with its fields. */
final class ErrorsTest extends TestCase
{
    private const JOE = 'joe.bloggs@example.com';

    /** Requests a token from an endpoint that misbehaves as $modes says and returns what was thrown. */
    private static function failure(string $modes, array $options = [], string $password = 'secret1234', ?string $url = null): QFlowAuthException
    {
        $client = new TokenClient($url ?? Local::url($modes), 'acme_resowner', Local::client('acme_resowner')['secret'], $options);
        try {
            $client->requestPasswordToken(self::JOE, $password);
        } catch (QFlowAuthException $e) {
            return $e;
        }
        self::fail("no exception from $modes");
    }

    public function testAWrongPasswordIsAnOAuthErrorWithTheServersFields(): void
    {
        $e = self::failure('core', [], 'not-the-password');

        self::assertInstanceOf(OAuthException::class, $e);
        self::assertSame('invalid_grant', $e->getError());
        self::assertSame('invalid_username_or_password', $e->getErrorDescription());
        self::assertNull($e->getErrorUri());
        self::assertSame(400, $e->getHttpStatus());
        self::assertStringContainsString('invalid_grant', $e->getMessage());
        self::assertStringNotContainsString('not-the-password', $e->getMessage());
    }

    public function testAWrongSecretAnsweredWith401(): void
    {
        $client = new TokenClient(Local::url('oauth401'), 'acme_resowner', 'not-the-secret');
        try {
            $client->requestPasswordToken(self::JOE, 'secret1234');
            self::fail('no exception');
        } catch (OAuthException $e) {
            self::assertSame('invalid_client', $e->getError());
            self::assertNull($e->getErrorDescription());
            self::assertSame(401, $e->getHttpStatus());
            self::assertStringNotContainsString('not-the-secret', $e->getMessage());
        }
    }

    public function testTheOneLinerThrowsTheSameExceptions(): void
    {
        try {
            TokenClient::fetchAccessToken(Local::url(), 'acme_resowner', Local::client('acme_resowner')['secret'], self::JOE, 'wrong');
            self::fail('no exception');
        } catch (OAuthException $e) {
            self::assertSame('invalid_grant', $e->getError());
            self::assertSame(400, $e->getHttpStatus());
        }
    }

    public function testHttpStatusesWithoutAnOAuthError(): void
    {
        foreach (['html500' => 500, 'empty403' => 403, 'redirect' => 301] as $modes => $status) {
            $e = self::failure($modes);
            self::assertInstanceOf(HttpException::class, $e, $modes);
            self::assertSame($status, $e->getHttpStatus(), $modes);
            self::assertNull($e->getRetryAfter(), "$modes: no Retry-After");
        }
        self::assertStringNotContainsString('stack trace', self::failure('html500')->getMessage(), 'no response body in messages');
    }

    public function testUnusableResponses(): void
    {
        foreach (['garbage', 'truncated-json', 'huge-5000000'] as $modes) {
            self::assertInstanceOf(MalformedResponseException::class, self::failure($modes), $modes);
        }
        $e = self::failure('huge-5000', ['max_response_bytes' => 1000]);
        self::assertInstanceOf(MalformedResponseException::class, $e);
        self::assertStringContainsString('limit', $e->getMessage());
    }

    public function testTransportErrors(): void
    {
        $dropped = self::failure('drop');
        self::assertInstanceOf(ConnectionException::class, $dropped);
        self::assertNull($dropped->getHttpStatus());
        self::assertInstanceOf(ConnectionException::class, self::failure('truncated'));
        self::assertInstanceOf(ConnectionException::class, self::failure('', [], 'x', 'http://127.0.0.1:9/connect/token'), 'refused');

        $slow = self::failure('slow-3000', ['timeout_ms' => 300]);
        self::assertInstanceOf(TimeoutException::class, $slow);
        self::assertStringContainsString('300 ms', $slow->getMessage());

        $untrusted = self::failure('', [], 'secret1234', Local::httpsUrl());
        self::assertInstanceOf(TlsException::class, $untrusted);
        self::assertStringContainsString('trusted CA', $untrusted->getMessage());

        foreach ([$dropped, $slow, $untrusted] as $e) {
            self::assertInstanceOf(TransportException::class, $e);
        }
    }

    /** @requires PHP >= 8.2 */
    public function testSecretsStayOutOfStackTraces(): void
    {
        $previous = ini_set('zend.exception_ignore_args', '0');
        try {
            $client = new TokenClient(Local::url(), 'acme_resowner', 'secret-in-trace-1');
            $client->requestPasswordToken(self::JOE, 'password-in-trace-2');
            self::fail('no exception');
        } catch (OAuthException $e) {
            $trace = print_r($e->getTrace(), true) . $e->getTraceAsString();
            self::assertStringContainsString('SensitiveParameterValue', $trace, 'arguments are recorded');
            self::assertStringNotContainsString('password-in-trace-2', $trace);
            self::assertStringNotContainsString('secret-in-trace-1', $trace);
        } finally {
            ini_set('zend.exception_ignore_args', (string) $previous);
        }
    }
}
