using System;
using QFlow.Auth.Native;

namespace QFlow.Auth
{
    /// <summary>
    /// Settings for a <see cref="TokenSource"/>, mirroring the C API's <c>qflow_token_source_options</c>. The
    /// source copies them when it is created, so one options object may be reused for several sources.
    /// </summary>
    /// <remarks>Not synchronised: do not change one options object from several threads at once.</remarks>
    public sealed class TokenSourceOptions
    {
        private TimeSpan? skew;

        /// <summary>How long before its expiry a token is renewed, rounded up to whole seconds; null for the
        /// default, 60 seconds. A token that lives shorter than twice the skew is renewed at half its lifetime
        /// instead. <see cref="TimeSpan.Zero"/> renews only at expiry.</summary>
        /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
        public TimeSpan? Skew
        {
            get { return skew; }
            set
            {
                if (value.HasValue && value.Value < TimeSpan.Zero)
                {
                    throw new ArgumentOutOfRangeException(nameof(value), "Skew must not be negative");
                }
                skew = value;
            }
        }

        /// <summary>
        /// For <see cref="TokenSource.ForPassword"/>: keep the password in memory (native memory, zeroed when
        /// the source is disposed) so that the source can sign in again when there is no refresh token or the
        /// server refuses it. Off by default, as RFC 6749 section 4.3.1 asks: the first token is then requested
        /// when the source is created and the password discarded, and renewals rely on the refresh token (ask
        /// for the <c>offline_access</c> scope). Turning it on is an explicit choice to hold a password for the
        /// life of the source.
        /// </summary>
        public bool KeepPassword { get; set; }

        /// <summary>
        /// A directory through which sources in several processes (or several sources in one) with the same
        /// endpoint, client, grant, user and scope share one token, so that concurrent processes renew once;
        /// null (the default) keeps tokens in this source's memory only.
        /// </summary>
        /// <remarks>The directory is created with mode 0700 if missing, and refused (an
        /// <see cref="ArgumentException"/> when the source is created) if it belongs to another user or others
        /// can write to it. Entries are written with mode 0600, atomically, and never through a symbolic link.
        /// A file operation that fails later (the directory made read-only or removed, a full disk, a lock) throws
        /// <see cref="LocalIOException"/>; a cache entry that cannot be written is skipped (the token is still
        /// returned).
        /// The access and refresh tokens are stored in plain text: the same user, root, and anyone who can read
        /// the disk or its backups can read and use them. Passwords and client secrets are never written. Put
        /// the directory on a tmpfs (e.g. under <c>/run/user/&lt;uid&gt;</c>) if tokens must not reach the
        /// disk.</remarks>
        public string FileCacheDirectory { get; set; }

        /// <summary>The native options for these settings. Strings are checked before the first native call.</summary>
        internal TokenSourceOptionsHandle ToNative()
        {
            byte[] directory = Arguments.Optional(FileCacheDirectory, nameof(FileCacheDirectory));
            TokenSourceOptionsHandle native = NativeMethods.qflow_token_source_options_new();
            try
            {
                if (native.IsInvalid)
                {
                    throw ErrorTable.FromLastError();
                }
                if (skew.HasValue)
                {
                    ErrorTable.Check(NativeMethods.qflow_token_source_options_set_skew_seconds(
                        native, (ulong)Math.Ceiling(skew.Value.TotalSeconds)));
                }
                ErrorTable.Check(NativeMethods.qflow_token_source_options_set_keep_password(native, KeepPassword));
                if (directory != null)
                {
                    ErrorTable.Check(NativeMethods.qflow_token_source_options_set_file_cache_dir(native, directory));
                }
                return native;
            }
            catch
            {
                native.Dispose();
                throw;
            }
        }
    }
}
