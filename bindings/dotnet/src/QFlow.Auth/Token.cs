using System;
using System.Diagnostics;
using QFlow.Auth.Native;

namespace QFlow.Auth
{
    /// <summary>
    /// A token response: the access token, its type and expiry, the refresh token and any other member the
    /// server sent. Returned by the <see cref="TokenClient"/> request methods.
    /// </summary>
    /// <remarks>
    /// The values live in native memory, which <see cref="Dispose"/> overwrites with zeros and releases
    /// (the garbage collector does it too, later, for a token that is not disposed). After
    /// <see cref="Dispose"/> every member but <see cref="ToString"/> throws
    /// <see cref="ObjectDisposedException"/>. Members may be read from many threads at once.
    /// <see cref="ToString"/> never shows the access, refresh or ID token.
    /// </remarks>
    [DebuggerDisplay("{ToString(),nq}")]
    public sealed class Token : IDisposable
    {
        private static readonly long MaxUnixSeconds = DateTimeOffset.MaxValue.ToUnixTimeSeconds();

        private readonly TokenHandle handle;
        private volatile bool disposed; // see TokenClient: the handle stays open while a getter holds it

        internal Token(TokenHandle handle)
        {
            this.handle = handle;
        }

        /// <summary>The access token, to send as <c>Authorization: Bearer &lt;token&gt;</c>. Never null.</summary>
        [DebuggerBrowsable(DebuggerBrowsableState.Never)]
        public string AccessToken
        {
            get { return ReadString(NativeMethods.qflow_token_access_token); }
        }

        /// <summary>The token type as the server sent it, e.g. <c>Bearer</c> (compare it ignoring case);
        /// null if absent.</summary>
        public string TokenType
        {
            get { return ReadString(NativeMethods.qflow_token_token_type); }
        }

        /// <summary>The lifetime in seconds that the server gave (<c>expires_in</c>); null when it gave none.</summary>
        public long? ExpiresIn
        {
            get
            {
                long seconds = Read(NativeMethods.qflow_token_expires_in);
                return seconds < 0 ? (long?)null : seconds;
            }
        }

        /// <summary>When the token expires: the time the response arrived plus <c>expires_in</c>, in UTC;
        /// null when the server gave no lifetime.</summary>
        public DateTimeOffset? ExpiresAt
        {
            get
            {
                long unixSeconds = Read(NativeMethods.qflow_token_expires_at);
                if (unixSeconds < 0)
                {
                    return null;
                }
                // A server may give a lifetime beyond year 9999, which DateTimeOffset cannot hold.
                return unixSeconds > MaxUnixSeconds
                    ? DateTimeOffset.MaxValue
                    : DateTimeOffset.FromUnixTimeSeconds(unixSeconds);
            }
        }

        /// <summary>Whether the token has expired. A token without a lifetime is never reported expired.</summary>
        /// <returns>True once the expiry has passed.</returns>
        public bool IsExpired()
        {
            return IsExpired(TimeSpan.Zero);
        }

        /// <summary>Whether the token has expired or will within <paramref name="leeway"/>, e.g. to renew it a
        /// minute early. A token without a lifetime is never reported expired.</summary>
        /// <param name="leeway">How long before the expiry to count the token as expired; not negative.
        /// Rounded up to whole seconds.</param>
        /// <returns>True when the token expires within <paramref name="leeway"/> from now, or already has.</returns>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="leeway"/> is negative.</exception>
        public bool IsExpired(TimeSpan leeway)
        {
            if (leeway < TimeSpan.Zero)
            {
                throw new ArgumentOutOfRangeException(nameof(leeway), "leeway must not be negative");
            }
            ulong seconds = (ulong)Math.Ceiling(leeway.TotalSeconds);
            return Read(h => NativeMethods.qflow_token_is_expired(h, seconds));
        }

        /// <summary>The refresh token, for <see cref="TokenClient.RequestRefreshToken"/>; null if the server sent
        /// none (e.g. without the <c>offline_access</c> scope).</summary>
        [DebuggerBrowsable(DebuggerBrowsableState.Never)]
        public string RefreshToken
        {
            get { return ReadString(NativeMethods.qflow_token_refresh_token); }
        }

        /// <summary>The granted scope, space-separated; null if the server did not send it (IdentityServer3
        /// does not: the granted scope is then the requested one).</summary>
        public string Scope
        {
            get { return ReadString(NativeMethods.qflow_token_scope); }
        }

        /// <summary>The OpenID Connect ID token; null if absent.</summary>
        [DebuggerBrowsable(DebuggerBrowsableState.Never)]
        public string IdToken
        {
            get { return ReadString(NativeMethods.qflow_token_id_token); }
        }

        /// <summary>Any member of the response by name: a string member as its text, any other value as its
        /// JSON text (e.g. <c>"17"</c>, <c>"{\"a\":1}"</c>); null if there is no such member.</summary>
        /// <param name="name">The member's name, e.g. <c>"expires_in"</c>.</param>
        /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
        [DebuggerBrowsable(DebuggerBrowsableState.Never)]
        public string this[string name]
        {
            get
            {
                string value;
                TryGet(name, out value);
                return value;
            }
        }

        /// <summary>Gets any member of the response by name, as the indexer does.</summary>
        /// <param name="name">The member's name.</param>
        /// <param name="value">The member's text, or null when there is none.</param>
        /// <returns>Whether the response has the member.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
        public bool TryGet(string name, out string value)
        {
            if (name == null)
            {
                throw new ArgumentNullException(nameof(name));
            }
            byte[] nativeName = Utf8.Encode(name, nameof(name));
            value = ReadString(h => NativeMethods.qflow_token_get(h, nativeName));
            return value != null;
        }

        /// <summary>The response body exactly as received (JSON). It contains the tokens: do not log it.</summary>
        [DebuggerBrowsable(DebuggerBrowsableState.Never)]
        public string Raw
        {
            get { return ReadString(NativeMethods.qflow_token_raw_json); }
        }

        /// <summary>Overwrites the token's native memory with zeros and releases it. Safe to call twice.</summary>
        public void Dispose()
        {
            disposed = true;
            handle.Dispose();
        }

        /// <summary>A description for logs and debuggers: the type, expiry and scope, never a token.</summary>
        /// <returns>For example <c>Token(Bearer, expires 2030-01-01T10:00:00Z, refresh token: yes)</c>.</returns>
        public override string ToString()
        {
            if (disposed)
            {
                return "Token(disposed)";
            }
            DateTimeOffset? expiresAt = ExpiresAt;
            string scope = Scope;
            return "Token(" + (TokenType ?? "no type") +
                   ", " + (expiresAt.HasValue ? "expires " + expiresAt.Value.ToString("u") : "no expiry") +
                   ", refresh token: " + (RefreshToken != null ? "yes" : "no") +
                   ", id token: " + (IdToken != null ? "yes" : "no") +
                   (scope != null ? ", scope: " + scope : "") + ")";
        }

        private string ReadString(Func<TokenHandle, IntPtr> getter)
        {
            // The string is borrowed from the token: copy it while the handle is held.
            return Read(h => Utf8.Decode(getter(h)));
        }

        private T Read<T>(Func<TokenHandle, T> getter)
        {
            if (disposed)
            {
                throw new ObjectDisposedException(nameof(Token));
            }
            bool added = false;
            try
            {
                // Keeps the native token alive until the value is copied, even if another thread disposes it.
                handle.DangerousAddRef(ref added);
                return getter(handle);
            }
            finally
            {
                if (added)
                {
                    handle.DangerousRelease();
                }
            }
        }
    }
}
