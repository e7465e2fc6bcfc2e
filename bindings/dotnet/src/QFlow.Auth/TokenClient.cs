using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using QFlow.Auth.Native;

namespace QFlow.Auth
{
    /// <summary>
    /// An OAuth 2.0 token client for one token endpoint and one client, backed by the native qflow-auth
    /// library. Create it once and share it: it keeps connections alive and reuses them, and every method
    /// may be called from any number of threads at once.
    /// </summary>
    /// <remarks>
    /// Values are form-encoded correctly (a password with <c>&amp;</c> or <c>+</c> works), errors are thrown
    /// as exceptions derived from <see cref="QFlowAuthException"/>, and no exception message or
    /// <see cref="ToString"/> ever contains a password, secret or token. Bad arguments throw
    /// <see cref="ArgumentException"/>; null or empty ones are caught before any native call.
    /// The <c>...Async</c> methods run the request on the thread pool; their
    /// <see cref="CancellationToken"/> completes the task at once, though the request itself runs on
    /// to its end (the native library cannot abort it), and its result is then disposed.
    /// After <see cref="Dispose"/> every request throws <see cref="ObjectDisposedException"/>; requests
    /// already running finish first, and only then is the native client released.
    /// </remarks>
    public sealed class TokenClient : IDisposable
    {
        private readonly ClientHandle handle;

        // Set by Dispose. The handle alone cannot tell: while a request runs it holds a reference, and the
        // handle counts as closed only once the last reference is gone.
        private volatile bool disposed;

        /// <summary>Creates a client with the default options.</summary>
        /// <param name="tokenUrl">The token endpoint, e.g. <c>https://identity.qflowhub.io/core/connect/token</c>;
        /// <c>https://</c>, or <c>http://</c> to a loopback host.</param>
        /// <param name="clientId">The client id, e.g. <c>acme_resowner</c>.</param>
        /// <param name="clientSecret">The client secret; null for a public client. It is copied into native
        /// memory, which is zeroed when the client is released.</param>
        /// <exception cref="ArgumentNullException"><paramref name="tokenUrl"/> or <paramref name="clientId"/> is null.</exception>
        /// <exception cref="ArgumentException">An argument is empty, contains a NUL character, or the URL is
        /// malformed or insecure.</exception>
        public TokenClient(string tokenUrl, string clientId, string clientSecret)
            : this(tokenUrl, clientId, clientSecret, null)
        {
        }

        /// <summary>Creates a client with options (timeouts, a private CA, the client authentication method,
        /// a proxy, ...).</summary>
        /// <param name="tokenUrl">The token endpoint; <c>https://</c>, or <c>http://</c> to a loopback host
        /// (or to any host if <see cref="TokenClientOptions.AllowInsecureHttp"/> is set).</param>
        /// <param name="clientId">The client id.</param>
        /// <param name="clientSecret">The client secret; null for a public client.</param>
        /// <param name="options">The settings; null for the defaults. They are copied: later changes to the
        /// object do not affect this client.</param>
        /// <exception cref="ArgumentNullException"><paramref name="tokenUrl"/> or <paramref name="clientId"/> is null.</exception>
        /// <exception cref="ArgumentException">An argument or option is empty or malformed, or the CA file cannot
        /// be read.</exception>
        public TokenClient(string tokenUrl, string clientId, string clientSecret, TokenClientOptions options)
        {
            byte[] nativeUrl = Arguments.Required(tokenUrl, nameof(tokenUrl));
            byte[] nativeId = Arguments.Required(clientId, nameof(clientId));
            byte[] nativeSecret = Arguments.Optional(clientSecret, nameof(clientSecret));
            try
            {
                NativeLibraryLoader.EnsureReady();
                using (ClientOptionsHandle nativeOptions = (options ?? new TokenClientOptions()).ToNative())
                {
                    QFlowStatus status =
                        NativeMethods.qflow_client_new(nativeUrl, nativeId, nativeSecret, nativeOptions, out handle);
                    if (status != QFlowStatus.Ok)
                    {
                        Exception error = ErrorTable.FromLastError(status);
                        handle.Dispose();
                        throw error;
                    }
                }
            }
            finally
            {
                Utf8.Clear(nativeSecret);
            }
            TokenUrl = tokenUrl;
            ClientId = clientId;
        }

        /// <summary>The token endpoint this client sends requests to.</summary>
        public string TokenUrl { get; }

        /// <summary>The client id.</summary>
        public string ClientId { get; }

        /// <summary>The version of the native library in use, e.g. <c>0.1.0</c>.</summary>
        /// <exception cref="DllNotFoundException">The native library cannot be found.</exception>
        public static string LibraryVersion
        {
            get { return NativeLibraryLoader.NativeVersion; }
        }

        // ---- the quick-start in one call ----------------------------------------------------------------

        /// <summary>
        /// Gets an access token with the password grant in one call, as QFlow Hub's quick-start does.
        /// All one-call requests in a process share one connection pool. For other grants, options, the
        /// expiry or the refresh token, create a <see cref="TokenClient"/>.
        /// </summary>
        /// <param name="tokenUrl">The token endpoint; null for QFlow Hub's
        /// <c>https://identity.qflowhub.io/core/connect/token</c>.</param>
        /// <param name="clientId">The client id.</param>
        /// <param name="clientSecret">The client secret; null for a public client.</param>
        /// <param name="username">The resource owner's user name.</param>
        /// <param name="password">The resource owner's password; any characters.</param>
        /// <param name="scope">Scopes separated by spaces or <c>+</c>; null for
        /// <c>qflowapi openid offline_access</c>.</param>
        /// <returns>The access token, for <c>Authorization: Bearer &lt;token&gt;</c>.</returns>
        /// <exception cref="ArgumentNullException">A required argument is null.</exception>
        /// <exception cref="ArgumentException">An argument is empty or malformed.</exception>
        /// <exception cref="QFlowAuthException">The request failed; see the derived types.</exception>
        public static string FetchAccessToken(string tokenUrl, string clientId, string clientSecret,
            string username, string password, string scope = null)
        {
            return PrepareFetch(tokenUrl, clientId, clientSecret, username, password, scope).Run();
        }

        /// <summary>
        /// <see cref="FetchAccessToken"/> on the thread pool: the caller's thread is not blocked.
        /// </summary>
        /// <param name="tokenUrl">The token endpoint; null for QFlow Hub's.</param>
        /// <param name="clientId">The client id.</param>
        /// <param name="clientSecret">The client secret; null for a public client.</param>
        /// <param name="username">The resource owner's user name.</param>
        /// <param name="password">The resource owner's password; any characters.</param>
        /// <param name="scope">Scopes separated by spaces or <c>+</c>; null for
        /// <c>qflowapi openid offline_access</c>.</param>
        /// <param name="cancellationToken">Completes the task as cancelled; the request itself runs on to its end.</param>
        /// <returns>The access token.</returns>
        /// <exception cref="ArgumentNullException">A required argument is null (thrown, not in the task).</exception>
        /// <exception cref="ArgumentException">An argument is empty (thrown, not in the task).</exception>
        public static Task<string> FetchAccessTokenAsync(string tokenUrl, string clientId, string clientSecret,
            string username, string password, string scope = null,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            Call<string> call = PrepareFetch(tokenUrl, clientId, clientSecret, username, password, scope);
            return AsyncRunner.Run(call.Run, call.Discard, cancellationToken);
        }

        // ---- grants -------------------------------------------------------------------------------------

        /// <summary>
        /// Requests a token with the resource owner password grant (RFC 6749 section 4.3), as QFlow Hub's
        /// quick-start does. New designs should prefer other grants (RFC 9700 section 2.4).
        /// </summary>
        /// <param name="username">The resource owner's user name.</param>
        /// <param name="password">The resource owner's password; any characters.</param>
        /// <param name="scope">Scopes separated by spaces or <c>+</c>, e.g. <c>qflowapi openid offline_access</c>;
        /// null to send none.</param>
        /// <returns>The token; dispose it when done to zero its native memory.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="username"/> or <paramref name="password"/> is null.</exception>
        /// <exception cref="ArgumentException">An argument is empty or the scope has characters RFC 6749 forbids.</exception>
        /// <exception cref="OAuthException">The server refused, e.g. <c>invalid_grant</c> for a wrong password.</exception>
        /// <exception cref="QFlowAuthException">Another failure; see the derived types.</exception>
        /// <exception cref="ObjectDisposedException">The client has been disposed.</exception>
        public Token RequestPasswordToken(string username, string password, string scope = null)
        {
            return PreparePassword(username, password, scope).Run();
        }

        /// <summary><see cref="RequestPasswordToken"/> on the thread pool: the caller's thread is not blocked.</summary>
        /// <param name="username">The resource owner's user name.</param>
        /// <param name="password">The resource owner's password; any characters.</param>
        /// <param name="scope">Scopes separated by spaces or <c>+</c>; null to send none.</param>
        /// <param name="cancellationToken">Completes the task as cancelled; the request itself runs on to its end.</param>
        /// <returns>The token.</returns>
        /// <exception cref="ArgumentException">Bad arguments (thrown, not in the task).</exception>
        /// <exception cref="ObjectDisposedException">The client has been disposed (thrown, not in the task).</exception>
        public Task<Token> RequestPasswordTokenAsync(string username, string password, string scope = null,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            return RunAsync(PreparePassword(username, password, scope), cancellationToken);
        }

        /// <summary>Requests a token with the client credentials grant (RFC 6749 section 4.4), for
        /// service-to-service calls.</summary>
        /// <param name="scope">Scopes separated by spaces or <c>+</c>; null to send none.</param>
        /// <returns>The token.</returns>
        /// <exception cref="ArgumentException">The scope has characters RFC 6749 forbids.</exception>
        /// <exception cref="QFlowAuthException">The request failed; see the derived types.</exception>
        /// <exception cref="ObjectDisposedException">The client has been disposed.</exception>
        public Token RequestClientCredentialsToken(string scope = null)
        {
            return PrepareClientCredentials(scope).Run();
        }

        /// <summary><see cref="RequestClientCredentialsToken"/> on the thread pool.</summary>
        /// <param name="scope">Scopes separated by spaces or <c>+</c>; null to send none.</param>
        /// <param name="cancellationToken">Completes the task as cancelled; the request itself runs on to its end.</param>
        /// <returns>The token.</returns>
        /// <exception cref="ObjectDisposedException">The client has been disposed (thrown, not in the task).</exception>
        public Task<Token> RequestClientCredentialsTokenAsync(string scope = null,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            return RunAsync(PrepareClientCredentials(scope), cancellationToken);
        }

        /// <summary>
        /// Exchanges a refresh token for a new token (RFC 6749 section 6). The server may rotate the refresh
        /// token: use the new token's <see cref="Token.RefreshToken"/> from then on.
        /// </summary>
        /// <param name="refreshToken">The refresh token.</param>
        /// <param name="scope">Null to keep the original scope; otherwise a narrower list.</param>
        /// <returns>The new token.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="refreshToken"/> is null.</exception>
        /// <exception cref="ArgumentException"><paramref name="refreshToken"/> is empty.</exception>
        /// <exception cref="OAuthException">The server refused, e.g. <c>invalid_grant</c> for a used refresh token.</exception>
        /// <exception cref="QFlowAuthException">Another failure; see the derived types.</exception>
        /// <exception cref="ObjectDisposedException">The client has been disposed.</exception>
        public Token RequestRefreshToken(string refreshToken, string scope = null)
        {
            return PrepareRefresh(refreshToken, scope).Run();
        }

        /// <summary><see cref="RequestRefreshToken"/> on the thread pool.</summary>
        /// <param name="refreshToken">The refresh token.</param>
        /// <param name="scope">Null to keep the original scope; otherwise a narrower list.</param>
        /// <param name="cancellationToken">Completes the task as cancelled; the request itself runs on to its end.</param>
        /// <returns>The new token.</returns>
        /// <exception cref="ArgumentException">Bad arguments (thrown, not in the task).</exception>
        /// <exception cref="ObjectDisposedException">The client has been disposed (thrown, not in the task).</exception>
        public Task<Token> RequestRefreshTokenAsync(string refreshToken, string scope = null,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            return RunAsync(PrepareRefresh(refreshToken, scope), cancellationToken);
        }

        /// <summary>
        /// Requests a token with any grant, including extension grants (RFC 6749 section 4.5) such as
        /// <c>urn:ietf:params:oauth:grant-type:token-exchange</c>, with extra form parameters.
        /// </summary>
        /// <param name="grantType">The <c>grant_type</c> value; not empty, no spaces.</param>
        /// <param name="parameters">Extra form parameters, e.g. a <c>Dictionary&lt;string, string&gt;</c>;
        /// null for none. Names must be unique and must not be <c>grant_type</c>, <c>client_id</c> or
        /// <c>client_secret</c>; a <c>scope</c> value may be separated by spaces or <c>+</c>.</param>
        /// <returns>The token.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="grantType"/> is null.</exception>
        /// <exception cref="ArgumentException">An empty grant type, a null or empty parameter name, a null value,
        /// a repeated or reserved name.</exception>
        /// <exception cref="QFlowAuthException">The request failed; see the derived types.</exception>
        /// <exception cref="ObjectDisposedException">The client has been disposed.</exception>
        public Token RequestToken(string grantType, IEnumerable<KeyValuePair<string, string>> parameters = null)
        {
            return PrepareGrant(grantType, parameters).Run();
        }

        /// <summary><see cref="RequestToken"/> on the thread pool.</summary>
        /// <param name="grantType">The <c>grant_type</c> value.</param>
        /// <param name="parameters">Extra form parameters; null for none.</param>
        /// <param name="cancellationToken">Completes the task as cancelled; the request itself runs on to its end.</param>
        /// <returns>The token.</returns>
        /// <exception cref="ArgumentException">Bad arguments (thrown, not in the task).</exception>
        /// <exception cref="ObjectDisposedException">The client has been disposed (thrown, not in the task).</exception>
        public Task<Token> RequestTokenAsync(string grantType, IEnumerable<KeyValuePair<string, string>> parameters = null,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            return RunAsync(PrepareGrant(grantType, parameters), cancellationToken);
        }

        /// <summary>Releases the native client (zeroing the client secret it holds) once no request is running
        /// on it any more. Tokens obtained from it stay valid. Safe to call twice.</summary>
        public void Dispose()
        {
            disposed = true;
            handle.Dispose();
        }

        /// <summary>The token URL and client id; never the secret.</summary>
        /// <returns>For example <c>TokenClient(https://host/core/connect/token, client acme_resowner)</c>.</returns>
        public override string ToString()
        {
            return "TokenClient(" + TokenUrl + ", client " + ClientId + (disposed ? ", disposed)" : ")");
        }

        /// <summary>Whether the native client has been freed (for the tests: after Dispose, once no
        /// request holds it any more).</summary>
        internal bool IsNativeClientReleased
        {
            get { return handle.IsClosed; }
        }

        // ---- plumbing -----------------------------------------------------------------------------------

        /// <summary>One native request: its status, and the token it returns through the out-parameter.</summary>
        private delegate QFlowStatus NativeRequest(ClientHandle client, out TokenHandle token);

        /// <summary>A request whose arguments are checked and encoded, ready to run now or on the thread pool;
        /// its buffers (which may hold a password) are zeroed after it ran or when it is discarded.</summary>
        private sealed class Call<T>
        {
            private readonly Func<T> send;
            private readonly byte[][] buffers;

            internal Call(Func<T> send, params byte[][] buffers)
            {
                this.send = send;
                this.buffers = buffers;
            }

            internal T Run()
            {
                try
                {
                    return send();
                }
                finally
                {
                    Discard();
                }
            }

            internal void Discard()
            {
                Utf8.Clear(buffers);
            }
        }

        private Task<Token> RunAsync(Call<Token> call, CancellationToken cancellationToken)
        {
            return AsyncRunner.Run(call.Run, call.Discard, cancellationToken);
        }

        private void ThrowIfDisposed()
        {
            if (disposed)
            {
                throw new ObjectDisposedException(nameof(TokenClient));
            }
        }

        private Call<Token> PreparePassword(string username, string password, string scope)
        {
            ThrowIfDisposed();
            byte[] user = Arguments.Required(username, nameof(username));
            byte[] pass = Arguments.Required(password, nameof(password));
            byte[] scopes = Utf8.Encode(scope, nameof(scope));
            return new Call<Token>(
                () => Send((ClientHandle c, out TokenHandle t) =>
                    NativeMethods.qflow_client_request_password(c, user, pass, scopes, out t)),
                user, pass);
        }

        private Call<Token> PrepareClientCredentials(string scope)
        {
            ThrowIfDisposed();
            byte[] scopes = Utf8.Encode(scope, nameof(scope));
            return new Call<Token>(
                () => Send((ClientHandle c, out TokenHandle t) =>
                    NativeMethods.qflow_client_request_client_credentials(c, scopes, out t)));
        }

        private Call<Token> PrepareRefresh(string refreshToken, string scope)
        {
            ThrowIfDisposed();
            byte[] refresh = Arguments.Required(refreshToken, nameof(refreshToken));
            byte[] scopes = Utf8.Encode(scope, nameof(scope));
            return new Call<Token>(
                () => Send((ClientHandle c, out TokenHandle t) =>
                    NativeMethods.qflow_client_request_refresh(c, refresh, scopes, out t)),
                refresh);
        }

        private Call<Token> PrepareGrant(string grantType, IEnumerable<KeyValuePair<string, string>> parameters)
        {
            ThrowIfDisposed();
            byte[] grant = Arguments.Required(grantType, nameof(grantType));
            var names = new List<byte[]>();
            var values = new List<byte[]>();
            if (parameters != null)
            {
                foreach (KeyValuePair<string, string> parameter in parameters)
                {
                    if (string.IsNullOrEmpty(parameter.Key))
                    {
                        throw new ArgumentException("a parameter name is null or empty", nameof(parameters));
                    }
                    if (parameter.Value == null)
                    {
                        throw new ArgumentException("the value of parameter \"" + parameter.Key + "\" is null",
                            nameof(parameters));
                    }
                    names.Add(Utf8.Encode(parameter.Key, nameof(parameters)));
                    values.Add(Utf8.Encode(parameter.Value, nameof(parameters)));
                }
            }
            int count = names.Count;
            return new Call<Token>(
                () => Send((ClientHandle c, out TokenHandle t) =>
                {
                    // Pinned for the call: the library borrows the arrays only while it runs.
                    var pins = new List<GCHandle>(2 * count);
                    try
                    {
                        IntPtr[] namePointers = Pin(names, pins);
                        IntPtr[] valuePointers = Pin(values, pins);
                        return NativeMethods.qflow_client_request_grant(
                            c, grant, namePointers, valuePointers, new UIntPtr((uint)count), out t);
                    }
                    finally
                    {
                        foreach (GCHandle pin in pins)
                        {
                            pin.Free();
                        }
                    }
                }),
                values.ToArray()); // values may be secrets (an API key)
        }

        private static IntPtr[] Pin(List<byte[]> buffers, List<GCHandle> pins)
        {
            if (buffers.Count == 0)
            {
                return null;
            }
            var pointers = new IntPtr[buffers.Count];
            for (int i = 0; i < buffers.Count; i++)
            {
                GCHandle pin = GCHandle.Alloc(buffers[i], GCHandleType.Pinned);
                pins.Add(pin);
                pointers[i] = pin.AddrOfPinnedObject();
            }
            return pointers;
        }

        private Token Send(NativeRequest request)
        {
            bool added = false;
            TokenHandle token = null;
            try
            {
                // Keeps the native client alive for the whole call, even if another thread disposes it, and
                // until the last error has been read on this thread. A Dispose between the check and the
                // reference makes DangerousAddRef throw ObjectDisposedException.
                ThrowIfDisposed();
                handle.DangerousAddRef(ref added);
                QFlowStatus status = request(handle, out token);
                if (status != QFlowStatus.Ok)
                {
                    Exception error = ErrorTable.FromLastError(status);
                    if (token != null)
                    {
                        token.Dispose(); // NULL: the library writes the out-parameter only on success
                    }
                    throw error;
                }
                return new Token(token);
            }
            finally
            {
                if (added)
                {
                    handle.DangerousRelease();
                }
            }
        }

        private static Call<string> PrepareFetch(string tokenUrl, string clientId, string clientSecret,
            string username, string password, string scope)
        {
            byte[] url = Arguments.Optional(tokenUrl, nameof(tokenUrl));
            byte[] id = Arguments.Required(clientId, nameof(clientId));
            byte[] secret = Arguments.Optional(clientSecret, nameof(clientSecret));
            byte[] user = Arguments.Required(username, nameof(username));
            byte[] pass = Arguments.Required(password, nameof(password));
            byte[] scopes = Utf8.Encode(scope, nameof(scope));
            return new Call<string>(() =>
            {
                NativeLibraryLoader.EnsureReady();
                IntPtr accessToken = NativeMethods.qflow_fetch_token(url, id, secret, user, pass, scopes);
                if (accessToken == IntPtr.Zero)
                {
                    throw ErrorTable.FromLastError();
                }
                return Utf8.TakeOwned(accessToken);
            }, secret, user, pass);
        }
    }

    /// <summary>Checks of required and optional string arguments, before any native call.</summary>
    internal static class Arguments
    {
        /// <summary>Not null, not empty; encoded as UTF-8.</summary>
        internal static byte[] Required(string value, string name)
        {
            if (value == null)
            {
                throw new ArgumentNullException(name);
            }
            return Optional(value, name);
        }

        /// <summary>Null (a C NULL) or not empty; encoded as UTF-8.</summary>
        internal static byte[] Optional(string value, string name)
        {
            if (value != null && value.Length == 0)
            {
                throw new ArgumentException(name + " must not be empty", name);
            }
            return Utf8.Encode(value, name);
        }
    }
}
