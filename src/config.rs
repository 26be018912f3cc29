//! Client configuration, from code or from JSON (the C ABI, Python and PHP all pass JSON).
//!
//! JSON keys: `client_id`, `secret_key` (both required), `environment` (`sandbox` |
//! `production`) or `base_url` (not both), `connect_timeout_ms`, `timeout_ms`, `deadline_ms`,
//! `retries`, `retry_backoff_ms`, `previous_secret_keys` (response signatures made with a
//! key you rotated away from still verify), `correct_clock_skew` (bool), `proxy`, `response_signature` (`require` | `if_present` | `off`),
//! `paths` (`{"operation": "/path"}`). Unknown keys are refused, so a typo is not silently
//! ignored, and so is a key given twice in one object (the error names it, never its value).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::channel::OperationTable;
use crate::client::{Jitter, RandomJitter, Sleeper, ThreadSleeper};
use crate::error::{Error, Result};
use crate::signature::SigningKey;

pub const SANDBOX_URL: &str = "https://api-sandbox.doku.com";
pub const PRODUCTION_URL: &str = "https://api.doku.com";

/// The default overall deadline of a call: two full attempts' worth. A stalling server
/// holds a caller at most this long (without it, 30 s x 3 attempts + backoff = 91 s).
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(60);

/// What to do with DOKU's response `Signature` header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ResponseSignaturePolicy {
    /// Every successful response must carry a valid signature.
    Require,
    /// Verify the signature when DOKU sends one (the default).
    #[default]
    IfPresent,
    /// Do not verify response signatures.
    Off,
}

impl ResponseSignaturePolicy {
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "require" => Ok(Self::Require),
            "if_present" => Ok(Self::IfPresent),
            "off" => Ok(Self::Off),
            _ => Err(Error::config(
                "response_signature",
                format!("response_signature must be require, if_present or off (got {s:?})"),
            )),
        }
    }
}

/// Everything a [`crate::Client`] needs. `Debug` never shows the secret key.
#[derive(Clone)]
pub struct Config {
    pub client_id: String,
    pub(crate) key: SigningKey,
    /// Keys DOKU's response signatures may still be made with during a key rotation,
    /// newest first. Requests are always signed with the current key.
    pub(crate) previous_keys: Vec<SigningKey>,
    /// Sign with the local time corrected by the clock skew measured from DOKU's answers
    /// (off by default). When DOKU refuses a request for its timestamp and this is on,
    /// the client measures the skew from that answer and sends the request once more.
    pub correct_clock_skew: bool,
    /// Scheme, host, optional port and optional path prefix; no trailing slash.
    pub base_url: String,
    pub connect_timeout: Duration,
    /// Total time for one attempt (connect, send, receive).
    pub timeout: Duration,
    /// Total time for the whole call: every attempt and every wait between them. An
    /// attempt gets what is left of it (at most `timeout`); no retry starts after it.
    pub deadline: Duration,
    /// Extra attempts after the first, on connect errors, timeouts and 5xx only.
    pub retries: u32,
    /// Base delay before the first retry; doubled each time, with jitter, capped at 8 s
    /// (the formula: [`crate::client::retry_delay`]).
    pub retry_backoff: Duration,
    /// The random part of the backoff ([`RandomJitter`] by default).
    pub jitter: Arc<dyn Jitter>,
    /// How the client waits between attempts ([`ThreadSleeper`] by default).
    pub sleeper: Arc<dyn Sleeper>,
    pub proxy: Option<String>,
    pub response_signature: ResponseSignaturePolicy,
    pub operations: OperationTable,
    /// Called for every attempt, answer and retry; `None` (the default) logs nothing.
    pub log: Option<LogHook>,
}

/// What the client tells a log hook. It never carries the secret key, a signature, a
/// component or a body: only what an operator needs to follow a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogEvent<'a> {
    /// An attempt is about to be sent (`attempt` counts from 1).
    Attempt {
        method: &'a str,
        path: &'a str,
        request_id: &'a str,
        attempt: u32,
    },
    /// An HTTP answer arrived.
    Answer {
        request_id: &'a str,
        attempt: u32,
        status: u16,
        elapsed: Duration,
    },
    /// The attempt failed or answered 5xx and will be retried after `delay`.
    Retry {
        request_id: &'a str,
        attempt: u32,
        reason: String,
        delay: Duration,
    },
}

/// A log hook: install one with [`Config::with_log`] to see the client's traffic.
pub type LogHook = std::sync::Arc<dyn Fn(&LogEvent<'_>) + Send + Sync>;

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("client_id", &self.client_id)
            .field("secret_key", &"<redacted>")
            .field("base_url", &self.base_url)
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("deadline", &self.deadline)
            .field("retries", &self.retries)
            .field("retry_backoff", &self.retry_backoff)
            .field("proxy", &self.proxy.as_ref().map(|_| "<set>"))
            .field("previous_secret_keys", &self.previous_keys.len())
            .field("correct_clock_skew", &self.correct_clock_skew)
            .field("response_signature", &self.response_signature)
            .field("log", &self.log.as_ref().map(|_| "<hook>"))
            .finish_non_exhaustive()
    }
}

impl Config {
    /// A sandbox configuration with default time limits (connect 10 s, 30 s per attempt,
    /// 60 s for the whole call), 2 retries and response signatures verified when present.
    pub fn new(client_id: &str, secret_key: &str) -> Result<Self> {
        if client_id.is_empty() || client_id.contains(['\r', '\n']) {
            return Err(Error::config(
                "client_id",
                "client_id must be non-empty and hold no line break",
            ));
        }
        let key = SigningKey::new(secret_key.as_bytes())
            .map_err(|e| Error::config("secret_key", e.message()))?;
        Ok(Config {
            client_id: client_id.to_string(),
            key,
            previous_keys: Vec::new(),
            correct_clock_skew: false,
            base_url: SANDBOX_URL.to_string(),
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            deadline: DEFAULT_DEADLINE,
            retries: 2,
            retry_backoff: Duration::from_millis(500),
            jitter: Arc::new(RandomJitter),
            sleeper: Arc::new(ThreadSleeper),
            proxy: None,
            response_signature: ResponseSignaturePolicy::default(),
            operations: OperationTable::default(),
            log: None,
        })
    }

    /// Installs a log hook (logging is off otherwise).
    pub fn with_log(mut self, hook: impl Fn(&LogEvent<'_>) + Send + Sync + 'static) -> Self {
        self.log = Some(std::sync::Arc::new(hook));
        self
    }

    /// Replaces the backoff's random part (tests pin it: `|max| max`, `|_| 0`).
    pub fn with_jitter(mut self, jitter: impl Jitter + 'static) -> Self {
        self.jitter = Arc::new(jitter);
        self
    }

    /// Replaces the wait between attempts (tests record the delays instead of sleeping).
    pub fn with_sleeper(mut self, sleeper: impl Sleeper + 'static) -> Self {
        self.sleeper = Arc::new(sleeper);
        self
    }

    /// Adds the keys of a rotation in progress (newest first): DOKU's response signatures
    /// made with them still verify. Requests are signed with the current key only.
    pub fn with_previous_secret_keys(mut self, keys: &[&str]) -> Result<Self> {
        for (i, k) in keys.iter().enumerate() {
            let field = format!("previous_secret_keys[{i}]");
            let key = crate::notification::previous_key(Some(k.as_bytes()), &field)
                .map_err(|e| Error::config(field.as_str(), e.message()))?;
            self.previous_keys.push(key);
        }
        Ok(self)
    }

    /// Sets the base URL (a local sandbox, a proxy, a regional host).
    pub fn with_base_url(mut self, url: &str) -> Result<Self> {
        self.base_url = check_base_url(url)?;
        Ok(self)
    }

    /// Parses the JSON configuration described in the module docs.
    pub fn from_json(json: &str) -> Result<Self> {
        // The same parser as request bodies: line and column on a syntax error, and a
        // repeated key refused (`"secret_key": "a", "secret_key": "b"` would otherwise let
        // the last value win silently). The error names the key, never its value.
        if json.len() > crate::signature::MAX_BODY_BYTES {
            return Err(Error::config(
                "config",
                format!(
                    "the configuration is {} bytes; at most {} are accepted",
                    json.len(),
                    crate::signature::MAX_BODY_BYTES
                ),
            ));
        }
        let v = match crate::validate::parse_strict(json.as_bytes()) {
            Ok(v) => v,
            Err(crate::validate::StrictError::Repeated(r)) => {
                return Err(Error::config(
                    r.path.clone(),
                    format!("config is refused: {r}; give each key once"),
                ))
            }
            Err(crate::validate::StrictError::Syntax(e)) => {
                let e = crate::validate::syntax_error(json.as_bytes(), "config", &e);
                return Err(Error::config("config", e.message()));
            }
        };
        // The parsed copy of the secret is wiped on every way out of this function.
        let v = WipeSecret(v);
        let Some(obj) = v.0.as_object() else {
            return Err(Error::config("config", "config must be a JSON object"));
        };
        const KNOWN: [&str; 14] = [
            "client_id",
            "secret_key",
            "environment",
            "base_url",
            "connect_timeout_ms",
            "timeout_ms",
            "deadline_ms",
            "retries",
            "retry_backoff_ms",
            "previous_secret_keys",
            "correct_clock_skew",
            "proxy",
            "response_signature",
            "paths",
        ];
        if let Some(k) = obj.keys().find(|k| !KNOWN.contains(&k.as_str())) {
            return Err(Error::config(
                k.as_str(),
                format!("unknown config key {k:?}; known keys: {}", KNOWN.join(", ")),
            ));
        }
        let mut c = Config::new(req_str(obj, "client_id")?, req_str(obj, "secret_key")?)?;
        match (opt_str(obj, "environment")?, opt_str(obj, "base_url")?) {
            (Some(_), Some(_)) => {
                return Err(Error::config(
                    "base_url",
                    "give environment or base_url, not both",
                ))
            }
            (Some("sandbox"), None) | (None, None) => {}
            (Some("production"), None) => c.base_url = PRODUCTION_URL.to_string(),
            (Some(other), None) => {
                return Err(Error::config(
                    "environment",
                    format!("environment must be sandbox or production (got {other:?})"),
                ))
            }
            (None, Some(url)) => c.base_url = check_base_url(url)?,
        }
        if let Some(ms) = opt_u64(obj, "connect_timeout_ms")? {
            c.connect_timeout = positive_ms(ms, "connect_timeout_ms")?;
        }
        if let Some(ms) = opt_u64(obj, "timeout_ms")? {
            c.timeout = positive_ms(ms, "timeout_ms")?;
        }
        if let Some(ms) = opt_u64(obj, "deadline_ms")? {
            c.deadline = positive_ms(ms, "deadline_ms")?;
        }
        if let Some(n) = opt_u64(obj, "retries")? {
            if n > 10 {
                return Err(Error::config("retries", "retries must be at most 10"));
            }
            c.retries = n as u32;
        }
        if let Some(ms) = opt_u64(obj, "retry_backoff_ms")? {
            c.retry_backoff = Duration::from_millis(ms);
        }
        match obj.get("previous_secret_keys") {
            None | Some(Value::Null) => {}
            Some(Value::Array(keys)) => {
                for (i, k) in keys.iter().enumerate() {
                    let field = format!("previous_secret_keys[{i}]");
                    let key =
                        crate::notification::previous_key(k.as_str().map(str::as_bytes), &field)
                            .map_err(|e| Error::config(field.as_str(), e.message()))?;
                    c.previous_keys.push(key);
                }
            }
            Some(_) => {
                return Err(Error::config(
                    "previous_secret_keys",
                    "previous_secret_keys must be an array of strings",
                ))
            }
        }
        match obj.get("correct_clock_skew") {
            None | Some(Value::Null) => {}
            Some(Value::Bool(b)) => c.correct_clock_skew = *b,
            Some(_) => {
                return Err(Error::config(
                    "correct_clock_skew",
                    "correct_clock_skew must be true or false",
                ))
            }
        }
        c.proxy = opt_str(obj, "proxy")?.map(str::to_string);
        if let Some(p) = opt_str(obj, "response_signature")? {
            c.response_signature = ResponseSignaturePolicy::parse(p)?;
        }
        if let Some(paths) = obj.get("paths") {
            let Some(paths) = paths.as_object() else {
                return Err(Error::config("paths", "paths must be an object"));
            };
            for (name, path) in paths {
                let Some(path) = path.as_str() else {
                    return Err(Error::config(
                        format!("paths.{name}"),
                        "each path must be a string",
                    ));
                };
                c.operations.set_path(name, path)?;
            }
        }
        Ok(c)
    }
}

fn check_base_url(url: &str) -> Result<String> {
    let url = url.trim_end_matches('/');
    match crate::validate::url_host_and_path(url) {
        Some((host, path)) if !url.contains(['?', '#']) && (path == "/" || !url.ends_with('/')) => {
            if url.starts_with("http://") && is_doku_host(host) {
                return Err(Error::config(
                    "base_url",
                    format!(
                        "DOKU's hosts are reached over https only (got {url:?}); plain http is \
                         for a local or LAN sandbox"
                    ),
                ));
            }
            Ok(url.to_string())
        }
        _ => Err(Error::config(
            "base_url",
            format!("base_url must be an http:// or https:// URL without query (got {url:?})"),
        )),
    }
}

/// Whether `authority` (`host[:port]`, maybe with userinfo) names a DOKU host.
fn is_doku_host(authority: &str) -> bool {
    let host = authority.rsplit('@').next().unwrap_or(authority);
    let host = host.split(':').next().unwrap_or(host).to_ascii_lowercase();
    let host = host.trim_end_matches('.');
    host == "doku.com" || host.ends_with(".doku.com")
}

/// The longest time limit a configuration may set: a day (a larger one is a mistake, and
/// `Instant + Duration` would overflow near `u64::MAX` ms).
const MAX_LIMIT_MS: u64 = 86_400_000;

fn positive_ms(ms: u64, field: &str) -> Result<Duration> {
    if ms == 0 || ms > MAX_LIMIT_MS {
        return Err(Error::config(
            field,
            format!("{field} must be from 1 to {MAX_LIMIT_MS} (a day)"),
        ));
    }
    Ok(Duration::from_millis(ms))
}

/// A parsed JSON config whose secret strings are zeroised when it is dropped.
struct WipeSecret(Value);

impl Drop for WipeSecret {
    fn drop(&mut self) {
        if let Some(Value::String(secret)) = self.0.get_mut("secret_key") {
            zeroize::Zeroize::zeroize(secret);
        }
        if let Some(Value::Array(keys)) = self.0.get_mut("previous_secret_keys") {
            for key in keys {
                if let Value::String(secret) = key {
                    zeroize::Zeroize::zeroize(secret);
                }
            }
        }
    }
}

fn req_str<'a>(obj: &'a Map<String, Value>, key: &str) -> Result<&'a str> {
    opt_str(obj, key)?.ok_or_else(|| Error::config(key, format!("{key} is required")))
}

fn opt_str<'a>(obj: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(Error::config(key, format!("{key} must be a string"))),
    }
}

fn opt_u64(obj: &Map<String, Value>, key: &str) -> Result<Option<u64>> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .map(Some)
            .ok_or_else(|| Error::config(key, format!("{key} must be a non-negative integer"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn dokus_hosts_are_https_only() {
        for url in [
            "http://api.doku.com",
            "http://api-sandbox.doku.com/",
            "http://API.DOKU.COM:80",
            "http://user@api.doku.com.",
        ] {
            let e = Config::new("C", "S")
                .unwrap()
                .with_base_url(url)
                .unwrap_err();
            assert_eq!(e.field(), Some("base_url"), "{url}");
        }
        for url in [
            "https://api.doku.com",
            "http://127.0.0.1:8080",
            "http://192.168.1.20:8080",
            "http://notdoku.com",
        ] {
            assert!(
                Config::new("C", "S").unwrap().with_base_url(url).is_ok(),
                "{url}"
            );
        }
    }

    #[test]
    fn from_json_reads_every_key() {
        let c = Config::from_json(
            r#"{"client_id":"C","secret_key":"S","base_url":"http://127.0.0.1:9/",
                "connect_timeout_ms":100,"timeout_ms":200,"retries":3,"retry_backoff_ms":5,
                "proxy":"http://proxy:3128","response_signature":"require",
                "paths":{"alfa_payment_code":"/alfa-virtual-account/v2/payment-code"}}"#,
        )
        .unwrap();
        assert_eq!(c.base_url, "http://127.0.0.1:9");
        assert_eq!(c.timeout, Duration::from_millis(200));
        assert_eq!(c.retries, 3);
        assert_eq!(c.response_signature, ResponseSignaturePolicy::Require);
        assert_eq!(
            c.operations.get("alfa_payment_code").unwrap().path,
            "/alfa-virtual-account/v2/payment-code"
        );
        let p =
            Config::from_json(r#"{"client_id":"C","secret_key":"S","environment":"production"}"#)
                .unwrap();
        assert_eq!(p.base_url, PRODUCTION_URL);
    }

    #[test]
    fn bad_config_names_the_key() {
        for (json, field) in [
            (r#"{"client_id":"C","secret_key":""}"#, "secret_key"),
            (r#"{"secret_key":"S"}"#, "client_id"),
            (
                r#"{"client_id":"C","secret_key":"S","retries":"3"}"#,
                "retries",
            ),
            (
                r#"{"client_id":"C","secret_key":"S","timeout":1}"#,
                "timeout",
            ),
            (
                r#"{"client_id":"C","secret_key":"S","environment":"prod"}"#,
                "environment",
            ),
            (
                r#"{"client_id":"C","secret_key":"S","base_url":"ftp://x"}"#,
                "base_url",
            ),
            (
                r#"{"client_id":"C","secret_key":"S","response_signature":"maybe"}"#,
                "response_signature",
            ),
            (
                r#"{"client_id":"C","secret_key":"S","paths":{"nope":"/x"}}"#,
                "paths.nope",
            ),
        ] {
            let e = Config::from_json(json).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Config, "{json}");
            assert_eq!(e.field(), Some(field), "{json}");
        }
        assert_eq!(
            Config::from_json("{").unwrap_err().kind(),
            ErrorKind::Config
        );
    }

    #[test]
    fn a_repeated_key_is_a_config_error_naming_it_without_its_value() {
        for (json, field) in [
            (
                r#"{"client_id":"C","secret_key":"first-secret","secret_key":"second-secret"}"#,
                "secret_key",
            ),
            (
                r#"{"client_id":"C","secret_key":"S","paths":{"alfa_payment_code":"/a","alfa_payment_code":"/b"}}"#,
                "paths.alfa_payment_code",
            ),
        ] {
            let e = Config::from_json(json).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Config, "{json}");
            assert_eq!(e.field(), Some(field), "{json}");
            assert!(e.message().contains("appears twice"), "{}", e.message());
            assert!(e.message().contains("line 1"), "{}", e.message());
            assert!(!e.message().contains("secret-"), "{}", e.message());
        }
        // The same key in two different objects is not a repeat (here the error is the
        // unknown operation "client_id", not a repeated key).
        let e =
            Config::from_json(r#"{"client_id":"C","secret_key":"S","paths":{"client_id":"/x"}}"#)
                .unwrap_err();
        assert!(!e.message().contains("appears twice"), "{}", e.message());
        assert_eq!(e.field(), Some("paths.client_id"));
    }

    #[test]
    fn debug_hides_the_secret() {
        let c = Config::new("C", "very-secret-key").unwrap();
        assert!(!format!("{c:?}").contains("very-secret"));
    }
}
