//! Shared by the integration tests: the local identity server (started once per test binary) and the
//! fixture credentials it knows.
#![allow(dead_code)] // each test binary uses a different part of this module

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};

pub struct IdentityServer {
    pub http: String,
    pub https: String,
    /// HTTPS with a certificate (from the same CA) for another host name.
    pub https_wrong_host: String,
    /// HTTPS with a certificate that expired in 2020.
    pub https_expired: String,
    /// HTTPS limited to TLS 1.1, with a valid certificate.
    pub https_tls11: String,
    pub http6: Option<String>,
    /// `127.0.0.1:<port>` of a SOCKS5 proxy that tunnels every CONNECT to `http`.
    pub socks5: String,
    pub ca_file: String,
    /// Kept for its stdin: the server exits when this process ends and the pipe closes.
    _child: Mutex<Child>,
}

/// The server for this test binary, started on first use.
pub fn server() -> &'static IdentityServer {
    static SERVER: OnceLock<IdentityServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        let python = std::env::var("QFLOW_PYTHON").unwrap_or_else(|_| "python3".to_string());
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/identity_server/server.py");
        let mut child = Command::new(&python)
            .args([script, "--tls", "--exit-on-stdin-eof"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start the identity server with {python}: {e}"));
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let info: Value = serde_json::from_str(&line).unwrap_or_else(|_| panic!("identity server said: {line:?}"));
        let text = |name: &str| info[name].as_str().map(str::to_string);
        IdentityServer {
            http: text("http").unwrap(),
            https: text("https").unwrap(),
            https_wrong_host: text("https_wrong_host").unwrap(),
            https_expired: text("https_expired").unwrap(),
            https_tls11: text("https_tls11").unwrap(),
            http6: text("http6"),
            socks5: text("socks5").unwrap(),
            ca_file: text("ca_file").unwrap(),
            _child: Mutex::new(child),
        }
    })
}

impl IdentityServer {
    /// The token URL behind the given mode segments, e.g. `url("tag-x/core")`.
    pub fn url(&self, modes: &str) -> String {
        format!("{}/{}/connect/token", self.http, modes)
    }

    pub fn https_url(&self, modes: &str) -> String {
        format!("{}/{}/connect/token", self.https, modes)
    }

    /// The requests the server received with this tag, as it saw them.
    pub fn log(&self, tag: &str) -> Vec<Value> {
        get_json(&format!("{}/_log?tag={tag}", self.http)).as_array().unwrap().clone()
    }

    /// `{"requests": n, "connections": m}` for this tag.
    pub fn stats(&self, tag: &str) -> Value {
        get_json(&format!("{}/_stats?tag={tag}", self.http))
    }
}

fn get_json(url: &str) -> Value {
    let mut response = ureq::get(url).call().unwrap();
    serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap()
}

fn fixtures() -> &'static Value {
    static FIXTURES: OnceLock<Value> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/identity_server/fixtures.json"))
            .unwrap();
        serde_json::from_str(&text).unwrap()
    })
}

/// The secret of a fixture client.
pub fn secret(client: &str) -> &'static str {
    fixtures()["clients"][client]["secret"].as_str().unwrap()
}

/// The password of a fixture user.
pub fn password(user: &str) -> &'static str {
    fixtures()["users"][user]["password"].as_str().unwrap()
}

pub fn api_key(client: &str) -> &'static str {
    fixtures()["clients"][client]["api_key"].as_str().unwrap()
}

pub const RESOWNER: &str = "acme_resowner";
pub const SERVICE: &str = "acme_service";
pub const SPECIAL_CLIENT: &str = "special_client";
pub const PUBLIC_CLIENT: &str = "acme_public";
pub const JOE: &str = "joe.bloggs@example.com";
pub const SPECIAL_USER: &str = "special.user@example.com";
pub const UNICODE_USER: &str = "zoë@example.com";
pub const QUICKSTART_SCOPE: &str = "qflowapi+openid+offline_access";

/// The value of a form field in a logged request.
pub fn form_value<'a>(entry: &'a Value, name: &str) -> Option<&'a str> {
    entry["form"].as_array()?.iter().find(|pair| pair[0] == name).and_then(|pair| pair[1].as_str())
}

/// The names of the form fields in a logged request, in order.
pub fn form_names(entry: &Value) -> Vec<String> {
    entry["form"].as_array().unwrap().iter().map(|pair| pair[0].as_str().unwrap().to_string()).collect()
}
