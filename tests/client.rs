//! The HTTP client against a scripted fake DOKU on 127.0.0.1 (tests/support): real sockets,
//! real signatures on both sides, injected faults (5xx, 4xx, 409 replays, dropped
//! connections, stalls, bad or missing response signatures, non-JSON bodies).
//!
//! Every client uses bounded timeouts (2 s; 300 ms in the stall tests, which must give up
//! long before the server's 1.5 s stall ends) and a 1 ms retry backoff, so no test waits for
//! long and none can hang.

mod support;

use std::net::TcpListener;
use std::time::Duration;

use doku::{Client, Config, ErrorKind, Method, RequestOptions, Response};
use serde_json::{json, Value};
use support::{seeds, Action, Recorded, Server, CLIENT_ID, SECRET};

const ALFA_PATH: &str = "/alfa-online-to-offline/v2/payment-code";
const STALL: Duration = Duration::from_millis(1500);

/// A client for `base_url` with test timeouts; `overrides` replace config keys.
fn client_for(base_url: &str, overrides: Value) -> Client {
    let mut config = json!({
        "client_id": CLIENT_ID,
        "secret_key": SECRET,
        "base_url": base_url,
        "connect_timeout_ms": 2000,
        "timeout_ms": 2000,
        "retries": 0,
        "retry_backoff_ms": 1,
    });
    for (k, v) in overrides.as_object().expect("overrides are an object") {
        config[k] = v.clone();
    }
    let config = Config::from_json(&config.to_string()).expect("test config");
    Client::new(config).expect("client")
}

fn client(server: &Server, overrides: Value) -> Client {
    client_for(&server.base_url(), overrides)
}

fn no_opts() -> RequestOptions {
    RequestOptions::default()
}

fn alfa() -> Value {
    seeds::alfa_request()
}

/// A DOKU-like Alfa payment code answer.
const ALFA_RESPONSE: &str = r#"{"order":{"invoice_number":"INV-20210125-0001"},"online_to_offline_info":{"payment_code":"73","created_date":"20210303230532","expired_date":"20210304054432","created_date_utc":"2021-03-03T16:05:32Z","expired_date_utc":"2021-03-03T22:44:32Z","how_to_pay_page":"https://app-uat.doku.com/how-to-pay/v2/alfa-online-to-offline/73","how_to_pay_api":"https://api-uat.doku.com/alfa-online-to-offline/v2/how-to-pay-api/73"}}"#;

const SERVER_ERROR: &str =
    r#"{"error":{"code":"internal","message":"try again later","type":"api_error"}}"#;

fn parsed(body: &str) -> Value {
    serde_json::from_str(body).unwrap()
}

fn is_uuid_v4(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && s.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_digit() || ('a'..='f').contains(&c),
        })
        && b[14] == b'4'
        && matches!(b[19], b'8' | b'9' | b'a' | b'b')
}

/// `2020-08-11T08:45:42Z`: UTC, second precision, `Z`.
fn is_doku_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 20
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            19 => *c == b'Z',
            _ => c.is_ascii_digit(),
        })
}

fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The signed headers every request carries, each exactly once, and a signature that
/// verifies over the received bytes and path.
#[track_caller]
fn assert_signed_request(r: &Recorded) {
    for name in ["Client-Id", "Request-Id", "Request-Timestamp", "Signature"] {
        assert_eq!(r.header_count(name), 1, "{name} in {:?}", r.headers);
    }
    assert_eq!(r.header("Client-Id"), Some(CLIENT_ID));
    let ts = r.header("Request-Timestamp").unwrap();
    assert!(is_doku_timestamp(ts), "Request-Timestamp {ts:?}");
    assert!(r.header("Signature").unwrap().starts_with("HMACSHA256="));
    r.verify_signature(SECRET)
        .unwrap_or_else(|e| panic!("the request signature does not verify: {e}"));
}

/// All recorded requests carry the same Request-Id; returns it.
#[track_caller]
fn same_request_id(requests: &[Recorded]) -> String {
    let id = requests[0].header("Request-Id").unwrap().to_string();
    for r in requests {
        assert_eq!(
            r.header("Request-Id"),
            Some(id.as_str()),
            "retry with another id"
        );
        assert_signed_request(r);
    }
    id
}

// ---------------------------------------------------------------------------------------
// What a request looks like on the wire.
// ---------------------------------------------------------------------------------------

#[test]
fn a_post_carries_signed_headers_over_the_exact_bytes_sent() {
    let server = Server::start(vec![Action::ok(ALFA_RESPONSE)]);
    let before = now_unix();
    let resp = client(&server, json!({}))
        .alfa_payment_code(&alfa(), &no_opts())
        .unwrap();

    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.target, ALFA_PATH);
    assert_signed_request(r);
    let id = r.header("Request-Id").unwrap();
    assert!(is_uuid_v4(id), "Request-Id {id:?} is not a UUIDv4");
    assert_eq!(r.header("Content-Type"), Some("application/json"));
    let ts = doku::clock::parse_timestamp(r.header("Request-Timestamp").unwrap(), "t").unwrap();
    assert!(
        (before - 5..=now_unix() + 5).contains(&ts),
        "Request-Timestamp is now"
    );
    // The body received is the JSON we gave, and the signature covers those bytes.
    assert_eq!(serde_json::from_slice::<Value>(&r.body).unwrap(), alfa());

    assert_eq!(resp.status, 200);
    assert_eq!(resp.request_id, id);
    assert!(!resp.replay);
    assert!(resp.signature_verified);
    assert!(resp
        .response_timestamp
        .as_deref()
        .is_some_and(is_doku_timestamp));
    assert_eq!(resp.body, parsed(ALFA_RESPONSE));
}

#[test]
fn a_fresh_uuid_v4_request_id_per_call() {
    let server = Server::start(vec![Action::ok("{}"), Action::ok("{}")]);
    let c = client(&server, json!({}));
    let a = c.alfa_payment_code(&alfa(), &no_opts()).unwrap();
    let b = c.alfa_payment_code(&alfa(), &no_opts()).unwrap();
    assert!(is_uuid_v4(&a.request_id) && is_uuid_v4(&b.request_id));
    assert_ne!(a.request_id, b.request_id);
}

#[test]
fn the_given_request_id_and_timestamp_are_sent() {
    let server = Server::start(vec![Action::ok(ALFA_RESPONSE)]);
    let opts = RequestOptions {
        request_id: Some("order-42-attempt-1".into()),
        timestamp: Some("2020-08-11T08:45:42Z".into()),
        ..Default::default()
    };
    let resp = client(&server, json!({}))
        .alfa_payment_code(&alfa(), &opts)
        .unwrap();
    let r = &server.requests()[0];
    assert_eq!(r.header("Request-Id"), Some("order-42-attempt-1"));
    assert_eq!(r.header("Request-Timestamp"), Some("2020-08-11T08:45:42Z"));
    assert_signed_request(r);
    assert_eq!(resp.request_id, "order-42-attempt-1");
}

#[test]
fn unusable_request_options_are_refused_before_any_io() {
    let server = Server::start(vec![]);
    let c = client(&server, json!({}));
    for (opts, field) in [
        (
            RequestOptions {
                request_id: Some("x".repeat(129)),
                timestamp: None,
                ..Default::default()
            },
            "request_id",
        ),
        (
            RequestOptions {
                request_id: Some("a\r\nX-Injected: 1".into()),
                timestamp: None,
                ..Default::default()
            },
            "request_id",
        ),
        (
            RequestOptions {
                request_id: None,
                timestamp: Some("2020-08-11T08:45:42.123Z".into()),
                ..Default::default()
            },
            "timestamp",
        ),
    ] {
        let e = c.alfa_payment_code(&alfa(), &opts).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
        assert_eq!(e.field(), Some(field));
    }
    assert!(server.requests().is_empty());
    assert_eq!(server.connections(), 0);
}

#[test]
fn check_status_is_a_signed_get_without_digest() {
    let server = Server::start(vec![Action::ok(
        r#"{"order":{"invoice_number":"INV-123123-12313"},"transaction":{"status":"PENDING"}}"#,
    )]);
    let resp = client(&server, json!({}))
        .check_status("INV-123123-12313", &no_opts())
        .unwrap();
    let r = &server.requests()[0];
    assert_eq!(r.method, "GET");
    assert_eq!(r.target, "/orders/v1/status/INV-123123-12313");
    assert!(r.body.is_empty());
    assert!(matches!(r.header("Content-Length"), None | Some("0")));
    assert!(r.header("Transfer-Encoding").is_none());
    // verify_signature uses no Digest line for a GET; with an (empty) Digest it fails.
    assert_signed_request(r);
    let key = doku::SigningKey::new(SECRET.as_bytes()).unwrap();
    let with_digest = doku::Component::request(
        CLIENT_ID,
        r.header("Request-Id").unwrap(),
        r.header("Request-Timestamp").unwrap(),
        r.path(),
        Some(b""),
    );
    assert!(key
        .verify(&with_digest, r.header("Signature").unwrap())
        .is_err());
    assert_eq!(resp.body["transaction"]["status"], "PENDING");
    assert!(resp.signature_verified);
}

#[test]
fn check_status_percent_encodes_the_id() {
    let server = Server::start(vec![Action::ok("{}")]);
    client(&server, json!({}))
        .check_status("INV 1/2?x#y", &no_opts())
        .unwrap();
    let r = &server.requests()[0];
    assert_eq!(r.target, "/orders/v1/status/INV%201%2F2%3Fx%23y");
    // Signed over the encoded path, as sent.
    assert_signed_request(r);
}

#[test]
fn check_status_refuses_an_empty_id() {
    let server = Server::start(vec![]);
    let e = client(&server, json!({}))
        .check_status("", &no_opts())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert_eq!(e.field(), Some("id"));
    assert_eq!(server.connections(), 0);
}

// ---------------------------------------------------------------------------------------
// Retries: same Request-Id, bounded, only where safe.
// ---------------------------------------------------------------------------------------

#[test]
fn a_500_is_retried_with_the_same_request_id() {
    let server = Server::start(vec![
        Action::respond(500, SERVER_ERROR),
        Action::ok(ALFA_RESPONSE),
    ]);
    let resp = client(&server, json!({"retries": 2}))
        .alfa_payment_code(&alfa(), &no_opts())
        .unwrap();
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    let id = same_request_id(&reqs);
    assert_eq!(reqs[0].body, reqs[1].body, "the same bytes again");
    assert_eq!(resp.status, 200);
    assert_eq!(resp.request_id, id);
    assert_eq!(resp.body, parsed(ALFA_RESPONSE));
}

#[test]
fn retries_are_bounded() {
    let server = Server::start_with(vec![], Action::respond(500, SERVER_ERROR));
    let e = client(&server, json!({"retries": 2}))
        .alfa_payment_code(&alfa(), &no_opts())
        .unwrap_err();
    let reqs = server.requests();
    assert_eq!(reqs.len(), 3, "one attempt and two retries");
    let id = same_request_id(&reqs);
    assert_eq!(e.kind(), ErrorKind::Api, "{e}");
    assert_eq!(e.http_status(), Some(500));
    assert_eq!(e.request_id(), Some(id.as_str()));
    assert_eq!(e.body(), Some(SERVER_ERROR));
}

#[test]
fn a_400_is_not_retried_and_keeps_status_request_id_and_body() {
    let body = r#"{"error":{"code":"invalid_amount","message":"order.amount must be at least 10000","type":"invalid_request_error"}}"#;
    let server = Server::start(vec![Action::respond(400, body), Action::ok("{}")]);
    let e = client(&server, json!({"retries": 2}))
        .alfa_payment_code(&alfa(), &no_opts())
        .unwrap_err();
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1, "no retry on 4xx");
    assert_eq!(e.kind(), ErrorKind::Api);
    assert_eq!(e.http_status(), Some(400));
    assert_eq!(e.request_id(), reqs[0].header("Request-Id"));
    assert_eq!(e.body(), Some(body));
    assert!(
        e.message().contains("order.amount must be at least 10000"),
        "{}",
        e.message()
    );
    let j = e.to_json();
    assert_eq!(j["kind"], "api");
    assert_eq!(j["http_status"], 400);
}

#[test]
fn a_non_json_error_body_is_kept_raw() {
    let server = Server::start(vec![Action::RawBody {
        status: 503,
        body: b"<html>upstream down</html>".to_vec(),
    }]);
    let e = client(&server, json!({}))
        .alfa_payment_code(&alfa(), &no_opts())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Api);
    assert_eq!(e.http_status(), Some(503));
    assert_eq!(e.body(), Some("<html>upstream down</html>"));
}

#[test]
fn a_409_is_the_original_response_flagged_as_replay_and_not_retried() {
    let server = Server::start(vec![Action::respond(409, ALFA_RESPONSE), Action::ok("{}")]);
    let opts = RequestOptions {
        request_id: Some("5b8e438f-fac1-4103-9e0e-ebfdc38b5acb".into()),
        timestamp: None,
        ..Default::default()
    };
    let resp: Response = client(&server, json!({"retries": 2}))
        .alfa_payment_code(&alfa(), &opts)
        .unwrap();
    assert_eq!(server.requests().len(), 1);
    assert_eq!(resp.status, 409);
    assert!(resp.replay);
    assert!(resp.signature_verified);
    assert_eq!(resp.request_id, "5b8e438f-fac1-4103-9e0e-ebfdc38b5acb");
    assert_eq!(resp.body, parsed(ALFA_RESPONSE));
    assert_eq!(resp.to_json()["replay"], true);
}

#[test]
fn a_dropped_connection_is_retried_with_the_same_request_id() {
    let server = Server::start(vec![Action::DropConnection, Action::ok(ALFA_RESPONSE)]);
    let resp = client(&server, json!({"retries": 1}))
        .alfa_payment_code(&alfa(), &no_opts())
        .unwrap();
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    let id = same_request_id(&reqs);
    assert_eq!(resp.request_id, id);
    assert_eq!(resp.body, parsed(ALFA_RESPONSE));
}

#[test]
fn a_dropped_connection_without_retries_is_a_transport_error() {
    let server = Server::start(vec![Action::DropConnection]);
    let e = client(&server, json!({}))
        .alfa_payment_code(&alfa(), &no_opts())
        .unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::Transport | ErrorKind::Timeout),
        "{:?}: {e}",
        e.kind()
    );
    assert_eq!(e.request_id(), server.requests()[0].header("Request-Id"));
}

#[test]
fn a_stall_past_the_timeout_is_a_timeout_with_an_unknown_outcome() {
    let server = Server::start(vec![Action::Stall(STALL)]);
    let e = client(&server, json!({"timeout_ms": 300}))
        .alfa_payment_code(&alfa(), &no_opts())
        .unwrap_err();
    // A client that waited out the stall would see the server close: a transport error.
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(
        e.message().to_lowercase().contains("unknown"),
        "the message says the outcome is unknown: {}",
        e.message()
    );
    assert!(
        e.message().contains("check_status"),
        "and how to reconcile: {}",
        e.message()
    );
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(e.request_id(), reqs[0].header("Request-Id"));
}

#[test]
fn a_stall_then_success_is_retried_with_the_same_request_id() {
    let server = Server::start(vec![Action::Stall(STALL), Action::ok(ALFA_RESPONSE)]);
    let resp = client(&server, json!({"retries": 1, "timeout_ms": 300}))
        .alfa_payment_code(&alfa(), &no_opts())
        .unwrap();
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    let id = same_request_id(&reqs);
    assert_eq!(resp.request_id, id);
    assert!(resp.signature_verified);
}

#[test]
fn a_refused_connection_is_a_transport_error() {
    // A port nobody listens on: bind one, note it, close it.
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let c = client_for(&format!("http://127.0.0.1:{port}"), json!({}));
    let e = c
        .alfa_payment_code(
            &alfa(),
            &RequestOptions {
                request_id: Some("refused-1".into()),
                timestamp: None,
                ..Default::default()
            },
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
    assert_eq!(e.request_id(), Some("refused-1"));
}

// ---------------------------------------------------------------------------------------
// Response bodies and signatures.
// ---------------------------------------------------------------------------------------

#[test]
fn a_non_json_success_body_is_a_decode_error_keeping_the_raw_body() {
    let server = Server::start(vec![Action::RawBody {
        status: 200,
        body: b"<html>OK</html>".to_vec(),
    }]);
    let e = client(&server, json!({}))
        .alfa_payment_code(&alfa(), &no_opts())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Decode, "{e}");
    assert_eq!(e.body(), Some("<html>OK</html>"));
    assert_eq!(e.http_status(), Some(200));
    assert_eq!(e.request_id(), server.requests()[0].header("Request-Id"));
}

#[test]
fn a_bad_response_signature_is_a_mismatch() {
    for policy in ["if_present", "require"] {
        let server = Server::start(vec![Action::RespondBadSignature {
            status: 200,
            body: ALFA_RESPONSE.into(),
        }]);
        let e = client(&server, json!({"response_signature": policy}))
            .alfa_payment_code(&alfa(), &no_opts())
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::SignatureMismatch, "{policy}: {e}");
        assert_eq!(e.body(), Some(ALFA_RESPONSE), "{policy}");
        assert_eq!(
            e.request_id(),
            server.requests()[0].header("Request-Id"),
            "{policy}"
        );
    }
}

#[test]
fn a_bad_response_signature_passes_when_verification_is_off() {
    let server = Server::start(vec![Action::RespondBadSignature {
        status: 200,
        body: ALFA_RESPONSE.into(),
    }]);
    let resp = client(&server, json!({"response_signature": "off"}))
        .alfa_payment_code(&alfa(), &no_opts())
        .unwrap();
    assert!(!resp.signature_verified);
}

#[test]
fn an_unsigned_response_is_a_mismatch_when_signatures_are_required() {
    let server = Server::start(vec![Action::RespondUnsigned {
        status: 200,
        body: ALFA_RESPONSE.into(),
    }]);
    let e = client(&server, json!({"response_signature": "require"}))
        .alfa_payment_code(&alfa(), &no_opts())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::SignatureMismatch, "{e}");
}

#[test]
fn an_unsigned_response_is_accepted_unverified_with_if_present() {
    let server = Server::start(vec![Action::RespondUnsigned {
        status: 200,
        body: ALFA_RESPONSE.into(),
    }]);
    let resp = client(&server, json!({"response_signature": "if_present"}))
        .alfa_payment_code(&alfa(), &no_opts())
        .unwrap();
    assert!(!resp.signature_verified);
    assert_eq!(resp.body, parsed(ALFA_RESPONSE));
}

#[test]
fn a_correctly_signed_response_is_verified_even_when_required() {
    let server = Server::start(vec![Action::ok(ALFA_RESPONSE)]);
    let resp = client(&server, json!({"response_signature": "require"}))
        .alfa_payment_code(&alfa(), &no_opts())
        .unwrap();
    assert!(resp.signature_verified);
}

#[test]
fn a_response_for_another_request_id_is_refused() {
    let server = Server::start(vec![Action::Respond {
        status: 200,
        headers: vec![("Request-Id".into(), "someone-else".into())],
        body: ALFA_RESPONSE.into(),
    }]);
    let e = client(&server, json!({}))
        .alfa_payment_code(&alfa(), &no_opts())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Decode, "{e}");
}

// ---------------------------------------------------------------------------------------
// Connections, validation, paths, the generic request.
// ---------------------------------------------------------------------------------------

#[test]
fn keep_alive_reuses_one_connection_for_sequential_requests() {
    let server = Server::start(vec![Action::ok(ALFA_RESPONSE), Action::ok("{}")]);
    let c = client(&server, json!({}));
    c.alfa_payment_code(&alfa(), &no_opts()).unwrap();
    c.check_status("INV-20210125-0001", &no_opts()).unwrap();
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(server.connections(), 1, "one TCP connection for both");
    assert!(reqs.iter().all(|r| r.connection == 0));
}

#[test]
fn validation_happens_before_any_io() {
    let server = Server::start(vec![Action::ok("{}")]);
    let c = client(&server, json!({}));
    let mut body = alfa();
    body["order"]["amount"] = json!("15a");
    let e = c.alfa_payment_code(&body, &no_opts()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation);
    assert_eq!(e.field(), Some("order.amount"));
    // The same through call() with bytes, and bytes that are not JSON at all.
    let bytes = serde_json::to_vec(&body).unwrap();
    let e = c.call("alfa_payment_code", &bytes, &no_opts()).unwrap_err();
    assert_eq!(e.field(), Some("order.amount"));
    let text = seeds::indomaret_request_text();
    let e = c
        .call("indomaret_payment_code", text.as_bytes(), &no_opts())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    let e = c
        .indodana_generate_order(&json!({"order": {}}), &no_opts())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation);
    assert!(server.requests().is_empty());
    assert_eq!(server.connections(), 0, "not even a connection");
}

#[test]
fn call_sends_the_callers_bytes_as_given() {
    let server = Server::start(vec![Action::ok("{}")]);
    let pretty = serde_json::to_string_pretty(&seeds::indomaret_request()).unwrap();
    client(&server, json!({}))
        .call("indomaret_payment_code", pretty.as_bytes(), &no_opts())
        .unwrap();
    let r = &server.requests()[0];
    assert_eq!(r.target, "/indomaret-online-to-offline/v2/payment-code");
    assert_eq!(r.body, pretty.as_bytes());
    assert_signed_request(r);
}

#[test]
fn indodana_generate_order_goes_to_its_path() {
    let server = Server::start(vec![Action::ok(
        r#"{"order":{"amount":100000,"invoice_number":"MINV20201231468"},"payment":{"status":"PENDING","url":"https://sandbox01.indodana.com/x"}}"#,
    )]);
    let resp = client(&server, json!({}))
        .indodana_generate_order(&seeds::indodana_request(), &no_opts())
        .unwrap();
    let r = &server.requests()[0];
    assert_eq!(r.target, "/indodana-peer-to-peer/v2/generate-order");
    assert_signed_request(r);
    assert_eq!(
        serde_json::from_slice::<Value>(&r.body).unwrap(),
        seeds::indodana_request()
    );
    assert_eq!(resp.body["payment"]["status"], "PENDING");
}

#[test]
fn the_alfa_path_can_be_overridden_in_config() {
    let server = Server::start(vec![Action::ok(ALFA_RESPONSE)]);
    let c = client(
        &server,
        json!({
            "paths": {"alfa_payment_code": "/alfa-virtual-account/v2/payment-code"},
            "response_signature": "require",
        }),
    );
    let resp = c.alfa_payment_code(&alfa(), &no_opts()).unwrap();
    let r = &server.requests()[0];
    assert_eq!(r.target, "/alfa-virtual-account/v2/payment-code");
    // verify_signature uses the received path: the request was signed for it.
    assert_signed_request(r);
    // And DOKU's response, signed for that path, verifies.
    assert!(resp.signature_verified);
}

#[test]
fn the_generic_request_sends_and_signs_the_bytes_as_given() {
    let server = Server::start(vec![Action::ok(r#"{"virtual_account_info":{}}"#)]);
    let body = json!({
        "order": {"invoice_number": "INV-BCA-1", "amount": 20000},
        "virtual_account_info": {"expired_time": 60, "reusable_status": false, "info1": "Café ☕"},
        "customer": {"name": "Dewi", "email": "dewi@example.com"},
    });
    let pretty = serde_json::to_string_pretty(&body).unwrap();
    let resp = client(&server, json!({}))
        .request(
            Method::Post,
            "/bca-virtual-account/v2/payment-code",
            Some(pretty.as_bytes()),
            &no_opts(),
        )
        .unwrap();
    let r = &server.requests()[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.target, "/bca-virtual-account/v2/payment-code");
    assert_eq!(r.body, pretty.as_bytes(), "byte for byte");
    assert_eq!(r.header("Content-Type"), Some("application/json"));
    assert_signed_request(r);
    assert!(resp.signature_verified);
}

#[test]
fn the_generic_request_refuses_a_get_with_a_body_and_a_post_without_one() {
    let server = Server::start(vec![]);
    let c = client(&server, json!({}));
    let e = c
        .request(
            Method::Get,
            "/orders/v1/status/INV-1",
            Some(b"{}"),
            &no_opts(),
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert_eq!(e.field(), Some("body"));
    let e = c
        .request(
            Method::Post,
            "/bca-virtual-account/v2/payment-code",
            None,
            &no_opts(),
        )
        .unwrap_err();
    assert_eq!(e.field(), Some("body"));
    let e = c
        .request(
            Method::Post,
            "/bca-virtual-account/v2/payment-code",
            Some(b"{not json"),
            &no_opts(),
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(server.requests().is_empty());
    assert_eq!(server.connections(), 0);
}

#[test]
fn the_generic_get_is_signed_without_digest() {
    let server = Server::start(vec![Action::ok("{}")]);
    client(&server, json!({}))
        .request(Method::Get, "/orders/v1/status/INV-1", None, &no_opts())
        .unwrap();
    let r = &server.requests()[0];
    assert_eq!(r.method, "GET");
    assert!(r.body.is_empty());
    assert_signed_request(r);
}

#[test]
fn debug_output_of_the_client_never_shows_the_secret() {
    let server = Server::start(vec![]);
    let c = client(&server, json!({}));
    let out = format!("{c:?} {:?}", c.config());
    assert!(!out.contains(SECRET), "{out}");
}

#[test]
fn a_keep_alive_connection_closed_by_the_server_is_not_reused() {
    // The server answers, then closes the connection (as an idle timeout on DOKU's side or
    // a proxy does). The next request must not fail on the dead pooled connection, even
    // without retries: it was never sent, so nothing is in doubt.
    let server = Server::start(vec![
        Action::RespondThenClose {
            status: 200,
            body: ALFA_RESPONSE.into(),
        },
        Action::ok("{}"),
    ]);
    let c = client(&server, json!({}));
    c.alfa_payment_code(&alfa(), &no_opts()).unwrap();
    // Wait for the event (the server has shut the connection down), not a fixed time.
    server.wait_for_closed(1);
    c.check_status("INV-20210125-0001", &no_opts()).unwrap();
    assert_eq!(server.requests().len(), 2);
    assert_eq!(server.connections(), 2);
}

#[test]
fn call_runs_check_status_from_an_id_object() {
    let server = Server::start(vec![Action::ok("{}")]);
    let c = client(&server, json!({}));
    c.call("check_status", br#"{"id": "INV/9"}"#, &no_opts())
        .unwrap();
    let r = &server.requests()[0];
    assert_eq!(r.method, "GET");
    assert_eq!(r.target, "/orders/v1/status/INV%2F9");
    assert_signed_request(r);
    let e = c
        .call("check_status", br#"{"invoice": "INV-9"}"#, &no_opts())
        .unwrap_err();
    assert_eq!(e.field(), Some("id"));
    let e = c.call("nope", b"{}", &no_opts()).unwrap_err();
    assert_eq!(e.field(), Some("operation"));
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn one_client_serves_many_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Client>();
    let server = Server::start((0..4).map(|_| Action::ok("{}")).collect());
    let c = client(&server, json!({}));
    let ids: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| s.spawn(|| c.alfa_payment_code(&alfa(), &no_opts()).unwrap()))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap().request_id)
            .collect()
    });
    let reqs = server.requests();
    assert_eq!(reqs.len(), 4);
    for r in &reqs {
        assert_signed_request(r);
        assert!(ids
            .iter()
            .any(|id| Some(id.as_str()) == r.header("Request-Id")));
    }
}

#[test]
fn a_log_hook_sees_attempts_answers_and_retries_but_no_secret() {
    use std::sync::{Arc, Mutex};
    let server = Server::start(vec![
        Action::respond(500, SERVER_ERROR),
        Action::ok(ALFA_RESPONSE),
    ]);
    let lines: Arc<Mutex<Vec<String>>> = Arc::default();
    let sink = Arc::clone(&lines);
    let config = client_for(&server.base_url(), json!({"retries": 1}))
        .config()
        .clone()
        .with_log(move |event| sink.lock().unwrap().push(format!("{event:?}")));
    let resp = Client::new(config)
        .unwrap()
        .alfa_payment_code(&alfa(), &no_opts())
        .unwrap();
    let lines = lines.lock().unwrap().clone();
    let kinds: Vec<&str> = lines
        .iter()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["Attempt", "Answer", "Retry", "Attempt", "Answer"],
        "{lines:?}"
    );
    assert!(lines[1].contains("status: 500") && lines[4].contains("status: 200"));
    assert!(lines[2].contains("HTTP 500"));
    for line in &lines {
        assert!(line.contains(&resp.request_id), "{line}");
        assert!(
            !line.contains(SECRET) && !line.contains("HMACSHA256"),
            "{line}"
        );
    }
    // Without a hook nothing is logged (and the Debug of the config says so).
    assert!(format!("{:?}", client(&server, json!({})).config()).contains("log: None"));
}

#[test]
fn numbers_as_strings_are_sent_exactly_as_the_caller_wrote_them() {
    // DOKU's PrestaShop plugin writes "amount":"150000": the client validates it and sends
    // those bytes, never a re-serialised or converted body.
    let server = Server::start(vec![Action::ok(ALFA_RESPONSE), Action::ok(ALFA_RESPONSE)]);
    let c = client(&server, json!({}));
    let bytes = br#"{"order": {"invoice_number": "INV-PS-1", "amount": "150000"},
  "online_to_offline_info": {"expired_time": "60", "reusable_status": false, "info1": ""},
  "customer": {"name": "Taufik Ismail"}}"#;
    c.call("alfa_payment_code", bytes, &no_opts()).unwrap();
    let mut value = alfa();
    value["order"]["amount"] = json!("150000");
    c.alfa_payment_code(&value, &no_opts()).unwrap();
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].body, bytes.to_vec());
    let sent: Value = serde_json::from_slice(&reqs[1].body).unwrap();
    assert_eq!(sent["order"]["amount"], json!("150000"), "still a string");
    // A string that is not digits never leaves the process.
    let e = c
        .call(
            "alfa_payment_code",
            &bytes
                .iter()
                .map(|&b| if b == b'5' { b'x' } else { b })
                .collect::<Vec<_>>(),
            &no_opts(),
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation);
    assert_eq!(e.field(), Some("order.amount"));
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn a_config_that_repeats_a_key_is_a_config_error_without_the_secret() {
    let json = format!(
        r#"{{"client_id": "{CLIENT_ID}", "secret_key": "first-{SECRET}",
            "secret_key": "second-{SECRET}", "environment": "sandbox"}}"#
    );
    let e = Config::from_json(&json).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert_eq!(e.field(), Some("secret_key"));
    assert!(e.message().contains("\"secret_key\" appears twice"), "{e}");
    assert!(e.message().contains("line 2"), "{e}");
    let shown = format!("{e} {e:?} {}", e.to_json());
    assert!(!shown.contains(SECRET), "{shown}");
}
