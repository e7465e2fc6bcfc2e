//! HTTP over ureq and rustls with the library's safe defaults, and the mapping of transport failures
//! onto [`Status`](crate::Status).

use crate::cancel;
use crate::endpoint::Endpoint;
use crate::error::{printable, Error, Result, Status};
use crate::options::{ClientOptions, ProxySetting};
use std::io::{self, Read};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig};
use crate::resolver::CachingResolver;
use crate::tcp_transport::TcpConnector;
use crate::tuned_transport::{self, TunedConnector};
use ureq::unversioned::transport::{ConnectProxyConnector, Connector, RustlsConnector, SocksConnector};
use ureq::{Agent, Proxy};
use zeroize::Zeroizing;

/// Idle connections kept per client, enough for one per thread of a busy multi-threaded caller.
const MAX_IDLE_CONNECTIONS: usize = 32;

/// A response as far as the token logic needs it. The body is zeroed on drop: it holds tokens.
pub struct HttpResponse {
    pub status: u16,
    pub content_type: Option<String>,
    pub location: Option<String>,
    pub www_authenticate: Option<String>,
    pub retry_after: Option<String>,
    pub body: Zeroizing<Vec<u8>>,
}

/// A connection pool with fixed settings. Cloning shares the pool: connections are kept alive and
/// reused across requests and threads.
#[derive(Clone)]
pub struct Transport {
    agent: Agent,
    /// A proxy came from the environment (which loopback hosts bypass).
    environment_proxy: bool,
    connect_timeout: Duration,
    timeout: Duration,
    max_response_bytes: u64,
}

impl Transport {
    pub fn new(options: &ClientOptions) -> Result<Transport> {
        let (proxy, environment_proxy) = match options.proxy() {
            // Without a proxy in the environment there is nothing for loopback hosts to bypass, and
            // the request-level configuration that bypassing takes costs a copy of it per request.
            ProxySetting::FromEnvironment => {
                let proxy = Proxy::try_from_env();
                let found = proxy.is_some();
                (proxy, found)
            }
            ProxySetting::Disabled => (None, false),
            ProxySetting::Url(url) => (
                Some(Proxy::new(url.expose()).map_err(|_| Error::invalid_argument("proxy is not a valid proxy URL"))?),
                false,
            ),
        };
        let tls = TlsConfig::builder().root_certs(trusted_roots(options.ca_file())?).build();
        let config = Agent::config_builder()
            // 4xx and 5xx carry OAuth errors we must read, so they are responses, not ureq errors.
            .http_status_as_error(false)
            // A redirected POST becomes a GET or re-sends credentials elsewhere: report it instead.
            .max_redirects(0)
            .max_redirects_will_error(false)
            .timeout_connect(Some(options.connect_timeout()))
            .timeout_global(Some(options.timeout()))
            .user_agent(options.user_agent())
            .accept("application/json")
            .proxy(proxy)
            .tls_config(tls)
            .no_delay(true)
            // A client is shared by many threads talking to one host; ureq's default of 3 idle
            // connections per host would make every fourth thread open a new connection.
            .max_idle_connections_per_host(MAX_IDLE_CONNECTIONS)
            .max_idle_connections(MAX_IDLE_CONNECTIONS)
            .build();
        Ok(Transport {
            agent: Agent::with_parts(config, connectors(), CachingResolver::default()),
            environment_proxy,
            connect_timeout: options.connect_timeout(),
            timeout: options.timeout(),
            max_response_bytes: options.max_response_bytes(),
        })
    }

    /// POSTs a form body. `authorization` is a complete `Authorization` header value, if any.
    pub fn post_form(&self, endpoint: &Endpoint, authorization: Option<&str>, body: &str) -> Result<HttpResponse> {
        retrying_stale_connections(|| {
            cancel::check()?;
            let request =
                self.agent.post(endpoint.as_str()).header("Content-Type", "application/x-www-form-urlencoded");
            let request = self.prepare(request, endpoint, authorization)?;
            unless_cancelled(self.read_response(request.send(body.as_bytes()), endpoint))
        })
    }

    /// GETs a resource, e.g. a discovery document or userinfo.
    pub fn get(&self, endpoint: &Endpoint, authorization: Option<&str>) -> Result<HttpResponse> {
        retrying_stale_connections(|| {
            cancel::check()?;
            let request = self.prepare(self.agent.get(endpoint.as_str()), endpoint, authorization)?;
            unless_cancelled(self.read_response(request.call(), endpoint))
        })
    }

    /// What every request gets: the credentials, kept out of debug output, and no environment proxy
    /// for loopback hosts.
    fn prepare<B>(
        &self,
        mut request: ureq::RequestBuilder<B>,
        endpoint: &Endpoint,
        authorization: Option<&str>,
    ) -> Result<ureq::RequestBuilder<B>> {
        if let Some(value) = authorization {
            request = request.header("Authorization", sensitive_header(value)?);
        }
        if self.bypass_proxy(endpoint) {
            request = request.config().proxy(None).build();
        }
        Ok(request)
    }

    /// Environment proxies are never used for loopback hosts.
    fn bypass_proxy(&self, endpoint: &Endpoint) -> bool {
        self.environment_proxy && endpoint.is_loopback()
    }

    fn read_response(
        &self,
        sent: std::result::Result<ureq::http::Response<ureq::Body>, ureq::Error>,
        endpoint: &Endpoint,
    ) -> Result<HttpResponse> {
        let response = sent.map_err(|e| self.describe(e, endpoint))?;
        let status = response.status().as_u16();
        let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
        let (content_type, location) = (header("content-type"), header("location"));
        let (www_authenticate, retry_after) = (header("www-authenticate"), header("retry-after"));

        let mut body = response.into_body();
        let too_large = || {
            Error::malformed_response(format!(
                "the response from {} is larger than the {}-byte limit (max_response_bytes)",
                endpoint.authority(),
                self.max_response_bytes
            ))
            .with_http_status(status)
        };
        let declared_length = body.content_length();
        if declared_length.is_some_and(|n| n > self.max_response_bytes) {
            return Err(too_large());
        }
        // Sized up front where the server says how much is coming, so the token is not copied around
        // by reallocation (the copies would not be zeroed).
        let capacity = declared_length.unwrap_or(4096).min(self.max_response_bytes) as usize;
        let mut bytes = Zeroizing::new(Vec::with_capacity(capacity));
        let mut reader = body.with_config().limit(self.max_response_bytes).reader();
        if let Err(e) = reader.read_to_end(&mut bytes) {
            return Err(match ureq::Error::from(e) {
                ureq::Error::BodyExceedsLimit(_) => too_large(),
                other => self.describe(other, endpoint).with_http_status(status),
            });
        }
        Ok(HttpResponse { status, content_type, location, www_authenticate, retry_after, body: bytes })
    }

    /// Turns a ureq failure into our error model with a message that says what happened where.
    fn describe(&self, error: ureq::Error, endpoint: &Endpoint) -> Error {
        let host = endpoint.authority();
        match error {
            ureq::Error::Timeout(which) => {
                let message = match which {
                    ureq::Timeout::Connect | ureq::Timeout::Resolve => format!(
                        "connecting to {host} timed out after {} ms (connect_timeout)",
                        self.connect_timeout.as_millis()
                    ),
                    _ => format!(
                        "the request to {host} did not complete within {} ms (timeout)",
                        self.timeout.as_millis()
                    ),
                };
                Error::new(Status::Timeout, message)
            }
            ureq::Error::HostNotFound => Error::new(Status::Network, format!("could not resolve the host of {host}")),
            ureq::Error::Rustls(tls) => Error::new(Status::Tls, describe_tls(&tls, host)),
            ureq::Error::Tls(what) => Error::new(Status::Tls, format!("TLS with {host} failed: {what}")),
            ureq::Error::Io(io) => describe_io(io, host),
            ureq::Error::Protocol(_) | ureq::Error::LargeResponseHeader(..) => Error::malformed_response(format!(
                "the response from {host} is not valid HTTP/1.1"
            )),
            ureq::Error::BodyExceedsLimit(_) => Error::malformed_response(format!(
                "the response from {host} is larger than the {}-byte limit (max_response_bytes)",
                self.max_response_bytes
            )),
            ureq::Error::ConnectProxyFailed(_) => {
                Error::new(Status::Network, format!("the proxy refused to connect to {host}"))
            }
            ureq::Error::InvalidProxyUrl => Error::invalid_argument("proxy is not a valid proxy URL"),
            ureq::Error::BadUri(_) => Error::invalid_argument(format!("the URL for {host} is not valid")),
            other => Error::new(Status::Network, format!("the request to {host} failed: {}", printable(&other.to_string()))),
        }
    }
}

/// How many times a request is sent in all when it keeps failing on reused connections that the
/// server had closed: each failure discards one, so a pool full of them is worked through quickly.
const MAX_ATTEMPTS_ON_STALE_CONNECTIONS: usize = 3;

/// Sends a request again when it failed on a kept-alive connection that the server closed before
/// answering (see src/tuned_transport.rs). Nothing of an answer had arrived, so the server did not
/// process the request, or at least did not answer it; a request on a fresh connection, or one that
/// failed in any other way, is not repeated.
fn retrying_stale_connections(send: impl Fn() -> Result<HttpResponse>) -> Result<HttpResponse> {
    let mut attempts = 1;
    loop {
        tuned_transport::take_stale_connection_failure();
        match send() {
            Err(error)
                if error.status() == Status::Network
                    && tuned_transport::take_stale_connection_failure()
                    && attempts < MAX_ATTEMPTS_ON_STALE_CONNECTIONS =>
            {
                attempts += 1;
            }
            result => return result,
        }
    }
}

/// A request that failed because its cancellation shut the socket down failed with whatever the
/// interrupted I/O said (a reset, an early end); it is reported as what it is.
fn unless_cancelled(result: Result<HttpResponse>) -> Result<HttpResponse> {
    match result {
        Err(_) if cancel::current_is_cancelled() => Err(cancel::cancelled_error()),
        other => other,
    }
}

/// ureq's default chain (SOCKS proxy, CONNECT proxy, TCP, rustls) with our TCP connector in place of
/// ureq's and our tuning on top; see src/tcp_transport.rs and src/tuned_transport.rs for why.
fn connectors() -> impl Connector {
    ()
        .chain(SocksConnector::default())
        .chain(ConnectProxyConnector::default())
        .chain(TcpConnector)
        .chain(RustlsConnector::default())
        .chain(TunedConnector)
}

/// A header value kept out of ureq's debug output; it holds credentials.
fn sensitive_header(value: &str) -> Result<ureq::http::HeaderValue> {
    let mut value = ureq::http::HeaderValue::from_str(value)
        .map_err(|_| Error::internal("the Authorization header could not be built"))?;
    value.set_sensitive(true);
    Ok(value)
}

fn describe_io(io: io::Error, host: &str) -> Error {
    if let Some(tls) = io.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()) {
        return Error::new(Status::Tls, describe_tls(tls, host));
    }
    use io::ErrorKind::*;
    let (status, what) = match io.kind() {
        TimedOut | WouldBlock => (Status::Timeout, "timed out".to_string()),
        ConnectionRefused => (Status::Network, "refused the connection".to_string()),
        ConnectionReset | ConnectionAborted | BrokenPipe => (Status::Network, "reset the connection".to_string()),
        UnexpectedEof => (Status::Network, "closed the connection before the response was complete".to_string()),
        // What a SOCKS proxy's refusal of our credentials becomes in ureq.
        PermissionDenied => (Status::Network, "could not be reached (permission denied: check the proxy's credentials)".to_string()),
        kind => (Status::Network, format!("could not be reached ({kind})")),
    };
    Error::new(status, format!("{host} {what}"))
}

fn describe_tls(error: &rustls::Error, host: &str) -> String {
    use rustls::{CertificateError as C, Error as E};
    match error {
        E::InvalidCertificate(C::UnknownIssuer) => format!(
            "the certificate of {host} is not signed by a trusted CA (trust its CA with the ca_file option)"
        ),
        E::InvalidCertificate(C::NotValidForName | C::NotValidForNameContext { .. }) => {
            format!("the certificate of {host} is not valid for that host name")
        }
        E::InvalidCertificate(C::Expired | C::ExpiredContext { .. }) => {
            format!("the certificate of {host} has expired")
        }
        E::InvalidCertificate(C::NotValidYet | C::NotValidYetContext { .. }) => {
            format!("the certificate of {host} is not valid yet")
        }
        E::InvalidCertificate(other) => format!("the certificate of {host} was rejected: {other:?}"),
        E::PeerIncompatible(_) | E::AlertReceived(rustls::AlertDescription::ProtocolVersion) => format!(
            "{host} offers no TLS version or cipher suite this client accepts (TLS 1.2 or newer is required)"
        ),
        E::AlertReceived(alert) => format!("{host} aborted the TLS handshake ({alert:?})"),
        other => format!("TLS with {host} failed: {}", printable(&other.to_string())),
    }
}

/// The operating system's trust store, read once per process and shared by every client: reading it
/// costs milliseconds and its copy some 150 KiB.
fn system_roots() -> &'static Arc<Vec<Certificate<'static>>> {
    static ROOTS: OnceLock<Arc<Vec<Certificate<'static>>>> = OnceLock::new();
    ROOTS.get_or_init(|| {
        // Unreadable entries in the store are skipped, as curl and browsers do; an empty store makes
        // every handshake fail with "not signed by a trusted CA", which says what to fix.
        let certs = rustls_native_certs::load_native_certs().certs;
        Arc::new(certs.iter().map(|der| Certificate::from_der(der).to_owned()).collect())
    })
}

fn trusted_roots(ca_file: Option<&std::path::PathBuf>) -> Result<RootCerts> {
    let Some(path) = ca_file else {
        return Ok(RootCerts::Specific(Arc::clone(system_roots())));
    };
    let shown = path.display();
    let pem = std::fs::read(path)
        .map_err(|e| Error::invalid_argument(format!("ca_file {shown} cannot be read: {}", e.kind())))?;
    let mut roots = system_roots().to_vec();
    let before = roots.len();
    for item in ureq::tls::parse_pem(&pem) {
        match item {
            Ok(PemItem::Certificate(cert)) => roots.push(cert),
            Ok(_) => {} // keys and other PEM blocks are not trust anchors
            Err(_) => return Err(Error::invalid_argument(format!("ca_file {shown} is not valid PEM"))),
        }
    }
    if roots.len() == before {
        return Err(Error::invalid_argument(format!("ca_file {shown} contains no PEM certificate")));
    }
    Ok(RootCerts::Specific(Arc::new(roots)))
}
