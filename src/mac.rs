//! HMAC-SHA256 and SHA-256 for short messages, driven straight from `sha2::compress256`.
//!
//! A DOKU signature is 12 to 13 compression blocks of real work (PROTOCOL.md 2), and the
//! general-purpose wrappers (`hmac` + `digest` block buffers, cloning, finalisation)
//! cost a third of that again. Here the key's inner and outer states are computed once,
//! messages are padded in a stack buffer, and each block goes to the (SHA-NI when
//! available) compression function directly. Unit tests compare every path against the
//! `hmac`/`sha2` crates.

use sha2::digest::generic_array::GenericArray;
use sha2::{Digest, Sha256};

const IV: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/// Runs the compression function over `data`, whose length is a multiple of 64, block
/// by block straight from the caller's memory (no copy).
fn compress(state: &mut [u32; 8], data: &[u8]) {
    debug_assert_eq!(data.len() % 64, 0);
    for block in data.chunks_exact(64) {
        sha2::compress256(state, std::slice::from_ref(GenericArray::from_slice(block)));
    }
}

fn to_bytes(state: &[u32; 8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (dst, word) in out.chunks_exact_mut(4).zip(state) {
        dst.copy_from_slice(&word.to_be_bytes());
    }
    out
}

/// Writes SHA-256 padding for a message of `total_len` bytes whose last `rest` bytes
/// already stand at the start of `buf`; returns the padded length (64 or 128).
fn pad(buf: &mut [u8], rest: usize, total_len: usize) -> usize {
    let n = if rest < 56 { 64 } else { 128 };
    buf[rest] = 0x80;
    buf[rest + 1..n - 8].fill(0);
    buf[n - 8..n].copy_from_slice(&((total_len as u64) * 8).to_be_bytes());
    n
}

/// Finishes a hash: `state` has absorbed `prefix_len` bytes in whole blocks; `tail` is
/// the rest of the message (any length), padded here.
fn finish(mut state: [u32; 8], prefix_len: usize, tail: &[u8]) -> [u8; 32] {
    let full = tail.len() / 64 * 64;
    compress(&mut state, &tail[..full]);
    let rest = tail.len() - full;
    let mut buf = [0u8; 128];
    buf[..rest].copy_from_slice(&tail[full..]);
    let n = pad(&mut buf, rest, prefix_len + tail.len());
    compress(&mut state, &buf[..n]);
    to_bytes(&state)
}

/// Capacity of a [`MessageBuf`]: a component of up to `MESSAGE_MAX` bytes plus padding.
pub const MESSAGE_MAX: usize = 384;

/// A stack buffer holding a message with room to pad it in place.
pub struct MessageBuf {
    bytes: [u8; MESSAGE_MAX + 72],
    len: usize,
}

impl MessageBuf {
    pub fn new() -> Self {
        MessageBuf {
            bytes: [0; MESSAGE_MAX + 72],
            len: 0,
        }
    }

    /// Appends `part`; `false` (and nothing appended) when it would pass `MESSAGE_MAX`.
    pub fn push(&mut self, part: &[u8]) -> bool {
        match self.bytes[..MESSAGE_MAX].get_mut(self.len..self.len + part.len()) {
            Some(dst) => {
                dst.copy_from_slice(part);
                self.len += part.len();
                true
            }
            None => false,
        }
    }
}

/// An HMAC-SHA256 key with its inner and outer pad states precomputed.
#[derive(Clone)]
pub struct HmacKey {
    inner: [u32; 8],
    outer: [u32; 8],
}

impl HmacKey {
    pub fn new(key: &[u8]) -> Self {
        let mut block = [0u8; 64];
        if key.len() > 64 {
            block[..32].copy_from_slice(&Sha256::digest(key));
        } else {
            block[..key.len()].copy_from_slice(key);
        }
        let pad = |byte: u8| {
            let mut state = IV;
            let padded: Vec<u8> = block.iter().map(|b| b ^ byte).collect();
            compress(&mut state, &padded);
            state
        };
        HmacKey {
            inner: pad(0x36),
            outer: pad(0x5c),
        }
    }

    /// HMAC of `message`.
    pub fn mac(&self, message: &[u8]) -> [u8; 32] {
        self.outer_mac(finish(self.inner, 64, message))
    }

    /// HMAC of the message in `buf`, padded in place (no copy of the message).
    pub fn mac_buf(&self, buf: &mut MessageBuf) -> [u8; 32] {
        let mut state = self.inner;
        let full = buf.len / 64 * 64;
        compress(&mut state, &buf.bytes[..full]);
        let n = pad(&mut buf.bytes[full..], buf.len - full, 64 + buf.len);
        compress(&mut state, &buf.bytes[full..full + n]);
        self.outer_mac(to_bytes(&state))
    }

    fn outer_mac(&self, inner: [u8; 32]) -> [u8; 32] {
        let mut block = [0u8; 64];
        block[..32].copy_from_slice(&inner);
        pad(&mut block, 32, 64 + 32);
        let mut state = self.outer;
        compress(&mut state, &block);
        to_bytes(&state)
    }
}

/// Compares two byte strings in time that depends only on their lengths (the MAC length
/// is public), never on where they differ.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let word = |c: &[u8]| u64::from_le_bytes(c.try_into().expect("8 bytes"));
    let (wa, wb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail = wa
        .remainder()
        .iter()
        .zip(wb.remainder())
        .fold(0u64, |acc, (x, y)| acc | u64::from(x ^ y));
    let diff = wa
        .zip(wb)
        .fold(tail, |acc, (x, y)| acc | (word(x) ^ word(y)));
    std::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use hmac::{Hmac, Mac};

    #[test]
    fn ct_eq_compares_whole_strings() {
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"ab"));
        let long = b"0123456789abcdefXYZ";
        for i in 0..long.len() {
            let mut other = *long;
            other[i] ^= 1;
            assert!(!ct_eq(long, &other), "{i}");
        }
        assert!(ct_eq(long, long));
    }

    #[test]
    fn finish_pads_like_sha2_at_every_length() {
        let data: Vec<u8> = (0..300u32).map(|i| (i * 7 + 3) as u8).collect();
        for len in 0..data.len() {
            assert_eq!(
                finish(IV, 0, &data[..len])[..],
                Sha256::digest(&data[..len])[..],
                "{len}"
            );
        }
    }

    #[test]
    fn hmac_matches_the_hmac_crate_for_short_and_long_keys() {
        let msg: Vec<u8> = (0..200u32).map(|i| (i * 13 + 1) as u8).collect();
        for key_len in [1usize, 20, 63, 64, 65, 100] {
            let key: Vec<u8> = (0..key_len).map(|i| i as u8 ^ 0xa5).collect();
            let ours = HmacKey::new(&key);
            for len in [0usize, 1, 55, 56, 63, 64, 119, 120, 200] {
                let mut theirs = Hmac::<Sha256>::new_from_slice(&key).unwrap();
                theirs.update(&msg[..len]);
                let expected = theirs.finalize().into_bytes();
                assert_eq!(
                    ours.mac(&msg[..len])[..],
                    expected[..],
                    "key {key_len}, msg {len}"
                );
                let mut buf = MessageBuf::new();
                assert!(buf.push(&msg[..len]));
                assert_eq!(
                    ours.mac_buf(&mut buf)[..],
                    expected[..],
                    "buf {key_len}, {len}"
                );
            }
        }
    }
}
