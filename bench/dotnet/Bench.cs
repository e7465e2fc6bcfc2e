// C# (Mono) contenders of the benchmark (bench/run.sh): <contender> <base-url> <n>. Prints
// "<contender> <microseconds per request> us/request" (or ns/call for the cached path) after 50
// untimed warm-up requests. For https, QFLOW_BENCH_CA names the CA file.
using System;
using System.Diagnostics;
using QFlow.Auth;

internal static class Bench
{
    private const string ClientId = "acme_resowner";
    private const string ClientSecret = "96184159-60d4-4ad4-a11e-0ff3ddcc6678";
    private const string Username = "joe.bloggs@example.com";
    private const string Password = "secret1234";
    private const string Scope = "qflowapi openid offline_access";

    private static int Main(string[] args)
    {
        string contender = args[0];
        string url = args[1] + "/core/connect/token";
        long n = long.Parse(args[2]);
        var options = new TokenClientOptions();
        if (args[1].StartsWith("https:", StringComparison.Ordinal))
        {
            options.CaFile = Environment.GetEnvironmentVariable("QFLOW_BENCH_CA");
        }
        using (var client = new TokenClient(url, ClientId, ClientSecret, options))
        {
            Action request;
            TokenSource source = null;
            if (contender == "ours-reuse")
            {
                request = () =>
                {
                    using (Token token = client.RequestPasswordToken(Username, Password, Scope))
                    {
                        if (token.AccessToken == null) throw new InvalidOperationException("no token");
                    }
                };
            }
            else if (contender == "ours-cached")
            {
                source = TokenSource.ForPassword(client, Username, Password, Scope, null);
                request = () =>
                {
                    if (source.GetAccessToken() == null) throw new InvalidOperationException("no token");
                };
            }
            else
            {
                Console.Error.WriteLine("unknown contender " + contender);
                return 1;
            }
            for (int i = 0; i < 50; i++) request();
            var watch = Stopwatch.StartNew();
            for (long i = 0; i < n; i++) request();
            watch.Stop();
            double nanoseconds = watch.Elapsed.TotalMilliseconds * 1e6 / n;
            if (source != null)
            {
                Console.WriteLine("{0} {1:F1} ns/call", contender, nanoseconds);
                source.Dispose();
            }
            else
            {
                Console.WriteLine("{0} {1:F2} us/request", contender, nanoseconds / 1000);
            }
        }
        return 0;
    }
}
