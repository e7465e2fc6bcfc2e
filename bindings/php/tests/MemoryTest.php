<?php

declare(strict_types=1);

namespace QFlow\Auth\Tests;

use PHPUnit\Framework\TestCase;
use QFlow\Auth\Exception\InvalidArgumentException;
use QFlow\Auth\Exception\OAuthException;
use QFlow\Auth\TokenClient;

/**
 * Native memory is released deterministically: 100,000 calls through every path that allocates in the
 * library (tokens and their getters, owned strings, errors, clients and options) leave the process no
 * bigger. A token or a client leaked per call would add tens of megabytes.
 */
final class MemoryTest extends TestCase
{
    private const CALLS = 100_000;
    private const WARM_UP = 5_000;

    /** Resident set size of this process, in bytes (Linux). */
    private static function residentBytes(): int
    {
        $statm = explode(' ', (string) file_get_contents('/proc/self/statm'));
        return (int) $statm[1] * 4096;
    }

    private static function makeCalls(TokenClient $client, int $calls): void
    {
        $secret = Local::client('acme_resowner')['secret'];
        for ($i = 0; $i < $calls; $i++) {
            switch ($i % 5) {
                case 0: // a token, every getter, freed when $token is replaced
                    $token = $client->requestPasswordToken('joe.bloggs@example.com', 'secret1234', 'qflowapi openid offline_access');
                    $token->getAccessToken();
                    $token->getRefreshToken();
                    $token->getIdToken();
                    $token->getExpiresAt();
                    $token->isExpired(30);
                    $token->get('expires_in');
                    $token->getRawJson();
                    break;
                case 1: // an owned string
                    TokenClient::fetchAccessToken(Local::url(), 'acme_resowner', $secret, 'joe.bloggs@example.com', 'secret1234');
                    break;
                case 2: // an OAuth error and its fields
                    try {
                        $client->requestPasswordToken('joe.bloggs@example.com', 'wrong');
                    } catch (OAuthException $e) {
                        $e->getErrorDescription();
                    }
                    break;
                case 3: // a client with options, and extra parameters
                    $other = new TokenClient(Local::url(), 'special_client', 'x', ['timeout_ms' => 5000, 'user_agent' => 'memory-test']);
                    try {
                        $other->requestToken('urn:x', ['client_id' => 'b']); // refused by the library: nothing is sent
                    } catch (InvalidArgumentException) {
                    }
                    break;
                case 4: // a client that cannot be created: options and the error are released
                    try {
                        new TokenClient('not a url', 'acme_resowner', $secret, ['connect_timeout_ms' => 1000]);
                    } catch (InvalidArgumentException) {
                    }
                    break;
            }
        }
    }

    public function testOneHundredThousandCallsDoNotGrowMemory(): void
    {
        if (!is_readable('/proc/self/statm')) {
            self::markTestSkipped('measures memory through /proc (Linux)');
        }
        $client = new TokenClient(Local::url(), 'acme_resowner', Local::client('acme_resowner')['secret']);
        self::makeCalls($client, self::WARM_UP); // allocator pools, the connection pool, PHP's caches
        gc_collect_cycles();
        $resident = self::residentBytes();
        $phpHeap = memory_get_usage();

        self::makeCalls($client, self::CALLS);
        gc_collect_cycles();

        $residentGrowth = self::residentBytes() - $resident;
        $phpGrowth = memory_get_usage() - $phpHeap;
        self::assertLessThan(2 * 1024 * 1024, $residentGrowth, sprintf('the process grew by %.1f MiB', $residentGrowth / 1048576));
        self::assertLessThan(64 * 1024, $phpGrowth, "PHP's heap grew by $phpGrowth bytes");
    }
}
