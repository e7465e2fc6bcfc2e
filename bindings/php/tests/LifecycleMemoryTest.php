<?php

declare(strict_types=1);

namespace QFlow\Auth\Tests;

use PHPUnit\Framework\TestCase;
use QFlow\Auth\Exception\InvalidArgumentException;
use QFlow\Auth\Exception\OAuthException;
use QFlow\Auth\TokenClient;

/**
 * The lifecycle objects release their native memory: 40,000 calls through every path that allocates (token
 * handles from a source, sources with and without a file cache, renewals, claims and their getters, discovered
 * clients, errors) leave the process no bigger. A source, a token handle or claims leaked per call would add
 * megabytes.
 */
final class LifecycleMemoryTest extends TestCase
{
    private const CALLS = 40_000;
    private const WARM_UP = 4_000;

    /** Resident set size of this process, in bytes (Linux). */
    private static function residentBytes(): int
    {
        $statm = explode(' ', (string) file_get_contents('/proc/self/statm'));
        return (int) $statm[1] * 4096;
    }

    private static function makeCalls(TokenClient $client, string $cacheDir, int $calls): void
    {
        $cached = $client->passwordTokenSource('joe.bloggs@example.com', 'secret1234', 'qflowapi openid offline_access');
        $accessToken = $cached->getAccessToken();
        $authority = Local::authority();
        for ($i = 0; $i < $calls; $i++) {
            switch ($i % 8) {
                case 0: // cached token handles and their getters: no request
                case 1:
                    $token = $cached->getToken();
                    $token->getAccessToken();
                    $token->getRefreshToken();
                    $token->getExpiresAt();
                    $cached->getAccessToken();
                    break;
                case 2: // a source made and freed (lazy: no request), its options, a file cache
                    $source = $client->clientCredentialsTokenSource(null, ['skew_seconds' => 30, 'file_cache_dir' => $cacheDir]);
                    (string) $source;
                    break;
                case 3: // claims and their getters
                    $claims = $client->introspectToken($accessToken, 'access_token');
                    $claims->isActive();
                    $claims->get('client_id');
                    $claims->get('missing');
                    $claims->getRawJson();
                    break;
                case 4: // an OAuth error from userinfo
                    try {
                        $client->getUserInfo('at-unknown');
                    } catch (OAuthException $e) {
                        $e->getErrorDescription();
                    }
                    break;
                case 5: // a discovered client (the document is cached: no request) and its getters
                    $discovered = TokenClient::fromAuthority($authority, 'acme_resowner', null, ['timeout_ms' => 5000]);
                    $discovered->getIssuer();
                    $discovered->getDiscoveryWarning();
                    $discovered->getTokenUrl();
                    $discovered->getRevocationUrl();
                    $discovered->getIntrospectionUrl();
                    $discovered->getUserInfoUrl();
                    break;
                case 6: // a renewal with the refresh token
                    $cached->invalidate();
                    $accessToken = $cached->getAccessToken();
                    break;
                case 7: // options refused while a source is made: the options and the error are released
                    try {
                        $client->clientCredentialsTokenSource(null, ['file_cache_dir' => '']);
                    } catch (InvalidArgumentException) {
                    }
                    break;
            }
        }
    }

    public function testFortyThousandCallsDoNotGrowMemory(): void
    {
        if (!is_readable('/proc/self/statm')) {
            self::markTestSkipped('measures memory through /proc (Linux)');
        }
        $client = new TokenClient(Local::url(), 'acme_resowner', Local::client('acme_resowner')['secret'], [
            'introspection_url' => Local::endpoint('core', 'introspect'),
            'userinfo_url' => Local::endpoint('core', 'userinfo'),
        ]);
        $cacheDir = Local::cacheDirectory();
        self::makeCalls($client, $cacheDir, self::WARM_UP); // allocator pools, the connection pool, PHP's caches
        gc_collect_cycles();
        $resident = self::residentBytes();
        $phpHeap = memory_get_usage();

        self::makeCalls($client, $cacheDir, self::CALLS);
        gc_collect_cycles();

        $residentGrowth = self::residentBytes() - $resident;
        $phpGrowth = memory_get_usage() - $phpHeap;
        self::assertLessThan(2 * 1024 * 1024, $residentGrowth, sprintf('the process grew by %.1f MiB', $residentGrowth / 1048576));
        self::assertLessThan(64 * 1024, $phpGrowth, "PHP's heap grew by $phpGrowth bytes");
    }
}
