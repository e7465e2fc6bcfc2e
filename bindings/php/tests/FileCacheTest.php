<?php

declare(strict_types=1);

namespace QFlow\Auth\Tests;

use PHPUnit\Framework\TestCase;
use QFlow\Auth\Exception\InternalException;
use QFlow\Auth\Exception\InvalidArgumentException;
use QFlow\Auth\Exception\IoException;
use QFlow\Auth\Exception\QFlowAuthException;
use QFlow\Auth\TokenClient;

/**
 * The `file_cache_dir` option: private files, sources with the same key sharing one token, different scopes and
 * users never sharing, an IoException when the directory becomes read-only, and the PHP-FPM scenario: several PHP processes asking at the same moment cause one
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

    /** Whether a program is on the PATH. */
    private static function onPath(string $program): bool
    {
        foreach (explode(PATH_SEPARATOR, (string) getenv('PATH')) as $dir) {
            if ($dir !== '' && is_file("$dir/$program") && is_executable("$dir/$program")) {
                return true;
            }
        }
        return false;
    }

    public function testADirectoryThatBecameReadOnlyIsAnIoError(): void
    {
        // Root writes to a read-only directory all the same: then tests/fixtures/read_only_cache.php runs as
        // nobody (through setpriv, as the preloading tests do), on a copy of the package that nobody can read.
        if (Local::isRoot() && !self::onPath('setpriv')) {
            self::markTestSkipped('running as root, which can write to a read-only directory, and setpriv is not '
                . 'available to run the check as another user: the IoException of a read-only file cache is not tested');
        }
        [$package, $library] = Local::preloadablePackage();
        $dir = sys_get_temp_dir() . '/qflow-php-cache-' . bin2hex(random_bytes(6));
        Local::removeAtExit($dir);
        $tag = Local::tag();
        [$code, $stdout, $stderr] = Local::php(["$package/tests/fixtures/read_only_cache.php"], [
            'QFLOW_AUTH_LIB' => $library,
            'CACHE_URL' => Local::url("tag-$tag/core"),
            'CACHE_CLIENT_ID' => 'acme_service',
            'CACHE_CLIENT_SECRET' => Local::client('acme_service')['secret'],
            'CACHE_DIR' => $dir,
        ], false, self::NOBODY);
        self::assertSame(0, $code, "exit code $code\n$stdout\n$stderr");
        $result = json_decode($stdout, true, 512, JSON_THROW_ON_ERROR);
        self::assertArrayNotHasKey('exception', $result, $result['message'] ?? '');
        self::assertNotSame(0, $result['uid'], 'not run as root, for which the directory would not be read-only');
        self::assertStringStartsWith('at-', $result['token']);
        self::assertSame(1, $result['entries']);

        // invalidate() could not remove the entry; a new source could not create its lock file
        $removing = $result['invalidate'];
        self::assertNotNull($removing, 'invalidate() removed the entry from a read-only directory');
        self::assertSame(IoException::class, $removing['class'], $removing['message']);
        self::assertStringStartsWith("cannot remove the token cache file $dir/qflow-token-", $removing['message']);
        self::assertNull($removing['http_status']);
        $creating = $result['new_entry'];
        self::assertNotNull($creating, 'a new source wrote into a read-only directory');
        self::assertSame(IoException::class, $creating['class'], $creating['message']);
        self::assertStringStartsWith("cannot open the token cache file $dir/qflow-token-", $creating['message']);
        self::assertMatchesRegularExpression('/\.lock: permission denied$/i', $creating['message']);
        self::assertSame(1, $result['entries_after'], 'the entry is still there');
        self::assertSame(['client_credentials'], Local::grants($tag), 'nothing was sent for the refused new source');

        // an environment problem under the common base class, no longer an InternalException (a bug)
        self::assertSame(QFlowAuthException::class, get_parent_class(IoException::class));
        self::assertFalse(is_a(IoException::class, InternalException::class, true));
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
