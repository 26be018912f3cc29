//! The calling thread's last error, readable as text and as JSON.

use std::cell::RefCell;
use std::ffi::c_char;

use super::{arg_out, doku_status, guard_keep, write_string};
use crate::error::Error;

thread_local! {
    static LAST_ERROR: RefCell<Option<Error>> = const { RefCell::new(None) };
}

pub(crate) fn clear_last_error() {
    LAST_ERROR.with(|e| {
        if e.borrow().is_some() {
            *e.borrow_mut() = None;
        }
    });
}

pub(crate) fn set_last_error(err: Error) {
    LAST_ERROR.with(|e| *e.borrow_mut() = Some(err));
}

fn last_error<R>(f: impl FnOnce(Option<&Error>) -> R) -> R {
    LAST_ERROR.with(|e| f(e.borrow().as_ref()))
}

/// Writes the message of the calling thread's last error to `*out_message` (an empty
/// string when the last call succeeded). The message names the field or argument at fault
/// and never contains a secret key, signature or component. Reading does not clear the
/// last error. Free the string with `doku_string_free`. Thread-local: each thread sees its
/// own last error.
///
/// # Safety
/// `out_message` is a valid, writable `char **` (NULL gives `DOKU_ERR_NULL_ARGUMENT`).
#[no_mangle]
pub unsafe extern "C" fn doku_last_error_message(out_message: *mut *mut c_char) -> doku_status {
    guard_keep(|| {
        arg_out(out_message, "out_message")?;
        let text = last_error(|e| e.map(|e| e.to_string()).unwrap_or_default());
        // SAFETY: checked non-NULL above; the caller guarantees it is writable.
        unsafe { write_string(out_message, text.into_bytes()) }
    })
}

/// Writes the calling thread's last error as JSON to `*out_json`:
/// `{"kind", "message", "field", "http_status", "request_id", "body"}` (`kind` is a stable
/// snake_case name such as `validation`; absent values are `null`; after a success every
/// value is `null`). Reading does not clear the last error. Free the string with
/// `doku_string_free`.
///
/// # Safety
/// `out_json` is a valid, writable `char **` (NULL gives `DOKU_ERR_NULL_ARGUMENT`).
#[no_mangle]
pub unsafe extern "C" fn doku_last_error_json(out_json: *mut *mut c_char) -> doku_status {
    guard_keep(|| {
        arg_out(out_json, "out_json")?;
        let json = last_error(|e| match e {
            Some(e) => e.to_json(),
            None => serde_json::json!({
                "kind": null, "message": null, "field": null,
                "http_status": null, "request_id": null, "body": null
            }),
        });
        // SAFETY: checked non-NULL above; the caller guarantees it is writable.
        unsafe { write_string(out_json, json.to_string().into_bytes()) }
    })
}
