//! Notifications and Direct Inquiries from DOKU to the merchant (PROTOCOL.md 4).
//!
//! Verify first, parse second: the signature is checked over the raw bytes received, with
//! the merchant's own notification path as Request-Target (configured, never read from
//! the request: a proxy may rewrite paths). Parsing keeps every field, known or not.

use serde_json::{Map, Value};

use crate::clock::{self, Clock};
use crate::error::{Error, ErrorKind, Result};
use crate::signature::{check_request_target, Component, Keys, SigningKey};
use crate::validate;

/// How to verify an incoming notification or inquiry.
#[derive(Clone, Debug)]
pub struct VerifyOptions<'a> {
    /// Path of your Notification URL / Inquiry URL, e.g. `/payments/notifications`.
    pub path: &'a str,
    /// Your Client-Id; the `Client-Id` header must equal it.
    pub client_id: &'a str,
    /// Reject when `Request-Timestamp` is further than this from now, in seconds. `None`
    /// (the default) disables the check: DOKU retries for up to 12 hours.
    pub tolerance_secs: Option<u64>,
}

/// The four signed headers of a request, as DOKU writes their names.
pub const SIGNED_HEADER_NAMES: [&str; 4] =
    ["Client-Id", "Request-Id", "Request-Timestamp", "Signature"];

/// Why the signed headers cannot be read: one is missing, or appears more than once.
/// (The sandbox answers each with its own error code; see [`SignedHeaders::parse`].)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeaderProblem {
    Missing(&'static str),
    Repeated(&'static str),
}

impl From<HeaderProblem> for Error {
    fn from(p: HeaderProblem) -> Error {
        match p {
            HeaderProblem::Missing(name) => Error::invalid_input(
                format!("headers.{name}"),
                format!("header {name} is missing"),
            ),
            HeaderProblem::Repeated(name) => Error::invalid_input(
                format!("headers.{name}"),
                format!("header {name} appears more than once"),
            ),
        }
    }
}

/// The four signed headers of a DOKU -> merchant request, found case-insensitively.
/// `Debug` leaves the signature out.
#[derive(Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    pub client_id: String,
    pub request_id: String,
    pub timestamp: String,
    signature: String,
}

impl std::fmt::Debug for SignedHeaders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedHeaders")
            .field("client_id", &self.client_id)
            .field("request_id", &self.request_id)
            .field("timestamp", &self.timestamp)
            .finish_non_exhaustive()
    }
}

impl SignedHeaders {
    /// Picks `Client-Id`, `Request-Id`, `Request-Timestamp` and `Signature` out of any
    /// list of (name, value) pairs. A missing or repeated header is an `invalid_input`
    /// error naming it (`headers.Signature`).
    pub fn from_pairs<I, K, V>(headers: I) -> Result<Self>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        Ok(SignedHeaders::parse(headers)?)
    }

    /// [`SignedHeaders::from_pairs`] with the problem typed: the rule (names matched
    /// case-insensitively, values trimmed, each header exactly once) for every reader of
    /// signed headers, the sandbox included.
    pub fn parse<I, K, V>(headers: I) -> std::result::Result<Self, HeaderProblem>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        const NAMES: [&str; 4] = SIGNED_HEADER_NAMES;
        let mut found: [Option<String>; 4] = Default::default();
        for (k, v) in headers {
            if let Some(i) = NAMES
                .iter()
                .position(|n| n.eq_ignore_ascii_case(k.as_ref()))
            {
                if found[i].is_some() {
                    return Err(HeaderProblem::Repeated(NAMES[i]));
                }
                found[i] = Some(v.as_ref().trim().to_string());
            }
        }
        let mut take = |i: usize| found[i].take().ok_or(HeaderProblem::Missing(NAMES[i]));
        Ok(SignedHeaders {
            client_id: take(0)?,
            request_id: take(1)?,
            timestamp: take(2)?,
            signature: take(3)?,
        })
    }

    /// Checks Client-Id, optional freshness, then the signature over `body`.
    /// Returns the index of the key that matched (see [`Keys::verify`]).
    fn verify(
        &self,
        body: &[u8],
        keys: Keys<'_>,
        opts: &VerifyOptions<'_>,
        clock: &dyn Clock,
    ) -> Result<usize> {
        if self.client_id != opts.client_id {
            return Err(
                Error::signature_mismatch("the Client-Id header is not your Client-Id")
                    .with_field("headers.Client-Id")
                    .with_request_id(&self.request_id),
            );
        }
        if let Some(tol) = opts.tolerance_secs {
            let sent = clock::parse_timestamp(&self.timestamp, "headers.Request-Timestamp")?;
            if sent.abs_diff(clock.now_unix()) > tol {
                return Err(Error::signature_mismatch(format!(
                    "Request-Timestamp {} is more than {tol} s from now",
                    self.timestamp
                ))
                .with_field("headers.Request-Timestamp")
                .with_request_id(&self.request_id));
            }
        }
        // Your path is checked under its own name, so the component check never reports
        // it as a request_target that needs renaming.
        check_request_target(opts.path, "path")?;
        let component = Component::request(
            &self.client_id,
            &self.request_id,
            &self.timestamp,
            opts.path,
            Some(body),
        );
        keys.verify(&component, &self.signature)
            .map_err(|e| e.with_request_id(&self.request_id))
    }
}

/// A verified payment notification. `body` holds every field DOKU sent (unknown channels
/// and fields included); the other fields are the common part, lifted out for convenience.
#[derive(Clone, Debug, PartialEq)]
pub struct Notification {
    /// DOKU's Request-Id: the de-duplication key (the same on every retry).
    pub request_id: String,
    pub client_id: String,
    pub request_timestamp: String,
    pub service_id: Option<String>,
    pub acquirer_id: Option<String>,
    pub channel_id: Option<String>,
    /// `transaction.status`: SUCCESS or FAILED (or a status DOKU adds later).
    pub status: String,
    pub transaction_date: Option<String>,
    pub original_request_id: Option<String>,
    pub invoice_number: String,
    pub amount: Option<Value>,
    /// `online_to_offline_info.payment_code` for convenience-store notifications.
    pub payment_code: Option<String>,
    pub body: Value,
    /// Which of the keys given made the signature: 0 for the current key, 1 for the one
    /// before it, ... (never the key itself). Above 0 means DOKU still signs with a key you
    /// rotated away from.
    pub key_index: usize,
}

impl Notification {
    pub fn is_success(&self) -> bool {
        self.status == "SUCCESS"
    }

    /// The flat JSON shape used by the C ABI, Python and PHP.
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "request_id": self.request_id,
            "client_id": self.client_id,
            "request_timestamp": self.request_timestamp,
            "service_id": self.service_id,
            "acquirer_id": self.acquirer_id,
            "channel_id": self.channel_id,
            "status": self.status,
            "transaction_date": self.transaction_date,
            "original_request_id": self.original_request_id,
            "invoice_number": self.invoice_number,
            "amount": self.amount,
            "payment_code": self.payment_code,
            "body": self.body,
            "key_index": self.key_index,
        })
    }
}

/// Verifies a notification (headers + the raw body bytes as received) and parses it.
///
/// Errors: `invalid_input` (missing header, not JSON), `signature_mismatch` (wrong
/// Client-Id, stale timestamp when a tolerance is set, bad signature), `decode` (JSON
/// without `transaction.status` or `order.invoice_number`).
pub fn verify_notification<'k, I, K, V>(
    headers: I,
    body: &[u8],
    keys: impl Into<Keys<'k>>,
    opts: &VerifyOptions<'_>,
    clock: &dyn Clock,
) -> Result<Notification>
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: AsRef<str>,
{
    let h = SignedHeaders::from_pairs(headers)?;
    let key_index = h.verify(body, keys.into(), opts, clock)?;
    let value = validate::parse_received_json(body, "body")?;
    let root = object(&value, &h.request_id)?;
    let get = |a: &str, b: &str| -> Option<&Value> { root.get(a)?.get(b) };
    let text = |a: &str, b: &str| get(a, b).and_then(Value::as_str).map(str::to_string);
    let required = |a: &str, b: &str| {
        text(a, b).ok_or_else(|| {
            Error::new(
                ErrorKind::Decode,
                format!("the notification has no {a}.{b} string"),
            )
            .with_field(format!("{a}.{b}"))
            .with_request_id(&h.request_id)
        })
    };
    Ok(Notification {
        status: required("transaction", "status")?,
        invoice_number: required("order", "invoice_number")?,
        service_id: text("service", "id"),
        acquirer_id: text("acquirer", "id"),
        channel_id: text("channel", "id"),
        transaction_date: text("transaction", "date"),
        original_request_id: text("transaction", "original_request_id"),
        amount: get("order", "amount").cloned(),
        payment_code: text("online_to_offline_info", "payment_code"),
        request_id: h.request_id,
        client_id: h.client_id,
        request_timestamp: h.timestamp,
        body: value,
        key_index,
    })
}

fn object<'v>(value: &'v Value, request_id: &str) -> Result<&'v Map<String, Value>> {
    value.as_object().ok_or_else(|| {
        Error::new(ErrorKind::Decode, "the body must be a JSON object")
            .with_field("body")
            .with_request_id(request_id)
    })
}

/// A verified Direct Inquiry (DIPC): DOKU asks the merchant about a payment code.
#[derive(Clone, Debug, PartialEq)]
pub struct Inquiry {
    pub request_id: String,
    pub client_id: String,
    pub request_timestamp: String,
    pub payment_code: String,
    pub body: Value,
    /// Which of the keys given made the signature (as [`Notification::key_index`]).
    pub key_index: usize,
}

impl Inquiry {
    /// `{"request_id", "client_id", "request_timestamp", "payment_code", "body"}`.
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "request_id": self.request_id,
            "client_id": self.client_id,
            "request_timestamp": self.request_timestamp,
            "payment_code": self.payment_code,
            "body": self.body,
            "key_index": self.key_index,
        })
    }

    /// Reads back the shape of [`Inquiry::to_json`] (bindings hand it back for the reply).
    pub fn from_json(json: &str) -> Result<Self> {
        let v = validate::parse_json(json.as_bytes(), "inquiry")?;
        let text = |k: &str| {
            v.get(k)
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| {
                    Error::invalid_input(
                        format!("inquiry.{k}"),
                        format!("inquiry.{k} must be a string"),
                    )
                })
        };
        Ok(Inquiry {
            request_id: text("request_id")?,
            client_id: text("client_id")?,
            request_timestamp: text("request_timestamp")?,
            payment_code: text("payment_code")?,
            body: v.get("body").cloned().unwrap_or(Value::Null),
            key_index: match v.get("key_index") {
                None | Some(Value::Null) => 0,
                Some(k) => k
                    .as_u64()
                    .and_then(|k| usize::try_from(k).ok())
                    .ok_or_else(|| {
                        Error::invalid_input(
                            "inquiry.key_index",
                            "inquiry.key_index must be a non-negative integer",
                        )
                    })?,
            },
        })
    }
}

/// Verifies an inquiry (signed like a notification, with your Inquiry URL's path) and
/// parses it; `online_to_offline_info.payment_code` is required.
pub fn verify_inquiry<'k, I, K, V>(
    headers: I,
    body: &[u8],
    keys: impl Into<Keys<'k>>,
    opts: &VerifyOptions<'_>,
    clock: &dyn Clock,
) -> Result<Inquiry>
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: AsRef<str>,
{
    let h = SignedHeaders::from_pairs(headers)?;
    let key_index = h.verify(body, keys.into(), opts, clock)?;
    let value = validate::parse_received_json(body, "body")?;
    let payment_code = object(&value, &h.request_id)?
        .get("online_to_offline_info")
        .and_then(|o| o.get("payment_code"))
        .and_then(Value::as_str)
        .ok_or_else(|| {
            Error::new(
                ErrorKind::Decode,
                "the inquiry has no online_to_offline_info.payment_code string",
            )
            .with_field("online_to_offline_info.payment_code")
            .with_request_id(&h.request_id)
        })?
        .to_string();
    Ok(Inquiry {
        request_id: h.request_id,
        client_id: h.client_id,
        request_timestamp: h.timestamp,
        payment_code,
        body: value,
        key_index,
    })
}

/// What the merchant answers to an inquiry.
#[derive(Clone, Debug, PartialEq)]
pub struct InquiryAnswer<'a> {
    pub invoice_number: &'a str,
    pub amount: u64,
    /// `online_to_offline_inquiry.status`, e.g. `success`, `not_found`, `paid`, `expired`.
    pub status: &'a str,
}

impl<'a> InquiryAnswer<'a> {
    /// Reads `{"invoice_number": "...", "amount": 150000, "status": "success"}`, the
    /// answer as the C (`answer_json`) and Python (keyword arguments) surfaces pass it; a
    /// missing or mistyped field is `invalid_input` naming `answer.<field>`.
    pub fn from_json(answer: &'a Value) -> Result<InquiryAnswer<'a>> {
        let text = |name: &str| -> Result<&'a str> {
            answer.get(name).and_then(Value::as_str).ok_or_else(|| {
                Error::invalid_input(
                    format!("answer.{name}"),
                    format!("answer.{name} must be a string"),
                )
            })
        };
        let amount = answer
            .get("amount")
            .and_then(Value::as_u64)
            .ok_or_else(|| {
                Error::invalid_input(
                    "answer.amount",
                    "answer.amount must be a non-negative integer (IDR)",
                )
            })?;
        Ok(InquiryAnswer {
            invoice_number: text("invoice_number")?,
            amount,
            status: text("status")?,
        })
    }
}

/// Request headers given as JSON (the C surface's `headers_json`): an object
/// `{"Name": "value"}` or an array of `["Name", "value"]` pairs, as received.
pub fn headers_from_json(json: &str) -> Result<Vec<(String, String)>> {
    let v = crate::validate::parse_json(json.as_bytes(), "headers_json")?;
    let bad = || {
        Error::invalid_input(
            "headers_json",
            "headers_json must be an object of strings or an array of [name, value] string pairs",
        )
    };
    match v {
        Value::Object(map) => map
            .into_iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k, s)),
                _ => Err(bad()),
            })
            .collect(),
        Value::Array(items) => items
            .into_iter()
            .map(|item| match item.as_array().map(Vec::as_slice) {
                Some([Value::String(k), Value::String(v)]) => Ok((k.clone(), v.clone())),
                _ => Err(bad()),
            })
            .collect(),
        _ => Err(bad()),
    }
}

/// The verification options a binding passes as JSON (the C surface's `options_json`):
/// `{"tolerance_secs": N, "previous_secret_keys": ["...", ...]}`, both optional.
#[derive(Clone, Debug, Default)]
pub struct VerifyExtras {
    /// See [`VerifyOptions::tolerance_secs`].
    pub tolerance_secs: Option<u64>,
    /// Keys accepted besides the current one, newest first, while a key rotation is in
    /// progress (see [`Keys`]).
    pub previous_keys: Vec<SigningKey>,
}

impl VerifyExtras {
    /// Parses the options; `None` (no JSON) is the defaults. Unknown keys are refused; a
    /// previous key that is not a non-empty string is `invalid_input` naming its index
    /// (`options.previous_secret_keys[1]`), never its value.
    pub fn from_json(json: Option<&str>) -> Result<VerifyExtras> {
        const KNOWN: &str = "tolerance_secs, previous_secret_keys";
        let Some(json) = json else {
            return Ok(VerifyExtras::default());
        };
        let v = crate::validate::parse_json(json.as_bytes(), "options_json")?;
        let Some(obj) = v.as_object() else {
            return Err(Error::invalid_input(
                "options_json",
                "options_json must be an object",
            ));
        };
        if let Some(k) = obj
            .keys()
            .find(|k| !["tolerance_secs", "previous_secret_keys"].contains(&k.as_str()))
        {
            return Err(Error::invalid_input(
                format!("options.{k}"),
                format!("unknown option {k:?}; known options: {KNOWN}"),
            ));
        }
        let tolerance_secs = match obj.get("tolerance_secs") {
            None | Some(Value::Null) => None,
            Some(t) => Some(t.as_u64().ok_or_else(|| {
                Error::invalid_input(
                    "options.tolerance_secs",
                    "tolerance_secs must be a non-negative integer",
                )
            })?),
        };
        let previous_keys = match obj.get("previous_secret_keys") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(keys)) => keys
                .iter()
                .enumerate()
                .map(|(i, k)| {
                    previous_key(
                        k.as_str().map(str::as_bytes),
                        &format!("options.previous_secret_keys[{i}]"),
                    )
                })
                .collect::<Result<_>>()?,
            Some(_) => {
                return Err(Error::invalid_input(
                    "options.previous_secret_keys",
                    "previous_secret_keys must be an array of strings",
                ))
            }
        };
        Ok(VerifyExtras {
            tolerance_secs,
            previous_keys,
        })
    }

    /// The keys to verify with: `current`, then the previous ones.
    pub fn keys<'a>(&'a self, current: &'a SigningKey) -> Keys<'a> {
        Keys::new(current, &self.previous_keys)
    }
}

/// A previous key of a rotation, from the bytes a binding was given (`None` when they
/// were not a string); the error names `field` (the argument and index), never the value.
pub fn previous_key(secret: Option<&[u8]>, field: &str) -> Result<SigningKey> {
    match secret {
        Some(s) if !s.is_empty() => SigningKey::new(s),
        _ => Err(Error::invalid_input(
            field,
            format!("{field} must be a non-empty string"),
        )),
    }
}

/// The signed reply to an inquiry: send `headers` and exactly `body`.
#[derive(Clone, PartialEq, Eq)]
pub struct SignedReply {
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl std::fmt::Debug for SignedReply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedReply")
            .field("body", &self.body)
            .finish_non_exhaustive()
    }
}

impl SignedReply {
    pub fn to_json(&self) -> Value {
        let headers: Map<String, Value> = self
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        serde_json::json!({ "headers": headers, "body": self.body })
    }
}

/// Builds and signs the reply to `inquiry` (signed as a response: Response-Timestamp,
/// the inquiry's Client-Id and Request-Id, your Inquiry URL path as Request-Target).
pub fn inquiry_reply(
    inquiry: &Inquiry,
    answer: &InquiryAnswer<'_>,
    key: &SigningKey,
    inquiry_path: &str,
    clock: &dyn Clock,
) -> Result<SignedReply> {
    let body = serde_json::json!({
        "order": { "invoice_number": answer.invoice_number, "amount": answer.amount },
        "online_to_offline_info": { "payment_code": inquiry.payment_code },
        "online_to_offline_inquiry": { "status": answer.status },
    });
    // The same field rules as requests, reported against the caller's argument names.
    crate::validate::Schema::InquiryReply
        .validate(&body)
        .map_err(|e| {
            let field = match e.field() {
                Some("order.invoice_number") => "answer.invoice_number",
                Some("order.amount") => "answer.amount",
                _ => "answer.status",
            };
            let message = e.message().replace(e.field().unwrap_or_default(), field);
            Error::invalid_input(field, message)
        })?;
    let body = body.to_string();
    check_request_target(inquiry_path, "inquiry_path")?;
    let ts = clock::format_timestamp(clock.now_unix());
    let component = Component::response(
        &inquiry.client_id,
        &inquiry.request_id,
        &ts,
        inquiry_path,
        Some(body.as_bytes()),
    );
    let signature = key.sign(&component)?;
    Ok(SignedReply {
        headers: vec![
            ("Client-Id".into(), inquiry.client_id.clone()),
            ("Request-Id".into(), inquiry.request_id.clone()),
            ("Response-Timestamp".into(), ts),
            ("Signature".into(), signature),
            ("Content-Type".into(), "application/json".into()),
        ],
        body,
    })
}
