using System;
using QFlow.Auth.Native;

namespace QFlow.Auth
{
    /// <summary>
    /// Settings for a <see cref="TokenClient"/>, mirroring the C API's <c>qflow_client_options</c>. A property
    /// left null keeps the native library's default. The client copies the settings when it is created, so
    /// one options object may be reused for several clients.
    /// </summary>
    /// <remarks>Not synchronised: do not change one options object from several threads at once.</remarks>
    public sealed class TokenClientOptions
    {
        private TimeSpan? connectTimeout;
        private TimeSpan? timeout;
        private long? maxResponseBytes;

        /// <summary>How the client authenticates to the token endpoint. Default
        /// <see cref="ClientAuthMethod.ClientSecretPost"/>, which IdentityServer3 always parses correctly.</summary>
        public ClientAuthMethod AuthMethod { get; set; }

        /// <summary>The limit on establishing a connection (DNS, TCP, TLS), rounded up to whole milliseconds;
        /// null for the default, 10 seconds.</summary>
        /// <exception cref="ArgumentOutOfRangeException">The value is zero or negative.</exception>
        public TimeSpan? ConnectTimeout
        {
            get { return connectTimeout; }
            set { connectTimeout = Positive(value); }
        }

        /// <summary>The limit on a whole request, from connecting to the last byte of the answer, rounded up to
        /// whole milliseconds; null for the default, 30 seconds.</summary>
        /// <exception cref="ArgumentOutOfRangeException">The value is zero or negative.</exception>
        public TimeSpan? Timeout
        {
            get { return timeout; }
            set { timeout = Positive(value); }
        }

        /// <summary>A PEM file of CA certificates to trust in addition to the operating system's store, for a
        /// private CA; null for the system store only. Read when the client is created.</summary>
        public string CaFile { get; set; }

        /// <summary>The proxy: null (the default) reads <c>HTTPS_PROXY</c>, <c>HTTP_PROXY</c>, <c>ALL_PROXY</c>
        /// and <c>NO_PROXY</c> from the environment, never for loopback hosts; an empty string disables proxies;
        /// any other value is the proxy URL for every host, e.g. <c>http://proxy:3128</c> or <c>socks5h://proxy:1080</c>. Credentials in the
        /// URL are kept secret.</summary>
        public string Proxy { get; set; }

        /// <summary>Allows <c>http://</c> token URLs whose host is not loopback. Off by default: token requests
        /// carry passwords and secrets. <c>http://</c> to 127.0.0.0/8, ::1 and localhost is always allowed.</summary>
        public bool AllowInsecureHttp { get; set; }

        /// <summary>The <c>User-Agent</c> header, printable ASCII; null for <c>qflow-auth/&lt;version&gt;</c>.</summary>
        public string UserAgent { get; set; }

        /// <summary>The largest response body accepted, in bytes; null for the default, 1 MiB. Longer responses
        /// fail with <see cref="MalformedResponseException"/>.</summary>
        /// <exception cref="ArgumentOutOfRangeException">The value is zero or negative.</exception>
        public long? MaxResponseBytes
        {
            get { return maxResponseBytes; }
            set
            {
                if (value.HasValue && value.Value <= 0)
                {
                    throw new ArgumentOutOfRangeException(nameof(value), "MaxResponseBytes must be greater than 0");
                }
                maxResponseBytes = value;
            }
        }

        /// <summary>The revocation endpoint (RFC 7009) for <see cref="TokenClient.RevokeToken"/>, e.g.
        /// <c>https://identity.qflowhub.io/core/connect/revocation</c>; null for none. Not needed for a client made
        /// by <see cref="TokenClient.FromAuthority"/>, whose discovery finds it (a value set here takes precedence).
        /// Held to the same rules as the token URL.</summary>
        public string RevocationUrl { get; set; }

        /// <summary>The introspection endpoint (RFC 7662) for <see cref="TokenClient.IntrospectToken"/>, e.g.
        /// <c>https://identity.qflowhub.io/core/connect/introspect</c>; null for none. As for
        /// <see cref="RevocationUrl"/>.</summary>
        public string IntrospectionUrl { get; set; }

        /// <summary>The OpenID Connect userinfo endpoint for <see cref="TokenClient.GetUserInfo"/>, e.g.
        /// <c>https://identity.qflowhub.io/core/connect/userinfo</c>; null for none. As for
        /// <see cref="RevocationUrl"/>.</summary>
        public string UserInfoUrl { get; set; }

        /// <summary>The native options for these settings. Strings are checked before the first native call;
        /// what only the library can judge (a proxy URL, a User-Agent) fails in its setter, as an
        /// <see cref="ArgumentException"/> through the error table.</summary>
        internal ClientOptionsHandle ToNative()
        {
            byte[] caFile = Utf8.Encode(CaFile, nameof(CaFile));
            byte[] proxy = Utf8.Encode(Proxy, nameof(Proxy));
            byte[] userAgent = Utf8.Encode(UserAgent, nameof(UserAgent));
            byte[] revocationUrl = Utf8.Encode(RevocationUrl, nameof(RevocationUrl));
            byte[] introspectionUrl = Utf8.Encode(IntrospectionUrl, nameof(IntrospectionUrl));
            byte[] userInfoUrl = Utf8.Encode(UserInfoUrl, nameof(UserInfoUrl));
            ClientOptionsHandle native = NativeMethods.qflow_client_options_new();
            try
            {
                if (native.IsInvalid)
                {
                    throw ErrorTable.FromLastError();
                }
                ErrorTable.Check(NativeMethods.qflow_client_options_set_auth_method(native, (uint)AuthMethod));
                if (connectTimeout.HasValue)
                {
                    ErrorTable.Check(NativeMethods.qflow_client_options_set_connect_timeout_ms(
                        native, Milliseconds(connectTimeout.Value)));
                }
                if (timeout.HasValue)
                {
                    ErrorTable.Check(NativeMethods.qflow_client_options_set_timeout_ms(native, Milliseconds(timeout.Value)));
                }
                if (caFile != null)
                {
                    ErrorTable.Check(NativeMethods.qflow_client_options_set_ca_file(native, caFile));
                }
                if (proxy != null)
                {
                    ErrorTable.Check(NativeMethods.qflow_client_options_set_proxy(native, proxy));
                }
                ErrorTable.Check(NativeMethods.qflow_client_options_set_allow_insecure_http(native, AllowInsecureHttp));
                if (userAgent != null)
                {
                    ErrorTable.Check(NativeMethods.qflow_client_options_set_user_agent(native, userAgent));
                }
                if (maxResponseBytes.HasValue)
                {
                    ErrorTable.Check(NativeMethods.qflow_client_options_set_max_response_bytes(
                        native, (ulong)maxResponseBytes.Value));
                }
                if (revocationUrl != null)
                {
                    ErrorTable.Check(NativeMethods.qflow_client_options_set_revocation_url(native, revocationUrl));
                }
                if (introspectionUrl != null)
                {
                    ErrorTable.Check(NativeMethods.qflow_client_options_set_introspection_url(native, introspectionUrl));
                }
                if (userInfoUrl != null)
                {
                    ErrorTable.Check(NativeMethods.qflow_client_options_set_userinfo_url(native, userInfoUrl));
                }
                return native;
            }
            catch
            {
                native.Dispose();
                throw;
            }
            finally
            {
                Utf8.Clear(proxy); // it may hold proxy credentials
            }
        }

        private static TimeSpan? Positive(TimeSpan? value)
        {
            if (value.HasValue && value.Value <= TimeSpan.Zero)
            {
                throw new ArgumentOutOfRangeException(nameof(value), "a timeout must be greater than zero");
            }
            return value;
        }

        private static ulong Milliseconds(TimeSpan value)
        {
            return (ulong)Math.Ceiling(value.TotalMilliseconds);
        }
    }
}
