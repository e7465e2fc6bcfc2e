<?php

declare(strict_types=1);

namespace QFlow\Auth\Tests;

use PHPUnit\Framework\TestCase;
use QFlow\Auth\AuthMethod;
use QFlow\Auth\TokenClient;

/** The options reach the wire. */
final class OptionsTest extends TestCase
{
    private const SERVICE = 'acme_service';

    private static function service(string $url, array $options): TokenClient
    {
        return new TokenClient($url, self::SERVICE, Local::client(self::SERVICE)['secret'], $options);
    }

    public function testAuthMethods(): void
    {
        $tag = Local::tag();
        $secret = Local::client(self::SERVICE)['secret'];
        self::service(Local::url("tag-$tag"), [])->requestClientCredentialsToken();
        self::service(Local::url("tag-$tag/rfc"), ['auth_method' => AuthMethod::ClientSecretBasic])->requestClientCredentialsToken();
        self::service(Local::url("tag-$tag"), ['auth_method' => 'client_secret_basic_unencoded'])->requestClientCredentialsToken();

        [$post, $basic, $unencoded] = Local::log($tag);
        self::assertSame($secret, Local::form($post)['client_secret']);
        self::assertArrayNotHasKey('authorization', $post['headers']);
        foreach ([$basic, $unencoded] as $request) {
            self::assertSame('Basic ' . base64_encode(self::SERVICE . ':' . $secret), $request['headers']['authorization']);
            self::assertArrayNotHasKey('client_secret', Local::form($request));
        }
    }

    public function testCaFileTrustsTheServersCertificate(): void
    {
        $token = self::service(Local::httpsUrl(), ['ca_file' => Local::caFile()])->requestClientCredentialsToken('qflowapi');

        self::assertStringStartsWith('at-', $token->getAccessToken());
    }

    public function testProxy(): void
    {
        // The local server's HTTP listener is also a CONNECT proxy to itself, and marks what it tunnels.
        $tag = Local::tag();
        self::service(Local::url("tag-$tag"), ['proxy' => getenv('QFLOW_TEST_HTTP')])->requestClientCredentialsToken();
        self::service(Local::url("tag-$tag"), ['proxy' => ''])->requestClientCredentialsToken();

        [$proxied, $direct] = Local::log($tag);
        self::assertNotNull($proxied['via_proxy'], 'an explicit proxy is used even for loopback');
        self::assertNull($direct['via_proxy']);
    }

    public function testUserAgentTimeoutsAndSizeCap(): void
    {
        $tag = Local::tag();
        self::service(Local::url("tag-$tag"), [
            'user_agent' => 'acme-billing/2.1',
            'connect_timeout_ms' => 2000,
            'timeout_ms' => 5000,
            'max_response_bytes' => 4096,
        ])->requestClientCredentialsToken();
        self::service(Local::url("tag-$tag"), ['user_agent' => null])->requestClientCredentialsToken();

        [$custom, $default] = Local::log($tag);
        self::assertSame('acme-billing/2.1', $custom['headers']['user-agent']);
        self::assertStringStartsWith('qflow-auth/', $default['headers']['user-agent']);
    }
}
