//! Name resolution for the client's agent. ureq's default resolver runs each lookup on a
//! new thread whenever a timeout is set (so that it can give up on a slow DNS server), and
//! it resolves before looking for a pooled connection: every request paid a thread, even
//! to an IP address. This resolver answers IP literals directly and keeps a host's
//! addresses for [`TTL`], asking the default resolver (with its timeout) when they are
//! older. A connection that fails to an address is the connector's error, as before.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

/// How long resolved addresses are reused: short enough to follow a DNS change of DOKU's
/// hosts within a minute, long enough that a busy gateway resolves twice a minute at most.
pub const TTL: Duration = Duration::from_secs(30);

/// `host:port` -> when it was resolved, and its addresses.
type Cache = Arc<Mutex<HashMap<String, (Instant, Vec<SocketAddr>)>>>;

#[derive(Debug, Default)]
pub(crate) struct CachingResolver {
    inner: DefaultResolver,
    cache: Cache,
}

impl CachingResolver {
    fn answer(&self, addrs: &[SocketAddr]) -> ResolvedSocketAddrs {
        let mut out = self.empty();
        // ureq keeps at most 16 addresses (its MAX_ADDRS); more would overflow the array.
        for a in addrs.iter().take(16) {
            out.push(*a);
        }
        out
    }
}

impl Resolver for CachingResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let key = match (uri.scheme(), uri.authority()) {
            (Some(s), Some(a)) => DefaultResolver::host_and_port(s, a),
            _ => None,
        };
        let Some(key) = key else {
            return self.inner.resolve(uri, config, timeout);
        };
        if let Ok(literal) = key.parse::<SocketAddr>() {
            return Ok(self.answer(&[literal]));
        }
        let now = Instant::now();
        let cached = self
            .cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
            .filter(|(at, _)| now.duration_since(*at) < TTL)
            .map(|(_, addrs)| addrs.clone());
        if let Some(addrs) = cached {
            return Ok(self.answer(&addrs));
        }
        let fresh = self.inner.resolve(uri, config, timeout)?;
        self.cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key, (now, fresh.iter().copied().collect()));
        Ok(fresh)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpListener;

    /// A server answering 200 to every request, one per connection.
    fn server() -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for mut s in listener.incoming().flatten() {
                let mut buf = [0u8; 1024];
                let _ = s.read(&mut buf);
                let _ = s.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
            }
        });
        port
    }

    #[test]
    fn literals_are_answered_directly_and_a_host_is_looked_up_once_per_ttl() {
        let port = server();
        let resolver = CachingResolver::default();
        let cache = resolver.cache.clone();
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(10)))
            .build();
        let agent = ureq::Agent::with_parts(
            config,
            ureq::unversioned::transport::DefaultConnector::new(),
            resolver,
        );
        let get = |url: String| agent.get(&url).call().unwrap().status().as_u16();
        assert_eq!(get(format!("http://127.0.0.1:{port}/")), 200);
        assert!(
            cache.lock().unwrap().is_empty(),
            "a literal needs no lookup"
        );
        assert_eq!(get(format!("http://localhost:{port}/")), 200);
        assert_eq!(get(format!("http://localhost:{port}/again")), 200);
        let cache = cache.lock().unwrap();
        assert_eq!(cache.len(), 1, "{cache:?}");
        assert!(cache.contains_key(&format!("localhost:{port}")));
    }
}
