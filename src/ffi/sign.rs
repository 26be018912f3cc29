//! `doku_sign`, `doku_verify` and their response-signature variants.

use std::ffi::{c_char, CString};

use super::{arg_body, arg_out, arg_str, doku_status, guard, FfiResult};
use crate::signature::{Component, SigningKey, SIGNATURE_PREFIX};

/// Shared body of the four entry points.
///
/// # Safety
/// The pointer contracts of `doku_sign` / `doku_verify`.
#[allow(clippy::too_many_arguments)]
unsafe fn component_call(
    response: bool,
    client_id: *const c_char,
    request_id: *const c_char,
    timestamp: *const c_char,
    request_target: *const c_char,
    body: *const c_char,
    body_len: usize,
    secret_key: *const c_char,
    out_signature: Option<*mut *mut c_char>,
    f: impl FnOnce(&SigningKey, &Component<'_>) -> FfiResult,
) -> doku_status {
    guard(|| {
        if let Some(out) = out_signature {
            arg_out(out, "out_signature")?;
        }
        // SAFETY: forwarded from the exported functions' contracts.
        let (client_id, request_id, timestamp, target, body, secret) = unsafe {
            (
                arg_str(client_id, "client_id")?,
                arg_str(request_id, "request_id")?,
                arg_str(
                    timestamp,
                    if response {
                        "response_timestamp"
                    } else {
                        "timestamp"
                    },
                )?,
                arg_str(request_target, "request_target")?,
                arg_body(body, body_len, "body")?,
                arg_str(secret_key, "secret_key")?,
            )
        };
        let component = if response {
            Component::response(client_id, request_id, timestamp, target, body)
        } else {
            Component::request(client_id, request_id, timestamp, target, body)
        };
        crate::key_cache::with_key(secret.as_bytes(), |key| f(key, &component))
    })
}

/// Signs a request component and writes the `Signature` header value
/// (`HMACSHA256=<base64>`) to `*out_signature`.
///
/// `body == NULL` signs a GET component (no Digest line; `body_len` must be 0); a non-NULL
/// `body` of length 0 is an empty POST body. The body is `body_len` bytes, signed as they
/// are (no NUL terminator needed; any bytes, as in Rust and Python), at most 1 MiB. Text arguments are NUL-terminated UTF-8 and must not
/// contain line breaks; `request_target` is the path only (`/orders/v1/status/INV-1`).
///
/// On success `*out_signature` receives a new string: free it once with
/// `doku_string_free`. On failure nothing is written and the last error names the argument.
/// Pointers are only read during the call. Thread-safe; the precomputed key is cached per
/// thread.
///
/// # Safety
/// Text pointers are NULL or valid NUL-terminated strings; `body` is NULL or points to
/// `body_len` readable bytes; `out_signature` is NULL or a writable `char **`.
#[no_mangle]
pub unsafe extern "C" fn doku_sign(
    client_id: *const c_char,
    request_id: *const c_char,
    timestamp: *const c_char,
    request_target: *const c_char,
    body: *const c_char,
    body_len: usize,
    secret_key: *const c_char,
    out_signature: *mut *mut c_char,
) -> doku_status {
    // SAFETY: forwarded contract.
    unsafe {
        component_call(
            false,
            client_id,
            request_id,
            timestamp,
            request_target,
            body,
            body_len,
            secret_key,
            Some(out_signature),
            |key, c| write_signature(key, c, out_signature),
        )
    }
}

/// Verifies a request signature (a notification or inquiry from DOKU, or a request to the
/// sandbox): `DOKU_OK` when `signature` matches, `DOKU_ERR_SIGNATURE_MISMATCH` when it does
/// not (wrong secret, component, body bytes, or a prefix other than exactly
/// `HMACSHA256=`). The MAC is compared in constant time. Arguments as in `doku_sign`;
/// nothing is written.
///
/// # Safety
/// As `doku_sign`; `signature` is NULL or a valid NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn doku_verify(
    client_id: *const c_char,
    request_id: *const c_char,
    timestamp: *const c_char,
    request_target: *const c_char,
    body: *const c_char,
    body_len: usize,
    secret_key: *const c_char,
    signature: *const c_char,
) -> doku_status {
    // SAFETY: forwarded contract.
    unsafe {
        component_call(
            false,
            client_id,
            request_id,
            timestamp,
            request_target,
            body,
            body_len,
            secret_key,
            None,
            |key, c| verify_signature(key, c, signature),
        )
    }
}

/// Like `doku_sign` for a response component (third line `Response-Timestamp:`): DOKU's
/// responses, and the merchant's reply to a DOKU inquiry. `client_id` and `request_id` are
/// the request's; `request_target` is the path that was called.
///
/// # Safety
/// As `doku_sign`.
#[no_mangle]
pub unsafe extern "C" fn doku_sign_response(
    client_id: *const c_char,
    request_id: *const c_char,
    response_timestamp: *const c_char,
    request_target: *const c_char,
    body: *const c_char,
    body_len: usize,
    secret_key: *const c_char,
    out_signature: *mut *mut c_char,
) -> doku_status {
    // SAFETY: forwarded contract.
    unsafe {
        component_call(
            true,
            client_id,
            request_id,
            response_timestamp,
            request_target,
            body,
            body_len,
            secret_key,
            Some(out_signature),
            |key, c| write_signature(key, c, out_signature),
        )
    }
}

/// Like `doku_verify` for a response component (DOKU's response signature).
///
/// # Safety
/// As `doku_verify`.
#[no_mangle]
pub unsafe extern "C" fn doku_verify_response(
    client_id: *const c_char,
    request_id: *const c_char,
    response_timestamp: *const c_char,
    request_target: *const c_char,
    body: *const c_char,
    body_len: usize,
    secret_key: *const c_char,
    signature: *const c_char,
) -> doku_status {
    // SAFETY: forwarded contract.
    unsafe {
        component_call(
            true,
            client_id,
            request_id,
            response_timestamp,
            request_target,
            body,
            body_len,
            secret_key,
            None,
            |key, c| verify_signature(key, c, signature),
        )
    }
}

fn write_signature(key: &SigningKey, c: &Component<'_>, out: *mut *mut c_char) -> FfiResult {
    let mut buf = Vec::with_capacity(SIGNATURE_PREFIX.len() + 45);
    key.sign_into(c, &mut buf)?;
    // SAFETY: a signature is ASCII (prefix + base64), so it holds no NUL byte.
    let c_string = unsafe { CString::from_vec_unchecked(buf) };
    // SAFETY: `out` was checked non-NULL first; the caller guarantees writability.
    unsafe { *out = c_string.into_raw() };
    Ok(())
}

fn verify_signature(key: &SigningKey, c: &Component<'_>, signature: *const c_char) -> FfiResult {
    // SAFETY: forwarded contract of doku_verify / doku_verify_response.
    let signature = unsafe { arg_str(signature, "signature")? };
    key.verify(c, signature)?;
    Ok(())
}
