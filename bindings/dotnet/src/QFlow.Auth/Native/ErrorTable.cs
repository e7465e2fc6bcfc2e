using System;
using System.Collections.Generic;
using System.Net;
using System.Runtime.InteropServices;

namespace QFlow.Auth.Native
{
    /// <summary>
    /// What the library recorded about the last failure on this thread (<c>qflow_last_error_*</c>),
    /// copied right after the failing call, on the same thread, before anything else can replace it.
    /// </summary>
    internal sealed class LastError
    {
        internal QFlowStatus Status;
        internal HttpStatusCode? HttpStatus;
        internal string Message;
        internal string OAuthError;
        internal string Description;
        internal string Uri;
        /// <summary><c>qflow_last_error_retry_after()</c>: the server's <c>Retry-After</c> in seconds, 0 when none.</summary>
        internal ulong RetryAfterSeconds;

        /// <summary>The server's <c>Retry-After</c> as a duration; null when it sent none (0). A value too large
        /// for a <see cref="TimeSpan"/> is <see cref="TimeSpan.MaxValue"/>.</summary>
        internal TimeSpan? RetryAfter
        {
            get
            {
                if (RetryAfterSeconds == 0)
                {
                    return null;
                }
                const ulong maxSeconds = (ulong)(long.MaxValue / TimeSpan.TicksPerSecond);
                return RetryAfterSeconds > maxSeconds
                    ? TimeSpan.MaxValue
                    : TimeSpan.FromTicks((long)RetryAfterSeconds * TimeSpan.TicksPerSecond);
            }
        }

        /// <summary>Reads the calling thread's last error. <paramref name="returned"/> is the status the
        /// failing call returned (or, for calls returning NULL, <c>qflow_last_error_status()</c>).</summary>
        internal static LastError Capture(QFlowStatus returned)
        {
            ushort http = NativeMethods.qflow_last_error_http_status();
            return new LastError
            {
                Status = returned,
                HttpStatus = http == 0 ? (HttpStatusCode?)null : (HttpStatusCode)http,
                Message = Utf8.Decode(NativeMethods.qflow_last_error_message()),
                OAuthError = Utf8.Decode(NativeMethods.qflow_last_error_oauth_error()),
                Description = Utf8.Decode(NativeMethods.qflow_last_error_description()),
                Uri = Utf8.Decode(NativeMethods.qflow_last_error_uri()),
                RetryAfterSeconds = NativeMethods.qflow_last_error_retry_after(),
            };
        }
    }

    /// <summary>The one table from <see cref="QFlowStatus"/> to the exception thrown for it.</summary>
    internal static class ErrorTable
    {
        private static readonly Dictionary<QFlowStatus, Func<LastError, Exception>> Table =
            new Dictionary<QFlowStatus, Func<LastError, Exception>>
            {
                { QFlowStatus.InvalidArgument, e => new ArgumentException(e.Message) },
                { QFlowStatus.Network, e => new ConnectionException(e.Message, e.HttpStatus) },
                { QFlowStatus.Timeout, e => new RequestTimeoutException(e.Message, e.HttpStatus) },
                { QFlowStatus.Tls, e => new TlsException(e.Message, e.HttpStatus) },
                { QFlowStatus.Http, e => new HttpStatusException(e.Message, e.HttpStatus, e.RetryAfter) },
                {
                    QFlowStatus.OAuth,
                    e => new OAuthException(e.Message, e.OAuthError, e.Description, e.Uri, e.HttpStatus)
                },
                { QFlowStatus.MalformedResponse, e => new MalformedResponseException(e.Message, e.HttpStatus) },
                { QFlowStatus.Internal, e => new InternalLibraryException(e.Message, e.HttpStatus) },
                // Like INVALID_ARGUMENT, a misuse rather than a failed request: .NET's own exception for a call
                // the object's state does not allow (as ObjectDisposedException, which derives from it).
                { QFlowStatus.InvalidState, e => new InvalidOperationException(e.Message) },
                { QFlowStatus.IO, e => new LocalIOException(e.Message, e.HttpStatus) },
                // What .NET throws for an operation cancelled through a CancellationToken.
                { QFlowStatus.Cancelled, e => new OperationCanceledException(e.Message) },
            };

        /// <summary>Throws the exception for <paramref name="status"/> unless it is OK.</summary>
        internal static void Check(QFlowStatus status)
        {
            if (status != QFlowStatus.Ok)
            {
                throw FromLastError(status);
            }
        }

        /// <summary>The exception for a call that just returned <paramref name="status"/> (not OK), built
        /// from this thread's last error.</summary>
        internal static Exception FromLastError(QFlowStatus status)
        {
            return Create(LastError.Capture(status));
        }

        /// <summary>What a native call wrote to its out-parameter; when <paramref name="status"/> is not OK, the
        /// exception for it instead, after releasing the handle the marshaller made of the untouched
        /// out-parameter (the library writes it only on success). Call right after the native call, on its
        /// thread, so that the last error read is that call's.</summary>
        internal static THandle Take<THandle>(QFlowStatus status, THandle result) where THandle : SafeHandle
        {
            if (status == QFlowStatus.Ok)
            {
                return result;
            }
            Exception error = FromLastError(status);
            if (result != null)
            {
                result.Dispose();
            }
            throw error;
        }

        /// <summary>The exception for a call that returned NULL instead of an owned pointer.</summary>
        internal static Exception FromLastError()
        {
            return FromLastError(NativeMethods.qflow_last_error_status());
        }

        internal static Exception Create(LastError error)
        {
            if (string.IsNullOrEmpty(error.Message))
            {
                // Never expected: every failure records a message. Fall back to the status's description.
                error.Message = Utf8.Decode(NativeMethods.qflow_status_str((uint)error.Status));
            }
            Func<LastError, Exception> create;
            if (Table.TryGetValue(error.Status, out create))
            {
                return create(error);
            }
            // OK for a failed call, or a status this binding does not know: a bug on one side or the other.
            return new InternalLibraryException(
                "the native call failed with status " + (uint)error.Status + " (" + error.Message + ")",
                error.HttpStatus);
        }
    }
}
