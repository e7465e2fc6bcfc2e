using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using System.Xml;
using QFlow.Auth.Native;

namespace QFlow.Auth.Tests
{
    /// <summary>
    /// The tests of QFlow.Auth, against the local identity server (tests/identity_server/server.py) and
    /// its fixtures (tests/identity_server/fixtures.json). Each public static method is one test; the token
    /// lifecycle's (token sources, discovery, revocation, introspection, userinfo) are in LifecycleTests.cs.
    /// </summary>
    internal static partial class Tests
    {
        private const string Resowner = "acme_resowner";
        private const string ResownerSecret = "96184159-60d4-4ad4-a11e-0ff3ddcc6678";
        private const string Service = "acme_service";
        private const string ServiceSecret = "service-secret-2b7e";
        private const string SpecialClient = "special_client";
        private const string SpecialSecret = "s&cr+t =%é:x";
        private const string SpecialApiKey = "key&with+special=chars %é";
        private const string Joe = "joe.bloggs@example.com";
        private const string JoePassword = "secret1234";
        private const string SpecialUser = "special.user@example.com";
        private const string SpecialPassword = "p&ss+w rd=%é";
        private const string Zoe = "zoë@example.com";
        private const string ZoePassword = "ünïcødé+&=%";
        private const string ApiKeyGrant = "urn:qflow:grant-type:api-key";
        private const string AllScopes = "qflowapi openid offline_access";

        // ---- the native layer ----------------------------------------------------------------------------

        public static void NativeDeclarationsAreGeneratedFromTheCurrentHeader()
        {
            string script = Path.Combine(Env.Root, "bindings", "dotnet", "tools", "generate_native.py");
            var start = new ProcessStartInfo("python3", "\"" + script + "\" --check")
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using (Process process = Process.Start(start))
            {
                Task<string> stdout = process.StandardOutput.ReadToEndAsync();
                string stderr = process.StandardError.ReadToEnd();
                process.WaitForExit();
                Assert.True(process.ExitCode == 0,
                    "NativeMethods.g.cs matches include/qflow_auth.h; generate_native.py --check said:\n" +
                    stdout.Result + stderr);
            }
        }

        public static void EveryImportIsCdeclWithUtf8BuffersAndOneByteBools()
        {
            MethodInfo[] imports = typeof(NativeMethods)
                .GetMethods(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public)
                .Where(m => (m.Attributes & MethodAttributes.PinvokeImpl) != 0)
                .ToArray();
            Assert.True(imports.Length >= 30, "the C API's functions are declared (found " + imports.Length + ")");
            foreach (MethodInfo import in imports)
            {
                var dll = (DllImportAttribute)import.GetCustomAttributes(typeof(DllImportAttribute), false).Single();
                Assert.Equal(NativeMethods.LibraryName, dll.Value, import.Name + " library");
                Assert.Equal(CallingConvention.Cdecl, dll.CallingConvention, import.Name + " calling convention");
                Assert.True(import.ReturnType != typeof(string), import.Name + " returns a string as IntPtr");
                CheckBool(import.ReturnParameter, import.Name + " return value");
                foreach (ParameterInfo parameter in import.GetParameters())
                {
                    Type type = parameter.ParameterType;
                    Assert.True(type != typeof(string) && type != typeof(System.Text.StringBuilder),
                        import.Name + "(" + parameter.Name + ") is passed as UTF-8 bytes, not a marshalled string");
                    CheckBool(parameter, import.Name + "(" + parameter.Name + ")");
                }
            }
            Type[] handles =
            {
                typeof(ClientHandle), typeof(ClientOptionsHandle), typeof(TokenHandle), typeof(TokenSourceHandle),
                typeof(TokenSourceOptionsHandle), typeof(ClaimsHandle),
            };
            foreach (Type handle in handles)
            {
                Assert.True(typeof(SafeHandle).IsAssignableFrom(handle), handle.Name + " is a SafeHandle");
            }
        }

        private static void CheckBool(ParameterInfo parameter, string what)
        {
            if (parameter.ParameterType != typeof(bool))
            {
                return;
            }
            var marshalAs = (MarshalAsAttribute)parameter.GetCustomAttributes(typeof(MarshalAsAttribute), false)
                .SingleOrDefault();
            Assert.True(marshalAs != null && marshalAs.Value == UnmanagedType.I1, what + " is a one-byte C bool");
        }

        public static void VersionsOfLibraryHeaderAndProjectAgree()
        {
            Assert.Equal(NativeMethods.HeaderVersion, TokenClient.LibraryVersion, "qflow_version() vs the header");
            string project = File.ReadAllText(
                Path.Combine(Env.Root, "bindings", "dotnet", "src", "QFlow.Auth", "QFlow.Auth.csproj"));
            Match version = Regex.Match(project, "<Version>([^<]+)</Version>");
            Assert.Equal(NativeMethods.HeaderVersion, version.Groups[1].Value, "<Version> of QFlow.Auth.csproj");
        }

        // ---- the quick-start -----------------------------------------------------------------------------

        public static void OneLinerReturnsAnAccessTokenAndNormalisesThePlusScope()
        {
            string tag = Env.NewTag("oneliner");
            string token = TokenClient.FetchAccessToken(Env.Url("tag-" + tag), Resowner, ResownerSecret, Joe,
                JoePassword, "qflowapi+openid+offline_access");
            Assert.StartsWith("at-", token, "access token");
            Assert.Contains("scope=qflowapi+openid+offline_access", Env.Log(tag), "the scope as three scopes");

            var refused = Assert.Throws<OAuthException>(() => TokenClient.FetchAccessToken(Env.Url("core"),
                Resowner, ResownerSecret, Joe, "wrong"), "a wrong password");
            Assert.Equal("invalid_grant", refused.Error, "OAuth error");
        }

        public static void OneLinerAsync()
        {
            Task<string> token = TokenClient.FetchAccessTokenAsync(Env.Url("core"), Resowner, ResownerSecret,
                Joe, JoePassword);
            Assert.StartsWith("at-", token.Result, "access token");
            var refused = Assert.ThrowsFrom<OAuthException>(TokenClient.FetchAccessTokenAsync(Env.Url("core"),
                Resowner, ResownerSecret, Joe, "wrong"), "a wrong password");
            Assert.Equal("invalid_username_or_password", refused.ErrorDescription, "error description");
        }

        // ---- grants and the token ------------------------------------------------------------------------

        public static void PasswordGrantTokenHasEveryField()
        {
            using (var client = new TokenClient(Env.Url("core"), Resowner, ResownerSecret))
            using (Token token = client.RequestPasswordToken(Joe, JoePassword, AllScopes))
            {
                Assert.StartsWith("at-", token.AccessToken, "AccessToken");
                Assert.Equal("Bearer", token.TokenType, "TokenType");
                Assert.Equal((long?)3600, token.ExpiresIn, "ExpiresIn");
                Assert.True(token.ExpiresAt.HasValue, "ExpiresAt is known");
                TimeSpan left = token.ExpiresAt.Value - DateTimeOffset.UtcNow;
                Assert.True(left > TimeSpan.FromSeconds(3500) && left <= TimeSpan.FromSeconds(3601),
                    "ExpiresAt is about an hour away (" + left + ")");
                Assert.True(!token.IsExpired(), "not expired");
                Assert.True(!token.IsExpired(TimeSpan.FromMinutes(1)), "not expired within a minute");
                Assert.True(token.IsExpired(TimeSpan.FromHours(2)), "expired within two hours");
                Assert.StartsWith("rt-", token.RefreshToken, "RefreshToken");
                Assert.Equal(3, token.IdToken.Split('.').Length, "IdToken is a JWT");
                Assert.Equal(null, token.Scope, "Scope (IdentityServer3 sends none)");
                Assert.Equal("3600", token["expires_in"], "indexer");
                Assert.Equal(null, token["missing"], "indexer, absent member");
                string value;
                Assert.True(token.TryGet("token_type", out value) && value == "Bearer", "TryGet");
                Assert.True(!token.TryGet("missing", out value) && value == null, "TryGet, absent member");
                Assert.Contains("\"access_token\"", token.Raw, "Raw");
                Assert.Contains(token.AccessToken, token.Raw, "Raw holds the access token");
                Assert.Equal(Env.Url("core"), client.TokenUrl, "TokenUrl");
                Assert.Equal(Resowner, client.ClientId, "ClientId");
            }
        }

        public static void SpecialCharactersInEveryCredentialReachTheServerIntact()
        {
            // The server compares the decoded values with its fixtures: success proves the encoding.
            string tag = Env.NewTag("special");
            using (var client = new TokenClient(Env.Url("tag-" + tag), SpecialClient, SpecialSecret))
            using (Token token = client.RequestPasswordToken(SpecialUser, SpecialPassword, "qflowapi"))
            {
                Assert.StartsWith("at-", token.AccessToken, "access token");
            }
            string log = Env.Log(tag);
            Assert.Contains("password=p%26ss%2Bw+rd%3D%25%C3%A9", log, "the password, form-encoded as UTF-8");
            Assert.Contains("client_secret=s%26cr%2Bt+%3D%25%C3%A9%3Ax", log, "the secret, form-encoded as UTF-8");

            using (var client = new TokenClient(Env.Url("core"), Resowner, ResownerSecret))
            using (Token token = client.RequestPasswordToken(Zoe, ZoePassword))
            {
                Assert.StartsWith("at-", token.AccessToken, "non-ASCII user name and password");
            }
            Assert.StartsWith("at-", TokenClient.FetchAccessToken(Env.Url("core"), SpecialClient, SpecialSecret,
                SpecialUser, SpecialPassword, "qflowapi"), "the one-liner with special characters");
        }

        public static void ClientCredentialsWithEachAuthMethod()
        {
            using (var service = new TokenClient(Env.Url("core"), Service, ServiceSecret))
            using (Token token = service.RequestClientCredentialsToken("qflowapi"))
            {
                Assert.StartsWith("at-", token.AccessToken, "access token");
                Assert.Equal(null, token.RefreshToken, "no refresh token for client credentials");
            }
            var basic = new TokenClientOptions { AuthMethod = ClientAuthMethod.ClientSecretBasic };
            string tag = Env.NewTag("basic");
            using (var rfc = new TokenClient(Env.Url("tag-" + tag + "/rfc"), SpecialClient, SpecialSecret, basic))
            using (Token token = rfc.RequestClientCredentialsToken("qflowapi"))
            {
                Assert.Equal("qflowapi", token.Scope, "Scope from an RFC server");
            }
            Assert.Contains("\"authorization\": \"Basic ", Env.Log(tag), "HTTP Basic was used");
            var unencoded = new TokenClientOptions { AuthMethod = ClientAuthMethod.ClientSecretBasicUnencoded };
            using (var ids3 = new TokenClient(Env.Url("core"), SpecialClient, SpecialSecret, unencoded))
            using (Token token = ids3.RequestClientCredentialsToken("qflowapi"))
            {
                Assert.StartsWith("at-", token.AccessToken, "unencoded Basic against IdentityServer3");
            }
        }

        public static void RefreshRotatesTheRefreshToken()
        {
            using (var client = new TokenClient(Env.Url("core"), Resowner, ResownerSecret))
            using (Token first = client.RequestPasswordToken(Joe, JoePassword, "qflowapi offline_access"))
            using (Token second = client.RequestRefreshToken(first.RefreshToken))
            {
                Assert.StartsWith("rt-", second.RefreshToken, "a new refresh token");
                Assert.True(first.RefreshToken != second.RefreshToken, "the refresh token rotated");
                var used = Assert.Throws<OAuthException>(() => client.RequestRefreshToken(first.RefreshToken),
                    "the old refresh token");
                Assert.Equal("invalid_grant", used.Error, "OAuth error");
                using (Token narrowed = client.RequestRefreshToken(second.RefreshToken, "qflowapi"))
                {
                    Assert.StartsWith("at-", narrowed.AccessToken, "refresh with a narrower scope");
                }
            }
        }

        public static void ExtensionGrantWithExtraParameters()
        {
            string tag = Env.NewTag("grant");
            using (var client = new TokenClient(Env.Url("tag-" + tag), SpecialClient, SpecialSecret))
            {
                var parameters = new Dictionary<string, string> { { "api_key", SpecialApiKey }, { "scope", "qflowapi" } };
                using (Token token = client.RequestToken(ApiKeyGrant, parameters))
                {
                    Assert.StartsWith("at-", token.AccessToken, "access token");
                }
                Assert.Contains("api_key=key%26with%2Bspecial%3Dchars+%25%C3%A9", Env.Log(tag), "the API key on the wire");
                var refused = Assert.Throws<OAuthException>(() => client.RequestToken(ApiKeyGrant,
                    new Dictionary<string, string> { { "api_key", "wrong" } }), "a wrong API key");
                Assert.Equal("unknown api_key", refused.ErrorDescription, "error description");
                var unsupported = Assert.Throws<OAuthException>(() => client.RequestToken("urn:example:nothing"),
                    "an unknown grant without parameters");
                Assert.Equal("unsupported_grant_type", unsupported.Error, "OAuth error");
            }
        }

        public static void ResponseVariantsAndExpiry()
        {
            using (var client = new TokenClient(Env.Url("lowercase"), Resowner, ResownerSecret))
            using (Token token = client.RequestPasswordToken(Joe, JoePassword, "qflowapi"))
            {
                Assert.Equal("bearer", token.TokenType, "TokenType as sent");
                Assert.Equal("qflowapi", token.Scope, "Scope");
                Assert.True(Regex.IsMatch(token["iat"] ?? "", "^[0-9]+$"), "a numeric member as its JSON text");
            }
            using (var client = new TokenClient(Env.Url("no-expiry"), Resowner, ResownerSecret))
            using (Token token = client.RequestPasswordToken(Joe, JoePassword))
            {
                Assert.Equal(null, token.ExpiresIn, "ExpiresIn without expires_in");
                Assert.Equal(null, token.ExpiresAt, "ExpiresAt without expires_in");
                Assert.True(!token.IsExpired(TimeSpan.FromDays(365)), "a token without a lifetime never expires");
            }
            using (var client = new TokenClient(Env.Url("string-expiry"), Resowner, ResownerSecret))
            using (Token token = client.RequestPasswordToken(Joe, JoePassword))
            {
                Assert.Equal((long?)3600, token.ExpiresIn, "expires_in sent as a string");
            }
            using (var client = new TokenClient(Env.Url("expires-30"), Resowner, ResownerSecret))
            using (Token token = client.RequestPasswordToken(Joe, JoePassword))
            {
                Assert.Equal((long?)30, token.ExpiresIn, "ExpiresIn");
                Assert.True(!token.IsExpired(TimeSpan.FromSeconds(5)), "not expired within 5 s");
                Assert.True(token.IsExpired(TimeSpan.FromSeconds(45)), "expired within 45 s");
                Assert.True(token.IsExpired(TimeSpan.FromSeconds(29.5)), "a fractional leeway is rounded up");
                Assert.Throws<ArgumentOutOfRangeException>(() => token.IsExpired(TimeSpan.FromSeconds(-1)),
                    "a negative leeway");
                Assert.Throws<ArgumentNullException>(() => token.TryGet(null, out _), "TryGet(null)");
            }
            using (var client = new TokenClient(Env.Url("expires-999999999999999"), Resowner, ResownerSecret))
            using (Token token = client.RequestPasswordToken(Joe, JoePassword))
            {
                Assert.Equal((long?)999999999999999, token.ExpiresIn, "a lifetime of 30 million years");
                Assert.Equal((DateTimeOffset?)DateTimeOffset.MaxValue, token.ExpiresAt, "ExpiresAt beyond year 9999");
                Assert.True(!token.IsExpired(TimeSpan.FromDays(365)), "not expired");
                Assert.Contains("expires 9999-12-31", token.ToString(), "ToString");
            }
        }

        public static void HttpsWithTheCaFileOptionAndWithout()
        {
            var options = new TokenClientOptions { CaFile = Env.CaFile };
            using (var trusted = new TokenClient(Env.HttpsUrl("core"), Resowner, ResownerSecret, options))
            using (Token token = trusted.RequestPasswordToken(Joe, JoePassword))
            {
                Assert.StartsWith("at-", token.AccessToken, "access token over HTTPS");
            }
            using (var untrusted = new TokenClient(Env.HttpsUrl("core"), Resowner, ResownerSecret))
            {
                var tls = Assert.Throws<TlsException>(() => untrusted.RequestPasswordToken(Joe, JoePassword),
                    "an untrusted certificate");
                Assert.Equal(QFlowStatus.Tls, tls.Status, "Status");
                Assert.Equal(null, tls.HttpStatusCode, "no HTTP status before TLS");
                Assert.Contains("trusted CA", tls.Message, "message");
                Assert.True(tls is TransportException, "TLS errors are transport errors");
            }
        }

        public static void ClientReusesItsConnection()
        {
            string tag = Env.NewTag("reuse");
            using (var client = new TokenClient(Env.Url("tag-" + tag), Resowner, ResownerSecret))
            {
                for (int i = 0; i < 5; i++)
                {
                    client.RequestPasswordToken(Joe, JoePassword).Dispose();
                }
            }
            int[] stats = Env.Stats(tag);
            Assert.Equal(5, stats[0], "requests");
            Assert.Equal(1, stats[1], "connections used by five requests");
        }

        // ---- errors --------------------------------------------------------------------------------------

        public static void OAuthErrorsCarryTheServersFields()
        {
            using (var client = new TokenClient(Env.Url("core"), Resowner, ResownerSecret))
            {
                var e = Assert.Throws<OAuthException>(() => client.RequestPasswordToken(Joe, "Wr0ng&Pa55"),
                    "a wrong password");
                Assert.Equal(QFlowStatus.OAuth, e.Status, "Status");
                Assert.Equal((HttpStatusCode?)HttpStatusCode.BadRequest, e.HttpStatusCode, "HttpStatusCode");
                Assert.Equal("invalid_grant", e.Error, "Error");
                Assert.Equal("invalid_username_or_password", e.ErrorDescription, "ErrorDescription");
                Assert.Equal(null, e.ErrorUri, "ErrorUri");
                Assert.Contains("invalid_grant", e.Message, "Message");
                Assert.DoesNotContain("Wr0ng&Pa55", e.ToString(), "the exception");

                var scope = Assert.Throws<OAuthException>(() => client.RequestPasswordToken(Joe, JoePassword, "admin"),
                    "a scope the client may not have");
                Assert.Equal("invalid_scope", scope.Error, "Error");
            }
            using (var badSecret = new TokenClient(Env.Url("oauth401"), Resowner, "not-the-secret"))
            {
                var e = Assert.Throws<OAuthException>(() => badSecret.RequestPasswordToken(Joe, JoePassword),
                    "a wrong client secret");
                Assert.Equal((HttpStatusCode?)HttpStatusCode.Unauthorized, e.HttpStatusCode, "HttpStatusCode");
                Assert.Equal("invalid_client", e.Error, "Error");
                Assert.DoesNotContain("not-the-secret", e.ToString(), "the exception");
            }
        }

        public static void HttpErrorsWithoutOAuthError()
        {
            var html = Assert.Throws<HttpStatusException>(() => RequestWith("html500"), "an HTML 500");
            Assert.Equal(QFlowStatus.Http, html.Status, "Status");
            Assert.Equal((HttpStatusCode?)HttpStatusCode.InternalServerError, html.HttpStatusCode, "HttpStatusCode");
            Assert.Equal(null, html.RetryAfter, "RetryAfter, when the server sent no Retry-After");
            Assert.DoesNotContain("stack trace", html.Message, "the response body");
            var empty = Assert.Throws<HttpStatusException>(() => RequestWith("empty403"), "an empty 403");
            Assert.Equal((HttpStatusCode?)HttpStatusCode.Forbidden, empty.HttpStatusCode, "HttpStatusCode");
            var redirect = Assert.Throws<HttpStatusException>(() => RequestWith("redirect"), "a redirect");
            Assert.Equal((HttpStatusCode?)HttpStatusCode.MovedPermanently, redirect.HttpStatusCode, "not followed");
        }

        public static void MalformedResponses()
        {
            var garbage = Assert.Throws<MalformedResponseException>(() => RequestWith("garbage"), "not JSON");
            Assert.Equal(QFlowStatus.MalformedResponse, garbage.Status, "Status");
            Assert.Equal((HttpStatusCode?)HttpStatusCode.OK, garbage.HttpStatusCode, "HttpStatusCode");
            Assert.Throws<MalformedResponseException>(() => RequestWith("truncated-json"), "truncated JSON");
            var huge = Assert.Throws<MalformedResponseException>(() => RequestWith("huge-5000000"), "5 MB");
            Assert.Contains("limit", huge.Message, "message");
            var small = new TokenClientOptions { MaxResponseBytes = 16 };
            Assert.Throws<MalformedResponseException>(() => RequestWith("core", small), "MaxResponseBytes = 16");
        }

        public static void NetworkErrors()
        {
            var drop = Assert.Throws<ConnectionException>(() => RequestWith("drop"), "a dropped connection");
            Assert.Equal(QFlowStatus.Network, drop.Status, "Status");
            Assert.Equal(null, drop.HttpStatusCode, "HttpStatusCode");
            Assert.Throws<ConnectionException>(() => RequestWith("truncated"), "a body cut short");
            using (var nowhere = new TokenClient("http://127.0.0.1:9/connect/token", Resowner, ResownerSecret))
            {
                var refused = Assert.Throws<ConnectionException>(() => nowhere.RequestClientCredentialsToken(),
                    "a refused connection");
                Assert.True(refused is TransportException, "network errors are transport errors");
            }
        }

        public static void Timeouts()
        {
            var options = new TokenClientOptions
            {
                Timeout = TimeSpan.FromMilliseconds(300),
                ConnectTimeout = TimeSpan.FromSeconds(2),
            };
            var clock = Stopwatch.StartNew();
            var e = Assert.Throws<RequestTimeoutException>(() => RequestWith("slow-3000", options), "a slow server");
            Assert.True(clock.ElapsedMilliseconds < 2500, "the timeout cut the request short");
            Assert.Equal(QFlowStatus.Timeout, e.Status, "Status");
            Assert.Contains("300 ms", e.Message, "message");
            Assert.True(e is TransportException, "timeouts are transport errors");
        }

        public static void ErrorTableMapsEveryStatus()
        {
            var expected = new Dictionary<QFlowStatus, Type>
            {
                { QFlowStatus.InvalidArgument, typeof(ArgumentException) },
                { QFlowStatus.Network, typeof(ConnectionException) },
                { QFlowStatus.Timeout, typeof(RequestTimeoutException) },
                { QFlowStatus.Tls, typeof(TlsException) },
                { QFlowStatus.Http, typeof(HttpStatusException) },
                { QFlowStatus.OAuth, typeof(OAuthException) },
                { QFlowStatus.MalformedResponse, typeof(MalformedResponseException) },
                { QFlowStatus.Internal, typeof(InternalLibraryException) },
                { QFlowStatus.InvalidState, typeof(InvalidOperationException) },
                { QFlowStatus.IO, typeof(LocalIOException) },
                { QFlowStatus.Cancelled, typeof(OperationCanceledException) },
                { QFlowStatus.Ok, typeof(InternalLibraryException) },
                { (QFlowStatus)99, typeof(InternalLibraryException) },
            };
            foreach (QFlowStatus status in Enum.GetValues(typeof(QFlowStatus)))
            {
                Assert.True(expected.ContainsKey(status), "the test knows status " + status);
            }
            foreach (KeyValuePair<QFlowStatus, Type> entry in expected)
            {
                Exception e = ErrorTable.Create(new LastError
                {
                    Status = entry.Key,
                    HttpStatus = HttpStatusCode.BadGateway,
                    Message = "m",
                    OAuthError = "e",
                    Description = "d",
                    Uri = "u",
                    RetryAfterSeconds = 7,
                });
                Assert.Equal(entry.Value, e.GetType(), "exception for status " + entry.Key);
                var qflow = e as QFlowAuthException;
                if (qflow != null)
                {
                    Assert.Equal((HttpStatusCode?)HttpStatusCode.BadGateway, qflow.HttpStatusCode, "HttpStatusCode");
                    if (entry.Key == QFlowStatus.Internal || entry.Value != typeof(InternalLibraryException))
                    {
                        Assert.Equal(entry.Key, qflow.Status, "Status of " + entry.Value.Name);
                        Assert.Equal("m", e.Message, "Message");
                    }
                }
                else
                {
                    Assert.Equal("m", e.Message, "Message of " + entry.Value.Name); // .NET's own exceptions
                }
            }
            var oauth = (OAuthException)ErrorTable.Create(new LastError
            {
                Status = QFlowStatus.OAuth, Message = "m", OAuthError = "e", Description = "d", Uri = "u",
            });
            Assert.True(oauth.Error == "e" && oauth.ErrorDescription == "d" && oauth.ErrorUri == "u", "OAuth fields");
            Assert.True(typeof(LocalIOException).IsSubclassOf(typeof(QFlowAuthException)),
                "LocalIOException derives from QFlowAuthException");
            Assert.True(!typeof(LocalIOException).IsSubclassOf(typeof(TransportException)),
                "LocalIOException is no transport error: no request is involved");
            foreach (ulong seconds in new ulong[] { 0, 1, 7, ulong.MaxValue })
            {
                var http = (HttpStatusException)ErrorTable.Create(new LastError
                {
                    Status = QFlowStatus.Http, Message = "m", HttpStatus = HttpStatusCode.ServiceUnavailable,
                    RetryAfterSeconds = seconds,
                });
                TimeSpan? retryAfter = seconds == 0 ? (TimeSpan?)null
                    : seconds == ulong.MaxValue ? TimeSpan.MaxValue : TimeSpan.FromSeconds(seconds);
                Assert.Equal(retryAfter, http.RetryAfter, "RetryAfter for Retry-After: " + seconds);
            }
            Assert.Equal(null, new HttpStatusException("m", HttpStatusCode.BadGateway).RetryAfter,
                "RetryAfter of the constructor without it");
            Assert.Equal("success", Utf8.Decode(NativeMethods.qflow_status_str(0)), "qflow_status_str");
            Assert.Equal("invalid state", Utf8.Decode(NativeMethods.qflow_status_str((uint)QFlowStatus.InvalidState)),
                "qflow_status_str(InvalidState)");
            Assert.Equal("local I/O error", Utf8.Decode(NativeMethods.qflow_status_str((uint)QFlowStatus.IO)),
                "qflow_status_str(IO)");
        }

        // ---- bad input -----------------------------------------------------------------------------------

        public static void NullAndEmptyArgumentsThrowBeforeAnyNativeCall()
        {
            string tag = Env.NewTag("badinput");
            string url = Env.Url("tag-" + tag);
            using (var client = new TokenClient(url, Resowner, ResownerSecret))
            {
                // Leave an OAuth error as this thread's last error: any fallible native call would clear it,
                // and one that failed on bad input would replace it with INVALID_ARGUMENT.
                Assert.Throws<OAuthException>(() => TokenClient.FetchAccessToken(Env.Url("core"), Resowner,
                    ResownerSecret, Joe, "wrong"), "setting up the last error");
                Named<ArgumentNullException>(() => new TokenClient(null, Resowner, ResownerSecret), "tokenUrl");
                Named<ArgumentException>(() => new TokenClient("", Resowner, ResownerSecret), "tokenUrl");
                Named<ArgumentNullException>(() => new TokenClient(url, null, ResownerSecret), "clientId");
                Named<ArgumentException>(() => new TokenClient(url, "", ResownerSecret), "clientId");
                Named<ArgumentException>(() => new TokenClient(url, Resowner, ""), "clientSecret");
                Named<ArgumentException>(() => new TokenClient(url, Resowner, "a\0b"), "clientSecret");
                Named<ArgumentNullException>(() => client.RequestPasswordToken(null, JoePassword), "username");
                Named<ArgumentNullException>(() => client.RequestPasswordToken(Joe, null), "password");
                Named<ArgumentException>(() => client.RequestPasswordToken(Joe, ""), "password");
                Named<ArgumentException>(() => client.RequestPasswordToken(Joe, "secret\0ignored"), "password");
                Named<ArgumentException>(() => client.RequestPasswordToken(Joe, "lone \ud800 surrogate"), "password");
                Named<ArgumentException>(() => client.RequestPasswordToken(Joe, JoePassword, "a\0b"), "scope");
                Named<ArgumentNullException>(() => client.RequestRefreshToken(null), "refreshToken");
                Named<ArgumentException>(() => client.RequestRefreshToken(""), "refreshToken");
                Named<ArgumentNullException>(() => client.RequestToken(null), "grantType");
                Named<ArgumentException>(() => client.RequestToken(ApiKeyGrant,
                    new[] { new KeyValuePair<string, string>(null, "v") }), "parameters");
                Named<ArgumentException>(() => client.RequestToken(ApiKeyGrant,
                    new[] { new KeyValuePair<string, string>("api_key", null) }), "parameters");
                Named<ArgumentNullException>(() => client.RequestPasswordTokenAsync(null, JoePassword), "username");
                Named<ArgumentNullException>(() => client.RequestRefreshTokenAsync(null), "refreshToken");
                Named<ArgumentNullException>(() => client.RequestTokenAsync(null), "grantType");
                Named<ArgumentNullException>(() => TokenClient.FetchAccessToken(url, null, null, Joe, JoePassword), "clientId");
                Named<ArgumentException>(() => TokenClient.FetchAccessToken("", Resowner, null, Joe, JoePassword), "tokenUrl");
                Named<ArgumentNullException>(() => TokenClient.FetchAccessTokenAsync(url, Resowner, null, null, JoePassword), "username");
                Named<ArgumentOutOfRangeException>(() => new TokenClientOptions { Timeout = TimeSpan.Zero }, "value");
                Named<ArgumentOutOfRangeException>(() => new TokenClientOptions { ConnectTimeout = TimeSpan.FromSeconds(-1) }, "value");
                Named<ArgumentOutOfRangeException>(() => new TokenClientOptions { MaxResponseBytes = 0 }, "value");
                Named<ArgumentException>(() => new TokenClient(url, Resowner, null, new TokenClientOptions { CaFile = "a\0b" }), "CaFile");
            }
            Assert.Equal(QFlowStatus.OAuth, NativeMethods.qflow_last_error_status(),
                "this thread's last error is untouched: no native call was made");
            Assert.Equal(0, Env.Stats(tag)[0], "requests that reached the server");
        }

        private static void Named<T>(Action action, string paramName) where T : ArgumentException
        {
            T e = Assert.Throws<T>(action, "bad " + paramName);
            Assert.Equal(paramName, e.ParamName, "ParamName of " + typeof(T).Name);
        }

        public static void InputOnlyTheLibraryCanJudgeIsAnArgumentExceptionToo()
        {
            var url = Assert.Throws<ArgumentException>(() => new TokenClient("not a url", Resowner, null), "a URL");
            Assert.StartsWith("token_url is not a valid URL", url.Message, "message");
            var insecure = Assert.Throws<ArgumentException>(
                () => new TokenClient("http://identity.example.invalid/connect/token", Resowner, null), "http://");
            Assert.Contains("not loopback", insecure.Message, "message");
            new TokenClient("http://identity.example.invalid/connect/token", Resowner, null,
                new TokenClientOptions { AllowInsecureHttp = true }).Dispose();

            var ca = Assert.Throws<ArgumentException>(() => new TokenClient(Env.HttpsUrl("core"), Resowner, null,
                new TokenClientOptions { CaFile = "/nonexistent/ca.pem" }), "a missing CA file");
            Assert.StartsWith("ca_file", ca.Message, "message");
            Assert.Throws<ArgumentException>(() => new TokenClient(Env.Url("core"), Resowner, null,
                new TokenClientOptions { Proxy = "::not a proxy::" }), "a proxy URL");
            Assert.Throws<ArgumentException>(() => new TokenClient(Env.Url("core"), Resowner, null,
                new TokenClientOptions { UserAgent = "naïve" }), "a non-ASCII User-Agent");
            Assert.Throws<ArgumentException>(() => new TokenClient(Env.Url("core"), Resowner, null,
                new TokenClientOptions { AuthMethod = (ClientAuthMethod)42 }), "an unknown auth method");

            using (var client = new TokenClient(Env.Url("core"), SpecialClient, SpecialSecret))
            {
                var scope = Assert.Throws<ArgumentException>(
                    () => client.RequestPasswordToken(SpecialUser, SpecialPassword, "bad\"scope"), "a scope");
                Assert.StartsWith("scope", scope.Message, "message");
                var twice = Assert.Throws<ArgumentException>(() => client.RequestToken(ApiKeyGrant, new[]
                {
                    new KeyValuePair<string, string>("api_key", "1"), new KeyValuePair<string, string>("api_key", "2"),
                }), "a repeated parameter");
                Assert.Contains("appears twice", twice.Message, "message");
                Assert.Throws<ArgumentException>(() => client.RequestToken(ApiKeyGrant,
                    new Dictionary<string, string> { { "client_id", "x" } }), "a reserved parameter");
                Assert.Throws<ArgumentException>(() => client.RequestToken("two words"), "a grant type with a space");
            }
        }

        // ---- threads, async, disposal --------------------------------------------------------------------

        public static void ManyThreadsShareOneClient()
        {
            const int threads = 8, requests = 10;
            using (var client = new TokenClient(Env.Url("core"), Resowner, ResownerSecret))
            {
                var ok = new int[threads];
                var failures = new List<string>();
                var workers = Enumerable.Range(0, threads).Select(i => new Thread(() =>
                {
                    for (int r = 0; r < requests; r++)
                    {
                        try
                        {
                            if (i == 0)
                            {
                                // This thread's errors are its own, whatever the others are doing.
                                client.RequestPasswordToken(Joe, "wrong").Dispose();
                            }
                            else
                            {
                                using (Token token = client.RequestPasswordToken(Joe, JoePassword))
                                {
                                    if (token.AccessToken.StartsWith("at-", StringComparison.Ordinal))
                                    {
                                        ok[i]++;
                                    }
                                }
                            }
                        }
                        catch (OAuthException e) when (i == 0 && e.Error == "invalid_grant" &&
                                                       e.HttpStatusCode == HttpStatusCode.BadRequest)
                        {
                            ok[i]++;
                        }
                        catch (Exception e)
                        {
                            lock (failures)
                            {
                                failures.Add("thread " + i + ": " + e);
                            }
                        }
                    }
                })).ToList();
                workers.ForEach(w => w.Start());
                workers.ForEach(w => w.Join());
                Assert.True(failures.Count == 0, "no unexpected failure: " + string.Join("\n", failures));
                for (int i = 0; i < threads; i++)
                {
                    Assert.Equal(requests, ok[i], "expected outcomes on thread " + i);
                }
            }
        }

        public static void AsyncMethodsDoNotBlockTheCaller()
        {
            using (var client = new TokenClient(Env.Url("slow-1000"), Resowner, ResownerSecret))
            {
                var clock = Stopwatch.StartNew();
                Task<Token> pending = client.RequestPasswordTokenAsync(Joe, JoePassword, AllScopes);
                Assert.True(clock.ElapsedMilliseconds < 500, "the call returned at once (" + clock.ElapsedMilliseconds + " ms)");
                Assert.True(!pending.IsCompleted, "the request is still running");
                using (Token token = pending.Result)
                {
                    Assert.StartsWith("at-", token.AccessToken, "the awaited token");
                    Assert.True(clock.ElapsedMilliseconds >= 900, "the result came after the server's delay");
                }
            }
            using (var client = new TokenClient(Env.Url("core"), Resowner, ResownerSecret))
            using (var service = new TokenClient(Env.Url("core"), Service, ServiceSecret))
            using (var special = new TokenClient(Env.Url("core"), SpecialClient, SpecialSecret))
            using (Token first = client.RequestPasswordTokenAsync(Joe, JoePassword, AllScopes).Result)
            using (Token refreshed = client.RequestRefreshTokenAsync(first.RefreshToken).Result)
            using (Token credentials = service.RequestClientCredentialsTokenAsync("qflowapi").Result)
            using (Token grant = special.RequestTokenAsync(ApiKeyGrant,
                new Dictionary<string, string> { { "api_key", SpecialApiKey } }).Result)
            {
                Assert.True(new[] { refreshed, credentials, grant }.All(t => t.AccessToken.StartsWith("at-")),
                    "every async grant");
                var e = Assert.ThrowsFrom<OAuthException>(client.RequestPasswordTokenAsync(Joe, "wrong"),
                    "an OAuth error through a task");
                Assert.Equal("invalid_grant", e.Error, "Error");
                Assert.ThrowsFrom<OAuthException>(client.RequestRefreshTokenAsync(first.RefreshToken),
                    "a used refresh token through a task");
            }
        }

        public static void AsyncCancelledBeforeItStartsSendsNothing()
        {
            string tag = Env.NewTag("precancel");
            using (var client = new TokenClient(Env.Url("tag-" + tag), Resowner, ResownerSecret))
            using (var cancel = new CancellationTokenSource())
            {
                cancel.Cancel();
                Task<Token> task = client.RequestPasswordTokenAsync(Joe, JoePassword, null, cancel.Token);
                Assert.True(task.IsCanceled, "the task is cancelled at once");
                Assert.ThrowsFrom<TaskCanceledException>(task, "awaiting it");
                Assert.True(TokenClient.FetchAccessTokenAsync(Env.Url("tag-" + tag), Resowner, ResownerSecret, Joe,
                    JoePassword, null, cancel.Token).IsCanceled, "the one-liner too");
            }
            Thread.Sleep(100);
            Assert.Equal(0, Env.Stats(tag)[0], "requests sent");
        }

        public static void AsyncCancelledInFlightCompletesAtOnce()
        {
            string tag = Env.NewTag("cancel");
            var client = new TokenClient(Env.Url("tag-" + tag + "/slow-5000"), Resowner, ResownerSecret);
            using (var cancel = new CancellationTokenSource())
            {
                Task<Token> task = client.RequestPasswordTokenAsync(Joe, JoePassword, null, cancel.Token);
                var clock = Stopwatch.StartNew();
                while (Env.Stats(tag)[0] < 1 && clock.ElapsedMilliseconds < 10000)
                {
                    Thread.Sleep(10); // until the request is surely in flight, however slow the machine
                }
                clock.Restart();
                cancel.Cancel();
                Assert.ThrowsFrom<TaskCanceledException>(task, "awaiting the cancelled request");
                Assert.True(clock.ElapsedMilliseconds < 1500,
                    "the task ended before the server answered (" + clock.ElapsedMilliseconds + " ms)");
                Assert.True(task.IsCanceled, "the task is cancelled");

                // The native request was aborted too: it no longer holds the client, which Dispose then
                // frees at once, 5 s before the server would have answered.
                client.Dispose();
                while (!client.IsNativeClientReleased && clock.ElapsedMilliseconds < 4000)
                {
                    Thread.Sleep(10);
                }
                Assert.True(client.IsNativeClientReleased,
                    "the native request ended (after " + clock.ElapsedMilliseconds + " ms)");
                Assert.True(clock.ElapsedMilliseconds < 2000, "soon (" + clock.ElapsedMilliseconds + " ms)");
            }
            Assert.Equal(1, Env.Stats(tag)[0], "requests the server received");

            // A pool thread that ran a cancelled request runs the next ones normally.
            using (var fresh = new TokenClient(Env.Url("core"), Resowner, ResownerSecret))
            {
                Task<Token>[] after = Enumerable.Range(0, 8)
                    .Select(_ => fresh.RequestPasswordTokenAsync(Joe, JoePassword, null, CancellationToken.None))
                    .ToArray();
                Assert.True(after.All(t => t.Result.AccessToken.StartsWith("at-")), "later requests on the pool");
                using (var unused = new CancellationTokenSource())
                {
                    Token token = fresh.RequestPasswordTokenAsync(Joe, JoePassword, null, unused.Token).Result;
                    Assert.StartsWith("at-", token.AccessToken, "a cancellable request that is not cancelled");
                }
            }
        }

        public static void DisposedClientsAndTokensThrowObjectDisposedException()
        {
            var client = new TokenClient(Env.Url("core"), Resowner, ResownerSecret);
            Token token = client.RequestPasswordToken(Joe, JoePassword, AllScopes);
            client.Dispose();
            client.Dispose(); // twice is fine
            Assert.StartsWith("at-", token.AccessToken, "a token outlives its client");
            Assert.Throws<ObjectDisposedException>(() => client.RequestPasswordToken(Joe, JoePassword), "password");
            Assert.Throws<ObjectDisposedException>(() => client.RequestClientCredentialsToken(), "client credentials");
            Assert.Throws<ObjectDisposedException>(() => client.RequestRefreshToken(token.RefreshToken), "refresh");
            Assert.Throws<ObjectDisposedException>(() => client.RequestToken(ApiKeyGrant), "grant");
            Assert.Throws<ObjectDisposedException>(() => client.RequestPasswordTokenAsync(Joe, JoePassword),
                "async, thrown rather than put in the task");
            Assert.Contains("disposed", client.ToString(), "ToString");

            token.Dispose();
            token.Dispose();
            Assert.Throws<ObjectDisposedException>(() => { string s = token.AccessToken; }, "AccessToken");
            Assert.Throws<ObjectDisposedException>(() => token.IsExpired(), "IsExpired");
            Assert.Throws<ObjectDisposedException>(() => { string s = token["expires_in"]; }, "the indexer");
            Assert.Equal("Token(disposed)", token.ToString(), "ToString");
        }

        public static void DisposingAClientWaitsForTheRequestsRunningOnIt()
        {
            string tag = Env.NewTag("disposerace");
            var client = new TokenClient(Env.Url("tag-" + tag + "/slow-700"), Resowner, ResownerSecret);
            Task<Token> running = client.RequestPasswordTokenAsync(Joe, JoePassword);
            for (int waited = 0; Env.Stats(tag)[0] == 0; waited += 20)
            {
                Assert.True(waited < 3000, "the request reached the server");
                Thread.Sleep(20);
            }
            client.Dispose(); // while the server is still answering
            Assert.True(!client.IsNativeClientReleased, "the running request keeps the native client alive");
            Assert.Throws<ObjectDisposedException>(() => client.RequestPasswordToken(Joe, JoePassword), "a new request");
            Assert.Throws<ObjectDisposedException>(() => client.RequestClientCredentialsTokenAsync(), "a new async request");
            using (Token token = running.Result)
            {
                Assert.StartsWith("at-", token.AccessToken, "the request that was running");
            }
            Assert.True(client.IsNativeClientReleased, "the native client is freed once the request is over");
        }

        public static void SecretsNeverAppearInToStringOrMessages()
        {
            using (var client = new TokenClient(Env.Url("core"), SpecialClient, SpecialSecret))
            using (Token token = client.RequestPasswordToken(SpecialUser, SpecialPassword, "qflowapi openid offline_access"))
            {
                string text = token.ToString();
                Assert.Contains("Bearer", text, "ToString shows the type");
                Assert.DoesNotContain(token.AccessToken, text, "Token.ToString (access token)");
                Assert.DoesNotContain(token.RefreshToken, text, "Token.ToString (refresh token)");
                Assert.DoesNotContain(token.IdToken, text, "Token.ToString (ID token)");
                Assert.DoesNotContain(SpecialSecret, client.ToString(), "TokenClient.ToString");
                Assert.Contains(SpecialClient, client.ToString(), "TokenClient.ToString shows the client id");
                var wrong = Assert.Throws<OAuthException>(() => client.RequestPasswordToken(SpecialUser, "p&ss+w rd=%é!"),
                    "a wrong password");
                Assert.DoesNotContain("p&ss+w rd", wrong.ToString(), "OAuthException.ToString");
            }
            using (var slow = new TokenClient(Env.Url("slow-2000"), SpecialClient, SpecialSecret,
                new TokenClientOptions { Timeout = TimeSpan.FromMilliseconds(200) }))
            {
                var timeout = Assert.Throws<RequestTimeoutException>(
                    () => slow.RequestPasswordToken(SpecialUser, SpecialPassword), "a timeout");
                Assert.DoesNotContain("p&ss+w rd", timeout.ToString(), "RequestTimeoutException.ToString");
                Assert.DoesNotContain("s&cr+t", timeout.ToString(), "RequestTimeoutException.ToString");
            }
            var badProxy = Assert.Throws<ArgumentException>(() => new TokenClient(Env.Url("core"), Resowner, null,
                new TokenClientOptions { Proxy = "http://user:pr0xy-pa55@[bad" }), "a bad proxy URL");
            Assert.DoesNotContain("pr0xy-pa55", badProxy.ToString(), "the proxy password");
        }

        // ---- what the .NET SDK builds (checked as files only: there is no .NET SDK here) -------------------

        public static void ProjectFilesTargetWhatTheReadmePromises()
        {
            string dotnet = Path.Combine(Env.Root, "bindings", "dotnet");
            XmlDocument library = LoadProject(Path.Combine(dotnet, "src", "QFlow.Auth", "QFlow.Auth.csproj"));
            Assert.Equal("netstandard2.0;net8.0", Property(library, "TargetFrameworks"), "library targets");
            Assert.Equal("7.3", Property(library, "LangVersion"), "library language version");
            Assert.Equal("true", Property(library, "GenerateDocumentationFile"), "XML docs");
            var packed = library.SelectNodes("//None[@Pack='true']/@PackagePath").Cast<XmlNode>()
                .Select(n => n.Value).ToList();
            foreach (string rid in new[] { "linux-x64", "linux-arm64", "win-x64", "win-x86", "osx-x64", "osx-arm64" })
            {
                Assert.True(packed.Contains("runtimes/" + rid + "/native/"), "packs runtimes/" + rid + "/native/");
            }
            string[] examples =
            {
                Path.Combine(dotnet, "examples", "csharp", "QuickStart.csproj"),
                Path.Combine(dotnet, "examples", "vb", "QuickStart.vbproj"),
                Path.Combine(dotnet, "tests", "QFlow.Auth.Tests", "QFlow.Auth.Tests.csproj"),
            };
            foreach (string path in examples)
            {
                XmlDocument project = LoadProject(path);
                Assert.Equal("Exe", Property(project, "OutputType"), Path.GetFileName(path) + " output type");
                XmlAttribute reference = (XmlAttribute)project.SelectSingleNode("//ProjectReference/@Include");
                Assert.True(reference != null, Path.GetFileName(path) + " references QFlow.Auth");
                string target = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path), reference.Value));
                Assert.Equal(Path.Combine(dotnet, "src", "QFlow.Auth", "QFlow.Auth.csproj"), target,
                    Path.GetFileName(path) + " reference");
            }
            string vb = File.ReadAllText(Path.Combine(dotnet, "examples", "vb", "Program.vb"));
            Assert.True(!Regex.IsMatch(vb, @"\bDeclare\b|DllImport|qflow_"), "VB.NET declares no native function");
            Assert.Contains("FetchAccessToken(", vb, "the VB example's one-liner");
            Assert.Contains("Await client.RequestPasswordTokenAsync(", vb, "the VB example's async variant");
            Assert.Contains("TokenSource.ForPasswordAsync(", vb, "the VB example's token source");
            Assert.Contains("source.GetAccessToken()", vb, "the VB example asks the token source");
            Assert.Contains("TokenClient.FromAuthorityAsync(", vb, "the VB example's discovery");
        }

        private static XmlDocument LoadProject(string path)
        {
            var document = new XmlDocument();
            document.Load(path); // throws on malformed XML
            return document;
        }

        private static string Property(XmlDocument project, string name)
        {
            XmlNode node = project.SelectSingleNode("/Project/PropertyGroup/" + name);
            return node == null ? null : node.InnerText;
        }

        // ---- the example ---------------------------------------------------------------------------------

        public static void CSharpExamplePrintsAToken()
        {
            if (string.IsNullOrEmpty(Env.Example))
            {
                throw new SkipException("QFLOW_TEST_EXAMPLE is not set");
            }
            string[] command = Env.Example.Split(new[] { ' ' }, 2);
            var start = new ProcessStartInfo(command[0], command.Length > 1 ? command[1] : "")
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            start.EnvironmentVariables["QFLOW_TOKEN_URL"] = Env.Url("core");
            start.EnvironmentVariables["QFLOW_AUTHORITY"] = Env.Authority("");
            using (Process process = Process.Start(start))
            {
                Task<string> stderr = process.StandardError.ReadToEndAsync();
                string[] lines = process.StandardOutput.ReadToEnd().Split('\n');
                process.WaitForExit();
                Assert.Equal(0, process.ExitCode, "exit code (stderr: " + stderr.Result + ")");
                Assert.StartsWith("at-", lines[0], "the one-liner's token");
                string output = string.Join("\n", lines);
                Assert.Contains("refreshed", output, "the client part");
                Assert.Contains("token source: cached True", output, "the token source's cached token");
                Assert.Contains("token source: renewed True", output, "the token source's renewal");
                Assert.Contains("token endpoint: " + Env.Authority("") + "/connect/token", output, "the discovered endpoint");
                Assert.Contains("issuer: " + Env.Authority("") + ", user: ", output, "discovery and userinfo");
                Assert.Contains("refresh token revoked", output, "revocation");
                Assert.Equal("", stderr.Result, "nothing on stderr (no discovery warning)");
            }
        }

        // ---- helpers -------------------------------------------------------------------------------------

        /// <summary>One password-grant request to a (misbehaving) endpoint of the local server.</summary>
        private static void RequestWith(string modes, TokenClientOptions options = null)
        {
            using (var client = new TokenClient(Env.Url(modes), Resowner, ResownerSecret, options))
            {
                client.RequestPasswordToken(Joe, JoePassword).Dispose();
            }
        }
    }
}
