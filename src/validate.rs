//! Local validation of request bodies before anything is sent (PROTOCOL.md 3.1).
//!
//! The rules are data: one [`FieldRule`] per field, in the order they are checked, so the
//! first error is deterministic and every error names the JSON path (with array indices,
//! `order.line_items[1].price`) and the rule it broke. Cross-field rules (the Indodana
//! line-item sum) are small functions after the table.
//!
//! Seed-table errors deliberately **not** enforced (PROTOCOL.md 3.1, last paragraph):
//! Indodana `customer.email` max 16 (we use 128), Indodana address fields typed `number`
//! (they are strings), and the `line_items[].category` enum (unknown categories pass).
//!
//! Numbers may also come as JSON strings of digits (`"amount":"150000"`): DOKU's own
//! PrestaShop plugin sends them so. [`Rule::Int`] and [`Rule::Decimal`] accept both forms
//! with the same limits, and [`int_value`] is how anything reading a validated body gets
//! the number back, whichever form was sent.

use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// What a field must look like.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// A JSON object.
    Object,
    /// A non-empty JSON array.
    NonEmptyArray,
    /// A string of at most `max` characters (Unicode scalar values), not empty.
    Str { max: usize },
    /// An integer `>= min` with at most `max_digits` digits: a JSON number without a
    /// fraction (`150000`), or a JSON string of 1 to `max_digits` ASCII digits
    /// (`"150000"`; no sign, space, point or exponent). Read it with [`int_value`].
    Int { min: u64, max_digits: u32 },
    /// A non-negative decimal with at most `int_digits` digits before the point and
    /// `frac_digits` after it (`16.2` in the seed tables): a JSON number written without an
    /// exponent, or a JSON string of digits with at most one point (`"50000.50"`).
    Decimal {
        int_digits: usize,
        frac_digits: usize,
    },
    /// `true`/`false`, or the strings `"true"`/`"false"`.
    BoolLike,
    /// A string of ASCII digits, at most `max` of them.
    Digits { max: usize },
    /// An absolute `http://` or `https://` URL with a host.
    HttpUrl,
    /// A string limited to the callback URL character set of the Indodana seed:
    /// letters, digits, space and `( ) - = \ . ? ; , + / : & _ %`.
    CallbackUrl,
}

/// One field rule: a dotted path (`[]` marks an array: `order.line_items[].price`),
/// whether the field is mandatory, and its [`Rule`]. A rule applies only where its parent
/// exists; the parent's own rule reports a missing or mistyped parent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldRule {
    pub path: &'static str,
    pub required: bool,
    pub rule: Rule,
}

const fn req(path: &'static str, rule: Rule) -> FieldRule {
    FieldRule {
        path,
        required: true,
        rule,
    }
}
const fn opt(path: &'static str, rule: Rule) -> FieldRule {
    FieldRule {
        path,
        required: false,
        rule,
    }
}

/// The order of a convenience-store (O2O) payment code, and of the merchant's reply to a
/// Direct Inquiry about one.
const O2O_ORDER: &[FieldRule] = &[
    req("order", Rule::Object),
    req("order.invoice_number", Rule::Str { max: 64 }),
    req(
        "order.amount",
        Rule::Int {
            min: 1,
            max_digits: 12,
        },
    ),
];

/// Rules shared by both convenience-store (O2O) channels, besides [`O2O_ORDER`].
const O2O_COMMON: &[FieldRule] = &[
    req("online_to_offline_info", Rule::Object),
    req("online_to_offline_info.reusable_status", Rule::BoolLike),
    opt("online_to_offline_info.info", Rule::Str { max: 32 }),
    req("customer", Rule::Object),
    req("customer.name", Rule::Str { max: 64 }),
    opt("customer.email", Rule::Str { max: 128 }),
    opt("additional_info", Rule::Object),
    opt("additional_info.override_notification_url", Rule::HttpUrl),
];

/// Alfa Group payment code (DGPC, or MGPC when `payment_code` is present).
pub const ALFA_PAYMENT_CODE: &[FieldRule] = &[
    opt(
        "online_to_offline_info.expired_time",
        Rule::Int {
            min: 1,
            max_digits: 5,
        },
    ),
    // MGPC: BIN + free digits, at most 20 digits in total for Alfa (PROTOCOL.md 3.1).
    opt(
        "online_to_offline_info.payment_code",
        Rule::Digits { max: 20 },
    ),
    opt("alfa_info", Rule::Object),
    opt("alfa_info.receipt", Rule::Object),
    opt("alfa_info.receipt.footer_message", Rule::Str { max: 120 }),
];

/// Indomaret payment code.
pub const INDOMARET_PAYMENT_CODE: &[FieldRule] = &[
    opt(
        "online_to_offline_info.expired_time",
        Rule::Int {
            min: 1,
            max_digits: 8,
        },
    ),
    // MGPC: Indomaret is Direct only: a 5-digit BIN + up to 20 digits (PROTOCOL.md 6).
    opt(
        "online_to_offline_info.payment_code",
        Rule::Digits { max: 25 },
    ),
    req("indomaret_info", Rule::Object),
    req("indomaret_info.receipt", Rule::Object),
    req("indomaret_info.receipt.description", Rule::Str { max: 128 }),
    opt(
        "indomaret_info.receipt.footer_message",
        Rule::Str { max: 255 },
    ),
];

const ADDRESS_FIELDS: [(&str, bool); 7] = [
    ("first_name", true),
    ("last_name", false),
    ("address", true),
    ("city", true),
    ("postal_code", true),
    ("phone", true),
    ("country_code", true),
];

/// Indodana generate order (without the address blocks, which [`indodana_rules`] adds).
const INDODANA_BASE: &[FieldRule] = &[
    req("order", Rule::Object),
    req("order.invoice_number", Rule::Str { max: 64 }),
    req(
        "order.amount",
        Rule::Int {
            min: 1,
            max_digits: 16,
        },
    ),
    req("order.line_items", Rule::NonEmptyArray),
    req("order.line_items[]", Rule::Object),
    req("order.line_items[].name", Rule::Str { max: 128 }),
    req(
        "order.line_items[].price",
        Rule::Decimal {
            int_digits: 16,
            frac_digits: 2,
        },
    ),
    req(
        "order.line_items[].quantity",
        Rule::Int {
            min: 1,
            max_digits: 8,
        },
    ),
    req("order.line_items[].id", Rule::Str { max: 64 }),
    // The documented enum is not enforced: the seed's own sample uses ELECTRONIC.
    req("order.line_items[].category", Rule::Str { max: 64 }),
    opt("order.line_items[].url", Rule::Str { max: 256 }),
    opt("order.line_items[].image_url", Rule::Str { max: 256 }),
    opt("order.line_items[].type", Rule::Str { max: 128 }),
    opt("order.callback_url", Rule::CallbackUrl),
    req("order.callback_url_cancel", Rule::CallbackUrl),
    req("peer_to_peer_info", Rule::Object),
    opt(
        "peer_to_peer_info.expired_time",
        Rule::Int {
            min: 1,
            max_digits: 5,
        },
    ),
    req(
        "peer_to_peer_info.merchant_unique_reference",
        Rule::Str { max: 64 },
    ),
    req("customer", Rule::Object),
    req("customer.first_name", Rule::Str { max: 16 }),
    opt("customer.last_name", Rule::Str { max: 16 }),
    // The seed says max 16, a known error: real addresses are longer.
    req("customer.email", Rule::Str { max: 128 }),
    req("customer.phone", Rule::Digits { max: 16 }),
    req("billing_address", Rule::Object),
    opt("shipping_address", Rule::Object),
    opt("additional_info", Rule::Object),
    opt("additional_info.override_notification_url", Rule::HttpUrl),
];

/// The merchant's reply to a Direct Inquiry, besides its order (which follows
/// [`O2O_ORDER`], as a payment code request: no amount of 0, no 2^64 - 1).
pub const INQUIRY_REPLY: &[FieldRule] = &[
    req("online_to_offline_inquiry", Rule::Object),
    req("online_to_offline_inquiry.status", Rule::Str { max: 32 }),
];

/// The body shapes that have local rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Schema {
    AlfaPaymentCode,
    IndomaretPaymentCode,
    IndodanaGenerateOrder,
    /// The signed reply to a DOKU inquiry (built by `notification::inquiry_reply`).
    InquiryReply,
}

impl Schema {
    /// Checks `body` against every rule of this schema; the first broken rule is returned.
    pub fn validate(self, body: &Value) -> Result<()> {
        let Some(root) = body.as_object() else {
            return Err(Error::validation(
                "$",
                format!(
                    "the request body must be a JSON object (got {})",
                    type_name(body)
                ),
            ));
        };
        match self {
            Schema::AlfaPaymentCode => {
                apply(root, O2O_ORDER)?;
                apply(root, O2O_COMMON)?;
                apply(root, ALFA_PAYMENT_CODE)
            }
            Schema::IndomaretPaymentCode => {
                apply(root, O2O_ORDER)?;
                apply(root, O2O_COMMON)?;
                apply(root, INDOMARET_PAYMENT_CODE)
            }
            Schema::InquiryReply => {
                apply(root, O2O_ORDER)?;
                apply(root, INQUIRY_REPLY)
            }
            Schema::IndodanaGenerateOrder => {
                apply(root, INDODANA_BASE)?;
                for parent in ["billing_address", "shipping_address"] {
                    for (name, required) in ADDRESS_FIELDS {
                        check_path(
                            root,
                            &format!("{parent}.{name}"),
                            required,
                            Rule::Str { max: 256 },
                        )?;
                    }
                }
                line_items_sum_to_amount(root)
            }
        }
    }
}

/// Parses JSON we are about to send or were handed by a caller: invalid JSON is reported
/// with line and column, and an object that repeats a key is refused (`{"amount": 1,
/// "amount": 9}` means different things to different parsers; in a payment request that
/// ambiguity is a defect). The error names the key, its path, line and column. One pass:
/// the value is built and the keys are checked as the text is read.
pub fn parse_json(body: &[u8], what: &str) -> Result<Value> {
    check_json_size(body, what)?;
    parse_strict(body).map_err(|e| match e {
        StrictError::Syntax(e) => syntax_error(body, what, &e),
        StrictError::Repeated(r) => {
            Error::invalid_input(what, format!("{what} is not valid JSON: {r}"))
        }
    })
}

/// Parses JSON received from DOKU (notifications, inquiries): as [`parse_json`], but
/// a repeated key keeps its last value instead of failing, so an authentic notification
/// is never refused for its formatting.
pub fn parse_received_json(body: &[u8], what: &str) -> Result<Value> {
    check_json_size(body, what)?;
    serde_json::from_slice(body).map_err(|e| syntax_error(body, what, &e))
}

/// The 1 MiB limit ([`crate::signature::MAX_BODY_BYTES`]) on a JSON argument. A body (a
/// request body, `what` = `request` or `body`) is named `body`, as every body over the
/// limit is; any other argument (`options`, `headers_json`, `options_json`, `inquiry`,
/// `answer_json`) is named by `what`, so the caller learns which argument was too large.
fn check_json_size(json: &[u8], what: &str) -> Result<()> {
    if what == "request" || what == "body" {
        return crate::signature::check_body_size(json);
    }
    let max = crate::signature::MAX_BODY_BYTES;
    if json.len() > max {
        return Err(Error::invalid_input(
            what,
            format!("{what} is {} bytes; the limit is {max} bytes", json.len()),
        ));
    }
    Ok(())
}

/// Why [`parse_strict`] refused a text.
#[derive(Debug)]
pub(crate) enum StrictError {
    /// Not JSON (serde_json's error, with its position).
    Syntax(serde_json::Error),
    /// JSON, but an object repeats a key.
    Repeated(RepeatedKey),
}

/// The value of the JSON text `body`, refusing the first object that repeats a key. No
/// size check: callers apply theirs.
pub(crate) fn parse_strict(body: &[u8]) -> std::result::Result<Value, StrictError> {
    let trail = std::cell::RefCell::new(Vec::new());
    let mut de = serde_json::Deserializer::from_slice(body);
    let parsed = serde::de::DeserializeSeed::deserialize(UniqueKeys(&trail), &mut de)
        .and_then(|value| de.end().map(|()| value));
    let e = match parsed {
        Ok(value) => return Ok(value),
        Err(e) => e,
    };
    let mut trail = trail.into_inner();
    // Innermost first: the repeated key, then each enclosing key or index. An empty trail
    // is a syntax error.
    let key = match trail.first() {
        Some(Step::Key(k)) => k.clone(),
        _ => return Err(StrictError::Syntax(e)),
    };
    trail.reverse();
    let mut path = String::new();
    for step in &trail {
        match step {
            Step::Key(k) if path.is_empty() => path.push_str(k),
            Step::Key(k) => {
                path.push('.');
                path.push_str(k);
            }
            Step::Index(i) => path.push_str(&format!("[{i}]")),
        }
    }
    Err(StrictError::Repeated(RepeatedKey {
        key,
        path,
        line: e.line(),
        column: e.column(),
    }))
}

/// "`what` is not valid JSON: `reason` at line L column C", where the position is the
/// one a person needs (see [`error_position`]).
pub(crate) fn syntax_error(body: &[u8], what: &str, e: &serde_json::Error) -> Error {
    let (line, column) = error_position(body, e);
    // serde_json appends its own position to the reason; drop exactly that suffix (built
    // from `line()`/`column()`, not searched for), since ours may differ.
    let text = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let reason = text.strip_suffix(&suffix).unwrap_or(&text);
    Error::invalid_input(
        what,
        format!("{what} is not valid JSON: {reason} at line {line} column {column}"),
    )
}

/// A key that appears twice in one JSON object (see [`find_repeated_key`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepeatedKey {
    /// The key itself.
    pub key: String,
    /// Its path from the root, as field errors write it: `order.amount`,
    /// `order.line_items[1].id`, or just `amount` at the top level.
    pub path: String,
    /// Where the second occurrence was noticed (1-based).
    pub line: usize,
    pub column: usize,
}

impl std::fmt::Display for RepeatedKey {
    /// Names the key, its path and position; never a value (a configuration's repeated
    /// `secret_key` must not be echoed).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the key {:?} appears twice in one object (at {}, line {} column {})",
            self.key, self.path, self.line, self.column
        )
    }
}

/// The first key that appears twice within one object of the JSON text `body`, or `None`.
/// This is the strict half of [`parse_json`], which finds it in the same pass that builds
/// the value. Syntax errors are not its business (it answers `None`).
pub fn find_repeated_key(body: &[u8]) -> Option<RepeatedKey> {
    match parse_strict(body) {
        Err(StrictError::Repeated(r)) => Some(r),
        _ => None,
    }
}

/// One step of the path to a repeated key, recorded only while its error unwinds.
enum Step {
    Key(String),
    Index(usize),
}

/// Builds the [`Value`] of any JSON text (as serde_json's own `Value` visitor does) and
/// fails on the first object that repeats a key. The trail is empty until that happens;
/// then the repeated key and every enclosing key or index are pushed on the way out, so
/// the happy path builds no paths at all.
#[derive(Clone, Copy)]
struct UniqueKeys<'a>(&'a std::cell::RefCell<Vec<Step>>);

impl UniqueKeys<'_> {
    /// Adds `step` to the trail when `r` is the repeated-key error unwinding.
    fn unwind<T, E>(
        self,
        r: std::result::Result<T, E>,
        step: impl FnOnce() -> Step,
    ) -> std::result::Result<T, E> {
        if r.is_err() && !self.0.borrow().is_empty() {
            self.0.borrow_mut().push(step());
        }
        r
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for UniqueKeys<'_> {
    type Value = Value;

    fn deserialize<D: serde::Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

/// With serde_json's `arbitrary_precision` (ours), `deserialize_any` hands a number to
/// the visitor as a one-entry map under a private key (small integers may still come as
/// plain numbers). The key is learnt once, from serde_json itself, by reading numbers no
/// `u64`/`f64` holds exactly, so no private name is written here; `None` when numbers
/// always arrive as plain numbers.
fn number_key() -> Option<&'static str> {
    struct Probe;
    impl<'de> serde::de::Visitor<'de> for Probe {
        type Value = Option<String>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a number")
        }
        fn visit_u64<E>(self, _: u64) -> std::result::Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_f64<E>(self, _: f64) -> std::result::Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> std::result::Result<Self::Value, A::Error> {
            let key = map.next_key::<String>()?;
            map.next_value::<serde::de::IgnoredAny>()?;
            Ok(key)
        }
    }
    static KEY: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    KEY.get_or_init(|| {
        ["0.1", "123456789012345678901234567890"]
            .into_iter()
            .find_map(|text| {
                let mut de = serde_json::Deserializer::from_str(text);
                serde::Deserializer::deserialize_any(&mut de, Probe)
                    .ok()
                    .flatten()
            })
    })
    .as_deref()
}

/// A map whose first key was already read: hands it out again, then the rest of `map`.
/// Lets serde_json's [`serde_json::Number`] read a number's map after we looked at its key.
struct Replay<A> {
    first: Option<String>,
    map: A,
}

impl<'de, A: serde::de::MapAccess<'de>> serde::de::MapAccess<'de> for Replay<A> {
    type Error = A::Error;

    fn next_key_seed<K: serde::de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> std::result::Result<Option<K::Value>, A::Error> {
        match self.first.take() {
            Some(key) => seed
                .deserialize(serde::de::IntoDeserializer::into_deserializer(key))
                .map(Some),
            None => self.map.next_key_seed(seed),
        }
    }

    fn next_value_seed<V: serde::de::DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> std::result::Result<V::Value, A::Error> {
        self.map.next_value_seed(seed)
    }
}

impl<'de> serde::de::Visitor<'de> for UniqueKeys<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, b: bool) -> std::result::Result<Value, E> {
        Ok(Value::Bool(b))
    }
    fn visit_i64<E>(self, n: i64) -> std::result::Result<Value, E> {
        Ok(Value::from(n))
    }
    fn visit_u64<E>(self, n: u64) -> std::result::Result<Value, E> {
        Ok(Value::from(n))
    }
    fn visit_f64<E>(self, n: f64) -> std::result::Result<Value, E> {
        Ok(serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, s: &str) -> std::result::Result<Value, E> {
        Ok(Value::String(s.to_owned()))
    }
    fn visit_string<E>(self, s: String) -> std::result::Result<Value, E> {
        Ok(Value::String(s))
    }
    fn visit_unit<E>(self) -> std::result::Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) =
            self.unwind(seq.next_element_seed(self), || Step::Index(items.len()))?
        {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Value, A::Error> {
        let mut object = Map::new();
        let Some(first) = map.next_key::<String>()? else {
            return Ok(Value::Object(object));
        };
        if number_key() == Some(first.as_str()) {
            let number = serde::Deserialize::deserialize(
                serde::de::value::MapAccessDeserializer::new(Replay {
                    first: Some(first),
                    map,
                }),
            )?;
            return Ok(Value::Number(number));
        }
        let mut next = Some(first);
        while let Some(key) = next {
            if object.contains_key(&key) {
                let e = serde::de::Error::custom(format_args!(
                    "the key {key:?} appears twice in one object"
                ));
                self.0.borrow_mut().push(Step::Key(key));
                return Err(e);
            }
            let value = map.next_value_seed(self);
            let value = self.unwind(value, || Step::Key(key.clone()))?;
            object.insert(key, value);
            next = map.next_key::<String>()?;
        }
        Ok(Value::Object(object))
    }
}

/// serde_json reports a trailing comma where it notices it (at the closing bracket); a
/// person needs the comma itself, so when the reported position is a `]` or `}` whose
/// previous non-blank byte is a comma, point there. Only the position and the input are
/// read, never the wording of serde_json's message.
fn error_position(body: &[u8], e: &serde_json::Error) -> (usize, usize) {
    let (line, column) = (e.line(), e.column());
    if line == 0 || column == 0 {
        return (line, column);
    }
    let line_start: usize = body
        .split(|b| *b == b'\n')
        .take(line - 1)
        .map(|l| l.len() + 1)
        .sum();
    let at = line_start + column - 1;
    if !matches!(body.get(at), Some(b']' | b'}')) {
        return (line, column);
    }
    match body[..at]
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
    {
        Some(comma) if body[comma] == b',' => {
            let line = body[..comma].iter().filter(|b| **b == b'\n').count() + 1;
            let start = body[..comma]
                .iter()
                .rposition(|b| *b == b'\n')
                .map_or(0, |p| p + 1);
            let column = String::from_utf8_lossy(&body[start..=comma])
                .chars()
                .count();
            (line, column)
        }
        _ => (line, column),
    }
}

fn apply(root: &Map<String, Value>, rules: &[FieldRule]) -> Result<()> {
    rules
        .iter()
        .try_for_each(|r| check_path(root, r.path, r.required, r.rule))
}

/// Walks `path` from `root`, expanding `[]` over every array element, and checks `rule`
/// on each value found. Missing or mistyped parents are left to the parent's own rule.
fn check_path(root: &Map<String, Value>, path: &str, required: bool, rule: Rule) -> Result<()> {
    let segments: Vec<&str> = path.split('.').collect();
    walk(root, &segments, String::new(), required, rule)
}

fn walk(
    obj: &Map<String, Value>,
    segments: &[&str],
    prefix: String,
    required: bool,
    rule: Rule,
) -> Result<()> {
    let (seg, rest) = segments.split_first().expect("paths are non-empty");
    let (key, each) = match seg.strip_suffix("[]") {
        Some(k) => (k, true),
        None => (*seg, false),
    };
    let here = if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    };
    let Some(value) = obj.get(key) else {
        if rest.is_empty() && !each && required {
            return Err(Error::validation(&here, format!("{here} is required")));
        }
        return Ok(());
    };
    let items: Vec<(String, &Value)> = if each {
        match value.as_array() {
            Some(a) => a
                .iter()
                .enumerate()
                .map(|(i, v)| (format!("{here}[{i}]"), v))
                .collect(),
            None => return Ok(()),
        }
    } else {
        vec![(here, value)]
    };
    for (path, v) in items {
        if rest.is_empty() {
            check_value(&path, v, rule)?;
        } else if let Some(child) = v.as_object() {
            walk(child, rest, path, required, rule)?;
        }
    }
    Ok(())
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn fail<T>(path: &str, rule: impl std::fmt::Display, v: &Value) -> Result<T> {
    Err(Error::validation(
        path,
        format!("{path} must be {rule} (got {})", type_name(v)),
    ))
}

fn check_value(path: &str, v: &Value, rule: Rule) -> Result<()> {
    match rule {
        Rule::Object => match v {
            Value::Object(_) => Ok(()),
            _ => fail(path, "an object", v),
        },
        Rule::NonEmptyArray => match v {
            Value::Array(a) if !a.is_empty() => Ok(()),
            Value::Array(_) => Err(Error::validation(
                path,
                format!("{path} must hold at least one item"),
            )),
            _ => fail(path, "an array", v),
        },
        Rule::Str { max } => {
            let Some(s) = v.as_str() else {
                return fail(path, "a string", v);
            };
            check_len(path, s, max)?;
            check_no_control(path, s)
        }
        Rule::Int { min, max_digits } => check_int(path, v, min, max_digits),
        Rule::Decimal {
            int_digits,
            frac_digits,
        } => check_decimal(path, v, int_digits, frac_digits).map(|_| ()),
        Rule::BoolLike => match v {
            Value::Bool(_) => Ok(()),
            Value::String(s) if s == "true" || s == "false" => Ok(()),
            Value::String(_) => Err(Error::validation(
                path,
                format!("{path} must be true or false"),
            )),
            _ => fail(path, "true or false", v),
        },
        Rule::Digits { max } => {
            let Some(s) = v.as_str() else {
                return fail(path, "a string of digits", v);
            };
            check_len(path, s, max)?;
            if !s.bytes().all(|b| b.is_ascii_digit()) {
                return Err(Error::validation(
                    path,
                    format!("{path} must contain digits only"),
                ));
            }
            Ok(())
        }
        Rule::HttpUrl => {
            let Some(s) = v.as_str() else {
                return fail(path, "a URL string", v);
            };
            check_no_control(path, s)?;
            if url_host_and_path(s).is_none() {
                return Err(Error::validation(
                    path,
                    format!("{path} must be an absolute http:// or https:// URL"),
                ));
            }
            Ok(())
        }
        Rule::CallbackUrl => {
            let Some(s) = v.as_str() else {
                return fail(path, "a URL string", v);
            };
            check_len(path, s, 2048)?;
            if let Some(bad) = s.chars().find(|c| !is_callback_char(*c)) {
                return Err(Error::validation(
                    path,
                    format!(
                        "{path} contains {bad:?}; allowed are letters, digits, space and ( ) - = \\ . ? ; , + / : & _ %"
                    ),
                ));
            }
            Ok(())
        }
    }
}

fn is_callback_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "()-=\\.?;,+/:&_ %".contains(c)
}

/// Splits an absolute http(s) URL into (host, path); `None` when it is not one.
/// The path is `/` when the URL has none; query and fragment are dropped.
pub fn url_host_and_path(url: &str) -> Option<(&str, &str)> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (host, tail) = rest.split_at(end);
    if host.is_empty() || host.contains(char::is_whitespace) {
        return None;
    }
    let path_end = tail.find(['?', '#']).unwrap_or(tail.len());
    let path = &tail[..path_end];
    Some((host, if path.is_empty() { "/" } else { path }))
}

/// The seeds allow "alphabetic, numeric, special chars" in their text fields; a control
/// character is none of those **(our decision, issue 14)**. A NUL or a line break in an
/// invoice number or a customer name breaks merchants' databases and the stores' printed
/// receipts, so every text field refuses the C0 controls (U+0000 to U+001F, tab and line
/// breaks included), DEL (U+007F) and the C1 controls (U+0080 to U+009F): Unicode's `Cc`
/// category, [`char::is_control`]. The message names the field and the character's code
/// point, never the value.
fn check_no_control(path: &str, s: &str) -> Result<()> {
    match s.chars().find(|c| c.is_control()) {
        None => Ok(()),
        Some(c) => Err(Error::validation(
            path,
            format!(
                "{path} must not contain a control character (found U+{:04X})",
                u32::from(c)
            ),
        )),
    }
}

/// The longest id check status takes: an invoice number (at most 64 characters) or an
/// original Request-Id (at most [`crate::client::MAX_REQUEST_ID_CHARS`], 128).
pub const MAX_STATUS_ID_CHARS: usize = crate::client::MAX_REQUEST_ID_CHARS;

/// The rule for check status's id, wherever it is given (`Client::check_status`, the
/// `{"id": ...}` of `call("check_status", ...)`, `doku_validate`): 1 to
/// [`MAX_STATUS_ID_CHARS`] characters. A longer id can name no order, and sending it would
/// only fail at the transport ("URI too long"), which reads as "retry" when it is the
/// caller's input that is wrong. An `invalid_input` error naming `id`.
pub fn check_status_id(id: &str) -> Result<()> {
    if id.is_empty() {
        return Err(Error::invalid_input("id", "id must not be empty"));
    }
    if id.len() > MAX_STATUS_ID_CHARS * 4 || id.chars().count() > MAX_STATUS_ID_CHARS {
        return Err(Error::invalid_input(
            "id",
            format!(
                "id is {} bytes long; an invoice number or Request-Id has at most {MAX_STATUS_ID_CHARS} characters",
                id.len()
            ),
        ));
    }
    Ok(())
}

fn check_len(path: &str, s: &str, max: usize) -> Result<()> {
    if s.is_empty() {
        return Err(Error::validation(path, format!("{path} must not be empty")));
    }
    let n = s.chars().count();
    if n > max {
        return Err(Error::validation(
            path,
            format!("{path} is {n} characters long; at most {max} are allowed"),
        ));
    }
    Ok(())
}

/// The value of an integer field that passed [`Rule::Int`], whichever form it was sent in:
/// a JSON number (`150000`) or a JSON string of digits (`"150000"`). `None` for anything
/// else. This is the one way the sandbox and the cross-field rules read such fields.
pub fn int_value(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) if is_digits(s) => s.parse().ok(),
        _ => None,
    }
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// `digits`, or `digits.digits`: a non-negative decimal as plain text.
fn is_plain_decimal(s: &str) -> bool {
    match s.split_once('.') {
        Some((int, frac)) => is_digits(int) && is_digits(frac),
        None => is_digits(s),
    }
}

/// The error for a number sent as a string that is not one: names the path and what is
/// wrong, never echoes the whole value.
fn bad_number_string(path: &str, s: &str, decimals_allowed: bool) -> Error {
    let message = if s.is_empty() {
        format!("{path} must not be empty")
    } else if s.strip_prefix('-').is_some_and(is_plain_decimal) {
        format!("{path} must not be negative")
    } else if !decimals_allowed && is_plain_decimal(s) {
        format!("{path} must be an integer without decimals")
    } else if let Some(bad) = s
        .chars()
        .find(|c| !c.is_ascii_digit() && (*c != '.' || !decimals_allowed))
    {
        format!("{path} contains {bad:?}; a number sent as a string must hold digits only")
    } else {
        format!(
            "{path} must be written as digits with one decimal point at most, like \"50000.50\""
        )
    };
    Error::validation(path, message)
}

fn check_int(path: &str, v: &Value, min: u64, max_digits: u32) -> Result<()> {
    let too_long = || Error::validation(path, format!("{path} has more than {max_digits} digits"));
    let x = match v {
        Value::Number(n) => match n.as_u64() {
            Some(x) => x,
            None => {
                // With arbitrary_precision the text is the number exactly as written.
                let text = n.to_string();
                return Err(if text.starts_with('-') {
                    Error::validation(path, format!("{path} must not be negative"))
                } else if is_digits(&text) {
                    too_long()
                } else {
                    Error::validation(path, format!("{path} must be an integer without decimals"))
                });
            }
        },
        Value::String(s) if is_digits(s) => {
            if s.len() > max_digits as usize {
                return Err(too_long());
            }
            s.parse().map_err(|_| too_long())?
        }
        Value::String(s) => return Err(bad_number_string(path, s, false)),
        _ => return fail(path, "an integer (a JSON number or a string of digits)", v),
    };
    if x < min {
        return Err(Error::validation(
            path,
            format!("{path} must be at least {min}"),
        ));
    }
    if x >= 10u64.pow(max_digits) {
        return Err(too_long());
    }
    Ok(())
}

/// Returns the value in hundredths (cents) so sums can be compared exactly.
fn check_decimal(path: &str, v: &Value, int_digits: usize, frac_digits: usize) -> Result<i128> {
    let text = match v {
        // With serde_json's arbitrary_precision the text is the number exactly as written.
        Value::Number(n) => n.to_string(),
        Value::String(s) if is_plain_decimal(s) => s.clone(),
        Value::String(s) => return Err(bad_number_string(path, s, true)),
        _ => return fail(path, "a number (a JSON number or a string of digits)", v),
    };
    if text.contains(['e', 'E']) {
        return Err(Error::validation(
            path,
            format!("{path} must be written as a plain decimal, without an exponent"),
        ));
    }
    if text.starts_with('-') {
        return Err(Error::validation(
            path,
            format!("{path} must not be negative"),
        ));
    }
    let (int_part, frac_part) = text.split_once('.').unwrap_or((&text, ""));
    let frac_part = frac_part.trim_end_matches('0');
    if int_part.len() > int_digits || !int_part.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::validation(
            path,
            format!("{path} has more than {int_digits} digits before the decimal point"),
        ));
    }
    if frac_part.len() > frac_digits || !frac_part.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::validation(
            path,
            format!("{path} has more than {frac_digits} decimals"),
        ));
    }
    let cents_text = format!("{int_part}{frac_part:0<2}");
    cents_text
        .parse::<i128>()
        .map_err(|_| Error::validation(path, format!("{path} is not a decimal number")))
}

/// Indodana: the sum of `price x quantity` over `order.line_items` equals `order.amount`.
fn line_items_sum_to_amount(root: &Map<String, Value>) -> Result<()> {
    let order = &root["order"];
    let amount = int_value(&order["amount"]).unwrap_or_default() as i128 * 100;
    let mut sum: i128 = 0;
    for (i, item) in order["line_items"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let path = format!("order.line_items[{i}].price");
        let price = check_decimal(&path, &item["price"], 16, 2)?;
        let qty = int_value(&item["quantity"]).unwrap_or_default() as i128;
        sum += price * qty;
    }
    if sum != amount {
        return Err(Error::validation(
            "order.amount",
            format!(
                "order.amount must equal the sum of line_items price x quantity ({} != {})",
                fmt_cents(amount),
                fmt_cents(sum)
            ),
        ));
    }
    Ok(())
}

fn fmt_cents(c: i128) -> String {
    if c % 100 == 0 {
        format!("{}", c / 100)
    } else {
        format!("{}.{:02}", c / 100, c % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_one_pass_parse_builds_what_serde_json_builds() {
        let texts: [&[u8]; 5] = [
            br#"{"z": 1, "a": [1.50, -2e3, 12345678901234567890123, "x", null, true], "m": {}}"#,
            br#"[{"b": {"c": [[], {}]}}, 0.1, -0]"#,
            b"\"\\u00e9\\/\"",
            b"  17  ",
            br#"{"price": "16.20", "n": 1234567890123456.78}"#,
        ];
        for text in texts {
            let ours = parse_json(text, "request").unwrap();
            let theirs: Value = serde_json::from_slice(text).unwrap();
            assert_eq!(ours, theirs);
            // Same text back: key order and number digits are kept exactly.
            assert_eq!(ours.to_string(), theirs.to_string());
        }
        assert!(
            parse_json(b"{} x", "request").is_err(),
            "trailing characters"
        );
    }

    #[test]
    fn syntax_errors_point_at_the_trailing_comma_and_state_the_position_once() {
        for (text, line, column) in [
            (&b"{\"a\": 1,}"[..], 1, 8),
            (b"[1, 2 ,\n\n  ]", 1, 7),
            (b"{\"a\": \"\xc3\xa9\",\r\n}", 1, 10),
            (b"{\"a\" 1}", 1, 6),
        ] {
            let e = parse_json(text, "request").unwrap_err();
            let msg = e.message();
            assert!(
                msg.ends_with(&format!(" at line {line} column {column}")),
                "{msg}"
            );
            assert_eq!(msg.matches(" at line ").count(), 1, "{msg}");
        }
    }

    #[test]
    fn text_fields_refuse_every_control_character_and_keep_the_rest() {
        let body = |name: &str| {
            serde_json::json!({
                "order": {"invoice_number": "INV-1", "amount": 150000},
                "online_to_offline_info": {"reusable_status": false},
                "customer": {"name": name},
            })
        };
        let controls = (0u32..=0x1f)
            .chain(0x7f..=0x9f)
            .map(|c| char::from_u32(c).unwrap());
        for c in controls {
            let e = Schema::AlfaPaymentCode
                .validate(&body(&format!("Taufik{c}Ismail")))
                .unwrap_err();
            assert_eq!(e.field(), Some("customer.name"), "U+{:04X}", u32::from(c));
            assert!(e.message().contains(&format!("U+{:04X}", u32::from(c))));
        }
        for fine in [
            "Dewi Lestari \u{2014} Toko Ku\u{e9}",
            "a\u{a0}b",
            "~!@#$%^&*()_+{}|:<>?",
        ] {
            Schema::AlfaPaymentCode.validate(&body(fine)).unwrap();
        }
    }

    #[test]
    fn a_status_id_is_an_invoice_number_or_a_request_id_in_length() {
        check_status_id(&"I".repeat(MAX_STATUS_ID_CHARS)).unwrap();
        check_status_id(&"\u{e9}".repeat(MAX_STATUS_ID_CHARS)).unwrap();
        for bad in [
            String::new(),
            "I".repeat(129),
            "\u{e9}".repeat(129),
            "I".repeat(10 << 20),
        ] {
            let e = check_status_id(&bad).unwrap_err();
            assert_eq!(
                (e.kind(), e.field()),
                (crate::error::ErrorKind::InvalidInput, Some("id"))
            );
        }
    }

    #[test]
    fn json_arguments_over_the_limit_are_named_by_their_argument() {
        let big = format!(
            "{{\"a\":\"{}\"}}",
            "x".repeat(crate::signature::MAX_BODY_BYTES)
        );
        for (what, field) in [
            ("request", "body"),
            ("body", "body"),
            ("options", "options"),
            ("headers_json", "headers_json"),
            ("options_json", "options_json"),
        ] {
            let e = parse_json(big.as_bytes(), what).unwrap_err();
            assert_eq!(
                (e.kind(), e.field()),
                (crate::error::ErrorKind::InvalidInput, Some(field))
            );
            let e = parse_received_json(big.as_bytes(), what).unwrap_err();
            assert_eq!(e.field(), Some(field));
        }
    }
}
