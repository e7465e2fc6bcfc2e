//! The one-call path in the shape of QFlow Hub's quick-start: credentials in, token out.

use crate::client::TokenClient;
use crate::error::Result;
use crate::options::ClientOptions;
use crate::token::Token;
use crate::transport::Transport;
use std::sync::OnceLock;

/// QFlow Hub's token endpoint, used when no URL is given.
pub const QFLOW_HUB_TOKEN_URL: &str = "https://identity.qflowhub.io/core/connect/token";

/// The quick-start's scopes, used when no scope is given.
pub const QFLOW_HUB_SCOPE: &str = "qflowapi openid offline_access";

/// Password grant with default options. All one-call requests in a process share one connection pool,
/// so repeated calls reuse kept-alive connections instead of paying a TLS handshake each time.
pub fn fetch_token(
    token_url: Option<&str>,
    client_id: &str,
    client_secret: Option<&str>,
    username: &str,
    password: &str,
    scope: Option<&str>,
) -> Result<Token> {
    static SHARED: OnceLock<Transport> = OnceLock::new();
    let options = ClientOptions::default();
    // Transport::new can only fail on a CA file or proxy URL, and default options have neither.
    let transport = SHARED.get_or_init(|| Transport::new(&options).expect("default transport")).clone();
    let client = TokenClient::with_transport(
        token_url.unwrap_or(QFLOW_HUB_TOKEN_URL),
        client_id,
        client_secret,
        &options,
        transport,
    )?;
    client.request_password(username, password, Some(scope.unwrap_or(QFLOW_HUB_SCOPE)))
}
