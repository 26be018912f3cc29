//! The signature vectors (tests/data/vectors.json): every case signs to the
//! expected component, digest and signature, and every must_not_verify entry fails.

use doku::{digest, Component, ErrorKind, SigningKey, TimestampKind};
use serde_json::Value;

fn vectors() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/vectors.json");
    let text = std::fs::read_to_string(path).expect("tests/data/vectors.json is readable");
    serde_json::from_str(&text).expect("vectors.json is JSON")
}

fn component<'a>(case: &'a Value) -> Component<'a> {
    let s = |k: &str| case[k].as_str().unwrap();
    let body = case["body"].as_str().map(str::as_bytes);
    match s("kind") {
        "request" => Component::request(
            s("client_id"),
            s("request_id"),
            s("timestamp"),
            s("request_target"),
            body,
        ),
        "response" => Component::response(
            s("client_id"),
            s("request_id"),
            s("timestamp"),
            s("request_target"),
            body,
        ),
        other => panic!("unknown kind {other}"),
    }
}

#[test]
fn every_case_matches() {
    let v = vectors();
    let key = SigningKey::new(v["secret_key"].as_str().unwrap().as_bytes()).unwrap();
    let cases = v["cases"].as_array().unwrap();
    assert!(cases.len() >= 7);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let c = component(case);
        assert_eq!(
            c.to_text(),
            case["component"].as_str().unwrap(),
            "{name}: component"
        );
        match case["body"].as_str() {
            Some(b) => assert_eq!(
                digest(b.as_bytes()),
                case["digest"].as_str().unwrap(),
                "{name}: digest"
            ),
            None => assert!(case["digest"].is_null()),
        }
        let sig = key.sign(&c).unwrap();
        assert_eq!(
            sig,
            case["signature"].as_str().unwrap(),
            "{name}: signature"
        );
        key.verify(&c, &sig).unwrap();
        if c.timestamp_kind == TimestampKind::Response {
            // The same values as a request component must not verify.
            let as_request = Component {
                timestamp_kind: TimestampKind::Request,
                ..c
            };
            assert!(
                key.verify(&as_request, &sig).is_err(),
                "{name}: kind matters"
            );
        }
    }
}

#[test]
fn must_not_verify_entries_fail() {
    let v = vectors();
    let key = SigningKey::new(v["secret_key"].as_str().unwrap().as_bytes()).unwrap();
    let base = v["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "post-alfa-compact")
        .unwrap();
    let c = component(base);
    let bad = v["must_not_verify_against_post_alfa_compact"]
        .as_array()
        .unwrap();
    assert!(bad.len() >= 5);
    for entry in bad {
        let name = entry["name"].as_str().unwrap();
        let e = key
            .verify(&c, entry["signature"].as_str().unwrap())
            .expect_err(name);
        assert_eq!(e.kind(), ErrorKind::SignatureMismatch, "{name}");
        assert!(
            !e.message().contains(entry["signature"].as_str().unwrap()),
            "{name}: no echo"
        );
    }
}
