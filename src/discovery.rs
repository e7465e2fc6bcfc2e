//! Endpoints from an authority URL: OpenID Connect discovery (`<authority>/.well-known/openid-
//! configuration`, as IdentityServer3 serves it), with RFC 8414's
//! `https://host/.well-known/oauth-authorization-server<path>` as a fallback. Documents are cached per
//! process for an hour.

use crate::claims::Claims;
use crate::endpoint::Endpoint;
use crate::error::{printable, Error, Result};
use crate::response;
use crate::transport::Transport;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use ureq::http::Uri;

/// How long a discovery document is reused before it is fetched again.
pub const DISCOVERY_TTL: Duration = Duration::from_secs(3600);

/// What discovery found: the endpoints, each checked like any URL the caller gives.
#[derive(Debug)]
pub struct Discovery {
    pub(crate) token: Endpoint,
    pub(crate) revocation: Option<Endpoint>,
    pub(crate) introspection: Option<Endpoint>,
    pub(crate) userinfo: Option<Endpoint>,
    issuer: Option<String>,
    warning: Option<String>,
    document: Claims,
}

impl Discovery {
    /// The `issuer` the document names.
    pub fn issuer(&self) -> Option<&str> {
        self.issuer.as_deref()
    }

    /// Something worth telling the caller that is no reason to fail: an `issuer` other than the
    /// authority URL (IdentityServer3 deployments often configure one).
    pub fn warning(&self) -> Option<&str> {
        self.warning.as_deref()
    }

    /// The whole document.
    pub fn document(&self) -> &Claims {
        &self.document
    }
}

/// The discovery document of `authority`, from the cache when fetched less than [`DISCOVERY_TTL`] ago.
pub(crate) fn discover(authority: &str, transport: &Transport, allow_insecure_http: bool) -> Result<Arc<Discovery>> {
    let normalized = authority.trim_end_matches('/');
    let base = Endpoint::parse("authority", normalized, allow_insecure_http)?;
    let key = format!("{allow_insecure_http}|{normalized}");
    // A process talks to few authorities, so a list does; unlike a hash map it also keeps leak checkers
    // from mistaking this process-long cache for a leak (no pointers into the middle of a block).
    static CACHE: OnceLock<Mutex<Vec<CacheEntry>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let cached = |entries: &[CacheEntry]| entries.iter().position(|e| e.key == key);
    {
        let entries = cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(entry) = cached(&entries).map(|i| &entries[i]).filter(|e| e.fetched.elapsed() < DISCOVERY_TTL) {
            return Ok(Arc::clone(&entry.found));
        }
    }

    let what = "the discovery endpoint";
    let oidc = Endpoint::parse("authority", &format!("{normalized}/.well-known/openid-configuration"), allow_insecure_http)?;
    let response = transport.get(&oidc, None)?;
    let document = if response.status == 404 {
        let rfc8414 = Endpoint::parse("authority", &rfc8414_url(&base)?, allow_insecure_http)?;
        response::json_object(transport.get(&rfc8414, None)?, what)?
    } else {
        response::json_object(response, what)?
    };
    let found = Arc::new(from_document(document, normalized, allow_insecure_http)?);
    let entry = CacheEntry { key, fetched: Instant::now(), found: Arc::clone(&found) };
    store(&mut cache.lock().unwrap_or_else(|e| e.into_inner()), entry, Instant::now());
    Ok(found)
}

/// At most this many documents are cached: a process that goes through many authorities (a
/// multi-tenant service, say) must not grow without bound.
const MAX_CACHED_DOCUMENTS: usize = 64;

/// Replaces the entry with the same key, or adds one after dropping the expired entries and, when the
/// cache is still full, the oldest.
fn store(entries: &mut Vec<CacheEntry>, entry: CacheEntry, now: Instant) {
    if let Some(same) = entries.iter_mut().find(|e| e.key == entry.key) {
        *same = entry;
        return;
    }
    entries.retain(|e| now.saturating_duration_since(e.fetched) < DISCOVERY_TTL);
    if entries.len() >= MAX_CACHED_DOCUMENTS {
        if let Some(oldest) = entries.iter().enumerate().min_by_key(|(_, e)| e.fetched).map(|(i, _)| i) {
            entries.swap_remove(oldest);
        }
    }
    entries.push(entry);
}

struct CacheEntry {
    key: String,
    fetched: Instant,
    found: Arc<Discovery>,
}

/// Runs a document through the checks of [`discover`], for the fuzz target.
pub(crate) fn fuzz_document(document: Claims, authority: &str) -> Result<Discovery> {
    from_document(document, authority, false)
}

/// RFC 8414 section 3: the well-known segment goes between the host and the authority's path.
fn rfc8414_url(authority: &Endpoint) -> Result<String> {
    let uri: Uri = authority.as_str().parse().map_err(|_| Error::invalid_argument("authority is not a valid URL"))?;
    let scheme = uri.scheme_str().unwrap_or("https");
    let path = uri.path().trim_end_matches('/');
    Ok(format!("{scheme}://{}/.well-known/oauth-authorization-server{path}", authority.authority()))
}

fn from_document(document: Claims, authority: &str, allow_insecure_http: bool) -> Result<Discovery> {
    let endpoint = |member: &str| -> Result<Option<Endpoint>> {
        match document.get(member) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::String(url)) => {
                Endpoint::parse(&format!("{member} (from discovery)"), url, allow_insecure_http).map(Some)
            }
            Some(_) => Err(Error::malformed_response(format!("the discovery document's {member} is not a string"))),
        }
    };
    let token = endpoint("token_endpoint")?
        .ok_or_else(|| Error::malformed_response("the discovery document has no token_endpoint"))?;
    let issuer = document.string("issuer").map(str::to_string);
    let warning = match issuer.as_deref() {
        Some(issuer) if issuer.trim_end_matches('/') == authority => None,
        Some(issuer) => Some(format!(
            "the discovery document's issuer \"{}\" differs from the authority \"{authority}\"; \
             IdentityServer3 deployments often configure another issuer, so this is reported, not refused",
            printable(issuer)
        )),
        None => Some("the discovery document names no issuer".to_string()),
    };
    Ok(Discovery {
        token,
        revocation: endpoint("revocation_endpoint")?,
        introspection: endpoint("introspection_endpoint")?,
        userinfo: endpoint("userinfo_endpoint")?,
        issuer,
        warning,
        document,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use zeroize::Zeroizing;

    fn doc(json: &str) -> Claims {
        Claims::parse(Zeroizing::new(json.to_string())).unwrap()
    }

    #[test]
    fn rfc8414_inserts_the_well_known_segment_before_the_path() {
        let with_path = Endpoint::parse("authority", "https://id.example/core", false).unwrap();
        assert_eq!(rfc8414_url(&with_path).unwrap(), "https://id.example/.well-known/oauth-authorization-server/core");
        let root = Endpoint::parse("authority", "https://id.example:8443", false).unwrap();
        assert_eq!(rfc8414_url(&root).unwrap(), "https://id.example:8443/.well-known/oauth-authorization-server");
    }

    #[test]
    fn issuer_mismatch_is_reported_not_refused() {
        let same = from_document(
            doc(r#"{"issuer":"https://id.example/core/","token_endpoint":"https://id.example/core/connect/token"}"#),
            "https://id.example/core",
            false,
        )
        .unwrap();
        assert_eq!(same.warning(), None);
        let other = from_document(
            doc(r#"{"issuer":"https://elsewhere/core","token_endpoint":"https://id.example/core/connect/token"}"#),
            "https://id.example/core",
            false,
        )
        .unwrap();
        assert!(other.warning().unwrap().contains("https://elsewhere/core"));
        assert_eq!(other.issuer(), Some("https://elsewhere/core"));
    }

    #[test]
    fn the_cache_is_bounded_dropping_expired_then_oldest_entries() {
        let found = Arc::new(
            from_document(doc(r#"{"token_endpoint":"https://id.example/t"}"#), "https://id.example", false).unwrap(),
        );
        // "Now" lies two TTLs ahead, so that entries can be made any age up to that without going
        // back before the machine's boot (where Instant cannot go).
        let now = Instant::now() + 2 * DISCOVERY_TTL;
        let entry = |key: &str, age: Duration| CacheEntry { key: key.to_string(), fetched: now - age, found: Arc::clone(&found) };
        let mut entries = Vec::new();
        store(&mut entries, entry("expired", DISCOVERY_TTL + Duration::from_secs(1)), now);
        store(&mut entries, entry("old", Duration::from_secs(600)), now);
        for i in 0..MAX_CACHED_DOCUMENTS - 2 {
            store(&mut entries, entry(&format!("k{i}"), Duration::from_secs(60)), now);
        }
        assert!(!entries.iter().any(|e| e.key == "expired"), "expired entries go first");
        assert_eq!(entries.len(), MAX_CACHED_DOCUMENTS - 1);
        store(&mut entries, entry("full", Duration::ZERO), now);
        assert_eq!(entries.len(), MAX_CACHED_DOCUMENTS);
        store(&mut entries, entry("one more", Duration::ZERO), now);
        assert_eq!(entries.len(), MAX_CACHED_DOCUMENTS, "bounded");
        assert!(!entries.iter().any(|e| e.key == "old"), "then the oldest");
        store(&mut entries, entry("k0", Duration::ZERO), now);
        assert_eq!(entries.len(), MAX_CACHED_DOCUMENTS, "a key already cached is replaced in place");
    }

    #[test]
    fn endpoints_follow_the_same_rules_as_every_url() {
        let err = from_document(
            doc(r#"{"issuer":"x","token_endpoint":"http://id.example/core/connect/token"}"#),
            "https://id.example/core",
            false,
        )
        .unwrap_err();
        assert!(err.message().starts_with("token_endpoint (from discovery)"), "{}", err.message());
        let err = from_document(doc(r#"{"issuer":"x"}"#), "https://id.example/core", false).unwrap_err();
        assert!(err.message().contains("no token_endpoint"));
    }
}
