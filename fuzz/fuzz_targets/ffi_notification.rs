//! Notification and Direct Inquiry verification and parsing, and the signed inquiry reply,
//! through the C ABI: `doku_notification_verify`, `doku_inquiry_verify`,
//! `doku_inquiry_reply`.
//!
//! Input: a flags byte, then `headers_json \0 path \0 client_id \0 secret_key \0
//! options_json \0 request_id \0 timestamp \0 answer_json \0 body` (the body is the rest).
//! Flags: bit 0 an inquiry (else a notification); bit 1 signed: the headers are built from
//! client_id, request_id, timestamp and a signature made with `doku_sign` (so parsing is
//! reached), with lower-case names when bit 3 is set and as an array of pairs when bit 4 is;
//! bit 2 no options; bit 5 also reply to `headers_json` read as an inquiry.
//!
//! Properties: no panic and never `DOKU_ERR_PANIC`; nothing written on failure; an
//! unsigned (fuzzed) request verifies only when its Signature header is exactly what
//! `doku_sign` makes for its headers, path, body and key; a signed one is never a mismatch
//! (without a tolerance) and, once verified, carries its headers and the body as JSON; a
//! reply verifies as a response signature and echoes the payment code, invoice number and
//! amount; no error changes with the secret key (so none shows any of it).
#![no_main]

use std::ffi::{c_char, CString};
use std::ptr;

use doku::ffi::{
    doku_inquiry_reply, doku_inquiry_verify, doku_notification_verify, doku_sign,
    doku_verify_response, DOKU_ERR_DECODE, DOKU_ERR_INVALID_INPUT, DOKU_ERR_INVALID_UTF8,
    DOKU_ERR_SIGNATURE_MISMATCH, DOKU_OK,
};
use doku::notification::headers_from_json;
use doku_fuzz::{assert_secret_not_shown, checked, other_secret, ptr_or_null, Fields, LastError};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};

fn cstring(s: &str) -> CString {
    CString::new(s).expect("no NUL in a field")
}

/// `doku_sign` over a request component with the given body; `None` when it refuses.
fn sign(
    client_id: &str,
    request_id: &str,
    ts: &str,
    path: &str,
    body: &[u8],
    secret: &str,
) -> Option<String> {
    let (c, r, t, p, s) = (
        cstring(client_id),
        cstring(request_id),
        cstring(ts),
        cstring(path),
        cstring(secret),
    );
    let mut out = ptr::null_mut();
    // SAFETY: NUL-terminated strings, `body.len()` readable bytes, a valid out-param.
    let status = unsafe {
        doku_sign(
            c.as_ptr(),
            r.as_ptr(),
            t.as_ptr(),
            p.as_ptr(),
            body.as_ptr().cast(),
            body.len(),
            s.as_ptr(),
            &mut out,
        )
    };
    // SAFETY: `out` was NULL before the call.
    unsafe { checked("doku_sign", status, Some(out)) }.1
}

/// Checks a successful `doku_inquiry_reply` output against its inquiry and answer.
fn check_reply(reply: &str, inquiry: &Value, answer: &Value, path: &str, secret: &str) {
    let reply: Value = serde_json::from_str(reply).expect("the reply is JSON");
    let h = &reply["headers"];
    let text = |v: &Value| v.as_str().expect("a string").to_string();
    let body = text(&reply["body"]);
    assert_eq!(h["Client-Id"], inquiry["client_id"]);
    assert_eq!(h["Request-Id"], inquiry["request_id"]);
    assert_eq!(h["Content-Type"], "application/json");
    let sent: Value = serde_json::from_str(&body).expect("the reply body is JSON");
    assert_eq!(
        sent["online_to_offline_info"]["payment_code"],
        inquiry["payment_code"]
    );
    assert_eq!(sent["order"]["invoice_number"], answer["invoice_number"]);
    assert_eq!(
        sent["order"]["amount"].as_u64(),
        answer["amount"].as_u64(),
        "the reply's amount is not the answer's"
    );
    assert_eq!(
        sent["online_to_offline_inquiry"]["status"],
        answer["status"]
    );
    let args = [
        text(&h["Client-Id"]),
        text(&h["Request-Id"]),
        text(&h["Response-Timestamp"]),
        path.to_string(),
        secret.to_string(),
        text(&h["Signature"]),
    ]
    .map(|s| cstring(&s));
    // SAFETY: NUL-terminated strings and `body.len()` readable bytes.
    let status = unsafe {
        doku_verify_response(
            args[0].as_ptr(),
            args[1].as_ptr(),
            args[2].as_ptr(),
            args[3].as_ptr(),
            body.as_ptr().cast(),
            body.len(),
            args[4].as_ptr(),
            args[5].as_ptr(),
        )
    };
    assert_eq!(
        status, DOKU_OK,
        "the inquiry reply's signature does not verify"
    );
}

/// `doku_inquiry_reply` under `secret`.
fn reply_with(
    inquiry_json: &CString,
    answer: &CString,
    path: &CString,
    secret: &CString,
) -> (u32, Option<String>, LastError) {
    let mut out: *mut c_char = ptr::null_mut();
    // SAFETY: NUL-terminated strings and a valid out-param.
    let status = unsafe {
        doku_inquiry_reply(
            inquiry_json.as_ptr(),
            answer.as_ptr(),
            path.as_ptr(),
            secret.as_ptr(),
            &mut out,
        )
    };
    // SAFETY: `out` was NULL before the call.
    unsafe { checked("doku_inquiry_reply", status, Some(out)) }
}

/// `doku_inquiry_reply`; checks the reply when it succeeds, and that a failure reads the
/// same under another secret.
fn reply(inquiry_json: &CString, answer: &CString, path: &CString, secret: &CString) {
    let (status, output, err) = reply_with(inquiry_json, answer, path, secret);
    if let (None, Some(other)) = (&output, other_secret(secret.as_bytes())) {
        let (s2, _, e2) = reply_with(inquiry_json, answer, path, &other);
        assert_secret_not_shown((status, &err), (s2, &e2));
    }
    if let Some(r) = output {
        let inquiry: Value =
            serde_json::from_slice(inquiry_json.as_bytes()).expect("a replied inquiry is JSON");
        let answer: Value =
            serde_json::from_slice(answer.as_bytes()).expect("a used answer is JSON");
        let (path, secret) = (
            path.to_str().expect("UTF-8"),
            secret.to_str().expect("UTF-8"),
        );
        check_reply(&r, &inquiry, &answer, path, secret);
    }
}

fuzz_target!(|data: &[u8]| {
    let mut f = Fields::new(data);
    let flags = f.byte();
    let inquiry = flags & 1 != 0;
    let signed = flags & 2 != 0;
    let no_options = flags & 4 != 0;
    let lower = flags & 8 != 0;
    let pairs = flags & 16 != 0;
    let reply_direct = flags & 32 != 0;
    let headers_field = f.cstr();
    let (path, client_id, secret, options) = (f.cstr(), f.cstr(), f.cstr(), f.cstr());
    let (request_id, timestamp, answer) = (f.text(), f.text(), f.cstr());
    let body = f.rest();

    // The headers: fuzzed, or built around a signature doku_sign made.
    let mut made = None;
    let headers_json = if signed {
        let lossy = |c: &CString| String::from_utf8_lossy(c.as_bytes()).into_owned();
        let (cid, p, s) = (lossy(&client_id), lossy(&path), lossy(&secret));
        let signature = sign(&cid, &request_id, &timestamp, &p, body, &s);
        made = signature.clone();
        let names = ["Client-Id", "Request-Id", "Request-Timestamp", "Signature"].map(|n| {
            if lower {
                n.to_ascii_lowercase()
            } else {
                n.to_string()
            }
        });
        let values = [
            cid,
            request_id.clone(),
            timestamp.clone(),
            signature.unwrap_or_else(|| lossy(&headers_field)),
        ];
        let v = if pairs {
            Value::Array(
                names
                    .iter()
                    .zip(&values)
                    .map(|(n, v)| json!([n, v]))
                    .collect(),
            )
        } else {
            Value::Object(
                names
                    .into_iter()
                    .zip(values.into_iter().map(Value::String))
                    .collect(),
            )
        };
        cstring(&v.to_string())
    } else {
        headers_field.clone()
    };
    let verify = if inquiry {
        doku_inquiry_verify
    } else {
        doku_notification_verify
    };
    let verify_with = |secret: &CString| {
        let mut out: *mut c_char = ptr::null_mut();
        // SAFETY: NUL-terminated strings or NULL (options), `body.len()` readable bytes, a
        // valid out-param.
        let status = unsafe {
            verify(
                headers_json.as_ptr(),
                body.as_ptr().cast(),
                body.len(),
                path.as_ptr(),
                client_id.as_ptr(),
                secret.as_ptr(),
                ptr_or_null((!no_options).then_some(&options)),
                &mut out,
            )
        };
        // SAFETY: `out` was NULL before the call.
        unsafe { checked("verify", status, Some(out)) }
    };
    let (status, output, err) = verify_with(&secret);
    if let (true, Some(other)) = (status != DOKU_OK, other_secret(secret.as_bytes())) {
        let (s2, _, e2) = verify_with(&other);
        assert_secret_not_shown((status, &err), (s2, &e2));
    }

    if status == DOKU_OK {
        // Whatever verified carried the signature doku_sign makes for it.
        let headers = headers_from_json(headers_json.to_str().expect("verified, so UTF-8"))
            .expect("verified, so the headers are readable");
        let get = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.trim().to_string())
                .expect("verified, so the header is there")
        };
        let (cid, rid, ts, sig) = (
            get("Client-Id"),
            get("Request-Id"),
            get("Request-Timestamp"),
            get("Signature"),
        );
        let text = |c: &CString| c.to_str().expect("verified, so UTF-8").to_string();
        assert_eq!(
            cid,
            text(&client_id),
            "a Client-Id other than ours verified"
        );
        let expected = sign(&cid, &rid, &ts, &text(&path), body, &text(&secret));
        assert_eq!(
            expected.as_deref(),
            Some(sig.as_str()),
            "a request verified without the signature that matches it"
        );

        let out: Value = serde_json::from_str(output.as_deref().expect("written on success"))
            .expect("the output is JSON");
        assert_eq!(out["request_id"], rid.as_str());
        assert_eq!(out["client_id"], cid.as_str());
        assert_eq!(out["request_timestamp"], ts.as_str());
        let sent: Value = serde_json::from_slice(body).expect("a verified body is JSON");
        assert_eq!(out["body"], sent, "the parsed body is not the body sent");
        if inquiry {
            assert_eq!(
                out["payment_code"],
                sent["online_to_offline_info"]["payment_code"]
            );
            let inquiry_json = cstring(output.as_deref().expect("written"));
            reply(&inquiry_json, &answer, &path, &secret);
        } else {
            assert_eq!(out["status"], sent["transaction"]["status"]);
            assert_eq!(out["invoice_number"], sent["order"]["invoice_number"]);
        }
    } else if signed && made.is_some() {
        // Correctly signed: only the body, the options or the timestamp window can fail it.
        let trimmed = [
            client_id.as_bytes(),
            request_id.as_bytes(),
            timestamp.as_bytes(),
        ]
        .iter()
        .all(|v| std::str::from_utf8(v).is_ok_and(|s| s.trim() == s));
        if no_options && trimmed {
            assert!(
                matches!(
                    status,
                    DOKU_ERR_INVALID_INPUT | DOKU_ERR_DECODE | DOKU_ERR_INVALID_UTF8
                ),
                "a correctly signed request failed with {status}: {}",
                err.message
            );
            assert_ne!(status, DOKU_ERR_SIGNATURE_MISMATCH);
        }
    }

    if reply_direct {
        reply(&headers_field, &answer, &path, &secret);
    }
});
