//! The overall deadline of a call, cancellation between attempts, and the limit an error
//! names, against the scripted fake DOKU on 127.0.0.1 (tests/support).
//!
//! No test measures time: each asserts what the caller sees (the error kind and message)
//! and how many attempts reached the server. The stalls are long (5 s) and the deadlines
//! short, so a client that ignored its deadline would show as a second request or a
//! different error, not as a slow test.

mod support;

use std::time::Duration;

use doku::{Client, Config, ErrorKind, RequestOptions};
use serde_json::json;
use support::{seeds, Action, Server, CLIENT_ID, SECRET};

const STALL: Duration = Duration::from_secs(5);
const SERVER_ERROR: &str =
    r#"{"error":{"code":"internal","message":"try again later","type":"api_error"}}"#;

fn config(server: &Server, extra: serde_json::Value) -> Config {
    let mut c = json!({
        "client_id": CLIENT_ID,
        "secret_key": SECRET,
        "base_url": server.base_url(),
        "connect_timeout_ms": 2000,
        "timeout_ms": 10000,
        "retries": 5,
        "retry_backoff_ms": 1,
    });
    for (k, v) in extra.as_object().unwrap() {
        c[k] = v.clone();
    }
    Config::from_json(&c.to_string()).unwrap()
}

#[test]
fn the_overall_deadline_ends_a_stalled_call_with_an_unknown_outcome() {
    // Per attempt 10 s and 5 retries would hold the caller for a minute; the deadline
    // (300 ms) cuts the first attempt and leaves no time for a second.
    let server = Server::start_with(vec![], Action::Stall(STALL));
    let e = Client::new(config(&server, json!({"deadline_ms": 300})))
        .unwrap()
        .alfa_payment_code(&seeds::alfa_request(), &RequestOptions::default())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(
        e.message().contains("overall deadline of 300 ms"),
        "the message names the limit that applied: {}",
        e.message()
    );
    assert!(
        e.message().contains("outcome is unknown"),
        "{}",
        e.message()
    );
    assert_eq!(server.requests().len(), 1, "no retry after the deadline");
    assert_eq!(e.request_id(), server.requests()[0].header("Request-Id"));
}

#[test]
fn the_per_attempt_timeout_is_named_when_it_is_the_limit_that_applied() {
    let server = Server::start_with(vec![], Action::Stall(STALL));
    let e = Client::new(config(
        &server,
        json!({"timeout_ms": 300, "retries": 0, "deadline_ms": 60000}),
    ))
    .unwrap()
    .alfa_payment_code(&seeds::alfa_request(), &RequestOptions::default())
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(
        e.message().contains("per-attempt timeout of 300 ms"),
        "{}",
        e.message()
    );
}

#[test]
fn no_retry_starts_when_the_backoff_would_pass_the_deadline() {
    // Backoff base 10 s: the first wait is at least 5 s (equal jitter), longer than the
    // whole deadline, so the 500 is the answer.
    let server = Server::start_with(vec![], Action::respond(500, SERVER_ERROR));
    let e = Client::new(config(
        &server,
        json!({"retry_backoff_ms": 10000, "deadline_ms": 2000}),
    ))
    .unwrap()
    .alfa_payment_code(&seeds::alfa_request(), &RequestOptions::default())
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Api, "{e}");
    assert_eq!(e.http_status(), Some(500));
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn a_cancelled_call_starts_no_further_attempt() {
    let server = Server::start_with(vec![], Action::respond(503, SERVER_ERROR));
    let opts = RequestOptions::default();
    let cancel = opts.cancel.clone();
    // The caller gives up while the client waits to retry (the injected sleeper is the
    // wait; it returns at once).
    let config = config(&server, json!({})).with_sleeper(move |_| cancel.cancel());
    let e = Client::new(config)
        .unwrap()
        .alfa_payment_code(&seeds::alfa_request(), &opts)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(e.message().contains("cancelled"), "{}", e.message());
    assert_eq!(server.requests().len(), 1, "one attempt, then cancelled");
}

#[test]
fn deadline_and_timeouts_are_bounded_in_the_config() {
    for (key, value) in [
        ("deadline_ms", json!(0)),
        ("deadline_ms", json!(86_400_001u64)),
        ("timeout_ms", json!(u64::MAX)),
        ("connect_timeout_ms", json!(0)),
    ] {
        let e = Config::from_json(
            &json!({"client_id": CLIENT_ID, "secret_key": SECRET, key: value}).to_string(),
        )
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);
        assert_eq!(e.field(), Some(key));
        assert!(!e.to_string().contains(SECRET));
    }
    let c = Config::new(CLIENT_ID, SECRET).unwrap();
    assert_eq!(c.deadline, Duration::from_secs(60), "the default deadline");
}
