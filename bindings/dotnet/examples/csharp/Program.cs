// QFlow Hub's quick-start in C#, through QFlow.Auth: the same password-grant request as the quick-start's
// HttpClient snippet, with every value form-encoded correctly (a password with & or + works), errors as
// exceptions, and connections reused across calls. Then the full client: options, expiry, refresh. Then
// the token lifecycle: a token source (the token cached and renewed instead of requested before every API
// call), discovery from the authority URL, userinfo and revocation.
//
//   QFLOW_TOKEN_URL  token endpoint (default: https://identity.qflowhub.io/core/connect/token)
//   QFLOW_AUTHORITY  authority for discovery (default: https://identity.qflowhub.io/core)
//   QFLOW_CA_FILE    extra CA certificates in PEM, for a private CA (optional)
using System;
using System.Threading.Tasks;
using QFlow.Auth;

internal static class Program
{
    private const string ClientId = "acme_resowner";
    private const string ClientSecret = "96184159-60d4-4ad4-a11e-0ff3ddcc6678";
    private const string Username = "joe.bloggs@example.com";
    private const string Password = "secret1234";
    private const string Scopes = "qflowapi openid offline_access";

    private static int Main()
    {
        return RunAsync().GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync()
    {
        string tokenUrl = Environment.GetEnvironmentVariable("QFLOW_TOKEN_URL"); // null: QFlow Hub's endpoint
        try
        {
            // The quick-start, in one call.
            string accessToken = await TokenClient.FetchAccessTokenAsync(
                tokenUrl, ClientId, ClientSecret, Username, Password, Scopes);
            Console.WriteLine(accessToken);

            // A client created once and shared: other grants, options, the expiry and the refresh token.
            var options = new TokenClientOptions
            {
                Timeout = TimeSpan.FromSeconds(15),
                CaFile = Environment.GetEnvironmentVariable("QFLOW_CA_FILE"),
            };
            using (var client = new TokenClient(
                tokenUrl ?? "https://identity.qflowhub.io/core/connect/token", ClientId, ClientSecret, options))
            using (Token token = await client.RequestPasswordTokenAsync(Username, Password, Scopes))
            {
                Console.WriteLine("token: " + token);        // never shows the token itself
                Console.WriteLine("expires in: " + token.ExpiresIn + " s");
                using (Token refreshed = await client.RequestRefreshTokenAsync(token.RefreshToken))
                {
                    Console.WriteLine("refreshed, expires " + refreshed.ExpiresAt);
                }
            }

            // A token source: create it once, ask it before every API call. It returns the cached token while
            // it is valid (no request) and renews it with the refresh token when due; any number of threads
            // asking at once cause one request. The password is used once and then discarded.
            using (var client = new TokenClient(
                tokenUrl ?? "https://identity.qflowhub.io/core/connect/token", ClientId, ClientSecret, options))
            using (TokenSource source = await TokenSource.ForPasswordAsync(client, Username, Password, Scopes))
            {
                string first = await source.GetAccessTokenAsync();
                Console.WriteLine("token source: cached " + (first == await source.GetAccessTokenAsync()));
                source.Invalidate(); // e.g. after the API answered 401 with the token
                Console.WriteLine("token source: renewed " + (first != await source.GetAccessTokenAsync()));
            }

            // Discovery: the endpoints come from <authority>/.well-known/openid-configuration.
            string authority = Environment.GetEnvironmentVariable("QFLOW_AUTHORITY") ?? "https://identity.qflowhub.io/core";
            using (TokenClient discovered = await TokenClient.FromAuthorityAsync(authority, ClientId, ClientSecret, options))
            {
                if (discovered.DiscoveryWarning != null)
                {
                    Console.Error.WriteLine("discovery: " + discovered.DiscoveryWarning);
                }
                Console.WriteLine("token endpoint: " + discovered.TokenUrl); // the one discovery found
                using (Token token = await discovered.RequestPasswordTokenAsync(Username, Password, Scopes))
                {
                    using (Claims user = await discovered.GetUserInfoAsync(token.AccessToken))
                    {
                        Console.WriteLine("issuer: " + discovered.Issuer + ", user: " + user["sub"]);
                    }
                    await discovered.RevokeTokenAsync(token.RefreshToken, TokenTypeHint.RefreshToken); // signing out
                    Console.WriteLine("refresh token revoked");
                }
            }
            return 0;
        }
        catch (OAuthException e)
        {
            Console.Error.WriteLine("the server refused: " + e.Error + " " + e.ErrorDescription +
                                    " (HTTP " + (int?)e.HttpStatusCode + ")");
            return 1;
        }
        catch (QFlowAuthException e)
        {
            Console.Error.WriteLine("could not get a token: " + e.Message);
            return 1;
        }
    }
}
