//! The local DOKU emulator over real sockets on 127.0.0.1: every error path, idempotency
//! (also under concurrency), signed responses, notifications with retries, expiry, the
//! pages and the `doku sandbox` command. Every wait is bounded.

#[path = "../../tests/support/seeds.rs"]
mod seeds;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use doku::{
    Client, Clock, Component, Config, ErrorKind, RequestOptions, ResponseSignaturePolicy,
    SigningKey, SystemClock, UuidV4,
};
use doku_sandbox::receiver::NotificationReceiver;
use doku_sandbox::{ManualClock, Merchant, NotificationAttempt, Sandbox, SandboxConfig};
use serde_json::{json, Value};

const CID: &str = "MCH-TEST-0001";
const SK: &str = "SK-sandbox-tests-not-a-real-key";
const NOTIFY_PATH: &str = "/payments/notifications";
const ALFA: &str = "/alfa-online-to-offline/v2/payment-code";
const INDOMARET: &str = "/indomaret-online-to-offline/v2/payment-code";
const INDODANA: &str = "/indodana-peer-to-peer/v2/generate-order";
const WAIT: Duration = Duration::from_secs(10);

fn invoice(tag: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "INV-T-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

fn merchant(notification_url: Option<&str>) -> Merchant {
    let m = Merchant::new(CID, SK).unwrap();
    match notification_url {
        Some(u) => m.with_notification_url(u).unwrap(),
        None => m,
    }
}

fn start(config: SandboxConfig) -> Sandbox {
    Sandbox::start(config).expect("the sandbox starts")
}

/// A client for the test merchant that requires signed responses and never retries.
fn client(sandbox: &Sandbox) -> Client {
    Client::new(client_config(sandbox)).unwrap()
}

fn client_config(sandbox: &Sandbox) -> Config {
    let mut c = Config::new(CID, SK)
        .unwrap()
        .with_base_url(sandbox.base_url())
        .unwrap();
    c.response_signature = ResponseSignaturePolicy::Require;
    c.retries = 0;
    c.timeout = WAIT;
    c
}

fn no_opts() -> RequestOptions {
    RequestOptions::default()
}

fn with_id(id: &str) -> RequestOptions {
    RequestOptions {
        request_id: Some(id.to_string()),
        timestamp: None,
        ..Default::default()
    }
}

fn alfa_body(inv: &str) -> Value {
    let mut v = seeds::alfa_request();
    v["order"]["invoice_number"] = json!(inv);
    v
}

fn indomaret_body(inv: &str) -> Value {
    let mut v = seeds::indomaret_request();
    v["order"]["invoice_number"] = json!(inv);
    v.as_object_mut().unwrap().remove("additional_info");
    v
}

fn indodana_body(inv: &str) -> Value {
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

/// A raw answer: status, headers, body bytes.
struct Raw {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Raw {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    fn message(&self) -> String {
        self.json()["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

fn raw(
    sandbox: &Sandbox,
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: Option<&[u8]>,
) -> Raw {
    let url = format!("{}{path}", sandbox.base_url());
    let a = agent();
    let result = match (method, body) {
        ("POST", Some(b)) => {
            let mut r = a.post(&url).content_type("application/json");
            for (k, v) in headers {
                r = r.header(k, v);
            }
            r.send(b)
        }
        _ => {
            let mut r = a.get(&url);
            for (k, v) in headers {
                r = r.header(k, v);
            }
            r.call()
        }
    };
    let mut resp = result.expect("the sandbox answers");
    let status = resp.status().as_u16();
    let headers = resp
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                v.to_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let body = resp.body_mut().read_to_vec().unwrap();
    Raw {
        status,
        headers,
        body,
    }
}

fn now_ts() -> String {
    doku::clock::format_timestamp(SystemClock.now_unix())
}

/// The four DOKU headers, signed with `secret` over `body` (None: a GET).
fn signed(
    path: &str,
    body: Option<&[u8]>,
    request_id: &str,
    ts: &str,
    secret: &str,
) -> Vec<(String, String)> {
    let key = SigningKey::new(secret.as_bytes()).unwrap();
    // Any timestamp: some tests play a client that sends a malformed one.
    let sig = key
        .sign_any_timestamp(&Component::request(CID, request_id, ts, path, body))
        .unwrap();
    vec![
        ("Client-Id".into(), CID.into()),
        ("Request-Id".into(), request_id.into()),
        ("Request-Timestamp".into(), ts.into()),
        ("Signature".into(), sig),
    ]
}

fn post_signed(sandbox: &Sandbox, path: &str, body: &[u8]) -> Raw {
    let h = signed(
        path,
        Some(body),
        &uuid::Uuid::new_v4().to_string(),
        &now_ts(),
        SK,
    );
    raw(sandbox, "POST", path, &h, Some(body))
}

/// Verifies a raw answer's response signature as a merchant would.
fn verify_response(r: &Raw, request_id: &str, path: &str) {
    let key = SigningKey::new(SK.as_bytes()).unwrap();
    let ts = r.header("Response-Timestamp").expect("Response-Timestamp");
    let sig = r.header("Signature").expect("Signature");
    assert_eq!(r.header("Client-Id"), Some(CID));
    assert_eq!(r.header("Request-Id"), Some(request_id));
    key.verify(
        &Component::response(CID, request_id, ts, path, Some(&r.body)),
        sig,
    )
    .expect("the response signature verifies");
}

fn pay(sandbox: &Sandbox, body: Value) -> Raw {
    let b = body.to_string();
    raw(sandbox, "POST", "/_sandbox/pay", &[], Some(b.as_bytes()))
}

fn api_status(e: &doku::Error) -> Option<u16> {
    assert_eq!(e.kind(), ErrorKind::Api, "{e}");
    e.http_status()
}

fn error_code_of(e: &doku::Error) -> String {
    let body: Value = serde_json::from_str(e.body().unwrap_or("{}")).unwrap_or_default();
    body["error"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn missing_headers_are_named() {
    let sb = start(SandboxConfig::default().merchant(merchant(None)));
    let body = alfa_body(&invoice("mh")).to_string();
    let all = signed(ALFA, Some(body.as_bytes()), "r-missing", &now_ts(), SK);
    for name in ["Client-Id", "Request-Id", "Request-Timestamp", "Signature"] {
        let h: Vec<_> = all.iter().filter(|(k, _)| k != name).cloned().collect();
        let r = raw(&sb, "POST", ALFA, &h, Some(body.as_bytes()));
        assert_eq!(r.status, 400, "{name}");
        assert_eq!(r.code(), "missing_header");
        assert!(r.message().contains(name), "{}", r.message());
        assert_eq!(r.json()["error"]["type"], "invalid_request_error");
        assert!(r.header("Response-Timestamp").is_some());
    }
    let long = "r".repeat(129);
    let r = raw(
        &sb,
        "POST",
        ALFA,
        &signed(ALFA, Some(body.as_bytes()), &long, &now_ts(), SK),
        Some(body.as_bytes()),
    );
    assert_eq!((r.status, r.code().as_str()), (400, "invalid_header"));
}

#[test]
fn unknown_client_id_is_401_and_unsigned() {
    let sb = start(SandboxConfig::default().merchant(merchant(None)));
    let body = br#"{}"#;
    let mut h = signed(ALFA, Some(body), "r-1", &now_ts(), SK);
    h[0].1 = "MCH-NOBODY".into();
    let r = raw(&sb, "POST", ALFA, &h, Some(body));
    assert_eq!(r.status, 401);
    assert_eq!(r.code(), "unknown_client_id");
    assert_eq!(r.json()["error"]["type"], "authentication_error");
    assert!(r.message().contains("MCH-NOBODY") && r.message().contains(CID));
    assert_eq!(r.header("Client-Id"), Some("MCH-NOBODY"));
    assert_eq!(r.header("Signature"), None, "no key to sign with");
}

#[test]
fn malformed_and_stale_timestamps() {
    let sb = start(SandboxConfig::default().merchant(merchant(None)));
    let body = alfa_body(&invoice("ts")).to_string();
    for bad in [
        "2020-08-11 08:45:42Z",
        "2020-08-11T08:45:42.000Z",
        "2020-08-11T15:45:42+07:00",
    ] {
        let h = signed(ALFA, Some(body.as_bytes()), "r-ts", bad, SK);
        let r = raw(&sb, "POST", ALFA, &h, Some(body.as_bytes()));
        assert_eq!(
            (r.status, r.code().as_str()),
            (400, "invalid_timestamp"),
            "{bad}"
        );
        assert!(
            r.message().contains("2020-08-11T08:45:42Z"),
            "shows the expected shape: {}",
            r.message()
        );
        verify_response(&r, "r-ts", ALFA);
    }
    let old = doku::clock::format_timestamp(SystemClock.now_unix() - 3600);
    let r = raw(
        &sb,
        "POST",
        ALFA,
        &signed(ALFA, Some(body.as_bytes()), "r-old", &old, SK),
        Some(body.as_bytes()),
    );
    assert_eq!(
        (r.status, r.code().as_str()),
        (401, "timestamp_out_of_window")
    );
    assert!(r.message().contains("300"), "{}", r.message());
    let soon = doku::clock::format_timestamp(SystemClock.now_unix() + 120);
    let r = raw(
        &sb,
        "POST",
        ALFA,
        &signed(ALFA, Some(body.as_bytes()), "r-soon", &soon, SK),
        Some(body.as_bytes()),
    );
    assert_eq!(
        r.status,
        200,
        "within the window: {}",
        String::from_utf8_lossy(&r.body)
    );
}

#[test]
fn wrong_signature_gives_the_component_in_its_own_field_never_in_the_message() {
    let sb = start(SandboxConfig::default().merchant(merchant(None)));
    let body = alfa_body(&invoice("sig")).to_string();
    let ts = now_ts();
    let h = signed(
        ALFA,
        Some(body.as_bytes()),
        "r-sig",
        &ts,
        "SK-some-other-key",
    );
    let r = raw(&sb, "POST", ALFA, &h, Some(body.as_bytes()));
    assert_eq!(r.status, 401);
    assert_eq!(r.code(), "invalid_signature");
    assert_eq!(r.json()["error"]["type"], "authentication_error");
    let expected_component =
        Component::request(CID, "r-sig", &ts, ALFA, Some(body.as_bytes())).to_text();
    assert_eq!(r.json()["error"]["component"], expected_component.as_str());
    let msg = r.message();
    assert!(
        msg.contains("error.component"),
        "the message points at it: {msg}"
    );
    assert!(
        !msg.contains("Request-Id:r-sig"),
        "a client quotes messages into logs: no component there: {msg}"
    );
    assert!(!msg.contains('\n'), "one line: {msg}");
    assert!(!msg.contains(SK), "never the secret");
    assert!(!r.json().to_string().contains(SK), "nowhere in the body");
    let right = SigningKey::new(SK.as_bytes())
        .unwrap()
        .sign(&Component::request(
            CID,
            "r-sig",
            &ts,
            ALFA,
            Some(body.as_bytes()),
        ))
        .unwrap();
    assert!(
        !msg.contains(&right["HMACSHA256=".len()..]),
        "never the expected signature"
    );
    verify_response(&r, "r-sig", ALFA);

    // A POST signed without its Digest line: the core's diagnosis names the mistake.
    let key = SigningKey::new(SK.as_bytes()).unwrap();
    let mut h = signed(ALFA, Some(body.as_bytes()), "r-sig2", &ts, SK);
    h[3].1 = key
        .sign(&Component::request(CID, "r-sig2", &ts, ALFA, None))
        .unwrap();
    let r = raw(&sb, "POST", ALFA, &h, Some(body.as_bytes()));
    assert_eq!(r.code(), "invalid_signature");
    assert!(
        r.message()
            .contains("Likely cause: the signer left out the Digest line"),
        "{}",
        r.message()
    );
    // A prefix error.
    h[3].1 = "hmacsha256=abc".into();
    let r = raw(&sb, "POST", ALFA, &h, Some(body.as_bytes()));
    assert_eq!(r.code(), "invalid_signature");
    assert!(r.message().contains("HMACSHA256="), "{}", r.message());
}

#[test]
fn invalid_json_reports_line_and_column() {
    let sb = start(SandboxConfig::default().merchant(merchant(None)));
    // The Indomaret seed sample as published: a trailing comma.
    let text = seeds::indomaret_request_text();
    let (_, line, _) = seeds::trailing_commas(&text)[0];
    let r = post_signed(&sb, INDOMARET, text.as_bytes());
    assert_eq!((r.status, r.code().as_str()), (400, "invalid_json"));
    let msg = r.message();
    assert!(msg.contains("line") && msg.contains("column"), "{msg}");
    assert!(
        msg.contains(&format!("line {}", line + 1)) || msg.contains(&format!("line {line}")),
        "{msg}"
    );
}

#[test]
fn invalid_body_names_the_field_path() {
    let sb = start(SandboxConfig::default().merchant(merchant(None)));
    let mut v = alfa_body(&invoice("field"));
    v["customer"].as_object_mut().unwrap().remove("name");
    let r = post_signed(&sb, ALFA, v.to_string().as_bytes());
    assert_eq!((r.status, r.code().as_str()), (400, "invalid_field"));
    assert_eq!(r.json()["error"]["field"], "customer.name");
    assert!(r.message().contains("customer.name"));

    let mut v = indodana_body(&invoice("field"));
    v["order"]["line_items"][0]["price"] = json!(1.234);
    let r = post_signed(&sb, INDODANA, v.to_string().as_bytes());
    assert_eq!(r.code(), "invalid_field");
    assert_eq!(r.json()["error"]["field"], "order.line_items[0].price");
}

#[test]
fn duplicate_invoice_is_400() {
    let sb = start(SandboxConfig::default().merchant(merchant(None)));
    let c = client(&sb);
    let inv = invoice("dup");
    c.alfa_payment_code(&alfa_body(&inv), &no_opts()).unwrap();
    let e = c
        .indomaret_payment_code(&indomaret_body(&inv), &no_opts())
        .unwrap_err();
    assert_eq!(api_status(&e), Some(400));
    assert_eq!(error_code_of(&e), "duplicate_invoice_number");
    assert!(e.message().contains(&inv));
}

#[test]
fn unknown_path_and_wrong_method() {
    let sb = start(SandboxConfig::default().merchant(merchant(None)));
    let r = post_signed(&sb, "/bca-virtual-account/v9/nothing", b"{}");
    assert_eq!((r.status, r.code().as_str()), (404, "not_found"));
    let h = signed(ALFA, None, "r-get", &now_ts(), SK);
    let r = raw(&sb, "GET", ALFA, &h, None);
    assert_eq!(r.status, 405);
    assert_eq!(r.header("Allow"), Some("POST"));
    verify_response(&r, "r-get", ALFA);
    let r = post_signed(&sb, "/orders/v1/status/INV-1", b"{}");
    assert_eq!(r.status, 405);
    assert_eq!(r.header("Allow"), Some("GET"));
    let r = raw(&sb, "GET", "/_sandbox/nothing", &[], None);
    assert_eq!(r.status, 404);
}

#[test]
fn body_too_large_is_413() {
    let sb = start(SandboxConfig::default().merchant(merchant(None)));
    let big = vec![b' '; doku::MAX_BODY_BYTES + 1];
    let h = vec![("Client-Id".to_string(), CID.to_string())];
    let r = raw(&sb, "POST", ALFA, &h, Some(&big));
    assert_eq!((r.status, r.code().as_str()), (413, "body_too_large"));
}

#[test]
fn replay_answers_409_with_the_original_body() {
    // One injected clock for the sandbox and the client: the replay happens a second
    // later by advancing it, not by sleeping, so its fresh Response-Timestamp differs.
    let clock = Arc::new(ManualClock::now());
    let sb = start(
        SandboxConfig::default()
            .merchant(merchant(None))
            .clock(clock.clone()),
    );
    let c = Client::with_sources(client_config(&sb), clock.clone(), Arc::new(UuidV4)).unwrap();
    let body = alfa_body(&invoice("replay"));
    let first = c
        .alfa_payment_code(&body, &with_id("req-replay-1"))
        .unwrap();
    assert_eq!(first.status, 200);
    assert!(!first.replay && first.signature_verified);
    clock.advance(Duration::from_secs(1));
    let again = c
        .alfa_payment_code(&body, &with_id("req-replay-1"))
        .unwrap();
    assert_eq!(again.status, 409);
    assert!(again.replay, "the client flags a replay");
    assert!(again.signature_verified);
    assert_eq!(again.body, first.body, "the original body");
    assert_ne!(
        again.response_timestamp, first.response_timestamp,
        "re-signed with a fresh timestamp"
    );
    assert_eq!(sb.transaction_count(), 1);

    // Same Request-Id, another body: 400.
    let e = c
        .alfa_payment_code(&alfa_body(&invoice("replay")), &with_id("req-replay-1"))
        .unwrap_err();
    assert_eq!(api_status(&e), Some(400));
    assert_eq!(error_code_of(&e), "request_id_reused");
    // A request that failed validation does not reserve its Request-Id.
    let mut bad = alfa_body(&invoice("replay"));
    bad["order"]["amount"] = json!(-1);
    let r = raw(
        &sb,
        "POST",
        ALFA,
        &signed(
            ALFA,
            Some(bad.to_string().as_bytes()),
            "req-replay-2",
            &now_ts(),
            SK,
        ),
        Some(bad.to_string().as_bytes()),
    );
    assert_eq!(r.status, 400);
    c.alfa_payment_code(&alfa_body(&invoice("replay")), &with_id("req-replay-2"))
        .unwrap();
}

#[test]
fn every_response_signature_verifies() {
    let sb = start(SandboxConfig::default().merchant(merchant(None)));
    let c = client(&sb);
    let inv = invoice("sigs");
    let a = c
        .alfa_payment_code(&alfa_body(&inv), &with_id("r-sigs"))
        .unwrap();
    assert!(a.signature_verified);
    let i = c
        .indomaret_payment_code(&indomaret_body(&invoice("sigs")), &no_opts())
        .unwrap();
    assert!(i.signature_verified);
    let d = c
        .indodana_generate_order(&indodana_body(&invoice("sigs")), &no_opts())
        .unwrap();
    assert!(d.signature_verified);
    let s = c.check_status(&inv, &no_opts()).unwrap();
    assert!(s.signature_verified);
    // Error answers are signed too.
    let body = b"{\"order\":1}";
    let r = raw(
        &sb,
        "POST",
        ALFA,
        &signed(ALFA, Some(body), "r-err", &now_ts(), SK),
        Some(body),
    );
    assert_eq!(r.status, 400);
    verify_response(&r, "r-err", ALFA);
    let path = "/orders/v1/status/NOPE";
    let r = raw(
        &sb,
        "GET",
        path,
        &signed(path, None, "r-404", &now_ts(), SK),
        None,
    );
    assert_eq!((r.status, r.code().as_str()), (404, "order_not_found"));
    verify_response(&r, "r-404", path);
}

#[test]
fn response_bodies_have_the_seed_shapes() {
    let sb = start(SandboxConfig::default().merchant(merchant(Some(
        "https://merchant.example/payments/notifications",
    ))));
    let c = client(&sb);
    let inv = invoice("shape");
    let mut body = alfa_body(&inv);
    body["additional_info"] =
        json!({ "override_notification_url": "https://other.example/payments/notifications" });
    let a = c.alfa_payment_code(&body, &no_opts()).unwrap().body;
    assert_eq!(a["order"]["invoice_number"], json!(inv));
    let info = &a["online_to_offline_info"];
    let code = info["payment_code"].as_str().unwrap();
    assert_eq!(code.len(), 16);
    assert!(code.starts_with("88888"));
    let created = info["created_date"].as_str().unwrap();
    let created_utc = info["created_date_utc"].as_str().unwrap();
    let created_unix = doku::clock::parse_timestamp(created_utc, "t").unwrap();
    assert_eq!(
        created,
        doku::clock::format_wib(created_unix),
        "WIB is UTC+7"
    );
    let expired_unix =
        doku::clock::parse_timestamp(info["expired_date_utc"].as_str().unwrap(), "t").unwrap();
    assert_eq!(
        expired_unix - created_unix,
        60 * 60,
        "expired_time 60 minutes"
    );
    assert_eq!(info["expired_date"].as_str().unwrap().len(), 14);
    assert!(info["how_to_pay_page"]
        .as_str()
        .unwrap()
        .starts_with(sb.base_url()));
    assert!(info["how_to_pay_api"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/how-to-pay-api/{code}")));
    assert_eq!(a["additional_info"], body["additional_info"], "echoed");

    let d = c
        .indodana_generate_order(&indodana_body(&invoice("shape")), &no_opts())
        .unwrap()
        .body;
    assert_eq!(d["order"]["amount"], json!(100000));
    assert_eq!(d["payment"]["status"], "PENDING");
    assert!(d["payment"]["url"]
        .as_str()
        .unwrap()
        .starts_with(sb.base_url()));
    let p2p = &d["peer_to_peer_info"];
    assert_eq!(p2p["identifier"][0]["name"], "INDODANA_ORDER_ID");
    assert_eq!(p2p["merchant_unique_reference"], "60123");
    for k in [
        "created_date",
        "expired_date",
        "created_date_utc",
        "expired_date_utc",
    ] {
        assert!(p2p[k].is_string(), "{k}");
    }
}

#[test]
fn alfa_alias_path_is_served() {
    let sb = start(SandboxConfig::default().merchant(merchant(None)));
    let mut config = client_config(&sb);
    config
        .operations
        .set_path("alfa_payment_code", "/alfa-virtual-account/v2/payment-code")
        .unwrap();
    let c = Client::new(config).unwrap();
    let r = c
        .alfa_payment_code(&alfa_body(&invoice("alias")), &no_opts())
        .unwrap();
    assert!(r.signature_verified);
    assert!(r.body["online_to_offline_info"]["payment_code"].is_string());
}

#[test]
fn notification_is_signed_and_shaped() {
    let rx = NotificationReceiver::start(CID, SK, NOTIFY_PATH).unwrap();
    let sb = start(SandboxConfig::default().merchant(merchant(Some(rx.url()))));
    let c = client(&sb);
    let inv = invoice("notify");
    let created = c
        .alfa_payment_code(&alfa_body(&inv), &with_id("r-notify"))
        .unwrap();
    let code = created.body["online_to_offline_info"]["payment_code"]
        .as_str()
        .unwrap()
        .to_string();
    let p = pay(&sb, json!({ "payment_code": code }));
    assert_eq!(p.status, 200, "{}", String::from_utf8_lossy(&p.body));
    assert_eq!(p.json()["status"], "SUCCESS");
    let got = rx.wait_for(|r| !r.is_empty(), WAIT);
    let n = got[0]
        .notification()
        .expect("verified with the merchant's path");
    assert_eq!(got[0].path, NOTIFY_PATH);
    assert_eq!(n.status, "SUCCESS");
    assert_eq!(n.invoice_number, inv);
    assert_eq!(n.payment_code.as_deref(), Some(code.as_str()));
    assert_eq!(n.service_id.as_deref(), Some("ONLINE_TO_OFFLINE"));
    assert_eq!(n.acquirer_id.as_deref(), Some("ALFA"));
    assert_eq!(n.channel_id.as_deref(), Some("ONLINE_TO_OFFLINE_ALFA"));
    assert_eq!(n.original_request_id.as_deref(), Some("r-notify"));
    assert_eq!(n.amount, Some(json!(150000)));
    assert_eq!(
        n.request_id,
        p.json()["notification"]["request_id"].as_str().unwrap()
    );
    let ids: Vec<&str> = n.body["online_to_offline_payment"]["identifier"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["AGENT_ID", "AGENT_STORE_ID", "AGENT_TRX_ID"]);
    assert_eq!(
        n.body["online_to_offline_info"]["reusable_status"],
        json!(false)
    );
    let s = c.check_status(&inv, &no_opts()).unwrap();
    assert_eq!(s.body["transaction"]["status"], "SUCCESS");
    assert_eq!(s.body["channel"]["id"], "ONLINE_TO_OFFLINE_ALFA");
    // Paying a settled, non-reusable code again fails.
    let again = pay(&sb, json!({ "payment_code": code }));
    assert_eq!(
        (again.status, again.code().as_str()),
        (400, "transaction_closed")
    );
    // GET /_sandbox/notifications lists the attempt.
    let list = raw(&sb, "GET", "/_sandbox/notifications", &[], None).json();
    let first = &list.as_array().unwrap()[0];
    assert_eq!(first["request_id"], json!(n.request_id));
    assert_eq!(first["status"], 200);
    assert_eq!(first["attempt"], 1);
    assert_eq!(first["url"], json!(rx.url()));
    assert!(first["time"].is_string());
}

#[test]
fn notifications_are_retried_with_the_same_request_id() {
    let rx = NotificationReceiver::start_with_answers(CID, SK, NOTIFY_PATH, &[500, 500]).unwrap();
    // 30 min -> 18 ms, 6 h -> 216 ms.
    let sb = start(
        SandboxConfig::default()
            .merchant(merchant(Some(rx.url())))
            .time_scale(100_000.0),
    );
    let c = client(&sb);
    let inv = invoice("retry");
    // 99999 minutes last a minute at this scale.
    let mut body = indomaret_body(&inv);
    body["online_to_offline_info"]["expired_time"] = json!(99_999);
    c.indomaret_payment_code(&body, &no_opts()).unwrap();
    assert_eq!(pay(&sb, json!({ "invoice_number": inv })).status, 200);
    let attempts = sb.wait_for_notifications(|a| a.iter().any(|x| x.delivered), WAIT);
    let attempts: Vec<&NotificationAttempt> = attempts
        .iter()
        .filter(|a| a.invoice_number == inv)
        .collect();
    assert_eq!(attempts.len(), 3, "{attempts:?}");
    assert_eq!(
        attempts.iter().map(|a| a.attempt).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert_eq!(
        attempts.iter().map(|a| a.status).collect::<Vec<_>>(),
        [Some(500), Some(500), Some(200)]
    );
    assert!(attempts
        .iter()
        .all(|a| a.request_id == attempts[0].request_id));
    assert_eq!(
        attempts.iter().map(|a| a.will_retry).collect::<Vec<_>>(),
        [true, true, false]
    );
    let got = rx.wait_for(|r| r.len() >= 3, WAIT);
    assert_eq!(got.len(), 3);
    assert!(got
        .iter()
        .all(|r| r.notification().map(|n| n.request_id.as_str())
            == Some(attempts[0].request_id.as_str())));
}

#[test]
fn retries_stop_after_three_and_connection_errors_count() {
    // Nothing listens on this port once the receiver is gone.
    let dead_url = {
        let rx = NotificationReceiver::start(CID, SK, NOTIFY_PATH).unwrap();
        rx.url().to_string()
    };
    let sb = start(
        SandboxConfig::default()
            .merchant(merchant(Some(&dead_url)))
            .time_scale(1_000_000.0),
    );
    let c = client(&sb);
    let inv = invoice("dead");
    // 99999 minutes last 6 s at this scale.
    let mut body = alfa_body(&inv);
    body["online_to_offline_info"]["expired_time"] = json!(99_999);
    c.alfa_payment_code(&body, &no_opts()).unwrap();
    assert_eq!(pay(&sb, json!({ "invoice_number": inv })).status, 200);
    let a = sb.wait_for_notifications(|a| a.len() >= 4 && !a[3].will_retry, WAIT);
    assert_eq!(a.len(), 4, "{a:?}");
    assert!(a.iter().all(|x| x.status.is_none() && x.error.is_some()));
    assert_eq!(
        a.iter().map(|x| x.attempt).collect::<Vec<_>>(),
        [1, 2, 3, 4]
    );
    // The fourth attempt is the last: it schedules no fifth.
    assert!(!a[3].will_retry, "{a:?}");
}

#[test]
fn override_notification_url_is_honoured_and_its_path_checked() {
    let configured = NotificationReceiver::start(CID, SK, NOTIFY_PATH).unwrap();
    let other = NotificationReceiver::start(CID, SK, NOTIFY_PATH).unwrap();
    let sb = start(SandboxConfig::default().merchant(merchant(Some(configured.url()))));
    let c = client(&sb);
    let inv = invoice("override");
    let mut body = indomaret_body(&inv);
    body["additional_info"] = json!({ "override_notification_url": other.url() });
    let r = c.indomaret_payment_code(&body, &no_opts()).unwrap();
    assert_eq!(
        r.body["additional_info"]["override_notification_url"],
        json!(other.url())
    );
    assert_eq!(pay(&sb, json!({ "invoice_number": inv })).status, 200);
    let got = other.wait_for(|r| !r.is_empty(), WAIT);
    assert!(
        got[0].notification().is_some(),
        "signed with the configured path"
    );
    assert!(configured.received().is_empty());

    let mut bad = indomaret_body(&invoice("override"));
    bad["additional_info"] =
        json!({ "override_notification_url": "https://other.example/hooks/doku" });
    let e = c.indomaret_payment_code(&bad, &no_opts()).unwrap_err();
    assert_eq!(api_status(&e), Some(400));
    assert_eq!(error_code_of(&e), "override_notification_url_path_mismatch");
    assert!(e.message().contains(NOTIFY_PATH));
}

#[test]
fn per_channel_notification_urls() {
    let alfa_rx = NotificationReceiver::start(CID, SK, "/alfa/notify").unwrap();
    let other_rx = NotificationReceiver::start(CID, SK, NOTIFY_PATH).unwrap();
    let m = merchant(Some(other_rx.url()))
        .with_channel_notification_url(doku_sandbox::Channel::Alfa, alfa_rx.url())
        .unwrap();
    let sb = start(SandboxConfig::default().merchant(m));
    let c = client(&sb);
    let (a, i) = (invoice("pc"), invoice("pc"));
    c.alfa_payment_code(&alfa_body(&a), &no_opts()).unwrap();
    c.indomaret_payment_code(&indomaret_body(&i), &no_opts())
        .unwrap();
    pay(&sb, json!({ "invoice_number": a }));
    pay(&sb, json!({ "invoice_number": i }));
    let got = alfa_rx.wait_for(|r| !r.is_empty(), WAIT);
    assert_eq!(got[0].notification().unwrap().invoice_number, a);
    let got = other_rx.wait_for(|r| !r.is_empty(), WAIT);
    assert_eq!(got[0].notification().unwrap().invoice_number, i);
}

#[test]
fn no_notification_url_records_the_attempt() {
    let sb = start(SandboxConfig::default().merchant(merchant(None)));
    let c = client(&sb);
    let inv = invoice("nourl");
    c.alfa_payment_code(&alfa_body(&inv), &no_opts()).unwrap();
    assert_eq!(pay(&sb, json!({ "invoice_number": inv })).status, 200);
    let a = sb.notifications();
    assert_eq!(a.len(), 1);
    assert!(a[0]
        .error
        .as_deref()
        .unwrap()
        .contains("no notification URL"));
    assert!(!a[0].delivered);
}

#[test]
fn expiry_with_an_injected_clock() {
    let clock = Arc::new(ManualClock::now());
    let sb = start(
        SandboxConfig::default()
            .merchant(merchant(None))
            .clock(clock.clone()),
    );
    let c = Client::with_sources(client_config(&sb), clock.clone(), Arc::new(UuidV4)).unwrap();
    let inv = invoice("expiry");
    let mut body = alfa_body(&inv);
    body["online_to_offline_info"]["expired_time"] = json!(1);
    let created = c.alfa_payment_code(&body, &no_opts()).unwrap();
    let code = created.body["online_to_offline_info"]["payment_code"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        c.check_status(&inv, &no_opts()).unwrap().body["transaction"]["status"],
        "PENDING"
    );
    clock.advance(Duration::from_secs(59));
    assert_eq!(
        c.check_status(&inv, &no_opts()).unwrap().body["transaction"]["status"],
        "PENDING"
    );
    clock.advance(Duration::from_secs(2));
    let s = c.check_status(&inv, &no_opts()).unwrap();
    assert_eq!(s.body["transaction"]["status"], "EXPIRED");
    let p = pay(&sb, json!({ "payment_code": code }));
    assert_eq!((p.status, p.code().as_str()), (400, "transaction_expired"));
    // The expired code is free again for a merchant-generated code.
    let mut again = alfa_body(&invoice("expiry"));
    again["online_to_offline_info"]["payment_code"] = json!(code);
    c.alfa_payment_code(&again, &no_opts()).unwrap();
}

#[test]
fn expiry_with_time_scale() {
    // 1 minute passes in 100 ms.
    let sb = start(
        SandboxConfig::default()
            .merchant(merchant(None))
            .time_scale(600.0),
    );
    let c = client(&sb);
    let inv = invoice("scaled");
    let mut body = indodana_body(&inv);
    body["peer_to_peer_info"]["expired_time"] = json!(1);
    c.indodana_generate_order(&body, &no_opts()).unwrap();
    let deadline = Instant::now() + WAIT;
    loop {
        let s = c.check_status(&inv, &no_opts()).unwrap();
        if s.body["transaction"]["status"] == "EXPIRED" {
            break;
        }
        assert!(Instant::now() < deadline, "never expired");
        std::thread::sleep(Duration::from_millis(50));
    }
    let p = pay(&sb, json!({ "invoice_number": inv }));
    assert_eq!(p.code(), "transaction_expired");
}

#[test]
fn reusable_code_is_paid_twice() {
    let rx = NotificationReceiver::start(CID, SK, NOTIFY_PATH).unwrap();
    let sb = start(SandboxConfig::default().merchant(merchant(Some(rx.url()))));
    let c = client(&sb);
    let inv = invoice("reuse");
    let body = indomaret_body(&inv);
    assert_eq!(
        body["online_to_offline_info"]["reusable_status"],
        json!(true),
        "the seed sample is reusable"
    );
    let r = c.indomaret_payment_code(&body, &no_opts()).unwrap();
    let code = r.body["online_to_offline_info"]["payment_code"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(pay(&sb, json!({ "payment_code": code })).status, 200);
    assert_eq!(pay(&sb, json!({ "payment_code": code })).status, 200);
    let got = rx.wait_for(|r| r.len() >= 2, WAIT);
    assert_eq!(got.len(), 2);
    let (a, b) = (
        got[0].notification().unwrap(),
        got[1].notification().unwrap(),
    );
    assert!(a.is_success() && b.is_success());
    assert_ne!(a.request_id, b.request_id, "one notification per payment");
    assert_eq!(
        a.body["online_to_offline_info"]["reusable_status"],
        json!(true)
    );
    // While it lives, its code cannot be taken by a merchant-generated code.
    let mut taken = alfa_body(&invoice("reuse"));
    taken["online_to_offline_info"]["payment_code"] = json!(code);
    let e = c.alfa_payment_code(&taken, &no_opts()).unwrap_err();
    assert_eq!(error_code_of(&e), "payment_code_in_use");
}

#[test]
fn failed_payment() {
    let rx = NotificationReceiver::start(CID, SK, NOTIFY_PATH).unwrap();
    let sb = start(SandboxConfig::default().merchant(merchant(Some(rx.url()))));
    let c = client(&sb);
    let inv = invoice("failed");
    c.alfa_payment_code(&alfa_body(&inv), &no_opts()).unwrap();
    let p = pay(&sb, json!({ "invoice_number": inv, "status": "FAILED" }));
    assert_eq!(p.json()["status"], "FAILED");
    let got = rx.wait_for(|r| !r.is_empty(), WAIT);
    assert_eq!(got[0].notification().unwrap().status, "FAILED");
    assert_eq!(
        c.check_status(&inv, &no_opts()).unwrap().body["transaction"]["status"],
        "FAILED"
    );
    let again = pay(&sb, json!({ "invoice_number": inv }));
    assert_eq!(again.code(), "transaction_closed");
    let bad = pay(&sb, json!({ "invoice_number": inv, "status": "MAYBE" }));
    assert_eq!((bad.status, bad.code().as_str()), (400, "invalid_field"));
    let none = pay(&sb, json!({ "invoice_number": "INV-NEVER" }));
    assert_eq!(none.status, 404);
}

#[test]
fn check_status_by_invoice_and_request_id() {
    let sb = start(SandboxConfig::default().merchant(merchant(None)));
    let c = client(&sb);
    let inv = format!("{}/with slash", invoice("status"));
    let body = alfa_body(&inv);
    c.alfa_payment_code(&body, &with_id("r-status-1")).unwrap();
    let by_invoice = c.check_status(&inv, &no_opts()).unwrap();
    assert_eq!(by_invoice.status, 200);
    assert_eq!(by_invoice.body["transaction"]["status"], "PENDING");
    assert_eq!(by_invoice.body["order"]["invoice_number"], json!(inv));
    assert_eq!(
        by_invoice.body["transaction"]["original_request_id"],
        "r-status-1"
    );
    let by_request = c.check_status("r-status-1", &no_opts()).unwrap();
    assert_eq!(by_request.body["order"]["invoice_number"], json!(inv));
    let e = c.check_status("INV-UNKNOWN", &no_opts()).unwrap_err();
    assert_eq!(api_status(&e), Some(404));
    assert_eq!(error_code_of(&e), "order_not_found");
}

#[test]
fn check_status_is_per_merchant() {
    let other = Merchant::new("MCH-OTHER", "SK-other-merchant").unwrap();
    let sb = start(
        SandboxConfig::default()
            .merchant(merchant(None))
            .merchant(other),
    );
    let inv = invoice("mine");
    client(&sb)
        .alfa_payment_code(&alfa_body(&inv), &no_opts())
        .unwrap();
    let mut config = Config::new("MCH-OTHER", "SK-other-merchant")
        .unwrap()
        .with_base_url(sb.base_url())
        .unwrap();
    config.response_signature = ResponseSignaturePolicy::Require;
    let theirs = Client::new(config).unwrap();
    let e = theirs.check_status(&inv, &no_opts()).unwrap_err();
    assert_eq!(api_status(&e), Some(404));
    // The same invoice number is free for another merchant.
    theirs
        .alfa_payment_code(&alfa_body(&inv), &no_opts())
        .unwrap();
    let p = pay(&sb, json!({ "invoice_number": inv }));
    assert_eq!(
        (p.status, p.code().as_str()),
        (400, "ambiguous_invoice_number")
    );
    let p = pay(
        &sb,
        json!({ "invoice_number": inv, "client_id": "MCH-OTHER" }),
    );
    assert_eq!(p.status, 200);
}

#[test]
fn merchant_generated_codes() {
    let sb = start(SandboxConfig::default().merchant(merchant(None)));
    let c = client(&sb);
    let mut body = alfa_body(&invoice("mgpc"));
    body["online_to_offline_info"]["payment_code"] = json!("8888800012345678");
    let r = c.alfa_payment_code(&body, &no_opts()).unwrap();
    assert_eq!(
        r.body["online_to_offline_info"]["payment_code"],
        "8888800012345678"
    );
    let mut dup = indomaret_body(&invoice("mgpc"));
    dup["online_to_offline_info"]["payment_code"] = json!("8888800012345678");
    let e = c.indomaret_payment_code(&dup, &no_opts()).unwrap_err();
    assert_eq!(error_code_of(&e), "payment_code_in_use");
    let mut wrong = alfa_body(&invoice("mgpc"));
    wrong["online_to_offline_info"]["payment_code"] = json!("7777700012345678");
    let e = c.alfa_payment_code(&wrong, &no_opts()).unwrap_err();
    assert_eq!(error_code_of(&e), "invalid_payment_code");
    assert!(e.message().contains("88888"));
    // Direct BIN: at most 20 digits after the BIN (Indomaret allows 25 in total).
    let mut long = indomaret_body(&invoice("mgpc"));
    long["online_to_offline_info"]["payment_code"] = json!(format!("88888{}", "1".repeat(20)));
    c.indomaret_payment_code(&long, &no_opts()).unwrap();
}

#[test]
fn concurrent_same_invoice_creates_exactly_one() {
    let sb = start(SandboxConfig::default().merchant(merchant(None)));
    let inv = invoice("race");
    let barrier = Arc::new(Barrier::new(8));
    let results: Vec<Result<doku::Response, doku::Error>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let (c, barrier, body) = (client(&sb), barrier.clone(), alfa_body(&inv));
                s.spawn(move || {
                    barrier.wait();
                    c.alfa_payment_code(&body, &no_opts())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let ok = results
        .iter()
        .filter(|r| r.as_ref().is_ok_and(|r| r.status == 200))
        .count();
    let dup = results
        .iter()
        .filter(|r| {
            r.as_ref().is_err_and(|e| {
                e.http_status() == Some(400) && error_code_of(e) == "duplicate_invoice_number"
            })
        })
        .count();
    assert_eq!((ok, dup), (1, 7), "{results:?}");
    assert_eq!(sb.transaction_count(), 1);
}

#[test]
fn concurrent_same_request_id_creates_one_and_replays_the_rest() {
    let sb = start(SandboxConfig::default().merchant(merchant(None)));
    let body = indomaret_body(&invoice("race-id"));
    let barrier = Arc::new(Barrier::new(8));
    let results: Vec<doku::Response> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let (c, barrier, body) = (client(&sb), barrier.clone(), body.clone());
                s.spawn(move || {
                    barrier.wait();
                    c.indomaret_payment_code(&body, &with_id("r-race-same"))
                        .unwrap()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        results
            .iter()
            .filter(|r| r.status == 200 && !r.replay)
            .count(),
        1
    );
    assert_eq!(
        results
            .iter()
            .filter(|r| r.status == 409 && r.replay)
            .count(),
        7
    );
    let code = &results[0].body["online_to_offline_info"]["payment_code"];
    assert!(code.is_string());
    assert!(results
        .iter()
        .all(|r| &r.body["online_to_offline_info"]["payment_code"] == code));
    assert_eq!(sb.transaction_count(), 1);
}

#[test]
fn how_to_pay_page_and_api() {
    let sb = start(SandboxConfig::default().merchant(merchant(None)));
    let c = client(&sb);
    let r = c
        .alfa_payment_code(&alfa_body(&invoice("htp")), &no_opts())
        .unwrap();
    let info = &r.body["online_to_offline_info"];
    let code = info["payment_code"].as_str().unwrap();
    let page_path = info["how_to_pay_page"]
        .as_str()
        .unwrap()
        .strip_prefix(sb.base_url())
        .unwrap()
        .to_string();
    let page = raw(&sb, "GET", &page_path, &[], None);
    assert_eq!(page.status, 200);
    assert!(page
        .header("Content-Type")
        .unwrap()
        .starts_with("text/html"));
    // The Alfa seed's shape: /how-to-pay/v2/alfa-online-to-offline/{code}.
    assert_eq!(
        page_path,
        format!("/how-to-pay/v2/alfa-online-to-offline/{code}")
    );
    let html = String::from_utf8(page.body).unwrap();
    assert!(html.contains(code) && html.contains("Alfamart"));
    let api_path = info["how_to_pay_api"]
        .as_str()
        .unwrap()
        .strip_prefix(sb.base_url())
        .unwrap()
        .to_string();
    assert_eq!(
        api_path,
        format!("/alfa-online-to-offline/v2/how-to-pay-api/{code}")
    );
    let api = raw(&sb, "GET", &api_path, &[], None).json();
    assert_eq!(api["payment_code"], json!(code));
    // What DOKU's OpenCart, WooCommerce and Magento plugins read: payment_instruction[],
    // each a channel (string) and its steps (an array of strings).
    let stores = api["payment_instruction"].as_array().unwrap();
    assert!(stores.len() >= 2);
    for s in stores {
        let entry = s.as_object().unwrap();
        assert_eq!(entry.len(), 2, "only channel and step: {s}");
        assert!(!s["channel"].as_str().unwrap().is_empty());
        let steps = s["step"].as_array().unwrap();
        assert!(!steps.is_empty() && steps.iter().all(Value::is_string));
        // The HTML page shows the same entries.
        assert!(html.contains(s["channel"].as_str().unwrap()));
    }
    let missing = raw(
        &sb,
        "GET",
        "/alfa-online-to-offline/v2/how-to-pay-api/123",
        &[],
        None,
    );
    assert_eq!(missing.status, 404);
}

#[test]
fn indodana_payment_page_approves_and_redirects() {
    let rx = NotificationReceiver::start(CID, SK, NOTIFY_PATH).unwrap();
    let sb = start(SandboxConfig::default().merchant(merchant(Some(rx.url()))));
    let c = client(&sb);
    let inv = invoice("idn");
    let r = c
        .indodana_generate_order(&indodana_body(&inv), &no_opts())
        .unwrap();
    let url = r.body["payment"]["url"].as_str().unwrap();
    let path = url.strip_prefix(sb.base_url()).unwrap().to_string();
    let page = raw(&sb, "GET", &path, &[], None);
    assert_eq!(page.status, 200);
    assert!(String::from_utf8_lossy(&page.body).contains(&inv));
    let done = raw(&sb, "POST", &format!("{path}/approve"), &[], Some(b""));
    assert_eq!(done.status, 303);
    assert_eq!(
        done.header("Location"),
        Some("https://merchant.com/return-url")
    );
    let got = rx.wait_for(|r| !r.is_empty(), WAIT);
    let n = got[0].notification().unwrap();
    assert_eq!(n.service_id.as_deref(), Some("PEER_TO_PEER"));
    assert_eq!(n.acquirer_id.as_deref(), Some("INDODANA"));
    assert_eq!(n.channel_id.as_deref(), Some("PEER_TO_PEER_INDODANA"));
    assert_eq!(n.body["payment"]["merchant_unique_reference"], "60123");
    assert_eq!(
        n.body["peer_to_peer_info"]["identifier"][0]["name"],
        "INDODANA_ORDER_ID"
    );
    assert_eq!(
        c.check_status(&inv, &no_opts()).unwrap().body["transaction"]["status"],
        "SUCCESS"
    );
}

#[test]
fn state_file_survives_a_restart() {
    let path = std::env::temp_dir().join(format!(
        "doku-sandbox-state-{}-{}.json",
        std::process::id(),
        invoice("f")
    ));
    let inv = invoice("state");
    let body = alfa_body(&inv);
    let code = {
        let sb = start(
            SandboxConfig::default()
                .merchant(merchant(None))
                .state_file(&path),
        );
        let c = client(&sb);
        let r = c.alfa_payment_code(&body, &with_id("r-state")).unwrap();
        sb.shutdown();
        r.body["online_to_offline_info"]["payment_code"].clone()
    };
    assert!(path.exists());
    let sb = start(
        SandboxConfig::default()
            .merchant(merchant(None))
            .state_file(&path),
    );
    let c = client(&sb);
    assert_eq!(sb.transaction_count(), 1);
    assert_eq!(
        c.check_status(&inv, &no_opts()).unwrap().body["online_to_offline_info"]["payment_code"],
        code
    );
    let replay = c.alfa_payment_code(&body, &with_id("r-state")).unwrap();
    assert!(replay.replay);
    assert_eq!(pay(&sb, json!({ "invoice_number": inv })).status, 200);
    drop(sb);
    let sb = start(
        SandboxConfig::default()
            .merchant(merchant(None))
            .state_file(&path),
    );
    assert_eq!(
        client(&sb).check_status(&inv, &no_opts()).unwrap().body["transaction"]["status"],
        "SUCCESS"
    );
    drop(sb);
    std::fs::write(&path, b"not json").unwrap();
    let e = Sandbox::start(SandboxConfig::default().state_file(&path)).unwrap_err();
    assert_eq!(e.field(), Some("state_file"));
    let _ = std::fs::remove_file(&path);
}

#[test]
fn bad_configuration_is_refused() {
    let cfg = |f: &dyn Fn(&mut SandboxConfig)| {
        let mut c = SandboxConfig::default();
        f(&mut c);
        Sandbox::start(c).unwrap_err()
    };
    assert_eq!(cfg(&|c| c.bin = "8888".into()).field(), Some("bin"));
    assert_eq!(cfg(&|c| c.bin = "12a45".into()).field(), Some("bin"));
    assert_eq!(cfg(&|c| c.code_length = 21).field(), Some("code_length"));
    assert_eq!(
        cfg(&|c| {
            c.bin = "1234567".into();
            c.code_length = 22
        })
        .field(),
        Some("code_length")
    );
    assert_eq!(cfg(&|c| c.time_scale = 0.0).field(), Some("time_scale"));
    assert_eq!(
        cfg(&|c| c.address = "256.0.0.1:0".into()).field(),
        Some("address")
    );
    let twice = cfg(&|c| c.merchants = vec![merchant(None), merchant(None)]);
    assert_eq!(twice.field(), Some("merchants"));
    assert_eq!(
        Merchant::new(CID, "").unwrap_err().field(),
        Some("secret_key")
    );
    assert_eq!(
        merchant(None)
            .with_notification_url("ftp://x")
            .unwrap_err()
            .field(),
        Some("notification_url")
    );
    assert!(!format!("{:?}", merchant(None)).contains(SK));
    // A general (1-digit) BIN with 20-digit codes is fine.
    let sb = start(
        SandboxConfig {
            bin: "7".into(),
            code_length: 20,
            ..SandboxConfig::default()
        }
        .merchant(merchant(None)),
    );
    let r = client(&sb)
        .alfa_payment_code(&alfa_body(&invoice("bin")), &no_opts())
        .unwrap();
    let code = r.body["online_to_offline_info"]["payment_code"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(code.starts_with('7') && code.len() == 20);
}

#[test]
fn handles_are_thread_safe() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Sandbox>();
    send_sync::<NotificationReceiver>();
    send_sync::<SandboxConfig>();
}

#[test]
fn shutdown_is_prompt_and_closes_the_port() {
    let sb = start(SandboxConfig::default().merchant(merchant(None)));
    let c = client(&sb);
    c.alfa_payment_code(&alfa_body(&invoice("down")), &no_opts())
        .unwrap();
    let addr = sb.addr();
    sb.shutdown();
    // Shutdown returns once the listener is closed.
    assert!(std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_err());
}

#[test]
fn logs_never_hold_secrets() {
    let lines = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let sink = lines.clone();
    let sb = start(
        SandboxConfig::default()
            .merchant(merchant(None))
            .logger(Arc::new(move |l: &str| {
                sink.lock().unwrap().push(l.to_string())
            })),
    );
    let body = alfa_body(&invoice("log")).to_string();
    let h = signed(ALFA, Some(body.as_bytes()), "r-log", &now_ts(), SK);
    let sig = h[3].1.clone();
    assert_eq!(
        raw(&sb, "POST", ALFA, &h, Some(body.as_bytes())).status,
        200
    );
    let bad = signed(ALFA, Some(body.as_bytes()), "r-log2", &now_ts(), "SK-wrong");
    assert_eq!(
        raw(&sb, "POST", ALFA, &bad, Some(body.as_bytes())).status,
        401
    );
    drop(sb);
    let lines = lines.lock().unwrap();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[0].contains("POST /alfa-online-to-offline/v2/payment-code")
            && lines[0].contains("-> 200")
    );
    assert!(lines[1].contains("401 invalid_signature"));
    for l in lines.iter() {
        assert!(
            !l.contains(SK) && !l.contains(&sig) && !l.contains("Taufik"),
            "{l}"
        );
    }
}

#[test]
fn cli_serves_until_end_of_input() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_doku"))
        .args([
            "sandbox",
            "--port",
            "0",
            "--merchant",
            &format!("{CID}:{SK}"),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run doku sandbox");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let url = line
        .trim()
        .strip_prefix("doku sandbox listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    let mut config = Config::new(CID, SK).unwrap().with_base_url(&url).unwrap();
    config.response_signature = ResponseSignaturePolicy::Require;
    config.timeout = WAIT;
    let c = Client::new(config).unwrap();
    let r = c
        .alfa_payment_code(&alfa_body(&invoice("cli")), &no_opts())
        .unwrap();
    assert!(r.signature_verified);
    // End of input stops it.
    drop(child.stdin.take());
    let deadline = Instant::now() + WAIT;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("doku sandbox did not stop at end of input");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success());
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert!(err.contains("-> 200"), "{err}");
    assert!(!err.contains(SK), "{err}");
    let _ = std::io::stdout().flush();
}

// ---------------------------------------------------------------------------------------
// Numbers sent as JSON strings (DOKU's own PrestaShop O2O plugin sends "amount":"150000"
// and "expired_time":"60") and the how-to-pay shapes DOKU's plugins read.
// ---------------------------------------------------------------------------------------

/// The body DOKU's PrestaShop O2O plugin builds from `$_POST` strings (its own keys
/// included: `info1`, `additional_info.integration`).
fn prestashop_alfa_body(inv: &str) -> String {
    format!(
        r#"{{"order":{{"invoice_number":"{inv}","amount":"150000"}},"online_to_offline_info":{{"expired_time":"60","reusable_status":false,"info1":""}},"alfa_info":{{"receipt":{{"footer_message":"Terima kasih"}}}},"customer":{{"name":"Taufik Ismail","email":"taufik@example.com"}},"additional_info":{{"integration":{{"name":"prestashop-plugin","module-name":"jokul-o2o","version":"1.0.0"}}}}}}"#
    )
}

fn minutes_between(info: &Value) -> i64 {
    let at = |k: &str| doku::clock::parse_timestamp(info[k].as_str().unwrap(), k).unwrap();
    (at("expired_date_utc") - at("created_date_utc")) / 60
}

#[test]
fn prestashop_body_with_numbers_as_strings_gets_a_payment_code() {
    let sb = start(SandboxConfig::default().merchant(merchant(None)));
    let c = client(&sb);
    let inv = invoice("ps");
    let body = prestashop_alfa_body(&inv);
    let rid = uuid::Uuid::new_v4().to_string();
    let r = c
        .call("alfa_payment_code", body.as_bytes(), &with_id(&rid))
        .unwrap();
    assert_eq!(
        (r.status, r.replay, r.signature_verified),
        (200, false, true)
    );
    let info = &r.body["online_to_offline_info"];
    let code = info["payment_code"].as_str().unwrap();
    assert!(code.starts_with("88888"));
    assert_eq!(
        minutes_between(info),
        60,
        "expired_time \"60\" is 60 minutes"
    );

    // The client sent the caller's bytes unchanged: the same bytes, signed by hand under
    // the same Request-Id, are a replay of that request (409), not another body (400).
    let h = signed(ALFA, Some(body.as_bytes()), &rid, &now_ts(), SK);
    let replay = raw(&sb, "POST", ALFA, &h, Some(body.as_bytes()));
    assert_eq!(
        replay.status,
        409,
        "{}",
        String::from_utf8_lossy(&replay.body)
    );
    assert_eq!(replay.json(), r.body);

    // Check status reports the amount, as a JSON number like DOKU's samples.
    let s = c.check_status(&inv, &no_opts()).unwrap().body;
    assert_eq!(s["order"]["invoice_number"], json!(inv));
    assert_eq!(s["order"]["amount"], json!(150000));
    assert_eq!(s["transaction"]["status"], "PENDING");
    assert_eq!(s["online_to_offline_info"]["payment_code"], json!(code));
    let api_path = info["how_to_pay_api"]
        .as_str()
        .unwrap()
        .strip_prefix(sb.base_url())
        .unwrap()
        .to_string();
    assert_eq!(
        raw(&sb, "GET", &api_path, &[], None).json()["amount"],
        json!(150000)
    );

    // A string that is not digits is refused before sending, and by the sandbox, both
    // naming the field.
    let bad = body.replace(r#""amount":"150000""#, r#""amount":"150.000""#);
    let e = c
        .call("alfa_payment_code", bad.as_bytes(), &no_opts())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation);
    assert_eq!(e.field(), Some("order.amount"));
    let refused = post_signed(&sb, ALFA, bad.as_bytes());
    assert_eq!(refused.status, 400);
    assert_eq!(refused.code(), "invalid_field");
    assert_eq!(refused.json()["error"]["field"], "order.amount");
    let long = body.replace(r#""expired_time":"60""#, r#""expired_time":"123456""#);
    let refused = post_signed(&sb, ALFA, long.as_bytes());
    assert_eq!(refused.status, 400);
    assert_eq!(
        refused.json()["error"]["field"],
        "online_to_offline_info.expired_time"
    );
    assert_eq!(sb.transaction_count(), 1);
}

#[test]
fn numbers_as_strings_work_for_indomaret_and_indodana() {
    let sb = start(SandboxConfig::default().merchant(merchant(None)));
    let c = client(&sb);

    let inv = invoice("ps-idm");
    let mut body = indomaret_body(&inv);
    body["order"]["amount"] = json!("150000");
    body["online_to_offline_info"]["expired_time"] = json!("120");
    let r = c.indomaret_payment_code(&body, &no_opts()).unwrap();
    assert_eq!(minutes_between(&r.body["online_to_offline_info"]), 120);
    let s = c.check_status(&inv, &no_opts()).unwrap().body;
    assert_eq!(s["order"]["amount"], json!(150000));

    // Indodana: amount, price, quantity and expired_time all as strings; the sum rule and
    // the sandbox read them, and the answer gives the amount as a number.
    let inv = invoice("ps-idn");
    let mut body = indodana_body(&inv);
    body["order"]["amount"] = json!("100000");
    body["order"]["line_items"][0]["price"] = json!("50000.00");
    body["order"]["line_items"][0]["quantity"] = json!("2");
    body["peer_to_peer_info"]["expired_time"] = json!("90");
    let d = c.indodana_generate_order(&body, &no_opts()).unwrap().body;
    assert_eq!(d["order"]["amount"], json!(100000));
    assert_eq!(minutes_between(&d["peer_to_peer_info"]), 90);
    let s = c.check_status(&inv, &no_opts()).unwrap().body;
    assert_eq!(s["order"]["amount"], json!(100000));
    body["order"]["line_items"][0]["quantity"] = json!("3");
    body["order"]["invoice_number"] = json!(invoice("ps-idn-bad"));
    let e = c.indodana_generate_order(&body, &no_opts()).unwrap_err();
    assert_eq!(e.field(), Some("order.amount"), "{e}");
}

#[test]
fn how_to_pay_pages_have_each_seeds_shape_and_the_old_alfa_path_still_works() {
    let sb = start(SandboxConfig::default().merchant(merchant(None)));
    let c = client(&sb);
    let alfa = c
        .alfa_payment_code(&alfa_body(&invoice("htp-a")), &no_opts())
        .unwrap()
        .body;
    let indomaret = c
        .indomaret_payment_code(&indomaret_body(&invoice("htp-i")), &no_opts())
        .unwrap()
        .body;
    let path_of = |body: &Value, key: &str| {
        body["online_to_offline_info"][key]
            .as_str()
            .unwrap()
            .strip_prefix(sb.base_url())
            .unwrap()
            .to_string()
    };
    let code_of = |body: &Value| {
        body["online_to_offline_info"]["payment_code"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (a, i) = (code_of(&alfa), code_of(&indomaret));
    assert_eq!(
        path_of(&alfa, "how_to_pay_page"),
        format!("/how-to-pay/v2/alfa-online-to-offline/{a}")
    );
    assert_eq!(
        path_of(&indomaret, "how_to_pay_page"),
        format!("/indomaret-online-to-offline/v2/how-to-pay-page/{i}")
    );
    assert_eq!(
        path_of(&indomaret, "how_to_pay_api"),
        format!("/indomaret-online-to-offline/v2/how-to-pay-api/{i}")
    );
    let html = |path: &str| {
        let r = raw(&sb, "GET", path, &[], None);
        assert_eq!(r.status, 200, "{path}");
        assert!(r.header("Content-Type").unwrap().starts_with("text/html"));
        String::from_utf8(r.body).unwrap()
    };
    // The page a link hands out, and the shape Alfa links had before (kept for links in
    // older state files): the same page.
    let new = html(&path_of(&alfa, "how_to_pay_page"));
    let old = html(&format!("/alfa-online-to-offline/v2/how-to-pay-page/{a}"));
    assert_eq!(new, old);
    assert!(new.contains(&a) && new.contains("Alfamidi"));
    let idm = html(&path_of(&indomaret, "how_to_pay_page"));
    assert!(idm.contains(&i) && idm.contains("Indomaret"));
    // The Indomaret API in the plugins' shape: one store.
    let api = raw(
        &sb,
        "GET",
        &path_of(&indomaret, "how_to_pay_api"),
        &[],
        None,
    )
    .json();
    let entries = api["payment_instruction"].as_array().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["channel"], "Indomaret");
    assert!(entries[0]["step"].as_array().unwrap().len() >= 3);
    // A code of the other store, or an unknown code, is 404 at either shape.
    for path in [
        format!("/how-to-pay/v2/alfa-online-to-offline/{i}"),
        format!("/how-to-pay/v2/indomaret-online-to-offline/{a}"),
        "/how-to-pay/v2/alfa-online-to-offline/123".to_string(),
    ] {
        assert_eq!(raw(&sb, "GET", &path, &[], None).status, 404, "{path}");
    }
    // The page is GET only.
    let post = raw(
        &sb,
        "POST",
        &path_of(&alfa, "how_to_pay_page"),
        &[],
        Some(b"{}"),
    );
    assert_eq!(post.status, 405);
}

#[test]
fn a_client_with_the_wrong_key_gets_no_component_in_its_error_message() {
    let sb = start(SandboxConfig::default().merchant(merchant(None)));
    let mut config = Config::new(CID, "SK-not-this-merchants-key")
        .unwrap()
        .with_base_url(sb.base_url())
        .unwrap();
    config.retries = 0;
    let e = Client::new(config)
        .unwrap()
        .alfa_payment_code(&alfa_body(&invoice("nocomp")), &no_opts())
        .unwrap_err();
    assert_eq!(e.http_status(), Some(401));
    assert!(!e.message().contains("Client-Id:"), "{e}");
    assert!(!e.to_string().contains("Client-Id:"), "{e}");
    let body: Value = serde_json::from_str(e.body().unwrap()).unwrap();
    assert!(
        body["error"]["component"]
            .as_str()
            .unwrap()
            .starts_with(&format!("Client-Id:{CID}\n")),
        "the component is there for a developer, in the raw body"
    );
}
