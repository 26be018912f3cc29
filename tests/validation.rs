//! Field rules (PROTOCOL.md 3.1, src/validate.rs): every seed sample passes as it stands,
//! and every rule has its own test that starts from a valid seed body, breaks exactly that
//! rule, and checks the error names the exact JSON path; boundaries pass, one over fails.

mod support;

use doku::validate::parse_json;
use doku::{ErrorKind, Schema};
use serde_json::{json, Map, Value};
use support::seeds;

// ---------------------------------------------------------------------------------------
// Helpers: JSON paths with indices ("order.line_items[1].price"), edits, expectations.
// ---------------------------------------------------------------------------------------

enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

fn segments(path: &str) -> Vec<Seg<'_>> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let (key, rest) = part.split_at(part.find('[').unwrap_or(part.len()));
        out.push(Seg::Key(key));
        for idx in rest.split('[').filter(|s| !s.is_empty()) {
            let n = idx.trim_end_matches(']').parse().expect("index in path");
            out.push(Seg::Index(n));
        }
    }
    out
}

/// The value at `path`'s parent, creating missing objects on the way (so an optional
/// block absent from a seed can be added).
fn parent_mut<'v>(root: &'v mut Value, segs: &[Seg<'_>]) -> &'v mut Value {
    let mut v = root;
    for seg in segs {
        v = match seg {
            Seg::Key(k) => v
                .as_object_mut()
                .unwrap_or_else(|| panic!("{k}: parent is not an object"))
                .entry(k.to_string())
                .or_insert_with(|| Value::Object(Map::new())),
            Seg::Index(i) => &mut v[*i],
        };
    }
    v
}

/// `base` with `path` set to `value`.
fn with(base: &Value, path: &str, value: Value) -> Value {
    let mut body = base.clone();
    let segs = segments(path);
    let (last, parents) = segs.split_last().unwrap();
    let parent = parent_mut(&mut body, parents);
    match last {
        Seg::Key(k) => {
            parent
                .as_object_mut()
                .unwrap_or_else(|| panic!("{path}: parent is not an object"))
                .insert(k.to_string(), value);
        }
        Seg::Index(i) => parent[*i] = value,
    }
    body
}

/// `base` without `path` (which must be there, so a "missing" case really removes it).
fn without(base: &Value, path: &str) -> Value {
    let mut body = base.clone();
    let segs = segments(path);
    let (Seg::Key(k), parents) = segs.split_last().unwrap() else {
        panic!("{path}: cannot remove an array index");
    };
    let parent = parent_mut(&mut body, parents);
    assert!(
        parent.as_object_mut().unwrap().remove(*k).is_some(),
        "{path} is not in the base body"
    );
    body
}

fn has(base: &Value, path: &str) -> bool {
    let mut v = base;
    for seg in segments(path) {
        v = match seg {
            Seg::Key(k) => match v.get(k) {
                Some(x) => x,
                None => return false,
            },
            Seg::Index(i) => match v.get(i) {
                Some(x) => x,
                None => return false,
            },
        };
    }
    true
}

#[track_caller]
fn assert_valid(schema: Schema, body: &Value, what: &str) {
    if let Err(e) = schema.validate(body) {
        panic!(
            "{schema:?} {what}: expected valid, got {e} (field {:?})",
            e.field()
        );
    }
}

#[track_caller]
fn assert_invalid(schema: Schema, body: &Value, field: &str, what: &str) -> doku::Error {
    let e = match schema.validate(body) {
        Ok(()) => panic!("{schema:?} {what}: expected a validation error at {field}, got Ok"),
        Err(e) => e,
    };
    assert_eq!(e.kind(), ErrorKind::Validation, "{schema:?} {what}: {e}");
    assert_eq!(e.field(), Some(field), "{schema:?} {what}: {e}");
    assert!(
        e.to_string().contains(field),
        "{schema:?} {what}: the message names the field: {e}"
    );
    e
}

/// One field rule under test: `schema`, a valid `base` body, and the field's path.
struct Field<'a> {
    schema: Schema,
    base: &'a Value,
    path: &'a str,
}

fn field<'a>(schema: Schema, base: &'a Value, path: &'a str) -> Field<'a> {
    assert_valid(schema, base, "base body");
    Field { schema, base, path }
}

impl Field<'_> {
    #[track_caller]
    fn accepts(&self, v: Value) -> &Self {
        let what = format!("{} = {v}", self.path);
        assert_valid(self.schema, &with(self.base, self.path, v), &what);
        self
    }

    #[track_caller]
    fn rejects(&self, v: Value) -> &Self {
        let what = format!("{} = {v}", self.path);
        assert_invalid(
            self.schema,
            &with(self.base, self.path, v),
            self.path,
            &what,
        );
        self
    }

    #[track_caller]
    fn required(&self) -> &Self {
        let what = format!("{} missing", self.path);
        let e = assert_invalid(
            self.schema,
            &without(self.base, self.path),
            self.path,
            &what,
        );
        assert!(e.message().contains("required"), "{what}: {e}");
        self
    }

    #[track_caller]
    fn optional(&self) -> &Self {
        if has(self.base, self.path) {
            let what = format!("{} missing", self.path);
            assert_valid(self.schema, &without(self.base, self.path), &what);
        }
        self
    }

    /// `max` characters pass, `max + 1` fail, the empty string fails.
    #[track_caller]
    fn max_chars(&self, max: usize) -> &Self {
        self.accepts(json!("x".repeat(max)))
            .rejects(json!("x".repeat(max + 1)))
            .rejects(json!(""))
    }

    /// An integer of `digits` nines passes, the next one (`digits + 1` digits) fails.
    #[track_caller]
    fn max_digits(&self, digits: u32) -> &Self {
        self.accepts(json!(10u64.pow(digits) - 1))
            .rejects(json!(10u64.pow(digits)))
    }

    /// A number sent as a string (`"150000"`, as DOKU's PrestaShop plugin sends it): `digits`
    /// nines as a string pass, `digits + 1` fail, and strings that are not digits fail,
    /// each with the field's path.
    #[track_caller]
    fn number_as_string(&self, digits: usize) -> &Self {
        self.accepts(json!("9".repeat(digits)))
            .accepts(json!("1"))
            .rejects(json!("9".repeat(digits + 1)))
            .rejects(json!("0"))
            .rejects(json!("15a"))
            .rejects(json!("1.5"))
            .rejects(json!(""))
            .rejects(json!(" 15"))
            .rejects(json!("15 "))
            .rejects(json!("-1"))
            .rejects(json!("+1"))
            .rejects(json!("1e3"))
            .rejects(json!("0x1F"))
            .rejects(json!("١٥"))
    }

    /// A string of `max` digits passes, `max + 1` digits fail.
    #[track_caller]
    fn max_digit_string(&self, max: usize) -> &Self {
        self.accepts(json!("8".repeat(max)))
            .rejects(json!("8".repeat(max + 1)))
    }
}

fn alfa() -> Value {
    seeds::alfa_request()
}

fn indomaret() -> Value {
    seeds::indomaret_request()
}

fn indodana() -> Value {
    seeds::indodana_request()
}

/// Both convenience-store schemas with their valid seed bodies.
fn o2o() -> [(Schema, Value); 2] {
    [
        (Schema::AlfaPaymentCode, alfa()),
        (Schema::IndomaretPaymentCode, indomaret()),
    ]
}

const INDODANA: Schema = Schema::IndodanaGenerateOrder;

/// The Indodana seed with a second line item (a copy of the first), amount adjusted, so
/// errors in `order.line_items[1]` can be told from errors in `[0]`.
fn indodana_two_items() -> Value {
    let mut body = indodana();
    let mut second = body["order"]["line_items"][0].clone();
    second["id"] = json!("1003");
    second["name"] = json!("Bebek");
    body["order"]["line_items"]
        .as_array_mut()
        .unwrap()
        .push(second);
    body["order"]["amount"] = json!(200000);
    body
}

/// The Indodana seed with one line item of `price` x `quantity` and `amount`.
fn indodana_single(price: Value, quantity: u64, amount: u64) -> Value {
    let mut body = indodana();
    body["order"]["line_items"][0]["price"] = price;
    body["order"]["line_items"][0]["quantity"] = json!(quantity);
    body["order"]["amount"] = json!(amount);
    body
}

// ---------------------------------------------------------------------------------------
// The seeds, as they stand.
// ---------------------------------------------------------------------------------------

#[test]
fn seed_alfa_sample_passes() {
    let body = alfa();
    assert_eq!(body["order"]["invoice_number"], "INV-20210125-0001");
    assert_eq!(body["online_to_offline_info"]["reusable_status"], false);
    assert!(has(&body, "alfa_info.receipt.footer_message"));
    assert_valid(Schema::AlfaPaymentCode, &body, "Alfa seed");
}

#[test]
fn seed_indodana_sample_passes() {
    let body = indodana();
    // The sample as it stands: a category outside the documented list, an email longer
    // than the documented 16, additional_info and both addresses.
    assert_eq!(body["order"]["line_items"][0]["category"], "ELECTRONIC");
    assert!(body["customer"]["email"].as_str().unwrap().chars().count() > 16);
    assert!(has(&body, "additional_info.override_notification_url"));
    assert!(has(&body, "shipping_address.country_code"));
    assert_valid(INDODANA, &body, "Indodana seed");
}

#[test]
fn seed_indomaret_sample_is_not_json_and_the_error_gives_line_and_column() {
    let text = seeds::indomaret_request_text();
    let commas = seeds::trailing_commas(&text);
    assert_eq!(commas.len(), 1, "the sample has exactly one trailing comma");
    let (_, comma_line, _) = commas[0];

    let e = parse_json(text.as_bytes(), "request").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert_eq!(e.field(), Some("request"));
    let msg = e.message();
    assert!(msg.contains("line") && msg.contains("column"), "{msg}");
    let line: usize = msg
        .split("line ")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no line number in {msg:?}"));
    assert_eq!(
        line,
        comma_line,
        "the error must point at the line of the trailing comma ({:?}), not elsewhere: {msg}",
        text.lines().nth(comma_line - 1).unwrap()
    );
}

#[test]
fn seed_indomaret_sample_without_the_trailing_comma_passes() {
    let mut text = seeds::indomaret_request_text();
    let (at, _, _) = seeds::trailing_commas(&text)[0];
    text.remove(at);
    let body = parse_json(text.as_bytes(), "request").expect("valid JSON without the comma");
    assert_eq!(
        body["indomaret_info"]["receipt"]["description"],
        "Voucher 10000"
    );
    assert_valid(Schema::IndomaretPaymentCode, &body, "Indomaret seed");
}

#[test]
fn body_must_be_an_object() {
    for schema in [
        Schema::AlfaPaymentCode,
        Schema::IndomaretPaymentCode,
        INDODANA,
    ] {
        for v in [json!([]), json!("x"), json!(null), json!(1)] {
            assert_invalid(schema, &v, "$", &format!("body {v}"));
        }
    }
}

// ---------------------------------------------------------------------------------------
// O2O_ORDER and O2O_COMMON, through both Alfa and Indomaret.
// ---------------------------------------------------------------------------------------

#[test]
fn o2o_order_is_a_required_object() {
    for (schema, base) in o2o() {
        field(schema, &base, "order")
            .required()
            .rejects(json!([]))
            .rejects(json!("INV-1"))
            .rejects(json!(null));
    }
}

#[test]
fn o2o_order_invoice_number_is_a_required_string_of_at_most_64() {
    for (schema, base) in o2o() {
        field(schema, &base, "order.invoice_number")
            .required()
            .max_chars(64)
            .rejects(json!(20210125))
            .rejects(json!(null));
    }
}

#[test]
fn o2o_order_amount_is_a_required_positive_integer_of_at_most_12_digits() {
    for (schema, base) in o2o() {
        field(schema, &base, "order.amount")
            .required()
            .max_digits(12)
            .accepts(json!(1))
            .rejects(json!(150000.5))
            .rejects(json!(150000.0))
            .rejects(json!(-150000))
            .rejects(json!(0))
            .rejects(json!([150000]));
    }
}

#[test]
fn o2o_online_to_offline_info_is_a_required_object() {
    for (schema, base) in o2o() {
        field(schema, &base, "online_to_offline_info")
            .required()
            .rejects(json!("info"))
            .rejects(json!([]));
    }
}

#[test]
fn o2o_reusable_status_is_required_and_bool_like() {
    for (schema, base) in o2o() {
        field(schema, &base, "online_to_offline_info.reusable_status")
            .required()
            .accepts(json!(true))
            .accepts(json!(false))
            .accepts(json!("true"))
            .accepts(json!("false"))
            .rejects(json!("yes"))
            .rejects(json!("no"))
            .rejects(json!(""))
            .rejects(json!(1))
            .rejects(json!(0))
            .rejects(json!(null));
    }
}

#[test]
fn o2o_info_is_an_optional_string_of_at_most_32() {
    for (schema, base) in o2o() {
        field(schema, &base, "online_to_offline_info.info")
            .optional()
            .max_chars(32)
            .rejects(json!(32));
    }
}

#[test]
fn o2o_customer_is_a_required_object() {
    for (schema, base) in o2o() {
        field(schema, &base, "customer")
            .required()
            .rejects(json!("Taufik Ismail"));
    }
}

#[test]
fn o2o_customer_name_is_a_required_string_of_at_most_64() {
    for (schema, base) in o2o() {
        field(schema, &base, "customer.name")
            .required()
            .max_chars(64)
            .rejects(json!(["Taufik"]));
    }
}

#[test]
fn o2o_customer_email_is_an_optional_string_of_at_most_128() {
    for (schema, base) in o2o() {
        field(schema, &base, "customer.email")
            .optional()
            .max_chars(128)
            .rejects(json!(1));
    }
}

#[test]
fn o2o_additional_info_is_an_optional_object() {
    for (schema, base) in o2o() {
        field(schema, &base, "additional_info")
            .optional()
            .accepts(json!({}))
            .rejects(json!("https://another.example.com/payments/notifications"));
    }
}

#[test]
fn o2o_override_notification_url_is_an_optional_http_url() {
    for (schema, base) in o2o() {
        field(schema, &base, "additional_info.override_notification_url")
            .optional()
            .accepts(json!("http://localhost:8080/payments/notifications"))
            .accepts(json!("https://shop.example.com"))
            .accepts(json!("https://shop.example.com/n?x=1#f"))
            .rejects(json!("ftp://shop.example.com/n"))
            .rejects(json!("https://"))
            .rejects(json!("https:///payments/notifications"))
            .rejects(json!("/payments/notifications"))
            .rejects(json!("shop.example.com/payments/notifications"))
            .rejects(json!("https://shop example.com/n"))
            .rejects(json!(""))
            .rejects(json!(42));
    }
}

// ---------------------------------------------------------------------------------------
// ALFA_PAYMENT_CODE
// ---------------------------------------------------------------------------------------

#[test]
fn alfa_expired_time_is_an_optional_positive_integer_of_at_most_5_digits() {
    let base = alfa();
    field(
        Schema::AlfaPaymentCode,
        &base,
        "online_to_offline_info.expired_time",
    )
    .optional()
    .max_digits(5)
    .accepts(json!(1))
    .rejects(json!(0))
    .rejects(json!(-60))
    .rejects(json!(60.5));
}

#[test]
fn alfa_payment_code_is_an_optional_string_of_at_most_20_digits() {
    let base = alfa();
    field(
        Schema::AlfaPaymentCode,
        &base,
        "online_to_offline_info.payment_code",
    )
    .optional()
    .max_digit_string(20)
    .accepts(json!("7"))
    .rejects(json!("8888 8888"))
    .rejects(json!("12a4"))
    .rejects(json!("+628888"))
    .rejects(json!("-1"))
    .rejects(json!(""))
    .rejects(json!(88888888))
    .rejects(json!("１２３"));
}

#[test]
fn alfa_info_is_an_optional_object() {
    let base = alfa();
    field(Schema::AlfaPaymentCode, &base, "alfa_info")
        .optional()
        .accepts(json!({}))
        .rejects(json!(["receipt"]))
        .rejects(json!("receipt"));
}

#[test]
fn alfa_info_receipt_is_an_optional_object() {
    let base = alfa();
    field(Schema::AlfaPaymentCode, &base, "alfa_info.receipt")
        .optional()
        .accepts(json!({}))
        .rejects(json!("Call Center 021 555-0525"));
}

#[test]
fn alfa_footer_message_is_an_optional_string_of_at_most_120() {
    let base = alfa();
    field(
        Schema::AlfaPaymentCode,
        &base,
        "alfa_info.receipt.footer_message",
    )
    .optional()
    .max_chars(120)
    .rejects(json!(120));
}

// ---------------------------------------------------------------------------------------
// INDOMARET_PAYMENT_CODE
// ---------------------------------------------------------------------------------------

#[test]
fn indomaret_expired_time_is_an_optional_positive_integer_of_at_most_8_digits() {
    let base = indomaret();
    field(
        Schema::IndomaretPaymentCode,
        &base,
        "online_to_offline_info.expired_time",
    )
    .optional()
    .max_digits(8)
    .rejects(json!(0))
    .rejects(json!(-1))
    .rejects(json!(1.5));
    // 6 digits: too many for Alfa, fine for Indomaret.
    let long = with(&base, "online_to_offline_info.expired_time", json!(100000));
    assert_valid(Schema::IndomaretPaymentCode, &long, "expired_time 100000");
}

#[test]
fn indomaret_payment_code_is_an_optional_string_of_at_most_25_digits() {
    let base = indomaret();
    field(
        Schema::IndomaretPaymentCode,
        &base,
        "online_to_offline_info.payment_code",
    )
    .optional()
    .max_digit_string(25)
    .rejects(json!("8888888844445555x"))
    .rejects(json!(8888888844445555u64));
}

#[test]
fn indomaret_info_is_a_required_object() {
    let base = indomaret();
    field(Schema::IndomaretPaymentCode, &base, "indomaret_info")
        .required()
        .rejects(json!("Voucher 10000"));
}

#[test]
fn indomaret_info_receipt_is_a_required_object() {
    let base = indomaret();
    field(
        Schema::IndomaretPaymentCode,
        &base,
        "indomaret_info.receipt",
    )
    .required()
    .rejects(json!([]));
}

#[test]
fn indomaret_receipt_description_is_a_required_string_of_at_most_128() {
    let base = indomaret();
    field(
        Schema::IndomaretPaymentCode,
        &base,
        "indomaret_info.receipt.description",
    )
    .required()
    .max_chars(128)
    .rejects(json!(10000));
}

#[test]
fn indomaret_receipt_footer_message_is_an_optional_string_of_at_most_255() {
    let base = indomaret();
    field(
        Schema::IndomaretPaymentCode,
        &base,
        "indomaret_info.receipt.footer_message",
    )
    .optional()
    .max_chars(255);
}

// ---------------------------------------------------------------------------------------
// INDODANA_BASE
// ---------------------------------------------------------------------------------------

#[test]
fn indodana_order_is_a_required_object() {
    let base = indodana();
    field(INDODANA, &base, "order")
        .required()
        .rejects(json!([]));
}

#[test]
fn indodana_order_invoice_number_is_a_required_string_of_at_most_64() {
    let base = indodana();
    field(INDODANA, &base, "order.invoice_number")
        .required()
        .max_chars(64)
        .rejects(json!(20201231468u64));
}

#[test]
fn indodana_order_amount_is_a_required_positive_integer_of_at_most_16_digits() {
    let base = indodana();
    field(INDODANA, &base, "order.amount")
        .required()
        .rejects(json!(100000.5))
        .rejects(json!(-100000))
        .rejects(json!(0))
        .rejects(json!(10u64.pow(16)));
    // 16 digits pass when the line items add up to them.
    let max = 10u64.pow(16) - 1;
    assert_valid(
        INDODANA,
        &indodana_single(json!(max), 1, max),
        "amount of 16 digits",
    );
    // 17 digits fail on the amount itself, before the sum is looked at.
    let over = 10u64.pow(16);
    assert_invalid(
        INDODANA,
        &indodana_single(json!(over / 2), 2, over),
        "order.amount",
        "amount of 17 digits",
    );
}

#[test]
fn indodana_line_items_is_a_required_non_empty_array() {
    let base = indodana();
    let first = base["order"]["line_items"][0].clone();
    field(INDODANA, &base, "order.line_items")
        .required()
        .rejects(json!([]))
        .rejects(first)
        .rejects(json!("Ayam"));
}

#[test]
fn indodana_each_line_item_is_an_object() {
    let base = indodana_two_items();
    assert_invalid(
        INDODANA,
        &with(&base, "order.line_items[1]", json!("Bebek")),
        "order.line_items[1]",
        "second item a string",
    );
    assert_invalid(
        INDODANA,
        &with(&base, "order.line_items[0]", json!(null)),
        "order.line_items[0]",
        "first item null",
    );
}

#[test]
fn indodana_line_item_name_is_a_required_string_of_at_most_128() {
    let base = indodana_two_items();
    field(INDODANA, &base, "order.line_items[1].name")
        .required()
        .max_chars(128)
        .rejects(json!(7));
}

#[test]
fn indodana_line_item_price_is_a_required_non_negative_decimal_16_2() {
    let base = indodana_two_items();
    field(INDODANA, &base, "order.line_items[1].price")
        .required()
        .rejects(json!(-50000))
        .rejects(json!(-0.5))
        .rejects(json!(50000.001))
        .rejects(json!(null));
    // 16 digits before the point pass, 17 fail (the amount adds up in both cases).
    let max = 10u64.pow(16) - 1;
    assert_valid(
        INDODANA,
        &indodana_single(json!(max), 1, max),
        "price of 16 digits",
    );
    let over = 10u64.pow(16);
    assert_invalid(
        INDODANA,
        &indodana_single(json!(over), 1, over / 10),
        "order.line_items[0].price",
        "price of 17 digits",
    );
    // Two decimals pass, three fail.
    assert_valid(
        INDODANA,
        &indodana_single(json!(49999.5), 2, 99999),
        "price 49999.5",
    );
    assert_valid(
        INDODANA,
        &indodana_single(json!(33333.25), 4, 133333),
        "price 33333.25",
    );
    assert_invalid(
        INDODANA,
        &indodana_single(json!(0.125), 8, 1),
        "order.line_items[0].price",
        "price with 3 decimals",
    );
}

/// The 16.2 boundary with both limits used at once: 16 digits before the point and 2
/// after. Such a price is valid by the documented rule and must pass when the sum adds up.
#[test]
fn indodana_line_item_price_at_the_full_16_2_boundary_passes() {
    // 1000000000000000.25 x 4 = 4000000000000001
    assert_valid(
        INDODANA,
        &indodana_single(
            serde_json::from_str("1000000000000000.25").unwrap(),
            4,
            4_000_000_000_000_001,
        ),
        "price 1000000000000000.25 x 4",
    );
}

#[test]
fn indodana_line_item_quantity_is_a_required_positive_integer_of_at_most_8_digits() {
    let base = indodana_two_items();
    field(INDODANA, &base, "order.line_items[1].quantity")
        .required()
        .rejects(json!(0))
        .rejects(json!(-2))
        .rejects(json!(1.5));
    let max = 10u64.pow(8) - 1;
    assert_valid(
        INDODANA,
        &indodana_single(json!(1), max, max),
        "quantity of 8 digits",
    );
    assert_invalid(
        INDODANA,
        &indodana_single(json!(1), max + 1, max + 1),
        "order.line_items[0].quantity",
        "quantity of 9 digits",
    );
}

#[test]
fn indodana_line_item_id_is_a_required_string_of_at_most_64() {
    let base = indodana_two_items();
    field(INDODANA, &base, "order.line_items[1].id")
        .required()
        .max_chars(64)
        .rejects(json!(1003));
}

#[test]
fn indodana_line_item_category_is_required_but_not_an_enum() {
    let base = indodana_two_items();
    field(INDODANA, &base, "order.line_items[1].category")
        .required()
        .max_chars(64)
        .accepts(json!("ELECTRONIC"))
        .accepts(json!("SOMETHING_DOKU_ADDS_LATER"))
        .accepts(json!("arts-crafts-and-collectibles"))
        .rejects(json!(3));
}

#[test]
fn indodana_line_item_url_is_an_optional_string_of_at_most_256() {
    let base = indodana_two_items();
    field(INDODANA, &base, "order.line_items[1].url")
        .optional()
        .max_chars(256);
}

#[test]
fn indodana_line_item_image_url_is_an_optional_string_of_at_most_256() {
    let base = indodana_two_items();
    field(INDODANA, &base, "order.line_items[1].image_url")
        .optional()
        .max_chars(256);
}

#[test]
fn indodana_line_item_type_is_an_optional_string_of_at_most_128() {
    let base = indodana_two_items();
    field(INDODANA, &base, "order.line_items[1].type")
        .optional()
        .max_chars(128);
}

/// Every character of the seed's callback URL set: letters, digits, space and
/// `( ) - = \ . ? ; , + / : & _ %`.
const CALLBACK_ALL_ALLOWED: &str =
    "https://Merchant.example.com:8443/return-url/(a)?x=1;y=2,z=3+4&p_q=%20 r\\s.t";
/// Near misses: each is a valid URL character elsewhere, but not in the seed's set.
const CALLBACK_FORBIDDEN: [&str; 9] = ["#", "<", ">", "\"", "'", "!", "~", "é", "\n"];

#[test]
fn indodana_callback_url_is_optional_and_limited_to_the_seed_character_set() {
    let base = indodana();
    let f = field(INDODANA, &base, "order.callback_url");
    f.optional()
        .accepts(json!(CALLBACK_ALL_ALLOWED))
        .rejects(json!(""))
        .rejects(json!(1));
    for c in CALLBACK_FORBIDDEN {
        f.rejects(json!(format!("https://merchant.com/return{c}url")));
    }
}

#[test]
fn indodana_callback_url_cancel_is_required_and_limited_to_the_seed_character_set() {
    let base = indodana();
    let f = field(INDODANA, &base, "order.callback_url_cancel");
    f.required()
        .accepts(json!(CALLBACK_ALL_ALLOWED))
        .rejects(json!(""));
    for c in CALLBACK_FORBIDDEN {
        f.rejects(json!(format!("https://merchant.com/cancel{c}url")));
    }
}

#[test]
fn indodana_peer_to_peer_info_is_a_required_object() {
    let base = indodana();
    field(INDODANA, &base, "peer_to_peer_info")
        .required()
        .rejects(json!("60123"));
}

#[test]
fn indodana_peer_to_peer_expired_time_is_an_optional_positive_integer_of_at_most_5_digits() {
    let base = indodana();
    field(INDODANA, &base, "peer_to_peer_info.expired_time")
        .optional()
        .max_digits(5)
        .rejects(json!(0))
        .rejects(json!(60.5));
}

#[test]
fn indodana_merchant_unique_reference_is_a_required_string_of_at_most_64() {
    let base = indodana();
    field(
        INDODANA,
        &base,
        "peer_to_peer_info.merchant_unique_reference",
    )
    .required()
    .max_chars(64)
    .rejects(json!(60123));
}

#[test]
fn indodana_customer_is_a_required_object() {
    let base = indodana();
    field(INDODANA, &base, "customer")
        .required()
        .rejects(json!("andreas"));
}

#[test]
fn indodana_customer_first_name_is_a_required_string_of_at_most_16() {
    let base = indodana();
    field(INDODANA, &base, "customer.first_name")
        .required()
        .max_chars(16);
}

#[test]
fn indodana_customer_last_name_is_an_optional_string_of_at_most_16() {
    let base = indodana();
    field(INDODANA, &base, "customer.last_name")
        .optional()
        .max_chars(16);
}

#[test]
fn indodana_customer_email_is_required_with_max_128_not_the_documented_16() {
    let base = indodana();
    field(INDODANA, &base, "customer.email")
        .required()
        .accepts(json!("andreas.dharmawan@example.co.id"))
        .max_chars(128);
}

#[test]
fn indodana_customer_phone_is_a_required_string_of_at_most_16_digits() {
    let base = indodana();
    field(INDODANA, &base, "customer.phone")
        .required()
        .max_digit_string(16)
        .accepts(json!("6281122334455"))
        .rejects(json!("+6281122334455"))
        .rejects(json!("0819-3981-5480"))
        .rejects(json!("0819 39815480"))
        .rejects(json!("０８１９"))
        .rejects(json!(""))
        .rejects(json!(6281122334455u64));
}

#[test]
fn indodana_billing_address_is_a_required_object() {
    let base = indodana();
    field(INDODANA, &base, "billing_address")
        .required()
        .rejects(json!("Jalan Teknologi Indonesia No. 25"));
}

#[test]
fn indodana_shipping_address_is_an_optional_object() {
    let base = indodana();
    field(INDODANA, &base, "shipping_address")
        .optional()
        .rejects(json!("Jalan Teknologi Indonesia No. 25"))
        .rejects(json!([]));
}

#[test]
fn indodana_additional_info_is_an_optional_object_with_an_http_override_url() {
    let base = indodana();
    field(INDODANA, &base, "additional_info")
        .optional()
        .rejects(json!(true));
    field(INDODANA, &base, "additional_info.override_notification_url")
        .optional()
        .accepts(json!("https://merchant.com/payments/notifications"))
        .rejects(json!("merchant.com/payments/notifications"))
        .rejects(json!("mailto:ops@merchant.com"));
}

const ADDRESS_FIELDS: [(&str, bool); 7] = [
    ("first_name", true),
    ("last_name", false),
    ("address", true),
    ("city", true),
    ("postal_code", true),
    ("phone", true),
    ("country_code", true),
];

fn check_address(parent: &str) {
    let base = indodana();
    for (name, required) in ADDRESS_FIELDS {
        let path = format!("{parent}.{name}");
        let f = field(INDODANA, &base, &path);
        if required {
            f.required();
        } else {
            f.optional();
        }
        // Typed `number` in the seed table, a known error: they are strings.
        f.max_chars(256).rejects(json!(12960));
    }
}

#[test]
fn indodana_billing_address_fields() {
    check_address("billing_address");
}

#[test]
fn indodana_shipping_address_fields() {
    check_address("shipping_address");
}

#[test]
fn indodana_shipping_address_fields_apply_only_when_it_is_present() {
    let base = without(&indodana(), "shipping_address");
    assert_valid(INDODANA, &base, "no shipping_address");
    assert_invalid(
        INDODANA,
        &with(&base, "shipping_address", json!({})),
        "shipping_address.first_name",
        "empty shipping_address",
    );
}

// ---------------------------------------------------------------------------------------
// The line-items sum rule.
// ---------------------------------------------------------------------------------------

#[test]
fn indodana_line_items_must_sum_to_the_amount() {
    // 33333.33 x 3 = 99999.99, not 100000.
    assert_invalid(
        INDODANA,
        &indodana_single(json!(33333.33), 3, 100000),
        "order.amount",
        "33333.33 x 3 vs 100000",
    );
    // 33333.34 x 3 = 100000.02, not 100000.
    assert_invalid(
        INDODANA,
        &indodana_single(json!(33333.34), 3, 100000),
        "order.amount",
        "33333.34 x 3 vs 100000",
    );
    // Off by one either way.
    for amount in [99999, 100001] {
        assert_invalid(
            INDODANA,
            &with(&indodana(), "order.amount", json!(amount)),
            "order.amount",
            &format!("50000 x 2 vs {amount}"),
        );
    }
    // Over several items: 50000 x 2 + 50000 x 2 = 200000.
    let two = indodana_two_items();
    assert_valid(INDODANA, &two, "two items");
    assert_invalid(
        INDODANA,
        &with(&two, "order.line_items[1].quantity", json!(3)),
        "order.amount",
        "two items, second quantity 3",
    );
}

#[test]
fn indodana_line_items_sum_is_exact_for_decimal_prices() {
    // Binary floating point would get these wrong.
    for (price, quantity, amount) in [
        (json!(0.01), 100, 1),
        (json!(0.1), 10, 1),
        (json!(1.1), 10, 11),
        (json!(0.07), 100, 7),
        (json!(33333.33), 300, 9999999),
        (json!(19999.99), 100, 1999999),
    ] {
        assert_valid(
            INDODANA,
            &indodana_single(price.clone(), quantity, amount),
            &format!("{price} x {quantity} = {amount}"),
        );
    }
    // Mixed items: 0.5 x 1 + 99999.5 x 1 = 100000.
    let mut body = indodana_two_items();
    body["order"]["line_items"][0]["price"] = json!(0.5);
    body["order"]["line_items"][0]["quantity"] = json!(1);
    body["order"]["line_items"][1]["price"] = json!(99999.5);
    body["order"]["line_items"][1]["quantity"] = json!(1);
    body["order"]["amount"] = json!(100000);
    assert_valid(INDODANA, &body, "0.5 + 99999.5");
}

// ---------------------------------------------------------------------------------------
// Lengths count characters, not bytes.
// ---------------------------------------------------------------------------------------

#[test]
fn max_lengths_count_characters_not_bytes() {
    for (schema, base) in o2o() {
        // "é" is 2 bytes, "🍰" is 4.
        field(schema, &base, "customer.name")
            .accepts(json!("é".repeat(64)))
            .rejects(json!("é".repeat(65)));
        field(schema, &base, "online_to_offline_info.info")
            .accepts(json!("🍰".repeat(32)))
            .rejects(json!("🍰".repeat(33)));
        field(schema, &base, "order.invoice_number")
            .accepts(json!(format!("INV-Ü-{}", "ü".repeat(58))))
            .rejects(json!(format!("INV-Ü-{}", "ü".repeat(59))));
    }
    let base = indodana();
    field(INDODANA, &base, "customer.first_name")
        .accepts(json!("Dewi Lestari Kué"))
        .accepts(json!("ダ".repeat(16)))
        .rejects(json!("ダ".repeat(17)));
}

#[test]
fn a_repeated_key_is_refused_with_its_position() {
    let body =
        b"{\n  \"order\": {\"invoice_number\": \"INV-1\", \"amount\": 1, \"amount\": 900000}\n}";
    let e = doku::validate::parse_json(body, "request").unwrap_err();
    assert_eq!(e.kind(), doku::ErrorKind::InvalidInput);
    assert_eq!(e.field(), Some("request"));
    assert!(
        e.message().contains("\"amount\" appears twice"),
        "{}",
        e.message()
    );
    assert!(e.message().contains("line 2"), "{}", e.message());
    // The same key in two different objects is fine, and numbers of every shape pass.
    let ok = br#"{"a": {"amount": 1.50}, "b": {"amount": 12345678901234567890123}, "c": [{"x": 1}, {"x": -2e3}]}"#;
    doku::validate::parse_json(ok, "request").unwrap();
    // What DOKU sends is parsed leniently: an authentic notification is never refused.
    let received = doku::validate::parse_received_json(br#"{"a": 1, "a": 2}"#, "body").unwrap();
    assert_eq!(received["a"], 2);
}

// ---------------------------------------------------------------------------------------
// Numbers sent as JSON strings of digits (DOKU's own PrestaShop O2O plugin sends
// "amount":"150000" and "expired_time":"60"): accepted wherever a field is a number, with
// the number rule's limits; anything but digits is refused with the field's path.
// ---------------------------------------------------------------------------------------

#[test]
fn o2o_order_amount_as_a_string_of_digits() {
    for (schema, base) in o2o() {
        field(schema, &base, "order.amount")
            .accepts(json!("150000"))
            .number_as_string(12);
    }
}

#[test]
fn alfa_expired_time_as_a_string_of_digits() {
    let base = alfa();
    field(
        Schema::AlfaPaymentCode,
        &base,
        "online_to_offline_info.expired_time",
    )
    .accepts(json!("60"))
    .number_as_string(5);
}

#[test]
fn indomaret_expired_time_as_a_string_of_digits() {
    let base = indomaret();
    field(
        Schema::IndomaretPaymentCode,
        &base,
        "online_to_offline_info.expired_time",
    )
    .accepts(json!("60"))
    .number_as_string(8);
}

#[test]
fn indodana_peer_to_peer_expired_time_as_a_string_of_digits() {
    let base = indodana();
    field(INDODANA, &base, "peer_to_peer_info.expired_time")
        .accepts(json!("60"))
        .number_as_string(5);
}

/// The Indodana seed with one line item whose price, quantity and amount are given as
/// they are to be sent (numbers or strings).
fn indodana_raw(price: Value, quantity: Value, amount: Value) -> Value {
    let mut body = indodana();
    body["order"]["line_items"][0]["price"] = price;
    body["order"]["line_items"][0]["quantity"] = quantity;
    body["order"]["amount"] = amount;
    body
}

#[test]
fn indodana_order_amount_as_a_string_of_digits() {
    // The seed: 50000 x 2 = 100000, with the amount as a string; the sum rule reads it.
    let base = with(&indodana(), "order.amount", json!("100000"));
    assert_valid(INDODANA, &base, "amount \"100000\"");
    assert_invalid(
        INDODANA,
        &with(&indodana(), "order.amount", json!("100001")),
        "order.amount",
        "amount \"100001\" does not add up",
    );
    // 16 digits as a string pass when the items add up, 17 fail on the amount itself.
    let max = 10u64.pow(16) - 1;
    assert_valid(
        INDODANA,
        &indodana_raw(json!(max), json!(1), json!(max.to_string())),
        "amount of 16 digits as a string",
    );
    assert_invalid(
        INDODANA,
        &indodana_raw(json!(max), json!(1), json!(format!("{max}9"))),
        "order.amount",
        "amount of 17 digits as a string",
    );
    for bad in ["1e5", "100000.0", "", " 100000", "-100000", "10O000"] {
        assert_invalid(
            INDODANA,
            &with(&indodana(), "order.amount", json!(bad)),
            "order.amount",
            &format!("amount {bad:?}"),
        );
    }
}

#[test]
fn indodana_line_item_quantity_as_a_string_of_digits() {
    let base = indodana_two_items();
    field(INDODANA, &base, "order.line_items[1].quantity").accepts(json!("2"));
    // The sum rule reads the string: 50000 x "3" is not 100000, 33333.33 x "3" is 99999.99.
    assert_valid(
        INDODANA,
        &indodana_raw(json!(25000), json!("4"), json!(100000)),
        "25000 x \"4\"",
    );
    assert_invalid(
        INDODANA,
        &indodana_raw(json!(50000), json!("3"), json!(100000)),
        "order.amount",
        "50000 x \"3\" vs 100000",
    );
    // 8 digits pass, 9 fail; not digits fail, each naming the item's path.
    let max = 10u64.pow(8) - 1;
    assert_valid(
        INDODANA,
        &indodana_raw(json!(1), json!(max.to_string()), json!(max)),
        "quantity of 8 digits as a string",
    );
    assert_invalid(
        INDODANA,
        &indodana_raw(json!(1), json!((max + 1).to_string()), json!(max + 1)),
        "order.line_items[0].quantity",
        "quantity of 9 digits as a string",
    );
    for bad in ["2x", "2.0", "", "-2", " 2"] {
        assert_invalid(
            INDODANA,
            &with(&base, "order.line_items[1].quantity", json!(bad)),
            "order.line_items[1].quantity",
            &format!("quantity {bad:?}"),
        );
    }
}

#[test]
fn indodana_line_item_price_as_a_decimal_string() {
    // The decimal rule accepts decimals, so "49999.50" is a price; the sum is exact.
    for (price, quantity, amount) in [
        ("50000", 2, 100000),
        ("49999.5", 2, 99999),
        ("49999.50", 2, 99999),
        ("33333.25", 4, 133333),
        ("0.01", 100, 1),
    ] {
        assert_valid(
            INDODANA,
            &indodana_single(json!(price), quantity, amount),
            &format!("price {price:?} x {quantity}"),
        );
    }
    assert_invalid(
        INDODANA,
        &indodana_single(json!("33333.33"), 3, 100000),
        "order.amount",
        "\"33333.33\" x 3 vs 100000",
    );
    // 16.2 as a string: 16 digits and 2 decimals pass, 17 digits or 3 decimals fail.
    assert_valid(
        INDODANA,
        &indodana_single(json!("1000000000000000.25"), 4, 4_000_000_000_000_001),
        "price \"1000000000000000.25\" x 4",
    );
    let base = indodana_two_items();
    let price = field(INDODANA, &base, "order.line_items[1].price");
    price.accepts(json!("50000.00"));
    for bad in [
        "10000000000000000",
        "0.125",
        "",
        "-0.5",
        "50,000",
        "1.",
        ".5",
        "1.2.3",
        "5e4",
        " 50000",
        "Rp50000",
    ] {
        price.rejects(json!(bad));
    }
}

#[test]
fn a_non_digit_string_is_refused_naming_the_field_and_the_character() {
    let body = with(&alfa(), "order.amount", json!(" 150000"));
    let e = assert_invalid(
        Schema::AlfaPaymentCode,
        &body,
        "order.amount",
        "leading space",
    );
    assert!(e.message().contains("' '"), "{}", e.message());
    let body = with(&alfa(), "order.amount", json!("1500.5"));
    let e = assert_invalid(Schema::AlfaPaymentCode, &body, "order.amount", "decimals");
    assert!(e.message().contains("without decimals"), "{}", e.message());
    let body = with(&alfa(), "online_to_offline_info.expired_time", json!("-60"));
    let e = assert_invalid(
        Schema::AlfaPaymentCode,
        &body,
        "online_to_offline_info.expired_time",
        "negative",
    );
    assert!(e.message().contains("negative"), "{}", e.message());
    let body = with(&alfa(), "order.amount", json!("1234567890123"));
    let e = assert_invalid(Schema::AlfaPaymentCode, &body, "order.amount", "13 digits");
    assert!(
        e.message().contains("more than 12 digits"),
        "{}",
        e.message()
    );
}

#[test]
fn the_prestashop_plugin_body_passes_as_sent() {
    // The shape DOKU's PrestaShop O2O plugin builds from $_POST strings.
    let body = br#"{"order":{"invoice_number":"INV-PS-1","amount":"150000"},"online_to_offline_info":{"expired_time":"60","reusable_status":false,"info1":""},"alfa_info":{"receipt":{"footer_message":"Terima kasih"}},"customer":{"name":"Taufik Ismail","email":"taufik@example.com"},"additional_info":{"integration":{"name":"prestashop-plugin","module-name":"jokul-o2o","version":"1.0.0"}}}"#;
    let value = parse_json(body, "request").unwrap();
    assert_valid(Schema::AlfaPaymentCode, &value, "PrestaShop body");
}

#[test]
fn int_value_reads_both_forms() {
    use doku::validate::int_value;
    assert_eq!(int_value(&json!(150000)), Some(150000));
    assert_eq!(int_value(&json!("150000")), Some(150000));
    assert_eq!(int_value(&json!("0060")), Some(60));
    for not in [
        json!("15a"),
        json!(""),
        json!(" 1"),
        json!("-1"),
        json!("1.5"),
        json!(1.5),
        json!(-1),
        json!(null),
        json!(true),
        json!("99999999999999999999999"),
    ] {
        assert_eq!(int_value(&not), None, "{not}");
    }
}

#[test]
fn a_repeated_key_is_named_by_its_path() {
    use doku::validate::find_repeated_key;
    let body = br#"{"order": {"line_items": [{"id": "1"}, {"id": "2", "price": 1, "id": "3"}]}}"#;
    let r = find_repeated_key(body).unwrap();
    assert_eq!(r.key, "id");
    assert_eq!(r.path, "order.line_items[1].id");
    assert_eq!(r.line, 1);
    let e = parse_json(body, "request").unwrap_err();
    assert!(
        e.message().contains("at order.line_items[1].id"),
        "{}",
        e.message()
    );
    let top = find_repeated_key(br#"{"a": [1, {"b": 2}], "a": 3}"#).unwrap();
    assert_eq!((top.key.as_str(), top.path.as_str()), ("a", "a"));
    assert_eq!(
        find_repeated_key(br#"{"a": {"a": {"a": 1}}, "b": [{"a": 1}, {"a": 2}]}"#),
        None
    );
    // Not its business: a syntax error is None (parse_json reports it).
    assert_eq!(find_repeated_key(b"{\"a\": 1,}"), None);
}
