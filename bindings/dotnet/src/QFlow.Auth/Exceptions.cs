using System;
using System.Net;

namespace QFlow.Auth
{
    /// <summary>
    /// The base of every error a token request reports: catch it to handle them all. Misuse is not
    /// one of them: bad input throws <see cref="ArgumentException"/> (or <see cref="ArgumentNullException"/>,
    /// <see cref="ArgumentOutOfRangeException"/>) as usual in .NET, a disposed client throws
    /// <see cref="ObjectDisposedException"/>, and a call the object's state does not allow (a token source
    /// with nothing left to renew with) throws <see cref="InvalidOperationException"/>.
    /// </summary>
    /// <remarks>
    /// The message comes from the native library and is safe to log: it never contains a password,
    /// client secret, token or response body.
    /// </remarks>
    public class QFlowAuthException : Exception
    {
        /// <summary>Creates the exception.</summary>
        /// <param name="status">The native status code behind the error.</param>
        /// <param name="message">A description safe to log.</param>
        /// <param name="httpStatusCode">The HTTP status of the response behind the error; null when there was
        /// no HTTP response.</param>
        public QFlowAuthException(QFlowStatus status, string message, HttpStatusCode? httpStatusCode)
            : base(message)
        {
            Status = status;
            HttpStatusCode = httpStatusCode;
        }

        /// <summary>The native status code behind the error.</summary>
        public QFlowStatus Status { get; }

        /// <summary>The HTTP status of the response behind the error; null when there was no HTTP response
        /// (e.g. the connection was refused or timed out before an answer).</summary>
        public HttpStatusCode? HttpStatusCode { get; }
    }

    /// <summary>
    /// The server answered with an OAuth error (RFC 6749 section 5.2), such as <c>invalid_grant</c> for a
    /// wrong password or <c>invalid_client</c> for a wrong client secret, whether with HTTP 400
    /// (IdentityServer3) or 401.
    /// </summary>
    public class OAuthException : QFlowAuthException
    {
        /// <summary>Creates the exception.</summary>
        /// <param name="message">A description safe to log.</param>
        /// <param name="error">The server's <c>error</c> code.</param>
        /// <param name="errorDescription">The server's <c>error_description</c>, or null.</param>
        /// <param name="errorUri">The server's <c>error_uri</c>, or null.</param>
        /// <param name="httpStatusCode">The HTTP status of the error response.</param>
        public OAuthException(string message, string error, string errorDescription, string errorUri,
            HttpStatusCode? httpStatusCode)
            : base(QFlowStatus.OAuth, message, httpStatusCode)
        {
            Error = error;
            ErrorDescription = errorDescription;
            ErrorUri = errorUri;
        }

        /// <summary>The server's <c>error</c> code, e.g. <c>invalid_grant</c>, <c>invalid_client</c>,
        /// <c>invalid_scope</c>, <c>unauthorized_client</c>.</summary>
        public string Error { get; }

        /// <summary>The server's <c>error_description</c> (e.g. <c>invalid_username_or_password</c>), or null
        /// when it sent none. Text from the server: treat it as untrusted.</summary>
        public string ErrorDescription { get; }

        /// <summary>The server's <c>error_uri</c>, or null when it sent none.</summary>
        public string ErrorUri { get; }
    }

    /// <summary>
    /// The request did not get a complete answer: the connection failed (<see cref="ConnectionException"/>),
    /// timed out (<see cref="RequestTimeoutException"/>) or TLS failed (<see cref="TlsException"/>).
    /// </summary>
    public abstract class TransportException : QFlowAuthException
    {
        /// <summary>Creates the exception.</summary>
        /// <param name="status">The native status code behind the error.</param>
        /// <param name="message">A description safe to log.</param>
        /// <param name="httpStatusCode">The HTTP status, if a response had started; usually null.</param>
        protected TransportException(QFlowStatus status, string message, HttpStatusCode? httpStatusCode)
            : base(status, message, httpStatusCode)
        {
        }
    }

    /// <summary>The server could not be reached or the connection broke: DNS failure, connection refused
    /// or reset, or closed before the whole answer arrived.</summary>
    public class ConnectionException : TransportException
    {
        /// <summary>Creates the exception.</summary>
        /// <param name="message">A description safe to log.</param>
        /// <param name="httpStatusCode">The HTTP status, if a response had started; usually null.</param>
        public ConnectionException(string message, HttpStatusCode? httpStatusCode)
            : base(QFlowStatus.Network, message, httpStatusCode)
        {
        }
    }

    /// <summary>The connect timeout or the overall timeout of the request expired (see
    /// <see cref="TokenClientOptions.ConnectTimeout"/> and <see cref="TokenClientOptions.Timeout"/>).</summary>
    public class RequestTimeoutException : TransportException
    {
        /// <summary>Creates the exception.</summary>
        /// <param name="message">A description safe to log.</param>
        /// <param name="httpStatusCode">The HTTP status, if a response had started; usually null.</param>
        public RequestTimeoutException(string message, HttpStatusCode? httpStatusCode)
            : base(QFlowStatus.Timeout, message, httpStatusCode)
        {
        }
    }

    /// <summary>TLS failed: an untrusted or expired certificate, a wrong host name, or a handshake error.
    /// For a private CA, see <see cref="TokenClientOptions.CaFile"/>.</summary>
    public class TlsException : TransportException
    {
        /// <summary>Creates the exception.</summary>
        /// <param name="message">A description safe to log.</param>
        /// <param name="httpStatusCode">Always null in practice: TLS fails before any response.</param>
        public TlsException(string message, HttpStatusCode? httpStatusCode)
            : base(QFlowStatus.Tls, message, httpStatusCode)
        {
        }
    }

    /// <summary>The server answered with an HTTP status that carries no OAuth error: an HTML error page, an
    /// empty 403, a redirect (never followed for token requests). <see cref="QFlowAuthException.HttpStatusCode"/>
    /// says which.</summary>
    public class HttpStatusException : QFlowAuthException
    {
        /// <summary>Creates the exception, without a <see cref="RetryAfter"/>.</summary>
        /// <param name="message">A description safe to log.</param>
        /// <param name="httpStatusCode">The HTTP status of the response.</param>
        public HttpStatusException(string message, HttpStatusCode? httpStatusCode)
            : this(message, httpStatusCode, null)
        {
        }

        /// <summary>Creates the exception.</summary>
        /// <param name="message">A description safe to log.</param>
        /// <param name="httpStatusCode">The HTTP status of the response.</param>
        /// <param name="retryAfter">The server's <c>Retry-After</c>, or null when it sent none.</param>
        public HttpStatusException(string message, HttpStatusCode? httpStatusCode, TimeSpan? retryAfter)
            : base(QFlowStatus.Http, message, httpStatusCode)
        {
            RetryAfter = retryAfter;
        }

        /// <summary>How long the server asked to wait before trying again: its <c>Retry-After</c> header in
        /// seconds, e.g. 7 s with a 503 (Service Unavailable) from the revocation endpoint; null when it sent
        /// none (or sent 0, or an HTTP date, which is not read).</summary>
        public TimeSpan? RetryAfter { get; }
    }

    /// <summary>The response could not be used: not JSON, no access token, or larger than
    /// <see cref="TokenClientOptions.MaxResponseBytes"/>.</summary>
    public class MalformedResponseException : QFlowAuthException
    {
        /// <summary>Creates the exception.</summary>
        /// <param name="message">A description safe to log.</param>
        /// <param name="httpStatusCode">The HTTP status of the response.</param>
        public MalformedResponseException(string message, HttpStatusCode? httpStatusCode)
            : base(QFlowStatus.MalformedResponse, message, httpStatusCode)
        {
        }
    }

    /// <summary>A local file operation failed: the token file cache of a <see cref="TokenSource"/> (see
    /// <see cref="TokenSourceOptions.FileCacheDirectory"/>) could not be opened, locked or removed, e.g.
    /// because the directory was made read-only or removed, the disk is full, or the lock failed. An
    /// environment problem, not a bug; the message names the file and what went wrong.</summary>
    public class LocalIOException : QFlowAuthException
    {
        /// <summary>Creates the exception.</summary>
        /// <param name="message">A description safe to log.</param>
        /// <param name="httpStatusCode">Always null in practice: no HTTP response is involved.</param>
        public LocalIOException(string message, HttpStatusCode? httpStatusCode)
            : base(QFlowStatus.IO, message, httpStatusCode)
        {
        }
    }

    /// <summary>A bug in qflow-auth (native or .NET); please report it with the message.</summary>
    public class InternalLibraryException : QFlowAuthException
    {
        /// <summary>Creates the exception.</summary>
        /// <param name="message">A description safe to log.</param>
        /// <param name="httpStatusCode">The HTTP status involved, if any.</param>
        public InternalLibraryException(string message, HttpStatusCode? httpStatusCode)
            : base(QFlowStatus.Internal, message, httpStatusCode)
        {
        }
    }
}
