//! # doku-direct
//!
//! DOKU Non-SNAP Direct API for merchants, gateways and POS software: request signatures,
//! validated requests for the convenience-store (Alfa Group, Indomaret) and Indodana
//! channels, check status, notification and Direct Inquiry verification. One Rust core,
//! delivered as this crate, a C ABI (`libdoku`, `include/doku.h`), a Python package and a
//! `doku` command.
//!
//! ```
//! use doku::{Component, SigningKey};
//!
//! let key = SigningKey::new(b"SK-vectors-0001-not-a-real-key")?;
//! let body = br#"{}"#;
//! let component = Component::request(
//!     "MCH-0001-10791114622547",
//!     "r-1",
//!     "2026-01-01T00:00:00Z",
//!     "/checkout/v1/payment",
//!     Some(body),
//! );
//! let signature = key.sign(&component)?;
//! assert_eq!(signature, "HMACSHA256=0HKXELorsUGxQ137UFmUzvV9pVPl7glsf5SLBit+cgE=");
//! key.verify(&component, &signature)?;
//! # Ok::<(), doku::Error>(())
//! ```
//!
//! Layering: `signature`, `channel`, `validate`, `config`, `client`, `notification` and
//! `error` are the core (no `unsafe`, no global state). `ffi` converts C arguments and
//! calls the core; it decides nothing.

#![forbid(unsafe_op_in_unsafe_fn)]

/// cbindgen:ignore
pub mod channel;
/// cbindgen:ignore
pub mod client;
/// cbindgen:ignore
pub mod clock;
/// cbindgen:ignore
pub mod config;
/// cbindgen:ignore
pub mod error;
/// cbindgen:ignore
pub mod explain;
pub mod ffi;
/// cbindgen:ignore
pub mod key_cache;
/// cbindgen:ignore
pub mod notification;
/// cbindgen:ignore
pub mod notification_body;
/// cbindgen:ignore
mod resolver;
/// cbindgen:ignore
pub mod signature;
/// cbindgen:ignore
pub mod validate;

pub use channel::{Method, Operation, OperationTable};
pub use client::{Cancel, Client, RequestOptions, Response};
pub use clock::{Clock, FixedClock, RequestIds, SystemClock, UuidV4};
pub use config::{Config, LogEvent, LogHook, ResponseSignaturePolicy};
pub use error::{Error, ErrorKind, Result};
pub use notification::{
    inquiry_reply, verify_inquiry, verify_notification, Inquiry, InquiryAnswer, Notification,
    SignedReply, VerifyExtras, VerifyOptions,
};
pub use signature::{
    digest, Component, Keys, SigningKey, TimestampKind, MAX_BODY_BYTES, SIGNATURE_PREFIX,
};
pub use validate::Schema;

/// The library version, as in `Cargo.toml`.
///
/// cbindgen:ignore
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
