//! The HTTP client: validated, signed requests to DOKU with bounded retries and response
//! signature verification.
//!
//! One `ureq::Agent` per client (connection reuse); the constructor does no I/O. A request
//! body is serialised once; those exact bytes are hashed, signed and sent. Retries happen
//! only on connect errors, timeouts, broken connections and 5xx, with exponential backoff
//! and jitter ([`retry_delay`]), and always with the same Request-Id, so DOKU's idempotency (409 + original
//! body) makes a retry safe. A 409 is returned as the original response, flagged `replay`.

use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::channel::{self, Method};
use crate::clock::{self, Clock, RequestIds, SystemClock, UuidV4};
use crate::config::{Config, LogEvent, ResponseSignaturePolicy};
use crate::error::{Error, ErrorKind, Result};
use crate::signature::{Component, MAX_BODY_BYTES};
use crate::validate;

/// Per-request choices. The Request-Id and timestamp are generated when `None`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestOptions {
    /// The Request-Id (DOKU's idempotency key), at most 128 characters. Reuse the same id
    /// to retry a request whose outcome you do not know.
    pub request_id: Option<String>,
    /// The Request-Timestamp, `2020-08-11T08:45:42Z`.
    pub timestamp: Option<String>,
    /// Lets another thread stop the call between attempts (see [`Cancel`]).
    pub cancel: Cancel,
}

/// Stops a call between attempts: a binding sets it when its caller gives up (Python's
/// Ctrl-C). An attempt already on the wire runs to its own time limit; no further attempt
/// or backoff wait starts, and the call fails with `timeout` (outcome unknown).
#[derive(Clone, Debug, Default)]
pub struct Cancel(Arc<std::sync::atomic::AtomicBool>);

impl Cancel {
    pub fn cancel(&self) {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// Two options are equal whatever their cancel handles: a handle is not a choice.
impl PartialEq for Cancel {
    fn eq(&self, _: &Cancel) -> bool {
        true
    }
}

impl Eq for Cancel {}

impl RequestOptions {
    /// Parses `{"request_id": "...", "timestamp": "..."}` (both optional).
    pub fn from_json(json: &str) -> Result<Self> {
        let v = validate::parse_json(json.as_bytes(), "options")?;
        let Some(obj) = v.as_object() else {
            return Err(Error::invalid_input(
                "options",
                "options must be a JSON object",
            ));
        };
        let mut o = RequestOptions::default();
        for (k, v) in obj {
            let slot = match k.as_str() {
                "request_id" => &mut o.request_id,
                "timestamp" => &mut o.timestamp,
                _ => {
                    return Err(Error::invalid_input(
                        format!("options.{k}"),
                        format!("unknown option {k:?}; known options: request_id, timestamp"),
                    ))
                }
            };
            match v {
                Value::Null => {}
                Value::String(s) => *slot = Some(s.clone()),
                _ => {
                    return Err(Error::invalid_input(
                        format!("options.{k}"),
                        format!("options.{k} must be a string"),
                    ))
                }
            }
        }
        Ok(o)
    }
}

/// A successful DOKU answer (2xx, or a 409 replay of the original answer).
#[derive(Clone, Debug, PartialEq)]
pub struct Response {
    pub status: u16,
    /// The Request-Id that was sent (and that DOKU echoes).
    pub request_id: String,
    pub response_timestamp: Option<String>,
    /// True when DOKU answered 409: this is the original response to an earlier request
    /// with the same Request-Id and body, not a new transaction.
    pub replay: bool,
    /// True when DOKU's response signature was present and verified.
    pub signature_verified: bool,
    /// Which key verified it: 0 for the current secret key, 1 for the first of
    /// `previous_secret_keys`, ...; `None` when it was not verified.
    pub key_index: Option<usize>,
    pub body: Value,
}

impl Response {
    /// `{"status", "request_id", "response_timestamp", "replay", "signature_verified",
    /// "key_index", "body"}`.
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "status": self.status,
            "request_id": self.request_id,
            "response_timestamp": self.response_timestamp,
            "replay": self.replay,
            "signature_verified": self.signature_verified,
            "key_index": self.key_index,
            "body": self.body,
        })
    }
}

/// A DOKU client. Thread-safe (`Send + Sync`); share one per merchant account.
#[derive(Clone)]
pub struct Client {
    config: Config,
    agent: ureq::Agent,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn RequestIds>,
    /// DOKU's clock minus ours, in seconds, from the last answer that carried a time
    /// ([`NOT_MEASURED`] until then). Shared by clones.
    skew: Arc<AtomicI64>,
}

/// The skew's value before any answer carried a time.
const NOT_MEASURED: i64 = i64::MIN;

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Builds a client; no network I/O happens here.
    pub fn new(config: Config) -> Result<Self> {
        Client::with_sources(config, Arc::new(SystemClock), Arc::new(UuidV4))
    }

    /// Builds a client with an injected clock and Request-Id source (deterministic tests).
    pub fn with_sources(
        config: Config,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn RequestIds>,
    ) -> Result<Self> {
        let proxy = match &config.proxy {
            Some(p) => Some(ureq::Proxy::new(p).map_err(|_| {
                Error::config("proxy", "proxy must be a URL like http://host:3128")
            })?),
            None => None,
        };
        let agent_config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(config.connect_timeout))
            .timeout_global(Some(config.timeout))
            .max_redirects(0)
            .proxy(proxy)
            .user_agent(concat!("doku-direct/", env!("CARGO_PKG_VERSION")))
            .build();
        let agent = ureq::Agent::with_parts(
            agent_config,
            ureq::unversioned::transport::DefaultConnector::new(),
            crate::resolver::CachingResolver::default(),
        );
        Ok(Client {
            config,
            agent,
            clock,
            ids,
            skew: Arc::new(AtomicI64::new(NOT_MEASURED)),
        })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// How far DOKU's clock is ahead of this machine's, in seconds (negative: behind),
    /// measured from the `Response-Timestamp` (else the `Date`) of the last answer; `None`
    /// until an answer carried one. DOKU refuses requests whose timestamp is too far from
    /// its own time; see [`Config::correct_clock_skew`].
    pub fn clock_skew(&self) -> Option<i64> {
        match self.skew.load(Ordering::Relaxed) {
            NOT_MEASURED => None,
            secs => Some(secs),
        }
    }

    /// Records the skew from an answer's time headers, if it has any usable one.
    fn measure_skew(&self, raw: &RawResponse) {
        let server = raw
            .response_timestamp
            .as_deref()
            .and_then(|ts| clock::parse_timestamp(ts, "Response-Timestamp").ok())
            .or_else(|| raw.date.as_deref().and_then(clock::parse_http_date));
        if let Some(server) = server {
            let skew = server.saturating_sub(self.clock.now_unix());
            if skew != NOT_MEASURED {
                self.skew.store(skew, Ordering::Relaxed);
            }
        }
    }

    /// The Request-Timestamp for an attempt: the caller's, or now (corrected by the
    /// measured skew when the configuration asks for it).
    fn timestamp_for(&self, opts: &RequestOptions) -> String {
        if let Some(ts) = &opts.timestamp {
            return ts.clone();
        }
        let correction = match self.clock_skew() {
            Some(skew) if self.config.correct_clock_skew => skew,
            _ => 0,
        };
        clock::format_timestamp(self.clock.now_unix().saturating_add(correction))
    }

    /// Alfa Group payment code (DGPC, or MGPC with `online_to_offline_info.payment_code`).
    pub fn alfa_payment_code(&self, body: &Value, opts: &RequestOptions) -> Result<Response> {
        self.call_value(channel::ALFA_PAYMENT_CODE, body, opts)
    }

    /// Indomaret payment code.
    pub fn indomaret_payment_code(&self, body: &Value, opts: &RequestOptions) -> Result<Response> {
        self.call_value(channel::INDOMARET_PAYMENT_CODE, body, opts)
    }

    /// Indodana generate order.
    pub fn indodana_generate_order(&self, body: &Value, opts: &RequestOptions) -> Result<Response> {
        self.call_value(channel::INDODANA_GENERATE_ORDER, body, opts)
    }

    /// Check status by invoice number or original Request-Id (GET, signed without Digest).
    pub fn check_status(&self, id: &str, opts: &RequestOptions) -> Result<Response> {
        validate::check_status_id(id)?;
        let op = self.config.operations.get(channel::CHECK_STATUS)?;
        let path = op.path.replace("{id}", &channel::encode_path_segment(id));
        self.send(Method::Get, &path, None, opts)
    }

    /// Calls operation `name` with a JSON body given as bytes. The body is validated and
    /// then sent exactly as given (so the signature covers the caller's bytes). For a GET
    /// operation (`check_status`) the input is `{"id": "..."}`.
    pub fn call(&self, name: &str, body: &[u8], opts: &RequestOptions) -> Result<Response> {
        let (op, value) = self.config.operations.check_request(name, body)?;
        match op.method {
            Method::Get => self.check_status(value["id"].as_str().unwrap_or_default(), opts),
            Method::Post => self.send(Method::Post, &op.path, Some(body), opts),
        }
    }

    /// Like [`Client::call`] for a body you hold as a `serde_json::Value`: it is
    /// validated, serialised once, and those bytes are signed and sent.
    pub fn call_value(&self, name: &str, body: &Value, opts: &RequestOptions) -> Result<Response> {
        let op = self.config.operations.get(name)?;
        if op.method == Method::Get {
            return Err(Error::invalid_input(
                "operation",
                format!("{name} is a GET operation; use check_status"),
            ));
        }
        self.config.operations.check_value(op, body)?;
        let bytes = serde_json::to_vec(body)
            .map_err(|e| Error::invalid_input("request", format!("cannot serialise: {e}")))?;
        self.send(Method::Post, &op.path, Some(&bytes), opts)
    }

    /// A signed request to any Non-SNAP path (PROTOCOL.md 3: other VA banks, e-wallets,
    /// checkout). A POST body must be JSON and is sent as given; it is not validated
    /// against field rules. GET takes no body.
    pub fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<&[u8]>,
        opts: &RequestOptions,
    ) -> Result<Response> {
        crate::signature::check_request_target(path, "path")?;
        match (method, body) {
            (Method::Get, Some(_)) => Err(Error::invalid_input(
                "body",
                "a GET request carries no body (its signature has no Digest line)",
            )),
            (Method::Post, None) => Err(Error::invalid_input(
                "body",
                "a POST request needs a JSON body",
            )),
            (Method::Post, Some(b)) => {
                validate::parse_json(b, "body")?;
                self.send(method, path, body, opts)
            }
            (Method::Get, None) => self.send(method, path, None, opts),
        }
    }

    fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&[u8]>,
        opts: &RequestOptions,
    ) -> Result<Response> {
        let request_id = match &opts.request_id {
            Some(id) => {
                check_request_id(id)?;
                id.clone()
            }
            None => self.ids.next_id(),
        };
        if let Some(ts) = &opts.timestamp {
            clock::parse_timestamp(ts, "timestamp")?;
        }
        let url = format!("{}{}", self.config.base_url, path);
        let log = |event: LogEvent<'_>| {
            if let Some(hook) = &self.config.log {
                hook(&event);
            }
        };
        // One deadline over every attempt and backoff wait; each attempt gets what is left
        // of it, at most `timeout`.
        let now = Instant::now();
        let deadline = now
            .checked_add(self.config.deadline)
            .unwrap_or(now + Duration::from_secs(86_400));
        let mut attempt: u32 = 0;
        let mut resent_for_skew = false;
        loop {
            let limits = Limits::for_attempt(&self.config, deadline);
            let timestamp = self.timestamp_for(opts);
            let component =
                Component::request(&self.config.client_id, &request_id, &timestamp, path, body);
            let signature = self.config.key.sign(&component)?;
            log(LogEvent::Attempt {
                method: method.as_str(),
                path,
                request_id: &request_id,
                attempt: attempt + 1,
            });
            let started = Instant::now();
            let outcome = self.attempt(
                method,
                &url,
                body,
                (&request_id, &timestamp, &signature),
                &limits,
            );
            if let Ok(raw) = &outcome {
                log(LogEvent::Answer {
                    request_id: &request_id,
                    attempt: attempt + 1,
                    status: raw.status,
                    elapsed: started.elapsed(),
                });
                self.measure_skew(raw);
                // DOKU refused the timestamp and did nothing else: with correction on, the
                // measured skew now fixes it; send once more (same Request-Id, no wait).
                if self.config.correct_clock_skew
                    && !resent_for_skew
                    && opts.timestamp.is_none()
                    && self.clock_skew().is_some()
                    && is_timestamp_refusal(raw.status, &raw.body)
                {
                    resent_for_skew = true;
                    continue;
                }
            }
            let retryable = match &outcome {
                Ok(raw) => raw.status >= 500,
                Err(e) => is_retryable(e),
            };
            // Another attempt only for a retryable outcome, while retries and the caller's
            // patience last, and when the deadline leaves it time after the wait.
            let delay = (retryable && attempt < self.config.retries && !opts.cancel.is_cancelled())
                .then(|| self.backoff(attempt))
                .filter(|delay| {
                    deadline
                        .checked_duration_since(Instant::now())
                        .is_some_and(|left| left > *delay)
                });
            let Some(delay) = delay else {
                return match outcome {
                    Ok(raw) => self.finish(raw, &request_id, path),
                    Err(e) => Err(transport_error(e, &request_id, &limits)),
                };
            };
            log(LogEvent::Retry {
                request_id: &request_id,
                attempt: attempt + 1,
                reason: match &outcome {
                    Ok(raw) => format!("HTTP {}", raw.status),
                    Err(e) => wire_text(&e.to_string(), MAX_WIRE_TEXT_CHARS),
                },
                delay,
            });
            self.config.sleeper.sleep(delay);
            if opts.cancel.is_cancelled() {
                return Err(Error::new(
                    ErrorKind::Timeout,
                    "the call was cancelled between attempts: the outcome of the earlier \
                     attempts is unknown; call check_status, or retry with the same Request-Id",
                )
                .with_request_id(&request_id));
            }
            attempt += 1;
        }
    }

    fn attempt(
        &self,
        method: Method,
        url: &str,
        body: Option<&[u8]>,
        (request_id, timestamp, signature): (&str, &str, &str),
        limits: &Limits,
    ) -> std::result::Result<RawResponse, ureq::Error> {
        let mut resp = match (method, body) {
            (Method::Post, Some(b)) => self
                .agent
                .post(url)
                .config()
                .timeout_global(Some(limits.attempt))
                .timeout_connect(Some(limits.connect))
                .build()
                .header("Client-Id", &self.config.client_id)
                .header("Request-Id", request_id)
                .header("Request-Timestamp", timestamp)
                .header("Signature", signature)
                .content_type("application/json")
                .send(b)?,
            _ => self
                .agent
                .get(url)
                .config()
                .timeout_global(Some(limits.attempt))
                .timeout_connect(Some(limits.connect))
                .build()
                .header("Client-Id", &self.config.client_id)
                .header("Request-Id", request_id)
                .header("Request-Timestamp", timestamp)
                .header("Signature", signature)
                .call()?,
        };
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let status = resp.status().as_u16();
        let response_timestamp = header("Response-Timestamp");
        let date = header("Date");
        let signature = header("Signature");
        let echoed_request_id = header("Request-Id");
        let body = resp
            .body_mut()
            .with_config()
            .limit(MAX_BODY_BYTES as u64)
            .read_to_vec()?;
        Ok(RawResponse {
            status,
            response_timestamp,
            date,
            signature,
            echoed_request_id,
            body,
        })
    }

    fn finish(&self, raw: RawResponse, request_id: &str, path: &str) -> Result<Response> {
        let text = || String::from_utf8_lossy(&raw.body).into_owned();
        let success = (200..300).contains(&raw.status) || raw.status == 409;
        if !success {
            let e = api_error(raw.status, request_id, &raw.body);
            if is_timestamp_refusal(raw.status, &raw.body) {
                return Err(e.with_message_suffix(&skew_advice(self.clock_skew())));
            }
            return Err(e);
        }
        if raw
            .echoed_request_id
            .as_deref()
            .is_some_and(|id| id != request_id)
        {
            return Err(Error::new(
                ErrorKind::Decode,
                "DOKU's response carries another Request-Id than the request",
            )
            .with_http_status(raw.status)
            .with_request_id(request_id)
            .with_body(text()));
        }
        let key_index = self.verify_response(&raw, request_id, path)?;
        let body: Value = if raw.body.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&raw.body).map_err(|e| {
                Error::new(
                    ErrorKind::Decode,
                    format!(
                        "DOKU answered HTTP {} with a body that is not JSON: {e}",
                        raw.status
                    ),
                )
                .with_http_status(raw.status)
                .with_request_id(request_id)
                .with_body(text())
            })?
        };
        Ok(Response {
            status: raw.status,
            request_id: request_id.to_string(),
            response_timestamp: raw.response_timestamp,
            replay: raw.status == 409,
            signature_verified: key_index.is_some(),
            key_index,
            body,
        })
    }

    /// The index of the key that verified the response signature; `None` when it was not
    /// verified (policy off, or unsigned with `if_present`).
    fn verify_response(
        &self,
        raw: &RawResponse,
        request_id: &str,
        path: &str,
    ) -> Result<Option<usize>> {
        let policy = self.config.response_signature;
        let mismatch = |msg: &str| {
            Error::signature_mismatch(msg)
                .with_field("headers.Signature")
                .with_http_status(raw.status)
                .with_request_id(request_id)
                .with_body(String::from_utf8_lossy(&raw.body).into_owned())
        };
        let signature = match (&raw.signature, policy) {
            (_, ResponseSignaturePolicy::Off) => return Ok(None),
            (None, ResponseSignaturePolicy::IfPresent) => return Ok(None),
            (None, ResponseSignaturePolicy::Require) => {
                return Err(mismatch("DOKU's response carries no Signature header"))
            }
            (Some(s), _) => s,
        };
        let Some(ts) = &raw.response_timestamp else {
            return Err(mismatch(
                "DOKU's response is signed but carries no Response-Timestamp header",
            ));
        };
        let component = Component::response(
            &self.config.client_id,
            request_id,
            ts,
            path,
            Some(&raw.body),
        );
        let index = crate::signature::Keys::new(&self.config.key, &self.config.previous_keys)
            .verify(&component, signature)
            .map_err(|e| {
                mismatch(&format!(
                    "DOKU's response signature is invalid: {}",
                    e.message()
                ))
            })?;
        Ok(Some(index))
    }

    fn backoff(&self, attempt: u32) -> Duration {
        retry_delay(
            self.config.retry_backoff,
            attempt + 1,
            self.config.jitter.as_ref(),
        )
    }
}

/// The longest wait between two attempts, whatever the base delay and the attempt number.
pub const MAX_RETRY_DELAY: Duration = Duration::from_millis(8_000);

/// The wait before retry number `retry` (1 for the first retry), in whole milliseconds:
/// "equal jitter" on a capped exponential, so retries from many clients spread out.
///
/// ```text
/// ceiling = min(base * 2^(retry - 1), 8000 ms)     (the exponent stops growing at 2^16)
/// delay   = ceiling / 2 + jitter(ceiling / 2)      (integer halves; jitter in 0..=ceiling/2)
/// ```
///
/// So the delay lies in `[ceiling / 2, ceiling]` and never exceeds [`MAX_RETRY_DELAY`]; a
/// `jitter` that returns more than it was asked for is clamped.
///
/// ```
/// use std::time::Duration;
/// use doku::client::retry_delay;
/// let base = Duration::from_millis(500);
/// // Jitter pinned to its largest value: 500 ms, 1 s, 2 s, 4 s, 8 s, then 8 s.
/// assert_eq!(retry_delay(base, 1, &|max: u64| max), Duration::from_millis(500));
/// assert_eq!(retry_delay(base, 6, &|max: u64| max), Duration::from_secs(8));
/// // Pinned to zero: half of that.
/// assert_eq!(retry_delay(base, 3, &|_: u64| 0), Duration::from_secs(1));
/// ```
pub fn retry_delay(base: Duration, retry: u32, jitter: &dyn Jitter) -> Duration {
    let cap = MAX_RETRY_DELAY.as_millis() as u64;
    let base = u64::try_from(base.as_millis()).unwrap_or(u64::MAX);
    let shift = retry.saturating_sub(1).min(16);
    let ceiling = base.saturating_mul(1u64 << shift).min(cap);
    let half = ceiling / 2;
    Duration::from_millis(half + jitter.millis(half).min(half))
}

/// The random part of the retry backoff. Injected through [`Config::with_jitter`] so a test
/// can pin it; any `Fn(u64) -> u64 + Send + Sync` closure is one.
pub trait Jitter: Send + Sync {
    /// A number of milliseconds in `0..=max_ms` (a larger value is clamped to `max_ms`).
    fn millis(&self, max_ms: u64) -> u64;
}

impl<F: Fn(u64) -> u64 + Send + Sync> Jitter for F {
    fn millis(&self, max_ms: u64) -> u64 {
        self(max_ms)
    }
}

/// Uniform jitter from `fastrand` (the default).
#[derive(Clone, Copy, Debug, Default)]
pub struct RandomJitter;

impl Jitter for RandomJitter {
    fn millis(&self, max_ms: u64) -> u64 {
        fastrand::u64(0..=max_ms)
    }
}

/// How the client waits between attempts. Injected through [`Config::with_sleeper`] so a
/// test can record the delays instead of waiting; any `Fn(Duration) + Send + Sync` closure
/// is one.
pub trait Sleeper: Send + Sync {
    fn sleep(&self, delay: Duration);
}

impl<F: Fn(Duration) + Send + Sync> Sleeper for F {
    fn sleep(&self, delay: Duration) {
        self(delay)
    }
}

/// `std::thread::sleep` (the default).
#[derive(Clone, Copy, Debug, Default)]
pub struct ThreadSleeper;

impl Sleeper for ThreadSleeper {
    fn sleep(&self, delay: Duration) {
        std::thread::sleep(delay)
    }
}

struct RawResponse {
    status: u16,
    response_timestamp: Option<String>,
    date: Option<String>,
    signature: Option<String>,
    echoed_request_id: Option<String>,
    body: Vec<u8>,
}

/// The longest Request-Id DOKU takes ("max 128 characters"), for the client and the
/// sandbox alike.
pub const MAX_REQUEST_ID_CHARS: usize = 128;

fn check_request_id(id: &str) -> Result<()> {
    if id.is_empty() || id.chars().count() > MAX_REQUEST_ID_CHARS || id.contains(['\r', '\n']) {
        return Err(Error::invalid_input(
            "request_id",
            format!("request_id must be 1 to {MAX_REQUEST_ID_CHARS} characters with no line break"),
        ));
    }
    Ok(())
}

fn is_retryable(e: &ureq::Error) -> bool {
    matches!(
        e,
        ureq::Error::Timeout(_)
            | ureq::Error::ConnectionFailed
            | ureq::Error::Io(_)
            | ureq::Error::Protocol(_)
    )
}

/// The time limits of one attempt: what is left of the overall deadline, at most the
/// per-attempt `timeout` (and the connect timeout within that).
struct Limits {
    attempt: Duration,
    connect: Duration,
    /// Whether the overall deadline, not `timeout`, set `attempt`.
    cut_by_deadline: bool,
    deadline: Duration,
}

impl Limits {
    fn for_attempt(config: &Config, deadline: Instant) -> Limits {
        // At least 1 ms: ureq reads a zero limit as "already expired", which is what it is,
        // but its error then names no phase.
        let left = deadline
            .saturating_duration_since(Instant::now())
            .max(Duration::from_millis(1));
        let attempt = config.timeout.min(left);
        Limits {
            attempt,
            connect: config.connect_timeout.min(attempt),
            cut_by_deadline: left < config.timeout,
            deadline: config.deadline,
        }
    }
}

fn transport_error(e: ureq::Error, request_id: &str, limits: &Limits) -> Error {
    use ureq::Timeout as T;
    let err = match e {
        // Nothing left the machine: no connection was made.
        ureq::Error::Timeout(T::Resolve | T::Connect) => Error::new(
            ErrorKind::Transport,
            format!(
                "could not connect to DOKU within {} (connect timeout): nothing was sent; it is \
                 safe to retry",
                human(limits.connect)
            ),
        ),
        ureq::Error::Timeout(_) => {
            let limit = if limits.cut_by_deadline {
                format!("the overall deadline of {}", human(limits.deadline))
            } else {
                format!("the per-attempt timeout of {}", human(limits.attempt))
            };
            Error::new(
                ErrorKind::Timeout,
                format!(
                    "no complete answer from DOKU within {limit}: the outcome is unknown; call \
                     check_status with this Request-Id or the invoice number, or retry with the \
                     same Request-Id"
                ),
            )
        }
        ureq::Error::BodyExceedsLimit(limit) => Error::new(
            ErrorKind::Decode,
            format!("DOKU's answer is larger than {limit} bytes"),
        ),
        other => Error::new(
            ErrorKind::Transport,
            format!(
                "the connection to DOKU failed: {}",
                wire_text(&other.to_string(), MAX_WIRE_TEXT_CHARS)
            ),
        ),
    };
    err.with_request_id(request_id)
}

/// A duration as people read it in a message: `1000 ms` is `1 s`, `1500 ms` is `1.5 s`.
fn human(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms % 1000 == 0 {
        format!("{} s", ms / 1000)
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// The longest piece of server-chosen text a message quotes (in characters).
pub const MAX_WIRE_TEXT_CHARS: usize = 200;

/// Text from the wire, made safe to quote in a message that ends up in logs: control
/// characters (CR, LF, ESC, NUL, ... and the Unicode line separators) are shown escaped
/// (`\r`, `\u{1b}`), so a server cannot forge log lines or terminal sequences, and the text
/// is cut at `max` characters, with `…` when cut.
pub fn wire_text(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max * 2));
    for (n, c) in text.chars().enumerate() {
        if n == max {
            out.push('…');
            break;
        }
        if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Whether an answer refuses the request for its Request-Timestamp: a 400 or 401 whose
/// error code names the timestamp (the sandbox's `timestamp_out_of_window`) or whose error
/// field is the Request-Timestamp header.
fn is_timestamp_refusal(status: u16, body: &[u8]) -> bool {
    if status != 400 && status != 401 {
        return false;
    }
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return false;
    };
    let err = &v["error"];
    err["code"]
        .as_str()
        .is_some_and(|c| c.to_ascii_lowercase().contains("timestamp"))
        || err["field"]
            .as_str()
            .is_some_and(|f| f.eq_ignore_ascii_case("headers.Request-Timestamp"))
}

/// What a timestamp refusal tells the caller about its clock.
fn skew_advice(skew: Option<i64>) -> String {
    match skew {
        Some(s) if s.abs() >= 2 => format!(
            ". Your clock is {} s {} DOKU's (measured from its answer): synchronise the \
             machine's clock (NTP), or set correct_clock_skew to sign with the corrected time",
            s.unsigned_abs(),
            if s > 0 { "behind" } else { "ahead of" }
        ),
        Some(_) => ". Your clock agrees with DOKU's (measured from its answer): check the \
                    timestamp's format (2020-08-11T08:45:42Z, UTC)"
            .to_string(),
        None => ". DOKU's answer carried no time to measure the clock skew from".to_string(),
    }
}

/// DOKU error bodies are parsed leniently (PROTOCOL.md 5): `error.message` when present,
/// else a top-level `message`, else the status alone. The raw body is always kept.
fn api_error(status: u16, request_id: &str, body: &[u8]) -> Error {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let err = parsed.as_ref().and_then(|v| v.get("error"));
    let message = err
        .and_then(|e| {
            e.get("message")
                .and_then(Value::as_str)
                .or_else(|| e.as_str())
        })
        .or_else(|| parsed.as_ref()?.get("message")?.as_str());
    let code = err.and_then(|e| e.get("code")).and_then(Value::as_str);
    // Everything quoted from the body is server-chosen: escaped and bounded (the raw body
    // stays available, unaltered, in the error's `body`).
    let message = message.map(|m| wire_text(m, MAX_WIRE_TEXT_CHARS));
    let code = code.map(|c| wire_text(c, 64));
    let text = match (message, code) {
        (Some(m), Some(c)) => format!("DOKU answered HTTP {status} ({c}): {m}"),
        (Some(m), None) => format!("DOKU answered HTTP {status}: {m}"),
        (None, _) => format!("DOKU answered HTTP {status}"),
    };
    let err_field = err.and_then(|e| e.get("field")).and_then(Value::as_str);
    let error = Error::new(ErrorKind::Api, text)
        .with_http_status(status)
        .with_request_id(request_id)
        .with_body(String::from_utf8_lossy(body).into_owned());
    match err_field {
        Some(field) => error.with_field(wire_text(field, 64)),
        None => error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_errors_are_parsed_leniently() {
        let e = api_error(400, "r", br#"{"error":{"code":"invalid_amount","message":"bad amount","type":"invalid_request_error"}}"#);
        assert_eq!(
            e.message(),
            "DOKU answered HTTP 400 (invalid_amount): bad amount"
        );
        assert_eq!(e.http_status(), Some(400));
        let e = api_error(401, "r", br#"{"message":"nope"}"#);
        assert_eq!(e.message(), "DOKU answered HTTP 401: nope");
        let e = api_error(502, "r", b"<html>bad gateway</html>");
        assert_eq!(e.message(), "DOKU answered HTTP 502");
        assert_eq!(e.body(), Some("<html>bad gateway</html>"));
    }

    #[test]
    fn a_connect_timeout_says_nothing_was_sent_and_names_its_own_limit() {
        let limits = Limits {
            attempt: Duration::from_secs(2),
            connect: Duration::from_millis(1000),
            cut_by_deadline: false,
            deadline: Duration::from_secs(60),
        };
        for which in [ureq::Timeout::Connect, ureq::Timeout::Resolve] {
            let e = transport_error(ureq::Error::Timeout(which), "r", &limits);
            assert_eq!(e.kind(), ErrorKind::Transport, "{which:?}");
            assert!(e.message().contains("within 1 s"), "{}", e.message());
            assert!(e.message().contains("nothing was sent"), "{}", e.message());
        }
        let e = transport_error(
            ureq::Error::Timeout(ureq::Timeout::RecvResponse),
            "r",
            &limits,
        );
        assert_eq!(e.kind(), ErrorKind::Timeout);
        assert!(
            e.message().contains("per-attempt timeout of 2 s"),
            "{}",
            e.message()
        );
        assert_eq!(human(Duration::from_millis(1500)), "1.5 s");
        assert_eq!(human(Duration::from_millis(999)), "999 ms");
    }

    #[test]
    fn options_from_json() {
        let o = RequestOptions::from_json(r#"{"request_id":"r","timestamp":null}"#).unwrap();
        assert_eq!(o.request_id.as_deref(), Some("r"));
        assert_eq!(
            RequestOptions::from_json(r#"{"rid":"r"}"#)
                .unwrap_err()
                .field(),
            Some("options.rid")
        );
    }
}
