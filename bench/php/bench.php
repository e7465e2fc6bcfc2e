<?php
// PHP contenders of the benchmark (bench/run.sh): <contender> <base-url> <n>. Prints
// "<contender> <microseconds per request> us/request" (or ns/call for the cached path) after 50
// untimed warm-up requests. For https, QFLOW_BENCH_CA names the CA file.
declare(strict_types=1);

require __DIR__ . '/../../bindings/php/autoload.php';

use QFlow\Auth\TokenClient;

[, $contender, $base, $n] = $argv;
$n = (int) $n;
$url = "$base/core/connect/token";
$ca = str_starts_with($base, 'https:') ? getenv('QFLOW_BENCH_CA') : null;
$clientId = 'acme_resowner';
$clientSecret = '96184159-60d4-4ad4-a11e-0ff3ddcc6678';
$username = 'joe.bloggs@example.com';
$password = 'secret1234';
$scope = 'qflowapi openid offline_access';
$body = http_build_query(['grant_type' => 'password', 'username' => $username, 'password' => $password,
    'scope' => $scope, 'client_id' => $clientId, 'client_secret' => $clientSecret]);

$options = $ca ? ['ca_file' => $ca] : [];
switch ($contender) {
    case 'fgc':
        // The quick-start's way: file_get_contents with a stream context, a new connection each time.
        $context = stream_context_create([
            'http' => ['header' => "Content-type: application/x-www-form-urlencoded\r\n", 'method' => 'POST', 'content' => $body],
            'ssl' => $ca ? ['cafile' => $ca, 'peer_name' => 'localhost'] : [],
        ]);
        $request = function () use ($url, $context) {
            $json = json_decode(file_get_contents($url, false, $context));
            if (!isset($json->access_token)) {
                throw new RuntimeException('no token');
            }
        };
        break;
    case 'curl-reuse':
        $curl = curl_init($url);
        curl_setopt_array($curl, [CURLOPT_POST => true, CURLOPT_POSTFIELDS => $body, CURLOPT_RETURNTRANSFER => true,
            CURLOPT_TCP_NODELAY => true] + ($ca ? [CURLOPT_CAINFO => $ca] : []));
        $request = function () use ($curl) {
            if (!isset(json_decode(curl_exec($curl))->access_token)) {
                throw new RuntimeException('no token');
            }
        };
        break;
    case 'ours-reuse':
        $client = new TokenClient($url, $clientId, $clientSecret, $options);
        $request = fn () => $client->requestPasswordToken($username, $password, $scope)->getAccessToken();
        break;
    case 'ours-oneliner':
        $request = fn () => TokenClient::fetchAccessToken($url, $clientId, $clientSecret, $username, $password, $scope);
        break;
    case 'ours-cached':
        $client = new TokenClient($url, $clientId, $clientSecret, $options);
        $source = $client->passwordTokenSource($username, $password, $scope);
        $request = fn () => $source->getAccessToken();
        break;
    default:
        fwrite(STDERR, "unknown contender $contender\n");
        exit(1);
}
for ($i = 0; $i < 50; $i++) {
    $request();
}
$started = hrtime(true);
for ($i = 0; $i < $n; $i++) {
    $request();
}
$elapsed = hrtime(true) - $started;
if ($contender === 'ours-cached') {
    printf("%s %.1f ns/call\n", $contender, $elapsed / $n);
} else {
    printf("%s %.2f us/request\n", $contender, $elapsed / 1000 / $n);
}
