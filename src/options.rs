//! Client settings, each checked when it is set so that the error names the setting.

use crate::error::{Error, Result};
use crate::secret::Secret;
use std::path::PathBuf;
use std::time::Duration;

/// How the client proves its identity to the token endpoint. Exactly one method is used per request
/// (RFC 6749 section 2.3). The values are part of the C ABI.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum AuthMethod {
    /// `client_id` and `client_secret` in the form body. The quick-start's way, and the one
    /// IdentityServer3 always parses correctly. The default.
    #[default]
    ClientSecretPost = 0,
    /// HTTP Basic with RFC 6749 section 2.3.1 encoding: id and secret are form-urlencoded, then joined
    /// with `:` and base64-encoded. What RFC-conforming servers expect.
    ClientSecretBasic = 1,
    /// HTTP Basic without the form-urlencoding step. IdentityServer3 does not decode Basic
    /// credentials, so a secret with reserved characters only works there in this form.
    ClientSecretBasicUnencoded = 2,
}

impl AuthMethod {
    pub fn from_code(code: u32) -> Option<AuthMethod> {
        [AuthMethod::ClientSecretPost, AuthMethod::ClientSecretBasic, AuthMethod::ClientSecretBasicUnencoded]
            .into_iter()
            .find(|m| *m as u32 == code)
    }
}

/// Where requests go through a proxy.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum ProxySetting {
    /// `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY` (either case), as curl reads them.
    /// Loopback hosts never go through an environment proxy (as in Go's net/http).
    #[default]
    FromEnvironment,
    /// No proxy, whatever the environment says.
    Disabled,
    /// This proxy (`http://`, `socks5://`, ...), for every host. May contain credentials, so kept secret.
    Url(Secret),
}

pub(crate) const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
pub(crate) const DEFAULT_MAX_RESPONSE_BYTES: u64 = 1024 * 1024;

/// Settings of a [`TokenClient`](crate::TokenClient). Start from `ClientOptions::default()`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientOptions {
    auth_method: AuthMethod,
    connect_timeout: Duration,
    timeout: Duration,
    ca_file: Option<PathBuf>,
    proxy: ProxySetting,
    allow_insecure_http: bool,
    user_agent: Option<String>,
    max_response_bytes: u64,
    revocation_url: Option<String>,
    introspection_url: Option<String>,
    userinfo_url: Option<String>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            auth_method: AuthMethod::default(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            ca_file: None,
            proxy: ProxySetting::default(),
            allow_insecure_http: false,
            user_agent: None,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            revocation_url: None,
            introspection_url: None,
            userinfo_url: None,
        }
    }
}

impl ClientOptions {
    pub fn auth_method(&self) -> AuthMethod {
        self.auth_method
    }
    pub fn set_auth_method(&mut self, method: AuthMethod) -> &mut Self {
        self.auth_method = method;
        self
    }

    /// Limit on establishing the connection (DNS, TCP and TLS handshake). Default 10 s.
    pub fn connect_timeout(&self) -> Duration {
        self.connect_timeout
    }
    pub fn set_connect_timeout(&mut self, timeout: Duration) -> Result<&mut Self> {
        self.connect_timeout = positive("connect_timeout", timeout)?;
        Ok(self)
    }

    /// Limit on a whole request, from connecting to the last byte of the response. Default 30 s.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }
    pub fn set_timeout(&mut self, timeout: Duration) -> Result<&mut Self> {
        self.timeout = positive("timeout", timeout)?;
        Ok(self)
    }

    /// A PEM file of extra CA certificates, trusted in addition to the operating system's store.
    pub fn ca_file(&self) -> Option<&PathBuf> {
        self.ca_file.as_ref()
    }
    pub fn set_ca_file(&mut self, path: Option<PathBuf>) -> Result<&mut Self> {
        if path.as_ref().is_some_and(|p| p.as_os_str().is_empty()) {
            return Err(Error::invalid_argument("ca_file must not be empty (pass no path to trust only the system store)"));
        }
        self.ca_file = path;
        Ok(self)
    }

    pub fn proxy(&self) -> &ProxySetting {
        &self.proxy
    }
    pub fn set_proxy(&mut self, proxy: ProxySetting) -> Result<&mut Self> {
        if let ProxySetting::Url(url) = &proxy {
            // Parse now so the error comes from the setter; the message never repeats the URL, which
            // may hold proxy credentials.
            ureq::Proxy::new(url.expose())
                .map_err(|_| Error::invalid_argument("proxy is not a valid proxy URL (expected e.g. http://proxy:3128)"))?;
        }
        self.proxy = proxy;
        Ok(self)
    }

    /// Allow `http://` to hosts other than loopback. Off by default: token requests carry secrets.
    pub fn allow_insecure_http(&self) -> bool {
        self.allow_insecure_http
    }
    pub fn set_allow_insecure_http(&mut self, allow: bool) -> &mut Self {
        self.allow_insecure_http = allow;
        self
    }

    /// The `User-Agent` header; `qflow-auth/<version>` by default.
    pub fn user_agent(&self) -> String {
        self.user_agent.clone().unwrap_or_else(|| format!("qflow-auth/{}", env!("CARGO_PKG_VERSION")))
    }
    pub fn set_user_agent(&mut self, user_agent: Option<String>) -> Result<&mut Self> {
        if let Some(ua) = &user_agent {
            if ua.is_empty() || !ua.bytes().all(|b| (0x20..0x7f).contains(&b)) {
                return Err(Error::invalid_argument("user_agent must be non-empty printable ASCII"));
            }
        }
        self.user_agent = user_agent;
        Ok(self)
    }

    /// Responses with a longer body are refused without reading the rest. Default 1 MiB.
    pub fn max_response_bytes(&self) -> u64 {
        self.max_response_bytes
    }
    pub fn set_max_response_bytes(&mut self, max: u64) -> Result<&mut Self> {
        if max == 0 {
            return Err(Error::invalid_argument("max_response_bytes must be greater than 0"));
        }
        self.max_response_bytes = max;
        Ok(self)
    }
}

impl ClientOptions {
    /// The revocation endpoint (RFC 7009), for a client created from a token URL; discovery fills it
    /// in for a client created from an authority. Checked like the token URL when the client is made.
    pub fn revocation_url(&self) -> Option<&str> {
        self.revocation_url.as_deref()
    }
    pub fn set_revocation_url(&mut self, url: Option<String>) -> Result<&mut Self> {
        self.revocation_url = non_empty_url("revocation_url", url)?;
        Ok(self)
    }

    /// The introspection endpoint (RFC 7662); see [`ClientOptions::revocation_url`].
    pub fn introspection_url(&self) -> Option<&str> {
        self.introspection_url.as_deref()
    }
    pub fn set_introspection_url(&mut self, url: Option<String>) -> Result<&mut Self> {
        self.introspection_url = non_empty_url("introspection_url", url)?;
        Ok(self)
    }

    /// The OpenID Connect userinfo endpoint; see [`ClientOptions::revocation_url`].
    pub fn userinfo_url(&self) -> Option<&str> {
        self.userinfo_url.as_deref()
    }
    pub fn set_userinfo_url(&mut self, url: Option<String>) -> Result<&mut Self> {
        self.userinfo_url = non_empty_url("userinfo_url", url)?;
        Ok(self)
    }
}

fn non_empty_url(name: &str, url: Option<String>) -> Result<Option<String>> {
    if url.as_deref().is_some_and(|u| u.trim().is_empty()) {
        return Err(Error::invalid_argument(format!("{name} must not be empty (pass none to unset it)")));
    }
    Ok(url)
}

fn positive(name: &str, timeout: Duration) -> Result<Duration> {
    if timeout.is_zero() {
        return Err(Error::invalid_argument(format!("{name} must be greater than 0")));
    }
    Ok(timeout)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Status;

    #[test]
    fn defaults_are_safe() {
        let o = ClientOptions::default();
        assert_eq!(o.auth_method(), AuthMethod::ClientSecretPost);
        assert_eq!(o.connect_timeout(), Duration::from_secs(10));
        assert_eq!(o.timeout(), Duration::from_secs(30));
        assert!(!o.allow_insecure_http());
        assert_eq!(o.max_response_bytes(), 1024 * 1024);
        assert_eq!(o.user_agent(), format!("qflow-auth/{}", env!("CARGO_PKG_VERSION")));
    }

    #[test]
    fn bad_settings_name_the_setting() {
        let mut o = ClientOptions::default();
        let cases = [
            o.set_connect_timeout(Duration::ZERO).map(|_| ()).unwrap_err(),
            o.set_timeout(Duration::ZERO).map(|_| ()).unwrap_err(),
            o.set_max_response_bytes(0).map(|_| ()).unwrap_err(),
            o.set_user_agent(Some("bad\nagent".into())).map(|_| ()).unwrap_err(),
            o.set_ca_file(Some(PathBuf::new())).map(|_| ()).unwrap_err(),
            o.set_proxy(ProxySetting::Url(Secret::new("::not a url::"))).map(|_| ()).unwrap_err(),
        ];
        let names = ["connect_timeout", "timeout", "max_response_bytes", "user_agent", "ca_file", "proxy"];
        for (err, name) in cases.iter().zip(names) {
            assert_eq!(err.status(), Status::InvalidArgument);
            assert!(err.message().starts_with(name), "{}", err.message());
        }
        assert_eq!(o, ClientOptions::default(), "failed setters must not change anything");
    }

    #[test]
    fn proxy_credentials_stay_out_of_debug_and_errors() {
        let mut o = ClientOptions::default();
        o.set_proxy(ProxySetting::Url(Secret::new("http://user:proxypass@proxy:3128"))).unwrap();
        assert!(!format!("{o:?}").contains("proxypass"));
    }

    #[test]
    fn auth_method_codes_are_stable() {
        assert_eq!(AuthMethod::from_code(0), Some(AuthMethod::ClientSecretPost));
        assert_eq!(AuthMethod::from_code(1), Some(AuthMethod::ClientSecretBasic));
        assert_eq!(AuthMethod::from_code(2), Some(AuthMethod::ClientSecretBasicUnencoded));
        assert_eq!(AuthMethod::from_code(3), None);
    }
}
