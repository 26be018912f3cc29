//! DOKU-style error bodies (policy 1): `{"error": {"code", "message", "type"[, "field"]}}`.

use serde_json::json;

/// The `error.type` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorType {
    InvalidRequest,
    Authentication,
    Api,
}

impl ErrorType {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorType::InvalidRequest => "invalid_request_error",
            ErrorType::Authentication => "authentication_error",
            ErrorType::Api => "api_error",
        }
    }
}

/// One error answer: HTTP status and body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub code: &'static str,
    pub kind: ErrorType,
    pub message: String,
    pub field: Option<String>,
    /// The component the sandbox signed, for a wrong signature: in a field of its own,
    /// never in the message (a client quotes messages into exceptions and logs; the
    /// component stays in the raw body, for a developer to compare).
    pub component: Option<String>,
}

impl ApiError {
    pub fn new(
        status: u16,
        code: &'static str,
        kind: ErrorType,
        message: impl Into<String>,
    ) -> Self {
        ApiError {
            status,
            code,
            kind,
            message: message.into(),
            field: None,
            component: None,
        }
    }

    /// 400 `invalid_request_error`.
    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::new(400, code, ErrorType::InvalidRequest, message)
    }

    /// 401 `authentication_error`.
    pub fn auth(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::new(401, code, ErrorType::Authentication, message)
    }

    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::new(404, code, ErrorType::InvalidRequest, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        ApiError::new(500, "internal_error", ErrorType::Api, message)
    }

    pub fn with_component(mut self, component: String) -> Self {
        self.component = Some(component);
        self
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn missing_header(name: &str) -> Self {
        ApiError::invalid(
            "missing_header",
            format!(
                "header {name} is missing; every request carries Client-Id, Request-Id, \
                 Request-Timestamp and Signature"
            ),
        )
        .with_field(format!("headers.{name}"))
    }

    pub fn method_not_allowed(method: &str, path: &str, allowed: &str) -> Self {
        ApiError::new(
            405,
            "method_not_allowed",
            ErrorType::InvalidRequest,
            format!("{method} is not allowed on {path}; use {allowed}"),
        )
    }

    pub fn unknown_path(method: &str, path: &str) -> Self {
        ApiError::not_found(
            "not_found",
            format!("no endpoint {method} {path} in the DOKU sandbox"),
        )
    }

    pub fn body_too_large(limit: usize) -> Self {
        ApiError::new(
            413,
            "body_too_large",
            ErrorType::InvalidRequest,
            format!("the request body is larger than {limit} bytes"),
        )
    }

    /// The JSON body.
    pub fn body(&self) -> Vec<u8> {
        let mut error = json!({
            "code": self.code,
            "message": self.message,
            "type": self.kind.as_str(),
        });
        if let Some(f) = &self.field {
            error["field"] = json!(f);
        }
        if let Some(c) = &self.component {
            error["component"] = json!(c);
        }
        serde_json::to_vec(&json!({ "error": error })).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_shape() {
        let e = ApiError::invalid("invalid_field", "order.amount is required")
            .with_field("order.amount");
        let v: serde_json::Value = serde_json::from_slice(&e.body()).unwrap();
        assert_eq!(v["error"]["code"], "invalid_field");
        assert_eq!(v["error"]["type"], "invalid_request_error");
        assert_eq!(v["error"]["field"], "order.amount");
        assert_eq!(ApiError::auth("x", "y").status, 401);
    }
}
