using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Reflection;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using QFlow.Auth.Native;

namespace QFlow.Auth.Tests
{
    /// <summary>
    /// The token lifecycle: token sources (cached path, single flight across threads and processes, renewal
    /// with rotated refresh tokens, invalidation, failures, the password rule, the file cache), discovery,
    /// revocation, introspection and userinfo, against the local identity server. The server counts the
    /// requests of each tag (/_stats), which is how "no request" and "exactly one request" are checked.
    /// </summary>
    internal static partial class Tests
    {
        private const string TokenEndpoint = "/connect/token";
        private const string DiscoveryEndpoint = "/.well-known/openid-configuration";

        // ---- every native function has a caller ------------------------------------------------------------

        public static void EveryNativeFunctionIsUsedByTheLibrary()
        {
            // Free functions are called by the generated SafeHandles; the rest must be called by the library.
            var unused = new Dictionary<string, string>
            {
                { "qflow_fetch_token_json", "the full response comes from TokenClient's Token instead" },
                { "qflow_cancel_token_is_cancelled", "the CancellationToken says whether it was cancelled" },
            };
            string source = string.Join("\n", Directory.GetFiles(
                    Path.Combine(Env.Root, "bindings", "dotnet", "src", "QFlow.Auth"), "*.cs", SearchOption.AllDirectories)
                .Where(f => !f.EndsWith(".g.cs", StringComparison.Ordinal))
                .Select(File.ReadAllText));
            foreach (MethodInfo import in typeof(NativeMethods)
                .GetMethods(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public)
                .Where(m => (m.Attributes & MethodAttributes.PinvokeImpl) != 0))
            {
                if (import.Name.EndsWith("_free", StringComparison.Ordinal) && import.Name != "qflow_string_free")
                {
                    continue;
                }
                bool used = Regex.IsMatch(source, @"NativeMethods\." + import.Name + @"\b");
                Assert.True(used || unused.ContainsKey(import.Name), import.Name + " is called by QFlow.Auth");
                Assert.True(!(used && unused.ContainsKey(import.Name)), import.Name + " is used: drop it from the list");
            }
        }

        // ---- token sources: the cached path and single flight -----------------------------------------------

        public static void TokenSourceCachedPathMakesNoRequest()
        {
            string tag = Env.NewTag("cached");
            using (var client = new TokenClient(Env.Url("tag-" + tag), Service, ServiceSecret))
            using (TokenSource source = TokenSource.ForClientCredentials(client, "qflowapi"))
            {
                Assert.Equal(0, Env.Requests(tag, TokenEndpoint), "client credentials sources are lazy");
                string first;
                using (Token token = source.GetToken())
                {
                    first = token.AccessToken;
                    Assert.StartsWith("at-", first, "access token");
                    Assert.Equal((long?)3600, token.ExpiresIn, "the token's fields");
                }
                Assert.Equal(1, Env.Requests(tag, TokenEndpoint), "the first call requests a token");
                for (int i = 0; i < 500; i++)
                {
                    Assert.Equal(first, source.GetAccessToken(), "the cached access token");
                }
                using (Token cached = source.GetTokenAsync().Result)
                {
                    Assert.Equal(first, cached.AccessToken, "GetTokenAsync, cached");
                }
                Assert.Equal(first, source.GetAccessTokenAsync().Result, "GetAccessTokenAsync, cached");
                Assert.Equal(1, Env.Requests(tag, TokenEndpoint), "no request on the cached path");
            }
        }

        public static void ManyThreadsOnOneTokenSourceCauseOneRequestPerRenewal()
        {
            const int threads = 8, calls = 25, rounds = 3;
            string tag = Env.NewTag("singleflight");
            // The slow server keeps each renewal in flight while the other threads ask.
            using (var client = new TokenClient(Env.Url("tag-" + tag + "/slow-300"), Service, ServiceSecret))
            using (TokenSource source = TokenSource.ForClientCredentials(client))
            {
                var start = new Barrier(threads + 1);
                var done = new Barrier(threads + 1);
                var seen = new List<string>[threads];
                var failures = new List<string>();
                var workers = Enumerable.Range(0, threads).Select(i => new Thread(() =>
                {
                    seen[i] = new List<string>();
                    for (int round = 0; round < rounds; round++)
                    {
                        start.SignalAndWait();
                        try
                        {
                            for (int c = 0; c < calls; c++)
                            {
                                seen[i].Add(source.GetAccessToken());
                            }
                        }
                        catch (Exception e)
                        {
                            lock (failures)
                            {
                                failures.Add("thread " + i + ": " + e);
                            }
                        }
                        done.SignalAndWait();
                    }
                })).ToList();
                workers.ForEach(w => w.Start());
                var perRound = new List<int>();
                for (int round = 0; round < rounds; round++)
                {
                    start.SignalAndWait();
                    done.SignalAndWait();
                    perRound.Add(Env.Requests(tag, TokenEndpoint));
                    source.Invalidate(); // as after a 401 from the API: the next round must renew
                }
                workers.ForEach(w => w.Join());
                Assert.True(failures.Count == 0, "no failure: " + string.Join("\n", failures));
                Assert.Equal("1,2,3", string.Join(",", perRound),
                    "token requests after each round of " + threads + " threads x " + calls + " calls");
                int distinct = seen.SelectMany(s => s).Distinct().Count();
                Assert.Equal(rounds, distinct, "one token per round, shared by every thread");
                Assert.Equal(threads * calls * rounds, seen.Sum(s => s.Count), "calls answered");
            }
        }

        // ---- renewal -------------------------------------------------------------------------------------

        public static void ShortLivedTokensAreRenewedWithRotatedRefreshTokens()
        {
            string tag = Env.NewTag("rotation");
            using (var client = new TokenClient(Env.Url("tag-" + tag + "/expires-1"), Resowner, ResownerSecret))
            using (TokenSource source = TokenSource.ForPassword(client, Joe, JoePassword, "qflowapi offline_access",
                new TokenSourceOptions { Skew = TimeSpan.Zero }))
            {
                var tokens = new HashSet<string> { source.GetAccessToken() };
                Assert.Equal(1, Env.Requests(tag, TokenEndpoint), "the token is cached while valid");
                for (int i = 0; i < 2; i++)
                {
                    Thread.Sleep(1100); // past the one-second lifetime
                    tokens.Add(source.GetAccessToken());
                }
                Assert.Equal(3, tokens.Count, "a new token after each expiry");
            }
            // One sign-in, then refreshes only. The server's refresh tokens are one-time-only, so the second
            // refresh succeeding proves that the rotated refresh token was stored.
            Assert.Equal("password,refresh_token,refresh_token", string.Join(",", Env.Grants(tag)), "grants sent");
            string log = Env.Log(tag);
            Assert.Equal(1, Regex.Matches(log, "\\[\"password\", ").Count, "the password was sent once");
        }

        public static void SkewDecidesWhenATokenIsRenewed()
        {
            string tagDefault = Env.NewTag("skewdefault");
            string tagZero = Env.NewTag("skewzero");
            using (var byDefault = new TokenClient(Env.Url("tag-" + tagDefault + "/expires-2"), Service, ServiceSecret))
            using (var atExpiry = new TokenClient(Env.Url("tag-" + tagZero + "/expires-2"), Service, ServiceSecret))
            using (TokenSource halfLife = TokenSource.ForClientCredentials(byDefault))
            using (TokenSource zeroSkew = TokenSource.ForClientCredentials(atExpiry, null,
                new TokenSourceOptions { Skew = TimeSpan.Zero }))
            {
                string a = halfLife.GetAccessToken(), b = zeroSkew.GetAccessToken();
                Thread.Sleep(1300);
                // 2 s tokens: with the default 60 s skew they are renewed at half their lifetime, with none at expiry.
                Assert.True(a != halfLife.GetAccessToken(), "default skew: renewed after 1 s");
                Assert.Equal(b, zeroSkew.GetAccessToken(), "zero skew: still the first token after 1.3 s");
            }
            Assert.Equal(2, Env.Requests(tagDefault, TokenEndpoint), "requests with the default skew");
            Assert.Equal(1, Env.Requests(tagZero, TokenEndpoint), "requests with zero skew");
        }

        public static void InvalidateForcesARenewalAndFailedRenewalsAreNotCached()
        {
            string tag = Env.NewTag("invalidate");
            using (var client = new TokenClient(Env.Url("tag-" + tag), Service, ServiceSecret))
            using (TokenSource source = TokenSource.ForClientCredentials(client))
            {
                string first = source.GetAccessToken();
                source.Invalidate();
                source.Invalidate(); // twice is fine
                Assert.Equal(1, Env.Requests(tag, TokenEndpoint), "Invalidate itself sends nothing");
                string second = source.GetAccessToken();
                Assert.True(first != second, "a new token after Invalidate");
                Assert.Equal(second, source.GetAccessToken(), "then cached again");
                Assert.Equal(2, Env.Requests(tag, TokenEndpoint), "requests");
            }

            const int threads = 6;
            string failing = Env.NewTag("failing");
            using (var client = new TokenClient(Env.Url("tag-" + failing + "/slow-300/html500"), Service, ServiceSecret))
            using (TokenSource source = TokenSource.ForClientCredentials(client))
            {
                var start = new Barrier(threads);
                var errors = new Exception[threads];
                var workers = Enumerable.Range(0, threads).Select(i => new Thread(() =>
                {
                    start.SignalAndWait();
                    try
                    {
                        source.GetToken().Dispose();
                    }
                    catch (Exception e)
                    {
                        errors[i] = e;
                    }
                })).ToList();
                workers.ForEach(w => w.Start());
                workers.ForEach(w => w.Join());
                foreach (Exception error in errors)
                {
                    var http = error as HttpStatusException;
                    Assert.True(http != null, "every waiter gets the HTTP error (got " + error + ")");
                    Assert.Equal((HttpStatusCode?)HttpStatusCode.InternalServerError, http.HttpStatusCode, "HttpStatusCode");
                }
                Assert.Equal(1, Env.Requests(failing, TokenEndpoint), "the waiters shared the one failing request");
                Assert.Throws<HttpStatusException>(() => source.GetAccessToken(), "the next call");
                Assert.Equal(2, Env.Requests(failing, TokenEndpoint), "the failure was not cached: the next call asked again");
                Assert.ThrowsFrom<HttpStatusException>(source.GetTokenAsync(), "through a task");
            }
        }

        // ---- the password grant: discarded unless kept ------------------------------------------------------

        public static void PasswordSourcesDiscardThePasswordUnlessKept()
        {
            string tag = Env.NewTag("discard");
            using (var client = new TokenClient(Env.Url("tag-" + tag), Resowner, ResownerSecret))
            {
                // Without offline_access there is no refresh token, and without the password nothing can renew.
                using (TokenSource source = TokenSource.ForPassword(client, Joe, JoePassword, "qflowapi"))
                {
                    Assert.Equal(1, Env.Requests(tag, TokenEndpoint), "the first token is requested at creation");
                    Assert.StartsWith("at-", source.GetAccessToken(), "the first token, cached");
                    Assert.Equal(1, Env.Requests(tag, TokenEndpoint), "requests");
                    source.Invalidate();
                    // QFLOW_STATUS_INVALID_STATE: a call the source's state does not allow, not a bad argument.
                    var e = Assert.Throws<InvalidOperationException>(() => source.GetToken(), "renewing without the password");
                    Assert.Contains("keep_password", e.Message, "the message says how to keep it");
                    Assert.Contains("offline_access", e.Message, "the message says how to get a refresh token");
                    Assert.Throws<InvalidOperationException>(() => source.GetAccessToken(), "GetAccessToken, again");
                    Assert.ThrowsFrom<InvalidOperationException>(source.GetTokenAsync(), "through a task");
                    Assert.Equal(1, Env.Requests(tag, TokenEndpoint), "nothing was sent");
                }
                var refused = Assert.Throws<OAuthException>(() => TokenSource.ForPassword(client, Joe, "wrong"),
                    "a wrong password fails at creation");
                Assert.Equal("invalid_grant", refused.Error, "Error");
            }

            string kept = Env.NewTag("keep");
            using (var client = new TokenClient(Env.Url("tag-" + kept), Resowner, ResownerSecret))
            using (TokenSource source = TokenSource.ForPassword(client, Joe, JoePassword, "qflowapi",
                new TokenSourceOptions { KeepPassword = true }))
            {
                Assert.Equal(0, Env.Requests(kept, TokenEndpoint), "a kept password allows a lazy first request");
                string first = source.GetAccessToken();
                source.Invalidate();
                Assert.True(first != source.GetAccessToken(), "signed in again with the kept password");
                Assert.Equal("password,password", string.Join(",", Env.Grants(kept)), "grants sent");
            }
        }

        public static void ARevokedRefreshTokenFallsBackToTheKeptPassword()
        {
            string tag = Env.NewTag("fallback");
            var options = new TokenClientOptions { RevocationUrl = Env.Authority("tag-" + tag) + "/connect/revocation" };
            using (var client = new TokenClient(Env.Authority("tag-" + tag) + "/connect/token", Resowner, ResownerSecret,
                options))
            using (TokenSource source = TokenSource.ForPassword(client, Joe, JoePassword, AllScopes,
                new TokenSourceOptions { KeepPassword = true }))
            using (Token first = source.GetToken())
            {
                client.RevokeToken(first.RefreshToken, TokenTypeHint.RefreshToken);
                source.Invalidate();
                Assert.True(source.GetAccessToken() != first.AccessToken, "a new token");
                Assert.Equal("password,refresh_token,password", string.Join(",", Env.Grants(tag)),
                    "the refresh token was refused, then the kept password signed in again");
            }
        }

        public static void RefreshTokenSourcesStartFromASavedRefreshToken()
        {
            string tag = Env.NewTag("saved");
            using (var client = new TokenClient(Env.Url("tag-" + tag), Resowner, ResownerSecret))
            {
                string saved;
                using (Token token = client.RequestPasswordToken(Joe, JoePassword, "qflowapi offline_access"))
                {
                    saved = token.RefreshToken;
                }
                using (TokenSource source = TokenSource.ForRefreshToken(client, saved))
                {
                    Assert.Equal(1, Env.Requests(tag, TokenEndpoint), "refresh-token sources are lazy");
                    string first = source.GetAccessToken();
                    source.Invalidate();
                    Assert.True(first != source.GetAccessToken(), "renewed with the rotated refresh token");
                    Assert.Equal("password,refresh_token,refresh_token", string.Join(",", Env.Grants(tag)), "grants");
                    var used = Assert.Throws<OAuthException>(() => client.RequestRefreshToken(saved),
                        "the saved refresh token was rotated away");
                    Assert.Equal("invalid_grant", used.Error, "Error");
                }
                using (TokenSource unknown = TokenSource.ForRefreshToken(client, "rt-never-issued", "qflowapi"))
                {
                    var e = Assert.Throws<OAuthException>(() => unknown.GetToken(), "an unknown refresh token");
                    Assert.Equal("invalid_grant", e.Error, "Error");
                }
            }
        }

        // ---- the file cache ------------------------------------------------------------------------------

        public static void FileCacheSharesTokensByKeyInPrivateFiles()
        {
            string tag = Env.NewTag("filecache");
            string dir = Path.Combine(Env.TempPath("filecache"), "tokens");
            try
            {
                var options = new TokenSourceOptions { FileCacheDirectory = dir };
                using (var client = new TokenClient(Env.Url("tag-" + tag), Service, ServiceSecret))
                using (TokenSource narrow = TokenSource.ForClientCredentials(client, "qflowapi", options))
                using (TokenSource defaults = TokenSource.ForClientCredentials(client, null, options))
                using (TokenSource same = TokenSource.ForClientCredentials(client, "qflowapi", options))
                {
                    Assert.Equal("700", Env.Mode(dir), "the directory's mode");
                    string a = narrow.GetAccessToken();
                    Assert.True(a != defaults.GetAccessToken(), "different scopes never share a token");
                    Assert.Equal(a, same.GetAccessToken(), "the same key shares the token through the file");
                    Assert.Equal(2, Env.Requests(tag, TokenEndpoint), "one request per key");
                    string[] entries = Directory.GetFiles(dir, "*.json");
                    Assert.Equal(2, entries.Length, "one file per key");
                    foreach (string entry in entries)
                    {
                        Assert.Equal("600", Env.Mode(entry), "an entry's mode");
                        Assert.DoesNotContain(ServiceSecret, File.ReadAllText(entry), "the client secret on disk");
                    }
                }
                using (var client = new TokenClient(Env.Url("core"), SpecialClient, SpecialSecret))
                using (TokenSource source = TokenSource.ForPassword(client, SpecialUser, SpecialPassword, "qflowapi", options))
                {
                    source.GetAccessToken();
                }
                foreach (string entry in Directory.GetFiles(dir))
                {
                    string text = File.ReadAllText(entry);
                    Assert.DoesNotContain("p&ss+w rd", text, "the password on disk");
                    Assert.DoesNotContain("s&cr+t", text, "the client secret on disk");
                }

                string open = Path.Combine(Env.TempPath("filecache-open"), "tokens");
                Directory.CreateDirectory(open);
                Env.Run("chmod", "0777 \"" + open + "\"");
                using (var client = new TokenClient(Env.Url("core"), Service, ServiceSecret))
                {
                    var refused = Assert.Throws<ArgumentException>(() => TokenSource.ForClientCredentials(client, null,
                        new TokenSourceOptions { FileCacheDirectory = open }), "a directory others can write to");
                    Assert.Contains("writable by other users", refused.Message, "message");
                }
                Directory.Delete(Path.GetDirectoryName(open), true);
            }
            finally
            {
                if (Directory.Exists(Path.GetDirectoryName(dir)))
                {
                    Directory.Delete(Path.GetDirectoryName(dir), true);
                }
            }
        }

        public static void FileCacheIOFailuresThrowLocalIOException()
        {
            string tag = Env.NewTag("cacheio");
            string root = Env.TempPath("cacheio");
            string dir = Path.Combine(root, "tokens");
            try
            {
                using (var client = new TokenClient(Env.Url("tag-" + tag), Service, ServiceSecret))
                using (TokenSource source = TokenSource.ForClientCredentials(client, null,
                    new TokenSourceOptions { FileCacheDirectory = dir }))
                {
                    string first = source.GetAccessToken();
                    // The directory goes away after the source was created (a clean-up of /tmp, an unmounted
                    // volume): no process, root included, can create the lock file in it.
                    Directory.Delete(dir, true);
                    var e = Assert.Throws<LocalIOException>(() => source.Invalidate(), "Invalidate, the directory gone");
                    Assert.Equal(QFlowStatus.IO, e.Status, "Status (QFLOW_STATUS_IO, no longer INTERNAL)");
                    Assert.Equal(null, e.HttpStatusCode, "no HTTP status");
                    Assert.Contains("token cache file " + dir, e.Message, "the message names the file");
                    Assert.Throws<LocalIOException>(() => source.GetToken(), "the renewal cannot lock the entry");
                    Assert.ThrowsFrom<LocalIOException>(source.GetTokenAsync(), "through a task");
                    Assert.Equal(1, Env.Requests(tag, TokenEndpoint), "nothing was sent without the lock");

                    // Not cached: once the directory is back, the source renews.
                    Directory.CreateDirectory(dir);
                    Env.Run("chmod", "0700 \"" + dir + "\"");
                    Assert.True(first != source.GetAccessToken(), "renewed once the directory is back");
                    Assert.Equal(2, Env.Requests(tag, TokenEndpoint), "requests");
                }
            }
            finally
            {
                if (Directory.Exists(root))
                {
                    Directory.Delete(root, true);
                }
            }
        }

        public static void FileCacheInAReadOnlyDirectoryThrowsLocalIOException()
        {
            string tag = Env.NewTag("cachereadonly");
            string root = Env.TempPath("cachereadonly");
            string dir = Path.Combine(root, "tokens");
            try
            {
                using (var client = new TokenClient(Env.Url("tag-" + tag), Service, ServiceSecret))
                using (TokenSource source = TokenSource.ForClientCredentials(client, null,
                    new TokenSourceOptions { FileCacheDirectory = dir }))
                {
                    string first = source.GetAccessToken();
                    Env.Run("chmod", "0500 \"" + dir + "\""); // read-only, after the source was created
                    if (CanCreateFileIn(dir))
                    {
                        throw new SkipException("running as root, who may write to a directory of mode 0500 anyway, " +
                            "so the read-only case cannot be provoked (LocalIOException is covered by " +
                            nameof(FileCacheIOFailuresThrowLocalIOException) + ")");
                    }
                    var e = Assert.Throws<LocalIOException>(() => source.Invalidate(), "Invalidate, the directory read-only");
                    Assert.Equal(QFlowStatus.IO, e.Status, "Status");
                    Assert.Contains("cannot remove the token cache file " + dir, e.Message, "the message says what failed");

                    Env.Run("chmod", "0700 \"" + dir + "\"");
                    source.GetAccessToken(); // the entry that could not be removed, read back
                    source.Invalidate();
                    Assert.True(first != source.GetAccessToken(), "renewed once the directory is writable again");
                    Assert.Equal(2, Env.Requests(tag, TokenEndpoint), "requests");
                }
            }
            finally
            {
                if (Directory.Exists(dir))
                {
                    Env.Run("chmod", "0700 \"" + dir + "\"");
                }
                if (Directory.Exists(root))
                {
                    Directory.Delete(root, true);
                }
            }
        }

        /// <summary>Whether this process can create a file in <paramref name="dir"/> (root can despite the mode).</summary>
        private static bool CanCreateFileIn(string dir)
        {
            string probe = Path.Combine(dir, "probe-" + Process.GetCurrentProcess().Id);
            try
            {
                File.WriteAllText(probe, "");
            }
            catch (Exception e) when (e is UnauthorizedAccessException || e is IOException)
            {
                return false;
            }
            File.Delete(probe);
            return true;
        }

        internal const string FileCacheWorkerFlag = "--file-cache-worker";

        /// <summary>Run in child processes by <see cref="ProcessesShareATokenThroughTheFileCache"/>: prints the
        /// access token its own source got.</summary>
        internal static int FileCacheWorker()
        {
            string url = Environment.GetEnvironmentVariable("QFLOW_WORKER_URL");
            string dir = Environment.GetEnvironmentVariable("QFLOW_WORKER_DIR");
            using (var client = new TokenClient(url, Service, ServiceSecret))
            using (TokenSource source = TokenSource.ForClientCredentials(client, null,
                new TokenSourceOptions { FileCacheDirectory = dir }))
            {
                Console.WriteLine("TOKEN=" + source.GetAccessToken());
            }
            return 0;
        }

        public static void ProcessesShareATokenThroughTheFileCache()
        {
            const int processes = 4;
            string tag = Env.NewTag("processes");
            string dir = Env.TempPath("processes");
            // This test program again, in worker mode: under Mono "mono <exe>", on .NET "dotnet <dll>" or the apphost.
            string self = Assembly.GetEntryAssembly().Location;
            string host = Process.GetCurrentProcess().MainModule.FileName;
            bool onMono = Type.GetType("Mono.Runtime") != null;
            string command = onMono ? "mono" : host;
            string arguments = (onMono ? "--debug \"" + self + "\" "
                : Path.GetFileNameWithoutExtension(host) == "dotnet" ? "\"" + self + "\" " : "") + FileCacheWorkerFlag;
            try
            {
                // Started together against a slow server: the first renewal is still in flight while the others
                // queue on the cache's lock; they must then read its token instead of asking for their own.
                var children = Enumerable.Range(0, processes).Select(_ =>
                {
                    var start = new ProcessStartInfo(command, arguments)
                    {
                        UseShellExecute = false,
                        RedirectStandardOutput = true,
                        RedirectStandardError = true,
                    };
                    start.EnvironmentVariables["QFLOW_WORKER_URL"] = Env.Url("tag-" + tag + "/slow-700");
                    start.EnvironmentVariables["QFLOW_WORKER_DIR"] = dir;
                    return Process.Start(start);
                }).ToList();
                var tokens = new HashSet<string>();
                foreach (Process child in children)
                {
                    Task<string> stderr = child.StandardError.ReadToEndAsync();
                    string stdout = child.StandardOutput.ReadToEnd();
                    child.WaitForExit();
                    Assert.Equal(0, child.ExitCode, "a worker's exit code (stderr: " + stderr.Result + ")");
                    Match token = Regex.Match(stdout, "TOKEN=(at-\\S+)");
                    Assert.True(token.Success, "a worker printed a token");
                    tokens.Add(token.Groups[1].Value);
                    child.Dispose();
                }
                Assert.Equal(1, tokens.Count, "every process got the same token");
                Assert.Equal(1, Env.Requests(tag, TokenEndpoint), processes + " processes, one request");
            }
            finally
            {
                if (Directory.Exists(dir))
                {
                    Directory.Delete(dir, true);
                }
            }
        }

        // ---- discovery ------------------------------------------------------------------------------------

        public static void DiscoveryWithTheIdentityServer3CorePath()
        {
            string tag = Env.NewTag("discovery");
            string authority = Env.Authority("tag-" + tag);
            using (TokenClient client = TokenClient.FromAuthority(authority, Resowner, ResownerSecret))
            {
                Assert.Equal(authority, client.Issuer, "Issuer");
                Assert.Equal(null, client.DiscoveryWarning, "no warning when the issuer is the authority");
                Assert.Equal(authority, client.Authority, "Authority");
                Assert.Equal(authority + "/connect/token", client.TokenUrl, "TokenUrl: the endpoint discovery found");
                Assert.Contains(authority, client.ToString(), "ToString shows the authority");
                using (Token token = client.RequestPasswordToken(Joe, JoePassword, AllScopes))
                {
                    Assert.Equal(1, Env.Requests(tag, TokenEndpoint), "the discovered token endpoint was used");
                    // The other endpoints came from the document too.
                    using (Claims introspection = client.IntrospectToken(token.AccessToken))
                    {
                        Assert.True(introspection.IsActive, "introspection through the discovered endpoint");
                    }
                    using (Claims user = client.GetUserInfo(token.AccessToken))
                    {
                        Assert.Equal(Joe, user["email"], "userinfo through the discovered endpoint");
                    }
                    client.RevokeToken(token.RefreshToken, TokenTypeHint.RefreshToken);
                    Assert.Equal(1, Env.Requests(tag, "/connect/revocation"), "revocation through the discovered endpoint");
                }
            }
            // Cached per process: a second client for the same authority reads no document.
            using (TokenClient again = TokenClient.FromAuthorityAsync(authority, Resowner, null).Result)
            {
                Assert.Equal(authority, again.Issuer, "Issuer from the cached document");
            }
            Assert.Equal(1, Env.Requests(tag, DiscoveryEndpoint), "discovery documents read");

            var tls = new TokenClientOptions { CaFile = Env.CaFile };
            using (TokenClient https = TokenClient.FromAuthority(Env.Https + "/core", Service, ServiceSecret, tls))
            using (Token token = https.RequestClientCredentialsToken("qflowapi"))
            {
                Assert.StartsWith("at-", token.AccessToken, "discovery over HTTPS with the CA option");
            }
            Assert.Throws<TlsException>(() => TokenClient.FromAuthority(Env.Https + "/tag-" + tag + "/core", Resowner, null),
                "discovery over HTTPS without the CA option");
        }

        public static void DiscoveryReportsAnotherIssuerFallsBackToRfc8414AndRefusesInsecureEndpoints()
        {
            using (TokenClient other = TokenClient.FromAuthority(Env.Authority("tag-" + Env.NewTag("x") + "/other-issuer"),
                Resowner, null))
            {
                Assert.Equal("https://identity.qflowhub.io/core", other.Issuer, "Issuer as the document names it");
                Assert.Contains("https://identity.qflowhub.io/core", other.DiscoveryWarning, "DiscoveryWarning");
            }

            string tag = Env.NewTag("rfc8414");
            using (TokenClient fallback = TokenClient.FromAuthority(Env.Authority("tag-" + tag + "/no-oidc-discovery"),
                Resowner, ResownerSecret))
            using (Token token = fallback.RequestPasswordToken(Joe, JoePassword))
            {
                Assert.StartsWith("at-", token.AccessToken, "a token through the RFC 8414 document");
            }
            Assert.Equal(1, Env.Requests(tag, DiscoveryEndpoint), "the OpenID Connect location was tried first");
            Assert.Equal(1, Env.Requests(tag, "rfc8414"), "then RFC 8414's");

            var insecure = Assert.Throws<ArgumentException>(() => TokenClient.FromAuthority(
                Env.Authority("tag-" + Env.NewTag("x") + "/http-endpoints"), Resowner, null), "http:// endpoints on another host");
            Assert.StartsWith("token_endpoint (from discovery)", insecure.Message, "message");
            Assert.Throws<HttpStatusException>(() => TokenClient.FromAuthority(Env.Authority("tag-" + Env.NewTag("x") + "/html500"),
                Resowner, null), "a discovery document that is an HTML 500");
            Assert.Throws<ConnectionException>(() => TokenClient.FromAuthority("http://127.0.0.1:9/core", Resowner, null),
                "an authority that does not answer");
        }

        public static void EndpointGettersReportTheEndpointsInUse()
        {
            // A client made from a token URL: the URL given, and the endpoints of its options or null.
            string url = Env.Url("core");
            using (var plain = new TokenClient(url, Resowner, ResownerSecret))
            {
                Assert.Equal(url, plain.TokenUrl, "TokenUrl");
                Assert.Equal(null, plain.RevocationUrl, "RevocationUrl without the option");
                Assert.Equal(null, plain.IntrospectionUrl, "IntrospectionUrl without the option");
                Assert.Equal(null, plain.UserInfoUrl, "UserInfoUrl without the option");
                Assert.Equal(null, plain.Authority, "Authority");
                Assert.Equal("TokenClient(" + url + ", client " + Resowner + ")", plain.ToString(), "ToString");
            }
            string authority = Env.Authority("");
            var client = new TokenClient(url, Resowner, ResownerSecret, Endpoints(""));
            client.Dispose();
            Assert.Equal(url, client.TokenUrl, "TokenUrl, readable after Dispose");
            Assert.Equal(authority + "/connect/revocation", client.RevocationUrl, "RevocationUrl from the options");
            Assert.Equal(authority + "/connect/introspect", client.IntrospectionUrl, "IntrospectionUrl from the options");
            Assert.Equal(authority + "/connect/userinfo", client.UserInfoUrl, "UserInfoUrl from the options");

            // A client made by discovery: what the document lists, unless the options say otherwise.
            TokenClient discovered = TokenClient.FromAuthority(authority, Resowner, ResownerSecret);
            discovered.Dispose();
            Assert.Equal(authority + "/connect/token", discovered.TokenUrl, "TokenUrl from discovery");
            Assert.Equal(authority + "/connect/revocation", discovered.RevocationUrl, "RevocationUrl from discovery");
            Assert.Equal(authority + "/connect/introspect", discovered.IntrospectionUrl, "IntrospectionUrl from discovery");
            Assert.Equal(authority + "/connect/userinfo", discovered.UserInfoUrl, "UserInfoUrl from discovery");
            Assert.Equal("TokenClient(authority " + authority + ", client " + Resowner + ", disposed)",
                discovered.ToString(), "ToString still shows the authority");
            string own = Env.Authority("unavailable") + "/connect/revocation";
            using (TokenClient overridden = TokenClient.FromAuthorityAsync(authority, Resowner, ResownerSecret,
                new TokenClientOptions { RevocationUrl = own }).Result)
            {
                Assert.Equal(own, overridden.RevocationUrl, "RevocationUrl: the option takes precedence");
                Assert.Equal(authority + "/connect/userinfo", overridden.UserInfoUrl, "UserInfoUrl still from discovery");
                // The endpoint reported is the one used: its 503 comes back.
                var e = Assert.Throws<HttpStatusException>(() => overridden.RevokeToken("at-x"), "the option's endpoint");
                Assert.Equal((TimeSpan?)TimeSpan.FromSeconds(7), e.RetryAfter, "RetryAfter");
            }
            string rfc8414 = Env.Authority("no-oidc-discovery");
            using (TokenClient fallback = TokenClient.FromAuthority(rfc8414, Resowner, null))
            {
                Assert.Equal(rfc8414 + "/connect/token", fallback.TokenUrl, "TokenUrl from the RFC 8414 document");
            }
        }

        // ---- revocation, introspection, userinfo ---------------------------------------------------------

        private static TokenClientOptions Endpoints(string modes)
        {
            string authority = Env.Authority(modes);
            return new TokenClientOptions
            {
                RevocationUrl = authority + "/connect/revocation",
                IntrospectionUrl = authority + "/connect/introspect",
                UserInfoUrl = authority + "/connect/userinfo",
            };
        }

        public static void RevocationAndIntrospectionRoundTrip()
        {
            string tag = Env.NewTag("revoke");
            using (var client = new TokenClient(Env.Url("core"), Resowner, ResownerSecret, Endpoints("tag-" + tag)))
            using (Token token = client.RequestPasswordToken(Joe, JoePassword, "qflowapi offline_access"))
            {
                using (Claims claims = client.IntrospectToken(token.AccessToken, TokenTypeHint.AccessToken))
                {
                    Assert.True(claims.IsActive, "IsActive");
                    Assert.Equal("true", claims["active"], "a boolean member as its JSON text");
                    Assert.Equal(Resowner, claims["client_id"], "client_id");
                    Assert.Equal("qflowapi offline_access", claims["scope"], "scope");
                    Assert.True(Regex.IsMatch(claims["exp"] ?? "", "^[0-9]+$"), "exp as its JSON text");
                    string value;
                    Assert.True(!claims.TryGet("missing", out value) && value == null, "TryGet, absent member");
                    Assert.True(claims.TryGet("sub", out value) && value != null, "TryGet, sub");
                    Assert.Contains("\"active\": true", claims.Raw, "Raw");
                    Assert.Equal("Claims(introspection, active)", claims.ToString(), "ToString");
                }
                client.RevokeTokenAsync(token.AccessToken, TokenTypeHint.AccessToken).Wait();
                using (Claims after = client.IntrospectTokenAsync(token.AccessToken).Result)
                {
                    Assert.True(!after.IsActive, "inactive after revocation");
                    Assert.Equal("{\"active\": false}", after.Raw, "Raw");
                    Assert.Equal("Claims(introspection, inactive)", after.ToString(), "ToString");
                }
                client.RevokeToken("never-issued"); // RFC 7009: unknown tokens are fine

                client.RevokeToken(token.RefreshToken);
                var e = Assert.Throws<OAuthException>(() => client.RequestRefreshToken(token.RefreshToken),
                    "a revoked refresh token");
                Assert.Equal("invalid_grant", e.Error, "Error");
            }
            string log = Env.Log(tag);
            Assert.Equal(3, Env.Requests(tag, "/connect/revocation"), "revocation requests");
            Assert.Equal(2, Env.Requests(tag, "/connect/introspect"), "introspection requests");
            Assert.Contains("[\"token_type_hint\", \"access_token\"]", log, "the hint on the wire");
            Assert.Equal(5, Regex.Matches(log, "\\[\"client_secret\", \"" + ResownerSecret + "\"\\]").Count,
                "every request authenticated the client");
        }

        public static void UserInfoReturnsTheUsersClaimsAndErrorsComeFromWwwAuthenticate()
        {
            using (var client = new TokenClient(Env.Url("core"), Resowner, ResownerSecret, Endpoints("")))
            {
                using (Token token = client.RequestPasswordToken(Joe, JoePassword, AllScopes))
                using (Claims user = client.GetUserInfoAsync(token.AccessToken).Result)
                {
                    Assert.Equal(Joe, user["email"], "email");
                    Assert.Equal(Joe, user["preferred_username"], "preferred_username");
                    Assert.True(!string.IsNullOrEmpty(user["sub"]), "sub");
                    Assert.True(!user.IsActive, "IsActive is for introspection only");
                    Assert.Equal("Claims(userinfo)", user.ToString(), "ToString shows no claim");
                }
                var invalid = Assert.Throws<OAuthException>(() => client.GetUserInfo("at-unknown"), "an unknown token");
                Assert.Equal("invalid_token", invalid.Error, "Error");
                Assert.Equal((HttpStatusCode?)HttpStatusCode.Unauthorized, invalid.HttpStatusCode, "HttpStatusCode");
                using (Token withoutOpenId = client.RequestPasswordToken(Joe, JoePassword, "qflowapi"))
                {
                    var scope = Assert.ThrowsFrom<OAuthException>(client.GetUserInfoAsync(withoutOpenId.AccessToken),
                        "a token without the openid scope");
                    Assert.Equal("insufficient_scope", scope.Error, "Error");
                    Assert.Equal((HttpStatusCode?)HttpStatusCode.Forbidden, scope.HttpStatusCode, "HttpStatusCode");
                }
            }
        }

        public static void RevocationAndIntrospectionErrors()
        {
            var unavailable = new TokenClientOptions { RevocationUrl = Env.Authority("unavailable") + "/connect/revocation" };
            using (var client = new TokenClient(Env.Url("core"), Resowner, ResownerSecret, unavailable))
            {
                var e = Assert.Throws<HttpStatusException>(() => client.RevokeToken("at-x"), "a 503");
                Assert.Equal((HttpStatusCode?)HttpStatusCode.ServiceUnavailable, e.HttpStatusCode, "HttpStatusCode");
                Assert.Equal((TimeSpan?)TimeSpan.FromSeconds(7), e.RetryAfter, "RetryAfter: the server's Retry-After: 7");
                Assert.Contains("retry after 7 s", e.Message, "the message gives the server's Retry-After");
                // Read on the thread pool thread that made the request, right after it failed.
                var fromTask = Assert.ThrowsFrom<HttpStatusException>(client.RevokeTokenAsync("at-x"), "a 503 through a task");
                Assert.Equal((TimeSpan?)TimeSpan.FromSeconds(7), fromTask.RetryAfter, "RetryAfter through a task");
                // The next failure on this thread, without a Retry-After, does not inherit it.
                var html = Assert.Throws<HttpStatusException>(() => RequestWith("html500"), "an HTML 500 next");
                Assert.Equal(null, html.RetryAfter, "RetryAfter of the next failure");
            }
            using (var client = new TokenClient(Env.Url("core"), Resowner, "not-the-secret", Endpoints("rfc")))
            {
                var e = Assert.Throws<OAuthException>(() => client.RevokeToken("at-x"), "a wrong client secret");
                Assert.Equal("invalid_client", e.Error, "Error");
                Assert.Equal((HttpStatusCode?)HttpStatusCode.Unauthorized, e.HttpStatusCode, "HttpStatusCode");
                Assert.DoesNotContain("not-the-secret", e.ToString(), "the exception");
                Assert.Throws<OAuthException>(() => client.IntrospectToken("at-x"), "introspection, wrong secret");
            }
            using (var plain = new TokenClient(Env.Url("core"), Resowner, ResownerSecret))
            {
                foreach (Action call in new Action[]
                {
                    () => plain.RevokeToken("x"),
                    () => plain.IntrospectToken("x"),
                    () => plain.GetUserInfo("x"),
                    () => plain.RevokeTokenAsync("x").GetAwaiter().GetResult(),
                })
                {
                    var e = Assert.Throws<ArgumentException>(call, "a client without the endpoint");
                    Assert.Contains("endpoint", e.Message, "message");
                }
            }
            var bad = Assert.Throws<ArgumentException>(() => new TokenClient(Env.Url("core"), Resowner, null,
                new TokenClientOptions { IntrospectionUrl = "not a url" }), "a malformed introspection URL");
            Assert.StartsWith("introspection_url", bad.Message, "message");
            Assert.Throws<ArgumentException>(() => new TokenClient(Env.Url("core"), Resowner, null,
                new TokenClientOptions { UserInfoUrl = "http://identity.example.invalid/connect/userinfo" }),
                "an insecure userinfo URL");
            Assert.Throws<ArgumentException>(() => new TokenClient(Env.Url("core"), Resowner, null,
                new TokenClientOptions { RevocationUrl = "" }), "an empty revocation URL");
        }

        // ---- bad input, disposal, secrets -------------------------------------------------------------------

        public static void LifecycleArgumentsAreCheckedBeforeAnyNativeCall()
        {
            string tag = Env.NewTag("lifecyclebadinput");
            string authority = Env.Authority("tag-" + tag);
            using (var client = new TokenClient(Env.Url("tag-" + tag), Resowner, ResownerSecret, Endpoints("tag-" + tag)))
            {
                Assert.Throws<OAuthException>(() => TokenClient.FetchAccessToken(Env.Url("core"), Resowner,
                    ResownerSecret, Joe, "wrong"), "setting up the last error");
                Named<ArgumentNullException>(() => TokenClient.FromAuthority(null, Resowner, null), "authority");
                Named<ArgumentException>(() => TokenClient.FromAuthority("", Resowner, null), "authority");
                Named<ArgumentNullException>(() => TokenClient.FromAuthority(authority, null, null), "clientId");
                Named<ArgumentException>(() => TokenClient.FromAuthority(authority, Resowner, ""), "clientSecret");
                Named<ArgumentNullException>(() => TokenClient.FromAuthorityAsync(null, Resowner, null), "authority");
                Named<ArgumentException>(() => TokenClient.FromAuthority(authority, Resowner, null,
                    new TokenClientOptions { RevocationUrl = "a\0b" }), "RevocationUrl");
                Named<ArgumentNullException>(() => client.RevokeToken(null), "token");
                Named<ArgumentException>(() => client.RevokeToken(""), "token");
                Named<ArgumentException>(() => client.RevokeToken("at-x", ""), "tokenTypeHint");
                Named<ArgumentNullException>(() => client.RevokeTokenAsync(null), "token");
                Named<ArgumentNullException>(() => client.IntrospectToken(null), "token");
                Named<ArgumentException>(() => client.IntrospectToken("a\0b"), "token");
                Named<ArgumentNullException>(() => client.IntrospectTokenAsync(null), "token");
                Named<ArgumentNullException>(() => client.GetUserInfo(null), "accessToken");
                Named<ArgumentException>(() => client.GetUserInfo(""), "accessToken");
                Named<ArgumentNullException>(() => client.GetUserInfoAsync(null), "accessToken");
                Named<ArgumentNullException>(() => TokenSource.ForPassword(null, Joe, JoePassword), "client");
                Named<ArgumentNullException>(() => TokenSource.ForPassword(client, null, JoePassword), "username");
                Named<ArgumentNullException>(() => TokenSource.ForPassword(client, Joe, null), "password");
                Named<ArgumentException>(() => TokenSource.ForPassword(client, Joe, ""), "password");
                Named<ArgumentException>(() => TokenSource.ForPassword(client, Joe, "lone \ud800"), "password");
                Named<ArgumentException>(() => TokenSource.ForPassword(client, Joe, JoePassword, "a\0b"), "scope");
                Named<ArgumentNullException>(() => TokenSource.ForPasswordAsync(client, null, JoePassword), "username");
                Named<ArgumentNullException>(() => TokenSource.ForClientCredentials(null), "client");
                Named<ArgumentException>(() => TokenSource.ForClientCredentials(client, "a\0b"), "scope");
                Named<ArgumentNullException>(() => TokenSource.ForRefreshToken(client, null), "refreshToken");
                Named<ArgumentException>(() => TokenSource.ForRefreshToken(client, ""), "refreshToken");
                Named<ArgumentNullException>(() => TokenSource.ForRefreshToken(null, "rt-x"), "client");
                Named<ArgumentException>(() => TokenSource.ForClientCredentials(client, null,
                    new TokenSourceOptions { FileCacheDirectory = "" }), "FileCacheDirectory");
                Named<ArgumentException>(() => TokenSource.ForPassword(client, Joe, JoePassword, null,
                    new TokenSourceOptions { FileCacheDirectory = "a\0b" }), "FileCacheDirectory");
                Named<ArgumentOutOfRangeException>(() => new TokenSourceOptions { Skew = TimeSpan.FromSeconds(-1) }, "value");
            }
            Assert.Equal(QFlowStatus.OAuth, NativeMethods.qflow_last_error_status(),
                "this thread's last error is untouched: no native call was made");
            Assert.Equal(0, Env.Stats(tag)[0], "requests that reached the server");

            using (var client = new TokenClient(Env.Url("core"), Service, ServiceSecret, Endpoints("")))
            using (Token token = client.RequestClientCredentialsToken("qflowapi"))
            using (Claims claims = client.IntrospectToken(token.AccessToken))
            {
                Named<ArgumentNullException>(() => claims.TryGet(null, out _), "name");
                Named<ArgumentNullException>(() => { string s = claims[null]; }, "name");
                Assert.Equal(null, claims["a\u00e9b"], "a name the answer does not have");
            }
        }

        public static void LifecycleObjectsAreDisposable()
        {
            var client = new TokenClient(Env.Url("core"), Service, ServiceSecret, Endpoints(""));
            TokenSource source = TokenSource.ForClientCredentials(client, "qflowapi");
            Token token = source.GetToken();
            Claims claims = client.IntrospectToken(token.AccessToken);
            client.Dispose();
            Assert.Throws<ObjectDisposedException>(() => TokenSource.ForClientCredentials(client), "a source from a disposed client");
            Assert.Throws<ObjectDisposedException>(() => TokenSource.ForPasswordAsync(client, Joe, JoePassword), "async too");
            Assert.Throws<ObjectDisposedException>(() => client.RevokeToken("x"), "RevokeToken");
            Assert.Throws<ObjectDisposedException>(() => client.IntrospectTokenAsync("x"), "IntrospectTokenAsync");
            Assert.Throws<ObjectDisposedException>(() => client.GetUserInfo("x"), "GetUserInfo");

            // The source keeps its own reference to the native client.
            Assert.Equal(token.AccessToken, source.GetAccessToken(), "a source outlives its client");
            source.Invalidate();
            Assert.True(source.GetAccessToken() != token.AccessToken, "and can still renew");
            source.Dispose();
            source.Dispose(); // twice is fine
            Assert.Throws<ObjectDisposedException>(() => source.GetToken(), "GetToken");
            Assert.Throws<ObjectDisposedException>(() => source.GetAccessToken(), "GetAccessToken");
            Assert.Throws<ObjectDisposedException>(() => source.GetTokenAsync(), "GetTokenAsync, thrown rather than in the task");
            Assert.Throws<ObjectDisposedException>(() => source.Invalidate(), "Invalidate");
            Assert.Contains("disposed", source.ToString(), "ToString");
            Assert.True(source.IsNativeSourceReleased, "the native source is freed");
            Assert.StartsWith("at-", token.AccessToken, "a token outlives its source");
            token.Dispose();

            Assert.True(claims.IsActive, "claims outlive their client");
            claims.Dispose();
            claims.Dispose();
            Assert.Throws<ObjectDisposedException>(() => { bool b = claims.IsActive; }, "IsActive");
            Assert.Throws<ObjectDisposedException>(() => { string s = claims["active"]; }, "the indexer");
            Assert.Throws<ObjectDisposedException>(() => { string s = claims.Raw; }, "Raw");
            Assert.Equal("Claims(disposed)", claims.ToString(), "ToString");

            TokenClient discovered = TokenClient.FromAuthority(Env.Authority("other-issuer"), Resowner, null);
            discovered.Dispose();
            Assert.True(discovered.Issuer != null && discovered.DiscoveryWarning != null,
                "Issuer and DiscoveryWarning stay readable after Dispose");
        }

        public static void DisposingATokenSourceWaitsForTheRenewalRunningOnIt()
        {
            string tag = Env.NewTag("sourcedispose");
            using (var client = new TokenClient(Env.Url("tag-" + tag + "/slow-700"), Service, ServiceSecret))
            {
                TokenSource source = TokenSource.ForClientCredentials(client);
                Task<Token> running = source.GetTokenAsync();
                for (int waited = 0; Env.Stats(tag)[0] == 0; waited += 20)
                {
                    Assert.True(waited < 3000, "the request reached the server");
                    Thread.Sleep(20);
                }
                source.Dispose(); // while the server is still answering
                Assert.True(!source.IsNativeSourceReleased, "the running renewal keeps the native source alive");
                Assert.Throws<ObjectDisposedException>(() => source.GetToken(), "a new call");
                using (Token token = running.Result)
                {
                    Assert.StartsWith("at-", token.AccessToken, "the renewal that was running");
                }
                Assert.True(source.IsNativeSourceReleased, "the native source is freed once the renewal is over");
            }
        }

        public static void LifecycleAsyncDoesNotBlockAndCanBeCancelled()
        {
            string tag = Env.NewTag("lifecycleasync");
            using (var client = new TokenClient(Env.Url("tag-" + tag + "/slow-1000"), Resowner, ResownerSecret))
            {
                var clock = Stopwatch.StartNew();
                Task<TokenSource> creating = TokenSource.ForPasswordAsync(client, Joe, JoePassword, AllScopes);
                Assert.True(clock.ElapsedMilliseconds < 500, "ForPasswordAsync returned at once (" + clock.ElapsedMilliseconds + " ms)");
                using (TokenSource source = creating.Result)
                {
                    Assert.True(clock.ElapsedMilliseconds >= 900, "the source came after the server's delay");
                    source.Invalidate();
                    clock.Restart();
                    Task<string> renewing = source.GetAccessTokenAsync();
                    Assert.True(clock.ElapsedMilliseconds < 500, "GetAccessTokenAsync returned at once");
                    Assert.True(!renewing.IsCompleted, "while the renewal runs");
                    Assert.StartsWith("at-", renewing.Result, "the renewed token");

                    using (var cancel = new CancellationTokenSource())
                    {
                        cancel.Cancel();
                        source.Invalidate();
                        Assert.True(source.GetTokenAsync(cancel.Token).IsCanceled, "cancelled before it starts");
                        Assert.True(source.GetAccessTokenAsync(cancel.Token).IsCanceled, "GetAccessTokenAsync too");
                        Assert.True(TokenSource.ForPasswordAsync(client, Joe, JoePassword, null, null, cancel.Token).IsCanceled,
                            "ForPasswordAsync too");
                        Assert.True(TokenClient.FromAuthorityAsync(Env.Authority("tag-" + tag), Resowner, null, null,
                            cancel.Token).IsCanceled, "FromAuthorityAsync too");
                    }
                    Thread.Sleep(100);
                    Assert.Equal(2, Env.Requests(tag, TokenEndpoint), "nothing sent for the cancelled calls");
                    Assert.Equal(0, Env.Requests(tag, DiscoveryEndpoint), "no discovery for the cancelled call");

                    using (var cancel = new CancellationTokenSource())
                    {
                        clock.Restart();
                        Task<Token> inFlight = source.GetTokenAsync(cancel.Token);
                        Thread.Sleep(200);
                        cancel.Cancel();
                        Assert.ThrowsFrom<TaskCanceledException>(inFlight, "a renewal cancelled in flight");
                        Assert.True(clock.ElapsedMilliseconds < 800, "the task ended before the server answered");
                    }
                    // The renewal ran on and its token is cached: the next call does not ask again.
                    Assert.StartsWith("at-", source.GetAccessToken(), "the token of the cancelled renewal");
                    Assert.Equal(3, Env.Requests(tag, TokenEndpoint), "the cancelled renewal's request, and no other");
                }
            }
        }

        public static void LifecycleAsyncCompletesAtOnceOnTheCachedPath()
        {
            string tag = Env.NewTag("cachedasync");
            using (var client = new TokenClient(Env.Url("tag-" + tag + "/core"), Service, ServiceSecret))
            using (TokenSource source = TokenSource.ForClientCredentials(client))
            using (var cancel = new CancellationTokenSource())
            {
                string first = source.GetAccessTokenAsync(cancel.Token).Result; // renews on the pool
                Task<string> cached = source.GetAccessTokenAsync(cancel.Token);
                Assert.True(cached.Status == TaskStatus.RanToCompletion, "complete when returned: " + cached.Status);
                Assert.Equal(first, cached.Result, "the cached token");
                Task<Token> cachedToken = source.GetTokenAsync();
                Assert.True(cachedToken.Status == TaskStatus.RanToCompletion, "GetTokenAsync too");
                using (Token token = cachedToken.Result)
                {
                    Assert.Equal(first, token.AccessToken, "GetTokenAsync's token");
                }
                Assert.Equal(1, Env.Requests(tag, TokenEndpoint), "one request in all");

                source.Invalidate();
                Task<string> renewing = source.GetAccessTokenAsync(cancel.Token);
                Assert.True(renewing.Result != first, "renewed after Invalidate, on the pool");
                Assert.Equal(2, Env.Requests(tag, TokenEndpoint), "the renewal");
                cancel.Cancel();
                Assert.True(source.GetAccessTokenAsync(cancel.Token).IsCanceled, "a cancelled token wins over the cache");
            }
        }

        public static void BearerTokenHandlerSendsTheTokenAndRenewsItOnceOn401()
        {
            string tag = Env.NewTag("bearer");
            string authority = Env.Authority("tag-" + tag);
            string api = authority + "/connect/userinfo"; // checks bearer tokens: 401 for unknown ones
            using (var client = new TokenClient(authority + "/connect/token", Resowner, ResownerSecret, Endpoints("tag-" + tag)))
            using (TokenSource source = TokenSource.ForPassword(client, Joe, JoePassword, AllScopes))
            using (var http = new HttpClient(new BearerTokenHandler(source, new HttpClientHandler())))
            {
                using (HttpResponseMessage answer = http.GetAsync(api).Result)
                {
                    Assert.Equal(HttpStatusCode.OK, answer.StatusCode, "the API with the source's token");
                    Assert.Contains(Joe, answer.Content.ReadAsStringAsync().Result, "the user's claims");
                }
                Assert.Equal(1, Env.Requests(tag, TokenEndpoint), "the source's one token");

                // The server forgets the token (revoked here): the API answers 401, the handler renews once.
                client.RevokeToken(source.GetAccessToken(), TokenTypeHint.AccessToken);
                using (HttpResponseMessage answer = http.GetAsync(api).Result)
                {
                    Assert.Equal(HttpStatusCode.OK, answer.StatusCode, "after the renewal");
                }
                Assert.Equal(2, Env.Requests(tag, TokenEndpoint), "one renewal");
                Assert.Equal(3, Env.Requests(tag, "/connect/userinfo"), "the 401 and the request sent again");
                Assert.Equal("password refresh_token", string.Join(" ", Env.Grants(tag)), "renewed by refresh token");
            }
        }

        public static void BearerTokenHandlerGivesUpAfterOneRenewalAndNeverResendsAStream()
        {
            string tag = Env.NewTag("bearer401");
            string alwaysUnauthorized = Env.Http + "/tag-" + tag + "/empty401/core/connect/userinfo";
            using (var client = new TokenClient(Env.Url("tag-" + tag + "/core"), Service, ServiceSecret))
            using (TokenSource source = TokenSource.ForClientCredentials(client))
            using (var http = new HttpClient(new BearerTokenHandler(source, new HttpClientHandler())))
            {
                using (HttpResponseMessage answer = http.GetAsync(alwaysUnauthorized).Result)
                {
                    Assert.Equal(HttpStatusCode.Unauthorized, answer.StatusCode, "the second 401 is the answer");
                }
                Assert.Equal(2, Env.Requests(tag, TokenEndpoint), "the token and one renewal, no more");
                Assert.Equal(2, Env.Requests(tag, "/connect/userinfo"), "sent twice, not in a loop");

                using (var body = new StreamContent(new MemoryStream(new byte[] { 1, 2, 3 })))
                using (HttpResponseMessage answer = http.PostAsync(alwaysUnauthorized, body).Result)
                {
                    Assert.Equal(HttpStatusCode.Unauthorized, answer.StatusCode, "a stream body");
                }
                Assert.Equal(3, Env.Requests(tag, "/connect/userinfo"), "a stream is sent only once");
            }
            Assert.Throws<ArgumentNullException>(() => new BearerTokenHandler(null), "no source");
            using (var client = new TokenClient(Env.Url("core"), Service, ServiceSecret))
            using (TokenSource source = TokenSource.ForClientCredentials(client))
            {
                Assert.Throws<ArgumentNullException>(() => new BearerTokenHandler(source, null), "no inner handler");
            }
        }

        public static void LifecycleSecretsNeverAppearInStrings()
        {
            using (var client = new TokenClient(Env.Url("core"), SpecialClient, SpecialSecret, Endpoints("")))
            using (TokenSource source = TokenSource.ForPassword(client, SpecialUser, SpecialPassword, AllScopes,
                new TokenSourceOptions { KeepPassword = true }))
            using (Token token = source.GetToken())
            {
                string text = source.ToString();
                Assert.Equal("TokenSource(password grant, client special_client, scope " + AllScopes + ")", text, "ToString");
                foreach (string secret in new[] { SpecialPassword, SpecialSecret, token.AccessToken, token.RefreshToken })
                {
                    Assert.DoesNotContain(secret, text, "TokenSource.ToString");
                }
                using (Claims user = client.GetUserInfo(token.AccessToken))
                {
                    Assert.DoesNotContain(SpecialUser, user.ToString(), "Claims.ToString shows no claim");
                }
                var wrong = Assert.Throws<OAuthException>(() => TokenSource.ForPassword(client, SpecialUser, "p&ss+w rd=%é!"),
                    "a wrong password");
                Assert.DoesNotContain("p&ss+w rd", wrong.ToString(), "OAuthException.ToString");
                ArgumentException revoke;
                using (var noEndpoint = new TokenClient(Env.Url("core"), SpecialClient, SpecialSecret))
                {
                    revoke = Assert.Throws<ArgumentException>(() => noEndpoint.RevokeToken(token.AccessToken),
                        "revocation without an endpoint");
                }
                Assert.DoesNotContain(token.AccessToken, revoke.ToString(), "the revoked token in the exception");
            }
            using (TokenClient discovered = TokenClient.FromAuthority(Env.Authority(""), SpecialClient, SpecialSecret))
            {
                Assert.DoesNotContain("s&cr+t", discovered.ToString(), "TokenClient.ToString");
            }
        }
    }
}
