//! The retry backoff curve, through the real client against the scripted fake DOKU
//! (tests/support), with the jitter pinned or real and a sleeper that records the delays
//! the client asks for instead of waiting: no test here sleeps or reads a clock.
//!
//! The curve (`doku::client::retry_delay`, documented in the README): before retry `k`
//! (1 for the first), `ceiling = min(retry_backoff * 2^(k-1), 8 s)` and the delay is
//! `ceiling / 2 + jitter` with the jitter in `0..=ceiling / 2` (whole milliseconds).

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use doku::client::{retry_delay, Jitter, RandomJitter, MAX_RETRY_DELAY};
use doku::{Client, Config, ErrorKind, LogEvent, RequestOptions};
use serde_json::json;
use support::{seeds, Action, Server, CLIENT_ID, SECRET};

const SERVER_ERROR: &str = r#"{"error":{"code":"internal","message":"try again later"}}"#;

/// The delays a client asked its sleeper for, in order.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<Duration>>>);

impl Recorder {
    fn delays(&self) -> Vec<Duration> {
        self.0.lock().unwrap().clone()
    }
}

fn config(server: &Server, retries: u32, backoff_ms: u64) -> Config {
    Config::from_json(
        &json!({
            "client_id": CLIENT_ID,
            "secret_key": SECRET,
            "base_url": server.base_url(),
            "connect_timeout_ms": 2000,
            "timeout_ms": 2000,
            "retries": retries,
            "retry_backoff_ms": backoff_ms,
        })
        .to_string(),
    )
    .unwrap()
}

/// Runs one Alfa call against a server that always answers 503 and returns the delays the
/// client requested between its attempts.
fn delays_against_503(
    retries: u32,
    backoff_ms: u64,
    jitter: impl Jitter + 'static,
) -> Vec<Duration> {
    let server = Server::start_with(vec![], Action::respond(503, SERVER_ERROR));
    let rec = Recorder::default();
    let sink = rec.clone();
    let config = config(&server, retries, backoff_ms)
        .with_jitter(jitter)
        .with_sleeper(move |d| sink.0.lock().unwrap().push(d));
    let e = Client::new(config)
        .unwrap()
        .alfa_payment_code(&seeds::alfa_request(), &RequestOptions::default())
        .unwrap_err();
    assert_eq!(e.http_status(), Some(503), "{e}");
    assert_eq!(
        server.requests().len(),
        retries as usize + 1,
        "one attempt and {retries} retries"
    );
    rec.delays()
}

fn ms(v: &[u64]) -> Vec<Duration> {
    v.iter().copied().map(Duration::from_millis).collect()
}

#[test]
fn with_the_jitter_pinned_to_its_largest_value_the_delays_double_up_to_the_8_s_cap() {
    let delays = delays_against_503(10, 500, |max: u64| max);
    assert_eq!(
        delays,
        ms(&[500, 1000, 2000, 4000, 8000, 8000, 8000, 8000, 8000, 8000])
    );
}

#[test]
fn with_the_jitter_pinned_to_zero_the_delays_are_half_the_ceiling() {
    let delays = delays_against_503(10, 500, |_: u64| 0);
    assert_eq!(
        delays,
        ms(&[250, 500, 1000, 2000, 4000, 4000, 4000, 4000, 4000, 4000])
    );
}

#[test]
fn the_jitter_is_asked_for_half_the_ceiling_and_an_excess_is_clamped() {
    let asked = Arc::new(Mutex::new(Vec::new()));
    let log = asked.clone();
    // A misbehaving source: it answers far more than it was asked for.
    let delays = delays_against_503(4, 300, move |max: u64| {
        log.lock().unwrap().push(max);
        u64::MAX
    });
    assert_eq!(*asked.lock().unwrap(), vec![150, 300, 600, 1200]);
    assert_eq!(delays, ms(&[300, 600, 1200, 2400]));
}

#[test]
fn a_base_above_the_cap_never_waits_longer_than_8_s() {
    let delays = delays_against_503(3, 60_000, |max: u64| max);
    assert_eq!(delays, vec![MAX_RETRY_DELAY; 3]);
    assert_eq!(MAX_RETRY_DELAY, Duration::from_secs(8));
    // Also at the edges of the arithmetic: a huge base and a huge retry number.
    for retry in [1, 2, 17, 64, u32::MAX] {
        let d = retry_delay(Duration::MAX, retry, &|max: u64| max);
        assert_eq!(d, MAX_RETRY_DELAY, "retry {retry}");
    }
}

#[test]
fn with_real_jitter_every_delay_lies_between_half_the_ceiling_and_the_ceiling() {
    let delays = delays_against_503(10, 500, RandomJitter);
    assert_eq!(delays.len(), 10);
    for (k, d) in delays.iter().enumerate() {
        let ceiling = (500u64 << k).min(8000);
        let d = d.as_millis() as u64;
        assert!(
            (ceiling / 2..=ceiling).contains(&d),
            "retry {}: {d} ms outside [{}, {ceiling}]",
            k + 1,
            ceiling / 2
        );
    }
    // Many draws straight from the formula, with the default source.
    for retry in 1..=12 {
        let ceiling = 500u64.saturating_mul(1 << (retry - 1)).min(8000);
        for _ in 0..200 {
            let d = retry_delay(Duration::from_millis(500), retry, &RandomJitter).as_millis();
            assert!((ceiling / 2..=ceiling).contains(&(d as u64)), "{d}");
        }
    }
}

#[test]
fn a_zero_base_retries_at_once() {
    assert_eq!(
        delays_against_503(3, 0, |max: u64| max),
        vec![Duration::ZERO; 3]
    );
}

#[test]
fn transport_failures_back_off_on_the_same_curve() {
    let server = Server::start(vec![
        Action::DropConnection,
        Action::DropConnection,
        Action::ok("{}"),
    ]);
    let rec = Recorder::default();
    let sink = rec.clone();
    let config = config(&server, 2, 100)
        .with_jitter(|max: u64| max)
        .with_sleeper(move |d| sink.0.lock().unwrap().push(d));
    let r = Client::new(config)
        .unwrap()
        .check_status("INV-1", &RequestOptions::default())
        .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(rec.delays(), ms(&[100, 200]));
}

#[test]
fn no_retry_means_no_wait_and_the_log_reports_the_delay_slept() {
    // Without retries the sleeper is never called: the recording proves it, no waiting.
    assert!(delays_against_503(0, 500, |max: u64| max).is_empty());
    // A 400 is not retried either.
    let server = Server::start(vec![Action::respond(400, "{}")]);
    let rec = Recorder::default();
    let sink = rec.clone();
    let e =
        Client::new(config(&server, 3, 500).with_sleeper(move |d| sink.0.lock().unwrap().push(d)))
            .unwrap()
            .check_status("INV-1", &RequestOptions::default())
            .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Api);
    assert!(rec.delays().is_empty());

    // The log hook's Retry events carry exactly the delays the sleeper was asked for.
    let server = Server::start_with(vec![], Action::respond(500, SERVER_ERROR));
    let rec = Recorder::default();
    let sink = rec.clone();
    let logged = Arc::new(Mutex::new(Vec::new()));
    let log = logged.clone();
    let config = config(&server, 3, 40)
        .with_jitter(|max: u64| max / 3)
        .with_sleeper(move |d| sink.0.lock().unwrap().push(d))
        .with_log(move |e| {
            if let LogEvent::Retry { attempt, delay, .. } = e {
                log.lock().unwrap().push((*attempt, *delay));
            }
        });
    Client::new(config)
        .unwrap()
        .check_status("INV-1", &RequestOptions::default())
        .unwrap_err();
    // ceilings 40, 80, 160 ms: halves 20, 40, 80, plus a third of each half.
    assert_eq!(rec.delays(), ms(&[26, 53, 106]));
    assert_eq!(
        *logged.lock().unwrap(),
        vec![
            (1, Duration::from_millis(26)),
            (2, Duration::from_millis(53)),
            (3, Duration::from_millis(106)),
        ]
    );
}
