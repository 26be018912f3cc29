//! The shared table of cases (tests/data/cases.json), run through the Rust API. The C,
//! Python and PHP suites run the same table: the same input gives the same outcome, error
//! kind and field on every surface.

use doku::notification::InquiryAnswer;
use doku::{
    inquiry_reply, verify_notification, Client, Component, Config, Error, Inquiry, OperationTable,
    SigningKey, SystemClock, VerifyOptions,
};
use serde_json::Value;

fn table() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/cases.json");
    let text = std::fs::read_to_string(path).expect("tests/data/cases.json is readable");
    serde_json::from_str(&text).expect("cases.json is JSON")
}

/// The body bytes of an input: `body` (text, or null for none), `body_hex`, `body_repeat`.
fn body(input: &Value) -> Option<Vec<u8>> {
    if let Some(hex) = input.get("body_hex").and_then(Value::as_str) {
        return Some(
            (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("body_hex is hex"))
                .collect(),
        );
    }
    if let Some(rep) = input.get("body_repeat") {
        let unit = rep["unit"].as_str().expect("body_repeat.unit");
        let count = rep["count"].as_u64().expect("body_repeat.count") as usize;
        return Some(unit.repeat(count).into_bytes());
    }
    input["body"].as_str().map(|s| s.as_bytes().to_vec())
}

/// Runs one case: `Ok(extra)` with the values the expectation may name, or the error.
fn run(op: &str, input: &Value) -> Result<Value, Error> {
    let s = |k: &str| input[k].as_str().unwrap_or_else(|| panic!("input.{k}"));
    match op {
        "sign" | "verify" => {
            let body = body(input);
            let component = Component::request(
                s("client_id"),
                s("request_id"),
                s("timestamp"),
                s("request_target"),
                body.as_deref(),
            );
            let key = SigningKey::new(s("secret_key").as_bytes())?;
            if op == "sign" {
                let signature = key.sign(&component)?;
                Ok(serde_json::json!({ "signature": signature }))
            } else {
                key.verify(&component, s("signature"))?;
                Ok(serde_json::json!({}))
            }
        }
        "validate" => {
            let body = body(input).expect("validate takes a body");
            OperationTable::default().check_request(s("operation"), &body)?;
            Ok(serde_json::json!({}))
        }
        "verify_notification" => {
            let headers: Vec<(String, String)> = input["headers"]
                .as_array()
                .expect("headers are [name, value] pairs")
                .iter()
                .map(|p| {
                    (
                        p[0].as_str().unwrap().to_string(),
                        p[1].as_str().unwrap().to_string(),
                    )
                })
                .collect();
            let key = SigningKey::new(s("secret_key").as_bytes())?;
            let opts = VerifyOptions {
                path: s("path"),
                client_id: s("client_id"),
                tolerance_secs: input.get("tolerance_secs").and_then(Value::as_u64),
            };
            let body = body(input).expect("a notification has a body");
            let n = verify_notification(headers, &body, &key, &opts, &SystemClock)?;
            Ok(serde_json::json!({ "invoice_number": n.invoice_number, "amount": n.amount }))
        }
        "config" => {
            let json = match input.get("config_json").and_then(Value::as_str) {
                Some(text) => text.to_string(),
                None => input["config"].to_string(),
            };
            Client::new(Config::from_json(&json)?)?;
            Ok(serde_json::json!({}))
        }
        "inquiry_reply" => {
            let inquiry = Inquiry::from_json(&input["inquiry"].to_string())?;
            let answer = InquiryAnswer::from_json(&input["answer"])?;
            let key = SigningKey::new(s("secret_key").as_bytes())?;
            inquiry_reply(&inquiry, &answer, &key, s("inquiry_path"), &SystemClock)?;
            Ok(serde_json::json!({}))
        }
        other => panic!("unknown op {other:?}"),
    }
}

/// Which rendering of `e` (message, Display, JSON, Debug) contains the case's secret key,
/// if any does. Every surface renders its errors from these.
fn shows_a_secret(input: &Value, e: &Error) -> Option<&'static str> {
    let secret = input["secret_key"]
        .as_str()
        .or_else(|| input["config"]["secret_key"].as_str())
        .filter(|s| s.len() >= 4)?;
    [
        ("message", e.message().to_string()),
        ("Display", e.to_string()),
        ("to_json", e.to_json().to_string()),
        ("Debug", format!("{e:?}")),
    ]
    .into_iter()
    .find(|(_, text)| text.contains(secret))
    .map(|(what, _)| what)
}

#[test]
fn every_case_has_the_expected_outcome() {
    let table = table();
    let cases = table["cases"].as_array().expect("cases");
    assert!(cases.len() >= 30, "the table holds {} cases", cases.len());
    let mut failures = Vec::new();
    for case in cases {
        let name = case["name"].as_str().expect("name");
        let skip = case["skip"].as_array().cloned().unwrap_or_default();
        if skip.iter().any(|s| s == "rust") {
            continue;
        }
        let expect = &case["expect"];
        let got = run(case["op"].as_str().expect("op"), &case["input"]);
        match (got, expect.get("ok").and_then(Value::as_bool) == Some(true)) {
            (Ok(extra), true) => {
                for (k, want) in expect.as_object().unwrap() {
                    if k != "ok" && &extra[k] != want {
                        failures.push(format!("{name}: {k} = {}, want {want}", extra[k]));
                    }
                }
            }
            (Ok(_), false) => failures.push(format!("{name}: ok, want {expect}")),
            (Err(e), true) => failures.push(format!(
                "{name}: {} (field {:?}), want ok",
                e.kind(),
                e.field()
            )),
            (Err(e), false) => {
                if let Some(leak) = shows_a_secret(&case["input"], &e) {
                    failures.push(format!("{name}: the error shows the secret key: {leak}"));
                }
                let want_field = expect["field"].as_str();
                if e.kind().as_str() != expect["kind"] || e.field() != want_field {
                    failures.push(format!(
                        "{name}: {} field {:?}, want {} field {:?}",
                        e.kind(),
                        e.field(),
                        expect["kind"],
                        want_field
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
