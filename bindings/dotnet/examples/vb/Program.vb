' QFlow Hub's quick-start in VB.NET, through QFlow.Auth (a C# assembly: VB does not declare any native
' function itself). The quick-start's StringContent/HttpClient/JsonConvert code becomes one call, with every
' value form-encoded correctly (a password with & or + works) and errors as exceptions. Then the same with
' Await, through a TokenClient that is created once and shared.
'
'   QFLOW_TOKEN_URL  token endpoint (default: https://identity.qflowhub.io/core/connect/token)
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

End Module
