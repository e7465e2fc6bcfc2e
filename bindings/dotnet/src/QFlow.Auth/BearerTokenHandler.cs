using System;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Threading;
using System.Threading.Tasks;

namespace QFlow.Auth
{
    /// <summary>
    /// An <see cref="HttpClient"/> handler that sends every request with <c>Authorization: Bearer</c> and a
    /// valid access token from a <see cref="TokenSource"/>, and, when the API answers 401 Unauthorized (the
    /// token was revoked, or the server restarted and forgot it), invalidates the token, gets a new one and
    /// sends the request once more.
    /// </summary>
    /// <remarks>
    /// <code>
    /// var http = new HttpClient(new BearerTokenHandler(source, new HttpClientHandler()));
    /// HttpResponseMessage answer = await http.GetAsync("https://api.qflowhub.io/v1/flows");
    /// </code>
    /// The token source does the caching, renewal and single-flight; the handler only asks it before each
    /// request, which costs nothing while the cached token is valid. A request is sent again at most once,
    /// and only when its content can be read twice (none, or a buffered one such as
    /// <see cref="StringContent"/> or <see cref="ByteArrayContent"/>); otherwise the 401 is returned as is.
    /// The handler does not own the token source: dispose the source yourself after the
    /// <see cref="HttpClient"/>.
    /// </remarks>
    public sealed class BearerTokenHandler : DelegatingHandler
    {
        private readonly TokenSource source;

        /// <summary>A handler whose inner handler is set later (e.g. by <c>IHttpClientFactory</c>).</summary>
        /// <param name="source">Where the tokens come from.</param>
        /// <exception cref="ArgumentNullException"><paramref name="source"/> is null.</exception>
        public BearerTokenHandler(TokenSource source)
        {
            this.source = source ?? throw new ArgumentNullException(nameof(source));
        }

        /// <summary>A handler that passes requests to <paramref name="innerHandler"/>, e.g. an
        /// <see cref="HttpClientHandler"/>.</summary>
        /// <param name="source">Where the tokens come from.</param>
        /// <param name="innerHandler">The handler that sends the requests.</param>
        /// <exception cref="ArgumentNullException"><paramref name="source"/> or <paramref name="innerHandler"/> is
        /// null.</exception>
        public BearerTokenHandler(TokenSource source, HttpMessageHandler innerHandler)
            : base(innerHandler ?? throw new ArgumentNullException(nameof(innerHandler)))
        {
            this.source = source ?? throw new ArgumentNullException(nameof(source));
        }

        /// <summary>Sends <paramref name="request"/> with a bearer token, and once more with a new token if the
        /// server answers 401.</summary>
        /// <param name="request">The request; its <c>Authorization</c> header is set here.</param>
        /// <param name="cancellationToken">Cancels getting the token and sending the request.</param>
        /// <returns>The server's answer.</returns>
        /// <exception cref="QFlowAuthException">No token could be had (the exceptions of
        /// <see cref="TokenSource.GetAccessTokenAsync"/>).</exception>
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request,
            CancellationToken cancellationToken)
        {
            if (request == null)
            {
                throw new ArgumentNullException(nameof(request));
            }
            await Authorize(request, cancellationToken).ConfigureAwait(false);
            HttpResponseMessage response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.Unauthorized || !CanResend(request))
            {
                return response;
            }
            response.Dispose();
            source.Invalidate();
            await Authorize(request, cancellationToken).ConfigureAwait(false);
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }

        private async Task Authorize(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            string token = await source.GetAccessTokenAsync(cancellationToken).ConfigureAwait(false);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        /// <summary>Whether the request's content survives being sent once: none, or held in memory.</summary>
        private static bool CanResend(HttpRequestMessage request)
        {
            return request.Content == null || request.Content is ByteArrayContent;
        }
    }
}
