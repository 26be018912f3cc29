//! The client's request functions through the C ABI: `doku_client_call`, the three named
//! operations, `doku_check_status` and `doku_request`, with a client whose base URL is a
//! closed loopback port (`127.0.0.1:1`, no retries): whatever passes the local checks fails
//! to connect, so nothing leaves the machine and nothing can succeed.
//!
//! Input: a selector byte (bits 0-2: the function, 6 = a NULL client, 7 = a NULL out-param;
//! bit 3: no options), then `operation-or-method \0 path-or-id \0 options_json \0 body`.
//!
//! Properties: no panic and never `DOKU_ERR_PANIC`; nothing is written on failure; no call
//! succeeds; with usable options, a body `doku_validate` refuses is refused by the call with
//! the same status and field, and a body it accepts is never a validation error; the
//! secret key appears in no message.
#![no_main]

use std::ffi::{c_char, CString};
use std::ptr;
use std::sync::OnceLock;

use doku::client::RequestOptions;
use doku::ffi::{
    doku_alfa_payment_code, doku_check_status, doku_client, doku_client_call, doku_client_new,
    doku_indodana_generate_order, doku_indomaret_payment_code, doku_request, doku_validate,
    DOKU_ERR_INVALID_INPUT, DOKU_ERR_INVALID_UTF8, DOKU_ERR_NULL_ARGUMENT, DOKU_ERR_TIMEOUT,
    DOKU_ERR_TRANSPORT, DOKU_ERR_VALIDATION, DOKU_OK,
};
use doku_fuzz::{assert_secret_absent, c_prefix, checked, ptr_or_null, Fields};
use libfuzzer_sys::fuzz_target;

const SECRET: &str = "SK-fuzz-client-0001-not-a-real-key";

struct Handle(*mut doku_client);
// SAFETY: doku_client is thread-safe (documented); the handle lives for the process.
unsafe impl Send for Handle {}
// SAFETY: as above.
unsafe impl Sync for Handle {}

fn client() -> *const doku_client {
    static CLIENT: OnceLock<Handle> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            let config = CString::new(format!(
                r#"{{"client_id": "MCH-FUZZ-CLIENT", "secret_key": "{SECRET}",
                    "base_url": "http://127.0.0.1:1", "retries": 0,
                    "connect_timeout_ms": 1000, "timeout_ms": 2000}}"#
            ))
            .expect("no NUL");
            let mut out = ptr::null_mut();
            // SAFETY: a NUL-terminated config and a valid out-param.
            let status = unsafe { doku_client_new(config.as_ptr(), &mut out) };
            assert_eq!(status, DOKU_OK, "the fuzzing client's config is refused");
            Handle(out)
        })
        .0
}

fuzz_target!(|data: &[u8]| {
    let mut f = Fields::new(data);
    let selector = f.byte();
    let function = selector & 7;
    let no_options = selector & 8 != 0;
    let (name, path, options) = (f.cstr(), f.cstr(), f.cstr());
    let body = c_prefix(f.rest());
    let options_ptr = ptr_or_null((!no_options).then_some(&options));
    let client = if function == 6 { ptr::null() } else { client() };
    let mut out: *mut c_char = ptr::null_mut();
    let out_param = if function == 7 {
        ptr::null_mut()
    } else {
        &mut out as *mut *mut c_char
    };

    // Which operation a body goes to, for the comparison with doku_validate.
    let operation: Option<CString> = match function {
        0 | 6 | 7 => Some(name.clone()),
        1 => Some(CString::new("alfa_payment_code").expect("no NUL")),
        2 => Some(CString::new("indomaret_payment_code").expect("no NUL")),
        3 => Some(CString::new("indodana_generate_order").expect("no NUL")),
        _ => None,
    };
    // SAFETY: every pointer is NULL or a NUL-terminated string, `out_param` NULL or valid.
    let status = unsafe {
        match function {
            1 => doku_alfa_payment_code(client, body.as_ptr(), options_ptr, out_param),
            2 => doku_indomaret_payment_code(client, body.as_ptr(), options_ptr, out_param),
            3 => doku_indodana_generate_order(client, body.as_ptr(), options_ptr, out_param),
            4 => doku_check_status(client, path.as_ptr(), options_ptr, out_param),
            5 => {
                // An empty body field is a GET (NULL body).
                let body_ptr = if body.as_bytes().is_empty() {
                    ptr::null()
                } else {
                    body.as_ptr()
                };
                doku_request(
                    client,
                    name.as_ptr(),
                    path.as_ptr(),
                    body_ptr,
                    options_ptr,
                    out_param,
                )
            }
            _ => doku_client_call(client, name.as_ptr(), body.as_ptr(), options_ptr, out_param),
        }
    };
    // SAFETY: `out` was NULL before the call.
    let (status, _, err) = unsafe { checked("a client call", status, Some(out)) };
    assert_ne!(
        status, DOKU_OK,
        "a call succeeded with no server to answer it"
    );
    assert!(
        matches!(
            status,
            DOKU_ERR_INVALID_INPUT
                | DOKU_ERR_NULL_ARGUMENT
                | DOKU_ERR_INVALID_UTF8
                | DOKU_ERR_VALIDATION
                | DOKU_ERR_TRANSPORT
                | DOKU_ERR_TIMEOUT
        ),
        "unexpected status {status}: {}",
        err.message
    );
    assert_secret_absent(
        &err.message,
        SECRET.as_bytes(),
        &[
            name.as_bytes(),
            path.as_bytes(),
            options.as_bytes(),
            body.as_bytes(),
        ],
    );

    // Against doku_validate, when the options are usable and the call reached the body.
    let options_ok = no_options
        || std::str::from_utf8(options.as_bytes())
            .ok()
            .is_some_and(|o| RequestOptions::from_json(o).is_ok());
    if let (Some(op), true, 0..=3) = (operation, options_ok, function) {
        // SAFETY: two NUL-terminated strings.
        let vstatus = unsafe { doku_validate(op.as_ptr(), body.as_ptr()) };
        // SAFETY: no out-param.
        let (vstatus, _, verr) = unsafe { checked("doku_validate", vstatus, None) };
        if vstatus == DOKU_OK {
            assert_ne!(
                status, DOKU_ERR_VALIDATION,
                "a validated body failed validation"
            );
        } else {
            assert_eq!(status, vstatus, "{} / {}", err.message, verr.message);
            assert_eq!(err.field(), verr.field());
        }
    }
});
