<?php

declare(strict_types=1);

namespace QFlow\Auth\Tests;

use PHPUnit\Framework\TestCase;

/**
 * The package under opcache preloading with ffi.enable=preload, PHP-FPM's default, where only preloaded
 * code may use FFI. php-cgi stands in for PHP-FPM: like it, and unlike the CLI, it is held to that rule.
 *
 * Preloading as root requires opcache.preload_user, and then PHP preloads in a child process running as
 * that user, where FFI::load() is refused: the FFI scope then comes from ffi.preload. So the preload.php
 * path that declares the scope itself runs as an unprivileged user (nobody, through setpriv, when the
 * tests run as root), with the package and library copied where that user can read them.
 */
final class PreloadTest extends TestCase
{
    private const NOBODY = 65534;

    private static string $package;
    private static string $library;

    public static function setUpBeforeClass(): void
    {
        [self::$package, self::$library] = Local::preloadablePackage();
    }

    /** @return array<string, mixed> what load.php printed, after fetching tokens under these settings */
    private static function probe(array $settings, bool $cgi, ?int $asUser = null): array
    {
        $arguments = [];
        foreach ($settings as $setting) {
            array_push($arguments, '-d', $setting);
        }
        $arguments[] = self::$package . '/tests/fixtures/load.php';
        [$code, $stdout, $stderr] = Local::php($arguments, [
            'QFLOW_AUTH_LIB' => self::$library,
            'PROBE_REQUEST' => Local::url(),
        ], $cgi, $asUser);
        self::assertSame(0, $code, "exit code $code\n$stdout\n$stderr");
        self::assertSame('', trim($stderr), 'no warning');
        return json_decode($stdout, true, 512, JSON_THROW_ON_ERROR);
    }

    private static function assertEverythingWorkedPreloaded(array $result, string $sapi): void
    {
        self::assertArrayNotHasKey('exception', $result, $result['message'] ?? '');
        self::assertSame($sapi, $result['sapi']);
        self::assertTrue($result['classes_preloaded'], 'the package classes came from opcache preloading');
        self::assertTrue($result['preloaded'], 'the declarations came from the FFI scope');
        self::assertNull($result['path']);
        self::assertStringStartsWith('at-', $result['token']);
        self::assertStringStartsWith('at-', $result['extension_grant']);
        self::assertGreaterThan(time(), $result['expires_at']);
        self::assertSame(['invalid_grant', 400], $result['oauth_error']);
        self::assertSame(substr(Local::url(), 0, -strlen('/connect/token')), $result['issuer'], 'discovery');
        self::assertSame(Local::url(), $result['discovered_token_url'], 'the endpoint discovery found');
        self::assertTrue($result['source_renewed'], 'a token source');
        self::assertTrue($result['active'], 'introspection');
        self::assertSame('joe.bloggs@example.com', $result['email'], 'userinfo');
        self::assertFalse($result['active_after_revocation'], 'revocation');
    }

    private static function requireCgi(): void
    {
        if (Local::phpCgi() === null) {
            self::markTestSkipped('php-cgi is not installed (tests/run.sh installs it)');
        }
    }

    private function preloadSettings(): array
    {
        return ['opcache.enable=1', 'opcache.enable_cli=1', 'opcache.preload=' . self::$package . '/preload.php', 'ffi.enable=preload'];
    }

    public function testCliWithOpcachePreload(): void
    {
        self::assertEverythingWorkedPreloaded(self::probe($this->preloadSettings(), false, self::NOBODY), 'cli');
    }

    public function testServerApiWithOpcachePreload(): void
    {
        self::requireCgi();
        self::assertEverythingWorkedPreloaded(self::probe($this->preloadSettings(), true, self::NOBODY), 'cgi-fcgi');
    }

    public function testStartedAsRootWithPreloadUserAndFfiPreload(): void
    {
        self::requireCgi();
        $header = dirname(self::$library) . '/qflow_auth_ffi.h';
        [$code, $text, $stderr] = Local::php([self::$package . '/bin/qflow-auth-ffi-header'], ['QFLOW_AUTH_LIB' => self::$library]);
        self::assertSame(0, $code, $stderr);
        file_put_contents($header, $text);
        chmod($header, 0644);

        $settings = [...$this->preloadSettings(), 'opcache.preload_user=nobody', "ffi.preload=$header"];
        self::assertEverythingWorkedPreloaded(self::probe($settings, true), 'cgi-fcgi');
    }

    public function testPreloadUserWithoutFfiPreloadSaysWhatToAdd(): void
    {
        if (!function_exists('posix_geteuid') || posix_geteuid() !== 0) {
            self::markTestSkipped('PHP uses opcache.preload_user only when started as root');
        }
        self::requireCgi();
        $arguments = [];
        foreach ([...$this->preloadSettings(), 'opcache.preload_user=nobody'] as $setting) {
            array_push($arguments, '-d', $setting);
        }
        [$code, $stdout, $stderr] = Local::php([...$arguments, self::$package . '/tests/fixtures/load.php'],
            ['QFLOW_AUTH_LIB' => self::$library], true);

        self::assertNotSame(0, $code);
        self::assertStringContainsString('qflow-auth-ffi-header', $stdout . $stderr);
        self::assertStringContainsString('add ffi.preload=', $stdout . $stderr);
    }

    public function testWithoutPreloadingTheErrorSaysHowToPreload(): void
    {
        self::requireCgi();
        [$code, $stdout, $stderr] = Local::php(['-d', 'ffi.enable=preload', self::$package . '/tests/fixtures/load.php'],
            ['QFLOW_AUTH_LIB' => self::$library], true);
        self::assertSame(0, $code, $stderr);
        $result = json_decode($stdout, true, 512, JSON_THROW_ON_ERROR);

        self::assertSame('QFlow\Auth\Exception\LibraryLoadException', $result['exception']);
        self::assertStringStartsWith('ffi.enable=preload (PHP-FPM\'s default) allows FFI only in preloaded code', $result['message']);
        self::assertStringContainsString('opcache.preload=', $result['message']);
    }
}
