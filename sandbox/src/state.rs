//! Transactions, the idempotency store and the state machine (PENDING -> SUCCESS | FAILED |
//! EXPIRED). Everything here runs under the sandbox's one state lock, so every decision
//! (replay or new, duplicate invoice, free payment code) is taken atomically.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::Notify;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use doku::channel::{self, DEFAULT_OPERATIONS};
use doku::clock::{format_timestamp, format_wib};
use doku::validate::{int_value, url_host_and_path, Schema};

use super::errors::ApiError;
use super::pages;
use super::payment_code::CodeRules;
use doku::notification_body::{
    notification_body, NotificationChannel, NotificationFacts, PaylaterOrder, StoreCode,
};

use super::policy;
use super::scenario::{Book, Scenario};
use super::time::scaled_millis;

/// The channels the sandbox serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Alfa,
    Indomaret,
    Indodana,
}

impl Channel {
    pub const ALL: [Channel; 3] = [Channel::Alfa, Channel::Indomaret, Channel::Indodana];

    /// The core operation name (`alfa_payment_code`, ...).
    pub fn operation(self) -> &'static str {
        match self {
            Channel::Alfa => channel::ALFA_PAYMENT_CODE,
            Channel::Indomaret => channel::INDOMARET_PAYMENT_CODE,
            Channel::Indodana => channel::INDODANA_GENERATE_ORDER,
        }
    }

    /// The core field rules for this channel's request body.
    pub fn schema(self) -> Schema {
        match self {
            Channel::Alfa => Schema::AlfaPaymentCode,
            Channel::Indomaret => Schema::IndomaretPaymentCode,
            Channel::Indodana => Schema::IndodanaGenerateOrder,
        }
    }

    /// The path from the core's operation table.
    pub fn path(self) -> &'static str {
        DEFAULT_OPERATIONS
            .iter()
            .find(|op| op.0 == self.operation())
            .map(|op| op.2)
            .expect("every sandbox channel is in the core operation table")
    }

    /// The first path segment (`alfa-online-to-offline`), used for how-to-pay links.
    pub fn slug(self) -> &'static str {
        self.path()
            .trim_start_matches('/')
            .split('/')
            .next()
            .unwrap_or_default()
    }

    /// The core's name for this channel, which knows its notification shape and ids.
    pub fn core(self) -> NotificationChannel {
        match self {
            Channel::Alfa => NotificationChannel::Alfa,
            Channel::Indomaret => NotificationChannel::Indomaret,
            Channel::Indodana => NotificationChannel::Indodana,
        }
    }

    pub fn is_o2o(self) -> bool {
        self.core().is_o2o()
    }

    pub fn service_id(self) -> &'static str {
        self.core().service_id()
    }

    pub fn acquirer_id(self) -> &'static str {
        self.core().acquirer_id()
    }

    pub fn channel_id(self) -> &'static str {
        self.core().channel_id()
    }

    pub fn display_name(self) -> &'static str {
        match self {
            Channel::Alfa => "Alfa Group",
            Channel::Indomaret => "Indomaret",
            Channel::Indodana => "Indodana",
        }
    }

    /// `alfa`, `indomaret` or `indodana` (the CLI's names).
    pub fn parse(s: &str) -> Option<Channel> {
        match s.to_ascii_lowercase().as_str() {
            "alfa" => Some(Channel::Alfa),
            "indomaret" => Some(Channel::Indomaret),
            "indodana" => Some(Channel::Indodana),
            _ => None,
        }
    }

    /// The object holding `expired_time` in this channel's request.
    fn info_key(self) -> &'static str {
        if self.is_o2o() {
            "online_to_offline_info"
        } else {
            "peer_to_peer_info"
        }
    }
}

/// Where a transaction stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    Pending,
    Success,
    Failed,
    Expired,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "PENDING",
            Status::Success => "SUCCESS",
            Status::Failed => "FAILED",
            Status::Expired => "EXPIRED",
        }
    }
}

/// One simulated payment (or failed payment) of a transaction.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Payment {
    pub status: Status,
    pub unix: i64,
    pub agent_trx_id: String,
    pub notification_request_id: String,
}

/// One created payment code or order.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Transaction {
    pub client_id: String,
    pub channel: Channel,
    /// The creating request's Request-Id, path and body digest (the idempotency record).
    pub request_id: String,
    pub request_path: String,
    pub body_digest: String,
    pub invoice_number: String,
    /// `order.amount` as a JSON number, also when the request sent a string of digits.
    pub amount: Value,
    pub status: Status,
    pub created_unix: i64,
    /// Nominal expiry shown in bodies (created + expired_time minutes).
    pub expired_unix: i64,
    /// When the sandbox clock considers it expired (scaled by time_scale), in ms.
    pub expires_at_ms: i64,
    pub updated_unix: i64,
    pub payment_code: Option<String>,
    pub reusable: bool,
    pub info: Option<String>,
    pub merchant_unique_reference: Option<String>,
    pub indodana_order_id: Option<String>,
    pub callback_url: Option<String>,
    pub callback_url_cancel: Option<String>,
    /// Where notifications go (the override when given) and the path they are signed with.
    pub notification_url: Option<String>,
    pub notification_path: Option<String>,
    /// The exact original response body, for 409 replays.
    pub response_body: String,
    pub payments: Vec<Payment>,
    /// The fault scenario bound to this invoice number, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario: Option<Scenario>,
}

impl Transaction {
    /// Can a payment still be made with this code/order at `now_ms`?
    fn is_live(&self, now_ms: i64) -> bool {
        now_ms < self.expires_at_ms
            && self.status != Status::Expired
            && (self.status == Status::Pending || self.reusable)
    }

    /// Applies expiry; true when the status changed.
    fn refresh(&mut self, now_ms: i64) -> bool {
        if self.status == Status::Pending && now_ms >= self.expires_at_ms {
            self.status = Status::Expired;
            self.updated_unix = now_ms.div_euclid(1000);
            return true;
        }
        false
    }

    /// The notification of `payment` (also when resent: same Request-Id, same body).
    fn notification(&self, payment: &Payment) -> NotificationDraft {
        let body = self.status_body(payment.status, payment.unix, Some(payment));
        NotificationDraft {
            client_id: self.client_id.clone(),
            channel: self.channel,
            invoice_number: self.invoice_number.clone(),
            status: payment.status,
            request_id: payment.notification_request_id.clone(),
            url: self.notification_url.clone(),
            path: self.notification_path.clone(),
            body: serde_json::to_vec(&body).unwrap_or_default(),
            dropped_attempts: self
                .scenario
                .map_or(0, Scenario::dropped_notification_attempts),
        }
    }

    /// The notification / check-status body (PROTOCOL.md 4 and 5), in the core's shape.
    pub fn status_body(&self, status: Status, date_unix: i64, payment: Option<&Payment>) -> Value {
        let ch = self.channel;
        let agent = policy::agent_id(ch.acquirer_id());
        notification_body(&NotificationFacts {
            channel: ch.core(),
            invoice_number: &self.invoice_number,
            amount: doku::validate::int_value(&self.amount).unwrap_or_default(),
            status: status.as_str(),
            date_unix,
            original_request_id: &self.request_id,
            store: ch.is_o2o().then(|| StoreCode {
                payment_code: self.payment_code.as_deref(),
                info: self.info.as_deref(),
                created_unix: self.created_unix,
                expired_unix: self.expired_unix,
                reusable: self.reusable,
                paid_at: payment.map(|p| [agent.as_str(), policy::AGENT_STORE_ID, &p.agent_trx_id]),
            }),
            paylater: (!ch.is_o2o()).then_some(PaylaterOrder {
                merchant_unique_reference: self.merchant_unique_reference.as_deref(),
                indodana_order_id: self.indodana_order_id.as_deref(),
                created_unix: self.created_unix,
                expired_unix: self.expired_unix,
            }),
        })
    }
}

/// What a create call needs from the server besides the request.
pub struct Env<'a> {
    pub now_ms: i64,
    pub time_scale: f64,
    pub codes: &'a CodeRules,
    pub base_url: &'a str,
}

/// A validated create request (payment code or Indodana order).
pub struct CreateRequest<'a> {
    pub client_id: &'a str,
    pub request_id: &'a str,
    pub path: &'a str,
    pub body_digest: String,
    pub channel: Channel,
    /// The body, already checked with the channel's [`Schema`].
    pub body: &'a Value,
    /// The merchant's configured notification URL for this channel.
    pub configured_notification_url: Option<&'a str>,
    /// The scenario the request chooses by its invoice suffix or amount.
    pub scenario: Option<Scenario>,
}

/// The outcome of a create call.
#[derive(Debug)]
pub enum Created {
    /// A new transaction: the 200 body, its scenario, and for a stall the release of the
    /// held answer.
    New {
        body: String,
        scenario: Option<Scenario>,
        release: Option<Arc<Notify>>,
    },
    /// Same Request-Id and body as before; the original body (answered with 409).
    Replay(String),
    /// Refused by the scenario before anything was created (500 or 503).
    Refused { status: u16, scenario: Scenario },
}

/// Which transaction `POST /_sandbox/pay` means.
#[derive(Clone, Debug)]
pub enum PaySelector {
    Invoice {
        client_id: Option<String>,
        invoice_number: String,
    },
    Code(String),
    IndodanaOrder(String),
    /// An invoice number or a payment code (the CLI's `doku sandbox pay ID`).
    Any {
        client_id: Option<String>,
        id: String,
    },
}

/// A notification to send after a payment.
#[derive(Clone, Debug)]
pub struct NotificationDraft {
    pub client_id: String,
    pub channel: Channel,
    pub invoice_number: String,
    pub status: Status,
    pub request_id: String,
    pub url: Option<String>,
    pub path: Option<String>,
    pub body: Vec<u8>,
    /// Attempts whose answer the drop scenario discards.
    pub dropped_attempts: u32,
}

/// The result of a simulated payment.
#[derive(Debug)]
pub struct PayOutcome {
    pub notification: NotificationDraft,
    /// The answer of `POST /_sandbox/pay`.
    pub response: Value,
    /// Where the Indodana payment page sends the customer afterwards.
    pub redirect: Option<String>,
}

/// The persisted form of the state.
#[derive(Serialize, Deserialize)]
struct Snapshot {
    format: u32,
    transactions: Vec<Transaction>,
}

const SNAPSHOT_FORMAT: u32 = 1;

/// All transactions and their indexes.
#[derive(Default)]
pub struct State {
    txns: Vec<Transaction>,
    by_invoice: HashMap<(String, String), usize>,
    by_request: HashMap<(String, String), usize>,
    /// The latest transaction holding each payment code.
    by_code: HashMap<String, usize>,
    /// Bumped on every change; the persister writes only newer snapshots.
    pub version: u64,
    /// Armed and bound scenarios, held stalls (not persisted).
    pub scenarios: Book,
}

impl State {
    /// Loads a snapshot written by [`State::snapshot`].
    pub fn from_json(bytes: &[u8]) -> Result<State, String> {
        let snap: Snapshot = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        if snap.format != SNAPSHOT_FORMAT {
            return Err(format!(
                "state format {} is not supported (expected {SNAPSHOT_FORMAT})",
                snap.format
            ));
        }
        let mut s = State::default();
        for t in snap.transactions {
            s.insert(t);
        }
        Ok(s)
    }

    pub fn snapshot(&self) -> Vec<u8> {
        #[derive(Serialize)]
        struct SnapshotRef<'a> {
            format: u32,
            transactions: &'a [Transaction],
        }
        serde_json::to_vec_pretty(&SnapshotRef {
            format: SNAPSHOT_FORMAT,
            transactions: &self.txns,
        })
        .unwrap_or_default()
    }

    pub(crate) fn len(&self) -> usize {
        self.txns.len()
    }

    fn insert(&mut self, t: Transaction) -> usize {
        let i = self.txns.len();
        self.by_invoice
            .insert((t.client_id.clone(), t.invoice_number.clone()), i);
        self.by_request
            .insert((t.client_id.clone(), t.request_id.clone()), i);
        if let Some(code) = &t.payment_code {
            self.by_code.insert(code.clone(), i);
        }
        self.txns.push(t);
        self.version += 1;
        i
    }

    fn code_is_live(&self, code: &str, now_ms: i64) -> bool {
        self.by_code
            .get(code)
            .is_some_and(|&i| self.txns[i].is_live(now_ms))
    }

    /// Replay, reject or create (policy 2, 5, 6, 7, 11), all under the caller's lock.
    pub fn create(&mut self, env: &Env<'_>, req: &CreateRequest<'_>) -> Result<Created, ApiError> {
        if let Some(&i) = self
            .by_request
            .get(&(req.client_id.to_string(), req.request_id.to_string()))
        {
            let t = &self.txns[i];
            if t.request_path == req.path && t.body_digest == req.body_digest {
                let body = t.response_body.clone();
                self.scenarios.release(req.client_id, req.request_id);
                return Ok(Created::Replay(body));
            }
            return Err(ApiError::invalid(
                "request_id_reused",
                format!(
                    "Request-Id {} was already used for invoice {} with another body or path; \
                     send a new Request-Id for a new request, or the exact same bytes to get \
                     the original answer",
                    req.request_id, t.invoice_number
                ),
            )
            .with_field("headers.Request-Id"));
        }
        let body = req.body;
        let text = |a: &str, b: &str| body.get(a)?.get(b)?.as_str().map(str::to_string);
        let invoice_number = text("order", "invoice_number").unwrap_or_default();
        let scenario =
            self.scenarios
                .bind(req.client_id, &invoice_number, req.scenario, req.channel);
        if let Some(scenario) = scenario {
            if let Some(status) = self.scenarios.refusal(req.client_id, &invoice_number) {
                return Ok(Created::Refused { status, scenario });
            }
        }
        if self
            .by_invoice
            .contains_key(&(req.client_id.to_string(), invoice_number.clone()))
        {
            return Err(ApiError::invalid(
                "duplicate_invoice_number",
                format!(
                    "order.invoice_number {invoice_number} was already used by this merchant; \
                     every request needs a new invoice number"
                ),
            )
            .with_field("order.invoice_number"));
        }
        let (notification_url, notification_path) = notification_target(
            req.configured_notification_url,
            text("additional_info", "override_notification_url").as_deref(),
        )?;
        let ch = req.channel;
        let payment_code = if ch.is_o2o() {
            Some(match text("online_to_offline_info", "payment_code") {
                Some(code) => {
                    env.codes.check_merchant_code(&code)?;
                    if self.code_is_live(&code, env.now_ms) {
                        return Err(ApiError::invalid(
                            "payment_code_in_use",
                            format!(
                                "online_to_offline_info.payment_code {code} belongs to a live \
                                 payment code; choose another code"
                            ),
                        )
                        .with_field("online_to_offline_info.payment_code"));
                    }
                    code
                }
                None => env.codes.generate(|c| self.code_is_live(c, env.now_ms))?,
            })
        } else {
            None
        };
        // Numbers may come as strings of digits (policy 19): read them with the core's
        // int_value, never as_u64.
        let expired_minutes = body
            .get(ch.info_key())
            .and_then(|o| o.get("expired_time"))
            .and_then(int_value)
            .unwrap_or(policy::DEFAULT_EXPIRED_TIME_MINUTES);
        let created_unix = env.now_ms.div_euclid(1000);
        let (expired_unix, expires_at_ms) = if scenario.is_some_and(Scenario::expires_at_once) {
            (created_unix, env.now_ms)
        } else {
            (
                created_unix + (expired_minutes as i64) * 60,
                env.now_ms + scaled_millis(expired_minutes * 60, env.time_scale),
            )
        };
        let reusable = matches!(
            body.get("online_to_offline_info")
                .and_then(|o| o.get("reusable_status")),
            Some(Value::Bool(true))
        ) || text("online_to_offline_info", "reusable_status").as_deref()
            == Some("true");
        let indodana_order_id = (!ch.is_o2o()).then(|| {
            let digits: String = (0..12)
                .map(|_| char::from(b'0' + fastrand::u8(0..10)))
                .collect();
            format!("IDN-SBX-{digits}")
        });
        let mut t = Transaction {
            client_id: req.client_id.to_string(),
            channel: ch,
            request_id: req.request_id.to_string(),
            request_path: req.path.to_string(),
            body_digest: req.body_digest.clone(),
            invoice_number,
            // Answered as a JSON number whatever form the request used (policy 19).
            amount: int_value(&body["order"]["amount"])
                .map_or_else(|| body["order"]["amount"].clone(), Value::from),
            status: Status::Pending,
            created_unix,
            expired_unix,
            expires_at_ms,
            updated_unix: created_unix,
            payment_code,
            reusable,
            info: text("online_to_offline_info", "info"),
            merchant_unique_reference: text("peer_to_peer_info", "merchant_unique_reference"),
            indodana_order_id,
            callback_url: text("order", "callback_url"),
            callback_url_cancel: text("order", "callback_url_cancel"),
            notification_url,
            notification_path,
            response_body: String::new(),
            payments: Vec::new(),
            scenario,
        };
        t.response_body = create_response(&t, body, env.base_url).to_string();
        let response = t.response_body.clone();
        self.insert(t);
        let release = (scenario == Some(Scenario::Stall))
            .then(|| self.scenarios.hold(req.client_id, req.request_id));
        Ok(Created::New {
            body: response,
            scenario,
            release,
        })
    }

    /// Check status (policy 12): by invoice number, then by the creating Request-Id.
    /// Returns the body and whether expiry changed the state.
    pub fn status(&mut self, client_id: &str, id: &str, now_ms: i64) -> Option<(Value, bool)> {
        let key = (client_id.to_string(), id.to_string());
        let i = *self
            .by_invoice
            .get(&key)
            .or_else(|| self.by_request.get(&key))?;
        let changed = self.touch(i, now_ms);
        let t = &self.txns[i];
        let last = t.payments.last();
        Some((t.status_body(t.status, t.updated_unix, last), changed))
    }

    fn touch(&mut self, i: usize, now_ms: i64) -> bool {
        let changed = self.txns[i].refresh(now_ms);
        if changed {
            self.version += 1;
        }
        changed
    }

    fn find(&self, sel: &PaySelector) -> Result<usize, ApiError> {
        let not_found = |what: String| ApiError::not_found("transaction_not_found", what);
        match sel {
            PaySelector::Code(code) => self
                .by_code
                .get(code)
                .copied()
                .ok_or_else(|| not_found(format!("no transaction has payment code {code}"))),
            PaySelector::IndodanaOrder(id) => self
                .txns
                .iter()
                .position(|t| t.indodana_order_id.as_deref() == Some(id.as_str()))
                .ok_or_else(|| not_found(format!("no Indodana order {id}"))),
            PaySelector::Invoice {
                client_id: Some(c),
                invoice_number,
            } => self
                .by_invoice
                .get(&(c.clone(), invoice_number.clone()))
                .copied()
                .ok_or_else(|| not_found(format!("merchant {c} has no invoice {invoice_number}"))),
            PaySelector::Invoice {
                client_id: None,
                invoice_number,
            } => {
                let mut hits = self
                    .txns
                    .iter()
                    .enumerate()
                    .filter(|(_, t)| &t.invoice_number == invoice_number);
                match (hits.next(), hits.next()) {
                    (Some((i, _)), None) => Ok(i),
                    (None, _) => Err(not_found(format!(
                        "no transaction has invoice {invoice_number}"
                    ))),
                    (Some(_), Some(_)) => Err(ApiError::invalid(
                        "ambiguous_invoice_number",
                        format!(
                            "several merchants use invoice {invoice_number}; add \"client_id\""
                        ),
                    )
                    .with_field("client_id")),
                }
            }
            PaySelector::Any { client_id, id } => {
                let mut hits: Vec<usize> = self
                    .txns
                    .iter()
                    .enumerate()
                    .filter(|(_, t)| {
                        client_id.as_ref().map_or(true, |c| &t.client_id == c)
                            && (&t.invoice_number == id || t.payment_code.as_ref() == Some(id))
                    })
                    .map(|(i, _)| i)
                    .collect();
                // A reusable code may appear in several transactions: the latest holds it.
                if let Some(&latest) = self.by_code.get(id) {
                    hits.retain(|&i| i == latest || self.txns[i].invoice_number == *id);
                }
                match hits.as_slice() {
                    [i] => Ok(*i),
                    [] => Err(not_found(format!(
                        "no transaction has invoice number or payment code {id}"
                    ))),
                    _ => Err(ApiError::invalid(
                        "ambiguous_id",
                        format!(
                            "{id} names several transactions (an invoice number of one and a                              payment code of another, or several merchants' invoices); pay by                              \"invoice_number\" with \"client_id\", or by \"payment_code\""
                        ),
                    )
                    .with_field("id")),
                }
            }
        }
    }

    /// Every transaction, newest first (at most `limit`), expiry applied.
    /// Each with its position, which stays the same for the sandbox's lifetime.
    pub fn newest_first(&mut self, now_ms: i64, limit: usize) -> Vec<(usize, Transaction)> {
        let n = self.txns.len();
        (0..n)
            .rev()
            .take(limit)
            .map(|i| {
                self.touch(i, now_ms);
                (i, self.txns[i].clone())
            })
            .collect()
    }

    /// Can the transaction still be paid?
    pub fn payable(t: &Transaction, now_ms: i64) -> bool {
        t.is_live(now_ms)
    }

    /// Expires a pending transaction now (the dashboard's "Expire").
    pub fn expire(&mut self, sel: &PaySelector, now_ms: i64) -> Result<(), ApiError> {
        let i = self.find(sel)?;
        self.touch(i, now_ms);
        let t = &mut self.txns[i];
        if t.status != Status::Pending {
            return Err(ApiError::invalid(
                "transaction_closed",
                format!(
                    "invoice {} is already {}; only a pending transaction can be expired",
                    t.invoice_number,
                    t.status.as_str()
                ),
            ));
        }
        t.status = Status::Expired;
        t.expires_at_ms = now_ms;
        t.updated_unix = now_ms.div_euclid(1000);
        self.version += 1;
        Ok(())
    }

    /// The notification of the latest payment again, with its original Request-Id and body
    /// (the dashboard's "Resend notification").
    pub fn resend(&mut self, sel: &PaySelector) -> Result<NotificationDraft, ApiError> {
        let i = self.find(sel)?;
        let t = &self.txns[i];
        let Some(p) = t.payments.last() else {
            return Err(ApiError::invalid(
                "nothing_to_resend",
                format!(
                    "invoice {} has no payment yet, so there is no notification to resend",
                    t.invoice_number
                ),
            ));
        };
        Ok(t.notification(p))
    }

    /// A simulated payment (policy 9); the caller sends the notification.
    pub fn pay(
        &mut self,
        sel: &PaySelector,
        outcome: Status,
        now_ms: i64,
    ) -> Result<PayOutcome, ApiError> {
        let i = self.find(sel)?;
        self.touch(i, now_ms);
        let t = &mut self.txns[i];
        let outcome = t
            .scenario
            .and_then(Scenario::forced_outcome)
            .unwrap_or(outcome);
        if t.status == Status::Expired || now_ms >= t.expires_at_ms {
            return Err(ApiError::invalid(
                "transaction_expired",
                format!(
                    "invoice {} expired at {} (WIB); it can no longer be paid",
                    t.invoice_number,
                    format_wib(t.expired_unix)
                ),
            ));
        }
        if !t.reusable && t.status != Status::Pending {
            return Err(ApiError::invalid(
                "transaction_closed",
                format!(
                    "invoice {} is already {}; only a reusable payment code can be paid again",
                    t.invoice_number,
                    t.status.as_str()
                ),
            ));
        }
        let now = now_ms.div_euclid(1000);
        let payment = Payment {
            status: outcome,
            unix: now,
            agent_trx_id: (0..12)
                .map(|_| char::from(b'0' + fastrand::u8(0..10)))
                .collect(),
            notification_request_id: uuid::Uuid::new_v4().to_string(),
        };
        t.status = outcome;
        t.updated_unix = now;
        let notification = t.notification(&payment);
        let response = json!({
            "client_id": t.client_id,
            "invoice_number": t.invoice_number,
            "payment_code": t.payment_code,
            "status": outcome.as_str(),
            "scenario": t.scenario,
            "notification": {
                "request_id": notification.request_id,
                "url": notification.url,
            },
        });
        let redirect = match outcome {
            Status::Success => t.callback_url.clone(),
            _ => t.callback_url_cancel.clone(),
        };
        t.payments.push(payment);
        self.version += 1;
        Ok(PayOutcome {
            notification,
            response,
            redirect,
        })
    }

    /// The transaction holding `code` (for how-to-pay pages), expiry applied.
    pub fn by_code(&mut self, code: &str, now_ms: i64) -> Option<&Transaction> {
        let i = *self.by_code.get(code)?;
        self.touch(i, now_ms);
        Some(&self.txns[i])
    }

    /// The Indodana order `id` (for its payment page), expiry applied.
    pub fn by_order_id(&mut self, id: &str, now_ms: i64) -> Option<&Transaction> {
        let i = self
            .find(&PaySelector::IndodanaOrder(id.to_string()))
            .ok()?;
        self.touch(i, now_ms);
        Some(&self.txns[i])
    }
}

/// Where notifications go and which path signs them (policy 11).
fn notification_target(
    configured: Option<&str>,
    overridden: Option<&str>,
) -> Result<(Option<String>, Option<String>), ApiError> {
    let path_of = |u: &str| url_host_and_path(u).map(|(_, p)| p.to_string());
    match (configured, overridden) {
        (None, None) => Ok((None, None)),
        (Some(c), None) => Ok((Some(c.to_string()), path_of(c))),
        (None, Some(o)) => Ok((Some(o.to_string()), path_of(o))),
        (Some(c), Some(o)) => {
            let (cp, op) = (path_of(c), path_of(o));
            if cp != op {
                return Err(ApiError::invalid(
                    "override_notification_url_path_mismatch",
                    format!(
                        "additional_info.override_notification_url must keep the path of the \
                         configured Notification URL ({}); only the host may differ (got {})",
                        cp.unwrap_or_default(),
                        op.unwrap_or_default()
                    ),
                )
                .with_field("additional_info.override_notification_url"));
            }
            Ok((Some(o.to_string()), cp))
        }
    }
}

/// The 200 body of a create call, in the seeds' shape.
fn create_response(t: &Transaction, request: &Value, base_url: &str) -> Value {
    let dates = |m: &mut Map<String, Value>| {
        m.insert("created_date".into(), json!(format_wib(t.created_unix)));
        m.insert("expired_date".into(), json!(format_wib(t.expired_unix)));
        m.insert(
            "created_date_utc".into(),
            json!(format_timestamp(t.created_unix)),
        );
        m.insert(
            "expired_date_utc".into(),
            json!(format_timestamp(t.expired_unix)),
        );
    };
    let mut out = Map::new();
    if t.channel.is_o2o() {
        let code = t.payment_code.clone().unwrap_or_default();
        out.insert(
            "order".into(),
            json!({ "invoice_number": t.invoice_number }),
        );
        let mut info = Map::new();
        info.insert("payment_code".into(), json!(code));
        dates(&mut info);
        info.insert(
            "how_to_pay_page".into(),
            json!(pages::how_to_pay_page_url(base_url, t.channel, &code)),
        );
        info.insert(
            "how_to_pay_api".into(),
            json!(pages::how_to_pay_api_url(base_url, t.channel, &code)),
        );
        out.insert("online_to_offline_info".into(), Value::Object(info));
    } else {
        let order_id = t.indodana_order_id.clone().unwrap_or_default();
        out.insert(
            "order".into(),
            json!({ "amount": t.amount, "invoice_number": t.invoice_number }),
        );
        out.insert(
            "payment".into(),
            json!({
                "status": Status::Pending.as_str(),
                "url": pages::indodana_payment_url(base_url, &order_id),
            }),
        );
        let mut info = Map::new();
        info.insert(
            "identifier".into(),
            json!([{ "name": "INDODANA_ORDER_ID", "value": order_id }]),
        );
        dates(&mut info);
        info.insert(
            "merchant_unique_reference".into(),
            json!(t.merchant_unique_reference),
        );
        out.insert("peer_to_peer_info".into(), Value::Object(info));
    }
    if let Some(extra) = request.get("additional_info") {
        out.insert("additional_info".into(), extra.clone());
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_table_comes_from_the_core() {
        assert_eq!(
            Channel::Alfa.path(),
            "/alfa-online-to-offline/v2/payment-code"
        );
        assert_eq!(Channel::Indomaret.slug(), "indomaret-online-to-offline");
        assert_eq!(
            Channel::Indodana.path(),
            "/indodana-peer-to-peer/v2/generate-order"
        );
    }

    #[test]
    fn override_rule() {
        let c = Some("https://merchant.example/payments/notifications");
        assert!(
            notification_target(c, Some("https://other.example/payments/notifications")).is_ok()
        );
        let e = notification_target(c, Some("https://other.example/hooks")).unwrap_err();
        assert_eq!(e.code, "override_notification_url_path_mismatch");
        assert_eq!(
            notification_target(None, Some("http://h/x")).unwrap(),
            (Some("http://h/x".to_string()), Some("/x".to_string()))
        );
    }
}
