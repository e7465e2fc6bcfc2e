' QFlow Hub's quick-start in VB.NET, through QFlow.Auth (a C# assembly: VB does not declare any native
' function itself). The quick-start's StringContent/HttpClient/JsonConvert code becomes one call, with every
' value form-encoded correctly (a password with & or + works) and errors as exceptions. Then the same with
'' Await, through a TokenClient that is created once and shared. Then the token lifecycle: a TokenSource that
' caches and renews the token (instead of a new token before every API call), and discovery with userinfo and
' revocation.
'
'   QFLOW_TOKEN_URL  token endpoint (default: https://identity.qflowhub.io/core/connect/token)
'   QFLOW_AUTHORITY  authority for discovery (default: https://identity.qflowhub.io/core)
Imports System
Imports System.Threading.Tasks
Imports QFlow.Auth

Module Program

    Const ClientId As String = "acme_resowner"
    Const ClientSecret As String = "96184159-60d4-4ad4-a11e-0ff3ddcc6678"
    Const Username As String = "joe.bloggs@example.com"
    Const Password As String = "secret1234"
    Const Scopes As String = "qflowapi openid offline_access"

    Function Main() As Integer
        ' Nothing means QFlow Hub's endpoint.
        Dim tokenUrl As String = Environment.GetEnvironmentVariable("QFLOW_TOKEN_URL")
        Try
            ' The quick-start, in one call.
            Dim accessToken As String = TokenClient.FetchAccessToken(tokenUrl, ClientId, ClientSecret, Username, Password, Scopes)
            Console.WriteLine(accessToken)

            ' The async variant (VB has no Async Sub Main).
            RunAsync(If(tokenUrl, "https://identity.qflowhub.io/core/connect/token")).GetAwaiter().GetResult()

            ' The token lifecycle.
            Dim authority As String = Environment.GetEnvironmentVariable("QFLOW_AUTHORITY")
            LifecycleAsync(If(tokenUrl, "https://identity.qflowhub.io/core/connect/token"),
                           If(authority, "https://identity.qflowhub.io/core")).GetAwaiter().GetResult()
            Return 0
        Catch ex As OAuthException
            Console.Error.WriteLine($"the server refused: {ex.Error} {ex.ErrorDescription} (HTTP {ex.HttpStatusCode:D})")
            Return 1
        Catch ex As QFlowAuthException
            Console.Error.WriteLine($"could not get a token: {ex.Message}")
            Return 1
        End Try
    End Function

    Async Function RunAsync(tokenUrl As String) As Task
        Using client As New TokenClient(tokenUrl, ClientId, ClientSecret)
            Using response As Token = Await client.RequestPasswordTokenAsync(Username, Password, Scopes)
                Console.WriteLine(response.AccessToken)
                Console.WriteLine($"expires at {response.ExpiresAt:u}, refresh token: {response.RefreshToken IsNot Nothing}")
            End Using
        End Using
    End Function

    Async Function LifecycleAsync(tokenUrl As String, authority As String) As Task
        ' A token source: create it once and ask it before every API call. It returns the cached token while it
        ' is valid (no request) and renews it with the refresh token when due; many threads asking at once
        ' cause one request. The password is used once and then discarded.
        Using client As New TokenClient(tokenUrl, ClientId, ClientSecret)
            Using source As TokenSource = Await TokenSource.ForPasswordAsync(client, Username, Password, Scopes)
                Dim first As String = source.GetAccessToken()
                Dim second As String = source.GetAccessToken()
                Console.WriteLine($"token source: cached {first = second}")
                source.Invalidate() ' e.g. after the API answered 401 with the token
                Dim renewed As String = Await source.GetAccessTokenAsync()
                Console.WriteLine($"token source: renewed {first <> renewed}")
            End Using
        End Using

        ' Discovery: the endpoints come from <authority>/.well-known/openid-configuration.
        Using discovered As TokenClient = Await TokenClient.FromAuthorityAsync(authority, ClientId, ClientSecret)
            If discovered.DiscoveryWarning IsNot Nothing Then
                Console.Error.WriteLine($"discovery: {discovered.DiscoveryWarning}")
            End If
            Console.WriteLine($"token endpoint: {discovered.TokenUrl}") ' the one discovery found
            Using signedIn As Token = Await discovered.RequestPasswordTokenAsync(Username, Password, Scopes)
                Using user As Claims = Await discovered.GetUserInfoAsync(signedIn.AccessToken)
                    Console.WriteLine($"issuer: {discovered.Issuer}, user: {user("sub")}")
                End Using
                Await discovered.RevokeTokenAsync(signedIn.RefreshToken, TokenTypeHint.RefreshToken) ' signing out
            End Using
        End Using
    End Function

End Module
