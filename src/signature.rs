//! DOKU Non-SNAP signatures (PROTOCOL.md section 2): the component, the body digest,
//! HMAC-SHA256 signing and constant-time verification. No I/O, no allocation beyond the
//! returned strings, no `unsafe`.
//!
//! The component is never built as a string on the hot path: its lines are fed straight
//! into the HMAC (the `hmac` crate), whose keyed state, with the inner and outer pads
//! already absorbed, is computed once per [`SigningKey`] and cloned per call.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use std::fmt;

use crate::error::{Error, Result};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// HMAC-SHA256 keyed with a secret: the inner and outer pads are absorbed at keying.
type HmacSha256 = Hmac<Sha256>;

/// The only accepted signature prefix; compared byte for byte (case-sensitive).
pub const SIGNATURE_PREFIX: &str = "HMACSHA256=";

/// Bodies larger than this are refused everywhere (signing, verifying, requests,
/// notifications) with an `invalid_input` error naming `body` **(our decision)**: DOKU's
/// requests and notifications are a few KiB, and a cap keeps a hostile peer from making
/// us hash or buffer unbounded data.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Which timestamp header the third component line names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimestampKind {
    /// `Request-Timestamp`: requests to DOKU, notifications and inquiries from DOKU.
    Request,
    /// `Response-Timestamp`: DOKU's responses and the merchant's inquiry replies.
    Response,
}

impl TimestampKind {
    pub fn header_name(self) -> &'static str {
        match self {
            TimestampKind::Request => "Request-Timestamp",
            TimestampKind::Response => "Response-Timestamp",
        }
    }
}

/// The values that make up a signing component. `body: None` is a GET (no Digest line);
/// `Some(b"")` is an empty POST body (a Digest of zero bytes).
#[derive(Clone, Copy)]
pub struct Component<'a> {
    pub client_id: &'a str,
    pub request_id: &'a str,
    pub timestamp_kind: TimestampKind,
    pub timestamp: &'a str,
    pub request_target: &'a str,
    pub body: Option<&'a [u8]>,
}

// The component is a secret-adjacent value (with the signature it enables offline key
// guessing), so Debug shows only its shape.
impl fmt::Debug for Component<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Component")
            .field("timestamp_kind", &self.timestamp_kind)
            .field("has_body", &self.body.is_some())
            .finish_non_exhaustive()
    }
}

impl<'a> Component<'a> {
    /// A request component (merchant -> DOKU, or DOKU -> merchant notification/inquiry).
    pub fn request(
        client_id: &'a str,
        request_id: &'a str,
        timestamp: &'a str,
        request_target: &'a str,
        body: Option<&'a [u8]>,
    ) -> Self {
        Component {
            client_id,
            request_id,
            timestamp_kind: TimestampKind::Request,
            timestamp,
            request_target,
            body,
        }
    }

    /// A response component (DOKU's response, or the merchant's inquiry reply).
    pub fn response(
        client_id: &'a str,
        request_id: &'a str,
        response_timestamp: &'a str,
        request_target: &'a str,
        body: Option<&'a [u8]>,
    ) -> Self {
        Component {
            timestamp_kind: TimestampKind::Response,
            ..Component::request(
                client_id,
                request_id,
                response_timestamp,
                request_target,
                body,
            )
        }
    }

    /// Rejects values that would make the component ambiguous or forgeable: empty values,
    /// line breaks (a value containing `\n` could forge a whole component line), a target
    /// that is not a path, and bodies over [`MAX_BODY_BYTES`]. Each error names the argument.
    pub fn check(&self) -> Result<()> {
        self.check_fields(false)
    }

    /// [`Component::check`] plus the timestamp's shape: what we sign carries a DOKU
    /// timestamp, `2020-08-11T08:45:42Z` (UTC, second precision, `Z`), exactly the rule the
    /// client applies to a `timestamp` option ([`crate::clock::parse_timestamp`]). So
    /// `doku_sign`, Python's `sign`, PHP's `Signature::sign` and the client refuse
    /// `"not-a-time"` alike, naming `timestamp` (or `response_timestamp`). Verification
    /// keeps to [`Component::check`]: what DOKU sends is judged by its signature, never
    /// refused for the timestamp's formatting (freshness is a notification option).
    pub fn check_for_signing(&self) -> Result<()> {
        self.check_fields(true)
    }

    fn check_fields(&self, timestamp_shape: bool) -> Result<()> {
        let timestamp_name = match self.timestamp_kind {
            TimestampKind::Request => "timestamp",
            TimestampKind::Response => "response_timestamp",
        };
        for (name, value) in [
            ("client_id", self.client_id),
            ("request_id", self.request_id),
            (timestamp_name, self.timestamp),
        ] {
            check_line_value(value, name)?;
        }
        if timestamp_shape {
            crate::clock::parse_timestamp(self.timestamp, timestamp_name)?;
        }
        check_request_target(self.request_target, "request_target")?;
        if let Some(body) = self.body {
            check_body_size(body)?;
        }
        Ok(())
    }

    /// The exact component text, for diagnostics (`doku explain`). Signing does not use it.
    pub fn to_text(&self) -> String {
        let mut s = String::with_capacity(256);
        s.push_str("Client-Id:");
        s.push_str(self.client_id);
        s.push_str("\nRequest-Id:");
        s.push_str(self.request_id);
        s.push('\n');
        s.push_str(self.timestamp_kind.header_name());
        s.push(':');
        s.push_str(self.timestamp);
        s.push_str("\nRequest-Target:");
        s.push_str(self.request_target);
        if let Some(body) = self.body {
            s.push_str("\nDigest:");
            s.push_str(&digest(body));
        }
        s
    }

    /// Feeds the component text into `mac`, line by line (no component string is built).
    fn feed(&self, mac: &mut HmacSha256) {
        mac.update(b"Client-Id:");
        mac.update(self.client_id.as_bytes());
        mac.update(b"\nRequest-Id:");
        mac.update(self.request_id.as_bytes());
        mac.update(match self.timestamp_kind {
            TimestampKind::Request => b"\nRequest-Timestamp:",
            TimestampKind::Response => b"\nResponse-Timestamp:",
        });
        mac.update(self.timestamp.as_bytes());
        mac.update(b"\nRequest-Target:");
        mac.update(self.request_target.as_bytes());
        if let Some(body) = self.body {
            mac.update(b"\nDigest:");
            mac.update(&digest_b64(body));
        }
    }
}

const CONTROL: u8 = 1;
const QUERY: u8 = 2;

/// Byte classes for [`scan`]: `CONTROL` for bytes below 0x20 and DEL (a line break
/// would forge a component line), `QUERY` for `?` and `#`.
static CLASS: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        if i < 0x20 || i == 0x7f {
            table[i] = CONTROL;
        }
        if i == b'?' as usize || i == b'#' as usize {
            table[i] = QUERY;
        }
        i += 1;
    }
    table
};

/// One pass over a header value, returning the union of its byte classes (see
/// [`CLASS`]). It runs on every value of every signature, so it works on eight bytes at a
/// time (exact "has a byte below / equal to" word tricks) and uses the table for the rest.
fn scan(bytes: &[u8]) -> u8 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Nonzero exactly when some byte of `x` is below `n` (n <= 128).
    let below = |x: u64, n: u64| x.wrapping_sub(ONES * n) & !x & HIGH;
    let has = |x: u64, byte: u8| below(x ^ (ONES * u64::from(byte)), 1);
    let (mut control, mut query) = (0u64, 0u64);
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        let x = u64::from_le_bytes(word.try_into().expect("8 bytes"));
        control |= below(x, 0x20) | has(x, 0x7f);
        query |= has(x, b'?') | has(x, b'#');
    }
    let mut acc = (u8::from(control != 0) * CONTROL) | (u8::from(query != 0) * QUERY);
    for &b in words.remainder() {
        acc |= CLASS[usize::from(b)];
    }
    acc
}

/// The rule for every value on a component line: not empty, and no line break or other
/// control character (a value holding `\n` could forge a whole component line). Returns
/// the value's byte classes (one [`scan`]) for the caller's further checks.
fn check_line_value(value: &str, field: &str) -> Result<u8> {
    if value.is_empty() {
        return Err(Error::invalid_input(
            field,
            format!("{field} must not be empty"),
        ));
    }
    let class = scan(value.as_bytes());
    if class & CONTROL != 0 {
        return Err(Error::invalid_input(
            field,
            format!(
                "{field} must not contain a line break or other control character \
                 (a line break would forge a component line)"
            ),
        ));
    }
    Ok(class)
}

/// The rule for a Request-Target, wherever one is given (a signed component, a client's
/// generic request path, an operation path override): the path alone, starting with `/`,
/// with no scheme or host, no query or fragment, no space and no control character. A
/// failure is `invalid_input` naming `field`.
pub fn check_request_target(target: &str, field: &str) -> Result<()> {
    let class = check_line_value(target, field)?;
    if !target.starts_with('/') {
        return Err(Error::invalid_input(
            field,
            format!("{field} must be the path only, starting with '/' (no scheme or host; got {target:?})"),
        ));
    }
    if class & QUERY != 0 {
        return Err(Error::invalid_input(
            field,
            format!("{field} must not carry a query string or fragment (got {target:?})"),
        ));
    }
    if target.contains(' ') {
        return Err(Error::invalid_input(
            field,
            format!("{field} must not contain a space: send it percent-encoded (got {target:?})"),
        ));
    }
    Ok(())
}

/// Refuses bodies over [`MAX_BODY_BYTES`] with an error naming `body`.
pub fn check_body_size(body: &[u8]) -> Result<()> {
    if body.len() > MAX_BODY_BYTES {
        return Err(Error::invalid_input(
            "body",
            format!(
                "body is {} bytes; the limit is {} bytes",
                body.len(),
                MAX_BODY_BYTES
            ),
        ));
    }
    Ok(())
}

/// `base64(SHA-256(body))`, the value of the component's Digest line.
pub fn digest(body: &[u8]) -> String {
    String::from_utf8_lossy(&digest_b64(body)).into_owned()
}

fn digest_b64(body: &[u8]) -> [u8; 44] {
    base64_32(&Sha256::digest(body).into())
}

/// Standard base64 (with `=` padding) of a 32-byte hash or MAC, on the stack.
fn base64_32(input: &[u8; 32]) -> [u8; 44] {
    let mut out = [0u8; 44];
    let written = B64
        .encode_slice(input, &mut out)
        .expect("32 bytes encode to exactly 44");
    debug_assert_eq!(written, 44);
    out
}

/// A secret key with its HMAC pads precomputed. Cheap to clone, safe to share between
/// threads, and its `Debug` never shows the key.
#[derive(Clone)]
pub struct SigningKey {
    key: HmacSha256,
}

/// The keyed state is as good as the key for forging signatures: it is wiped when the
/// key is dropped (the per-call copies the MAC is computed on live briefly on the stack
/// and are not; SECURITY.md says what stays out of reach).
impl Drop for SigningKey {
    fn drop(&mut self) {
        // SAFETY: `HmacSha256` is flat (hash states as integer arrays, a byte buffer and its
        // position; no pointer, no enum), so all-zero bytes are a valid value of it; we
        // have exclusive access, and the value is not used again before it is freed.
        unsafe { zeroize::zeroize_flat_type(&mut self.key as *mut HmacSha256) }
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey(<redacted>)")
    }
}

impl SigningKey {
    /// Precomputes the HMAC state for `secret_key`. An empty key is refused.
    pub fn new(secret_key: &[u8]) -> Result<Self> {
        if secret_key.is_empty() {
            return Err(Error::invalid_input(
                "secret_key",
                "secret_key must not be empty",
            ));
        }
        Ok(SigningKey {
            key: HmacSha256::new_from_slice(secret_key).expect("HMAC takes keys of any length"),
        })
    }

    /// The `Signature` header value (`HMACSHA256=` + base64 MAC) for `component`.
    pub fn sign(&self, component: &Component<'_>) -> Result<String> {
        component.check_for_signing()?;
        Ok(self.header_value(component))
    }

    /// [`SigningKey::sign`] without the timestamp-shape rule of
    /// [`Component::check_for_signing`] (every other check applies): for tests and
    /// emulators that must play a client sending a malformed timestamp (the sandbox's
    /// tests of its own `invalid_timestamp` answer). Real requests use `sign`.
    #[doc(hidden)]
    pub fn sign_any_timestamp(&self, component: &Component<'_>) -> Result<String> {
        component.check()?;
        Ok(self.header_value(component))
    }

    /// `HMACSHA256=` + base64 MAC of a checked component.
    fn header_value(&self, component: &Component<'_>) -> String {
        let mut out = Vec::with_capacity(SIGNATURE_PREFIX.len() + 44);
        out.extend_from_slice(SIGNATURE_PREFIX.as_bytes());
        out.extend_from_slice(&base64_32(&self.mac_bytes(component)));
        String::from_utf8(out).expect("base64 is ASCII")
    }

    /// Like [`SigningKey::sign`] but writes into `out` (cleared first): no allocation when
    /// `out` already has room. Used by the C ABI.
    pub fn sign_into(&self, component: &Component<'_>, out: &mut Vec<u8>) -> Result<()> {
        component.check_for_signing()?;
        out.clear();
        out.extend_from_slice(SIGNATURE_PREFIX.as_bytes());
        out.extend_from_slice(&base64_32(&self.mac_bytes(component)));
        Ok(())
    }

    /// `Ok(())` when `signature` is the valid `Signature` header for `component`;
    /// otherwise a `signature_mismatch` error that says why without revealing the
    /// expected value. The MAC is compared in constant time.
    pub fn verify(&self, component: &Component<'_>, signature: &str) -> Result<()> {
        Keys::from(self).verify(component, signature).map(|_| ())
    }

    /// The `Signature` value for an arbitrary text (diagnostics only: `doku explain` uses
    /// it to try malformed components). Not exported: callers sign [`Component`]s.
    pub(crate) fn sign_text(&self, text: &[u8]) -> String {
        let mut out = String::from(SIGNATURE_PREFIX);
        let mut mac = self.key.clone();
        mac.update(text);
        out.push_str(
            std::str::from_utf8(&base64_32(&mac.finalize().into_bytes().into())).expect("ASCII"),
        );
        out
    }

    /// A copy of the keyed state that has absorbed `component` (the MAC not yet taken).
    fn keyed(&self, component: &Component<'_>) -> HmacSha256 {
        let mut mac = self.key.clone();
        component.feed(&mut mac);
        mac
    }

    fn mac_bytes(&self, component: &Component<'_>) -> [u8; 32] {
        self.keyed(component).finalize().into_bytes().into()
    }
}

/// The keys a verification accepts: the current key first, then previous ones while a
/// rotation is in progress (DOKU retries a notification for 12 hours, so one signed just
/// before a merchant regenerated its key arrives signed with the old one). Signing always
/// uses the current key. A `&SigningKey` is a ring of one.
#[derive(Clone, Copy, Debug)]
pub struct Keys<'a> {
    current: &'a SigningKey,
    previous: &'a [SigningKey],
}

impl<'a> Keys<'a> {
    pub fn new(current: &'a SigningKey, previous: &'a [SigningKey]) -> Self {
        Keys { current, previous }
    }

    /// The key to sign with.
    pub fn current(&self) -> &'a SigningKey {
        self.current
    }

    pub fn len(&self) -> usize {
        1 + self.previous.len()
    }

    pub fn is_empty(&self) -> bool {
        false
    }

    /// Which key (0 = current, 1 = the one before, ...) made `signature`. Every key is
    /// tried, each comparison in constant time, so the time taken does not say which one
    /// matched. A mismatch against all of them is one `signature_mismatch`; an unusable
    /// component or a malformed signature is reported as by [`SigningKey::verify`].
    pub fn verify(&self, component: &Component<'_>, signature: &str) -> Result<usize> {
        component.check()?;
        let mac = decode_signature(signature)?;
        let mut matched = None;
        for (index, key) in std::iter::once(self.current)
            .chain(self.previous)
            .enumerate()
        {
            if key.keyed(component).verify_slice(&mac).is_ok() {
                matched.get_or_insert(index);
            }
        }
        matched.ok_or_else(|| {
            let ring = match self.len() {
                1 => String::new(),
                n => format!(" (none of the {n} keys given matches)"),
            };
            Error::signature_mismatch(format!(
                "signature does not match the component (check Client-Id, Request-Id, \
                 timestamp, Request-Target, the exact body bytes and the secret key){ring}"
            ))
            .with_field("signature")
        })
    }
}

/// The MAC bytes of a `Signature` header value: the exact `HMACSHA256=` prefix, then
/// standard base64. Decoded once, whatever number of keys it is checked against.
fn decode_signature(signature: &str) -> Result<Vec<u8>> {
    let Some(encoded) = signature.strip_prefix(SIGNATURE_PREFIX) else {
        return Err(Error::signature_mismatch(
            "signature must start with the exact prefix HMACSHA256=",
        )
        .with_field("signature"));
    };
    B64.decode(encoded).map_err(|_| {
        Error::signature_mismatch("signature is not standard base64 after the HMACSHA256= prefix")
            .with_field("signature")
    })
}

impl<'a> From<&'a SigningKey> for Keys<'a> {
    fn from(key: &'a SigningKey) -> Self {
        Keys::new(key, &[])
    }
}

/// One-shot: the `Signature` header value for `component` under `secret_key`.
pub fn sign(secret_key: &[u8], component: &Component<'_>) -> Result<String> {
    SigningKey::new(secret_key)?.sign(component)
}

/// One-shot: `Ok(())` when `signature` is valid for `component` under `secret_key`.
pub fn verify(secret_key: &[u8], component: &Component<'_>, signature: &str) -> Result<()> {
    SigningKey::new(secret_key)?.verify(component, signature)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    const BODY: &[u8] = br#"{"a":1}"#;
    const TS: &str = "2020-08-11T08:45:42Z";

    fn c(body: Option<&'static [u8]>) -> Component<'static> {
        Component::request("C", "R", TS, "/p", body)
    }

    #[test]
    fn a_dropped_key_leaves_no_keyed_state_behind() {
        let mut slot = std::mem::ManuallyDrop::new(SigningKey::new(b"super-secret").unwrap());
        let size = std::mem::size_of::<SigningKey>();
        let addr = &*slot as *const SigningKey as *const u8;
        // SAFETY: reading the bytes of a live value we own.
        let before = unsafe { std::slice::from_raw_parts(addr, size) }.to_vec();
        assert!(before.iter().any(|b| *b != 0));
        // SAFETY: dropped once, never used as a SigningKey again; its storage stays ours
        // (ManuallyDrop), so reading its bytes afterwards reads memory we own.
        unsafe { std::mem::ManuallyDrop::drop(&mut slot) };
        let after = unsafe { std::slice::from_raw_parts(addr, size) };
        assert!(after.iter().all(|b| *b == 0), "the keyed state is wiped");
    }

    #[test]
    fn scan_agrees_with_the_class_table_for_every_byte_at_every_position() {
        for b in 0..=255u8 {
            for len in 1..20 {
                for pos in 0..len {
                    let mut v = vec![b'a'; len];
                    v[pos] = b;
                    assert_eq!(
                        scan(&v),
                        CLASS[usize::from(b)],
                        "byte {b} at {pos} of {len}"
                    );
                }
            }
        }
        assert_eq!(scan(b"/p?x\n"), CONTROL | QUERY);
    }

    #[test]
    fn get_has_no_digest_line_and_empty_post_has_one() {
        assert!(!c(None).to_text().contains("Digest"));
        assert!(c(Some(b""))
            .to_text()
            .ends_with("Digest:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="));
    }

    #[test]
    fn sign_and_sign_into_agree_and_verify() {
        let key = SigningKey::new(b"k").unwrap();
        let s = key.sign(&c(Some(BODY))).unwrap();
        let mut v = Vec::new();
        key.sign_into(&c(Some(BODY)), &mut v).unwrap();
        assert_eq!(s.as_bytes(), &v[..]);
        key.verify(&c(Some(BODY)), &s).unwrap();
        let other = key.verify(&c(Some(b"{}")), &s).unwrap_err();
        assert_eq!(other.kind(), ErrorKind::SignatureMismatch);
    }

    #[test]
    fn line_breaks_in_values_are_refused() {
        let key = SigningKey::new(b"k").unwrap();
        let forged = Component::request("C\nRequest-Id:X", "R", TS, "/p", None);
        let e = key.sign(&forged).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert_eq!(e.field(), Some("client_id"));
        let e = key
            .sign(&Component::request("C", "R\r", TS, "/p", None))
            .unwrap_err();
        assert_eq!(e.field(), Some("request_id"));
    }

    #[test]
    fn target_must_be_a_bare_path() {
        let key = SigningKey::new(b"k").unwrap();
        for t in ["https://api.doku.com/p", "p", "/p?x=1", ""] {
            let e = key
                .sign(&Component::request("C", "R", TS, t, None))
                .unwrap_err();
            assert_eq!(e.field(), Some("request_target"), "{t}");
        }
    }

    #[test]
    fn empty_secret_and_huge_body_are_refused() {
        assert_eq!(
            SigningKey::new(b"").unwrap_err().field(),
            Some("secret_key")
        );
        let big = vec![b' '; MAX_BODY_BYTES + 1];
        let key = SigningKey::new(b"k").unwrap();
        let e = key
            .sign(&Component::request("C", "R", TS, "/p", Some(&big)))
            .unwrap_err();
        assert_eq!(e.field(), Some("body"));
    }

    #[test]
    fn debug_never_shows_secrets() {
        let key = SigningKey::new(b"super-secret").unwrap();
        assert!(!format!("{key:?}").contains("super"));
        assert!(!format!("{:?}", c(Some(BODY))).contains("Client-Id"));
    }

    #[test]
    fn what_is_signed_carries_a_doku_timestamp_and_what_is_verified_is_judged_by_its_mac() {
        let key = SigningKey::new(b"k").unwrap();
        for (bad, kind) in [
            ("not-a-time", TimestampKind::Request),
            ("2020-08-11T08:45:42.123Z", TimestampKind::Request),
            ("2020-08-11T08:45:42+07:00", TimestampKind::Response),
            ("2020-02-30T08:45:42Z", TimestampKind::Response),
        ] {
            let c = Component {
                timestamp: bad,
                timestamp_kind: kind,
                ..c(None)
            };
            let want = match kind {
                TimestampKind::Request => "timestamp",
                TimestampKind::Response => "response_timestamp",
            };
            for e in [
                key.sign(&c).unwrap_err(),
                key.sign_into(&c, &mut Vec::new()).unwrap_err(),
            ] {
                assert_eq!(e.kind(), ErrorKind::InvalidInput, "{bad}");
                assert_eq!(e.field(), Some(want), "{bad}");
            }
            // The same rule as the client's `timestamp` option.
            assert_eq!(
                crate::clock::parse_timestamp(bad, want)
                    .unwrap_err()
                    .field(),
                Some(want)
            );
            // The escape hatch for emulating a malformed client signs it, and it verifies.
            let sig = key.sign_any_timestamp(&c).unwrap();
            key.verify(&c, &sig).unwrap();
            // Verification does not refuse the formatting: the MAC decides.
            let e = key.verify(&c, "HMACSHA256=AAAA").unwrap_err();
            assert_eq!(e.kind(), ErrorKind::SignatureMismatch, "{bad}");
        }
    }
}
