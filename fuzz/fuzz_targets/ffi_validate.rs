//! `doku_validate` with every operation's rules, and the strict JSON parser under it.
//!
//! Input: a selector byte, then the request body (the rest; a C caller's string ends at its
//! first NUL). Selector 0xff: the first field is an operation name, fuzzed too.
//!
//! Properties: no panic and never `DOKU_ERR_PANIC`; the body is judged under all four
//! operations and the verdict of each equals the core's (strict parse, then the operation's
//! schema, or `{"id": "..."}` for check status); a validation error names a field; the
//! strict parser agrees with serde_json and with an independent repeated-key oracle; a body
//! that passes still passes once re-serialised; an unknown operation is refused naming
//! `operation`.
#![no_main]

use doku::channel::{OperationTable, DEFAULT_OPERATIONS};
use doku::ffi::{doku_validate, DOKU_ERR_INVALID_INPUT, DOKU_ERR_VALIDATION, DOKU_OK};
use doku::validate::parse_json;
use doku::MAX_BODY_BYTES;
use doku_fuzz::{c_prefix, checked, has_repeated_key, Fields};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fn validate(op: &std::ffi::CStr, body: &std::ffi::CStr) -> (u32, doku_fuzz::LastError) {
    // SAFETY: two NUL-terminated strings.
    let status = unsafe { doku_validate(op.as_ptr(), body.as_ptr()) };
    // SAFETY: no out-param.
    let (status, _, err) = unsafe { checked("doku_validate", status, None) };
    (status, err)
}

fuzz_target!(|data: &[u8]| {
    let mut f = Fields::new(data);
    let selector = f.byte();
    let fuzzed_op = (selector == 0xff).then(|| f.cstr());
    let body = c_prefix(f.rest());
    let bytes = body.as_bytes();

    // The strict parser against serde_json and the independent oracle.
    let strict = parse_json(bytes, "request");
    let lenient: Option<Value> = serde_json::from_slice(bytes).ok();
    let repeated = has_repeated_key(bytes);
    assert_eq!(
        lenient.is_some(),
        repeated.is_some(),
        "two JSON parsers disagree"
    );
    match &strict {
        Ok(v) => {
            assert_eq!(repeated, Some(false), "a repeated key was accepted");
            assert_eq!(
                lenient.as_ref(),
                Some(v),
                "the strict parser built another value"
            );
        }
        Err(e) if bytes.len() <= MAX_BODY_BYTES => {
            assert_eq!(e.field(), Some("request"));
            assert_ne!(repeated, Some(false), "valid JSON refused: {}", e.message());
        }
        Err(_) => {}
    }

    let table = OperationTable::default();
    for (name, _, _, schema) in DEFAULT_OPERATIONS {
        let op = std::ffi::CString::new(name).expect("no NUL");
        let (status, err) = validate(&op, &body);
        // The core's verdict, step by step.
        let expected = match &strict {
            Err(_) => DOKU_ERR_INVALID_INPUT,
            Ok(v) => match schema {
                Some(s) => match s.validate(v) {
                    Ok(()) => DOKU_OK,
                    Err(_) => DOKU_ERR_VALIDATION,
                },
                None if v.get("id").and_then(Value::as_str).is_some() => DOKU_OK,
                None => DOKU_ERR_INVALID_INPUT,
            },
        };
        assert_eq!(status, expected, "{name}: {}", err.message);
        if status == DOKU_ERR_VALIDATION {
            assert!(
                err.field().is_some_and(|f| !f.is_empty()),
                "{name}: a validation error without a field"
            );
        }
        if status == DOKU_OK {
            let v = strict.as_ref().expect("validated, so parsed");
            let again = serde_json::to_vec(v).expect("a value serialises");
            let reop = table.get(name).expect("a default operation");
            let (_, reparsed) = table
                .check_request(name, &again)
                .unwrap_or_else(|e| panic!("{name}: re-serialised body refused: {e}"));
            assert_eq!(&reparsed, v);
            assert!(table.check_value(reop, &reparsed).is_ok());
        }
    }

    if let Some(op) = fuzzed_op {
        let (status, err) = validate(&op, &body);
        let known = DEFAULT_OPERATIONS
            .iter()
            .any(|o| o.0.as_bytes() == op.as_bytes());
        if !known && std::str::from_utf8(op.as_bytes()).is_ok() {
            assert_eq!(status, DOKU_ERR_INVALID_INPUT);
            assert_eq!(err.field(), Some("operation"));
        }
    }
});
