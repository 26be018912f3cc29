//! The sandbox's request handling (`server::handle`: routing, authentication, field rules,
//! state, the `/_sandbox/` API and the how-to-pay pages) on arbitrary requests, without
//! sockets, through `doku_sandbox::fuzzing`.
//!
//! Input: up to 16 requests separated by 0x1e bytes, each run against one fresh sandbox (so
//! a create can be followed by a pay and a check status). A request is a flags byte, then
//! `method \0 target \0 headers \0 request_id \0 timestamp \0 body`; headers are lines
//! `name:value`. Flags: bit 0 signed: Client-Id, Request-Id, Request-Timestamp (the sandbox
//! clock, or the timestamp field when bit 2 is set) and the right Signature are added; bit 1
//! the second merchant; bits 3-4 the body (3: unreadable, 2: over the limit); bits 5-7
//! advance the clock first (1 s to 400 days).
//!
//! Properties: no panic (the server's catch-all 500 is a finding); a valid status and
//! Content-Type; a JSON answer is JSON; a response Signature verifies as the merchant's
//! response signature; a create or check status is answered 2xx/409 only for a request that
//! carries exactly the signature its merchant's key makes, within the timestamp window.
#![no_main]

use std::time::Duration;

use doku::clock::{format_timestamp, parse_timestamp};
use doku::signature::Component;
use doku::Clock;
use doku_fuzz::Fields;
use doku_sandbox::fuzzing::{FuzzBody, FuzzSandbox, MERCHANTS};
use libfuzzer_sys::fuzz_target;

const START: i64 = 1_780_000_000;
const WINDOW_SECS: u64 = 300;
const STEPS: [u64; 8] = [0, 1, 60, 600, 3_600, 86_400, 30 * 86_400, 400 * 86_400];

fn header<'h>(headers: &'h [(String, String)], name: &str) -> Vec<&'h str> {
    headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let sandbox = FuzzSandbox::new(START);
    for request in data.split(|&b| b == 0x1e).take(16) {
        let mut f = Fields::new(request);
        let flags = f.byte();
        let (method, mut target, header_lines) = (f.text(), f.text(), f.text());
        let (request_id, timestamp) = (f.text(), f.text());
        let body = f.rest().to_vec();
        // What the HTTP layer hands over: an origin-form target.
        if !target.starts_with('/') {
            target.insert(0, '/');
        }
        let path = target.split(['?', '#']).next().unwrap_or("/").to_string();
        sandbox
            .clock()
            .advance(Duration::from_secs(STEPS[usize::from(flags >> 5)]));
        let mut headers: Vec<(String, String)> = header_lines
            .lines()
            .filter(|l| !l.is_empty())
            .map(|l| match l.split_once(':') {
                Some((k, v)) => (k.to_string(), v.to_string()),
                None => (l.to_string(), String::new()),
            })
            .collect();
        let get = method.eq_ignore_ascii_case("GET");
        if flags & 1 != 0 {
            let (client_id, _) = MERCHANTS[usize::from(flags >> 1 & 1)];
            let ts = if flags & 4 != 0 {
                timestamp.clone()
            } else {
                format_timestamp(sandbox.clock().now_unix())
            };
            let component = Component::request(
                client_id,
                &request_id,
                &ts,
                &path,
                (!get).then_some(&body[..]),
            );
            let signature = sandbox
                .key(client_id)
                .and_then(|k| k.sign(&component).ok())
                .unwrap_or_default();
            headers.extend([
                ("Client-Id".to_string(), client_id.to_string()),
                ("Request-Id".to_string(), request_id.clone()),
                ("Request-Timestamp".to_string(), ts),
                ("Signature".to_string(), signature),
            ]);
        }
        let fuzz_body = match flags >> 3 & 3 {
            2 => FuzzBody::TooLarge,
            3 => FuzzBody::Unreadable("the body did not arrive".into()),
            _ => FuzzBody::Bytes(body.clone()),
        };
        let readable = matches!(fuzz_body, FuzzBody::Bytes(_));
        let r = sandbox.handle(&method, &target, &headers, fuzz_body);

        assert!(!r.panicked, "the sandbox panicked on {method} {target}");
        assert!((100..=599).contains(&r.status), "status {}", r.status);
        let content_type = r
            .header("Content-Type")
            .expect("every answer has a Content-Type");
        if content_type.starts_with("application/json") {
            if let Err(e) = serde_json::from_slice::<serde_json::Value>(&r.body) {
                panic!("a JSON answer ({}) is not JSON: {e}", r.status);
            }
        }
        if let Some(signature) = r.header("Signature") {
            let client_id = r
                .header("Client-Id")
                .expect("a signed answer names its merchant");
            let component = Component::response(
                client_id,
                r.header("Request-Id")
                    .expect("a signed answer has a Request-Id"),
                r.header("Response-Timestamp")
                    .expect("a signed answer has a timestamp"),
                &path,
                Some(&r.body),
            );
            let key = sandbox
                .key(client_id)
                .expect("only merchants' answers are signed");
            key.verify(&component, signature)
                .expect("the sandbox's response signature does not verify");
        }
        if (sandbox.is_doku_endpoint(&path) && (200..300).contains(&r.status)) || r.status == 409 {
            assert!(
                sandbox.is_doku_endpoint(&path),
                "409 outside DOKU's endpoints"
            );
            assert!(readable, "answered {} without a body", r.status);
            let one = |name: &str| {
                let v = header(&headers, name);
                assert_eq!(
                    v.len(),
                    1,
                    "answered {} with {} {name} headers",
                    r.status,
                    v.len()
                );
                v[0]
            };
            let (client_id, request_id, ts, signature) = (
                one("Client-Id"),
                one("Request-Id"),
                one("Request-Timestamp"),
                one("Signature"),
            );
            let sent = parse_timestamp(ts, "ts").expect("an accepted timestamp parses");
            assert!(
                sent.abs_diff(sandbox.clock().now_unix()) <= WINDOW_SECS,
                "a timestamp outside the window was accepted"
            );
            let key = sandbox
                .key(client_id)
                .expect("an accepted Client-Id is a merchant");
            let component = Component::request(
                client_id,
                request_id,
                ts,
                &path,
                (!get).then_some(&body[..]),
            );
            assert_eq!(
                key.sign(&component).ok().as_deref(),
                Some(signature),
                "answered {} to a request without its signature",
                r.status
            );
        }
    }
});
