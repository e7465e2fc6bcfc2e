<?php

declare(strict_types=1);

namespace QFlow\Auth\Tests;

use PHPUnit\Framework\TestCase;
use QFlow\Auth\Token;
use QFlow\Auth\TokenClient;

/** Tokens and secrets never show in strings, dumps, exports or serialisations of the objects. */
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

    public function testTokensAndClientsCannotBeSerializedOrCloned(): void
    {
        $client = new TokenClient(Local::url(), 'acme_resowner', self::SECRET);
        $token = self::token($client);

        foreach ([$client, $token] as $object) {
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
