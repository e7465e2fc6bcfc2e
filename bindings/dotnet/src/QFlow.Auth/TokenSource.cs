using System;
using System.Threading;
using System.Threading.Tasks;
using QFlow.Auth.Native;

namespace QFlow.Auth
{
    /// <summary>
    /// "Give me a valid access token": keeps a token, hands out the cached one while it is valid for longer
    /// than the skew (<see cref="TokenSourceOptions.Skew"/>), and renews it when it is due, with the refresh
    /// token when there is one (storing the rotated one). Create one per client, grant and scope and call
    /// <see cref="GetAccessToken"/> before each API call instead of requesting a new token every time.
    /// </summary>
    /// <remarks>
    /// <para>Every member may be called from any number of threads at once. While a renewal is due, concurrent
    /// callers cause exactly one request and share its result or its error; a failed renewal is never cached,
    /// so the next call tries again. After the API answered 401 with a token, call <see cref="Invalidate"/>
    /// so that the next call renews. With <see cref="TokenSourceOptions.FileCacheDirectory"/> sources in
    /// other processes share the token too.</para>
    /// <para>The caching, renewal and locking are the native library's: this class only calls it. The source
    /// keeps its own reference to the native client, so the <see cref="TokenClient"/> may be disposed first.
    /// <see cref="Dispose"/> zeroes the refresh token and any kept password; tokens already handed out stay
    /// valid. <see cref="ToString"/> never shows a token or password.</para>
    /// </remarks>
    public sealed class TokenSource : IDisposable
    {
        private readonly TokenSourceHandle handle;
        private readonly string description;
        private volatile bool disposed; // see TokenClient: the handle stays open while a call holds it

        private TokenSource(TokenSourceHandle handle, string description)
        {
            this.handle = handle;
            this.description = description;
        }

        // ---- factories ----------------------------------------------------------------------------------

        /// <summary>
        /// A source for the resource owner password grant (RFC 6749 section 4.3), as QFlow Hub's quick-start uses.
        /// Unless <see cref="TokenSourceOptions.KeepPassword"/> is set, the first token is requested now (so this
        /// can fail like <see cref="TokenClient.RequestPasswordToken"/>) and the password is then discarded;
        /// renewals use the refresh token, so ask for the <c>offline_access</c> scope.
        /// </summary>
        /// <param name="client">The client to request tokens with; the source keeps its own reference to it.</param>
        /// <param name="username">The resource owner's user name.</param>
        /// <param name="password">The resource owner's password; any characters.</param>
        /// <param name="scope">Scopes separated by spaces or <c>+</c>, e.g. <c>qflowapi openid offline_access</c>;
        /// null to send none.</param>
        /// <param name="options">The settings; null for the defaults. They are copied.</param>
        /// <returns>The source; dispose it when done.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="client"/>, <paramref name="username"/> or
        /// <paramref name="password"/> is null.</exception>
        /// <exception cref="ArgumentException">An argument is empty or malformed, or the file cache directory is
        /// refused.</exception>
        /// <exception cref="OAuthException">The server refused the first request, e.g. <c>invalid_grant</c>.</exception>
        /// <exception cref="QFlowAuthException">The first request failed otherwise; see the derived types.</exception>
        /// <exception cref="ObjectDisposedException"><paramref name="client"/> has been disposed.</exception>
        public static TokenSource ForPassword(TokenClient client, string username, string password,
            string scope = null, TokenSourceOptions options = null)
        {
            return PreparePassword(client, username, password, scope, options).Run();
        }

        /// <summary><see cref="ForPassword"/> on the thread pool: the caller's thread is not blocked while the
        /// first token is requested.</summary>
        /// <param name="client">The client to request tokens with.</param>
        /// <param name="username">The resource owner's user name.</param>
        /// <param name="password">The resource owner's password; any characters.</param>
        /// <param name="scope">Scopes separated by spaces or <c>+</c>; null to send none.</param>
        /// <param name="options">The settings; null for the defaults.</param>
        /// <param name="cancellationToken">Completes the task as cancelled; the request itself runs on to its
        /// end, and the source it makes is then disposed.</param>
        /// <returns>The source.</returns>
        /// <exception cref="ArgumentException">Bad arguments or options (thrown, not in the task).</exception>
        /// <exception cref="ObjectDisposedException"><paramref name="client"/> has been disposed (thrown, not in
        /// the task).</exception>
        public static Task<TokenSource> ForPasswordAsync(TokenClient client, string username, string password,
            string scope = null, TokenSourceOptions options = null,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            return PreparePassword(client, username, password, scope, options).RunAsync(cancellationToken);
        }

        /// <summary>
        /// A source for the client credentials grant (RFC 6749 section 4.4), which can always sign in again with
        /// the client's credentials. No request is made until the first <see cref="GetToken"/>.
        /// </summary>
        /// <param name="client">The client to request tokens with; the source keeps its own reference to it.</param>
        /// <param name="scope">Scopes separated by spaces or <c>+</c>; null to send none.</param>
        /// <param name="options">The settings; null for the defaults. They are copied.</param>
        /// <returns>The source; dispose it when done.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="client"/> is null.</exception>
        /// <exception cref="ArgumentException">The scope is malformed, or the file cache directory is refused.</exception>
        /// <exception cref="ObjectDisposedException"><paramref name="client"/> has been disposed.</exception>
        public static TokenSource ForClientCredentials(TokenClient client, string scope = null,
            TokenSourceOptions options = null)
        {
            CheckClient(client);
            byte[] scopes = Utf8.Encode(scope, nameof(scope));
            return Create(client, options, "client credentials", scope,
                (ClientHandle c, TokenSourceOptionsHandle o, out TokenSourceHandle s) =>
                    NativeMethods.qflow_token_source_new_client_credentials(c, scopes, o, out s)).Run();
        }

        /// <summary>
        /// A source that starts from an existing refresh token, e.g. one saved by an earlier run. No request is
        /// made until the first <see cref="GetToken"/>; rotated refresh tokens replace it as they come. Once the
        /// server refuses the refresh token, the source cannot renew any more.
        /// </summary>
        /// <param name="client">The client to request tokens with; the source keeps its own reference to it.</param>
        /// <param name="refreshToken">The refresh token; copied into native memory, zeroed when the source is
        /// disposed.</param>
        /// <param name="scope">Null to keep the original scope; otherwise a narrower list.</param>
        /// <param name="options">The settings; null for the defaults. They are copied.</param>
        /// <returns>The source; dispose it when done.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="client"/> or <paramref name="refreshToken"/>
        /// is null.</exception>
        /// <exception cref="ArgumentException">An argument is empty or malformed, or the file cache directory is
        /// refused.</exception>
        /// <exception cref="ObjectDisposedException"><paramref name="client"/> has been disposed.</exception>
        public static TokenSource ForRefreshToken(TokenClient client, string refreshToken, string scope = null,
            TokenSourceOptions options = null)
        {
            CheckClient(client);
            byte[] refresh = Arguments.Required(refreshToken, nameof(refreshToken));
            byte[] scopes = Utf8.Encode(scope, nameof(scope));
            return Create(client, options, "refresh token", scope,
                (ClientHandle c, TokenSourceOptionsHandle o, out TokenSourceHandle s) =>
                    NativeMethods.qflow_token_source_new_refresh_token(c, refresh, scopes, o, out s),
                refresh).Run();
        }

        // ---- tokens -------------------------------------------------------------------------------------

        /// <summary>
        /// A valid token: the cached one while it is valid for longer than the skew (no request), otherwise a
        /// renewed one. Dispose it when done; it stays valid after later renewals.
        /// </summary>
        /// <returns>The token.</returns>
        /// <exception cref="InvalidOperationException">The token cannot be renewed: the source was made from a
        /// password that was not kept, or from a refresh token, and has no refresh token left (the message says
        /// so: ask for the <c>offline_access</c> scope, or set <see cref="TokenSourceOptions.KeepPassword"/>).</exception>
        /// <exception cref="OAuthException">The server refused the renewal, e.g. <c>invalid_grant</c>.</exception>
        /// <exception cref="LocalIOException">With <see cref="TokenSourceOptions.FileCacheDirectory"/>: the cache
        /// entry could not be locked (e.g. the directory was removed).</exception>
        /// <exception cref="QFlowAuthException">The renewal failed otherwise; see the derived types. Every thread
        /// that waited for that renewal gets the same error; nothing is cached, so the next call tries again.</exception>
        /// <exception cref="ObjectDisposedException">The source has been disposed.</exception>
        public Token GetToken()
        {
            ThrowIfDisposed();
            return Fetch();
        }

        /// <summary><see cref="GetToken"/> on the thread pool: the caller's thread is not blocked while a renewal
        /// is due. On the cached path the task is already complete when returned: no thread is involved.</summary>
        /// <param name="cancellationToken">Completes the task as cancelled and aborts a renewal by password or
        /// client credentials; a refresh request already sent runs on to its end (the server may have rotated the
        /// refresh token), and its token stays cached for the next call.</param>
        /// <returns>The token.</returns>
        /// <exception cref="ObjectDisposedException">The source has been disposed (thrown, not in the task).</exception>
        public Task<Token> GetTokenAsync(CancellationToken cancellationToken = default(CancellationToken))
        {
            ThrowIfDisposed();
            if (cancellationToken.IsCancellationRequested)
            {
                return Task.FromCanceled<Token>(cancellationToken);
            }
            // The cached path needs no thread: the task is complete at once.
            Token cached = CachedOrNull();
            return cached != null ? Task.FromResult(cached) : AsyncRunner.Run(Fetch, () => { }, cancellationToken);
        }

        /// <summary>The access token of <see cref="GetToken"/>, for <c>Authorization: Bearer &lt;token&gt;</c>.</summary>
        /// <returns>The access token.</returns>
        /// <exception cref="QFlowAuthException">As for <see cref="GetToken"/>.</exception>
        /// <exception cref="InvalidOperationException">As for <see cref="GetToken"/>: nothing left to renew with.</exception>
        /// <exception cref="ObjectDisposedException">The source has been disposed.</exception>
        public string GetAccessToken()
        {
            using (Token token = GetToken())
            {
                return token.AccessToken;
            }
        }

        /// <summary><see cref="GetAccessToken"/> on the thread pool.</summary>
        /// <param name="cancellationToken">As for <see cref="GetTokenAsync"/>.</param>
        /// <returns>The access token.</returns>
        /// <exception cref="ObjectDisposedException">The source has been disposed (thrown, not in the task).</exception>
        public Task<string> GetAccessTokenAsync(CancellationToken cancellationToken = default(CancellationToken))
        {
            ThrowIfDisposed();
            if (cancellationToken.IsCancellationRequested)
            {
                return Task.FromCanceled<string>(cancellationToken);
            }
            Token cached = CachedOrNull();
            if (cached != null)
            {
                using (cached)
                {
                    return Task.FromResult(cached.AccessToken);
                }
            }
            return AsyncRunner.Run(GetAccessToken, () => { }, cancellationToken);
        }

        /// <summary>
        /// Forgets the current token, e.g. after the API answered 401 with it, so that the next
        /// <see cref="GetToken"/> renews (with the refresh token when there is one). With a file cache the shared
        /// entry is removed too if it still holds this token. Makes no request itself.
        /// </summary>
        /// <exception cref="LocalIOException">The file cache entry could not be locked or removed (e.g. the
        /// directory was made read-only or removed). The token is forgotten in this source all the same.</exception>
        /// <exception cref="ObjectDisposedException">The source has been disposed.</exception>
        public void Invalidate()
        {
            ThrowIfDisposed();
            HandleUse.With(handle, source =>
            {
                ErrorTable.Check(NativeMethods.qflow_token_source_invalidate(source));
                return (object)null;
            });
        }

        /// <summary>Releases the native source, zeroing its refresh token and any kept password, once no call is
        /// running on it any more. Tokens obtained from it stay valid. Safe to call twice.</summary>
        public void Dispose()
        {
            disposed = true;
            handle.Dispose();
        }

        /// <summary>The grant, client and scope; never a token or password.</summary>
        /// <returns>For example <c>TokenSource(password grant, client acme_resowner, scope qflowapi offline_access)</c>.</returns>
        public override string ToString()
        {
            return "TokenSource(" + description + (disposed ? ", disposed)" : ")");
        }

        /// <summary>Whether the native source has been freed (for the tests: after Dispose, once no call holds
        /// it any more).</summary>
        internal bool IsNativeSourceReleased
        {
            get { return handle.IsClosed; }
        }

        // ---- plumbing -----------------------------------------------------------------------------------

        /// <summary>One native constructor of a source, with its arguments bound.</summary>
        private delegate QFlowStatus NativeConstructor(ClientHandle client, TokenSourceOptionsHandle options,
            out TokenSourceHandle source);

        private void ThrowIfDisposed()
        {
            if (disposed)
            {
                throw new ObjectDisposedException(nameof(TokenSource));
            }
        }

        private Token Fetch()
        {
            ThrowIfDisposed();
            // The reference keeps the native source alive for the whole call (a renewal may take a while), even
            // if another thread disposes it, and until the last error has been read on this thread.
            return HandleUse.With(handle, source =>
            {
                TokenHandle token;
                QFlowStatus status = NativeMethods.qflow_token_source_token(source, out token);
                return new Token(ErrorTable.Take(status, token));
            });
        }

        /// <summary>The token the native source holds while it is valid beyond the skew
        /// (<c>qflow_token_source_cached_token</c>); null when a renewal is due. Never sends a request.</summary>
        private Token CachedOrNull()
        {
            return HandleUse.With(handle, source =>
            {
                TokenHandle token;
                QFlowStatus status = NativeMethods.qflow_token_source_cached_token(source, out token);
                token = ErrorTable.Take(status, token);
                if (token.IsInvalid) // OK with NULL: nothing valid is cached
                {
                    token.Dispose();
                    return null;
                }
                return new Token(token);
            });
        }

        private static void CheckClient(TokenClient client)
        {
            if (client == null)
            {
                throw new ArgumentNullException(nameof(client));
            }
            client.ThrowIfDisposed();
        }

        private static Call<TokenSource> PreparePassword(TokenClient client, string username, string password,
            string scope, TokenSourceOptions options)
        {
            CheckClient(client);
            byte[] user = Arguments.Required(username, nameof(username));
            byte[] pass = Arguments.Required(password, nameof(password));
            byte[] scopes;
            try
            {
                scopes = Utf8.Encode(scope, nameof(scope));
            }
            catch
            {
                Utf8.Clear(pass);
                throw;
            }
            return Create(client, options, "password grant", scope,
                (ClientHandle c, TokenSourceOptionsHandle o, out TokenSourceHandle s) =>
                    NativeMethods.qflow_token_source_new_password(c, user, pass, scopes, o, out s),
                user, pass);
        }

        /// <summary>
        /// Checks the options (before any native call when they hold a bad string), converts them, and returns
        /// the call that creates the source while holding a reference on the native client. The buffers are
        /// zeroed and the native options released after the call or when it is discarded.
        /// </summary>
        private static Call<TokenSource> Create(TokenClient client, TokenSourceOptions options, string grant,
            string scope, NativeConstructor create, params byte[][] secrets)
        {
            TokenSourceOptionsHandle nativeOptions;
            try
            {
                NativeLibraryLoader.EnsureReady();
                nativeOptions = (options ?? new TokenSourceOptions()).ToNative();
            }
            catch
            {
                Utf8.Clear(secrets);
                throw;
            }
            string description = grant + ", client " + client.ClientId + (scope != null ? ", scope " + scope : "");
            return new Call<TokenSource>(() => client.UseHandle(c =>
            {
                TokenSourceHandle source;
                QFlowStatus status = create(c, nativeOptions, out source);
                return new TokenSource(ErrorTable.Take(status, source), description);
            }), () =>
            {
                Utf8.Clear(secrets);
                nativeOptions.Dispose();
            });
        }
    }
}
