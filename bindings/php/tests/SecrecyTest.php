<?php

declare(strict_types=1);

namespace QFlow\Auth\Tests;

use PHPUnit\Framework\TestCase;
use QFlow\Auth\Exception\QFlowAuthException;
use QFlow\Auth\Token;
use QFlow\Auth\TokenClient;

/**
 * Tokens and secrets never show in strings, dumps, exports or serialisations of the objects, nor in exception
 * messages or stack traces; claim values (personal data) do not show in dumps either.
 */
final class SecrecyTest extends TestCase
{
    private const SECRET = '96184159-60d4-4ad4-a11e-0ff3ddcc6678';

    private static function token(TokenClient $client): Token
    {
        return $client->requestPasswordToken('joe.bloggs@example.com', 'secret1234', 'qflowapi openid offline_access');
    }

    /** @return list<string> every way PHP code commonly turns an object into text */
    private static function renderings(object $object): array
    {
        ob_start();
        var_dump($object);
        $dump = (string) ob_get_clean();
        return [
            $dump,
            print_r($object, true),
            var_export($object, true),
            (string) json_encode($object),
            print_r((array) $object, true),
            $object instanceof \Stringable ? (string) $object : '',
        ];
    }

    public function testATokenShowsNoToken(): void
    {
        $token = self::token(new TokenClient(Local::url(), 'acme_resowner', self::SECRET));
        $secrets = [$token->getAccessToken(), $token->getRefreshToken(), $token->getIdToken()];

        foreach (self::renderings($token) as $i => $text) {
            foreach ($secrets as $secret) {
                self::assertStringNotContainsString($secret, $text, "rendering $i");
                self::assertStringNotContainsString(substr($secret, 0, 10), $text, "rendering $i");
            }
        }
        self::assertStringContainsString('use getAccessToken()', (string) $token);
        self::assertStringContainsString('Bearer', (string) $token);
        self::assertStringContainsString('with a refresh token', (string) $token);
        self::assertSame('(hidden)', $token->__debugInfo()['accessToken']);
        self::assertSame(3600, $token->__debugInfo()['expiresIn'], 'what is not secret is shown');
    }

    public function testAClientShowsNoSecret(): void
    {
        $client = new TokenClient(Local::url(), 'acme_resowner', self::SECRET);

        foreach (self::renderings($client) as $i => $text) {
            self::assertStringNotContainsString(self::SECRET, $text, "rendering $i");
        }
        self::assertSame(['tokenUrl' => Local::url(), 'clientId' => 'acme_resowner'], $client->__debugInfo());
    }

    public function testATokenSourceShowsNoSecret(): void
    {
        $client = new TokenClient(Local::url(), 'acme_resowner', self::SECRET);
        $dir = Local::cacheDirectory();
        $kept = $client->passwordTokenSource('joe.bloggs@example.com', 'secret1234', 'qflowapi offline_access', [
            'keep_password' => true,
            'file_cache_dir' => $dir,
        ]);
        $token = $kept->getToken();
        $fromRefreshToken = $client->refreshTokenSource($token->getRefreshToken());
        $secrets = ['secret1234', self::SECRET, $token->getAccessToken(), $token->getRefreshToken()];

        foreach ([$kept, $fromRefreshToken] as $source) {
            foreach (self::renderings($source) as $i => $text) {
                foreach ($secrets as $secret) {
                    self::assertStringNotContainsString($secret, $text, "rendering $i");
                }
            }
        }
        self::assertSame(
            'QFlow\Auth\TokenSource(password grant for joe.bloggs@example.com, scope "qflowapi offline_access", client '
                . 'acme_resowner at ' . Local::url() . ", shared through $dir)",
            (string) $kept,
        );
        self::assertSame(['tokenUrl' => Local::url(), 'clientId' => 'acme_resowner', 'grant' => 'refresh_token', 'scope' => null,
            'skewSeconds' => 60, 'keepPassword' => false, 'fileCacheDir' => null], $fromRefreshToken->__debugInfo());
    }

    public function testClaimsShowNoValues(): void
    {
        $client = new TokenClient(Local::url(), 'acme_resowner', self::SECRET, [
            'introspection_url' => Local::endpoint('core', 'introspect'),
            'userinfo_url' => Local::endpoint('core', 'userinfo'),
        ]);
        $token = self::token($client);
        $user = $client->getUserInfo($token->getAccessToken());
        $introspection = $client->introspectToken($token->getAccessToken());

        foreach (self::renderings($user) as $i => $text) {
            self::assertStringNotContainsString('joe.bloggs', $text, "rendering $i");
            self::assertStringNotContainsString('1001', $text, "rendering $i");
        }
        self::assertSame('QFlow\Auth\Claims(members sub, email, preferred_username; values hidden: use get())', (string) $user);
        self::assertSame(['members' => ['sub', 'email', 'preferred_username']], $user->__debugInfo());
        self::assertSame(['active' => true, 'members' => ['active', 'client_id', 'scope', 'token_type', 'exp', 'sub']],
            $introspection->__debugInfo());
        self::assertStringStartsWith('QFlow\Auth\Claims(active; members active, ', (string) $introspection);
    }

    public function testADiscoveredClientShowsNoSecret(): void
    {
        $client = TokenClient::fromAuthority(Local::authority(), 'acme_resowner', self::SECRET);

        foreach (self::renderings($client) as $i => $text) {
            self::assertStringNotContainsString(self::SECRET, $text, "rendering $i");
        }
        self::assertSame(['authority' => Local::authority(), 'clientId' => 'acme_resowner'], $client->__debugInfo());
    }

    /** @requires PHP >= 8.2 */
    public function testLifecycleSecretsStayOutOfMessagesAndStackTraces(): void
    {
        $previous = ini_set('zend.exception_ignore_args', '0');
        try {
            $client = new TokenClient(Local::url(), 'acme_resowner', 'secret-in-trace-1', [
                'revocation_url' => Local::endpoint('unavailable', 'revocation'),
                'introspection_url' => Local::endpoint('core', 'introspect'),
                'userinfo_url' => Local::endpoint('core', 'userinfo'),
            ]);
            $calls = [
                fn () => $client->passwordTokenSource('joe.bloggs@example.com', 'password-in-trace-2'),
                fn () => $client->passwordTokenSource('joe.bloggs@example.com', "password-in-trace-2\0"),
                fn () => $client->refreshTokenSource('password-in-trace-2')->getToken(),
                fn () => $client->revokeToken('password-in-trace-2'),
                fn () => $client->introspectToken('password-in-trace-2'),
                fn () => $client->getUserInfo('password-in-trace-2'),
                fn () => TokenClient::fromAuthority('http://127.0.0.1:9/core', 'acme_resowner', 'secret-in-trace-1'),
            ];
            foreach ($calls as $i => $call) {
                try {
                    $call();
                    self::fail("call $i: no exception");
                } catch (QFlowAuthException $e) {
                    $trace = print_r($e->getTrace(), true) . $e->getTraceAsString() . $e->getMessage();
                    self::assertStringNotContainsString('password-in-trace-2', $trace, "call $i");
                    self::assertStringNotContainsString('secret-in-trace-1', $trace, "call $i");
                }
            }
        } finally {
            ini_set('zend.exception_ignore_args', (string) $previous);
        }
    }

    public function testTokensAndClientsCannotBeSerializedOrCloned(): void
    {
        $client = new TokenClient(Local::url(), 'acme_resowner', self::SECRET, ['introspection_url' => Local::endpoint('core', 'introspect')]);
        $token = self::token($client);
        $source = $client->refreshTokenSource($token->getRefreshToken());
        $claims = $client->introspectToken($token->getAccessToken());

        foreach ([$client, $token, $source, $claims] as $object) {
            try {
                serialize($object);
                self::fail('serialized a ' . $object::class);
            } catch (\LogicException) {
                $this->addToAssertionCount(1);
            }
            try {
                $copy = clone $object;
                self::fail('cloned a ' . $copy::class);
            } catch (\Error $e) {
                self::assertStringContainsString('__clone', $e->getMessage());
            }
        }
    }
}
