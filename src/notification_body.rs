//! The payment notification DOKU sends, built rather than parsed: the body's shape per
//! channel (PROTOCOL.md 4), used by the sandbox for every notification and check-status
//! answer it gives, and [`signed_test_notification`], which merchants' own tests (and
//! `doku trigger`) use to post one correctly signed notification to their endpoint.

use serde_json::{json, Map, Value};

use crate::clock::{self, Clock, RequestIds};
use crate::error::{Error, Result};
use crate::notification::SignedReply;
use crate::signature::{check_request_target, Component, SigningKey};

/// The channels whose notifications the library knows the shape of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NotificationChannel {
    Alfa,
    Indomaret,
    Indodana,
}

impl NotificationChannel {
    pub const ALL: [NotificationChannel; 3] = [
        NotificationChannel::Alfa,
        NotificationChannel::Indomaret,
        NotificationChannel::Indodana,
    ];

    /// `alfa`, `indomaret` or `indodana` (any case).
    pub fn parse(s: &str) -> Option<NotificationChannel> {
        NotificationChannel::ALL
            .into_iter()
            .find(|c| c.name().eq_ignore_ascii_case(s))
    }

    pub fn name(self) -> &'static str {
        match self {
            NotificationChannel::Alfa => "alfa",
            NotificationChannel::Indomaret => "indomaret",
            NotificationChannel::Indodana => "indodana",
        }
    }

    /// A convenience-store (online-to-offline) channel.
    pub fn is_o2o(self) -> bool {
        !matches!(self, NotificationChannel::Indodana)
    }

    pub fn service_id(self) -> &'static str {
        if self.is_o2o() {
            "ONLINE_TO_OFFLINE"
        } else {
            "PEER_TO_PEER"
        }
    }

    pub fn acquirer_id(self) -> &'static str {
        match self {
            NotificationChannel::Alfa => "ALFA",
            NotificationChannel::Indomaret => "INDOMARET",
            NotificationChannel::Indodana => "INDODANA",
        }
    }

    pub fn channel_id(self) -> &'static str {
        match self {
            NotificationChannel::Alfa => "ONLINE_TO_OFFLINE_ALFA",
            NotificationChannel::Indomaret => "ONLINE_TO_OFFLINE_INDOMARET",
            NotificationChannel::Indodana => "PEER_TO_PEER_INDODANA",
        }
    }
}

/// The store part of a convenience-store notification.
#[derive(Clone, Debug)]
pub struct StoreCode<'a> {
    pub payment_code: Option<&'a str>,
    pub info: Option<&'a str>,
    pub created_unix: i64,
    pub expired_unix: i64,
    pub reusable: bool,
    /// Where it was paid (`AGENT_ID`, `AGENT_STORE_ID`, `AGENT_TRX_ID`), once paid.
    pub paid_at: Option<[&'a str; 3]>,
}

/// The paylater part of an Indodana notification.
#[derive(Clone, Debug)]
pub struct PaylaterOrder<'a> {
    pub merchant_unique_reference: Option<&'a str>,
    pub indodana_order_id: Option<&'a str>,
    pub created_unix: i64,
    pub expired_unix: i64,
}

/// Everything a notification (or a check-status answer) says.
#[derive(Clone, Debug)]
pub struct NotificationFacts<'a> {
    pub channel: NotificationChannel,
    pub invoice_number: &'a str,
    pub amount: u64,
    /// `PENDING`, `SUCCESS`, `FAILED` or `EXPIRED`.
    pub status: &'a str,
    pub date_unix: i64,
    /// The Request-Id of the request that created the code or order.
    pub original_request_id: &'a str,
    /// For Alfa and Indomaret.
    pub store: Option<StoreCode<'a>>,
    /// For Indodana.
    pub paylater: Option<PaylaterOrder<'a>>,
}

/// The body DOKU sends for `f`, in DOKU's field order.
pub fn notification_body(f: &NotificationFacts<'_>) -> Value {
    let ch = f.channel;
    let mut body = Map::new();
    body.insert("service".into(), json!({ "id": ch.service_id() }));
    body.insert("acquirer".into(), json!({ "id": ch.acquirer_id() }));
    body.insert("channel".into(), json!({ "id": ch.channel_id() }));
    body.insert(
        "order".into(),
        json!({ "invoice_number": f.invoice_number, "amount": f.amount }),
    );
    if let Some(s) = &f.store {
        let mut info = Map::new();
        info.insert("payment_code".into(), json!(s.payment_code));
        if let Some(i) = s.info {
            info.insert("info".into(), json!(i));
        }
        info.insert(
            "created_date".into(),
            json!(clock::format_wib(s.created_unix)),
        );
        info.insert(
            "expired_date".into(),
            json!(clock::format_wib(s.expired_unix)),
        );
        info.insert("reusable_status".into(), json!(s.reusable));
        body.insert("online_to_offline_info".into(), Value::Object(info));
        if let Some([agent, store, trx]) = s.paid_at {
            body.insert(
                "online_to_offline_payment".into(),
                json!({ "identifier": [
                    { "name": "AGENT_ID", "value": agent },
                    { "name": "AGENT_STORE_ID", "value": store },
                    { "name": "AGENT_TRX_ID", "value": trx },
                ] }),
            );
        }
    }
    if let Some(p) = &f.paylater {
        body.insert(
            "peer_to_peer_info".into(),
            json!({
                "merchant_unique_reference": p.merchant_unique_reference,
                "identifier": [
                    { "name": "INDODANA_ORDER_ID", "value": p.indodana_order_id },
                ],
                "created_date": clock::format_wib(p.created_unix),
                "expired_date": clock::format_wib(p.expired_unix),
            }),
        );
        body.insert(
            "payment".into(),
            json!({ "merchant_unique_reference": p.merchant_unique_reference }),
        );
    }
    body.insert(
        "transaction".into(),
        json!({
            "status": f.status,
            "date": clock::format_timestamp(f.date_unix),
            "original_request_id": f.original_request_id,
        }),
    );
    Value::Object(body)
}

/// What a test notification is about. Every field but the channel, Client-Id and path has
/// a default: `SUCCESS`, a fresh `INV-TEST-...` invoice number and IDR 10000.
#[derive(Clone, Debug)]
pub struct TestNotification {
    pub channel: NotificationChannel,
    pub client_id: String,
    /// Your Notification URL's path: the Request-Target the signature covers.
    pub path: String,
    pub status: String,
    pub invoice_number: Option<String>,
    pub amount: u64,
}

impl TestNotification {
    pub fn new(channel: NotificationChannel, client_id: &str, path: &str) -> Self {
        TestNotification {
            channel,
            client_id: client_id.to_string(),
            path: path.to_string(),
            status: "SUCCESS".into(),
            invoice_number: None,
            amount: 10_000,
        }
    }

    /// Reads `{"channel", "client_id", "path", "status"?, "invoice_number"?, "amount"?}`
    /// (the C surface's `request_json`); errors name the key.
    pub fn from_json(json: &str) -> Result<Self> {
        let v = crate::validate::parse_json(json.as_bytes(), "request_json")?;
        let Some(obj) = v.as_object() else {
            return Err(Error::invalid_input(
                "request_json",
                "request_json must be an object",
            ));
        };
        const KNOWN: [&str; 6] = [
            "channel",
            "client_id",
            "path",
            "status",
            "invoice_number",
            "amount",
        ];
        if let Some(k) = obj.keys().find(|k| !KNOWN.contains(&k.as_str())) {
            return Err(Error::invalid_input(
                k.as_str(),
                format!("unknown key {k:?}; known keys: {}", KNOWN.join(", ")),
            ));
        }
        let text = |k: &str| -> Result<Option<&str>> {
            match obj.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s)),
                Some(_) => Err(Error::invalid_input(k, format!("{k} must be a string"))),
            }
        };
        let required =
            |k: &str| text(k)?.ok_or_else(|| Error::invalid_input(k, format!("{k} is required")));
        let channel = channel_arg(required("channel")?)?;
        let mut t = TestNotification::new(channel, required("client_id")?, required("path")?);
        if let Some(s) = text("status")? {
            t.status = s.to_string();
        }
        t.invoice_number = text("invoice_number")?.map(str::to_string);
        match obj.get("amount") {
            None | Some(Value::Null) => {}
            Some(a) => {
                t.amount = a.as_u64().ok_or_else(|| {
                    Error::invalid_input("amount", "amount must be a positive integer (IDR)")
                })?
            }
        }
        Ok(t)
    }
}

/// The channel named `s`, or `invalid_input` naming `channel`.
pub fn channel_arg(s: &str) -> Result<NotificationChannel> {
    NotificationChannel::parse(s).ok_or_else(|| {
        Error::invalid_input(
            "channel",
            format!("channel must be alfa, indomaret or indodana (got {s:?})"),
        )
    })
}

/// A notification exactly as DOKU would send it for `t`: the body, and the four headers
/// signed with `key` over that body with your path as Request-Target (plus
/// `Content-Type`). Verify it with `verify_notification` like a real one. The values are
/// checked by the same rules as requests (status, invoice number, amount).
pub fn signed_test_notification(
    t: &TestNotification,
    key: &SigningKey,
    clock: &dyn Clock,
    ids: &dyn RequestIds,
) -> Result<SignedReply> {
    if !["SUCCESS", "FAILED"].contains(&t.status.as_str()) {
        return Err(Error::invalid_input(
            "status",
            format!(
                "status must be SUCCESS or FAILED (got {:?})",
                crate::client::wire_text(&t.status, 40)
            ),
        ));
    }
    check_request_target(&t.path, "path")?;
    let request_id = ids.next_id();
    let original_request_id = ids.next_id();
    let now = clock.now_unix();
    let invoice = t
        .invoice_number
        .clone()
        .unwrap_or_else(|| format!("INV-TEST-{}", &original_request_id[..8]));
    // A code made of the request id's digits: 16 digits behind DOKU's direct BIN shape.
    let digits: String = original_request_id
        .chars()
        .filter(char::is_ascii_digit)
        .chain(std::iter::repeat('0'))
        .take(11)
        .collect();
    let payment_code = format!("88888{digits}");
    let trx = format!("TRX-{}", &request_id[..8]);
    let agent = format!("TEST-{}", t.channel.acquirer_id());
    let facts = NotificationFacts {
        channel: t.channel,
        invoice_number: &invoice,
        amount: t.amount,
        status: &t.status,
        date_unix: now,
        original_request_id: &original_request_id,
        store: t.channel.is_o2o().then(|| StoreCode {
            payment_code: Some(&payment_code),
            info: None,
            created_unix: now - 600,
            expired_unix: now + 3000,
            reusable: false,
            paid_at: Some([&agent, "TEST-STORE-0001", &trx]),
        }),
        paylater: (!t.channel.is_o2o()).then(|| PaylaterOrder {
            merchant_unique_reference: Some(&invoice),
            indodana_order_id: Some(&trx),
            created_unix: now - 600,
            expired_unix: now + 3000,
        }),
    };
    let body = notification_body(&facts);
    // The same field rules as a payment code request for the order it is about.
    crate::validate::Schema::InquiryReply
        .validate(&json!({
            "order": body["order"],
            "online_to_offline_inquiry": { "status": t.status },
        }))
        .map_err(|e| {
            let field = e.field().unwrap_or_default().trim_start_matches("order.");
            Error::invalid_input(field, e.message().replace("order.", ""))
        })?;
    let body = body.to_string();
    let timestamp = clock::format_timestamp(now);
    let signature = key.sign(&Component::request(
        &t.client_id,
        &request_id,
        &timestamp,
        &t.path,
        Some(body.as_bytes()),
    ))?;
    Ok(SignedReply {
        headers: vec![
            ("Client-Id".into(), t.client_id.clone()),
            ("Request-Id".into(), request_id),
            ("Request-Timestamp".into(), timestamp),
            ("Signature".into(), signature),
            ("Content-Type".into(), "application/json".into()),
        ],
        body,
    })
}
