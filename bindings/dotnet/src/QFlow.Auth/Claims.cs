using System;
using System.Diagnostics;
using QFlow.Auth.Native;

namespace QFlow.Auth
{
    /// <summary>
    /// Claims about a token (<see cref="TokenClient.IntrospectToken"/>, RFC 7662) or about a user
    /// (<see cref="TokenClient.GetUserInfo"/>, OpenID Connect), as the server sent them.
    /// </summary>
    /// <remarks>
    /// The values live in native memory, which <see cref="Dispose"/> overwrites with zeros and releases (the
    /// garbage collector does it too, later, for claims that are not disposed). After <see cref="Dispose"/>
    /// every member but <see cref="ToString"/> throws <see cref="ObjectDisposedException"/>. Members may be read
    /// from many threads at once. <see cref="ToString"/> shows no claim value.
    /// </remarks>
    [DebuggerDisplay("{ToString(),nq}")]
    public sealed class Claims : IDisposable
    {
        private readonly ClaimsHandle handle;
        private readonly ClaimsKind kind;
        private volatile bool disposed; // see TokenClient: the handle stays open while a getter holds it

        internal Claims(ClaimsHandle handle, ClaimsKind kind)
        {
            this.handle = handle;
            this.kind = kind;
        }

        /// <summary>For an introspection answer: whether the token is active (<c>"active": true</c>). False for
        /// anything else: an unknown, expired or revoked token, and userinfo claims.</summary>
        public bool IsActive
        {
            get { return Read(NativeMethods.qflow_claims_is_active); }
        }

        /// <summary>Any member by name: a string as its text, any other value as its JSON text (e.g.
        /// <c>"true"</c>, <c>"1735"</c>); null if there is no such member.</summary>
        /// <param name="name">The member's name, e.g. <c>"sub"</c>, <c>"scope"</c>, <c>"client_id"</c>.</param>
        /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
        public string this[string name]
        {
            get
            {
                string value;
                TryGet(name, out value);
                return value;
            }
        }

        /// <summary>Gets any member by name, as the indexer does.</summary>
        /// <param name="name">The member's name.</param>
        /// <param name="value">The member's text, or null when there is none.</param>
        /// <returns>Whether the answer has the member.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
        public bool TryGet(string name, out string value)
        {
            if (name == null)
            {
                throw new ArgumentNullException(nameof(name));
            }
            byte[] nativeName = Utf8.Encode(name, nameof(name));
            value = Read(h => Utf8.Decode(NativeMethods.qflow_claims_get(h, nativeName)));
            return value != null;
        }

        /// <summary>The answer exactly as received (JSON).</summary>
        [DebuggerBrowsable(DebuggerBrowsableState.Never)]
        public string Raw
        {
            get { return Read(h => Utf8.Decode(NativeMethods.qflow_claims_raw_json(h))); }
        }

        /// <summary>Overwrites the claims' native memory with zeros and releases it. Safe to call twice.</summary>
        public void Dispose()
        {
            disposed = true;
            handle.Dispose();
        }

        /// <summary>A description for logs and debuggers: where the claims came from, never a value.</summary>
        /// <returns><c>Claims(introspection, active)</c>, <c>Claims(introspection, inactive)</c> or
        /// <c>Claims(userinfo)</c>.</returns>
        public override string ToString()
        {
            if (disposed)
            {
                return "Claims(disposed)";
            }
            return kind == ClaimsKind.Introspection
                ? "Claims(introspection, " + (IsActive ? "active)" : "inactive)")
                : "Claims(userinfo)";
        }

        private T Read<T>(Func<ClaimsHandle, T> getter)
        {
            if (disposed)
            {
                throw new ObjectDisposedException(nameof(Claims));
            }
            // Keeps the native claims alive until the value is copied, even if another thread disposes them.
            return HandleUse.With(handle, getter);
        }
    }

    /// <summary>Where a <see cref="Claims"/> object came from, for its <see cref="Claims.ToString"/>.</summary>
    internal enum ClaimsKind
    {
        Introspection,
        UserInfo,
    }

    /// <summary>The values of <c>token_type_hint</c> (RFC 7009, RFC 7662) for
    /// <see cref="TokenClient.RevokeToken"/> and <see cref="TokenClient.IntrospectToken"/>.</summary>
    public static class TokenTypeHint
    {
        /// <summary><c>access_token</c>: the token is an access token.</summary>
        public const string AccessToken = "access_token";

        /// <summary><c>refresh_token</c>: the token is a refresh token.</summary>
        public const string RefreshToken = "refresh_token";
    }
}
