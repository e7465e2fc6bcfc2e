<?php

declare(strict_types=1);

namespace QFlow\Auth\Tests;

use PHPUnit\Framework\TestCase;
use QFlow\Auth\Exception\InvalidArgumentException;
use QFlow\Auth\TokenClient;

/**
 * The `file_cache_dir` option: private files, sources with the same key sharing one token, different scopes and
 * users never sharing, and the PHP-FPM scenario: several PHP processes asking at the same moment cause one
 * request, under the CLI and under php-cgi preloaded with ffi.enable=preload, as FPM workers run.
 */
final class FileCacheTest extends TestCase
{
    private const RESOWNER = 'acme_resowner';
    private const JOE = 'joe.bloggs@example.com';
    private const WORKERS = 4;
    private const NOBODY = 65534;

    private static function client(string $modes, string $id = self::RESOWNER): TokenClient
    {
        return new TokenClient(Local::url($modes), $id, Local::client($id)['secret']);
    }

    /** @return list<string> the cache entries (not the lock files) in $dir */
    private static function entries(string $dir): array
    {
        return glob("$dir/qflow-token-*.json") ?: [];
    }

    public function testTheDirectoryAndItsFilesArePrivate(): void
    {
        $dir = Local::cacheDirectory() . '/nested';
        $source = self::client('core')->passwordTokenSource(self::JOE, Local::password(self::JOE),
            'qflowapi openid offline_access', ['file_cache_dir' => $dir]);
        $token = $source->getToken();

        clearstatcache();
        self::assertSame(0700, fileperms($dir) & 0777, 'created with mode 0700');
        $files = glob("$dir/*") ?: [];
        self::assertCount(2, $files, 'one entry and its lock file');
        foreach ($files as $file) {
            self::assertSame(0600, fileperms($file) & 0777, basename($file));
            self::assertMatchesRegularExpression('/^qflow-token-[0-9a-f]{64}\.(json|lock)$/', basename($file));
        }
        $entry = (string) file_get_contents(self::entries($dir)[0]);
        self::assertStringContainsString($token->getAccessToken(), $entry, 'tokens are stored in plain text (documented)');
        self::assertStringNotContainsString(Local::password(self::JOE), $entry, 'never the password');
        self::assertStringNotContainsString(Local::client(self::RESOWNER)['secret'], $entry, 'never the client secret');
        self::assertStringNotContainsString(self::JOE, basename(self::entries($dir)[0]), 'the name is a digest of the key');
    }

    public function testSourcesWithTheSameKeyShareOneToken(): void
    {
        $tag = Local::tag();
        $dir = Local::cacheDirectory();
        $options = ['file_cache_dir' => $dir];
        $first = self::client("tag-$tag/core")->passwordTokenSource(self::JOE, Local::password(self::JOE), 'qflowapi offline_access', $options);
        // another client object and source, as in the next request of a PHP-FPM worker
        $second = self::client("tag-$tag/core")->passwordTokenSource(self::JOE, Local::password(self::JOE), 'qflowapi offline_access', $options);

        self::assertSame($first->getAccessToken(), $second->getAccessToken());
        self::assertSame(1, Local::requests($tag), 'the second source read the token from the file');
        self::assertCount(1, self::entries($dir));
    }

    public function testDifferentScopesAndUsersNeverShareATokenFile(): void
    {
        $tag = Local::tag();
        $dir = Local::cacheDirectory();
        $options = ['file_cache_dir' => $dir];
        $special = self::client("tag-$tag/core", 'special_client');
        $narrow = $special->clientCredentialsTokenSource('qflowapi', $options)->getAccessToken();
        $default = $special->clientCredentialsTokenSource(null, $options)->getAccessToken();
        self::assertNotSame($narrow, $default);
        self::assertSame($narrow, $special->clientCredentialsTokenSource('qflowapi', $options)->getAccessToken(), 'same key: shared');
        self::assertSame($narrow, $special->clientCredentialsTokenSource('qflowapi+', $options)->getAccessToken(), 'the same scope, normalised');

        $joe = $special->passwordTokenSource(self::JOE, Local::password(self::JOE), 'qflowapi', $options)->getAccessToken();
        $other = $special->passwordTokenSource('special.user@example.com', Local::password('special.user@example.com'), 'qflowapi', $options)
            ->getAccessToken();
        self::assertCount(4, array_unique([$narrow, $default, $joe, $other]));
        self::assertSame(4, Local::requests($tag));
        self::assertCount(4, self::entries($dir));
    }

    public function testInvalidateRemovesTheSharedEntry(): void
    {
        $tag = Local::tag();
        $dir = Local::cacheDirectory();
        $service = self::client("tag-$tag/core", 'acme_service');
        $source = $service->clientCredentialsTokenSource(null, ['file_cache_dir' => $dir]);
        $before = $source->getAccessToken();
        $source->invalidate();
        self::assertSame([], self::entries($dir), 'the entry held the invalidated token: removed');

        $fresh = $service->clientCredentialsTokenSource(null, ['file_cache_dir' => $dir]);
        self::assertNotSame($before, $fresh->getAccessToken(), 'a new source does not get the invalidated token');
        self::assertSame(2, Local::requests($tag));
    }

    public function testUnsafeDirectoriesAreRefused(): void
    {
        $client = self::client('core', 'acme_service');
        $refused = static function (string $dir, string $reason) use ($client): void {
            try {
                $client->clientCredentialsTokenSource(null, ['file_cache_dir' => $dir]);
                self::fail("accepted $dir");
            } catch (InvalidArgumentException $e) {
                self::assertStringContainsString($reason, $e->getMessage());
                self::assertStringStartsWith('file_cache_dir', $e->getMessage());
            }
        };

        $open = Local::temporaryDirectory() . '/open';
        mkdir($open);
        chmod($open, 0777);
        $refused($open, 'writable by other users');

        $file = Local::temporaryDirectory() . '/a-file';
        touch($file);
        $refused($file, 'cannot be created');

        if (Local::isRoot()) {
            $foreign = Local::temporaryDirectory() . '/foreign';
            mkdir($foreign, 0700);
            chown($foreign, self::NOBODY);
            $refused($foreign, 'belongs to another user');
        }

        try {
            $client->clientCredentialsTokenSource(null, ['file_cache_dir' => '']);
            self::fail('accepted an empty directory');
        } catch (InvalidArgumentException $e) {
            self::assertStringContainsString('must not be empty', $e->getMessage());
        }
        $inMemory = $client->clientCredentialsTokenSource(null, ['file_cache_dir' => null]);
        self::assertNull($inMemory->__debugInfo()['fileCacheDir'], 'null: no file cache');
        self::assertStringNotContainsString('shared through', (string) $inMemory);
    }

    /**
     * Starts self::WORKERS copies of tests/fixtures/cache_worker.php, lets them ask for a token at the same
     * moment once all have started, from a server that takes 700 ms to answer, and returns what each printed.
     *
     * @param list<string> $settings -d settings for each PHP process
     * @return list<array<string, mixed>>
     */
    private static function runWorkers(string $tag, string $dir, string $script, array $settings, array $environment, bool $cgi, ?int $asUser): array
    {
        $arguments = [];
        foreach ($settings as $setting) {
            array_push($arguments, '-d', $setting);
        }
        $arguments[] = $script;
        // the workers may run as another user: every user may write the barrier directory (it holds no secret)
        $barrier = Local::temporaryDirectory();
        chmod($barrier, 0777);
        $environment += ['WORKER_URL' => Local::url("tag-$tag/slow-700/core"), 'WORKER_DIR' => $dir, 'WORKER_BARRIER' => $barrier];
        $started = [];
        for ($i = 0; $i < self::WORKERS; $i++) {
            $started[] = Local::spawn($arguments, $environment, $cgi, $asUser);
        }
        $deadline = microtime(true) + 30;
        while (count(glob("$barrier/ready-*") ?: []) < self::WORKERS && microtime(true) < $deadline) {
            usleep(2000);
        }
        touch("$barrier/go"); // (after the deadline too, so that no worker waits for nothing)
        $results = [];
        foreach ($started as $process) {
            [$code, $stdout, $stderr] = Local::wait($process);
            self::assertSame(0, $code, "worker failed:\n$stdout\n$stderr");
            $result = json_decode($stdout, true, 512, JSON_THROW_ON_ERROR);
            self::assertArrayNotHasKey('exception', $result, $result['message'] ?? '');
            $results[] = $result;
        }
        return $results;
    }

    /** @param list<array<string, mixed>> $results */
    private static function assertOneRequestForAll(string $tag, array $results): void
    {
        self::assertCount(1, array_unique(array_column($results, 'token')), 'every process got the same token');
        self::assertStringStartsWith('at-', $results[0]['token']);
        self::assertLessThan(min(array_column($results, 'finished')), max(array_column($results, 'started')),
            'the processes really asked at the same time: each started before any had its token');
        self::assertSame(1, Local::requests($tag), self::WORKERS . ' processes, one request');
    }

    public function testConcurrentProcessesCauseOneRequest(): void
    {
        $tag = Local::tag();
        $results = self::runWorkers($tag, Local::cacheDirectory(), __DIR__ . '/fixtures/cache_worker.php', [], [], false, null);

        self::assertOneRequestForAll($tag, $results);
        self::assertSame('cli', $results[0]['sapi']);
    }

    public function testConcurrentPreloadedServerProcessesCauseOneRequest(): void
    {
        if (Local::phpCgi() === null) {
            self::markTestSkipped('php-cgi is not installed (tests/run.sh installs it)');
        }
        // php-cgi held to ffi.enable=preload, with the package preloaded, as the README sets up PHP-FPM. As root,
        // the workers run as nobody (see PreloadTest), and the library creates the cache directory as that user.
        [$package, $library] = Local::preloadablePackage();
        $dir = sys_get_temp_dir() . '/qflow-php-cache-' . bin2hex(random_bytes(6));
        Local::removeAtExit($dir);
        $tag = Local::tag();
        $settings = ['opcache.enable=1', "opcache.preload=$package/preload.php", 'ffi.enable=preload'];
        $results = self::runWorkers($tag, $dir, "$package/tests/fixtures/cache_worker.php", $settings,
            ['QFLOW_AUTH_LIB' => $library], true, self::NOBODY);

        self::assertOneRequestForAll($tag, $results);
        foreach ($results as $result) {
            self::assertSame('cgi-fcgi', $result['sapi']);
            self::assertTrue($result['classes_preloaded']);
            self::assertTrue($result['preloaded'], 'FFI came from the preloaded scope');
        }
        clearstatcache();
        self::assertSame(0700, fileperms($dir) & 0777);
        if (Local::isRoot()) {
            self::assertSame(self::NOBODY, fileowner($dir), "the directory belongs to the workers' user");
        }
    }
}
