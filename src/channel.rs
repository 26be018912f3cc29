//! The operation table: operation name -> HTTP method, path and body schema.
//!
//! This is data, in one place, and a caller can override any path (DOKU has renamed paths
//! before: one page calls the Alfa endpoint `/alfa-virtual-account/v2/payment-code`).

use crate::error::{Error, Result};
use crate::validate::Schema;
use serde_json::Value;

/// HTTP method of an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }

    /// Parses `GET` / `POST` (case-insensitive); anything else names `method`.
    pub fn parse(s: &str) -> Result<Method> {
        match s.to_ascii_uppercase().as_str() {
            "GET" => Ok(Method::Get),
            "POST" => Ok(Method::Post),
            _ => Err(Error::invalid_input(
                "method",
                format!("method must be GET or POST (got {s:?})"),
            )),
        }
    }
}

/// One DOKU operation. For GET operations the path holds `{id}`, replaced by the
/// (percent-encoded) id of the order being looked up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operation {
    pub name: &'static str,
    pub method: Method,
    pub path: String,
    pub schema: Option<Schema>,
}

pub const ALFA_PAYMENT_CODE: &str = "alfa_payment_code";
pub const INDOMARET_PAYMENT_CODE: &str = "indomaret_payment_code";
pub const INDODANA_GENERATE_ORDER: &str = "indodana_generate_order";
pub const CHECK_STATUS: &str = "check_status";

/// Default paths (PROTOCOL.md 3).
pub const DEFAULT_OPERATIONS: [(&str, Method, &str, Option<Schema>); 4] = [
    (
        ALFA_PAYMENT_CODE,
        Method::Post,
        "/alfa-online-to-offline/v2/payment-code",
        Some(Schema::AlfaPaymentCode),
    ),
    (
        INDOMARET_PAYMENT_CODE,
        Method::Post,
        "/indomaret-online-to-offline/v2/payment-code",
        Some(Schema::IndomaretPaymentCode),
    ),
    (
        INDODANA_GENERATE_ORDER,
        Method::Post,
        "/indodana-peer-to-peer/v2/generate-order",
        Some(Schema::IndodanaGenerateOrder),
    ),
    (CHECK_STATUS, Method::Get, "/orders/v1/status/{id}", None),
];

/// The table of operations a client knows. `OperationTable::default()` holds the seeds'
/// operations; [`OperationTable::set_path`] overrides a path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OperationTable {
    ops: Vec<Operation>,
}

impl Default for OperationTable {
    fn default() -> Self {
        OperationTable {
            ops: DEFAULT_OPERATIONS
                .iter()
                .map(|&(name, method, path, schema)| Operation {
                    name,
                    method,
                    path: path.to_string(),
                    schema,
                })
                .collect(),
        }
    }
}

impl OperationTable {
    /// What every surface checks before sending operation `name`: the body parsed strictly
    /// (JSON, no repeated key; errors name `request` with line and column) and, for a POST
    /// operation, its field rules (errors name the JSON path); a GET operation
    /// (`check_status`) takes `{"id": "..."}`. `Client::call`, C's `doku_validate` and
    /// Python's `doku_direct.validate` all call this. Returns the operation and the value.
    pub fn check_request(&self, name: &str, body: &[u8]) -> Result<(&Operation, Value)> {
        let op = self.get(name)?;
        let value = crate::validate::parse_json(body, "request")?;
        self.check_value(op, &value)?;
        Ok((op, value))
    }

    /// [`OperationTable::check_request`] for a body already held as a value.
    pub fn check_value(&self, op: &Operation, value: &Value) -> Result<()> {
        match op.method {
            Method::Get => match value.get("id").and_then(Value::as_str) {
                Some(id) => crate::validate::check_status_id(id)?,
                None => {
                    return Err(Error::invalid_input(
                        "id",
                        format!("{} takes {{\"id\": \"...\"}}", op.name),
                    ))
                }
            },
            Method::Post => {
                if let Some(schema) = &op.schema {
                    schema.validate(value)?;
                }
            }
        }
        Ok(())
    }

    /// The operation called `name`, or an `invalid_input` error naming `operation` and
    /// listing the known names.
    pub fn get(&self, name: &str) -> Result<&Operation> {
        self.ops.iter().find(|o| o.name == name).ok_or_else(|| {
            Error::invalid_input(
                "operation",
                format!(
                    "unknown operation {name:?}; known operations: {}",
                    self.names().join(", ")
                ),
            )
        })
    }

    /// Replaces the path of operation `name`. The path must start with `/`, and a GET
    /// path must contain `{id}`.
    pub fn set_path(&mut self, name: &str, path: &str) -> Result<()> {
        let field = format!("paths.{name}");
        // The Request-Target rule of every signed request (a GET path's {id} is allowed:
        // it is replaced by a percent-encoded segment).
        crate::signature::check_request_target(path, &field)
            .map_err(|e| Error::config(field.clone(), e.message()))?;
        let op = self
            .ops
            .iter_mut()
            .find(|o| o.name == name)
            .ok_or_else(|| Error::config(field.clone(), format!("unknown operation {name:?}")))?;
        if op.method == Method::Get && !path.contains("{id}") {
            return Err(Error::config(field, "a GET path must contain {id}"));
        }
        op.path = path.to_string();
        Ok(())
    }

    pub fn names(&self) -> Vec<&'static str> {
        self.ops.iter().map(|o| o.name).collect()
    }
}

/// The bytes an id keeps as they are in its path segment: the RFC 3986 unreserved set
/// `A-Z a-z 0-9 - . _ ~`. Everything else (including every non-ASCII byte) is escaped.
const SEGMENT_KEEPS: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes an id for use as one path segment (`/orders/v1/status/{id}`): every
/// byte outside `A-Z a-z 0-9 - . _ ~` is encoded (`%2F`, upper-case hex), so an id can
/// never add a path segment, a query or a line break to the signed Request-Target.
pub fn encode_path_segment(id: &str) -> String {
    percent_encoding::utf8_percent_encode(id, SEGMENT_KEEPS).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn default_table_and_override() {
        let mut t = OperationTable::default();
        assert_eq!(
            t.get(ALFA_PAYMENT_CODE).unwrap().path,
            "/alfa-online-to-offline/v2/payment-code"
        );
        t.set_path(ALFA_PAYMENT_CODE, "/alfa-virtual-account/v2/payment-code")
            .unwrap();
        assert_eq!(
            t.get(ALFA_PAYMENT_CODE).unwrap().path,
            "/alfa-virtual-account/v2/payment-code"
        );
        assert_eq!(t.get("nope").unwrap_err().field(), Some("operation"));
        assert_eq!(
            t.set_path(CHECK_STATUS, "/orders/status")
                .unwrap_err()
                .kind(),
            ErrorKind::Config
        );
        assert!(t.set_path(ALFA_PAYMENT_CODE, "no-slash").is_err());
    }

    #[test]
    fn ids_cannot_escape_their_segment() {
        assert_eq!(encode_path_segment("INV-1_a.b~"), "INV-1_a.b~");
        assert_eq!(encode_path_segment("a/b?c\n"), "a%2Fb%3Fc%0A");
        // Exactly the unreserved ASCII bytes stay; every other byte is escaped.
        let all: String = (0u8..0x80).map(char::from).chain(['é']).collect();
        let kept: String = all
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || "-._~".contains(*c))
            .collect();
        let encoded = encode_path_segment(&all);
        assert_eq!(
            encoded.replace(|c: char| c != '%', "").len(),
            0x80 - kept.len() + 2
        );
        assert_eq!(
            percent_encoding::percent_decode_str(&encoded)
                .decode_utf8()
                .unwrap(),
            all
        );
        assert!(encoded.ends_with("%C3%A9"));
    }
}
