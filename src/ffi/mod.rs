//! The C ABI. Conventions (also in README.md, "C API conventions"):
//!
//! - Every function returns a `doku_status`; `DOKU_OK` (0) is success. Codes are grouped
//!   (1xx bad arguments, 2xx signatures, 3xx DOKU and the network, 9xx internal) and
//!   append-only: a code is never renumbered or reused.
//! - Out-params are written only on success. Every owned `char *` comes back through a
//!   `char **out_…` parameter and must be freed exactly once with `doku_string_free`.
//! - Every pointer argument is NULL-checked (except those documented as optional), text
//!   must be UTF-8, panics are caught (`DOKU_ERR_PANIC`), and the failure is recorded as the
//!   calling thread's last error (`doku_last_error_message`, `doku_last_error_json`).
//!
//! This module converts between C and Rust; the core decides everything.

mod client;
mod errors;
mod notification;
mod sign;

pub use client::*;
pub use errors::*;
pub use notification::*;
pub use sign::*;

use std::ffi::{c_char, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::error::{Error, ErrorKind};

/// The status every function returns. `DOKU_OK` is 0; see the `DOKU_ERR_*` constants.
#[allow(non_camel_case_types)]
pub type doku_status = u32;

/// Success.
pub const DOKU_OK: doku_status = 0;
/// An argument is unusable (too large, empty, wrong shape); see the last error's `field`.
pub const DOKU_ERR_INVALID_INPUT: doku_status = 100;
/// A required pointer argument is NULL; the last error's `field` names it.
pub const DOKU_ERR_NULL_ARGUMENT: doku_status = 101;
/// A text argument is not valid UTF-8; the last error's `field` names it.
pub const DOKU_ERR_INVALID_UTF8: doku_status = 102;
/// A request body breaks a field rule; `field` is the JSON path.
pub const DOKU_ERR_VALIDATION: doku_status = 103;
/// The client configuration is unusable; `field` names the key.
pub const DOKU_ERR_CONFIG: doku_status = 104;
/// A signature does not verify.
pub const DOKU_ERR_SIGNATURE_MISMATCH: doku_status = 200;
/// DOKU answered with an error status; the last error has `http_status`, `request_id`, `body`.
pub const DOKU_ERR_API: doku_status = 300;
/// No answer in time: the outcome is unknown; reconcile with check status.
pub const DOKU_ERR_TIMEOUT: doku_status = 301;
/// The connection failed or broke.
pub const DOKU_ERR_TRANSPORT: doku_status = 302;
/// DOKU's answer could not be read.
pub const DOKU_ERR_DECODE: doku_status = 303;
/// A bug inside the library was caught at the boundary; nothing was unwound into C.
pub const DOKU_ERR_PANIC: doku_status = 900;

/// An error on its way to C: the status code and the error recorded as last error.
pub(crate) struct Fail {
    status: doku_status,
    error: Error,
}

impl From<Error> for Fail {
    fn from(error: Error) -> Self {
        let status = match error.kind() {
            ErrorKind::InvalidInput => DOKU_ERR_INVALID_INPUT,
            ErrorKind::Validation => DOKU_ERR_VALIDATION,
            ErrorKind::Config => DOKU_ERR_CONFIG,
            ErrorKind::SignatureMismatch => DOKU_ERR_SIGNATURE_MISMATCH,
            ErrorKind::Api => DOKU_ERR_API,
            ErrorKind::Timeout => DOKU_ERR_TIMEOUT,
            ErrorKind::Transport => DOKU_ERR_TRANSPORT,
            ErrorKind::Decode => DOKU_ERR_DECODE,
            ErrorKind::Panic => DOKU_ERR_PANIC,
        };
        Fail { status, error }
    }
}

pub(crate) type FfiResult<T = ()> = Result<T, Fail>;

/// Runs `f` behind the panic boundary, records its error as the thread's last error and
/// returns the status. The last error is cleared first.
pub(crate) fn guard(f: impl FnOnce() -> FfiResult) -> doku_status {
    errors::clear_last_error();
    guard_keep(f)
}

/// [`guard`] without clearing the last error first (for the last-error readers).
pub(crate) fn guard_keep(f: impl FnOnce() -> FfiResult) -> doku_status {
    let outcome = catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| {
        Err(Error::new(
            ErrorKind::Panic,
            "internal error in doku-direct (a bug: please report it); no state was changed",
        )
        .into())
    });
    match outcome {
        Ok(()) => DOKU_OK,
        Err(fail) => {
            let status = fail.status;
            errors::set_last_error(fail.error);
            status
        }
    }
}

/// The error for a NULL required pointer argument.
pub(crate) fn null_argument(name: &str) -> Fail {
    Fail {
        status: DOKU_ERR_NULL_ARGUMENT,
        error: Error::invalid_input(name, format!("{name} is NULL")),
    }
}

/// A required, NUL-terminated UTF-8 argument.
///
/// # Safety
/// `p` is NULL or a valid NUL-terminated string that outlives the returned reference.
pub(crate) unsafe fn arg_str<'a>(p: *const c_char, name: &str) -> FfiResult<&'a str> {
    if p.is_null() {
        return Err(null_argument(name));
    }
    // SAFETY: non-NULL and NUL-terminated per the caller's contract.
    let bytes = unsafe { CStr::from_ptr(p) }.to_bytes();
    utf8(bytes, name)
}

/// The bytes of a NUL-terminated argument, not checked as UTF-8: for a body the core
/// parses and judges itself (as it does for the same bytes from Rust, Python and PHP).
///
/// # Safety
/// `p` is NULL or a valid NUL-terminated string.
pub(crate) unsafe fn arg_bytes<'a>(p: *const c_char, name: &str) -> FfiResult<&'a [u8]> {
    if p.is_null() {
        return Err(null_argument(name));
    }
    // SAFETY: non-NULL and NUL-terminated per the caller's contract.
    Ok(unsafe { CStr::from_ptr(p) }.to_bytes())
}

/// `bytes` as `&str`, or `DOKU_ERR_INVALID_UTF8` naming the argument. ASCII, by far the
/// common case for ids, paths and JSON, is recognised by a word-at-a-time check.
fn utf8<'a>(bytes: &'a [u8], name: &str) -> FfiResult<&'a str> {
    if bytes.is_ascii() {
        // SAFETY: ASCII is valid UTF-8.
        return Ok(unsafe { std::str::from_utf8_unchecked(bytes) });
    }
    std::str::from_utf8(bytes).map_err(|e| Fail {
        status: DOKU_ERR_INVALID_UTF8,
        error: Error::invalid_input(
            name,
            format!("{name} is not valid UTF-8 (at byte {})", e.valid_up_to()),
        ),
    })
}

/// An optional text argument: NULL is `None`.
///
/// # Safety
/// As [`arg_str`].
pub(crate) unsafe fn opt_str<'a>(p: *const c_char, name: &str) -> FfiResult<Option<&'a str>> {
    if p.is_null() {
        Ok(None)
    } else {
        // SAFETY: forwarded contract.
        unsafe { arg_str(p, name) }.map(Some)
    }
}

/// A body given as pointer + length: NULL means "no body" (a GET component). A body is
/// bytes, as in Rust and Python: its size limit and everything else about it are the
/// core's rules, checked there.
///
/// # Safety
/// `p` is NULL or points to `len` readable bytes that outlive the returned slice.
pub(crate) unsafe fn arg_body<'a>(
    p: *const c_char,
    len: usize,
    name: &str,
) -> FfiResult<Option<&'a [u8]>> {
    if p.is_null() {
        if len != 0 {
            return Err(Error::invalid_input(
                name,
                format!("{name} is NULL but {name}_len is {len}"),
            )
            .into());
        }
        return Ok(None);
    }
    if len > isize::MAX as usize {
        return Err(Error::invalid_input(name, format!("{name}_len {len} is not a length")).into());
    }
    // SAFETY: non-NULL, `len` readable bytes per the caller's contract, len <= isize::MAX.
    Ok(Some(unsafe {
        std::slice::from_raw_parts(p.cast::<u8>(), len)
    }))
}

/// Checks an out-parameter before any work is done.
pub(crate) fn arg_out<T>(p: *mut T, name: &str) -> FfiResult<()> {
    if p.is_null() {
        return Err(null_argument(name));
    }
    Ok(())
}

/// Writes an owned C string to `out` (checked non-NULL beforehand). A NUL byte cannot
/// travel in a C string: one inside the text (an error message quoting a caller's key,
/// say) is written as the two characters `\0`, so writing never fails.
///
/// # Safety
/// `out` is a valid, writable `char **`.
pub(crate) unsafe fn write_string(out: *mut *mut c_char, mut bytes: Vec<u8>) -> FfiResult {
    if bytes.contains(&0) {
        bytes = String::from_utf8_lossy(&bytes)
            .replace('\0', "\\0")
            .into_bytes();
    }
    let c = CString::new(bytes)
        .map_err(|_| Error::new(ErrorKind::Panic, "internal error: output holds a NUL byte"))?;
    // SAFETY: `out` is valid and writable per the caller's contract.
    unsafe { *out = c.into_raw() };
    Ok(())
}

/// Frees a string returned by this library through a `char **out_…` parameter.
/// NULL is ignored. Each string must be freed exactly once, and only with this function.
/// Thread-safe.
///
/// # Safety
/// `s` is NULL or a pointer obtained from this library and not yet freed.
#[no_mangle]
pub unsafe extern "C" fn doku_string_free(s: *mut c_char) {
    if s.is_null() {
        return;
    }
    let _ = catch_unwind(|| {
        // SAFETY: `s` came from `CString::into_raw` in `write_string` and is freed once.
        drop(unsafe { CString::from_raw(s) });
    });
}

/// The library version (`"0.1.0"`): a static string, valid forever, never freed.
#[no_mangle]
pub extern "C" fn doku_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}
