//! The token client: one endpoint, one set of client credentials, one connection pool, any grant.

use crate::claims::Claims;
use crate::discovery::{self, Discovery};
use crate::endpoint::Endpoint;
use crate::error::{Error, Result};
use crate::form;
use crate::options::{AuthMethod, ClientOptions};
use crate::response;
use crate::secret::Secret;
use crate::token::{self, Token};
use crate::transport::{HttpResponse, Transport};
use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;
use zeroize::Zeroizing;

/// Parameters the client sets itself; a caller passing them as extra parameters would make them repeat
/// (RFC 6749 section 3.2) or mix two client authentication methods.
const RESERVED_PARAMETERS: [&str; 3] = ["grant_type", "client_id", "client_secret"];

/// Requests tokens from one token endpoint for one client. Create it once and share it: it is `Send` and
/// `Sync`, and its connections are kept alive and reused across calls and threads.
pub struct TokenClient {
    endpoints: Endpoints,
    client_id: String,
    client_secret: Option<Secret>,
    auth_method: AuthMethod,
    transport: Transport,
    discovery: Option<Arc<Discovery>>,
}

struct Endpoints {
    token: Endpoint,
    revocation: Option<Endpoint>,
    introspection: Option<Endpoint>,
    userinfo: Option<Endpoint>,
}

impl TokenClient {
    /// A client for `token_url`. `client_secret` is `None` for a public client, which then sends its
    /// `client_id` in the body whatever the auth method.
    pub fn new(token_url: &str, client_id: &str, client_secret: Option<&str>, options: &ClientOptions) -> Result<TokenClient> {
        let transport = Transport::new(options)?;
        TokenClient::with_transport(token_url, client_id, client_secret, options, transport)
    }

    /// A client for the server at `authority` (e.g. `https://identity.qflowhub.io/core`), with its
    /// endpoints read from the server's discovery document. Endpoints set in `options` take precedence.
    pub fn from_authority(
        authority: &str,
        client_id: &str,
        client_secret: Option<&str>,
        options: &ClientOptions,
    ) -> Result<TokenClient> {
        let transport = Transport::new(options)?;
        let found = discovery::discover(authority, &transport, options.allow_insecure_http())?;
        let mut client =
            TokenClient::with_transport(found.token.as_str(), client_id, client_secret, options, transport)?;
        let endpoints = &mut client.endpoints;
        endpoints.revocation = endpoints.revocation.take().or_else(|| found.revocation.clone());
        endpoints.introspection = endpoints.introspection.take().or_else(|| found.introspection.clone());
        endpoints.userinfo = endpoints.userinfo.take().or_else(|| found.userinfo.clone());
        client.discovery = Some(found);
        Ok(client)
    }

    /// Like [`TokenClient::new`], sharing an existing connection pool.
    pub(crate) fn with_transport(
        token_url: &str,
        client_id: &str,
        client_secret: Option<&str>,
        options: &ClientOptions,
        transport: Transport,
    ) -> Result<TokenClient> {
        let insecure = options.allow_insecure_http();
        let optional = |name: &str, url: Option<&str>| url.map(|u| Endpoint::parse(name, u, insecure)).transpose();
        let endpoints = Endpoints {
            token: Endpoint::parse("token_url", token_url, insecure)?,
            revocation: optional("revocation_url", options.revocation_url())?,
            introspection: optional("introspection_url", options.introspection_url())?,
            userinfo: optional("userinfo_url", options.userinfo_url())?,
        };
        if client_id.is_empty() {
            return Err(Error::invalid_argument("client_id must not be empty"));
        }
        if client_secret == Some("") {
            return Err(Error::invalid_argument("client_secret must not be empty (pass none for a public client)"));
        }
        if options.auth_method() == AuthMethod::ClientSecretBasicUnencoded && client_id.contains(':') {
            // RFC 7617: the user-id of Basic credentials cannot contain a colon; without the form
            // encoding step the server would split the id in the wrong place.
            return Err(Error::invalid_argument(
                "client_id contains ':', which plain HTTP Basic cannot carry; use the encoded Basic or POST method",
            ));
        }
        Ok(TokenClient {
            endpoints,
            client_id: client_id.to_string(),
            client_secret: client_secret.map(Secret::new),
            auth_method: options.auth_method(),
            transport,
            discovery: None,
        })
    }

    pub fn token_url(&self) -> &str {
        self.endpoints.token.as_str()
    }

    /// The revocation endpoint, if the client has one (from its options or discovery).
    pub fn revocation_url(&self) -> Option<&str> {
        self.endpoints.revocation.as_ref().map(Endpoint::as_str)
    }

    /// The introspection endpoint, if the client has one.
    pub fn introspection_url(&self) -> Option<&str> {
        self.endpoints.introspection.as_ref().map(Endpoint::as_str)
    }

    /// The userinfo endpoint, if the client has one.
    pub fn userinfo_url(&self) -> Option<&str> {
        self.endpoints.userinfo.as_ref().map(Endpoint::as_str)
    }

    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// What discovery found, for a client made with [`TokenClient::from_authority`].
    pub fn discovery(&self) -> Option<&Discovery> {
        self.discovery.as_deref()
    }

    /// Resource owner password grant (RFC 6749 section 4.3). Prefer other grants in new designs
    /// (RFC 9700 section 2.4); QFlow Hub's quick-start uses this one.
    pub fn request_password(&self, username: &str, password: &str, scope: Option<&str>) -> Result<Token> {
        non_empty("username", username)?;
        non_empty("password", password)?;
        let scope = scope.map(form::normalize_scope).transpose()?.flatten();
        let mut params = vec![("username", username), ("password", password)];
        params.extend(scope.as_deref().map(|s| ("scope", s)));
        self.send("password", &params)
    }

    /// Client credentials grant (RFC 6749 section 4.4).
    pub fn request_client_credentials(&self, scope: Option<&str>) -> Result<Token> {
        let scope = scope.map(form::normalize_scope).transpose()?.flatten();
        let params: Vec<_> = scope.as_deref().map(|s| ("scope", s)).into_iter().collect();
        self.send("client_credentials", &params)
    }

    /// Refresh grant (RFC 6749 section 6). The server may rotate the refresh token: use the one in the
    /// returned token from now on.
    pub fn request_refresh(&self, refresh_token: &str, scope: Option<&str>) -> Result<Token> {
        non_empty("refresh_token", refresh_token)?;
        let scope = scope.map(form::normalize_scope).transpose()?.flatten();
        let mut params = vec![("refresh_token", refresh_token)];
        params.extend(scope.as_deref().map(|s| ("scope", s)));
        self.send("refresh_token", &params)
    }

    /// Any grant, including extension grants (RFC 6749 section 4.5), with its own parameters. A `scope`
    /// parameter is normalised like the `scope` of the other grants.
    pub fn request_grant(&self, grant_type: &str, params: &[(&str, &str)]) -> Result<Token> {
        non_empty("grant_type", grant_type)?;
        if grant_type.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Error::invalid_argument("grant_type must not contain spaces or control characters"));
        }
        let mut checked: Vec<(&str, &str)> = Vec::with_capacity(params.len());
        let mut normalized_scope = None;
        for (i, &(name, value)) in params.iter().enumerate() {
            if name.is_empty() {
                return Err(Error::invalid_argument(format!("parameter name {i} must not be empty")));
            }
            if RESERVED_PARAMETERS.contains(&name) {
                return Err(Error::invalid_argument(format!(
                    "parameter \"{name}\" is set by the client itself and cannot be passed as an extra parameter"
                )));
            }
            if checked.iter().any(|(seen, _)| *seen == name) {
                return Err(Error::invalid_argument(format!(
                    "parameter \"{}\" appears twice; OAuth parameters must not repeat",
                    crate::error::printable(name)
                )));
            }
            if name == "scope" {
                normalized_scope = form::normalize_scope(value)?;
                continue;
            }
            checked.push((name, value));
        }
        checked.extend(normalized_scope.as_deref().map(|s| ("scope", s)));
        self.send(grant_type, &checked)
    }

    /// Revokes a token (RFC 7009). Succeeds for tokens the server does not know, as the RFC says.
    /// `token_type_hint` is `access_token` or `refresh_token`, if known.
    pub fn revoke(&self, token: &str, token_type_hint: Option<&str>) -> Result<()> {
        let endpoint = required_endpoint(&self.endpoints.revocation, "revocation")?;
        let response = self.authenticated_post(endpoint, &token_params(token, token_type_hint)?)?;
        response::no_content(response, "the revocation endpoint")
    }

    /// Asks the server about a token (RFC 7662). An unknown, expired or revoked token is not an
    /// error: the answer is then inactive ([`Claims::is_active`]).
    pub fn introspect(&self, token: &str, token_type_hint: Option<&str>) -> Result<Claims> {
        let endpoint = required_endpoint(&self.endpoints.introspection, "introspection")?;
        let response = self.authenticated_post(endpoint, &token_params(token, token_type_hint)?)?;
        response::json_object(response, "the introspection endpoint")
    }

    /// The claims about the user of an access token (OpenID Connect userinfo; needs scope `openid`).
    pub fn userinfo(&self, access_token: &str) -> Result<Claims> {
        let endpoint = required_endpoint(&self.endpoints.userinfo, "userinfo")?;
        non_empty("access_token", access_token)?;
        let mut authorization = Zeroizing::new(String::with_capacity(7 + access_token.len()));
        authorization.push_str("Bearer ");
        authorization.push_str(access_token);
        let response = self.transport.get(endpoint, Some(&authorization))?;
        response::json_object(response, "the userinfo endpoint")
    }

    fn send(&self, grant_type: &str, params: &[(&str, &str)]) -> Result<Token> {
        let mut pairs = Vec::with_capacity(params.len() + 1);
        pairs.push(("grant_type", grant_type));
        pairs.extend_from_slice(params);
        let response = self.authenticated_post(&self.endpoints.token, &pairs)?;
        token::from_response(response, SystemTime::now())
    }

    /// POSTs `params` with this client's authentication: in the body or as HTTP Basic, never both.
    fn authenticated_post(&self, endpoint: &Endpoint, params: &[(&str, &str)]) -> Result<HttpResponse> {
        let mut pairs = Vec::with_capacity(params.len() + 2);
        pairs.extend_from_slice(params);
        let authorization = match (&self.client_secret, self.auth_method) {
            (Some(secret), AuthMethod::ClientSecretPost) => {
                pairs.push(("client_id", &self.client_id));
                pairs.push(("client_secret", secret.expose()));
                None
            }
            (Some(secret), AuthMethod::ClientSecretBasic) => {
                Some(basic_authorization(&form::encode_component(&self.client_id), &form::encode_component(secret.expose())))
            }
            (Some(secret), AuthMethod::ClientSecretBasicUnencoded) => {
                Some(basic_authorization(&self.client_id, secret.expose()))
            }
            (None, _) => {
                pairs.push(("client_id", &self.client_id));
                None
            }
        };
        let body = form::encode(&pairs);
        self.transport.post_form(endpoint, authorization.as_deref().map(String::as_str), &body)
    }
}

fn required_endpoint<'a>(endpoint: &'a Option<Endpoint>, name: &str) -> Result<&'a Endpoint> {
    endpoint.as_ref().ok_or_else(|| {
        Error::invalid_argument(format!(
            "this client has no {name} endpoint: create it from the authority (discovery) or set {name}_url"
        ))
    })
}

fn token_params<'a>(token: &'a str, token_type_hint: Option<&'a str>) -> Result<Vec<(&'a str, &'a str)>> {
    non_empty("token", token)?;
    let mut params = vec![("token", token)];
    if let Some(hint) = token_type_hint {
        non_empty("token_type_hint", hint)?;
        params.push(("token_type_hint", hint));
    }
    Ok(params)
}

/// `Basic base64(id:secret)`, built in buffers that are zeroed when dropped.
fn basic_authorization(id: &str, secret: &str) -> Zeroizing<String> {
    let mut joined = Zeroizing::new(String::with_capacity(id.len() + 1 + secret.len()));
    joined.push_str(id);
    joined.push(':');
    joined.push_str(secret);
    let encoded = form::base64(joined.as_bytes());
    let mut header = Zeroizing::new(String::with_capacity(6 + encoded.len()));
    header.push_str("Basic ");
    header.push_str(&encoded);
    header
}

fn non_empty(name: &str, value: &str) -> Result<()> {
    if value.is_empty() {
        return Err(Error::invalid_argument(format!("{name} must not be empty")));
    }
    Ok(())
}

impl fmt::Debug for TokenClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenClient")
            .field("token_url", &self.endpoints.token.as_str())
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("auth_method", &self.auth_method)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Status;

    fn client(method: AuthMethod, id: &str) -> Result<TokenClient> {
        let mut options = ClientOptions::default();
        options.set_auth_method(method);
        TokenClient::new("http://127.0.0.1:9/core/connect/token", id, Some("s3cret"), &options)
    }

    #[test]
    fn basic_authorization_encodes_as_rfc_7617() {
        assert_eq!(basic_authorization("Aladdin", "open sesame").as_str(), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
    }

    #[test]
    fn construction_checks_name_the_parameter() {
        let err = client(AuthMethod::ClientSecretPost, "").unwrap_err();
        assert!(err.message().starts_with("client_id"));
        let err = client(AuthMethod::ClientSecretBasicUnencoded, "a:b").unwrap_err();
        assert!(err.message().starts_with("client_id"));
        client(AuthMethod::ClientSecretBasic, "a:b").unwrap();
        let err = TokenClient::new("http://127.0.0.1:9/t", "id", Some(""), &ClientOptions::default()).unwrap_err();
        assert!(err.message().starts_with("client_secret"));
    }

    #[test]
    fn grant_arguments_are_checked_before_any_request() {
        // Port 9 (discard) on loopback is never listening in the test environment; a request attempted
        // would fail with a network error, not the invalid-argument error asserted here.
        let c = client(AuthMethod::ClientSecretPost, "id").unwrap();
        let cases = [
            (c.request_password("", "pw", None).unwrap_err(), "username"),
            (c.request_password("joe", "", None).unwrap_err(), "password"),
            (c.request_password("joe", "pw", Some("bad\"scope")).unwrap_err(), "scope"),
            (c.request_refresh("", None).unwrap_err(), "refresh_token"),
            (c.request_grant("", &[]).unwrap_err(), "grant_type"),
            (c.request_grant("a b", &[]).unwrap_err(), "grant_type"),
            (c.request_grant("x", &[("", "v")]).unwrap_err(), "parameter name 0"),
            (c.request_grant("x", &[("client_secret", "v")]).unwrap_err(), "parameter \"client_secret\""),
            (c.request_grant("x", &[("a", "1"), ("a", "2")]).unwrap_err(), "parameter \"a\" appears twice"),
        ];
        for (err, named) in cases {
            assert_eq!(err.status(), Status::InvalidArgument, "{}", err.message());
            assert!(err.message().starts_with(named), "{} should name {named}", err.message());
        }
    }

    #[test]
    fn debug_output_hides_the_client_secret() {
        let shown = format!("{:?}", client(AuthMethod::ClientSecretPost, "id").unwrap());
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("id"));
    }
}
