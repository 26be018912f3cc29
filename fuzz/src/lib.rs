//! What every fuzz target shares: splitting an input into fields, C strings, and the checks
//! every C ABI call must pass (never `DOKU_ERR_PANIC`, out-params written only on success,
//! the last error readable and consistent with the status, owned strings freed once).
//!
//! Inputs are readable on purpose, so the corpus can be seeded from `tests/data` and read
//! by a person: an optional leading flags byte, then fields separated by NUL bytes; the last
//! field takes the rest of the input (a body may hold NUL bytes). A NUL cannot travel in a
//! C string anyway, so splitting there loses nothing the C ABI could receive.

use std::ffi::{c_char, CStr, CString};
use std::ptr;

use doku::ffi::{
    doku_last_error_json, doku_last_error_message, doku_status, doku_string_free, DOKU_ERR_API,
    DOKU_ERR_CONFIG, DOKU_ERR_DECODE, DOKU_ERR_INVALID_INPUT, DOKU_ERR_INVALID_UTF8,
    DOKU_ERR_NULL_ARGUMENT, DOKU_ERR_PANIC, DOKU_ERR_SIGNATURE_MISMATCH, DOKU_ERR_TIMEOUT,
    DOKU_ERR_TRANSPORT, DOKU_ERR_VALIDATION, DOKU_OK,
};
use serde_json::Value;

/// The fields of one input, read front to back.
pub struct Fields<'a> {
    rest: &'a [u8],
}

impl<'a> Fields<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Fields { rest: data }
    }

    /// One byte (0 when the input is used up).
    pub fn byte(&mut self) -> u8 {
        match self.rest.split_first() {
            Some((&b, rest)) => {
                self.rest = rest;
                b
            }
            None => 0,
        }
    }

    /// The bytes up to the next NUL (which is consumed), or the rest. Holds no NUL.
    pub fn field(&mut self) -> &'a [u8] {
        match self.rest.iter().position(|&b| b == 0) {
            Some(i) => {
                let f = &self.rest[..i];
                self.rest = &self.rest[i + 1..];
                f
            }
            None => std::mem::take(&mut self.rest),
        }
    }

    /// A field as text (lossy: the C ABI's UTF-8 checks are fuzzed through [`Fields::cstr`]).
    pub fn text(&mut self) -> String {
        String::from_utf8_lossy(self.field()).into_owned()
    }

    /// A field as a C string, bytes as they are (not necessarily UTF-8).
    pub fn cstr(&mut self) -> CString {
        CString::new(self.field()).expect("a field holds no NUL")
    }

    /// Everything left (may hold NUL bytes).
    pub fn rest(self) -> &'a [u8] {
        self.rest
    }
}

/// `bytes` up to its first NUL, as a C string: what a C caller passing it would send.
pub fn c_prefix(bytes: &[u8]) -> CString {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    CString::new(&bytes[..end]).expect("cut at the first NUL")
}

/// The pointer of an optional C string argument.
pub fn ptr_or_null(s: Option<&CString>) -> *const c_char {
    s.map_or(ptr::null(), |s| s.as_ptr())
}

/// The kind a status is recorded with in the last error.
fn kind_of(status: doku_status) -> &'static str {
    match status {
        DOKU_ERR_INVALID_INPUT | DOKU_ERR_NULL_ARGUMENT | DOKU_ERR_INVALID_UTF8 => "invalid_input",
        DOKU_ERR_VALIDATION => "validation",
        DOKU_ERR_CONFIG => "config",
        DOKU_ERR_SIGNATURE_MISMATCH => "signature_mismatch",
        DOKU_ERR_API => "api",
        DOKU_ERR_TIMEOUT => "timeout",
        DOKU_ERR_TRANSPORT => "transport",
        DOKU_ERR_DECODE => "decode",
        other => panic!("status {other} is not a documented doku_status"),
    }
}

/// The last error of the calling thread, read through the C ABI.
#[derive(Debug)]
pub struct LastError {
    pub message: String,
    pub json: Value,
}

impl LastError {
    pub fn field(&self) -> Option<&str> {
        self.json["field"].as_str()
    }
}

/// Takes ownership of a string the library returned: copies it and frees it once.
///
/// # Safety
/// `p` is a non-NULL string from this library, not yet freed.
pub unsafe fn take_string(p: *mut c_char) -> String {
    assert!(!p.is_null(), "an out-string of a successful call is NULL");
    // SAFETY: a NUL-terminated string from the library, per the caller's contract.
    let text = unsafe { CStr::from_ptr(p) }
        .to_str()
        .expect("the library's strings are UTF-8")
        .to_owned();
    // SAFETY: freed exactly once, with the library's own function.
    unsafe { doku_string_free(p) };
    text
}

/// Reads the last error through both readers and checks it against `status`.
pub fn last_error(status: doku_status) -> LastError {
    let mut message = ptr::null_mut();
    // SAFETY: a valid out-param.
    let s = unsafe { doku_last_error_message(&mut message) };
    assert_eq!(s, DOKU_OK, "doku_last_error_message failed with {s}");
    // SAFETY: written on success.
    let message = unsafe { take_string(message) };
    let mut json = ptr::null_mut();
    // SAFETY: a valid out-param.
    let s = unsafe { doku_last_error_json(&mut json) };
    assert_eq!(s, DOKU_OK, "doku_last_error_json failed with {s}");
    // SAFETY: written on success.
    let json: Value = serde_json::from_str(&unsafe { take_string(json) })
        .expect("doku_last_error_json writes JSON");
    if status == DOKU_OK {
        assert!(message.is_empty(), "a success left a last error message");
        assert!(json["kind"].is_null(), "a success left a last error kind");
    } else {
        assert_eq!(
            json["kind"].as_str(),
            Some(kind_of(status)),
            "status {status} recorded as {json}"
        );
        assert!(!message.is_empty(), "status {status} without a message");
        // The text is the JSON's message, after the field when there is one.
        let short = json["message"].as_str().expect("a message in the JSON");
        assert!(message.ends_with(short), "{message:?} vs {json}");
    }
    LastError { message, json }
}

/// The checks every C ABI call passes: never `DOKU_ERR_PANIC`, only documented statuses,
/// the out-param (when there is one) written exactly on success, and a consistent last
/// error. Returns the owned output (freed) on success.
///
/// # Safety
/// `out` is the value of the call's out-param after the call (NULL before it).
pub unsafe fn checked(
    what: &str,
    status: doku_status,
    out: Option<*mut c_char>,
) -> (doku_status, Option<String>, LastError) {
    assert_ne!(status, DOKU_ERR_PANIC, "{what} returned DOKU_ERR_PANIC");
    let output = match out {
        Some(p) if status == DOKU_OK => {
            // SAFETY: written by the library on success.
            Some(unsafe { take_string(p) })
        }
        Some(p) => {
            assert!(
                p.is_null(),
                "{what} wrote its out-param on failure ({status})"
            );
            None
        }
        None => None,
    };
    (status, output, last_error(status))
}

/// A secret key must never appear in an error message. Only checked when the secret is long
/// enough not to occur by chance and appears in no other argument (a message may quote
/// those). For a secret the fuzzer controls, use [`other_secret`] and
/// [`assert_secret_not_shown`] instead: the fuzzer learns the messages' text from this
/// comparison and would make a secret of it.
pub fn assert_secret_absent(text: &str, secret: &[u8], other_args: &[&[u8]]) {
    if secret.len() < 12 {
        return;
    }
    let contains = |hay: &[u8]| hay.windows(secret.len()).any(|w| w == secret);
    if other_args.iter().any(|a| contains(a)) {
        return;
    }
    assert!(
        !contains(text.as_bytes()),
        "an error message holds the secret key ({} bytes)",
        secret.len()
    );
}

/// Another usable secret key of the same length (`None` when `secret` is not usable: empty
/// or not UTF-8). Calling again with it tells whether an error depends on the secret.
pub fn other_secret(secret: &[u8]) -> Option<CString> {
    if secret.is_empty() || std::str::from_utf8(secret).is_err() {
        return None;
    }
    let c = if secret.iter().all(|&b| b == b'Z') {
        b'Y'
    } else {
        b'Z'
    };
    Some(CString::new(vec![c; secret.len()]).expect("no NUL"))
}

/// The same failure under another secret key must read the same: a message (or any field
/// of the last error) that changes with the secret shows something of it.
pub fn assert_secret_not_shown(a: (doku_status, &LastError), b: (doku_status, &LastError)) {
    if a.0 == b.0 && a.0 != DOKU_OK {
        assert_eq!(
            a.1.json, b.1.json,
            "an error changes with the secret key: it shows part of it"
        );
    }
}

/// Every string (keys and values) in a JSON value, for [`assert_secret_absent`].
pub fn json_strings(v: &Value, out: &mut Vec<Vec<u8>>) {
    match v {
        Value::String(s) => out.push(s.as_bytes().to_vec()),
        Value::Array(items) => items.iter().for_each(|i| json_strings(i, out)),
        Value::Object(map) => {
            for (k, v) in map {
                out.push(k.as_bytes().to_vec());
                json_strings(v, out);
            }
        }
        // arbitrary_precision: a number keeps its text; a message may quote it.
        Value::Number(n) => out.push(n.to_string().into_bytes()),
        _ => {}
    }
}

/// Whether some object of the JSON text `body` repeats a key: an oracle written apart
/// from the core's strict parser (serde's own visitor over serde_json). `None` when
/// `body` is not JSON.
pub fn has_repeated_key(body: &[u8]) -> Option<bool> {
    use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
    use std::cell::Cell;
    use std::collections::HashSet;

    struct Scan<'c>(&'c Cell<bool>);
    impl<'de> DeserializeSeed<'de> for Scan<'_> {
        type Value = ();
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_any(self)
        }
    }
    impl<'de> Visitor<'de> for Scan<'_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("any JSON value")
        }
        fn visit_bool<E>(self, _: bool) -> Result<(), E> {
            Ok(())
        }
        fn visit_i64<E>(self, _: i64) -> Result<(), E> {
            Ok(())
        }
        fn visit_u64<E>(self, _: u64) -> Result<(), E> {
            Ok(())
        }
        fn visit_f64<E>(self, _: f64) -> Result<(), E> {
            Ok(())
        }
        fn visit_str<E>(self, _: &str) -> Result<(), E> {
            Ok(())
        }
        fn visit_unit<E>(self) -> Result<(), E> {
            Ok(())
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while seq.next_element_seed(Scan(self.0))?.is_some() {}
            Ok(())
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            let mut seen = HashSet::new();
            while let Some(k) = map.next_key::<String>()? {
                if !seen.insert(k) {
                    self.0.set(true);
                }
                map.next_value_seed(Scan(self.0))?;
            }
            Ok(())
        }
    }
    let repeated = Cell::new(false);
    let mut de = serde_json::Deserializer::from_slice(body);
    Scan(&repeated).deserialize(&mut de).ok()?;
    de.end().ok()?;
    Some(repeated.get())
}
