//! Notifications and Direct Inquiries from DOKU to the merchant (PROTOCOL.md 4): signed
//! here exactly as DOKU signs them (a request component whose Request-Target is the
//! merchant's own path), then verified and parsed by the library.

use doku::notification::SignedHeaders;
use doku::{
    inquiry_reply, verify_inquiry, verify_notification, Component, ErrorKind, FixedClock, Inquiry,
    InquiryAnswer, Notification, SigningKey, VerifyOptions,
};
use serde_json::{json, Value};

const CLIENT_ID: &str = "MCH-0001-10791114622547";
const SECRET: &str = "SK-notify-0001-not-a-real-key";
const PATH: &str = "/payments/notifications";
const INQUIRY_PATH: &str = "/payments/inquiry";
const REQUEST_ID: &str = "479b663f-5c9d-400d-8e80-3e548a8f7639";
const TIMESTAMP: &str = "2021-06-24T07:30:01Z";

/// `TIMESTAMP` in Unix seconds.
fn t0() -> i64 {
    doku::clock::parse_timestamp(TIMESTAMP, "t").unwrap()
}

const TWELVE_HOURS: i64 = 12 * 3600;

fn key(secret: &str) -> SigningKey {
    SigningKey::new(secret.as_bytes()).unwrap()
}

type Headers = Vec<(String, String)>;

/// The four headers DOKU sends, signed with `secret` over `body` with `path` as target.
fn sign_as(
    body: &[u8],
    client_id: &str,
    request_id: &str,
    timestamp: &str,
    path: &str,
    secret: &str,
) -> Headers {
    let signature = key(secret)
        .sign(&Component::request(
            client_id,
            request_id,
            timestamp,
            path,
            Some(body),
        ))
        .unwrap();
    vec![
        ("Client-Id".into(), client_id.into()),
        ("Request-Id".into(), request_id.into()),
        ("Request-Timestamp".into(), timestamp.into()),
        ("Signature".into(), signature),
    ]
}

fn signed(body: &str) -> Headers {
    sign_as(
        body.as_bytes(),
        CLIENT_ID,
        REQUEST_ID,
        TIMESTAMP,
        PATH,
        SECRET,
    )
}

fn opts(tolerance_secs: Option<u64>) -> VerifyOptions<'static> {
    VerifyOptions {
        path: PATH,
        client_id: CLIENT_ID,
        tolerance_secs,
    }
}

/// Verifies with the defaults (no freshness check), 12 hours after the timestamp.
fn verify(headers: &Headers, body: &str) -> doku::Result<Notification> {
    verify_notification(
        headers.iter().cloned(),
        body.as_bytes(),
        &key(SECRET),
        &opts(None),
        &FixedClock(t0() + TWELVE_HOURS),
    )
}

#[track_caller]
fn assert_mismatch(r: doku::Result<Notification>, what: &str) -> doku::Error {
    let e = r.expect_err(what);
    assert_eq!(e.kind(), ErrorKind::SignatureMismatch, "{what}: {e}");
    e
}

/// An Alfa (O2O) payment notification as PROTOCOL.md 4 describes it, pretty-printed as
/// it might arrive on the wire.
const O2O_BODY: &str = r#"{
    "service": { "id": "ONLINE_TO_OFFLINE" },
    "acquirer": { "id": "ALFA" },
    "channel": { "id": "ONLINE_TO_OFFLINE_ALFA" },
    "transaction": {
        "status": "SUCCESS",
        "date": "2021-03-03T16:20:00Z",
        "original_request_id": "5b8e438f-fac1-4103-9e0e-ebfdc38b5acb"
    },
    "order": { "invoice_number": "INV-20210125-0001", "amount": 150000 },
    "online_to_offline_info": {
        "payment_code": "8888812345678901",
        "created_date": "20210303230532",
        "expired_date": "20210304054432",
        "reusable_status": false
    },
    "online_to_offline_payment": {
        "identifier": [
            { "name": "AGENT_ID", "value": "ALFAMART" },
            { "name": "AGENT_STORE_ID", "value": "A123" },
            { "name": "AGENT_TRX_ID", "value": "TRX-0001" }
        ]
    }
}"#;

/// An Indodana (paylater) notification as PROTOCOL.md 4 describes it.
const INDODANA_BODY: &str = r#"{"service":{"id":"PEER_TO_PEER"},"acquirer":{"id":"INDODANA"},"channel":{"id":"PEER_TO_PEER_INDODANA"},"transaction":{"status":"FAILED","date":"2022-02-17T15:30:00Z","original_request_id":"baec7d95-f30a-4b78-b711-6ebe0ccdf50b"},"order":{"invoice_number":"MINV20201231468","amount":100000},"peer_to_peer_info":{"merchant_unique_reference":"60123","identifier":[{"name":"INDODANA_ORDER_ID","value":"ORD-77"}]},"payment":{"merchant_unique_reference":"60123"}}"#;

// ---------------------------------------------------------------------------------------
// Parsing.
// ---------------------------------------------------------------------------------------

#[test]
fn o2o_notification_parses_with_every_lifted_field() {
    let n = verify(&signed(O2O_BODY), O2O_BODY).unwrap();
    assert_eq!(n.request_id, REQUEST_ID);
    assert_eq!(n.client_id, CLIENT_ID);
    assert_eq!(n.request_timestamp, TIMESTAMP);
    assert_eq!(n.service_id.as_deref(), Some("ONLINE_TO_OFFLINE"));
    assert_eq!(n.acquirer_id.as_deref(), Some("ALFA"));
    assert_eq!(n.channel_id.as_deref(), Some("ONLINE_TO_OFFLINE_ALFA"));
    assert_eq!(n.status, "SUCCESS");
    assert!(n.is_success());
    assert_eq!(n.transaction_date.as_deref(), Some("2021-03-03T16:20:00Z"));
    assert_eq!(
        n.original_request_id.as_deref(),
        Some("5b8e438f-fac1-4103-9e0e-ebfdc38b5acb")
    );
    assert_eq!(n.invoice_number, "INV-20210125-0001");
    assert_eq!(n.amount, Some(json!(150000)));
    assert_eq!(n.payment_code.as_deref(), Some("8888812345678901"));
    // The whole body is kept.
    assert_eq!(n.body, serde_json::from_str::<Value>(O2O_BODY).unwrap());
    assert_eq!(
        n.body["online_to_offline_payment"]["identifier"][2]["value"],
        "TRX-0001"
    );
    let j = n.to_json();
    assert_eq!(j["status"], "SUCCESS");
    assert_eq!(j["payment_code"], "8888812345678901");
    assert_eq!(
        j["body"]["online_to_offline_info"]["reusable_status"],
        false
    );
}

#[test]
fn indodana_notification_parses_with_every_lifted_field() {
    let n = verify(&signed(INDODANA_BODY), INDODANA_BODY).unwrap();
    assert_eq!(n.service_id.as_deref(), Some("PEER_TO_PEER"));
    assert_eq!(n.acquirer_id.as_deref(), Some("INDODANA"));
    assert_eq!(n.channel_id.as_deref(), Some("PEER_TO_PEER_INDODANA"));
    assert_eq!(n.status, "FAILED");
    assert!(!n.is_success());
    assert_eq!(n.transaction_date.as_deref(), Some("2022-02-17T15:30:00Z"));
    assert_eq!(
        n.original_request_id.as_deref(),
        Some("baec7d95-f30a-4b78-b711-6ebe0ccdf50b")
    );
    assert_eq!(n.invoice_number, "MINV20201231468");
    assert_eq!(n.amount, Some(json!(100000)));
    assert_eq!(n.payment_code, None);
    assert_eq!(n.body["payment"]["merchant_unique_reference"], "60123");
    assert_eq!(
        n.body["peer_to_peer_info"]["identifier"][0]["value"],
        "ORD-77"
    );
}

#[test]
fn unknown_channels_and_fields_are_kept() {
    let body = r#"{"service":{"id":"EMONEY"},"acquirer":{"id":"NEWPAY"},"channel":{"id":"EMONEY_NEWPAY"},"transaction":{"status":"REFUNDED","date":"2026-01-01T00:00:00Z","original_request_id":"r-1","refund":{"amount":5000}},"order":{"invoice_number":"INV-NEW-1","amount":"5000.00"},"newpay_info":{"token":"abc","nested":[1,2,{"x":null}]},"top_level_extra":true}"#;
    let n = verify(&signed(body), body).unwrap();
    assert_eq!(n.service_id.as_deref(), Some("EMONEY"));
    assert_eq!(n.acquirer_id.as_deref(), Some("NEWPAY"));
    assert_eq!(n.channel_id.as_deref(), Some("EMONEY_NEWPAY"));
    assert_eq!(n.status, "REFUNDED");
    assert_eq!(n.amount, Some(json!("5000.00")));
    assert_eq!(n.payment_code, None);
    assert_eq!(n.body, serde_json::from_str::<Value>(body).unwrap());
    assert_eq!(n.body["newpay_info"]["nested"][2], json!({"x": null}));
    assert_eq!(n.body["transaction"]["refund"]["amount"], 5000);
    assert_eq!(n.body["top_level_extra"], true);
}

#[test]
fn only_status_and_invoice_number_are_needed() {
    let body = r#"{"transaction":{"status":"SUCCESS"},"order":{"invoice_number":"INV-1"}}"#;
    let n = verify(&signed(body), body).unwrap();
    assert_eq!(n.service_id, None);
    assert_eq!(n.acquirer_id, None);
    assert_eq!(n.channel_id, None);
    assert_eq!(n.transaction_date, None);
    assert_eq!(n.original_request_id, None);
    assert_eq!(n.amount, None);
}

// ---------------------------------------------------------------------------------------
// Headers.
// ---------------------------------------------------------------------------------------

#[test]
fn headers_are_matched_case_insensitively_among_others() {
    let h = signed(O2O_BODY);
    let renamed = ["client-id", "REQUEST-ID", "request-TIMESTAMP", "sIgNaTuRe"];
    let mut headers: Headers = vec![
        ("Host".into(), "merchant.example.com".into()),
        ("Content-Type".into(), "application/json".into()),
    ];
    for ((_, v), name) in h.into_iter().zip(renamed) {
        headers.push((name.into(), v));
    }
    headers.push(("X-Forwarded-For".into(), "10.0.0.1".into()));
    let n = verify(&headers, O2O_BODY).unwrap();
    assert_eq!(n.request_id, REQUEST_ID);
}

#[test]
fn header_values_are_taken_without_surrounding_whitespace() {
    let headers: Headers = signed(O2O_BODY)
        .into_iter()
        .map(|(k, v)| (k, format!(" {v} ")))
        .collect();
    verify(&headers, O2O_BODY).unwrap();
}

#[test]
fn a_missing_header_is_invalid_input_naming_it() {
    for name in ["Client-Id", "Request-Id", "Request-Timestamp", "Signature"] {
        let headers: Headers = signed(O2O_BODY)
            .into_iter()
            .filter(|(k, _)| k != name)
            .collect();
        let e = verify(&headers, O2O_BODY).expect_err(name);
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{name}: {e}");
        assert_eq!(
            e.field(),
            Some(format!("headers.{name}").as_str()),
            "{name}"
        );
    }
}

#[test]
fn a_duplicated_header_is_invalid_input_naming_it() {
    for name in ["Client-Id", "Request-Id", "Request-Timestamp", "Signature"] {
        let mut headers = signed(O2O_BODY);
        let value = headers.iter().find(|(k, _)| k == name).unwrap().1.clone();
        // The same value again, under another spelling: still a duplicate.
        headers.push((name.to_ascii_lowercase(), value));
        let e = verify(&headers, O2O_BODY).expect_err(name);
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{name}: {e}");
        assert_eq!(
            e.field(),
            Some(format!("headers.{name}").as_str()),
            "{name}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Signatures.
// ---------------------------------------------------------------------------------------

#[test]
fn another_merchants_client_id_is_a_mismatch() {
    // Validly signed, but for another Client-Id.
    let other = "MCH-0002-99999999999999";
    let h = sign_as(
        O2O_BODY.as_bytes(),
        other,
        REQUEST_ID,
        TIMESTAMP,
        PATH,
        SECRET,
    );
    let e = assert_mismatch(verify(&h, O2O_BODY), "other Client-Id");
    assert_eq!(e.field(), Some("headers.Client-Id"));
    // Our Client-Id in the header, but the signature was made over another one.
    let mut h = h;
    h[0].1 = CLIENT_ID.into();
    assert_mismatch(verify(&h, O2O_BODY), "Client-Id swapped after signing");
}

#[test]
fn a_tampered_body_is_a_mismatch() {
    let h = signed(O2O_BODY);
    let mut bytes = O2O_BODY.as_bytes().to_vec();
    let at = O2O_BODY.find("150000").unwrap() + 5;
    bytes[at] = b'1'; // 150000 -> 150001: one byte
    let tampered = String::from_utf8(bytes).unwrap();
    assert_mismatch(verify(&h, &tampered), "one byte changed");
    // The same JSON value with other bytes (re-serialised) is a mismatch too: the
    // signature covers the bytes received.
    let reserialised = serde_json::from_str::<Value>(O2O_BODY).unwrap().to_string();
    assert_mismatch(verify(&h, &reserialised), "re-serialised body");
    assert_mismatch(verify(&h, &format!("{O2O_BODY}\n")), "trailing newline");
}

#[test]
fn another_path_is_a_mismatch() {
    for path in [
        "/payments/notification",
        "/payments/notifications/",
        "/api/payments/notifications",
        "/",
    ] {
        let h = sign_as(
            O2O_BODY.as_bytes(),
            CLIENT_ID,
            REQUEST_ID,
            TIMESTAMP,
            path,
            SECRET,
        );
        assert_mismatch(verify(&h, O2O_BODY), path);
    }
}

#[test]
fn another_secret_is_a_mismatch() {
    let h = sign_as(
        O2O_BODY.as_bytes(),
        CLIENT_ID,
        REQUEST_ID,
        TIMESTAMP,
        PATH,
        "SK-notify-0002-another-key",
    );
    assert_mismatch(verify(&h, O2O_BODY), "other secret");
}

#[test]
fn a_malformed_signature_is_a_mismatch() {
    let good = signed(O2O_BODY)[3].1.clone();
    let encoded = good.strip_prefix("HMACSHA256=").unwrap().to_string();
    for bad in [
        format!("hmacsha256={encoded}"),
        format!("HMACSHA512={encoded}"),
        encoded.clone(),
        "HMACSHA256=not base64!".to_string(),
        "HMACSHA256=".to_string(),
        String::new(),
    ] {
        let mut h = signed(O2O_BODY);
        h[3].1 = bad.clone();
        assert_mismatch(verify(&h, O2O_BODY), &bad);
    }
}

#[test]
fn a_path_that_is_not_a_path_is_invalid_input() {
    let h = signed(O2O_BODY);
    let e = verify_notification(
        h,
        O2O_BODY.as_bytes(),
        &key(SECRET),
        &VerifyOptions {
            path: "https://merchant.example.com/payments/notifications",
            client_id: CLIENT_ID,
            tolerance_secs: None,
        },
        &FixedClock(t0()),
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    assert_eq!(e.field(), Some("path"));
}

// ---------------------------------------------------------------------------------------
// Freshness: off by default (DOKU retries for 12 hours), optional.
// ---------------------------------------------------------------------------------------

fn verify_at(now: i64, tolerance: Option<u64>) -> doku::Result<Notification> {
    verify_notification(
        signed(O2O_BODY),
        O2O_BODY.as_bytes(),
        &key(SECRET),
        &opts(tolerance),
        &FixedClock(now),
    )
}

#[test]
fn without_a_tolerance_a_12_hour_old_notification_is_accepted() {
    verify_at(t0() + TWELVE_HOURS, None).unwrap();
    verify_at(t0() + TWELVE_HOURS + 600, None).unwrap();
    // The default VerifyOptions has no tolerance: DOKU's last retry comes 12 hours late.
    assert_eq!(opts(None).tolerance_secs, None);
}

#[test]
fn with_a_tolerance_a_stale_notification_is_rejected_and_a_fresh_one_accepted() {
    let e = verify_at(t0() + TWELVE_HOURS, Some(300)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::SignatureMismatch, "{e}");
    assert_eq!(e.field(), Some("headers.Request-Timestamp"));
    assert_eq!(e.request_id(), Some(REQUEST_ID));
    for now in [t0(), t0() + 10, t0() + 300, t0() - 300] {
        verify_at(now, Some(300)).unwrap_or_else(|e| panic!("now = t0 + {}: {e}", now - t0()));
    }
    // Either side of the window.
    assert!(verify_at(t0() + 301, Some(300)).is_err());
    assert!(verify_at(t0() - 301, Some(300)).is_err());
}

// ---------------------------------------------------------------------------------------
// Body shape.
// ---------------------------------------------------------------------------------------

#[test]
fn a_body_that_is_not_json_is_invalid_input() {
    for body in ["status=SUCCESS", "{\"transaction\":", ""] {
        let e = verify(&signed(body), body).expect_err(body);
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{body:?}: {e}");
        assert_eq!(e.field(), Some("body"), "{body:?}");
    }
}

#[test]
fn json_without_the_required_fields_is_a_decode_error_naming_the_field() {
    for (body, field) in [
        (
            r#"{"order":{"invoice_number":"INV-1"}}"#,
            "transaction.status",
        ),
        (
            r#"{"transaction":{"status":1},"order":{"invoice_number":"INV-1"}}"#,
            "transaction.status",
        ),
        (
            r#"{"transaction":"SUCCESS","order":{"invoice_number":"INV-1"}}"#,
            "transaction.status",
        ),
        (
            r#"{"transaction":{"status":"SUCCESS"}}"#,
            "order.invoice_number",
        ),
        (
            r#"{"transaction":{"status":"SUCCESS"},"order":{"invoice_number":7}}"#,
            "order.invoice_number",
        ),
        (r#"[{"transaction":{"status":"SUCCESS"}}]"#, "body"),
    ] {
        let e = verify(&signed(body), body).expect_err(body);
        assert_eq!(e.kind(), ErrorKind::Decode, "{body}: {e}");
        assert_eq!(e.field(), Some(field), "{body}");
        assert_eq!(e.request_id(), Some(REQUEST_ID), "{body}");
    }
}

// ---------------------------------------------------------------------------------------
// The notification vector of tests/data/vectors.json.
// ---------------------------------------------------------------------------------------

#[test]
fn the_shared_notification_vector_verifies() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/vectors.json");
    let text = std::fs::read_to_string(path).expect("tests/data/vectors.json is readable");
    let v: Value = serde_json::from_str(&text).expect("tests/data/vectors.json is JSON");
    let case = v["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "notification-to-merchant")
        .expect("vectors.json has notification-to-merchant");
    let s = |k: &str| case[k].as_str().unwrap();
    assert_eq!(s("request_target"), "/payments/notifications");
    let headers = [
        ("Client-Id", s("client_id")),
        ("Request-Id", s("request_id")),
        ("Request-Timestamp", s("timestamp")),
        ("Signature", s("signature")),
    ];
    let n = verify_notification(
        headers,
        s("body").as_bytes(),
        &key(v["secret_key"].as_str().unwrap()),
        &VerifyOptions {
            path: "/payments/notifications",
            client_id: s("client_id"),
            tolerance_secs: None,
        },
        &FixedClock(0),
    )
    .unwrap();
    assert_eq!(n.request_id, s("request_id"));
    assert_eq!(n.status, "SUCCESS");
    assert_eq!(n.acquirer_id.as_deref(), Some("INDOMARET"));
    assert_eq!(n.channel_id.as_deref(), Some("ONLINE_TO_OFFLINE_INDOMARET"));
    assert_eq!(n.invoice_number, "INV-2021002-0001");
    assert_eq!(n.amount, Some(json!(150000)));
    assert_eq!(n.payment_code.as_deref(), Some("8888888844445555"));
    assert_eq!(
        n.original_request_id.as_deref(),
        Some("5b8e438f-fac1-4103-9e0e-ebfdc38b5acb")
    );
    // The same vector with our secret does not verify.
    let e = verify_notification(
        headers,
        s("body").as_bytes(),
        &key(SECRET),
        &VerifyOptions {
            path: "/payments/notifications",
            client_id: s("client_id"),
            tolerance_secs: None,
        },
        &FixedClock(0),
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::SignatureMismatch);
}

// ---------------------------------------------------------------------------------------
// Direct Inquiry (DIPC).
// ---------------------------------------------------------------------------------------

const INQUIRY_BODY: &str = r#"{"service":{"id":"ONLINE_TO_OFFLINE"},"acquirer":{"id":"ALFA"},"channel":{"id":"ONLINE_TO_OFFLINE_ALFA"},"online_to_offline_info":{"payment_code":"8888812345678901"},"online_to_offline_inquiry":{"date":"2021-06-24T07:30:00Z","identifier":[{"name":"AGENT_ID","value":"ALFAMART"},{"name":"AGENT_STORE_ID","value":"A123"},{"name":"AGENT_TRX_ID","value":"TRX-0001"}]}}"#;

fn inquiry_opts() -> VerifyOptions<'static> {
    VerifyOptions {
        path: INQUIRY_PATH,
        client_id: CLIENT_ID,
        tolerance_secs: None,
    }
}

fn signed_inquiry(body: &str) -> Headers {
    sign_as(
        body.as_bytes(),
        CLIENT_ID,
        REQUEST_ID,
        TIMESTAMP,
        INQUIRY_PATH,
        SECRET,
    )
}

fn inquiry() -> Inquiry {
    verify_inquiry(
        signed_inquiry(INQUIRY_BODY),
        INQUIRY_BODY.as_bytes(),
        &key(SECRET),
        &inquiry_opts(),
        &FixedClock(t0()),
    )
    .unwrap()
}

fn header<'h>(headers: &'h [(String, String)], name: &str) -> &'h str {
    let found: Vec<_> = headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case(name))
        .collect();
    assert_eq!(found.len(), 1, "one {name} header in {headers:?}");
    &found[0].1
}

#[test]
fn inquiry_verifies_and_parses() {
    let inq = inquiry();
    assert_eq!(inq.request_id, REQUEST_ID);
    assert_eq!(inq.client_id, CLIENT_ID);
    assert_eq!(inq.request_timestamp, TIMESTAMP);
    assert_eq!(inq.payment_code, "8888812345678901");
    assert_eq!(
        inq.body["online_to_offline_inquiry"]["identifier"][1]["name"],
        "AGENT_STORE_ID"
    );
    // Inquiry::to_json / from_json round-trip (the bindings hand it back for the reply).
    assert_eq!(Inquiry::from_json(&inq.to_json().to_string()).unwrap(), inq);
}

#[test]
fn inquiry_signature_is_checked_against_the_inquiry_path() {
    // Signed for the notification path, verified as an inquiry: mismatch.
    let e = verify_inquiry(
        signed(INQUIRY_BODY),
        INQUIRY_BODY.as_bytes(),
        &key(SECRET),
        &inquiry_opts(),
        &FixedClock(t0()),
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::SignatureMismatch);
    // Tampered body.
    let tampered = INQUIRY_BODY.replace("8888812345678901", "8888812345678902");
    let e = verify_inquiry(
        signed_inquiry(INQUIRY_BODY),
        tampered.as_bytes(),
        &key(SECRET),
        &inquiry_opts(),
        &FixedClock(t0()),
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::SignatureMismatch);
}

#[test]
fn inquiry_without_payment_code_is_a_decode_error() {
    let body = r#"{"online_to_offline_inquiry":{"date":"2021-06-24T07:30:00Z"}}"#;
    let e = verify_inquiry(
        signed_inquiry(body),
        body.as_bytes(),
        &key(SECRET),
        &inquiry_opts(),
        &FixedClock(t0()),
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Decode);
    assert_eq!(e.field(), Some("online_to_offline_info.payment_code"));
}

#[test]
fn inquiry_reply_is_signed_as_a_response() {
    let inq = inquiry();
    let now = t0() + 2;
    let reply = inquiry_reply(
        &inq,
        &InquiryAnswer {
            invoice_number: "INV-20210125-0001",
            amount: 150000,
            status: "success",
        },
        &key(SECRET),
        INQUIRY_PATH,
        &FixedClock(now),
    )
    .unwrap();

    assert_eq!(header(&reply.headers, "Client-Id"), CLIENT_ID);
    assert_eq!(header(&reply.headers, "Request-Id"), REQUEST_ID);
    let ts = header(&reply.headers, "Response-Timestamp");
    assert_eq!(ts, doku::clock::format_timestamp(now));
    assert_eq!(header(&reply.headers, "Content-Type"), "application/json");
    let signature = header(&reply.headers, "Signature");

    // The reply's signature is a RESPONSE signature over the exact reply body bytes.
    let response = Component::response(
        &inq.client_id,
        &inq.request_id,
        ts,
        INQUIRY_PATH,
        Some(reply.body.as_bytes()),
    );
    key(SECRET).verify(&response, signature).unwrap();
    // Not a request signature, not for another path, not for other bytes.
    let as_request = Component::request(
        &inq.client_id,
        &inq.request_id,
        ts,
        INQUIRY_PATH,
        Some(reply.body.as_bytes()),
    );
    assert!(key(SECRET).verify(&as_request, signature).is_err());
    let other_path = Component::response(
        &inq.client_id,
        &inq.request_id,
        ts,
        PATH,
        Some(reply.body.as_bytes()),
    );
    assert!(key(SECRET).verify(&other_path, signature).is_err());
    let reserialised =
        serde_json::to_string_pretty(&serde_json::from_str::<Value>(&reply.body).unwrap()).unwrap();
    let other_bytes = Component::response(
        &inq.client_id,
        &inq.request_id,
        ts,
        INQUIRY_PATH,
        Some(reserialised.as_bytes()),
    );
    assert!(key(SECRET).verify(&other_bytes, signature).is_err());

    let body: Value = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(body["order"]["invoice_number"], "INV-20210125-0001");
    assert_eq!(body["order"]["amount"], 150000);
    assert_eq!(
        body["online_to_offline_info"]["payment_code"],
        "8888812345678901"
    );
    assert_eq!(body["online_to_offline_inquiry"]["status"], "success");

    let j = reply.to_json();
    assert_eq!(j["body"], reply.body.as_str());
    assert_eq!(j["headers"]["Signature"], signature);
}

#[test]
fn inquiry_reply_refuses_unusable_answers() {
    let inq = inquiry();
    for (answer, field) in [
        (
            InquiryAnswer {
                invoice_number: "",
                amount: 1,
                status: "success",
            },
            "answer.invoice_number",
        ),
        (
            InquiryAnswer {
                invoice_number: &"x".repeat(65),
                amount: 1,
                status: "success",
            },
            "answer.invoice_number",
        ),
        (
            InquiryAnswer {
                invoice_number: "INV-1",
                amount: 1,
                status: "",
            },
            "answer.status",
        ),
    ] {
        let e = inquiry_reply(&inq, &answer, &key(SECRET), INQUIRY_PATH, &FixedClock(t0()))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert_eq!(e.field(), Some(field));
    }
}

// ---------------------------------------------------------------------------------------
// Secrets stay out of Debug output.
// ---------------------------------------------------------------------------------------

#[test]
fn debug_output_never_shows_the_secret_or_a_signature() {
    let headers = signed(O2O_BODY);
    let signature = headers[3].1.clone();
    let mac = signature.strip_prefix("HMACSHA256=").unwrap().to_string();
    let inq = inquiry();
    let inquiry_sig = signed_inquiry(INQUIRY_BODY)[3].1.clone();
    let reply = inquiry_reply(
        &inq,
        &InquiryAnswer {
            invoice_number: "INV-1",
            amount: 1,
            status: "success",
        },
        &key(SECRET),
        INQUIRY_PATH,
        &FixedClock(t0()),
    )
    .unwrap();
    let reply_sig = header(&reply.headers, "Signature").to_string();

    let mismatch = {
        let mut h = headers.clone();
        h[0].1 = "MCH-0002-99999999999999".into();
        verify(&h, O2O_BODY).unwrap_err()
    };
    let tampered = verify(&headers, "{}").unwrap_err();
    let outputs = [
        format!("{:?}", key(SECRET)),
        format!("{:?}", verify(&headers, O2O_BODY).unwrap()),
        format!("{:?}", SignedHeaders::from_pairs(headers.clone()).unwrap()),
        format!("{:?}", opts(Some(300))),
        format!("{inq:?}"),
        format!("{reply:?}"),
        format!("{mismatch:?}"),
        format!("{tampered:?}"),
        tampered.to_string(),
        tampered.to_json().to_string(),
        format!(
            "{:?}",
            Component::request(
                CLIENT_ID,
                REQUEST_ID,
                TIMESTAMP,
                PATH,
                Some(O2O_BODY.as_bytes())
            )
        ),
    ];
    for out in &outputs {
        assert!(!out.contains(SECRET), "secret in {out}");
        for sig in [&signature, &inquiry_sig, &reply_sig] {
            let mac = sig.strip_prefix("HMACSHA256=").unwrap();
            assert!(!out.contains(mac), "signature in {out}");
        }
        assert!(!out.contains(&mac), "signature in {out}");
        assert!(!out.contains("Digest:"), "component in {out}");
    }
}
