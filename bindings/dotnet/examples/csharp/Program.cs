// QFlow Hub's quick-start in C#, through QFlow.Auth: the same password-grant request as the quick-start's
// HttpClient snippet, with every value form-encoded correctly (a password with & or + works), errors as
// exceptions, and connections reused across calls. Then the full client: options, expiry, refresh.
//
//   QFLOW_TOKEN_URL  token endpoint (default: https://identity.qflowhub.io/core/connect/token)
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
