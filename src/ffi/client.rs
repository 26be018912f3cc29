//! The client handle and the JSON-in / JSON-out request functions.

use std::ffi::c_char;

use super::{
    arg_bytes, arg_out, arg_str, doku_status, guard, null_argument, opt_str, write_string,
    FfiResult,
};
use crate::channel::{self, Method, OperationTable};
use crate::client::{Client, RequestOptions, Response};
use crate::config::Config;

#[allow(non_camel_case_types)]
/// An opaque, thread-safe DOKU client: one connection pool, one configuration. Create it
/// with `doku_client_new`, share it between threads freely, free it once with
/// `doku_client_free` after every call using it has returned.
pub struct doku_client {
    client: Client,
}

/// Creates a client from a JSON configuration:
/// `{"client_id", "secret_key", "environment": "sandbox"|"production" or "base_url",
/// "connect_timeout_ms", "timeout_ms", "retries", "retry_backoff_ms", "proxy",
/// "response_signature": "require"|"if_present"|"off", "paths": {"operation": "/path"}}`.
/// No network I/O happens here.
///
/// On success `*out_client` receives the handle (free it with `doku_client_free`). On
/// failure nothing is written; the last error (`DOKU_ERR_CONFIG`) names the key.
///
/// # Safety
/// `config_json` is NULL or a valid NUL-terminated string; `out_client` is NULL or a
/// writable `doku_client **`.
#[no_mangle]
pub unsafe extern "C" fn doku_client_new(
    config_json: *const c_char,
    out_client: *mut *mut doku_client,
) -> doku_status {
    guard(|| {
        arg_out(out_client, "out_client")?;
        // SAFETY: caller's contract.
        let json = unsafe { arg_str(config_json, "config_json")? };
        let client = Client::new(Config::from_json(json)?)?;
        let handle = Box::into_raw(Box::new(doku_client { client }));
        // SAFETY: checked non-NULL; caller guarantees writability.
        unsafe { *out_client = handle };
        Ok(())
    })
}

/// Frees a client. NULL is ignored. Call once, after every call using it has returned.
///
/// # Safety
/// `client` is NULL or a handle from `doku_client_new` not yet freed.
#[no_mangle]
pub unsafe extern "C" fn doku_client_free(client: *mut doku_client) {
    if client.is_null() {
        return;
    }
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // SAFETY: the handle came from Box::into_raw in doku_client_new and is freed once.
        drop(unsafe { Box::from_raw(client) });
    }));
}

/// Shared body of every request function: checks the handle and the out-param, parses
/// the options, runs `f`, writes the response JSON.
///
/// # Safety
/// `client` is NULL or a live handle; `options_json` NULL or a valid string; `out` NULL or
/// writable.
unsafe fn request_call(
    client: *const doku_client,
    options_json: *const c_char,
    out: *mut *mut c_char,
    f: impl FnOnce(&Client, &RequestOptions) -> FfiResult<Response>,
) -> doku_status {
    guard(|| {
        arg_out(out, "out_response_json")?;
        if client.is_null() {
            return Err(null_argument("client"));
        }
        // SAFETY: non-NULL live handle per the caller's contract; Client is Sync.
        let client = unsafe { &(*client).client };
        // SAFETY: caller's contract.
        let opts = match unsafe { opt_str(options_json, "options_json")? } {
            Some(json) => RequestOptions::from_json(json)?,
            None => RequestOptions::default(),
        };
        let response = f(client, &opts)?;
        // SAFETY: checked non-NULL above.
        unsafe { write_string(out, response.to_json().to_string().into_bytes()) }
    })
}

/// Calls operation `operation` (`alfa_payment_code`, `indomaret_payment_code`,
/// `indodana_generate_order`, `check_status`) with `request_json`, the request body (sent
/// exactly as given after local validation; for `check_status`, `{"id": "..."}`).
/// `options_json` is optional (NULL): `{"request_id": "...", "timestamp": "..."}`.
///
/// On success (HTTP 2xx, or 409: the original response replayed) `*out_response_json`
/// receives `{"status", "request_id", "response_timestamp", "replay",
/// "signature_verified", "body"}`; free it with `doku_string_free`. On failure nothing is
/// written; the last error carries `kind`, `field` (validation), `http_status`,
/// `request_id` and `body` (DOKU errors). `DOKU_ERR_TIMEOUT` means the outcome is unknown:
/// check status, or retry with the same `request_id`. Blocks for the network round trip;
/// safe to call from many threads on one client.
///
/// # Safety
/// `client` is NULL or a live handle; strings are NULL or valid NUL-terminated;
/// `out_response_json` is NULL or a writable `char **`.
#[no_mangle]
pub unsafe extern "C" fn doku_client_call(
    client: *const doku_client,
    operation: *const c_char,
    request_json: *const c_char,
    options_json: *const c_char,
    out_response_json: *mut *mut c_char,
) -> doku_status {
    // SAFETY: forwarded contract.
    unsafe {
        request_call(client, options_json, out_response_json, |c, o| {
            let op = arg_text(operation, "operation")?;
            // The body is bytes for the core to judge, as in Rust and Python.
            Ok(c.call(op, arg_body_text(request_json, "request_json")?, o)?)
        })
    }
}

/// Alfa Group payment code: `doku_client_call` with `alfa_payment_code`.
///
/// # Safety
/// As `doku_client_call`.
#[no_mangle]
pub unsafe extern "C" fn doku_alfa_payment_code(
    client: *const doku_client,
    request_json: *const c_char,
    options_json: *const c_char,
    out_response_json: *mut *mut c_char,
) -> doku_status {
    // SAFETY: forwarded contract.
    unsafe {
        named_call(
            client,
            channel::ALFA_PAYMENT_CODE,
            request_json,
            options_json,
            out_response_json,
        )
    }
}

/// Indomaret payment code: `doku_client_call` with `indomaret_payment_code`.
///
/// # Safety
/// As `doku_client_call`.
#[no_mangle]
pub unsafe extern "C" fn doku_indomaret_payment_code(
    client: *const doku_client,
    request_json: *const c_char,
    options_json: *const c_char,
    out_response_json: *mut *mut c_char,
) -> doku_status {
    // SAFETY: forwarded contract.
    unsafe {
        named_call(
            client,
            channel::INDOMARET_PAYMENT_CODE,
            request_json,
            options_json,
            out_response_json,
        )
    }
}

/// Indodana generate order: `doku_client_call` with `indodana_generate_order`.
///
/// # Safety
/// As `doku_client_call`.
#[no_mangle]
pub unsafe extern "C" fn doku_indodana_generate_order(
    client: *const doku_client,
    request_json: *const c_char,
    options_json: *const c_char,
    out_response_json: *mut *mut c_char,
) -> doku_status {
    // SAFETY: forwarded contract.
    unsafe {
        named_call(
            client,
            channel::INDODANA_GENERATE_ORDER,
            request_json,
            options_json,
            out_response_json,
        )
    }
}

/// # Safety
/// As `doku_client_call`.
unsafe fn named_call(
    client: *const doku_client,
    operation: &str,
    request_json: *const c_char,
    options_json: *const c_char,
    out: *mut *mut c_char,
) -> doku_status {
    // SAFETY: forwarded contract.
    unsafe {
        request_call(client, options_json, out, |c, o| {
            Ok(c.call(operation, arg_body_text(request_json, "request_json")?, o)?)
        })
    }
}

/// Check status (GET `/orders/v1/status/{id}`, signed without Digest) for an invoice
/// number or the original Request-Id. Output and errors as `doku_client_call`.
///
/// # Safety
/// As `doku_client_call`.
#[no_mangle]
pub unsafe extern "C" fn doku_check_status(
    client: *const doku_client,
    id: *const c_char,
    options_json: *const c_char,
    out_response_json: *mut *mut c_char,
) -> doku_status {
    // SAFETY: forwarded contract.
    unsafe {
        request_call(client, options_json, out_response_json, |c, o| {
            Ok(c.check_status(arg_text(id, "id")?, o)?)
        })
    }
}

/// A signed request to any Non-SNAP path: `method` is `"GET"` or `"POST"`, `path` the
/// endpoint path (`/bca-virtual-account/v2/payment-code`), `body_json` the JSON body for
/// POST (sent exactly as given, not validated against field rules) or NULL for GET.
/// Output and errors as `doku_client_call`.
///
/// # Safety
/// As `doku_client_call`; `body_json` may be NULL.
#[no_mangle]
pub unsafe extern "C" fn doku_request(
    client: *const doku_client,
    method: *const c_char,
    path: *const c_char,
    body_json: *const c_char,
    options_json: *const c_char,
    out_response_json: *mut *mut c_char,
) -> doku_status {
    // SAFETY: forwarded contract.
    unsafe {
        request_call(client, options_json, out_response_json, |c, o| {
            let method = Method::parse(arg_text(method, "method")?)?;
            let path = arg_text(path, "path")?;
            let body = opt_text(body_json, "body_json")?;
            Ok(c.request(method, path, body.map(str::as_bytes), o)?)
        })
    }
}

/// Validates `request_json` against the field rules of `operation` without sending
/// anything: `DOKU_OK`, or `DOKU_ERR_VALIDATION` with the JSON path in the last error's
/// `field` (`DOKU_ERR_INVALID_INPUT` for invalid JSON, with line and column).
///
/// # Safety
/// Both arguments are NULL or valid NUL-terminated strings.
#[no_mangle]
pub unsafe extern "C" fn doku_validate(
    operation: *const c_char,
    request_json: *const c_char,
) -> doku_status {
    guard(|| {
        // SAFETY: caller's contract.
        let (op, json) = unsafe {
            (
                arg_str(operation, "operation")?,
                // Bytes: the core's check_request judges UTF-8 and JSON, naming `request`
                // as it does for Rust, Python and PHP callers.
                arg_bytes(request_json, "request_json")?,
            )
        };
        OperationTable::default().check_request(op, json)?;
        Ok(())
    })
}

/// How far DOKU's clock is ahead of this machine's, in seconds (negative: behind), as
/// measured from the time headers of the client's last answer. Writes `*out_measured`
/// (0 until an answer carried a time, and then `*out_skew_secs` is left as it was; 1 once
/// measured) and, when measured, `*out_skew_secs`. (An `int`, not `bool`: the header needs
/// no `stdbool.h`, and Delphi, VB6 and .NET declare it as a plain 32-bit integer.) Set `"correct_clock_skew": true` in the configuration
/// to sign with the corrected time.
///
/// # Safety
/// `client` is NULL or a live handle; the out pointers are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn doku_client_clock_skew(
    client: *const doku_client,
    out_skew_secs: *mut i64,
    out_measured: *mut std::ffi::c_int,
) -> doku_status {
    guard(|| {
        arg_out(out_skew_secs, "out_skew_secs")?;
        arg_out(out_measured, "out_measured")?;
        if client.is_null() {
            return Err(null_argument("client"));
        }
        // SAFETY: non-NULL live handle per the caller's contract; Client is Sync.
        let skew = unsafe { &(*client).client }.clock_skew();
        // SAFETY: both checked non-NULL above; writable per the contract.
        unsafe {
            *out_measured = std::ffi::c_int::from(skew.is_some());
            if let Some(secs) = skew {
                *out_skew_secs = secs;
            }
        }
        Ok(())
    })
}

/// `arg_str` for pointers read inside a request closure.
fn arg_text(p: *const c_char, name: &str) -> FfiResult<&'static str> {
    // SAFETY: every caller forwards a pointer covered by its exported function's contract;
    // the 'static lifetime never escapes the call.
    unsafe { arg_str(p, name) }
}

/// A NUL-terminated request body as bytes (the core parses and judges it).
fn arg_body_text(p: *const c_char, name: &str) -> FfiResult<&'static [u8]> {
    // SAFETY: as arg_text.
    unsafe { arg_bytes(p, name) }
}

fn opt_text(p: *const c_char, name: &str) -> FfiResult<Option<&'static str>> {
    // SAFETY: as arg_text.
    unsafe { opt_str(p, name) }
}
