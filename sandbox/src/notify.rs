//! The notification sender (PROTOCOL.md 4, policy 10 and 18): signed POSTs to the merchant's
//! Notification URL, retried on a non-2xx answer or a connection error at 30 min, 6 h and
//! 12 h after the first attempt (divided by `time_scale`), always with the same Request-Id
//! and a fresh timestamp and signature.
//!
//! Each notification is delivered by a task of its own on the sandbox's runtime, so a merchant
//! that stalls delays nobody else, and every attempt is cut at [`policy::NOTIFY_TIMEOUT`]. The
//! request goes out through hyper with title-case header names (`Client-Id`, `Signature`, ...):
//! DOKU's PHP handlers read `getallheaders()` by exact name.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper::header::{HeaderValue, CONTENT_TYPE, HOST, USER_AGENT};
use hyper::Uri;
use hyper_util::rt::TokioIo;
use serde::Serialize;
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::runtime::Handle;
use tokio_rustls::rustls::{self, pki_types::ServerName};

use doku::clock::format_timestamp;
use doku::signature::{Component, SigningKey};

use super::policy;
use super::sync::{lock, wait_until};
use super::time::scaled_millis;
use super::Logger;
use doku::Clock;

/// One delivery attempt, as listed by `GET /_sandbox/notifications`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NotificationAttempt {
    pub client_id: String,
    pub invoice_number: String,
    /// `transaction.status` in the notification body (SUCCESS or FAILED).
    pub transaction_status: String,
    /// Where it was sent (empty when the merchant has no notification URL), with any
    /// `user:password@` shown as `***@`.
    pub url: String,
    /// The notification's Request-Id: the same on every attempt.
    pub request_id: String,
    /// 1 for the first attempt, 2 to 4 for the retries.
    pub attempt: u32,
    /// The merchant's HTTP status, when it answered.
    pub status: Option<u16>,
    /// Why the attempt failed without an HTTP answer.
    pub error: Option<String>,
    /// When the attempt was made (`2020-08-11T08:45:42Z`).
    pub time: String,
    /// True when the merchant answered 2xx.
    pub delivered: bool,
    /// True when another attempt is scheduled.
    pub will_retry: bool,
    /// From sending the request to the merchant's answer (or the failure), in ms.
    pub latency_ms: Option<u64>,
    /// The first bytes of the merchant's answer body ([`policy::ANSWER_SNIPPET_BYTES`]),
    /// as text (invalid UTF-8 and control characters replaced).
    pub answer: Option<String>,
}

impl NotificationAttempt {
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// What to send, shared by every attempt of one notification.
pub(crate) struct Delivery {
    pub client_id: String,
    pub key: SigningKey,
    pub request_id: String,
    pub url: String,
    /// The Request-Target: the path of the merchant's configured Notification URL.
    pub path: String,
    pub body: Vec<u8>,
    pub invoice_number: String,
    pub transaction_status: String,
    /// The answers to attempts 1..=drop_first are discarded (the drop scenario).
    pub drop_first: u32,
}

struct Inner {
    /// The newest [`policy::NOTIFICATION_LOG_LIMIT`] attempts.
    log: Mutex<VecDeque<NotificationAttempt>>,
    log_cv: Condvar,
    clock: Arc<dyn Clock>,
    time_scale: f64,
    logger: Option<Logger>,
    stopped: AtomicBool,
    tls: OnceLock<Result<tokio_rustls::TlsConnector, String>>,
}

/// The background sender.
pub(crate) struct Notifier {
    inner: Arc<Inner>,
    rt: Handle,
}

impl Notifier {
    /// A sender whose deliveries run on `rt` (they end when it shuts down).
    pub fn start(
        rt: Handle,
        clock: Arc<dyn Clock>,
        time_scale: f64,
        logger: Option<Logger>,
    ) -> Notifier {
        let inner = Arc::new(Inner {
            log: Mutex::new(VecDeque::new()),
            log_cv: Condvar::new(),
            clock,
            time_scale,
            logger,
            stopped: AtomicBool::new(false),
            tls: OnceLock::new(),
        });
        Notifier { inner, rt }
    }

    /// Sends `delivery` now, and retries it as needed, on a task of its own.
    pub fn enqueue(&self, delivery: Delivery) {
        if self.inner.stopped.load(Ordering::SeqCst) {
            return;
        }
        // A resent notification continues the attempt numbers of its Request-Id.
        let first_attempt = lock(&self.inner.log)
            .iter()
            .filter(|a| a.request_id == delivery.request_id && a.client_id == delivery.client_id)
            .map(|a| a.attempt)
            .max()
            .unwrap_or(0)
            + 1;
        let inner = self.inner.clone();
        self.rt.spawn(deliver_all(inner, delivery, first_attempt));
    }

    /// Records a notification that could not be sent at all (no URL configured).
    pub fn record_unsent(&self, attempt: NotificationAttempt) {
        self.inner.record(attempt);
    }

    /// The attempts kept (the newest [`policy::NOTIFICATION_LOG_LIMIT`]), oldest first.
    pub fn attempts(&self) -> Vec<NotificationAttempt> {
        lock(&self.inner.log).iter().cloned().collect()
    }

    /// Waits until `done(attempts)` holds or `timeout` passes; returns the attempts then.
    pub fn wait_for(
        &self,
        done: &dyn Fn(&[NotificationAttempt]) -> bool,
        timeout: Duration,
    ) -> Vec<NotificationAttempt> {
        let log = wait_until(&self.inner.log, &self.inner.log_cv, timeout, |log| {
            done(log.make_contiguous())
        });
        log.iter().cloned().collect()
    }

    /// Stops delivering: no new attempt starts; pending retries are dropped when the
    /// runtime ends (with the server).
    pub fn stop(&self) {
        self.inner.stopped.store(true, Ordering::SeqCst);
    }
}

impl Inner {
    fn record(&self, attempt: NotificationAttempt) {
        if let Some(log) = &self.logger {
            log(&format!(
                "notify {} attempt {} request_id={} -> {}",
                if attempt.url.is_empty() {
                    "(no URL)"
                } else {
                    &attempt.url
                },
                attempt.attempt,
                attempt.request_id,
                match (attempt.status, &attempt.error) {
                    (Some(s), _) => s.to_string(),
                    (None, Some(e)) => e.clone(),
                    (None, None) => "-".into(),
                }
            ));
        }
        let mut log = lock(&self.log);
        if log.len() >= policy::NOTIFICATION_LOG_LIMIT {
            log.pop_front();
        }
        log.push_back(attempt);
        drop(log);
        self.log_cv.notify_all();
    }

    fn stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }

    /// Waits until the (possibly injected) clock reaches `due_ms`; false when stopping.
    async fn wait_until(&self, due_ms: i64) -> bool {
        loop {
            if self.stopped() {
                return false;
            }
            let now = self.clock.now_millis();
            if now >= due_ms {
                return true;
            }
            // An injected clock may move by itself: look again at least every POLL_INTERVAL.
            let wait = Duration::from_millis((due_ms - now) as u64).min(policy::POLL_INTERVAL);
            tokio::time::sleep(wait).await;
        }
    }

    /// One attempt: signs with a fresh timestamp and POSTs, within NOTIFY_TIMEOUT.
    async fn attempt(&self, d: &Delivery) -> (Result<(u16, Vec<u8>), String>, Duration) {
        let started = std::time::Instant::now();
        let result = self.attempt_once(d).await;
        (result, started.elapsed())
    }

    async fn attempt_once(&self, d: &Delivery) -> Result<(u16, Vec<u8>), String> {
        let ts = format_timestamp(self.clock.now_unix());
        let component =
            Component::request(&d.client_id, &d.request_id, &ts, &d.path, Some(&d.body));
        let signature = d
            .key
            .sign(&component)
            .map_err(|e| format!("cannot sign: {e}"))?;
        let sent = tokio::time::timeout(policy::NOTIFY_TIMEOUT, self.post(d, &ts, &signature));
        sent.await
            .map_err(|_| format!("no answer within {} s", policy::NOTIFY_TIMEOUT.as_secs()))?
    }

    async fn post(
        &self,
        d: &Delivery,
        ts: &str,
        signature: &str,
    ) -> Result<(u16, Vec<u8>), String> {
        let uri: Uri = d
            .url
            .parse()
            .map_err(|e| format!("bad notification URL: {e}"))?;
        let https = match uri.scheme_str() {
            Some("http") => false,
            Some("https") => true,
            _ => return Err("the notification URL must be http:// or https://".into()),
        };
        let authority = uri
            .authority()
            .ok_or("the notification URL has no host")?
            .clone();
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']');
        let port = authority.port_u16().unwrap_or(if https { 443 } else { 80 });
        let target = uri.path_and_query().map_or("/", |pq| pq.as_str());
        let request = hyper::Request::post(target)
            .header(HOST, authority.as_str())
            .header(
                USER_AGENT,
                concat!("doku-sandbox/", env!("CARGO_PKG_VERSION")),
            )
            .header("Client-Id", &d.client_id)
            .header("Request-Id", &d.request_id)
            .header("Request-Timestamp", ts)
            .header("Signature", signature)
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .body(Full::new(Bytes::from(d.body.clone())))
            .map_err(|e| format!("cannot build the request: {e}"))?;
        let tcp = tokio::time::timeout(
            policy::NOTIFY_CONNECT_TIMEOUT,
            TcpStream::connect((host, port)),
        )
        .await
        .map_err(|_| {
            format!(
                "cannot connect to {authority} within {} s",
                policy::NOTIFY_CONNECT_TIMEOUT.as_secs()
            )
        })?
        .map_err(|e| format!("cannot connect to {authority}: {e}"))?;
        let _ = tcp.set_nodelay(true);
        if !https {
            return exchange(tcp, request).await;
        }
        let connector = self
            .tls
            .get_or_init(tls_connector)
            .clone()
            .map_err(|e| format!("TLS is unavailable: {e}"))?;
        let name = ServerName::try_from(host.to_string())
            .map_err(|e| format!("bad TLS server name {host}: {e}"))?;
        let tls = connector
            .connect(name, tcp)
            .await
            .map_err(|e| format!("TLS handshake with {authority} failed: {e}"))?;
        exchange(tls, request).await
    }
}

/// A rustls client with the webpki roots and the ring provider (as ureq uses).
fn tls_connector() -> Result<tokio_rustls::TlsConnector, String> {
    let roots = rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| e.to_string())?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
}

/// Sends one request on a fresh HTTP/1.1 connection (title-case names) and returns the
/// status and the first bytes of the answer; reads at most 64 KiB of it.
async fn exchange<S>(io: S, request: hyper::Request<Full<Bytes>>) -> Result<(u16, Vec<u8>), String>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::Builder::new()
        .title_case_headers(true)
        .handshake(TokioIo::new(io))
        .await
        .map_err(|e| format!("HTTP handshake failed: {e}"))?;
    let conn = tokio::spawn(conn);
    let result = async {
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| format!("no HTTP answer: {e}"))?;
        let status = response.status().as_u16();
        let mut first = match Limited::new(response.into_body(), 64 * 1024)
            .collect()
            .await
        {
            Ok(body) => body.to_bytes().to_vec(),
            Err(_) => Vec::new(),
        };
        first.truncate(policy::ANSWER_SNIPPET_BYTES);
        Ok((status, first))
    }
    .await;
    conn.abort();
    result
}

/// Delivers one notification: the first attempt now, retries on DOKU's schedule, counted
/// from the first attempt (so a slow attempt does not push the later ones out). A resent
/// notification starts at `first_attempt` with a schedule of its own.
async fn deliver_all(inner: Arc<Inner>, d: Delivery, first_attempt: u32) {
    let first = inner.clock.now_millis();
    let mut due = first;
    let mut attempt = first_attempt;
    loop {
        if !inner.wait_until(due).await {
            return;
        }
        let started = inner.clock.now_millis();
        let (result, latency) = inner.attempt(&d).await;
        let (status, answer, mut error) = match result {
            Ok((status, answer)) => (Some(status), Some(snippet(&answer)), None),
            Err(e) => (None, None, Some(e)),
        };
        let mut delivered = status.is_some_and(|s| (200..300).contains(&s));
        if attempt <= d.drop_first && status.is_some() {
            delivered = false;
            error = Some(format!(
                "sandbox scenario drop-notifications-{}: this answer was dropped as if the \
                 connection broke; DOKU retries with the same Request-Id",
                d.drop_first
            ));
        }
        let retry_at = (!delivered)
            .then(|| policy::NOTIFY_RETRY_OFFSETS_SECS.get((attempt - first_attempt) as usize))
            .flatten()
            .map(|&secs| first + scaled_millis(secs, inner.time_scale));
        inner.record(NotificationAttempt {
            client_id: d.client_id.clone(),
            invoice_number: d.invoice_number.clone(),
            transaction_status: d.transaction_status.clone(),
            url: redact_userinfo(&d.url),
            request_id: d.request_id.clone(),
            attempt,
            status,
            error,
            time: format_timestamp(started.div_euclid(1000)),
            delivered,
            will_retry: retry_at.is_some(),
            latency_ms: Some(u64::try_from(latency.as_millis()).unwrap_or(u64::MAX)),
            answer,
        });
        match retry_at {
            Some(at) => {
                attempt += 1;
                due = at;
            }
            None => return,
        }
    }
}

/// The first bytes of an answer as text: invalid UTF-8 becomes U+FFFD and control characters
/// (but tab and newline) become U+FFFD too, so a log line or a terminal cannot be driven by
/// them. HTML escaping is the page's job.
pub(crate) fn snippet(bytes: &[u8]) -> String {
    let cut = &bytes[..bytes.len().min(policy::ANSWER_SNIPPET_BYTES)];
    String::from_utf8_lossy(cut)
        .chars()
        .map(|c| {
            if c.is_control() && c != '\n' && c != '\t' {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect()
}

/// `scheme://user:password@host/...` shown as `scheme://***@host/...`: a notification URL
/// may carry credentials, which are never shown.
pub(crate) fn redact_userinfo(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://***@{}", &rest[at + 1..]),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_and_redaction() {
        assert_eq!(
            snippet(b"ok\x1b[31m\x00\xff<b>"),
            "ok\u{FFFD}[31m\u{FFFD}\u{FFFD}<b>"
        );
        assert_eq!(snippet(&[b'a'; 1000]).len(), policy::ANSWER_SNIPPET_BYTES);
        assert_eq!(
            redact_userinfo("https://u:p@m.example:8443/n?x=@"),
            "https://***@m.example:8443/n?x=@"
        );
        assert_eq!(redact_userinfo("http://m/n@x"), "http://m/n@x");
        assert_eq!(redact_userinfo(""), "");
    }
}
