//! Fault scenarios chosen by values a merchant's unchanged code already sends: an
//! invoice-number suffix (`INV-1-SBX-500`) or a magic amount (`9900500`), or armed for the
//! next create call of a Client-Id with `POST /_sandbox/scenario`.
//!
//! [`TABLE`] is the one list of scenarios: `doku sandbox --help` prints it, the README
//! copies it (a test keeps the two equal), and the admin call takes its names.
//!
//! A scenario belongs to an invoice number (per Client-Id): the first create call that
//! carries the trigger, or that finds an armed scenario, binds it ([`Book::bind`]), so the
//! retries of that call (same invoice, same Request-Id) see the same scenario and its fault
//! counter. Faults before the commit (500, 503) create nothing; faults after it (stall, not
//! JSON, wrong signature) spoil only the first answer, so a retry with the same Request-Id
//! gets DOKU's 409 replay of the original answer.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Weak};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use tokio::sync::Notify;

use doku::validate::int_value;

use super::errors::ApiError;
use super::policy;
use super::state::{Channel, Status};

/// One fault scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scenario {
    /// The create call is answered 500 once (nothing created), then normally.
    Http500Once,
    /// The create call is answered 503 three times (nothing created), then normally.
    Http503Thrice,
    /// The payment code is created, but the answer is held until the client gives up.
    Stall,
    /// The payment code is created, but the answer's body is an HTML page, not JSON.
    NotJson,
    /// The payment code is created, but the answer's Signature does not verify.
    WrongSignature,
    /// The payment code expires as soon as it is created.
    ExpireAtOnce,
    /// Every payment of the code ends FAILED.
    PaymentFailed,
    /// Indodana rejects the customer's application: the order ends FAILED.
    IndodanaRejects,
    /// The merchant's answers to the first N (1 to 3) notification attempts are dropped.
    DropNotifications(u8),
}

/// One row of the scenario table.
#[derive(Clone, Copy, Debug)]
pub struct ScenarioInfo {
    pub scenario: Scenario,
    /// The name `POST /_sandbox/scenario` takes.
    pub name: &'static str,
    /// The invoice-number suffix that chooses it.
    pub suffix: &'static str,
    /// The `order.amount` that chooses it.
    pub amount: u64,
    /// What the sandbox does.
    pub behaviour: &'static str,
    /// What the merchant's code sees (the doku client's view).
    pub merchant_sees: &'static str,
}

/// Every scenario, in the order the README and `doku sandbox --help` show them.
pub const TABLE: &[ScenarioInfo] = &[
    ScenarioInfo {
        scenario: Scenario::Http500Once,
        name: "http-500-once",
        suffix: "-SBX-500",
        amount: 9_900_500,
        behaviour: "the create call is answered 500 once (nothing is created), then normally",
        merchant_sees: "success after one retry with the same Request-Id (retries=0: `api` error, HTTP 500)",
    },
    ScenarioInfo {
        scenario: Scenario::Http503Thrice,
        name: "http-503-thrice",
        suffix: "-SBX-503",
        amount: 9_900_503,
        behaviour: "the create call is answered 503 three times (nothing is created), then normally",
        merchant_sees: "default retries=2: `api` error, HTTP 503, after 3 attempts with one Request-Id; retries>=3 or a later call with the same Request-Id: success",
    },
    ScenarioInfo {
        scenario: Scenario::Stall,
        name: "stall",
        suffix: "-SBX-STALL",
        amount: 9_900_504,
        behaviour: "the payment code is created, then the answer is held until the client hangs up, a retry with the same Request-Id arrives, or the stall limit (120 s) passes",
        merchant_sees: "`timeout` error (outcome unknown); check status shows PENDING; a retry with the same Request-Id gets the 409 replay of the original answer (`replay: true`)",
    },
    ScenarioInfo {
        scenario: Scenario::NotJson,
        name: "not-json",
        suffix: "-SBX-NOTJSON",
        amount: 9_900_502,
        behaviour: "the payment code is created, but the answer is a signed HTTP 200 HTML page",
        merchant_sees: "`decode` error, HTTP 200, the page in `body`; a retry with the same Request-Id gets the 409 replay (JSON)",
    },
    ScenarioInfo {
        scenario: Scenario::WrongSignature,
        name: "wrong-signature",
        suffix: "-SBX-BADSIG",
        amount: 9_900_401,
        behaviour: "the payment code is created, but the answer's Signature does not verify",
        merchant_sees: "`signature_mismatch` error on `headers.Signature` (response_signature=off: success, `signature_verified: false`); a retry with the same Request-Id gets a correctly signed 409 replay",
    },
    ScenarioInfo {
        scenario: Scenario::ExpireAtOnce,
        name: "expire-at-once",
        suffix: "-SBX-EXPIRE",
        amount: 9_900_410,
        behaviour: "the payment code is created already expired (expired_date = created_date)",
        merchant_sees: "create succeeds; check status EXPIRED; paying it is refused (`transaction_expired`); no notification",
    },
    ScenarioInfo {
        scenario: Scenario::PaymentFailed,
        name: "payment-failed",
        suffix: "-SBX-FAILED",
        amount: 9_900_402,
        behaviour: "every payment of the code (or Indodana order) ends FAILED",
        merchant_sees: "a signed notification with `transaction.status` FAILED; check status FAILED",
    },
    ScenarioInfo {
        scenario: Scenario::IndodanaRejects,
        name: "indodana-rejects",
        suffix: "-SBX-REJECT",
        amount: 9_900_403,
        behaviour: "Indodana orders only: the payment page says the application is rejected; approving it ends FAILED and goes to callback_url_cancel",
        merchant_sees: "a FAILED notification, check status FAILED, the customer back at callback_url_cancel",
    },
    ScenarioInfo {
        scenario: Scenario::DropNotifications(1),
        name: "drop-notifications-1",
        suffix: "-SBX-DROP1",
        amount: 9_900_201,
        behaviour: "the merchant's answer to the first notification attempt is dropped as if the connection broke; DOKU's retry schedule follows (scaled by --time-scale)",
        merchant_sees: "the same notification twice, with the same Request-Id (de-duplicate on it)",
    },
    ScenarioInfo {
        scenario: Scenario::DropNotifications(2),
        name: "drop-notifications-2",
        suffix: "-SBX-DROP2",
        amount: 9_900_202,
        behaviour: "the answers to the first 2 notification attempts are dropped",
        merchant_sees: "the same notification 3 times, with the same Request-Id",
    },
    ScenarioInfo {
        scenario: Scenario::DropNotifications(3),
        name: "drop-notifications-3",
        suffix: "-SBX-DROP3",
        amount: 9_900_203,
        behaviour: "the answers to the first 3 notification attempts are dropped",
        merchant_sees: "the same notification 4 times (every attempt DOKU makes), with the same Request-Id",
    },
];

/// The marker every invoice-number suffix starts with.
pub const SUFFIX_MARKER: &str = "-SBX-";

impl Scenario {
    fn info(self) -> &'static ScenarioInfo {
        TABLE
            .iter()
            .find(|i| i.scenario == self)
            .expect("every scenario is in the table")
    }

    /// The name `POST /_sandbox/scenario` takes (`http-500-once`, ...).
    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// The scenario of a name in [`TABLE`] (case-insensitive).
    pub fn from_name(name: &str) -> Option<Scenario> {
        TABLE
            .iter()
            .find(|i| i.name.eq_ignore_ascii_case(name))
            .map(|i| i.scenario)
    }

    /// Does this scenario apply to `channel`?
    pub fn applies_to(self, channel: Channel) -> bool {
        self != Scenario::IndodanaRejects || channel == Channel::Indodana
    }

    /// How many create attempts are refused before the commit, and with which status.
    fn refusals(self) -> Option<(u32, u16)> {
        match self {
            Scenario::Http500Once => Some((1, 500)),
            Scenario::Http503Thrice => Some((3, 503)),
            _ => None,
        }
    }

    /// The outcome every payment of the transaction gets, whatever was asked.
    pub fn forced_outcome(self) -> Option<Status> {
        matches!(self, Scenario::PaymentFailed | Scenario::IndodanaRejects)
            .then_some(Status::Failed)
    }

    /// Is the transaction created already expired?
    pub fn expires_at_once(self) -> bool {
        self == Scenario::ExpireAtOnce
    }

    /// How many notification attempts have their answer dropped.
    pub fn dropped_notification_attempts(self) -> u32 {
        match self {
            Scenario::DropNotifications(n) => u32::from(n),
            _ => 0,
        }
    }

    /// What spoils the first answer of the create call, if anything.
    pub fn answer_fault(self) -> Option<AnswerFault> {
        match self {
            Scenario::Stall => Some(AnswerFault::Stall),
            Scenario::NotJson => Some(AnswerFault::NotJson),
            Scenario::WrongSignature => Some(AnswerFault::WrongSignature),
            _ => None,
        }
    }

    /// A one-line description for error messages and pages.
    pub fn describe(self) -> String {
        let i = self.info();
        format!(
            "sandbox scenario {} (invoice suffix {} or amount {})",
            i.name, i.suffix, i.amount
        )
    }

    /// The scenario a create request chooses with its invoice-number suffix or its amount.
    /// An unknown `-SBX-` suffix, two different choices or a scenario for another channel
    /// is 400 `invalid_scenario` naming the field.
    pub fn from_request(channel: Channel, body: &Value) -> Result<Option<Scenario>, ApiError> {
        let invoice = body["order"]["invoice_number"].as_str().unwrap_or_default();
        let by_suffix = match suffix_of(invoice) {
            None => None,
            Some(suffix) => Some(
                TABLE
                    .iter()
                    .find(|i| i.suffix.eq_ignore_ascii_case(suffix))
                    .map(|i| i.scenario)
                    .ok_or_else(|| {
                        invalid(
                            "order.invoice_number",
                            format!(
                                "order.invoice_number ends with the unknown sandbox scenario suffix \
                                 {suffix:?}; the suffixes are {}",
                                TABLE.iter().map(|i| i.suffix).collect::<Vec<_>>().join(", ")
                            ),
                        )
                    })?,
            ),
        };
        let by_amount = int_value(&body["order"]["amount"])
            .and_then(|a| TABLE.iter().find(|i| i.amount == a))
            .map(|i| i.scenario);
        let (chosen, field) = match (by_suffix, by_amount) {
            (Some(s), Some(a)) if s != a => {
                return Err(invalid(
                    "order.amount",
                    format!(
                        "order.invoice_number chooses sandbox scenario {} but order.amount chooses \
                         {}; choose one",
                        s.name(),
                        a.name()
                    ),
                ))
            }
            (Some(s), _) => (s, "order.invoice_number"),
            (None, Some(a)) => (a, "order.amount"),
            (None, None) => return Ok(None),
        };
        if !chosen.applies_to(channel) {
            return Err(invalid(
                field,
                format!(
                    "sandbox scenario {} applies to Indodana orders only, not to {}",
                    chosen.name(),
                    channel.display_name()
                ),
            ));
        }
        Ok(Some(chosen))
    }
}

/// The `-SBX-...` suffix of an invoice number, if it has one.
fn suffix_of(invoice: &str) -> Option<&str> {
    let upper = invoice.to_ascii_uppercase();
    let at = upper.rfind(SUFFIX_MARKER)?;
    invoice.get(at..)
}

fn invalid(field: &str, message: String) -> ApiError {
    ApiError::invalid("invalid_scenario", message).with_field(field)
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Scenario {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Scenario {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        Scenario::from_name(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown scenario {name:?}")))
    }
}

/// What spoils the first answer of a create call that was committed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnswerFault {
    Stall,
    NotJson,
    WrongSignature,
}

/// A scenario bound to one invoice number, and how many refusals it has served.
#[derive(Debug)]
struct Run {
    scenario: Scenario,
    refused: u32,
}

/// The scenarios' state: armed scenarios per Client-Id, scenarios bound to invoice numbers,
/// and the answers held by a stall (released by a retry with the same Request-Id). Kept in
/// the sandbox state, under its lock.
#[derive(Debug, Default)]
pub struct Book {
    armed: HashMap<String, VecDeque<Scenario>>,
    runs: HashMap<(String, String), Run>,
    holds: HashMap<(String, String), Weak<Notify>>,
}

impl Book {
    /// Arms `scenario` for the next create call of `client_id`; returns how many are armed.
    pub fn arm(&mut self, client_id: &str, scenario: Scenario) -> Result<usize, ApiError> {
        let queue = self.armed.entry(client_id.to_string()).or_default();
        if queue.len() >= policy::ARMED_SCENARIO_LIMIT {
            return Err(ApiError::invalid(
                "too_many_scenarios",
                format!(
                    "{client_id} already has {} armed scenarios waiting for create calls",
                    queue.len()
                ),
            )
            .with_field("client_id"));
        }
        queue.push_back(scenario);
        Ok(queue.len())
    }

    /// The scenarios armed for `client_id`, next first.
    pub fn armed(&self, client_id: &str) -> Vec<Scenario> {
        self.armed
            .get(client_id)
            .map(|q| q.iter().copied().collect())
            .unwrap_or_default()
    }

    /// The scenario of a create call for `invoice` on `channel`: the one already bound to
    /// it, else the request's own `trigger`, else the next armed one for the Client-Id that
    /// applies to the channel (consumed; an armed `indodana-rejects` waits for an Indodana
    /// order).
    pub fn bind(
        &mut self,
        client_id: &str,
        invoice: &str,
        trigger: Option<Scenario>,
        channel: Channel,
    ) -> Option<Scenario> {
        let key = (client_id.to_string(), invoice.to_string());
        if let Some(run) = self.runs.get(&key) {
            return Some(run.scenario);
        }
        let scenario = trigger.or_else(|| {
            let queue = self.armed.get_mut(client_id)?;
            let at = queue.iter().position(|s| s.applies_to(channel))?;
            let next = queue.remove(at);
            if queue.is_empty() {
                self.armed.remove(client_id);
            }
            next
        })?;
        self.runs.insert(
            key,
            Run {
                scenario,
                refused: 0,
            },
        );
        Some(scenario)
    }

    /// The status to refuse this attempt with, before anything is created, if the scenario
    /// bound to `invoice` still has refusals to serve.
    pub fn refusal(&mut self, client_id: &str, invoice: &str) -> Option<u16> {
        let run = self
            .runs
            .get_mut(&(client_id.to_string(), invoice.to_string()))?;
        let (times, status) = run.scenario.refusals()?;
        (run.refused < times).then(|| {
            run.refused += 1;
            status
        })
    }

    /// Registers a held answer for `(client_id, request_id)`; a retry releases it.
    pub fn hold(&mut self, client_id: &str, request_id: &str) -> Arc<Notify> {
        self.holds.retain(|_, w| w.strong_count() > 0);
        let release = Arc::new(Notify::new());
        self.holds.insert(
            (client_id.to_string(), request_id.to_string()),
            Arc::downgrade(&release),
        );
        release
    }

    /// Releases the answer held for `(client_id, request_id)`, if one still is.
    pub fn release(&mut self, client_id: &str, request_id: &str) {
        let key = (client_id.to_string(), request_id.to_string());
        if let Some(release) = self.holds.remove(&key).and_then(|w| w.upgrade()) {
            release.notify_one();
        }
    }
}

/// The scenario table as plain text columns (for `doku sandbox --help`), the last column
/// wrapped to stay within 100 characters.
pub fn help_table() -> String {
    const INDENT: usize = 51;
    const WIDTH: usize = 100 - INDENT;
    let mut out = String::from("  invoice suffix   amount    name                  what happens\n");
    for i in TABLE {
        let mut lines = vec![String::new()];
        for word in i.behaviour.split(' ') {
            let last = lines.last_mut().expect("one line at least");
            if !last.is_empty() && last.len() + 1 + word.len() > WIDTH {
                lines.push(word.to_string());
            } else {
                if !last.is_empty() {
                    last.push(' ');
                }
                last.push_str(word);
            }
        }
        out.push_str(&format!(
            "  {:<16} {:<9} {:<21} {}\n",
            i.suffix, i.amount, i.name, lines[0]
        ));
        for more in &lines[1..] {
            out.push_str(&format!("{:INDENT$}{more}\n", ""));
        }
    }
    out
}

/// The scenario table as a Markdown table (the README copies it).
pub fn markdown_table() -> String {
    let mut out = String::from(
        "| invoice suffix | amount | name (`POST /_sandbox/scenario`) | the sandbox | the merchant sees |\n\
         |---|---|---|---|---|\n",
    );
    for i in TABLE {
        out.push_str(&format!(
            "| `{}` | `{}` | `{}` | {} | {} |\n",
            i.suffix, i.amount, i.name, i.behaviour, i.merchant_sees
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(invoice: &str, amount: Value) -> Value {
        json!({"order": {"invoice_number": invoice, "amount": amount}})
    }

    #[test]
    fn triggers_by_suffix_or_amount() {
        let pick =
            |inv: &str, amount: Value| Scenario::from_request(Channel::Alfa, &body(inv, amount));
        assert_eq!(pick("INV-1", json!(150000)).unwrap(), None);
        assert_eq!(
            pick("INV-1-SBX-500", json!(150000)).unwrap(),
            Some(Scenario::Http500Once)
        );
        assert_eq!(
            pick("inv-1-sbx-stall", json!(1)).unwrap(),
            Some(Scenario::Stall)
        );
        assert_eq!(
            pick("INV-2", json!("9900503")).unwrap(),
            Some(Scenario::Http503Thrice)
        );
        assert_eq!(
            pick("INV-3-SBX-DROP2", json!(9_900_202)).unwrap(),
            Some(Scenario::DropNotifications(2))
        );
        let e = pick("INV-4-SBX-NOPE", json!(1)).unwrap_err();
        assert_eq!(
            (e.code, e.field.as_deref()),
            ("invalid_scenario", Some("order.invoice_number"))
        );
        assert!(e.message.contains("-SBX-500"), "{}", e.message);
        let e = pick("INV-5-SBX-500", json!(9_900_503)).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("order.amount"));
        let e = pick("INV-6-SBX-REJECT", json!(1)).unwrap_err();
        assert!(e.message.contains("Indodana orders only"), "{}", e.message);
        assert_eq!(
            Scenario::from_request(Channel::Indodana, &body("I-SBX-REJECT", json!(1))).unwrap(),
            Some(Scenario::IndodanaRejects)
        );
    }

    #[test]
    fn the_table_is_consistent() {
        let stall = Scenario::Stall.info().behaviour;
        assert!(stall.contains(&format!("({} s)", policy::STALL_LIMIT.as_secs())));
        for (n, i) in TABLE.iter().enumerate() {
            assert_eq!(Scenario::from_name(i.name), Some(i.scenario));
            assert!(i.suffix.starts_with(SUFFIX_MARKER));
            assert!(i.suffix.len() <= 16 && i.amount.to_string().len() <= 9);
            for j in &TABLE[n + 1..] {
                assert!(i.name != j.name && i.suffix != j.suffix && i.amount != j.amount);
            }
            let json = serde_json::to_string(&i.scenario).unwrap();
            assert_eq!(serde_json::from_str::<Scenario>(&json).unwrap(), i.scenario);
        }
    }

    #[test]
    fn a_bound_scenario_counts_its_refusals_and_arming_is_consumed_once() {
        let mut b = Book::default();
        assert_eq!(b.arm("C", Scenario::Http503Thrice).unwrap(), 1);
        b.arm("C", Scenario::IndodanaRejects).unwrap();
        let alfa = Channel::Alfa;
        assert_eq!(b.bind("C", "I1", None, alfa), Some(Scenario::Http503Thrice));
        assert_eq!(b.bind("C", "I2", None, alfa), None, "consumed by I1");
        assert_eq!(
            b.bind("C", "I1", None, alfa),
            Some(Scenario::Http503Thrice),
            "still bound"
        );
        assert_eq!(
            b.bind("C", "I3", None, Channel::Indodana),
            Some(Scenario::IndodanaRejects),
            "an Indodana-only scenario waits for an Indodana order"
        );
        let served: Vec<_> = (0..4).map(|_| b.refusal("C", "I1")).collect();
        assert_eq!(served, [Some(503), Some(503), Some(503), None]);
        let release = b.hold("C", "R");
        b.release("C", "R");
        // notify_one stores the permit: a waiter arriving later is released too.
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(release.notified());
        for _ in 0..policy::ARMED_SCENARIO_LIMIT {
            b.arm("D", Scenario::Stall).unwrap();
        }
        assert_eq!(
            b.arm("D", Scenario::Stall).unwrap_err().field.as_deref(),
            Some("client_id")
        );
    }
}
