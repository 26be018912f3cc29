//! Configuration parsing: `doku_client_new` (and `doku_client_free`) through the C ABI,
//! against `Config::from_json` in the core.
//!
//! Input: the configuration JSON (a C caller's string ends at its first NUL).
//!
//! Properties: no panic and never `DOKU_ERR_PANIC`; a handle is written exactly on success
//! and freed; the C verdict is the core's (`Config::from_json`, then `Client::new`); a
//! refusal is `DOKU_ERR_CONFIG` naming a field, or the client_id/secret_key rules; what
//! is accepted is a JSON object with string `client_id` and `secret_key`, holds them, and
//! has a usable base URL and table; neither the error nor `Debug` changes when only the
//! secret key does (so neither shows any of it). No I/O happens (the constructor does none).
#![no_main]

use std::ptr;

use doku::ffi::{
    doku_client_free, doku_client_new, DOKU_ERR_CONFIG, DOKU_ERR_INVALID_INPUT, DOKU_OK,
};
use doku::{Client, Config};
use doku_fuzz::{assert_secret_not_shown, c_prefix, checked};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let json = c_prefix(data);
    let mut handle = ptr::null_mut();
    // SAFETY: a NUL-terminated string and a valid out-param.
    let status = unsafe { doku_client_new(json.as_ptr(), &mut handle) };
    // SAFETY: no string out-param; the handle is checked below.
    let (status, _, err) = unsafe { checked("doku_client_new", status, None) };
    if status == DOKU_OK {
        assert!(!handle.is_null(), "success without a handle");
        // SAFETY: a handle from doku_client_new, freed once.
        unsafe { doku_client_free(handle) };
    } else {
        assert!(handle.is_null(), "a handle written on failure");
    }

    let Ok(text) = std::str::from_utf8(json.as_bytes()) else {
        assert_ne!(status, DOKU_OK, "a non-UTF-8 config was accepted");
        return;
    };
    let core = Config::from_json(text).and_then(|c| Client::new(c.clone()).map(|_| c));
    assert_eq!(
        core.is_ok(),
        status == DOKU_OK,
        "C and Rust disagree: {}",
        err.message
    );

    // The same text with another secret key (same length, same place) must read the same.
    let parsed: Option<Value> = serde_json::from_str(text).ok();
    let secret = parsed
        .as_ref()
        .and_then(|v| v.get("secret_key"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    if let Some(secret) = secret.as_deref().filter(|s| !s.is_empty() && s.is_ascii()) {
        let quoted = format!("\"{secret}\"");
        if !secret.contains(['"', '\\']) && text.matches(&quoted).count() == 1 {
            let fill = if secret.bytes().all(|b| b == b'Z') {
                "Y"
            } else {
                "Z"
            };
            let other_text = text.replace(&quoted, &format!("\"{}\"", fill.repeat(secret.len())));
            let other = std::ffi::CString::new(other_text.as_str()).expect("no NUL");
            let mut h2 = ptr::null_mut();
            // SAFETY: a NUL-terminated string and a valid out-param.
            let s2 = unsafe { doku_client_new(other.as_ptr(), &mut h2) };
            // SAFETY: no string out-param.
            let (s2, _, e2) = unsafe { checked("doku_client_new", s2, None) };
            if !h2.is_null() {
                // SAFETY: a handle from doku_client_new, freed once.
                unsafe { doku_client_free(h2) };
            }
            assert_eq!(s2, status, "the secret key's value changed the verdict");
            assert_secret_not_shown((status, &err), (s2, &e2));
            if let (Ok(a), Ok(b)) = (&core, Config::from_json(&other_text)) {
                assert_eq!(
                    format!("{a:?}"),
                    format!("{b:?}"),
                    "Debug shows the secret key"
                );
            }
        }
    }

    match core {
        Ok(c) => {
            let v = parsed.expect("an accepted config is JSON");
            assert_eq!(v["client_id"].as_str(), Some(c.client_id.as_str()));
            assert!(secret.is_some_and(|s| !s.is_empty()));
            assert!(
                c.base_url.starts_with("http://") || c.base_url.starts_with("https://"),
                "base_url {:?}",
                c.base_url
            );
            assert!(!c.base_url.ends_with('/'), "base_url {:?}", c.base_url);
            assert!(c.retries <= 10);
            assert!(!c.connect_timeout.is_zero() && !c.timeout.is_zero());
            for name in c.operations.names() {
                let op = c.operations.get(name).expect("listed");
                assert!(op.path.starts_with('/'), "{name} path {:?}", op.path);
            }
        }
        Err(e) => {
            assert!(
                matches!(status, DOKU_ERR_CONFIG | DOKU_ERR_INVALID_INPUT),
                "refused with {status}"
            );
            // The field names the key at fault (`""` for a key that is the empty string).
            assert!(e.field().is_some(), "a config error without a field: {e}");
        }
    }
});
