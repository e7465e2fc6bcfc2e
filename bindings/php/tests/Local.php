<?php

declare(strict_types=1);

namespace QFlow\Auth\Tests;

/**
 * The local identity server (tests/identity_server/server.py), its fixtures, and child PHP processes.
 */
final class Local
{
    public const ROOT = __DIR__ . '/../../..';

    /** @var array<string, mixed>|null */
    private static ?array $fixtures = null;

    /** @var array{string, string}|null */
    private static ?array $preloadable = null;

    /** The token URL for some mode segments of the local server ("core", "html500", "tag-x/rfc"...). */
    public static function url(string $modes = 'core'): string
    {
        return getenv('QFLOW_TEST_HTTP') . "/$modes/connect/token";
    }

    public static function httpsUrl(string $modes = 'core'): string
    {
        return getenv('QFLOW_TEST_HTTPS') . "/$modes/connect/token";
    }

    /** An authority for discovery: the local server's base URL and mode segments ending in "core". */
    public static function authority(string $modes = 'core', bool $https = false): string
    {
        return getenv($https ? 'QFLOW_TEST_HTTPS' : 'QFLOW_TEST_HTTP') . "/$modes";
    }

    /** Another endpoint under the same modes: 'revocation', 'introspect' or 'userinfo'. */
    public static function endpoint(string $modes, string $name): string
    {
        return getenv('QFLOW_TEST_HTTP') . "/$modes/connect/$name";
    }

    /** How many requests with tag-$tag reached $endpoint ('/connect/token', 'rfc8414', ...). */
    public static function requests(string $tag, string $endpoint = '/connect/token'): int
    {
        return self::stats($tag)['by_endpoint'][$endpoint] ?? 0;
    }

    /** The grant_type of each tagged token request, in order. */
    public static function grants(string $tag): array
    {
        $grants = [];
        foreach (self::log($tag) as $request) {
            if ($request['endpoint'] === '/connect/token') {
                $grants[] = self::form($request)['grant_type'] ?? null;
            }
        }
        return $grants;
    }

    /** A path for a token cache directory that does not exist yet (the library creates it), removed at exit. */
    public static function cacheDirectory(): string
    {
        return self::temporaryDirectory() . '/token-cache';
    }

    public static function caFile(): string
    {
        return (string) getenv('QFLOW_TEST_CA_FILE');
    }

    public static function library(): string
    {
        return (string) getenv('QFLOW_AUTH_LIB');
    }

    /** A tag unique to this call, to find one test's requests in the server's log. */
    public static function tag(): string
    {
        return 'php-' . bin2hex(random_bytes(6));
    }

    /** @return list<array<string, mixed>> the requests made with tag-$tag, as the server received them */
    public static function log(string $tag): array
    {
        return json_decode((string) file_get_contents(getenv('QFLOW_TEST_HTTP') . '/_log?tag=' . $tag), true, 512, JSON_THROW_ON_ERROR);
    }

    /** @return array{requests: int, connections: int, by_endpoint: array<string, int>} */
    public static function stats(string $tag): array
    {
        return json_decode((string) file_get_contents(getenv('QFLOW_TEST_HTTP') . '/_stats?tag=' . $tag), true, 512, JSON_THROW_ON_ERROR);
    }

    /** The form fields of a logged request, as name => value. */
    public static function form(array $request): array
    {
        $fields = [];
        foreach ($request['form'] as [$name, $value]) {
            $fields[$name] = $value;
        }
        return $fields;
    }

    /** A client of tests/identity_server/fixtures.json: ['secret' => ..., 'grants' => [...], ...]. */
    public static function client(string $id): array
    {
        return self::fixtures()['clients'][$id];
    }

    public static function password(string $user): string
    {
        return self::fixtures()['users'][$user]['password'];
    }

    /**
     * Runs PHP in a child process: the CLI, or php-cgi (which, like PHP-FPM, is not the CLI, so that
     * ffi.enable=preload restricts it). $asUser runs it as that uid/gid through setpriv when we are root.
     *
     * @param list<string> $arguments after the binary: -d settings, the script, its arguments
     * @param array<string, ?string> $environment added to (or, with null values, removed from) ours
     * @return array{int, string, string} exit code, standard output, standard error
     */
    public static function php(array $arguments, array $environment = [], bool $cgi = false, ?int $asUser = null): array
    {
        return self::wait(self::spawn($arguments, $environment, $cgi, $asUser));
    }

    /**
     * Starts PHP in a child process as php() does, without waiting for it: several can run at once.
     *
     * @return array{resource, array<int, resource>} the process and its output pipes, for wait()
     */
    public static function spawn(array $arguments, array $environment = [], bool $cgi = false, ?int $asUser = null): array
    {
        $binary = $cgi ? self::phpCgi() : PHP_BINARY;
        $command = array_merge([$binary], $cgi ? ['-q'] : [], $arguments);
        if ($asUser !== null && self::isRoot()) {
            $command = array_merge(['setpriv', "--reuid=$asUser", "--regid=$asUser", '--clear-groups'], $command);
        }
        $env = getenv();
        foreach ($environment as $name => $value) {
            if ($value === null) {
                unset($env[$name]);
            } else {
                $env[$name] = $value;
            }
        }
        $process = proc_open($command, [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes, null, $env);
        if (!is_resource($process)) {
            throw new \RuntimeException('cannot start ' . implode(' ', $command));
        }
        return [$process, $pipes];
    }

    /**
     * Waits for a process started by spawn().
     *
     * @param array{resource, array<int, resource>} $started
     * @return array{int, string, string} exit code, standard output, standard error
     */
    public static function wait(array $started): array
    {
        [$process, $pipes] = $started;
        $stdout = stream_get_contents($pipes[1]);
        $stderr = stream_get_contents($pipes[2]);
        fclose($pipes[1]);
        fclose($pipes[2]);
        return [proc_close($process), (string) $stdout, (string) $stderr];
    }

    public static function isRoot(): bool
    {
        return function_exists('posix_geteuid') && posix_geteuid() === 0;
    }

    /** php-cgi beside this PHP, or on the PATH; null when it is not installed. */
    public static function phpCgi(): ?string
    {
        $candidates = [dirname(PHP_BINARY) . '/php-cgi' . PHP_MAJOR_VERSION . '.' . PHP_MINOR_VERSION, dirname(PHP_BINARY) . '/php-cgi'];
        foreach (explode(PATH_SEPARATOR, (string) getenv('PATH')) as $dir) {
            $candidates[] = "$dir/php-cgi";
        }
        foreach ($candidates as $candidate) {
            if (is_file($candidate) && is_executable($candidate)) {
                return $candidate;
            }
        }
        return null;
    }

    /** A new directory that every user may read, removed at the end of the process. */
    public static function temporaryDirectory(): string
    {
        $dir = sys_get_temp_dir() . '/qflow-php-' . bin2hex(random_bytes(6));
        mkdir($dir, 0755);
        chmod($dir, 0755);
        self::removeAtExit($dir);
        return $dir;
    }

    /** Removes a file or directory tree at the end of the process. */
    public static function removeAtExit(string $path): void
    {
        register_shutdown_function(static function () use ($path): void {
            self::remove($path);
        });
    }

    /** Copies the package's files (not its tests) into $dir, readable by every user. */
    public static function copyPackage(string $dir): string
    {
        $source = dirname(__DIR__);
        foreach (['autoload.php', 'preload.php', 'composer.json'] as $file) {
            copy("$source/$file", "$dir/$file");
        }
        foreach (['src', 'resources', 'bin'] as $folder) {
            $items = new \RecursiveIteratorIterator(
                new \RecursiveDirectoryIterator("$source/$folder", \FilesystemIterator::SKIP_DOTS),
                \RecursiveIteratorIterator::SELF_FIRST,
            );
            @mkdir("$dir/$folder", 0755);
            foreach ($items as $item) {
                $target = "$dir/$folder/" . substr($item->getPathname(), strlen("$source/$folder/"));
                $item->isDir() ? mkdir($target, 0755) : copy($item->getPathname(), $target);
                chmod($target, $item->isDir() ? 0755 : 0644);
            }
        }
        return $dir;
    }

    /**
     * A copy of the package, its test fixtures and the library that every user can read, made once per process:
     * PHP refuses to preload as root without opcache.preload_user, so the preloading tests run as nobody.
     *
     * @return array{string, string} the package's directory and the library file
     */
    public static function preloadablePackage(): array
    {
        if (self::$preloadable === null) {
            $package = self::copyPackage(self::temporaryDirectory());
            mkdir("$package/tests/fixtures", 0755, true);
            foreach (glob(__DIR__ . '/fixtures/*.php') ?: [] as $fixture) {
                copy($fixture, "$package/tests/fixtures/" . basename($fixture));
                chmod("$package/tests/fixtures/" . basename($fixture), 0644);
            }
            $library = "$package/libqflow_auth.so";
            copy(self::library(), $library);
            chmod($library, 0755);
            self::$preloadable = [$package, $library];
        }
        return self::$preloadable;
    }

    private static function remove(string $path): void
    {
        if (is_dir($path) && !is_link($path)) {
            foreach (scandir($path) ?: [] as $entry) {
                if ($entry !== '.' && $entry !== '..') {
                    self::remove("$path/$entry");
                }
            }
            @rmdir($path);
        } else {
            @unlink($path);
        }
    }

    private static function fixtures(): array
    {
        return self::$fixtures ??= json_decode(
            (string) file_get_contents(self::ROOT . '/tests/identity_server/fixtures.json'),
            true,
            512,
            JSON_THROW_ON_ERROR,
        );
    }
}
