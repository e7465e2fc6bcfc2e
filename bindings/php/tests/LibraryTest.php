<?php

declare(strict_types=1);

namespace QFlow\Auth\Tests;

use PHPUnit\Framework\TestCase;
use QFlow\Auth\Library;

/**
 * Finding and loading the library, and saying why it failed. Each case runs in a fresh PHP process
 * (tests/fixtures/load.php), since a process loads the library once.
 */
final class LibraryTest extends TestCase
{
    private const PROBE = __DIR__ . '/fixtures/load.php';

    /** @return array<string, mixed> what load.php printed */
    private static function load(array $environment = [], array $phpSettings = [], string $probe = self::PROBE): array
    {
        $settings = [];
        foreach ($phpSettings as $setting) {
            array_push($settings, ...(str_starts_with($setting, '-') ? [$setting] : ['-d', $setting]));
        }
        [$code, $stdout, $stderr] = Local::php([...$settings, $probe], $environment);
        self::assertSame(0, $code, "load.php failed:\n$stdout\n$stderr");
        return json_decode($stdout, true, 512, JSON_THROW_ON_ERROR);
    }

    private static function cargoVersion(): string
    {
        preg_match('/^version = "([^"]+)"/m', (string) file_get_contents(Local::ROOT . '/Cargo.toml'), $match);
        return $match[1];
    }

    public function testTheLibraryMatchesThisCheckout(): void
    {
        self::assertSame(self::cargoVersion(), Library::version());
        self::assertSame(Local::library(), Library::loadedPath());
        self::assertFalse(Library::isPreloaded());
    }

    public function testTheEnvironmentVariableNamesTheLibrary(): void
    {
        $result = self::load([Library::PATH_ENV => Local::library()]);

        self::assertSame(Local::library(), $result['path']);
        self::assertSame(self::cargoVersion(), $result['version']);
    }

    public function testAnExplicitPathComesFirst(): void
    {
        $result = self::load([Library::PATH_ENV => '/nonexistent/libqflow_auth.so', 'PROBE_USE_PATH' => Local::library()]);

        self::assertSame(Local::library(), $result['path']);
    }

    public function testThePackagesLibFolderThenTheSystemSearchPath(): void
    {
        $package = Local::copyPackage(Local::temporaryDirectory());
        $probe = "$package/tests/fixtures/load.php";
        mkdir(dirname($probe), 0755, true);
        copy(self::PROBE, $probe);

        $result = self::load([Library::PATH_ENV => null], [], $probe);
        self::assertSame('QFlow\Auth\Exception\LibraryLoadException', $result['exception']);
        self::assertSame(["$package/lib/libqflow_auth.so", 'libqflow_auth.so'], array_keys($result['attempts']));
        self::assertSame('no such file', $result['attempts']["$package/lib/libqflow_auth.so"]);
        self::assertStringContainsString('the dynamic loader did not find it', $result['attempts']['libqflow_auth.so']);
        self::assertStringContainsString("$package/lib/libqflow_auth.so (the package's lib/ folder): no such file", $result['message']);
        self::assertStringContainsString('Set QFLOW_AUTH_LIB', $result['message']);

        $fromSearchPath = self::load([Library::PATH_ENV => null, 'LD_LIBRARY_PATH' => dirname(Local::library())], [], $probe);
        self::assertSame('libqflow_auth.so', $fromSearchPath['path']);

        mkdir("$package/lib", 0755);
        copy(Local::library(), "$package/lib/libqflow_auth.so");
        $fromLib = self::load([Library::PATH_ENV => null], [], $probe);
        self::assertSame("$package/lib/libqflow_auth.so", $fromLib['path']);
        self::assertSame(self::cargoVersion(), $fromLib['version']);
    }

    public function testEachReasonALibraryFileCannotBeLoaded(): void
    {
        $dir = Local::temporaryDirectory();
        $running = php_uname('m') === 'aarch64' ? 'aarch64' : 'x86_64';
        [$other, $machine] = $running === 'aarch64' ? ['x86_64', 62] : ['aarch64', 183];
        // a 64-bit little-endian ELF header for another machine: e_machine is at byte 18
        file_put_contents("$dir/foreign.so", "\x7FELF\x02\x01\x01" . str_repeat("\0", 11) . pack('v', $machine) . str_repeat("\0", 44));
        file_put_contents("$dir/text.so", "this is not a library\n");
        // cut short, as by an interrupted copy: the dynamic loader would crash PHP with SIGBUS on it
        file_put_contents("$dir/truncated.so", (string) file_get_contents(Local::library(), false, null, 0, 4096));
        $cases = [
            '/nonexistent/libqflow_auth.so' => 'no such file',
            $dir => 'a directory, not a library file',
            "$dir/text.so" => 'not a shared library (no ELF, Mach-O or PE header)',
            "$dir/foreign.so" => "built for $other, but this PHP runs on $running",
            "$dir/truncated.so" => 'a truncated ELF file (4096 bytes, its header says at least ',
            PHP_BINARY => 'the dynamic loader refused it', // an executable, not a shared library
        ];
        $otherLibrary = ini_get('extension_dir') . '/ffi.so'; // a shared library without qflow_* functions
        if (is_file($otherLibrary)) {
            $cases[$otherLibrary] = "not a matching qflow-auth library (Failed resolving C function 'qflow_";
        }
        foreach ($cases as $path => $reason) {
            $result = self::load([Library::PATH_ENV => $path]);
            self::assertSame('QFlow\Auth\Exception\LibraryLoadException', $result['exception'] ?? null, $path);
            self::assertSame([$path], array_keys($result['attempts']), 'a path set explicitly is the only one tried');
            self::assertStringStartsWith($reason, $result['attempts'][$path]);
            self::assertStringContainsString("$path (set by QFLOW_AUTH_LIB): $reason", $result['message']);
        }
    }

    public function testFfiDisabledOrMissing(): void
    {
        $disabled = self::load([], ['ffi.enable=0']);
        self::assertSame('QFlow\Auth\Exception\LibraryLoadException', $disabled['exception']);
        self::assertStringStartsWith('FFI is disabled by ffi.enable=0 in php.ini', $disabled['message']);

        $missing = self::load([], ['-n']); // no php.ini, so no shared extensions: FFI is not loaded
        self::assertStringStartsWith("qflow/auth needs PHP's FFI extension, which is not loaded", $missing['message']);
    }

    public function testUsePathAfterLoadingIsAMistake(): void
    {
        Library::version();
        Library::usePath(Local::library()); // the same path: harmless

        $this->expectException(\LogicException::class);
        $this->expectExceptionMessage('call Library::usePath() before the first request');
        Library::usePath('/elsewhere/libqflow_auth.so');
    }

    public function testTheFfiPreloadHeaderTool(): void
    {
        [$code, $header, $stderr] = Local::php([dirname(__DIR__) . '/bin/qflow-auth-ffi-header']);
        self::assertSame(0, $code, $stderr);
        $declarations = (string) file_get_contents(dirname(__DIR__) . '/resources/qflow_auth_ffi.h');
        self::assertSame("#define FFI_SCOPE \"QFLOW_AUTH\"\n#define FFI_LIB \"" . realpath(Local::library()) . "\"\n" . $declarations, $header);

        [$code, , $stderr] = Local::php([dirname(__DIR__) . '/bin/qflow-auth-ffi-header', '/nonexistent.so']);
        self::assertSame(1, $code);
        self::assertStringContainsString('/nonexistent.so (set by Library::usePath()): no such file', $stderr);
    }
}
