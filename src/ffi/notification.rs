//! Notification and Direct Inquiry verification, and the signed inquiry reply.

use std::ffi::c_char;

use serde_json::Value;

use super::{arg_body, arg_out, arg_str, doku_status, guard, opt_str, write_string};
use crate::clock::{SystemClock, UuidV4};
use crate::notification::{self, Inquiry, InquiryAnswer, VerifyExtras, VerifyOptions};
use crate::notification_body::{signed_test_notification, TestNotification};
use crate::signature::Keys;
use crate::signature::SigningKey;
use crate::validate;

/// Shared argument handling of the two verify functions.
///
/// # Safety
/// The pointer contracts of `doku_notification_verify`.
#[allow(clippy::too_many_arguments)]
unsafe fn verify_call(
    headers_json: *const c_char,
    body: *const c_char,
    body_len: usize,
    path: *const c_char,
    client_id: *const c_char,
    secret_key: *const c_char,
    options_json: *const c_char,
    out: *mut *mut c_char,
    (path_name, out_name): (&str, &str),
    f: impl FnOnce(&[(String, String)], &[u8], Keys<'_>, &VerifyOptions<'_>) -> crate::Result<Value>,
) -> doku_status {
    guard(|| {
        arg_out(out, out_name)?;
        // SAFETY: caller's contract.
        let (headers, body, path, client_id, secret, options) = unsafe {
            (
                arg_str(headers_json, "headers_json")?,
                arg_body(body, body_len, "body")?,
                arg_str(path, path_name)?,
                arg_str(client_id, "client_id")?,
                arg_str(secret_key, "secret_key")?,
                opt_str(options_json, "options_json")?,
            )
        };
        let body = body.ok_or_else(|| super::null_argument("body"))?;
        let headers = notification::headers_from_json(headers)?;
        let key = SigningKey::new(secret.as_bytes())?;
        let extras = VerifyExtras::from_json(options)?;
        let opts = VerifyOptions {
            path,
            client_id,
            tolerance_secs: extras.tolerance_secs,
        };
        let json = f(&headers, body, extras.keys(&key), &opts).map_err(|e| {
            if e.field() == Some("path") {
                e.with_field(path_name)
            } else {
                e
            }
        })?;
        // SAFETY: checked non-NULL above.
        unsafe { write_string(out, json.to_string().into_bytes()) }
    })
}

/// Verifies a DOKU payment notification and parses it.
///
/// `headers_json`: the request headers as a JSON object or array of pairs (names are
/// matched case-insensitively; `Client-Id`, `Request-Id`, `Request-Timestamp`, `Signature`
/// are required). `body`/`body_len`: the raw body bytes exactly as received (never a
/// re-encoded copy). `notification_path`: the path of your Notification URL
/// (`/payments/notifications`). `client_id`/`secret_key`: yours. `options_json`: optional,
/// `{"tolerance_secs": N}` to reject stale timestamps (off by default: DOKU retries for
/// 12 hours) and `{"previous_secret_keys": ["..."]}`, the keys of a rotation in progress,
/// newest first.
///
/// On success `*out_notification_json` receives `{"request_id", "client_id",
/// "request_timestamp", "service_id", "acquirer_id", "channel_id", "status",
/// "transaction_date", "original_request_id", "invoice_number", "amount", "payment_code",
/// "body", "key_index"}` (`key_index`: 0 when `secret_key` verified it, 1 for the first
/// previous key, ...) (`body` holds every field DOKU sent; de-duplicate on `request_id`). Free it with
/// `doku_string_free`. `DOKU_ERR_SIGNATURE_MISMATCH`: do not trust the body; answer 401.
///
/// # Safety
/// Strings are NULL or valid NUL-terminated; `body` points to `body_len` readable bytes;
/// `out_notification_json` is NULL or a writable `char **`.
#[no_mangle]
pub unsafe extern "C" fn doku_notification_verify(
    headers_json: *const c_char,
    body: *const c_char,
    body_len: usize,
    notification_path: *const c_char,
    client_id: *const c_char,
    secret_key: *const c_char,
    options_json: *const c_char,
    out_notification_json: *mut *mut c_char,
) -> doku_status {
    // SAFETY: forwarded contract.
    unsafe {
        verify_call(
            headers_json,
            body,
            body_len,
            notification_path,
            client_id,
            secret_key,
            options_json,
            out_notification_json,
            ("notification_path", "out_notification_json"),
            |h, b, k, o| {
                Ok(notification::verify_notification(
                    h.iter().map(|(k, v)| (k, v)),
                    b,
                    k,
                    o,
                    &SystemClock,
                )?
                .to_json())
            },
        )
    }
}

/// Verifies a Direct Inquiry (DIPC) from DOKU, signed like a notification with your
/// Inquiry URL's path. Arguments as `doku_notification_verify`. On success
/// `*out_inquiry_json` receives `{"request_id", "client_id", "request_timestamp",
/// "payment_code", "body"}`: pass it to `doku_inquiry_reply`. Free it with
/// `doku_string_free`.
///
/// # Safety
/// As `doku_notification_verify`.
#[no_mangle]
pub unsafe extern "C" fn doku_inquiry_verify(
    headers_json: *const c_char,
    body: *const c_char,
    body_len: usize,
    inquiry_path: *const c_char,
    client_id: *const c_char,
    secret_key: *const c_char,
    options_json: *const c_char,
    out_inquiry_json: *mut *mut c_char,
) -> doku_status {
    // SAFETY: forwarded contract.
    unsafe {
        verify_call(
            headers_json,
            body,
            body_len,
            inquiry_path,
            client_id,
            secret_key,
            options_json,
            out_inquiry_json,
            ("inquiry_path", "out_inquiry_json"),
            |h, b, k, o| {
                Ok(notification::verify_inquiry(
                    h.iter().map(|(k, v)| (k, v)),
                    b,
                    k,
                    o,
                    &SystemClock,
                )?
                .to_json())
            },
        )
    }
}

/// Builds the signed reply to a verified inquiry. `inquiry_json` is the output of
/// `doku_inquiry_verify`; `answer_json` is `{"invoice_number": "...", "amount": 150000,
/// "status": "..."}`; `inquiry_path` is your Inquiry URL's path.
///
/// On success `*out_reply_json` receives `{"headers": {"Client-Id", "Request-Id",
/// "Response-Timestamp", "Signature", "Content-Type"}, "body": "..."}`: send those headers
/// and exactly that body string. Free it with `doku_string_free`.
///
/// # Safety
/// Strings are NULL or valid NUL-terminated; `out_reply_json` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn doku_inquiry_reply(
    inquiry_json: *const c_char,
    answer_json: *const c_char,
    inquiry_path: *const c_char,
    secret_key: *const c_char,
    out_reply_json: *mut *mut c_char,
) -> doku_status {
    guard(|| {
        arg_out(out_reply_json, "out_reply_json")?;
        // SAFETY: caller's contract.
        let (inquiry, answer, path, secret) = unsafe {
            (
                arg_str(inquiry_json, "inquiry_json")?,
                arg_str(answer_json, "answer_json")?,
                arg_str(inquiry_path, "inquiry_path")?,
                arg_str(secret_key, "secret_key")?,
            )
        };
        let inquiry = Inquiry::from_json(inquiry)?;
        let answer = validate::parse_json(answer.as_bytes(), "answer_json")?;
        let reply = notification::inquiry_reply(
            &inquiry,
            &InquiryAnswer::from_json(&answer)?,
            &SigningKey::new(secret.as_bytes())?,
            path,
            &SystemClock,
        )?;
        // SAFETY: checked non-NULL above.
        unsafe { write_string(out_reply_json, reply.to_json().to_string().into_bytes()) }
    })
}

/// Builds a payment notification exactly as DOKU would send it, for your own tests: post
/// it to your notification handler and check what it does. `request_json` is
/// `{"channel": "alfa" | "indomaret" | "indodana", "client_id": "...", "path": "/your/
/// notification/path", "status": "SUCCESS" | "FAILED", "invoice_number": "...",
/// "amount": N}` (`status`, `invoice_number` and `amount` are optional: SUCCESS, a fresh
/// `INV-TEST-...`, 10000). On success `*out_json` receives `{"headers": {"Client-Id",
/// "Request-Id", "Request-Timestamp", "Signature", "Content-Type"}, "body": "..."}`, which
/// `doku_notification_verify` accepts; free it with `doku_string_free`.
///
/// # Safety
/// Strings are NULL or valid NUL-terminated; `out_json` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn doku_test_notification(
    request_json: *const c_char,
    secret_key: *const c_char,
    out_json: *mut *mut c_char,
) -> doku_status {
    guard(|| {
        arg_out(out_json, "out_json")?;
        // SAFETY: caller's contract.
        let (request, secret) = unsafe {
            (
                arg_str(request_json, "request_json")?,
                arg_str(secret_key, "secret_key")?,
            )
        };
        let t = TestNotification::from_json(request)?;
        let signed = signed_test_notification(
            &t,
            &SigningKey::new(secret.as_bytes())?,
            &SystemClock,
            &UuidV4,
        )?;
        // SAFETY: checked non-NULL above.
        unsafe { write_string(out_json, signed.to_json().to_string().into_bytes()) }
    })
}
