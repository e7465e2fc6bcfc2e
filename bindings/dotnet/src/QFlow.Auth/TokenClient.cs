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
    /// <see cref="CancellationToken"/> completes the task at once and aborts the native request (its
    /// connection is shut down), so that no pool thread stays blocked on a slow server.
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
            : this(PrepareCreate(NativeMethods.qflow_client_new, tokenUrl, nameof(tokenUrl), clientId, clientSecret,
                options).Run(), null, clientId)
        {
        }

        /// <summary>A client around a new native client; <paramref name="authority"/> is null unless it was made
        /// by discovery.</summary>
        private TokenClient(ClientHandle handle, string authority, string clientId)
        {
            this.handle = handle;
            Authority = authority;
            ClientId = clientId;
            // Immutable for the client's life: copied once, so that they stay readable after Dispose.
            TokenUrl = Utf8.Decode(NativeMethods.qflow_client_token_url(handle));
            RevocationUrl = Utf8.Decode(NativeMethods.qflow_client_revocation_url(handle));
            IntrospectionUrl = Utf8.Decode(NativeMethods.qflow_client_introspection_url(handle));
            UserInfoUrl = Utf8.Decode(NativeMethods.qflow_client_userinfo_url(handle));
            Issuer = Utf8.Decode(NativeMethods.qflow_client_issuer(handle));
            DiscoveryWarning = Utf8.Decode(NativeMethods.qflow_client_discovery_warning(handle));
        }

        // ---- discovery ----------------------------------------------------------------------------------

        /// <summary>
        /// Creates a client for the server at <paramref name="authority"/> (e.g.
        /// <c>https://identity.qflowhub.io/core</c>), with its token, revocation, introspection and userinfo
        /// endpoints read from the server's OpenID Connect discovery document
        /// (<c>&lt;authority&gt;/.well-known/openid-configuration</c>, as IdentityServer3 serves it; RFC 8414's
        /// location is tried when that answers 404). Documents are cached per process for an hour, so this
        /// makes a request only the first time for an authority.
        /// </summary>
        /// <remarks>Every endpoint in the document must be <c>https://</c> (or <c>http://</c> to a loopback
        /// host), as for any URL. An <c>issuer</c> other than <paramref name="authority"/> does not fail
        /// (IdentityServer3 deployments often configure another one): it is reported by
        /// <see cref="DiscoveryWarning"/>. Endpoint URLs set in <paramref name="options"/> take precedence over
        /// the document's. <see cref="TokenUrl"/>, <see cref="RevocationUrl"/>, <see cref="IntrospectionUrl"/> and
        /// <see cref="UserInfoUrl"/> tell which endpoints the client ended up with.</remarks>
        /// <param name="authority">The server's base URL, e.g. <c>https://identity.qflowhub.io/core</c>.</param>
        /// <param name="clientId">The client id.</param>
        /// <param name="clientSecret">The client secret; null for a public client.</param>
        /// <param name="options">The settings (used for fetching the document too); null for the defaults.</param>
        /// <returns>The client; dispose it when done.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="authority"/> or <paramref name="clientId"/> is null.</exception>
        /// <exception cref="ArgumentException">An argument is empty or malformed, or the document lists an
        /// insecure or malformed endpoint (the message names it, e.g. <c>token_endpoint (from discovery)</c>).</exception>
        /// <exception cref="QFlowAuthException">The document could not be fetched or read; see the derived types.</exception>
        public static TokenClient FromAuthority(string authority, string clientId, string clientSecret,
            TokenClientOptions options = null)
        {
            return PrepareFromAuthority(authority, clientId, clientSecret, options).Run();
        }

        /// <summary><see cref="FromAuthority"/> on the thread pool: the caller's thread is not blocked while
        /// the discovery document is fetched.</summary>
        /// <param name="authority">The server's base URL, e.g. <c>https://identity.qflowhub.io/core</c>.</param>
        /// <param name="clientId">The client id.</param>
        /// <param name="clientSecret">The client secret; null for a public client.</param>
        /// <param name="options">The settings; null for the defaults.</param>
        /// <param name="cancellationToken">Completes the task as cancelled; the request itself runs on to its
        /// end, and the client it makes is then disposed.</param>
        /// <returns>The client.</returns>
        /// <exception cref="ArgumentException">Bad arguments or options (thrown, not in the task).</exception>
        public static Task<TokenClient> FromAuthorityAsync(string authority, string clientId, string clientSecret,
            TokenClientOptions options = null, CancellationToken cancellationToken = default(CancellationToken))
        {
            return PrepareFromAuthority(authority, clientId, clientSecret, options).RunAsync(cancellationToken);
        }

        /// <summary>The authority this client was made from by <see cref="FromAuthority"/>; null for a client made
        /// from a token URL.</summary>
        public string Authority { get; }

        /// <summary>The <c>issuer</c> named by the discovery document, for a client made by
        /// <see cref="FromAuthority"/>; null otherwise.</summary>
        public string Issuer { get; }

        /// <summary>Something discovery found worth reporting but no reason to fail, e.g. an <c>issuer</c> other
        /// than the authority URL; null when there is nothing to report or the client was not made by
        /// <see cref="FromAuthority"/>. Log it.</summary>
        public string DiscoveryWarning { get; }

        /// <summary>The token endpoint the client uses: the one given to the constructor, or for a client made by
        /// <see cref="FromAuthority"/> the one discovery found (the document's <c>token_endpoint</c>). Never null;
        /// readable after <see cref="Dispose"/>.</summary>
        public string TokenUrl { get; }

        /// <summary>The revocation endpoint <see cref="RevokeToken"/> uses: <see cref="TokenClientOptions.RevocationUrl"/>,
        /// or for a client made by <see cref="FromAuthority"/> the one discovery found (the option takes
        /// precedence); null when the client has none.</summary>
        public string RevocationUrl { get; }

        /// <summary>The introspection endpoint <see cref="IntrospectToken"/> uses:
        /// <see cref="TokenClientOptions.IntrospectionUrl"/> or the one discovery found; null when the client has
        /// none.</summary>
        public string IntrospectionUrl { get; }

        /// <summary>The userinfo endpoint <see cref="GetUserInfo"/> uses: <see cref="TokenClientOptions.UserInfoUrl"/>
        /// or the one discovery found; null when the client has none.</summary>
        public string UserInfoUrl { get; }

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
        /// <param name="cancellationToken">Completes the task as cancelled and aborts the request.</param>
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
        /// <param name="cancellationToken">Completes the task as cancelled and aborts the request.</param>
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
        /// <param name="cancellationToken">Completes the task as cancelled and aborts the request.</param>
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
        /// <param name="cancellationToken">Completes the task as cancelled and aborts the request. A server that
        /// rotates refresh tokens may have processed it already: the old refresh token is then spent and the new
        /// one lost. <see cref="TokenSource"/> does not abort its refresh requests for that reason.</param>
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
        /// <param name="cancellationToken">Completes the task as cancelled and aborts the request.</param>
        /// <returns>The token.</returns>
        /// <exception cref="ArgumentException">Bad arguments (thrown, not in the task).</exception>
        /// <exception cref="ObjectDisposedException">The client has been disposed (thrown, not in the task).</exception>
        public Task<Token> RequestTokenAsync(string grantType, IEnumerable<KeyValuePair<string, string>> parameters = null,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            return RunAsync(PrepareGrant(grantType, parameters), cancellationToken);
        }

        // ---- revocation, introspection, userinfo ----------------------------------------------------------

        /// <summary>
        /// Revokes a token (RFC 7009) at the client's revocation endpoint, authenticating like a token request.
        /// Succeeds for tokens the server does not know, as the RFC says.
        /// </summary>
        /// <param name="token">An access or refresh token.</param>
        /// <param name="tokenTypeHint">Null, <see cref="TokenTypeHint.AccessToken"/> or
        /// <see cref="TokenTypeHint.RefreshToken"/>.</param>
        /// <exception cref="ArgumentNullException"><paramref name="token"/> is null.</exception>
        /// <exception cref="ArgumentException">An argument is empty, or the client has no revocation endpoint
        /// (set <see cref="TokenClientOptions.RevocationUrl"/> or use <see cref="FromAuthority"/>).</exception>
        /// <exception cref="HttpStatusException">For example 503, with the server's Retry-After in
        /// <see cref="HttpStatusException.RetryAfter"/> (and in the message).</exception>
        /// <exception cref="QFlowAuthException">Another failure, e.g. <see cref="OAuthException"/> with
        /// <c>invalid_client</c>.</exception>
        /// <exception cref="ObjectDisposedException">The client has been disposed.</exception>
        public void RevokeToken(string token, string tokenTypeHint = null)
        {
            PrepareRevoke(token, tokenTypeHint).Run();
        }

        /// <summary><see cref="RevokeToken"/> on the thread pool.</summary>
        /// <param name="token">An access or refresh token.</param>
        /// <param name="tokenTypeHint">Null, <see cref="TokenTypeHint.AccessToken"/> or
        /// <see cref="TokenTypeHint.RefreshToken"/>.</param>
        /// <param name="cancellationToken">Completes the task as cancelled and aborts the request.</param>
        /// <returns>A task that completes when the server has answered.</returns>
        /// <exception cref="ArgumentException">Bad arguments (thrown, not in the task).</exception>
        /// <exception cref="ObjectDisposedException">The client has been disposed (thrown, not in the task).</exception>
        public Task RevokeTokenAsync(string token, string tokenTypeHint = null,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            return PrepareRevoke(token, tokenTypeHint).RunAsync(cancellationToken);
        }

        /// <summary>
        /// Asks the client's introspection endpoint about a token (RFC 7662). An unknown, expired or revoked
        /// token is not an error: <see cref="Claims.IsActive"/> is then false.
        /// </summary>
        /// <param name="token">An access or refresh token.</param>
        /// <param name="tokenTypeHint">Null, <see cref="TokenTypeHint.AccessToken"/> or
        /// <see cref="TokenTypeHint.RefreshToken"/>.</param>
        /// <returns>The answer (<c>active</c>, <c>scope</c>, <c>client_id</c>, <c>sub</c>, <c>exp</c>, ...);
        /// dispose it when done.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="token"/> is null.</exception>
        /// <exception cref="ArgumentException">An argument is empty, or the client has no introspection endpoint
        /// (set <see cref="TokenClientOptions.IntrospectionUrl"/> or use <see cref="FromAuthority"/>).</exception>
        /// <exception cref="QFlowAuthException">The request failed; see the derived types.</exception>
        /// <exception cref="ObjectDisposedException">The client has been disposed.</exception>
        public Claims IntrospectToken(string token, string tokenTypeHint = null)
        {
            return PrepareIntrospect(token, tokenTypeHint).Run();
        }

        /// <summary><see cref="IntrospectToken"/> on the thread pool.</summary>
        /// <param name="token">An access or refresh token.</param>
        /// <param name="tokenTypeHint">Null, <see cref="TokenTypeHint.AccessToken"/> or
        /// <see cref="TokenTypeHint.RefreshToken"/>.</param>
        /// <param name="cancellationToken">Completes the task as cancelled and aborts the request.</param>
        /// <returns>The answer.</returns>
        /// <exception cref="ArgumentException">Bad arguments (thrown, not in the task).</exception>
        /// <exception cref="ObjectDisposedException">The client has been disposed (thrown, not in the task).</exception>
        public Task<Claims> IntrospectTokenAsync(string token, string tokenTypeHint = null,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            return PrepareIntrospect(token, tokenTypeHint).RunAsync(cancellationToken);
        }

        /// <summary>
        /// Reads the claims about the user of an access token from the client's OpenID Connect userinfo endpoint
        /// (the token needs the <c>openid</c> scope).
        /// </summary>
        /// <param name="accessToken">The access token.</param>
        /// <returns>The claims (<c>sub</c>, <c>email</c>, ...); dispose them when done.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="accessToken"/> is null.</exception>
        /// <exception cref="ArgumentException"><paramref name="accessToken"/> is empty, or the client has no userinfo
        /// endpoint (set <see cref="TokenClientOptions.UserInfoUrl"/> or use <see cref="FromAuthority"/>).</exception>
        /// <exception cref="OAuthException">The server rejected the token: <see cref="OAuthException.Error"/> is the
        /// <c>error</c> of its <c>WWW-Authenticate</c> header, e.g. <c>invalid_token</c> (HTTP 401) or
        /// <c>insufficient_scope</c> (HTTP 403).</exception>
        /// <exception cref="QFlowAuthException">Another failure; see the derived types.</exception>
        /// <exception cref="ObjectDisposedException">The client has been disposed.</exception>
        public Claims GetUserInfo(string accessToken)
        {
            return PrepareUserInfo(accessToken).Run();
        }

        /// <summary><see cref="GetUserInfo"/> on the thread pool.</summary>
        /// <param name="accessToken">The access token.</param>
        /// <param name="cancellationToken">Completes the task as cancelled and aborts the request.</param>
        /// <returns>The claims.</returns>
        /// <exception cref="ArgumentException">Bad arguments (thrown, not in the task).</exception>
        /// <exception cref="ObjectDisposedException">The client has been disposed (thrown, not in the task).</exception>
        public Task<Claims> GetUserInfoAsync(string accessToken,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            return PrepareUserInfo(accessToken).RunAsync(cancellationToken);
        }

        /// <summary>Releases the native client (zeroing the client secret it holds) once no request is running
        /// on it any more. Tokens obtained from it stay valid. Safe to call twice.</summary>
        public void Dispose()
        {
            disposed = true;
            handle.Dispose();
        }

        /// <summary>The token URL (or the authority) and client id; never the secret.</summary>
        /// <returns>For example <c>TokenClient(https://host/core/connect/token, client acme_resowner)</c>, or
        /// <c>TokenClient(authority https://host/core, client acme_resowner)</c>.</returns>
        public override string ToString()
        {
            return "TokenClient(" + (Authority != null ? "authority " + Authority : TokenUrl) + ", client " + ClientId +
                   (disposed ? ", disposed)" : ")");
        }

        /// <summary>Whether the native client has been freed (for the tests: after Dispose, once no
        /// request holds it any more).</summary>
        internal bool IsNativeClientReleased
        {
            get { return handle.IsClosed; }
        }

        // ---- plumbing -----------------------------------------------------------------------------------

        /// <summary>One native request: its status, and the object it returns through the out-parameter.</summary>
        private delegate QFlowStatus NativeRequest<THandle>(ClientHandle client, out THandle result);

        /// <summary>One of the two native constructors of a client.</summary>
        private delegate QFlowStatus NativeConstructor(byte[] url, byte[] clientId, byte[] clientSecret,
            ClientOptionsHandle options, out ClientHandle client);

        private static Task<Token> RunAsync(Call<Token> call, CancellationToken cancellationToken)
        {
            return call.RunAsync(cancellationToken);
        }

        /// <summary>Throws <see cref="ObjectDisposedException"/> once <see cref="Dispose"/> was called.</summary>
        internal void ThrowIfDisposed()
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

        /// <summary>
        /// Runs <paramref name="body"/> on the native client, keeping it alive for the whole call even if another
        /// thread disposes this client, and until the last error has been read on this thread. A
        /// <see cref="Dispose"/> between the check and the reference makes the reference throw
        /// <see cref="ObjectDisposedException"/>. Token sources use it to take their own reference to the client.
        /// </summary>
        internal T UseHandle<T>(Func<ClientHandle, T> body)
        {
            ThrowIfDisposed();
            return HandleUse.With(handle, body);
        }

        private Token Send(NativeRequest<TokenHandle> request)
        {
            return new Token(Receive(request));
        }

        /// <summary>Runs a native request and returns the object it wrote to its out-parameter, or throws the
        /// exception for its status.</summary>
        private THandle Receive<THandle>(NativeRequest<THandle> request) where THandle : SafeHandle
        {
            return UseHandle(client =>
            {
                THandle result;
                QFlowStatus status = request(client, out result);
                return ErrorTable.Take(status, result);
            });
        }

        private static Call<ClientHandle> PrepareCreate(NativeConstructor create, string url, string urlName,
            string clientId, string clientSecret, TokenClientOptions options)
        {
            byte[] nativeUrl = Arguments.Required(url, urlName);
            byte[] nativeId = Arguments.Required(clientId, nameof(clientId));
            byte[] nativeSecret = Arguments.Optional(clientSecret, nameof(clientSecret));
            ClientOptionsHandle nativeOptions;
            try
            {
                NativeLibraryLoader.EnsureReady();
                nativeOptions = (options ?? new TokenClientOptions()).ToNative();
            }
            catch
            {
                Utf8.Clear(nativeSecret);
                throw;
            }
            return new Call<ClientHandle>(() =>
            {
                ClientHandle client;
                QFlowStatus status = create(nativeUrl, nativeId, nativeSecret, nativeOptions, out client);
                return ErrorTable.Take(status, client);
            }, () =>
            {
                Utf8.Clear(nativeSecret);
                nativeOptions.Dispose();
            });
        }

        private static Call<TokenClient> PrepareFromAuthority(string authority, string clientId, string clientSecret,
            TokenClientOptions options)
        {
            Call<ClientHandle> create = PrepareCreate(NativeMethods.qflow_client_new_from_authority, authority,
                nameof(authority), clientId, clientSecret, options);
            return new Call<TokenClient>(() => new TokenClient(create.Run(), authority, clientId), create.Discard);
        }

        private Call<object> PrepareRevoke(string token, string tokenTypeHint)
        {
            ThrowIfDisposed();
            byte[] nativeToken = Arguments.Required(token, nameof(token));
            byte[] hint = Arguments.Optional(tokenTypeHint, nameof(tokenTypeHint));
            return new Call<object>(() => UseHandle(client =>
            {
                ErrorTable.Check(NativeMethods.qflow_client_revoke(client, nativeToken, hint));
                return (object)null;
            }), nativeToken);
        }

        private Call<Claims> PrepareIntrospect(string token, string tokenTypeHint)
        {
            ThrowIfDisposed();
            byte[] nativeToken = Arguments.Required(token, nameof(token));
            byte[] hint = Arguments.Optional(tokenTypeHint, nameof(tokenTypeHint));
            return new Call<Claims>(() => new Claims(Receive((ClientHandle c, out ClaimsHandle claims) =>
                NativeMethods.qflow_client_introspect(c, nativeToken, hint, out claims)), ClaimsKind.Introspection),
                nativeToken);
        }

        private Call<Claims> PrepareUserInfo(string accessToken)
        {
            ThrowIfDisposed();
            byte[] nativeToken = Arguments.Required(accessToken, nameof(accessToken));
            return new Call<Claims>(() => new Claims(Receive((ClientHandle c, out ClaimsHandle claims) =>
                NativeMethods.qflow_client_userinfo(c, nativeToken, out claims)), ClaimsKind.UserInfo),
                nativeToken);
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
