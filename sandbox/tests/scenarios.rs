//! Every fault scenario of the README's table, driven through the real `doku::Client` over
//! sockets on 127.0.0.1, checking what the merchant's code sees: the error kind, whether the
//! outcome is unknown, the retries (with one Request-Id), the replay, the notifications.
//! No test asserts on elapsed time or sleeps to prove that something did not happen: they
//! wait (bounded) for answers, log lines and received notifications.

mod common;

use std::io::{Read, Write};
use std::time::Duration;

use common::*;
use doku::{ErrorKind, ResponseSignaturePolicy};
use doku_sandbox::receiver::NotificationReceiver;
use doku_sandbox::scenario::{self, Scenario};
use doku_sandbox::SandboxConfig;
use serde_json::json;

#[test]
fn http_500_once_then_success_the_client_retries_with_the_same_request_id() {
    let lines = Lines::default();
    let sb = start(None, &lines);
    let seen = Seen::default();
    let c = client_with(&sb, 2, &seen);
    let inv = format!("{}-SBX-500", invoice("500"));
    let r = c
        .alfa_payment_code(&alfa_body(&inv), &with_id(&new_id()))
        .unwrap();
    assert_eq!(
        (r.status, r.replay, r.signature_verified),
        (200, false, true)
    );
    assert_eq!(seen.retries(), ["retry HTTP 500"]);
    let ids = seen.attempt_ids();
    assert_eq!(ids.len(), 2);
    assert_eq!(ids[0], ids[1], "the retry reuses the Request-Id");
    assert_eq!(sb.transaction_count(), 1);

    // Without retries the merchant sees the 500 itself, and nothing was created.
    let seen = Seen::default();
    let c = client_with(&sb, 0, &seen);
    let inv = invoice("500b");
    let mut body = alfa_body(&inv);
    body["order"]["amount"] = json!(9_900_500);
    let rid = new_id();
    let e = c.alfa_payment_code(&body, &with_id(&rid)).unwrap_err();
    assert_eq!(
        (e.kind(), e.http_status()),
        (ErrorKind::Api, Some(500)),
        "{e}"
    );
    assert!(e.message().contains("http-500-once"), "{e}");
    assert_eq!(e.request_id(), Some(rid.as_str()));
    let missing = c.check_status(&inv, &with_id(&new_id())).unwrap_err();
    assert_eq!(missing.http_status(), Some(404), "a 500 creates nothing");
    let r = c.alfa_payment_code(&body, &with_id(&rid)).unwrap();
    assert_eq!((r.status, r.replay), (200, false));
}

#[test]
fn http_503_three_times_outlasts_the_default_retries_then_succeeds() {
    let lines = Lines::default();
    let sb = start(None, &lines);
    let seen = Seen::default();
    let c = client_with(&sb, 2, &seen);
    let inv = format!("{}-SBX-503", invoice("503"));
    let body = indomaret_body(&inv);
    let rid = new_id();
    let e = c.indomaret_payment_code(&body, &with_id(&rid)).unwrap_err();
    assert_eq!(
        (e.kind(), e.http_status()),
        (ErrorKind::Api, Some(503)),
        "{e}"
    );
    assert_eq!(seen.retries(), ["retry HTTP 503", "retry HTTP 503"]);
    assert!(seen.attempt_ids().iter().all(|id| *id == rid));
    assert_eq!(
        seen.sleeps.lock().unwrap().len(),
        2,
        "backed off before each retry"
    );
    // The fourth attempt, with the same Request-Id, goes through.
    let r = c.indomaret_payment_code(&body, &with_id(&rid)).unwrap();
    assert_eq!((r.status, r.replay), (200, false));

    // A client allowing three retries rides it out (amount trigger this time).
    let seen = Seen::default();
    let c = client_with(&sb, 3, &seen);
    let mut body = alfa_body(&invoice("503b"));
    body["order"]["amount"] = json!(9_900_503);
    let r = c.alfa_payment_code(&body, &with_id(&new_id())).unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(seen.retries().len(), 3);
}

/// The outcome-unknown drill: the client times out, the payment code exists anyway, and
/// the retry with the same Request-Id gets DOKU's 409 replay of the original answer.
#[test]
fn stall_times_the_client_out_commits_anyway_and_the_retry_gets_a_409_replay() {
    let lines = Lines::default();
    let sb = start(None, &lines);
    let seen = Seen::default();
    let mut config = config(&sb, 0, &seen);
    config.timeout = Duration::from_secs(2);
    let c = doku::Client::new(config).unwrap();
    let inv = format!("{}-SBX-STALL", invoice("stall"));
    let body = alfa_body(&inv);
    let rid = new_id();
    let e = c.alfa_payment_code(&body, &with_id(&rid)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(e.message().contains("outcome is unknown"), "{e}");
    assert_eq!(e.request_id(), Some(rid.as_str()));
    // The sandbox saw the client hang up and let the held answer go.
    lines.wait_for(&[&rid, "ended: the client closed the connection"]);
    // Check status: the code was created.
    let status = c.check_status(&inv, &with_id(&new_id())).unwrap();
    assert_eq!(status.body["transaction"]["status"], "PENDING");
    let code = status.body["online_to_offline_info"]["payment_code"].clone();
    // The retry with the same Request-Id: the original answer, flagged as a replay.
    let r = c.alfa_payment_code(&body, &with_id(&rid)).unwrap();
    assert_eq!(
        (r.status, r.replay, r.signature_verified),
        (409, true, true)
    );
    assert_eq!(r.body["online_to_offline_info"]["payment_code"], code);
    assert_eq!(sb.transaction_count(), 1);
}

#[test]
fn stall_with_client_retries_ends_in_the_replay_without_the_merchant_doing_anything() {
    let lines = Lines::default();
    let sb = start(None, &lines);
    let seen = Seen::default();
    let mut config = config(&sb, 1, &seen);
    config.timeout = Duration::from_secs(2);
    let c = doku::Client::new(config).unwrap();
    let mut body = alfa_body(&invoice("stall2"));
    body["order"]["amount"] = json!(9_900_504);
    let r = c
        .alfa_payment_code(&body, &doku::RequestOptions::default())
        .unwrap();
    assert_eq!((r.status, r.replay), (409, true));
    assert_eq!(seen.retries().len(), 1);
    assert!(
        seen.retries()[0].to_lowercase().contains("timeout"),
        "{:?}",
        seen.retries()
    );
}

/// A raw request that never gives up: its held answer is released by the retry with the
/// same Request-Id, and a stall never outlives the sandbox.
#[test]
fn a_held_answer_is_released_by_the_retry_and_by_shutdown() {
    let lines = Lines::default();
    let sb = start(None, &lines);
    let seen = Seen::default();
    let c = client_with(&sb, 0, &seen);
    let rid = new_id();
    let body = alfa_body(&format!("{}-SBX-STALL", invoice("held")));
    let bytes = serde_json::to_vec(&body).unwrap();
    let ts = doku::clock::format_timestamp(doku::Clock::now_unix(&doku::SystemClock));
    let path = "/alfa-online-to-offline/v2/payment-code";
    let key = doku::SigningKey::new(SK.as_bytes()).unwrap();
    let sig = key
        .sign(&doku::Component::request(
            CID,
            &rid,
            &ts,
            path,
            Some(&bytes),
        ))
        .unwrap();
    let addr = sb.base_url().trim_start_matches("http://").to_string();
    let mut raw = std::net::TcpStream::connect(&addr).unwrap();
    raw.set_read_timeout(Some(WAIT)).unwrap();
    write!(
        raw,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nClient-Id: {CID}\r\nRequest-Id: {rid}\r\n\
         Request-Timestamp: {ts}\r\nSignature: {sig}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n",
        bytes.len()
    )
    .unwrap();
    raw.write_all(&bytes).unwrap();
    lines.wait_for(&[&rid, "-> 200", "held: stall scenario"]);
    let r = c.alfa_payment_code(&body, &with_id(&rid)).unwrap();
    assert!(r.replay);
    lines.wait_for(&[&rid, "ended: a retry with the same Request-Id arrived"]);
    let mut answer = String::new();
    raw.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");

    // Another stall, then shutdown: the held request gets its answer or a close, at once.
    let rid2 = new_id();
    let body2 = alfa_body(&format!("{}-SBX-STALL", invoice("held2")));
    let bytes2 = serde_json::to_vec(&body2).unwrap();
    let sig2 = key
        .sign(&doku::Component::request(
            CID,
            &rid2,
            &ts,
            path,
            Some(&bytes2),
        ))
        .unwrap();
    let mut raw2 = std::net::TcpStream::connect(&addr).unwrap();
    raw2.set_read_timeout(Some(WAIT)).unwrap();
    write!(
        raw2,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nClient-Id: {CID}\r\nRequest-Id: {rid2}\r\n\
         Request-Timestamp: {ts}\r\nSignature: {sig2}\r\nContent-Length: {}\r\n\r\n",
        bytes2.len()
    )
    .unwrap();
    raw2.write_all(&bytes2).unwrap();
    lines.wait_for(&[&rid2, "held: stall scenario"]);
    sb.shutdown();
    lines.wait_for(&[&rid2, "ended: the sandbox is stopping"]);
    let mut rest = Vec::new();
    let _ = raw2.read_to_end(&mut rest);
}

#[test]
fn not_json_is_a_decode_error_and_the_retry_gets_the_json_replay() {
    let lines = Lines::default();
    let sb = start(None, &lines);
    let seen = Seen::default();
    let c = client_with(&sb, 2, &seen);
    let inv = format!("{}-SBX-NOTJSON", invoice("nj"));
    let body = alfa_body(&inv);
    let rid = new_id();
    let e = c.alfa_payment_code(&body, &with_id(&rid)).unwrap_err();
    assert_eq!(
        (e.kind(), e.http_status()),
        (ErrorKind::Decode, Some(200)),
        "{e}"
    );
    assert!(e.body().unwrap_or_default().starts_with("<html>"), "{e:?}");
    assert!(seen.retries().is_empty(), "a 200 is not retried");
    let r = c.alfa_payment_code(&body, &with_id(&rid)).unwrap();
    assert_eq!(
        (r.status, r.replay, r.signature_verified),
        (409, true, true)
    );
    assert!(r.body["online_to_offline_info"]["payment_code"].is_string());
}

#[test]
fn wrong_signature_is_a_signature_mismatch_and_the_replay_verifies() {
    let lines = Lines::default();
    let sb = start(None, &lines);
    let seen = Seen::default();
    let c = client_with(&sb, 2, &seen);
    let inv = format!("{}-SBX-BADSIG", invoice("sig"));
    let body = alfa_body(&inv);
    let rid = new_id();
    let e = c.alfa_payment_code(&body, &with_id(&rid)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::SignatureMismatch, "{e}");
    assert_eq!(e.field(), Some("headers.Signature"));
    assert_eq!(e.http_status(), Some(200));
    let r = c.alfa_payment_code(&body, &with_id(&rid)).unwrap();
    assert_eq!(
        (r.status, r.replay, r.signature_verified),
        (409, true, true)
    );

    // A client that does not check response signatures does not notice.
    let mut config = config(&sb, 0, &Seen::default());
    config.response_signature = ResponseSignaturePolicy::Off;
    let lax = doku::Client::new(config).unwrap();
    let mut body = alfa_body(&invoice("sig2"));
    body["order"]["amount"] = json!(9_900_401);
    let r = lax.alfa_payment_code(&body, &with_id(&new_id())).unwrap();
    assert_eq!((r.status, r.signature_verified), (200, false));
}

#[test]
fn expire_at_once_creates_an_expired_code_that_cannot_be_paid() {
    let lines = Lines::default();
    let sb = start(None, &lines);
    let c = client_with(&sb, 0, &Seen::default());
    let inv = format!("{}-SBX-EXPIRE", invoice("exp"));
    let r = c
        .alfa_payment_code(&alfa_body(&inv), &with_id(&new_id()))
        .unwrap();
    let info = &r.body["online_to_offline_info"];
    assert_eq!(info["expired_date"], info["created_date"]);
    let s = c.check_status(&inv, &with_id(&new_id())).unwrap();
    assert_eq!(s.body["transaction"]["status"], "EXPIRED");
    let paid = post_json(&sb, "/_sandbox/pay", &json!({"invoice_number": inv}));
    assert_eq!(paid.status, 400, "{}", paid.body);
    assert_eq!(paid.json()["error"]["code"], "transaction_expired");
    assert!(
        sb.notifications().is_empty(),
        "a refused payment sends nothing"
    );
}

#[test]
fn payment_failed_sends_a_failed_notification() {
    let receiver = NotificationReceiver::start(CID, SK, NOTIFY_PATH).unwrap();
    let lines = Lines::default();
    let sb = start(Some(receiver.url()), &lines);
    let c = client_with(&sb, 0, &Seen::default());
    let inv = format!("{}-SBX-FAILED", invoice("fail"));
    c.indomaret_payment_code(&indomaret_body(&inv), &with_id(&new_id()))
        .unwrap();
    let paid = post_json(&sb, "/_sandbox/pay", &json!({"invoice_number": inv}));
    assert_eq!(paid.status, 200, "{}", paid.body);
    assert_eq!(paid.json()["status"], "FAILED");
    assert_eq!(paid.json()["scenario"], "payment-failed");
    let got = receiver.wait_for(|r| !r.is_empty(), WAIT);
    let n = got[0].notification().expect("a verified notification");
    assert_eq!(n.body["transaction"]["status"], "FAILED");
    assert_eq!(n.body["order"]["invoice_number"], inv.as_str());
    let s = c.check_status(&inv, &with_id(&new_id())).unwrap();
    assert_eq!(s.body["transaction"]["status"], "FAILED");
}

#[test]
fn indodana_rejects_ends_failed_at_the_cancel_url_and_is_refused_for_stores() {
    let receiver = NotificationReceiver::start(CID, SK, NOTIFY_PATH).unwrap();
    let lines = Lines::default();
    let sb = start(Some(receiver.url()), &lines);
    let c = client_with(&sb, 0, &Seen::default());
    let inv = format!("{}-SBX-REJECT", invoice("rej"));
    let body = indodana_body(&inv);
    let r = c
        .indodana_generate_order(&body, &with_id(&new_id()))
        .unwrap();
    let url = r.body["payment"]["url"].as_str().unwrap().to_string();
    let path = url.strip_prefix(sb.base_url()).unwrap();
    let page = get(&sb, path);
    assert!(
        page.body
            .contains("Indodana rejected this credit application"),
        "{}",
        page.body
    );
    let approve = http(sb.base_url(), "POST", &format!("{path}/approve"), None, &[]);
    assert_eq!(approve.status, 303, "{}", approve.body);
    assert_eq!(
        approve.header("Location"),
        body["order"]["callback_url_cancel"].as_str()
    );
    let got = receiver.wait_for(|r| !r.is_empty(), WAIT);
    let n = got[0].notification().expect("a verified notification");
    assert_eq!(n.body["transaction"]["status"], "FAILED");
    let s = c.check_status(&inv, &with_id(&new_id())).unwrap();
    assert_eq!(s.body["transaction"]["status"], "FAILED");

    // The suffix on a store payment code is a mistake, named as such.
    let e = c
        .alfa_payment_code(
            &alfa_body(&format!("{}-SBX-REJECT", invoice("rej2"))),
            &with_id(&new_id()),
        )
        .unwrap_err();
    assert_eq!((e.kind(), e.http_status()), (ErrorKind::Api, Some(400)));
    assert_eq!(e.field(), Some("order.invoice_number"));
    assert!(e.message().contains("Indodana orders only"), "{e}");
}

#[test]
fn dropped_notification_answers_make_the_merchant_see_retries_with_one_request_id() {
    let receiver = NotificationReceiver::start(CID, SK, NOTIFY_PATH).unwrap();
    let lines = Lines::default();
    // 30 min, 6 h and 12 h of DOKU's retry schedule pass in under half a second; the codes
    // (99999 minutes) stay payable for a minute.
    let sb = start_with(
        SandboxConfig::default().time_scale(100_000.0),
        Some(receiver.url()),
        &lines,
    );
    let c = client_with(&sb, 0, &Seen::default());
    for (n, trigger) in [(2usize, "suffix"), (1, "amount"), (3, "suffix")] {
        let mut inv = invoice(&format!("drop{n}"));
        let mut body = alfa_body(&inv);
        body["online_to_offline_info"]["expired_time"] = json!(99999);
        if trigger == "suffix" {
            inv = format!("{inv}-SBX-DROP{n}");
            body["order"]["invoice_number"] = json!(inv);
        } else {
            body["order"]["amount"] = json!(9_900_200 + n as u64);
        }
        c.alfa_payment_code(&body, &with_id(&new_id())).unwrap();
        let paid = post_json(&sb, "/_sandbox/pay", &json!({"invoice_number": inv}));
        assert_eq!(paid.status, 200, "{}", paid.body);
        let ours = |r: &doku_sandbox::receiver::Received| {
            r.notification()
                .is_some_and(|x| x.body["order"]["invoice_number"] == inv.as_str())
        };
        let got = receiver.wait_for(|r| r.iter().filter(|x| ours(x)).count() > n, WAIT);
        let got: Vec<_> = got.iter().filter(|x| ours(x)).collect();
        assert_eq!(got.len(), n + 1, "every attempt reached the merchant");
        let ids: Vec<_> = got
            .iter()
            .map(|r| r.notification().unwrap().request_id.clone())
            .collect();
        assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
        let attempts = sb.wait_for_notifications(
            |a| a.iter().any(|x| x.invoice_number == inv && x.delivered),
            WAIT,
        );
        let mine: Vec<_> = attempts
            .iter()
            .filter(|a| a.invoice_number == inv)
            .collect();
        assert_eq!(mine.len(), n + 1);
        for a in &mine[..n] {
            assert!(
                !a.delivered && a.will_retry && a.status == Some(200),
                "{a:?}"
            );
            assert!(
                a.error.as_deref().unwrap().contains("drop-notifications"),
                "{a:?}"
            );
        }
        assert!(mine[n].delivered);
    }
}

#[test]
fn the_admin_call_arms_a_scenario_for_the_next_create_call_and_names_bad_fields() {
    let lines = Lines::default();
    let sb = start(None, &lines);
    let armed = post_json(
        &sb,
        "/_sandbox/scenario",
        &json!({"client_id": CID, "scenario": "http-500-once"}),
    );
    assert_eq!(armed.status, 200, "{}", armed.body);
    assert_eq!(armed.json()["armed"], json!(["http-500-once"]));
    let c = client_with(&sb, 0, &Seen::default());
    let inv = invoice("armed");
    let rid = new_id();
    let e = c
        .alfa_payment_code(&alfa_body(&inv), &with_id(&rid))
        .unwrap_err();
    assert_eq!(e.http_status(), Some(500), "{e}");
    let r = c
        .alfa_payment_code(&alfa_body(&inv), &with_id(&rid))
        .unwrap();
    assert_eq!(
        r.status, 200,
        "the scenario stays with its invoice: one 500"
    );
    let r = c
        .alfa_payment_code(&alfa_body(&invoice("after")), &with_id(&new_id()))
        .unwrap();
    assert_eq!(r.status, 200, "consumed by the first call");
    let listed = get(&sb, "/_sandbox/scenario").json();
    assert_eq!(listed["armed"][CID], json!([]));
    assert_eq!(
        listed["scenarios"].as_array().unwrap().len(),
        scenario::TABLE.len()
    );

    for (body, field) in [
        (json!({"client_id": CID, "scenario": "explode"}), "scenario"),
        (json!({"client_id": CID}), "scenario"),
        (
            json!({"client_id": "MCH-NOPE", "scenario": "stall"}),
            "client_id",
        ),
        (json!({"client_id": 7, "scenario": "stall"}), "client_id"),
        (
            json!({"client_id": CID, "scenario": "stall", "extra": 1}),
            "extra",
        ),
        (json!(["stall"]), "body"),
    ] {
        let r = post_json(&sb, "/_sandbox/scenario", &body);
        assert_eq!(r.status, 400, "{body}: {}", r.body);
        assert_eq!(r.json()["error"]["field"], field, "{body}: {}", r.body);
    }
    let r = http(
        sb.base_url(),
        "POST",
        "/_sandbox/scenario",
        Some(("application/json", b"{")),
        &[],
    );
    assert_eq!(
        (r.status, r.json()["error"]["field"].clone()),
        (400, json!("body"))
    );
    // client_id may be left out when the sandbox has one merchant.
    let r = post_json(
        &sb,
        "/_sandbox/scenario",
        &json!({"scenario": "payment-failed"}),
    );
    assert_eq!(r.json()["client_id"], CID);
    assert_eq!(
        Scenario::from_name("PAYMENT-FAILED"),
        Some(Scenario::PaymentFailed)
    );
}

#[test]
fn an_unknown_suffix_or_two_different_triggers_are_named_errors() {
    let lines = Lines::default();
    let sb = start(None, &lines);
    let c = client_with(&sb, 0, &Seen::default());
    let e = c
        .alfa_payment_code(
            &alfa_body(&format!("{}-SBX-TYPO", invoice("typo"))),
            &with_id(&new_id()),
        )
        .unwrap_err();
    assert_eq!(
        (e.http_status(), e.field()),
        (Some(400), Some("order.invoice_number"))
    );
    let mut body = alfa_body(&format!("{}-SBX-500", invoice("two")));
    body["order"]["amount"] = json!(9_900_402);
    let e = c.alfa_payment_code(&body, &with_id(&new_id())).unwrap_err();
    assert_eq!(
        (e.http_status(), e.field()),
        (Some(400), Some("order.amount"))
    );
}

/// The README's table and `doku sandbox --help` come from [`scenario::TABLE`].
#[test]
fn the_readme_and_the_help_show_the_one_scenario_table() {
    let readme = include_str!("../../README.md");
    assert!(
        readme.contains(&scenario::markdown_table()),
        "README.md must contain this table verbatim:\n{}",
        scenario::markdown_table()
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_doku"))
        .args(["sandbox", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for i in scenario::TABLE {
        assert!(
            help.contains(i.suffix)
                && help.contains(&i.amount.to_string())
                && help.contains(i.name),
            "{help}"
        );
    }
}
