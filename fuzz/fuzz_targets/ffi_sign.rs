//! `doku_sign`, `doku_verify`, `doku_sign_response`, `doku_verify_response` through the
//! exported `extern "C"` functions.
//!
//! Input: a flags byte, then `client_id \0 request_id \0 timestamp \0 request_target \0
//! secret_key \0 signature \0 body` (the body is the rest, NUL bytes included).
//! Flags: bit 0 a response component; bit 1 no body (NULL: a GET component); bit 2 a NULL
//! body with a non-zero length; bits 4-6 make argument n (1-7) NULL.
//!
//! Properties: no panic and never `DOKU_ERR_PANIC`; the output is written only on success,
//! is `HMACSHA256=` + 44 base64 characters, equals the core's signature with a fresh key
//! (the per-thread key cache changes nothing) and is the same on a second call; a signature
//! that was made verifies, and never as the other kind of component; the fuzzed signature
//! verifies only when it is exactly the one made; whatever sign refuses, verify refuses;
//! no error changes with the secret key (so none shows any of it).
#![no_main]

use std::ffi::c_char;
use std::ptr;

use doku::ffi::{
    doku_sign, doku_sign_response, doku_verify, doku_verify_response, DOKU_ERR_INVALID_UTF8,
    DOKU_ERR_NULL_ARGUMENT, DOKU_ERR_SIGNATURE_MISMATCH, DOKU_OK,
};
use doku::signature::Component;
use doku_fuzz::{assert_secret_not_shown, checked, other_secret, Fields};
use libfuzzer_sys::fuzz_target;

type SignFn = unsafe extern "C" fn(
    *const c_char,
    *const c_char,
    *const c_char,
    *const c_char,
    *const c_char,
    usize,
    *const c_char,
    *mut *mut c_char,
) -> u32;
type VerifyFn = unsafe extern "C" fn(
    *const c_char,
    *const c_char,
    *const c_char,
    *const c_char,
    *const c_char,
    usize,
    *const c_char,
    *const c_char,
) -> u32;

fuzz_target!(|data: &[u8]| {
    let mut f = Fields::new(data);
    let flags = f.byte();
    let response = flags & 1 != 0;
    let get = flags & 2 != 0;
    let null_with_len = flags & 4 != 0;
    let null_arg = (flags >> 4) & 7;
    let args = [f.cstr(), f.cstr(), f.cstr(), f.cstr(), f.cstr(), f.cstr()];
    let body = f.rest();
    let p = |i: usize| -> *const c_char {
        if null_arg as usize == i + 1 {
            ptr::null()
        } else {
            args[i].as_ptr()
        }
    };
    let (body_ptr, body_len) = if null_with_len && !body.is_empty() {
        (ptr::null(), body.len())
    } else if get {
        (ptr::null(), 0)
    } else {
        (body.as_ptr().cast::<c_char>(), body.len())
    };
    let (sign, verify, other_verify): (SignFn, VerifyFn, VerifyFn) = if response {
        (doku_sign_response, doku_verify_response, doku_verify)
    } else {
        (doku_sign, doku_verify, doku_verify_response)
    };
    // The same calls with another secret must fail alike (unless the secret is NULL).
    let other = other_secret(args[4].as_bytes()).filter(|_| null_arg != 5);

    let sign_with = |secret: *const c_char| {
        let mut out = ptr::null_mut();
        let out_param = if null_arg == 7 {
            ptr::null_mut()
        } else {
            &mut out as *mut *mut c_char
        };
        // SAFETY: NUL-terminated arguments or NULL, `body_len` readable bytes (or NULL).
        let status = unsafe {
            sign(
                p(0),
                p(1),
                p(2),
                p(3),
                body_ptr,
                body_len,
                secret,
                out_param,
            )
        };
        // SAFETY: `out` was NULL before the call.
        unsafe { checked("doku_sign", status, Some(out)) }
    };
    let sign_once = || sign_with(p(4));
    let (status, signature, err) = sign_once();
    if let (Some(o), None) = (&other, &signature) {
        let (s2, _, e2) = sign_with(o.as_ptr());
        assert_eq!(s2, status, "signing fails differently with another secret");
        assert_secret_not_shown((status, &err), (s2, &e2));
    }
    if matches!(null_arg, 1..=5 | 7) || (null_with_len && !body.is_empty()) {
        assert_ne!(status, DOKU_OK, "sign accepted a NULL argument");
    }

    // The same component through the core with a freshly keyed HMAC.
    let texts: Option<Vec<&str>> = args[..5]
        .iter()
        .map(|a| std::str::from_utf8(a.as_bytes()).ok())
        .collect();
    if let (Some(t), Some(sig)) = (&texts, &signature) {
        let b = (!get).then_some(body);
        let c = if response {
            Component::response(t[0], t[1], t[2], t[3], b)
        } else {
            Component::request(t[0], t[1], t[2], t[3], b)
        };
        let fresh = doku::signature::sign(t[4].as_bytes(), &c)
            .expect("the core refused what doku_sign signed");
        assert_eq!(
            &fresh, sig,
            "the cached key signs differently from a fresh one"
        );
    }
    if let Some(sig) = &signature {
        let encoded = sig
            .strip_prefix("HMACSHA256=")
            .expect("a signature starts with HMACSHA256=");
        assert_eq!(encoded.len(), 44, "a SHA-256 MAC is 44 base64 characters");
        assert!(encoded
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b)));
        let (again_status, again, _) = sign_once();
        assert_eq!(again_status, DOKU_OK);
        assert_eq!(
            again.as_ref(),
            Some(sig),
            "signing twice gave two signatures"
        );
    }

    let verify_key = |vf: VerifyFn, sig: *const c_char, secret: *const c_char, name: &str| {
        // SAFETY: as for sign; `sig` is NULL or NUL-terminated.
        let status = unsafe { vf(p(0), p(1), p(2), p(3), body_ptr, body_len, secret, sig) };
        // SAFETY: no out-param.
        let (status, _, err) = unsafe { checked(name, status, None) };
        (status, err)
    };
    let verify_with = |vf: VerifyFn, sig: *const c_char, name: &str| {
        let (status, err) = verify_key(vf, sig, p(4), name);
        if let Some(o) = &other {
            let (s2, e2) = verify_key(vf, sig, o.as_ptr(), name);
            assert_secret_not_shown((status, &err), (s2, &e2));
        }
        (status, err)
    };

    // The fuzzed signature.
    let fuzzed = &args[5];
    let fuzzed_ptr = if null_arg == 6 {
        ptr::null()
    } else {
        fuzzed.as_ptr()
    };
    let (vstatus, verr) = verify_with(verify, fuzzed_ptr, "doku_verify");
    match &signature {
        None => assert_ne!(vstatus, DOKU_OK, "verify accepted what sign refused"),
        Some(sig) => {
            if vstatus == DOKU_OK {
                assert_eq!(
                    fuzzed.as_bytes(),
                    sig.as_bytes(),
                    "a signature other than the one made verified"
                );
            } else {
                assert!(
                    matches!(
                        vstatus,
                        DOKU_ERR_SIGNATURE_MISMATCH
                            | DOKU_ERR_INVALID_UTF8
                            | DOKU_ERR_NULL_ARGUMENT
                    ),
                    "verify failed with {vstatus} ({}) on a component sign accepted",
                    verr.message
                );
                if null_arg != 6 {
                    assert_ne!(
                        fuzzed.as_bytes(),
                        sig.as_bytes(),
                        "the signature made did not verify"
                    );
                }
            }
        }
    }

    // Round trip: what was signed verifies, and never as the other kind of component.
    if let Some(sig) = &signature {
        let made = std::ffi::CString::new(sig.as_str()).expect("ASCII");
        let (s, e) = verify_with(verify, made.as_ptr(), "doku_verify");
        assert_eq!(
            s, DOKU_OK,
            "a signature just made does not verify: {}",
            e.message
        );
        let (s, _) = verify_with(other_verify, made.as_ptr(), "doku_verify (other kind)");
        assert_eq!(
            s, DOKU_ERR_SIGNATURE_MISMATCH,
            "a request signature verified as a response signature (or the reverse)"
        );
    }
});
