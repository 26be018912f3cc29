//! The dashboard at `GET /` (policy 21) and the simulation endpoints behind it and behind
//! `doku sandbox pay|list|notifications`: `GET /_sandbox/transactions`, the form actions
//! `POST /_sandbox/transactions/{pay,fail,expire,resend}`, and `POST /_sandbox/scenario`.
//!
//! The page is rendered on the server, with plain HTML forms and no JavaScript, in one
//! column that reads on a phone. Everything it shows from a request or from a merchant's
//! answer (invoice numbers, URLs, answer bytes) is untrusted and goes through
//! [`pages::escape`]; secrets (keys, signatures) are never part of what it is given.

use std::collections::HashMap;

use serde_json::{json, Map, Value};

use doku::clock::{format_timestamp, format_wib};
use doku::validate;

use super::errors::ApiError;
use super::notify::NotificationAttempt;
use super::pages::{self, escape};
use super::policy;
use super::scenario::{self, Scenario};
use super::server::{dispatch, percent_decode, Headers, Reply, Shared};
use super::state::{PaySelector, State, Status, Transaction};

/// `GET /`: the dashboard; any other method is 405.
pub(crate) fn page_route(shared: &Shared, method: &str) -> Reply {
    if method != "GET" && method != "HEAD" {
        let mut r = Reply::error(&ApiError::method_not_allowed(method, "/", "GET"));
        r.extra.push(("Allow", "GET".into()));
        return r;
    }
    let now = shared.clock.now_millis();
    let txns = shared.with_state(|st| st.newest_first(now, policy::DASHBOARD_LIMIT));
    let total = shared.with_state(|st| st.len());
    let attempts = shared.notifier.attempts();
    let mut r = Reply::html(200, render(&txns, total, &attempts, now));
    r.extra.push(("Cache-Control", "no-store".into()));
    r
}

/// The attempts of each (Client-Id, invoice number), oldest first.
fn by_transaction(
    attempts: &[NotificationAttempt],
) -> HashMap<(&str, &str), Vec<&NotificationAttempt>> {
    let mut map: HashMap<(&str, &str), Vec<&NotificationAttempt>> = HashMap::new();
    for a in attempts {
        map.entry((a.client_id.as_str(), a.invoice_number.as_str()))
            .or_default()
            .push(a);
    }
    map
}

const STYLE: &str = "\
*{box-sizing:border-box}body{font:16px/1.4 system-ui,sans-serif;margin:0 auto;max-width:64em;\
padding:.5em;color:#1b1b1b;background:#f6f7f9}h1{font-size:1.4em;margin:.3em 0}\
.note{color:#555;font-size:.9em}article{background:#fff;border:1px solid #d8dbe0;\
border-radius:8px;padding:.7em;margin:.8em 0}h2{font-size:1.1em;margin:0 0 .4em;\
overflow-wrap:anywhere}dl{display:grid;grid-template-columns:max-content 1fr;gap:.15em .8em;\
margin:.3em 0}dt{color:#555}dd{margin:0;overflow-wrap:anywhere}code{font-size:1.05em}\
.st{font-size:.8em;padding:.1em .5em;border-radius:1em;background:#eee;white-space:nowrap}\
.st-SUCCESS{background:#d4f5d9}.st-FAILED{background:#fbd9d9}.st-EXPIRED{background:#e6e6e6}\
.st-PENDING{background:#fff1c2}.actions{display:flex;flex-wrap:wrap;gap:.4em;margin:.5em 0}\
.actions form{margin:0}button{font:inherit;padding:.45em .9em;border-radius:6px;\
border:1px solid #888;background:#fff;min-height:2.5em}button.pay{background:#1d6f42;\
color:#fff;border-color:#1d6f42}button:disabled{opacity:.4}.scroll{overflow-x:auto}\
table{border-collapse:collapse;font-size:.85em;width:100%}th,td{text-align:left;\
padding:.25em .4em;border-top:1px solid #e3e5e8;vertical-align:top}td.answer{font-family:\
monospace;white-space:pre-wrap;overflow-wrap:anywhere;max-width:20em}\
tr.ok td.http{color:#1d6f42;font-weight:bold}tr.bad td.http{color:#a11}\
@media (max-width:40em){table.attempts tr:first-child{display:none}table.attempts tr{display:block;\
border-top:1px solid #d8dbe0;padding:.3em 0}table.attempts td{display:grid;\
grid-template-columns:7em minmax(0,1fr);border:0;max-width:none;overflow-wrap:anywhere}table.attempts td::before{\
content:attr(data-label);color:#555;font-family:system-ui,sans-serif}}";

/// DOKU's `yyyyMMddHHmmss` WIB time, written for people: `2020-08-11 15:45:42 WIB`.
fn wib(unix: i64) -> String {
    let t = format_wib(unix);
    let b = t.as_bytes();
    if b.len() == 14 && b.iter().all(u8::is_ascii_digit) {
        format!(
            "{}-{}-{} {}:{}:{} WIB",
            &t[0..4],
            &t[4..6],
            &t[6..8],
            &t[8..10],
            &t[10..12],
            &t[12..14]
        )
    } else {
        format!("{t} WIB")
    }
}

fn render(
    txns: &[(usize, Transaction)],
    total: usize,
    attempts: &[NotificationAttempt],
    now_ms: i64,
) -> String {
    let by_txn = by_transaction(attempts);
    let mut body = String::with_capacity(4096 + txns.len() * 2048);
    body.push_str(&format!(
        "<header><h1>DOKU sandbox</h1><p class=\"note\">{total} transaction{s}, newest first{shown} \
         &middot; <a href=\"/\">Refresh</a> &middot; {now} UTC</p></header><main>",
        s = if total == 1 { "" } else { "s" },
        shown = if total > txns.len() {
            format!(" (the newest {} shown)", txns.len())
        } else {
            String::new()
        },
        now = escape(&format_timestamp(now_ms.div_euclid(1000))),
    ));
    if txns.is_empty() {
        body.push_str(
            "<p>No transactions yet. Create a payment code with your client pointed at this \
             sandbox; it appears here.</p>",
        );
    }
    for (index, t) in txns {
        let empty = Vec::new();
        let list = by_txn
            .get(&(t.client_id.as_str(), t.invoice_number.as_str()))
            .unwrap_or(&empty);
        body.push_str(&transaction(*index, t, list, now_ms));
    }
    body.push_str("</main>");
    body.push_str(&scenario_section());
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>DOKU sandbox</title><style>{STYLE}</style></head><body>{body}</body></html>\n"
    )
}

fn transaction(
    index: usize,
    t: &Transaction,
    attempts: &[&NotificationAttempt],
    now_ms: i64,
) -> String {
    let status = t.status.as_str();
    let mut out = format!(
        "<article class=\"txn\" id=\"txn-{index}\" data-invoice=\"{inv}\" data-status=\"{status}\">\
         <h2><span class=\"inv\">{inv}</span> <span class=\"st st-{status}\">{status}</span></h2><dl>",
        inv = escape(&t.invoice_number),
    );
    let mut row = |k: &str, v: String| out.push_str(&format!("<dt>{k}</dt><dd>{v}</dd>"));
    row("Channel", escape(t.channel.display_name()));
    row("Amount", format!("IDR {}", escape(&t.amount.to_string())));
    match (&t.payment_code, &t.indodana_order_id) {
        (Some(code), _) => row(
            "Payment code",
            format!(
                "<code class=\"code\">{}</code> &middot; <a href=\"{}\">How to pay</a>",
                escape(code),
                escape(&pages::how_to_pay_page_url("", t.channel, code))
            ),
        ),
        (None, Some(order)) => row(
            "Indodana order",
            format!(
                "<code>{}</code> &middot; <a href=\"{}\">Payment page</a>",
                escape(order),
                escape(&pages::indodana_payment_url("", order))
            ),
        ),
        (None, None) => {}
    }
    row("Expires", escape(&wib(t.expired_unix)));
    row("Created", escape(&wib(t.created_unix)));
    row("Merchant", escape(&t.client_id));
    if let Some(s) = t.scenario {
        row("Scenario", format!("<code>{}</code>", escape(s.name())));
    }
    out.push_str("</dl><div class=\"actions\">");
    let payable = State::payable(t, now_ms);
    for (action, label, enabled) in [
        ("pay", "Pay", payable),
        ("fail", "Fail", payable),
        ("expire", "Expire", t.status == Status::Pending),
        ("resend", "Resend notification", !t.payments.is_empty()),
    ] {
        out.push_str(&format!(
            "<form method=\"post\" action=\"/_sandbox/transactions/{action}\">\
             <input type=\"hidden\" name=\"client_id\" value=\"{cid}\">\
             <input type=\"hidden\" name=\"invoice_number\" value=\"{inv}\">\
             <button class=\"{action}\"{disabled}>{label}</button></form>",
            cid = escape(&t.client_id),
            inv = escape(&t.invoice_number),
            disabled = if enabled { "" } else { " disabled" },
        ));
    }
    out.push_str("</div>");
    out.push_str(&format!(
        "<details{open}><summary>Notifications ({n})</summary>",
        open = if attempts.is_empty() { "" } else { " open" },
        n = attempts.len()
    ));
    if attempts.is_empty() {
        out.push_str("<p class=\"note\">None yet: a payment sends one.</p>");
    } else {
        out.push_str(
            "<div class=\"scroll\"><table class=\"attempts\"><tr><th>Time (UTC)</th><th>#</th>\
             <th>Target URL</th><th>HTTP</th><th>Latency</th><th>Merchant answer</th>\
             <th>Request-Id</th></tr>",
        );
        for a in attempts.iter().rev() {
            let http = match (a.status, &a.error) {
                (Some(s), None) => s.to_string(),
                (Some(s), Some(e)) => format!("{s} ({})", escape(e)),
                (None, Some(e)) => escape(e),
                (None, None) => "-".into(),
            };
            out.push_str(&format!(
                "<tr class=\"attempt {class}\" data-status=\"{status}\" data-delivered=\"{delivered}\">\
                 <td data-label=\"Time (UTC)\">{time}</td><td data-label=\"Attempt\">{n}{retry}</td>\
                 <td data-label=\"Target URL\">{url}</td><td class=\"http\" data-label=\"HTTP\">{http}</td>\
                 <td data-label=\"Latency\">{latency}</td><td class=\"answer\" data-label=\"Answer\">{answer}</td>\
                 <td data-label=\"Request-Id\"><code>{rid}</code></td></tr>",
                class = if a.delivered { "ok" } else { "bad" },
                status = a.status.map(|s| s.to_string()).unwrap_or_default(),
                delivered = a.delivered,
                time = escape(&a.time),
                n = a.attempt,
                retry = if a.will_retry { " (will retry)" } else { "" },
                url = if a.url.is_empty() { "(none)".to_string() } else { escape(&a.url) },
                latency = a
                    .latency_ms
                    .map(|ms| format!("{ms} ms"))
                    .unwrap_or_else(|| "-".into()),
                answer = escape(a.answer.as_deref().unwrap_or("")),
                rid = escape(&a.request_id),
            ));
        }
        out.push_str("</table></div>");
    }
    out.push_str("</details></article>");
    out
}

fn scenario_section() -> String {
    let mut out = String::from(
        "<details><summary>Fault scenarios</summary><p class=\"note\">End an invoice number with \
         a suffix, send a magic amount, or <code>POST /_sandbox/scenario {\"client_id\", \
         \"scenario\"}</code> for the next create call.</p><div class=\"scroll\"><table>\
         <tr><th>Suffix</th><th>Amount</th><th>Name</th><th>What happens</th></tr>",
    );
    for i in scenario::TABLE {
        out.push_str(&format!(
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(i.suffix),
            i.amount,
            escape(i.name),
            escape(i.behaviour)
        ));
    }
    out.push_str("</table></div></details>");
    out
}

/// One transaction as `GET /_sandbox/transactions` lists it.
fn transaction_json(shared: &Shared, t: &Transaction) -> Value {
    let mut m = Map::new();
    m.insert("client_id".into(), json!(t.client_id));
    m.insert("invoice_number".into(), json!(t.invoice_number));
    m.insert("channel".into(), json!(t.channel));
    m.insert("amount".into(), t.amount.clone());
    m.insert("payment_code".into(), json!(t.payment_code));
    m.insert("indodana_order_id".into(), json!(t.indodana_order_id));
    m.insert("status".into(), json!(t.status.as_str()));
    m.insert("created".into(), json!(format_timestamp(t.created_unix)));
    m.insert("expires".into(), json!(format_timestamp(t.expired_unix)));
    m.insert("scenario".into(), json!(t.scenario));
    let page = match (&t.payment_code, &t.indodana_order_id) {
        (Some(code), _) => Some(pages::how_to_pay_page_url(
            &shared.base_url,
            t.channel,
            code,
        )),
        (None, Some(order)) => Some(pages::indodana_payment_url(&shared.base_url, order)),
        _ => None,
    };
    m.insert("page".into(), json!(page));
    m.insert("payments".into(), json!(t.payments.len()));
    Value::Object(m)
}

/// `GET /_sandbox/transactions`: `{"transactions": [...]}`, newest first.
pub(crate) fn transactions_json(shared: &Shared) -> Reply {
    let now = shared.clock.now_millis();
    let txns = shared.with_state(|st| st.newest_first(now, usize::MAX));
    let list: Vec<Value> = txns
        .iter()
        .map(|(_, t)| transaction_json(shared, t))
        .collect();
    Reply::value(200, &json!({ "transactions": list }))
}

/// `GET /_sandbox/scenario`: the table and the armed scenarios.
pub(crate) fn scenario_list(shared: &Shared) -> Reply {
    let table: Vec<Value> = scenario::TABLE
        .iter()
        .map(|i| {
            json!({"name": i.name, "suffix": i.suffix, "amount": i.amount,
                   "behaviour": i.behaviour, "merchant_sees": i.merchant_sees})
        })
        .collect();
    let mut ids: Vec<&String> = shared.merchants.keys().collect();
    ids.sort_unstable();
    let armed: Map<String, Value> = shared.with_state(|st| {
        ids.iter()
            .map(|id| ((*id).clone(), json!(st.scenarios.armed(id))))
            .collect()
    });
    Reply::value(200, &json!({ "scenarios": table, "armed": armed }))
}

/// `POST /_sandbox/scenario` `{"client_id": "...", "scenario": "http-500-once"}`: arms the
/// scenario for the next create call of that Client-Id (`client_id` may be left out when
/// the sandbox has one merchant).
pub(crate) fn arm_scenario(shared: &Shared, body: &[u8]) -> Result<Reply, ApiError> {
    let v = validate::parse_json(body, "body").map_err(|e| {
        ApiError::invalid("invalid_json", e.message().to_string()).with_field("body")
    })?;
    let Some(obj) = v.as_object() else {
        return Err(ApiError::invalid(
            "invalid_field",
            "the body must be a JSON object {\"client_id\": ..., \"scenario\": ...}",
        )
        .with_field("body"));
    };
    if let Some(k) = obj.keys().find(|k| *k != "client_id" && *k != "scenario") {
        return Err(ApiError::invalid(
            "invalid_field",
            format!("unknown field {k:?}: give \"client_id\" and \"scenario\""),
        )
        .with_field(k.clone()));
    }
    let names = || {
        scenario::TABLE
            .iter()
            .map(|i| i.name)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let scenario = match obj.get("scenario") {
        Some(Value::String(name)) => Scenario::from_name(name).ok_or_else(|| {
            ApiError::invalid(
                "invalid_field",
                format!(
                    "scenario {name:?} is unknown; the scenarios are {}",
                    names()
                ),
            )
            .with_field("scenario")
        })?,
        _ => {
            return Err(ApiError::invalid(
                "invalid_field",
                format!("scenario is required, one of {}", names()),
            )
            .with_field("scenario"))
        }
    };
    let client_id = match obj.get("client_id") {
        Some(Value::String(id)) => id.clone(),
        None if shared.merchants.len() == 1 => {
            shared.merchants.keys().next().cloned().unwrap_or_default()
        }
        None => {
            return Err(ApiError::invalid(
                "invalid_field",
                "client_id is required: this sandbox has several merchants",
            )
            .with_field("client_id"))
        }
        Some(_) => {
            return Err(
                ApiError::invalid("invalid_field", "client_id must be a string")
                    .with_field("client_id"),
            )
        }
    };
    if !shared.merchants.contains_key(&client_id) {
        return Err(ApiError::invalid(
            "unknown_client_id",
            format!("client_id {client_id} is not a merchant of this sandbox"),
        )
        .with_field("client_id"));
    }
    let armed = shared.with_state(|st| {
        st.scenarios.arm(&client_id, scenario)?;
        Ok::<_, ApiError>(st.scenarios.armed(&client_id))
    })?;
    Ok(Reply::value(
        200,
        &json!({ "client_id": client_id, "scenario": scenario, "armed": armed }),
    ))
}

/// Parses an `application/x-www-form-urlencoded` body of the dashboard's forms.
fn form(body: &[u8]) -> Result<(String, String), ApiError> {
    let text = std::str::from_utf8(body).map_err(|_| {
        ApiError::invalid("invalid_form", "the form body is not UTF-8").with_field("body")
    })?;
    let (mut client_id, mut invoice) = (None, None);
    for pair in text.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        // Form encoding writes a space as '+'; the rest is the path segments' rule.
        let decode = |s: &str, field: &str| {
            percent_decode(&s.replace('+', " ")).ok_or_else(|| {
                ApiError::invalid("invalid_form", format!("{field} is not well encoded"))
                    .with_field(field.to_string())
            })
        };
        let key = decode(k, "body")?;
        match key.as_str() {
            "client_id" => client_id = Some(decode(v, "client_id")?),
            "invoice_number" => invoice = Some(decode(v, "invoice_number")?),
            other => {
                return Err(ApiError::invalid(
                    "invalid_form",
                    format!("unknown form field {other:?}"),
                )
                .with_field(other.to_string()))
            }
        }
    }
    let missing = |f: &str| {
        ApiError::invalid("invalid_form", format!("{f} is required")).with_field(f.to_string())
    };
    Ok((
        client_id.ok_or_else(|| missing("client_id"))?,
        invoice.ok_or_else(|| missing("invoice_number"))?,
    ))
}

/// Refuses a form posted from another site (policy 21).
fn same_origin(shared: &Shared, h: &Headers) -> Result<(), ApiError> {
    let cross = || {
        ApiError::new(
            403,
            "cross_site_form",
            super::ErrorType::InvalidRequest,
            "this form was posted from another site; use the sandbox's own dashboard",
        )
        .with_field("headers.Origin")
    };
    if h.get("Sec-Fetch-Site") == Some("cross-site") {
        return Err(cross());
    }
    match h.get("Origin") {
        None | Some("null") => Ok(()),
        Some(origin) => {
            let host = h.get("Host").unwrap_or_default();
            let ok = origin == shared.base_url
                || origin == format!("http://{host}")
                || origin == format!("https://{host}");
            if ok {
                Ok(())
            } else {
                Err(cross())
            }
        }
    }
}

/// `POST /_sandbox/transactions/{pay,fail,expire,resend}` from the dashboard: does it and
/// sends the browser back to the transaction (303), or shows why not.
pub(crate) fn action(
    shared: &Shared,
    h: &Headers,
    action: &str,
    body: &[u8],
) -> Result<Reply, ApiError> {
    let result = (|| {
        same_origin(shared, h)?;
        let (client_id, invoice_number) = form(body)?;
        let sel = PaySelector::Invoice {
            client_id: Some(client_id),
            invoice_number,
        };
        let now = shared.clock.now_millis();
        match action {
            "pay" | "fail" => {
                let outcome = if action == "pay" {
                    Status::Success
                } else {
                    Status::Failed
                };
                let out = shared.with_state(|st| st.pay(&sel, outcome, now))?;
                dispatch(shared, out.notification);
            }
            "expire" => shared.with_state(|st| st.expire(&sel, now))?,
            "resend" => {
                let draft = shared.with_state(|st| st.resend(&sel))?;
                dispatch(shared, draft);
            }
            other => {
                return Err(ApiError::not_found(
                    "not_found",
                    format!("no dashboard action {other:?}: use pay, fail, expire or resend"),
                ))
            }
        }
        Ok(())
    })();
    match result {
        Ok(()) => {
            let mut r = Reply::html(303, "<a href=\"/\">Back to the dashboard</a>".into());
            r.extra.push(("Location", "/".into()));
            Ok(r)
        }
        Err(e) => {
            let body = format!(
                "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta \
                 name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>DOKU \
                 sandbox: not done</title><style>{STYLE}</style></head><body><h1>Not done</h1>\
                 <p class=\"error\" data-code=\"{code}\">{msg}</p><p><a href=\"/\">Back to the \
                 dashboard</a></p></body></html>\n",
                code = escape(e.code),
                msg = escape(&e.message)
            );
            Ok(Reply::html(e.status, body))
        }
    }
}
