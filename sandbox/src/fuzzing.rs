//! The sandbox's request handling without sockets, for the fuzz targets in `fuzz/`
//! (`fuzz/fuzz_targets/sandbox.rs`). Not a public API: hidden from the docs, may change
//! with the server.
//!
//! [`FuzzSandbox`] builds the same [`Shared`] state as [`Sandbox::start`](crate::Sandbox::start)
//! (two merchants, the default BIN and code length, an empty transaction table) with an
//! injected [`ManualClock`], no state file, no log, no listener and no notification
//! delivery: its notifier is stopped before the first request, so a payment records its
//! notification but nothing is sent. [`FuzzSandbox::handle`] then runs one request through
//! `server::handle`, the function hyper calls, and tells whether it panicked (the server
//! catches a panic and answers 500: a panic is a bug the fuzzer must see).

use std::cell::Cell;
use std::sync::{Arc, Once, OnceLock};

use doku::signature::SigningKey;

use crate::notify::Notifier;
use crate::payment_code::CodeRules;
use crate::serve::{self, BodyError};
use crate::server::{self, Shared};
use crate::state::{Channel, State};
use crate::time::ManualClock;
use crate::{policy, Merchant};

/// The second merchant: it has Notification URLs, so payments go through the delivery path
/// (recorded, never sent: the notifier is stopped).
pub const NOTIFYING_CLIENT_ID: &str = "MCH-FUZZ-0002";
/// Its secret key (a test value).
pub const NOTIFYING_SECRET_KEY: &str = "SK-fuzz-0002-not-a-real-key";

/// The merchants of every [`FuzzSandbox`]: `(client_id, secret_key)`; the first is the
/// sandbox's default merchant.
pub const MERCHANTS: [(&str, &str); 2] = [
    (policy::DEFAULT_CLIENT_ID, policy::DEFAULT_SECRET_KEY),
    (NOTIFYING_CLIENT_ID, NOTIFYING_SECRET_KEY),
];

/// A request body as the HTTP layer hands it over.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FuzzBody {
    Bytes(Vec<u8>),
    /// Longer than the body limit (the HTTP layer answers it with 413 through the handler).
    TooLarge,
    /// The body could not be read (a broken chunk, a deadline).
    Unreadable(String),
}

/// One answer.
#[derive(Clone, Debug)]
pub struct FuzzResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// True when handling the request panicked (the server caught it and answered 500).
    pub panicked: bool,
}

impl FuzzResponse {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A sandbox with no sockets: see the module documentation.
pub struct FuzzSandbox {
    shared: Shared,
    clock: Arc<ManualClock>,
}

thread_local! {
    static PANICS: Cell<u64> = const { Cell::new(0) };
}

/// Counts panics per thread, then runs the hook that was installed before (libFuzzer's
/// aborts; the default one prints).
fn count_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICS.with(|p| p.set(p.get() + 1));
            previous(info);
        }));
    });
}

/// The runtime handle a [`Notifier`] holds. Its deliveries never start (the notifier is
/// stopped), so the runtime is never driven.
fn idle_runtime() -> tokio::runtime::Handle {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a current-thread runtime without drivers")
    })
    .handle()
    .clone()
}

impl FuzzSandbox {
    /// A fresh sandbox (no transactions) whose clock reads `start_unix` until advanced.
    pub fn new(start_unix: i64) -> FuzzSandbox {
        count_panics();
        let clock = Arc::new(ManualClock::new(start_unix));
        let notifying = Merchant::new(NOTIFYING_CLIENT_ID, NOTIFYING_SECRET_KEY)
            .and_then(|m| m.with_notification_url("http://127.0.0.1:9/doku/notifications"))
            .and_then(|m| {
                m.with_channel_notification_url(
                    Channel::Indodana,
                    "https://merchant.invalid/indodana/notify",
                )
            })
            .expect("the fuzzing merchant is valid");
        let notifier = Notifier::start(idle_runtime(), clock.clone(), 1.0, None);
        notifier.stop();
        let config = crate::SandboxConfig::default().clock(clock.clone());
        let shared = crate::build_shared(
            &config,
            vec![Merchant::default_merchant(), notifying],
            CodeRules::new(policy::DEFAULT_BIN, policy::DEFAULT_CODE_LENGTH)
                .expect("the default BIN and code length fit"),
            "http://127.0.0.1:8080".to_string(),
            State::default(),
            notifier,
        )
        .expect("the fuzzing merchants are distinct");
        FuzzSandbox { shared, clock }
    }

    /// The sandbox's clock (advance it to reach expiry).
    pub fn clock(&self) -> &ManualClock {
        &self.clock
    }

    /// The signing key of merchant `client_id`, when it is one of [`MERCHANTS`].
    pub fn key(&self, client_id: &str) -> Option<&SigningKey> {
        self.shared.merchants.get(client_id).map(|m| &m.key)
    }

    /// True for the paths of DOKU's authenticated endpoints (create and check status):
    /// an answer 2xx or 409 there means the request's signature was accepted.
    pub fn is_doku_endpoint(&self, path: &str) -> bool {
        let (pre, post) = &self.shared.status_path;
        self.shared.create_paths.iter().any(|(p, _)| p == path)
            || path
                .strip_prefix(pre.as_str())
                .and_then(|rest| rest.strip_suffix(post.as_str()))
                .is_some_and(|id| !id.is_empty() && !id.contains('/'))
    }

    /// Answers one request as the HTTP layer would hand it over: the method upper-cased,
    /// header names lower-cased and values trimmed (what `serve` guarantees); `target` is
    /// the path and query.
    pub fn handle(
        &self,
        method: &str,
        target: &str,
        headers: &[(String, String)],
        body: FuzzBody,
    ) -> FuzzResponse {
        let request = serve::Request {
            method: method.to_ascii_uppercase(),
            target: target.to_string(),
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v.trim().to_string()))
                .collect(),
            body: match body {
                FuzzBody::Bytes(b) => Ok(b),
                FuzzBody::TooLarge => Err(BodyError::TooLarge),
                FuzzBody::Unreadable(why) => Err(BodyError::Unreadable(why)),
            },
        };
        let before = PANICS.with(Cell::get);
        let response = server::handle(&self.shared, request);
        FuzzResponse {
            status: response.status,
            headers: response.headers,
            body: response.body,
            panicked: PANICS.with(Cell::get) != before,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use doku::clock::format_timestamp;
    use doku::signature::Component;
    use doku::Clock;

    const PATH: &str = "/alfa-online-to-offline/v2/payment-code";

    fn signed(sb: &FuzzSandbox, client_id: &str, body: &[u8]) -> Vec<(String, String)> {
        let ts = format_timestamp(sb.clock().now_unix());
        let component = Component::request(client_id, "r-1", &ts, PATH, Some(body));
        let signature = sb.key(client_id).unwrap().sign(&component).unwrap();
        vec![
            ("Client-Id".into(), client_id.into()),
            ("Request-Id".into(), "r-1".into()),
            ("Request-Timestamp".into(), ts),
            ("Signature".into(), signature),
        ]
    }

    #[test]
    fn signed_requests_create_and_unsigned_ones_are_refused() {
        let sb = FuzzSandbox::new(1_780_000_000);
        let body = br#"{"order":{"invoice_number":"INV-F-1","amount":150000},"online_to_offline_info":{"reusable_status":false},"customer":{"name":"Taufik Ismail"}}"#;
        let r = sb.handle("POST", PATH, &[], FuzzBody::Bytes(body.to_vec()));
        assert_eq!((r.status, r.panicked), (400, false), "missing headers");
        for (client_id, _) in MERCHANTS {
            let headers = signed(&sb, client_id, body);
            let r = sb.handle("post", PATH, &headers, FuzzBody::Bytes(body.to_vec()));
            assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
            assert!(r.header("signature").is_some());
        }
        assert!(sb.is_doku_endpoint(PATH));
        assert!(sb.is_doku_endpoint("/orders/v1/status/INV-F-1"));
        assert!(!sb.is_doku_endpoint("/_sandbox/pay"));
        let pay = br#"{"invoice_number":"INV-F-1","client_id":"MCH-FUZZ-0002"}"#;
        let r = sb.handle("POST", "/_sandbox/pay", &[], FuzzBody::Bytes(pay.to_vec()));
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        let r = sb.handle("POST", PATH, &[], FuzzBody::TooLarge);
        assert_eq!((r.status, r.panicked), (413, false));
    }
}
