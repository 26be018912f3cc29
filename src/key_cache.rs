//! The bindings' per-thread signing-key cache: the C ABI (`doku_sign` and friends) and the
//! Python extension take the secret key on every call, and a gateway signs with one or a
//! few keys, so each thread keeps the [`SigningKey`] (the keyed HMAC state, pads already
//! absorbed) of the last secret it saw. A hit saves keying the HMAC: two SHA-256 blocks.
//!
//! The cached secret is compared with the caller's in constant time (`subtle`), so the
//! time a call takes says nothing about how much of a guessed key matches.

use std::cell::RefCell;

use subtle::{Choice, ConstantTimeEq};
use zeroize::Zeroizing;

use crate::error::Error;
use crate::signature::SigningKey;

thread_local! {
    // The copy of the secret is wiped when it is replaced or the thread ends; the key wipes
    // itself.
    static LAST: RefCell<Option<(Zeroizing<Vec<u8>>, SigningKey)>> = const { RefCell::new(None) };
}

/// Runs `f` with the signing key for `secret`, from this thread's cache when it holds the
/// same secret; otherwise keys a new one (an empty secret is refused, as by
/// [`SigningKey::new`]) and caches it in place of the previous one.
pub fn with_key<R, E: From<Error>>(
    secret: &[u8],
    f: impl FnOnce(&SigningKey) -> Result<R, E>,
) -> Result<R, E> {
    LAST.with(|cache| {
        let mut cache = cache.borrow_mut();
        let hit = matches!(&*cache, Some((cached, _)) if same_secret(cached, secret));
        if !hit {
            *cache = Some((Zeroizing::new(secret.to_vec()), SigningKey::new(secret)?));
        }
        let (_, key) = cache.as_ref().expect("filled above");
        f(key)
    })
}

/// Whether two secrets are equal, in time that depends only on their lengths. `subtle`
/// compares sixteen bytes at a time: its byte-slice comparison pays an optimisation
/// barrier per byte, on every `doku_sign`. A secret of 16 bytes or more is read as whole
/// 16-byte words, the last one overlapping the one before it (no padded copy to make).
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let word = |bytes: &[u8], at: usize| {
        u128::from_le_bytes(bytes[at..at + 16].try_into().expect("16 bytes"))
    };
    if a.len() < 16 {
        let mut x = [0u8; 16];
        let mut y = [0u8; 16];
        x[..a.len()].copy_from_slice(a);
        y[..b.len()].copy_from_slice(b);
        return u128::from_le_bytes(x).ct_eq(&u128::from_le_bytes(y)).into();
    }
    let last = a.len() - 16;
    (0..last)
        .step_by(16)
        .chain(std::iter::once(last))
        .fold(Choice::from(1), |same, at| {
            same & word(a, at).ct_eq(&word(b, at))
        })
        .into()
}

/// The signing key for `secret`, as [`with_key`] finds or makes it, for callers that keep
/// it past the call (the Python extension signs with the GIL released).
pub fn key(secret: &[u8]) -> Result<SigningKey, Error> {
    with_key(secret, |key| Ok(key.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::Component;

    #[test]
    fn a_changed_secret_is_never_served_the_cached_key() {
        let c = Component::request("C", "R", "2020-08-11T08:45:42Z", "/p", None);
        for secret in [&b"k1"[..], b"k2", b"k1", b"k1x", b"k"] {
            let cached = key(secret).unwrap().sign(&c).unwrap();
            assert_eq!(cached, SigningKey::new(secret).unwrap().sign(&c).unwrap());
        }
        assert_eq!(key(b"").unwrap_err().field(), Some("secret_key"));
    }

    #[test]
    fn secrets_are_compared_whole() {
        let long = b"0123456789abcdef0123456789abcdefXYZ0123456789";
        for len in 1..=long.len() {
            let secret = &long[..len];
            assert!(same_secret(secret, secret), "{len}");
            assert!(!same_secret(secret, &long[..len - 1]), "{len}");
            for i in 0..len {
                let mut other = secret.to_vec();
                other[i] ^= 1;
                assert!(!same_secret(secret, &other), "byte {i} of {len}");
            }
        }
    }
}
