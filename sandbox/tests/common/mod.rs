//! Helpers shared by the scenario, dashboard, CLI and browser tests: the test merchant, a
//! real `doku::Client` for it, request bodies, plain HTTP calls to the sandbox's own
//! endpoints, and a log that tests wait on. Every wait is bounded.
#![allow(dead_code)]

#[path = "../../../tests/support/seeds.rs"]
pub mod seeds;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use doku::{Client, Config, LogEvent, RequestOptions, ResponseSignaturePolicy};
use doku_sandbox::{Logger, Merchant, Sandbox, SandboxConfig};
use serde_json::{json, Value};

pub const CID: &str = "MCH-SCENARIO-0001";
pub const SK: &str = "SK-scenario-tests-not-a-real-key";
pub const NOTIFY_PATH: &str = "/payments/notifications";
pub const WAIT: Duration = Duration::from_secs(20);

pub fn invoice(tag: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "INV-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

pub fn merchant(notification_url: Option<&str>) -> Merchant {
    let m = Merchant::new(CID, SK).unwrap();
    match notification_url {
        Some(u) => m.with_notification_url(u).unwrap(),
        None => m,
    }
}

/// The sandbox's log lines, which a test can wait on.
#[derive(Clone, Default)]
pub struct Lines(Arc<(Mutex<Vec<String>>, Condvar)>);

impl Lines {
    pub fn logger(&self) -> Logger {
        let me = self.clone();
        Arc::new(move |line: &str| {
            me.0 .0.lock().unwrap().push(line.to_string());
            me.0 .1.notify_all();
        })
    }

    /// Waits (bounded) for a line containing every one of `parts`; panics at the deadline.
    pub fn wait_for(&self, parts: &[&str]) -> String {
        let deadline = Instant::now() + WAIT;
        let mut lines = self.0 .0.lock().unwrap();
        loop {
            if let Some(l) = lines.iter().find(|l| parts.iter().all(|p| l.contains(p))) {
                return l.clone();
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "no log line with {parts:?} in {lines:#?}");
            lines = self.0 .1.wait_timeout(lines, left).unwrap().0;
        }
    }

    pub fn all(&self) -> Vec<String> {
        self.0 .0.lock().unwrap().clone()
    }
}

pub fn start(notification_url: Option<&str>, lines: &Lines) -> Sandbox {
    start_with(SandboxConfig::default(), notification_url, lines)
}

pub fn start_with(config: SandboxConfig, notification_url: Option<&str>, lines: &Lines) -> Sandbox {
    Sandbox::start(
        config
            .merchant(merchant(notification_url))
            .logger(lines.logger()),
    )
    .expect("the sandbox starts")
}

/// What the client reported through its log hook and its sleeper.
#[derive(Clone, Default)]
pub struct Seen {
    pub events: Arc<Mutex<Vec<String>>>,
    pub sleeps: Arc<Mutex<Vec<Duration>>>,
}

impl Seen {
    pub fn retries(&self) -> Vec<String> {
        self.events
            .lock()
            .unwrap()
            .iter()
            .filter(|e| e.starts_with("retry"))
            .cloned()
            .collect()
    }

    /// The Request-Id of every attempt, in order.
    pub fn attempt_ids(&self) -> Vec<String> {
        self.events
            .lock()
            .unwrap()
            .iter()
            .filter_map(|e| e.strip_prefix("attempt ").map(str::to_string))
            .collect()
    }
}

/// A client for the test merchant: signed responses required, `retries` retries whose
/// waits are recorded instead of slept, and a log of its attempts and retries.
pub fn client_with(sandbox: &Sandbox, retries: u32, seen: &Seen) -> Client {
    Client::new(config(sandbox, retries, seen)).unwrap()
}

pub fn config(sandbox: &Sandbox, retries: u32, seen: &Seen) -> Config {
    let events = seen.events.clone();
    let sleeps = seen.sleeps.clone();
    let mut c = Config::new(CID, SK)
        .unwrap()
        .with_base_url(sandbox.base_url())
        .unwrap()
        .with_log(move |e: &LogEvent<'_>| {
            let line = match e {
                LogEvent::Attempt { request_id, .. } => format!("attempt {request_id}"),
                LogEvent::Answer { status, .. } => format!("answer {status}"),
                LogEvent::Retry { reason, .. } => format!("retry {reason}"),
            };
            events.lock().unwrap().push(line);
        })
        .with_sleeper(move |d: Duration| sleeps.lock().unwrap().push(d));
    c.response_signature = ResponseSignaturePolicy::Require;
    c.retries = retries;
    c.timeout = WAIT;
    c
}

pub fn with_id(id: &str) -> RequestOptions {
    RequestOptions {
        request_id: Some(id.to_string()),
        timestamp: None,
        ..Default::default()
    }
}

pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub fn alfa_body(inv: &str) -> Value {
    let mut v = seeds::alfa_request();
    v["order"]["invoice_number"] = json!(inv);
    v["order"]["amount"] = json!(150000);
    v.as_object_mut().unwrap().remove("additional_info");
    v
}

pub fn indomaret_body(inv: &str) -> Value {
    let mut v = seeds::indomaret_request();
    v["order"]["invoice_number"] = json!(inv);
    v.as_object_mut().unwrap().remove("additional_info");
    v
}

pub fn indodana_body(inv: &str) -> Value {
    let mut v = seeds::indodana_request();
    v["order"]["invoice_number"] = json!(inv);
    v.as_object_mut().unwrap().remove("additional_info");
    v
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(WAIT))
        .build()
        .into()
}

/// A plain HTTP call: status, headers, body text.
pub struct Plain {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Plain {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// `method` `base` + `path` with an optional body of `content_type`.
pub fn http(
    base: &str,
    method: &str,
    path: &str,
    body: Option<(&str, &[u8])>,
    headers: &[(&str, &str)],
) -> Plain {
    let url = format!("{base}{path}");
    let a = agent();
    let result = match (method, body) {
        ("POST", Some((ct, b))) => {
            let mut r = a.post(&url).content_type(ct);
            for (k, v) in headers {
                r = r.header(*k, *v);
            }
            r.send(b)
        }
        ("POST", None) => a.post(&url).send_empty(),
        _ => {
            let mut r = a.get(&url);
            for (k, v) in headers {
                r = r.header(*k, *v);
            }
            r.call()
        }
    };
    let mut resp = result.expect("the sandbox answers");
    let status = resp.status().as_u16();
    let headers = resp
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    let body = resp.body_mut().read_to_string().unwrap_or_default();
    Plain {
        status,
        headers,
        body,
    }
}

pub fn post_json(sandbox: &Sandbox, path: &str, v: &Value) -> Plain {
    http(
        sandbox.base_url(),
        "POST",
        path,
        Some(("application/json", v.to_string().as_bytes())),
        &[],
    )
}

pub fn get(sandbox: &Sandbox, path: &str) -> Plain {
    http(sandbox.base_url(), "GET", path, None, &[])
}
