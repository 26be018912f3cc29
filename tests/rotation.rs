//! Secret-key rotation: verification accepts the current key and previous ones, reports
//! which one matched (its index, never the key), and signs with the current key only.

mod support;

use doku::notification::VerifyExtras;
use doku::{
    verify_inquiry, verify_notification, Client, Component, Config, ErrorKind, FixedClock, Keys,
    RequestOptions, SigningKey, VerifyOptions,
};
use support::{seeds, Action, Server, CLIENT_ID, SECRET};

const PATH: &str = "/payments/notifications";
const NEW: &str = "SK-rotation-new-not-a-real-key";
const OLD: &str = "SK-rotation-old-not-a-real-key";
const OLDER: &str = "SK-rotation-older-not-a-real-key";
const TS: &str = "2026-11-29T01:00:00Z";
const BODY: &str = r#"{"order":{"invoice_number":"INV-ROT-1","amount":10000},"transaction":{"status":"SUCCESS"},"online_to_offline_info":{"payment_code":"8888800000000001"}}"#;

fn key(s: &str) -> SigningKey {
    SigningKey::new(s.as_bytes()).unwrap()
}

fn headers_signed_with(secret: &str) -> Vec<(String, String)> {
    let component = Component::request("MCH-ROT", "req-rot-1", TS, PATH, Some(BODY.as_bytes()));
    vec![
        ("Client-Id".into(), "MCH-ROT".into()),
        ("Request-Id".into(), "req-rot-1".into()),
        ("Request-Timestamp".into(), TS.into()),
        ("Signature".into(), key(secret).sign(&component).unwrap()),
    ]
}

fn opts() -> VerifyOptions<'static> {
    VerifyOptions {
        path: PATH,
        client_id: "MCH-ROT",
        tolerance_secs: None,
    }
}

#[test]
fn each_key_of_the_ring_verifies_and_is_reported_by_index() {
    let (current, previous) = (key(NEW), [key(OLD), key(OLDER)]);
    let ring = Keys::new(&current, &previous);
    for (secret, index) in [(NEW, 0), (OLD, 1), (OLDER, 2)] {
        let n = verify_notification(
            headers_signed_with(secret),
            BODY.as_bytes(),
            ring,
            &opts(),
            &FixedClock(0),
        )
        .unwrap();
        assert_eq!(n.key_index, index, "{secret}");
        assert_eq!(n.to_json()["key_index"], index);
        let i = verify_inquiry(
            headers_signed_with(secret),
            BODY.as_bytes(),
            ring,
            &opts(),
            &FixedClock(0),
        )
        .unwrap();
        assert_eq!(i.key_index, index);
    }
}

#[test]
fn a_signature_of_no_key_in_the_ring_is_one_mismatch_that_shows_no_key() {
    let (current, previous) = (key(NEW), [key(OLD)]);
    let e = verify_notification(
        headers_signed_with("SK-someone-else"),
        BODY.as_bytes(),
        Keys::new(&current, &previous),
        &opts(),
        &FixedClock(0),
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::SignatureMismatch);
    assert_eq!(e.field(), Some("signature"));
    assert!(e.message().contains("none of the 2 keys"), "{e}");
    for secret in [NEW, OLD, "SK-someone-else"] {
        assert!(!format!("{e} {e:?} {}", e.to_json()).contains(secret));
    }
}

#[test]
fn a_single_key_verifies_as_before() {
    let n = verify_notification(
        headers_signed_with(NEW),
        BODY.as_bytes(),
        &key(NEW),
        &opts(),
        &FixedClock(0),
    )
    .unwrap();
    assert_eq!(n.key_index, 0);
}

#[test]
fn previous_keys_come_from_the_json_options_by_index() {
    let extras = VerifyExtras::from_json(Some(&format!(
        r#"{{"tolerance_secs": 60, "previous_secret_keys": ["{OLD}", "{OLDER}"]}}"#
    )))
    .unwrap();
    assert_eq!(extras.tolerance_secs, Some(60));
    let current = key(NEW);
    let n = verify_notification(
        headers_signed_with(OLDER),
        BODY.as_bytes(),
        extras.keys(&current),
        &opts(),
        &FixedClock(0),
    )
    .unwrap();
    assert_eq!(n.key_index, 2);
    for (json, field) in [
        (
            r#"{"previous_secret_keys": ["ok", ""]}"#,
            "options.previous_secret_keys[1]",
        ),
        (
            r#"{"previous_secret_keys": [7]}"#,
            "options.previous_secret_keys[0]",
        ),
        (
            r#"{"previous_secret_keys": "SK-x"}"#,
            "options.previous_secret_keys",
        ),
        (r#"{"previous_keys": []}"#, "options.previous_keys"),
    ] {
        let e = VerifyExtras::from_json(Some(json)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{json}");
        assert_eq!(e.field(), Some(field), "{json}");
        assert!(!e.message().contains("SK-x"));
    }
}

#[test]
fn a_response_signed_with_a_previous_key_verifies_and_requests_use_the_current_key() {
    // The fake DOKU signs its answers with SECRET: the merchant has moved to NEW.
    let server = Server::start(vec![Action::ok(
        r#"{"order":{"invoice_number":"INV-ROT"}}"#,
    )]);
    let config = Config::from_json(
        &serde_json::json!({
            "client_id": CLIENT_ID,
            "secret_key": NEW,
            "previous_secret_keys": [SECRET],
            "base_url": server.base_url(),
            "response_signature": "require",
            "retries": 0,
        })
        .to_string(),
    )
    .unwrap();
    let r = Client::new(config)
        .unwrap()
        .alfa_payment_code(&seeds::alfa_request(), &RequestOptions::default())
        .unwrap();
    assert!(r.signature_verified);
    assert_eq!(r.key_index, Some(1));
    assert_eq!(r.to_json()["key_index"], 1);
    let sent = &server.requests()[0];
    assert!(
        sent.verify_signature(NEW).is_ok(),
        "requests are signed with the current key"
    );
    assert!(sent.verify_signature(SECRET).is_err());
}

#[test]
fn previous_keys_in_a_config_are_checked_and_never_shown() {
    let e = Config::from_json(
        &serde_json::json!({
            "client_id": CLIENT_ID, "secret_key": NEW, "previous_secret_keys": [OLD, ""],
        })
        .to_string(),
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert_eq!(e.field(), Some("previous_secret_keys[1]"));
    let c = Config::new(CLIENT_ID, NEW)
        .unwrap()
        .with_previous_secret_keys(&[OLD])
        .unwrap();
    let shown = format!("{c:?}");
    assert!(!shown.contains(OLD) && !shown.contains(NEW), "{shown}");
}
