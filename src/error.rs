//! One error type for the whole library, with a stable, snake_case `ErrorKind`.
//!
//! The same fields travel to every surface: the C last-error JSON, Python exceptions
//! and PHP exceptions are built from [`Error::to_json`]. Messages never contain the
//! secret key, a signature or a signing component.

use std::fmt;

/// What went wrong, as a stable name (`ErrorKind::as_str`) that bindings map to their
/// own exception types. New kinds may be added; existing names never change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// An argument is missing, not UTF-8, not JSON, too large or otherwise unusable.
    InvalidInput,
    /// A request body breaks a field rule (PROTOCOL.md 3.1). `field` names the path.
    Validation,
    /// A signature did not verify (wrong secret, wrong component, wrong prefix).
    SignatureMismatch,
    /// DOKU answered with an error status. `http_status`, `request_id`, `body` are set.
    Api,
    /// No answer in time: the outcome is unknown; reconcile with check status.
    Timeout,
    /// The connection failed or broke before a complete answer arrived.
    Transport,
    /// DOKU's answer could not be read (not JSON, not the expected shape).
    Decode,
    /// The client configuration is unusable.
    Config,
    /// A bug inside the library was caught at the C or Python boundary.
    Panic,
}

impl ErrorKind {
    /// The stable snake_case name used in JSON and by the bindings.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidInput => "invalid_input",
            ErrorKind::Validation => "validation",
            ErrorKind::SignatureMismatch => "signature_mismatch",
            ErrorKind::Api => "api",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Transport => "transport",
            ErrorKind::Decode => "decode",
            ErrorKind::Config => "config",
            ErrorKind::Panic => "panic",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The library's error. Build it with the constructors, add context with the `with_*`
/// methods, read it with the accessors.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    field: Option<String>,
    http_status: Option<u16>,
    request_id: Option<String>,
    body: Option<String>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A new error of `kind` with a human-readable message.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            field: None,
            http_status: None,
            request_id: None,
            body: None,
        }
    }

    /// An unusable argument; `field` names it (`secret_key`, `body`, `headers.Signature`).
    pub fn invalid_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidInput, message).with_field(field)
    }

    /// A broken field rule; `field` is the JSON path (`order.line_items[1].price`).
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Validation, message).with_field(field)
    }

    /// An unusable configuration entry.
    pub fn config(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Config, message).with_field(field)
    }

    pub fn signature_mismatch(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::SignatureMismatch, message)
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn with_http_status(mut self, status: u16) -> Self {
        self.http_status = Some(status);
        self
    }

    pub fn with_request_id(mut self, request_id: impl Into<String>) -> Self {
        self.request_id = Some(request_id.into());
        self
    }

    /// The raw body DOKU answered with (kept lossless as text; invalid UTF-8 is replaced).
    /// Appends `suffix` to the message (a diagnosis the caller can act on).
    pub fn with_message_suffix(mut self, suffix: &str) -> Self {
        self.message.push_str(suffix);
        self
    }

    pub fn with_body(mut self, body: impl Into<String>) -> Self {
        self.body = Some(body.into());
        self
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }
    pub fn message(&self) -> &str {
        &self.message
    }
    pub fn field(&self) -> Option<&str> {
        self.field.as_deref()
    }
    pub fn http_status(&self) -> Option<u16> {
        self.http_status
    }
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }
    pub fn body(&self) -> Option<&str> {
        self.body.as_deref()
    }

    /// `{"kind", "message", "field", "http_status", "request_id", "body"}`: the shape of the
    /// C last-error JSON and of the exception attributes in Python and PHP.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "kind": self.kind.as_str(),
            "message": self.message,
            "field": self.field,
            "http_status": self.http_status,
            "request_id": self.request_id,
            "body": self.body,
        })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) if !self.message.starts_with(field.as_str()) => {
                write!(f, "{}: {}", field, self.message)
            }
            _ => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_carries_every_field() {
        let e = Error::new(ErrorKind::Api, "invoice already used")
            .with_http_status(400)
            .with_request_id("r-1")
            .with_body("{}")
            .with_field("order.invoice_number");
        let j = e.to_json();
        assert_eq!(j["kind"], "api");
        assert_eq!(j["http_status"], 400);
        assert_eq!(j["request_id"], "r-1");
        assert_eq!(j["body"], "{}");
        assert_eq!(j["field"], "order.invoice_number");
        assert_eq!(e.to_string(), "order.invoice_number: invoice already used");
    }

    #[test]
    fn kind_names_are_stable() {
        let all = [
            (ErrorKind::InvalidInput, "invalid_input"),
            (ErrorKind::Validation, "validation"),
            (ErrorKind::SignatureMismatch, "signature_mismatch"),
            (ErrorKind::Api, "api"),
            (ErrorKind::Timeout, "timeout"),
            (ErrorKind::Transport, "transport"),
            (ErrorKind::Decode, "decode"),
            (ErrorKind::Config, "config"),
            (ErrorKind::Panic, "panic"),
        ];
        for (k, s) in all {
            assert_eq!(k.as_str(), s);
        }
    }
}
