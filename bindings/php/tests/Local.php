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

    /** The token URL for some mode segments of the local server ("core", "html500", "tag-x/rfc"...). */
    public static function url(string $modes = 'core'): string
    {
        return getenv('QFLOW_TEST_HTTP') . "/$modes/connect/token";
    }

    public static function httpsUrl(string $modes = 'core'): string
    {
        return getenv('QFLOW_TEST_HTTPS') . "/$modes/connect/token";
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

    /** @return array{requests: int, connections: int} */
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
        $binary = $cgi ? self::phpCgi() : PHP_BINARY;
        $command = array_merge([$binary], $cgi ? ['-q'] : [], $arguments);
        if ($asUser !== null && function_exists('posix_geteuid') && posix_geteuid() === 0) {
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
        $stdout = stream_get_contents($pipes[1]);
        $stderr = stream_get_contents($pipes[2]);
        fclose($pipes[1]);
        fclose($pipes[2]);
        return [proc_close($process), (string) $stdout, (string) $stderr];
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
        register_shutdown_function(static function () use ($dir): void {
            self::remove($dir);
        });
        return $dir;
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
