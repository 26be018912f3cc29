//! `make bench`: sign and verify for 256 B, 1 KiB and 64 KiB bodies, each beside two peers
//! measured in the same run: the one-shot API (HMAC key set up per call) and the SHA-256
//! compression bound (hashing the same number of 64-byte blocks with the same sha2 code).
//! Prints ratios; never fails on speed.

use std::hint::black_box;
use std::time::Instant;

use doku::{signature, Component, SigningKey};
use sha2::{Digest, Sha256};

const SECRET: &[u8] = b"SK-vectors-0001-not-a-real-key";

/// Best-of-7 nanoseconds per call of `f`, each round sized to take roughly 50 ms.
fn ns_per_op(mut f: impl FnMut()) -> f64 {
    let mut iters = 1u64;
    loop {
        let t = Instant::now();
        for _ in 0..iters {
            f();
        }
        if t.elapsed().as_millis() >= 50 {
            break;
        }
        iters *= 2;
    }
    (0..7)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..iters {
                f();
            }
            t.elapsed().as_nanos() as f64 / iters as f64
        })
        .fold(f64::INFINITY, f64::min)
}

fn blocks(len: usize) -> usize {
    (len + 9).div_ceil(64)
}

fn main() {
    let key = SigningKey::new(SECRET).unwrap();
    // ns per compression block: hash 1 MiB with the same sha2 implementation.
    let big = vec![0x5au8; 1 << 20];
    let per_block = ns_per_op(|| {
        black_box(Sha256::digest(black_box(&big)));
    }) / blocks(big.len()) as f64;
    println!("SHA-256: {per_block:.1} ns per 64-byte block (sha2, this machine)");
    println!(
        "{:>8} {:>10} {:>10} {:>12} {:>8} {:>10} {:>12}",
        "body", "sign ns", "verify ns", "one-shot ns", "blocks", "bound ns", "sign/bound"
    );
    for size in [256usize, 1024, 64 * 1024] {
        let body: Vec<u8> = (0..size).map(|i| b"{\"abcdefgh\":12345}"[i % 18]).collect();
        let c = Component::request(
            "MCH-0001-10791114622547",
            "5b8e438f-fac1-4103-9e0e-ebfdc38b5acb",
            "2020-08-11T08:45:42Z",
            "/alfa-online-to-offline/v2/payment-code",
            Some(&body),
        );
        let sig = key.sign(&c).unwrap();
        let sign = ns_per_op(|| {
            black_box(key.sign(black_box(&c)).unwrap());
        });
        let verify = ns_per_op(|| {
            key.verify(black_box(&c), black_box(&sig)).unwrap();
        });
        let one_shot = ns_per_op(|| {
            black_box(signature::sign(black_box(SECRET), black_box(&c)).unwrap());
        });
        // Body digest + inner HMAC over the component (after the precomputed pad) + outer.
        let component_len = c.to_text().len();
        let n_blocks = blocks(size) + blocks(64 + component_len) - 1 + 1;
        let bound = n_blocks as f64 * per_block;
        println!(
            "{:>8} {:>10.0} {:>10.0} {:>12.0} {:>8} {:>10.0} {:>11.2}x",
            size,
            sign,
            verify,
            one_shot,
            n_blocks,
            bound,
            sign / bound
        );
        println!(
            "         precomputed key is {:.2}x faster than one-shot; verify/sign = {:.2}",
            one_shot / sign,
            verify / sign
        );
    }
}
