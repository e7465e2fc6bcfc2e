//! Host name resolution for the connection pool.
//!
//! ureq resolves the host before it looks for a pooled connection, on every request, and with a
//! timeout configured its default resolver spawns a thread per lookup, even for an IP address. On a
//! kept-alive connection that was most of the cost of a request. This resolver answers IP addresses
//! directly and keeps each host's addresses for a short while, so a request on a pooled connection
//! costs no lookup at all; a new connection still uses fresh enough addresses.

use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

/// How long resolved addresses are reused. Short, so that DNS changes (fail-over) are seen quickly.
const ADDRESS_TTL: Duration = Duration::from_secs(30);

#[derive(Debug, Default)]
pub(crate) struct CachingResolver {
    inner: DefaultResolver,
    cache: Mutex<Vec<CachedAddresses>>,
}

#[derive(Debug)]
struct CachedAddresses {
    host_and_port: String,
    addresses: ResolvedSocketAddrs,
    resolved_at: Instant,
}

impl Resolver for CachingResolver {
    fn resolve(&self, uri: &Uri, config: &Config, timeout: NextTimeout) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let (Some(scheme), Some(authority)) = (uri.scheme(), uri.authority()) else {
            return self.inner.resolve(uri, config, timeout);
        };
        let Some(port) = authority.port_u16().or(match scheme.as_str() {
            "https" => Some(443),
            "http" => Some(80),
            _ => None,
        }) else {
            return self.inner.resolve(uri, config, timeout);
        };
        let host = authority.host().trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = host.parse::<IpAddr>() {
            let mut addresses = self.empty();
            addresses.push(SocketAddr::new(ip, port));
            return Ok(addresses);
        }

        let host_and_port = format!("{host}:{port}");
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        cache.retain(|entry| entry.resolved_at.elapsed() < ADDRESS_TTL);
        if let Some(entry) = cache.iter().find(|entry| entry.host_and_port == host_and_port) {
            return Ok(entry.addresses.clone());
        }
        // Not held during the lookup, which may take up to the connect timeout.
        drop(cache);
        let addresses = self.inner.resolve(uri, config, timeout)?;
        let entry = CachedAddresses { host_and_port, addresses: addresses.clone(), resolved_at: Instant::now() };
        self.cache.lock().unwrap_or_else(|e| e.into_inner()).push(entry);
        Ok(addresses)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ureq::unversioned::transport::time::Duration as NextDuration;

    fn resolve(resolver: &CachingResolver, url: &str) -> Vec<SocketAddr> {
        let config = Config::default();
        let timeout = NextTimeout { after: NextDuration::from_secs(5), reason: ureq::Timeout::Resolve, ..Default::default() };
        resolver.resolve(&url.parse().unwrap(), &config, timeout).unwrap().iter().copied().collect()
    }

    #[test]
    fn ip_addresses_need_no_lookup() {
        let resolver = CachingResolver::default();
        assert_eq!(resolve(&resolver, "https://127.0.0.1:8443/t"), ["127.0.0.1:8443".parse().unwrap()]);
        assert_eq!(resolve(&resolver, "http://[::1]/t"), ["[::1]:80".parse().unwrap()]);
        assert!(resolver.cache.lock().unwrap().is_empty());
    }

    #[test]
    fn host_names_are_looked_up_once_per_ttl() {
        let resolver = CachingResolver::default();
        let first = resolve(&resolver, "http://localhost:8080/t");
        assert!(first.iter().all(|a| a.ip().is_loopback() && a.port() == 8080), "{first:?}");
        assert_eq!(resolve(&resolver, "http://localhost:8080/other"), first);
        assert_eq!(resolver.cache.lock().unwrap().len(), 1, "the second request reused the lookup");
        resolve(&resolver, "https://localhost/t");
        assert_eq!(resolver.cache.lock().unwrap().len(), 2, "another port is another entry");
    }
}
