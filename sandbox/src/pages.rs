//! Pages the sandbox serves itself (policy 13): how-to-pay page and API for store payment
//! codes, and the Indodana payment page that `payment.url` points at.

use serde_json::{json, Value};

use doku::clock::format_wib;

use super::state::{Channel, Status, Transaction};

/// The how-to-pay page in each store's seed shape: Alfa
/// `{base}/how-to-pay/v2/alfa-online-to-offline/{code}` (Alfa seed), Indomaret
/// `{base}/indomaret-online-to-offline/v2/how-to-pay-page/{code}` (Indomaret seed).
pub fn how_to_pay_page_url(base: &str, channel: Channel, code: &str) -> String {
    match channel {
        Channel::Alfa => format!("{base}{HOW_TO_PAY_PREFIX}{}/{code}", channel.slug()),
        _ => format!("{base}/{}/v2/how-to-pay-page/{code}", channel.slug()),
    }
}

/// `{base}/{channel}/v2/how-to-pay-api/{code}` (both seeds).
pub fn how_to_pay_api_url(base: &str, channel: Channel, code: &str) -> String {
    format!("{base}/{}/v2/how-to-pay-api/{code}", channel.slug())
}

/// The first segments of the Alfa seed's how-to-pay page path.
const HOW_TO_PAY_PREFIX: &str = "/how-to-pay/v2/";

/// `{base}/_sandbox/indodana/payment/{order_id}`.
pub fn indodana_payment_url(base: &str, order_id: &str) -> String {
    format!("{base}/_sandbox/indodana/payment/{order_id}")
}

/// Which how-to-pay resource a GET path names: (channel, is_api, code). Pages answer at
/// both shapes for both stores (policy 13): `/how-to-pay/v2/{channel}/{code}` (the shape
/// the Alfa seed hands out) and `/{channel}/v2/how-to-pay-page/{code}` (Indomaret's, and
/// the shape Alfa links had before, so links in an older state file keep working). The
/// API is `/{channel}/v2/how-to-pay-api/{code}`.
pub fn parse_how_to_pay(path: &str) -> Option<(Channel, bool, &str)> {
    let o2o = |slug: &str| {
        Channel::ALL
            .into_iter()
            .find(|c| c.is_o2o() && c.slug() == slug)
    };
    let (channel, api, code) = if let Some(rest) = path.strip_prefix(HOW_TO_PAY_PREFIX) {
        let (slug, code) = rest.split_once('/')?;
        (o2o(slug)?, false, code)
    } else {
        let (slug, rest) = path.strip_prefix('/')?.split_once('/')?;
        let (kind, code) = rest.strip_prefix("v2/")?.split_once('/')?;
        let api = match kind {
            "how-to-pay-page" => false,
            "how-to-pay-api" => true,
            _ => return None,
        };
        (o2o(slug)?, api, code)
    };
    (!code.is_empty() && code.bytes().all(|b| b.is_ascii_digit())).then_some((channel, api, code))
}

/// The stores of a channel, as `payment_instruction[].channel` names them.
fn stores(channel: Channel) -> &'static [&'static str] {
    match channel {
        Channel::Alfa => &["Alfamart", "Alfamidi", "Dan+Dan"],
        Channel::Indomaret => &["Indomaret"],
        Channel::Indodana => &[],
    }
}

fn steps(store: &str, code: &str, amount: &Value) -> Vec<String> {
    vec![
        format!("Go to the nearest {store} store."),
        format!("Tell the cashier you want to pay a DOKU payment code for {store}."),
        format!("Give the cashier the payment code {code}."),
        format!("Check the merchant name and the amount (IDR {amount}), then pay."),
        "Keep the receipt as proof of payment.".to_string(),
    ]
}

/// One entry of `payment_instruction`: a store and its steps.
struct Instruction {
    channel: &'static str,
    step: Vec<String>,
}

/// The instructions both the API and the HTML page show, one per store.
fn instructions(t: &Transaction) -> Vec<Instruction> {
    let code = t.payment_code.as_deref().unwrap_or_default();
    stores(t.channel)
        .iter()
        .map(|&store| Instruction {
            channel: store,
            step: steps(store, code, &t.amount),
        })
        .collect()
}

/// The how-to-pay API body: `payment_instruction[]`, each `{"channel": "<store>", "step":
/// ["...", ...]}`, the keys DOKU's OpenCart, WooCommerce and Magento plugins read; the
/// other top-level fields are informational.
pub fn how_to_pay_api(t: &Transaction) -> Value {
    let instructions: Vec<Value> = instructions(t)
        .into_iter()
        .map(|i| json!({ "channel": i.channel, "step": i.step }))
        .collect();
    json!({
        "payment_code": t.payment_code.as_deref().unwrap_or_default(),
        "amount": t.amount,
        "status": t.status.as_str(),
        "expired_date": format_wib(t.expired_unix),
        "payment_instruction": instructions,
    })
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t}</title><style>body{{font-family:sans-serif;max-width:40em;margin:2em auto;\
         padding:0 1em}}code{{font-size:1.4em;letter-spacing:.1em}}.note{{color:#666}}</style>\
         </head><body><p class=\"note\">DOKU sandbox (local emulator)</p><h1>{t}</h1>\n{body}\n\
         </body></html>\n",
        t = escape(title)
    )
}

/// The how-to-pay HTML page.
pub fn how_to_pay_page(t: &Transaction) -> String {
    let code = t.payment_code.clone().unwrap_or_default();
    let mut body = format!(
        "<p>Payment code: <code>{}</code></p><p>Amount: IDR {}<br>Invoice: {}<br>\
         Pay before: {} WIB<br>Status: {}</p>",
        escape(&code),
        escape(&t.amount.to_string()),
        escape(&t.invoice_number),
        escape(&format_wib(t.expired_unix)),
        t.status.as_str()
    );
    for i in instructions(t) {
        body.push_str(&format!("<h2>{}</h2><ol>", escape(i.channel)));
        for s in &i.step {
            body.push_str(&format!("<li>{}</li>", escape(s)));
        }
        body.push_str("</ol>");
    }
    body.push_str(&format!(
        "<p class=\"note\">Simulate the store payment: <code style=\"font-size:1em\">curl -X POST \
         -d '{{\"payment_code\":\"{}\"}}' &lt;sandbox&gt;/_sandbox/pay</code></p>",
        escape(&code)
    ));
    page(
        &format!("How to pay at {}", t.channel.display_name()),
        &body,
    )
}

/// The Indodana payment page with approve / reject buttons.
pub fn indodana_page(t: &Transaction) -> String {
    let id = t.indodana_order_id.clone().unwrap_or_default();
    let mut body = format!(
        "<p>Order {}<br>Invoice: {}<br>Amount: IDR {}<br>Status: {}</p>",
        escape(&id),
        escape(&t.invoice_number),
        escape(&t.amount.to_string()),
        t.status.as_str()
    );
    if t.scenario == Some(super::scenario::Scenario::IndodanaRejects) {
        body.push_str(
            "<p class=\"note\" id=\"rejected\">Indodana rejected this credit application \
             (sandbox scenario indodana-rejects): whatever you choose, the order ends FAILED and \
             you return to the merchant's cancel page.</p>",
        );
    }
    if t.status == Status::Pending {
        let action = format!("/_sandbox/indodana/payment/{}", escape(&id));
        body.push_str(&format!(
            "<form method=\"post\" action=\"{action}/approve\"><button>Approve the instalment \
             (SUCCESS)</button></form><p></p><form method=\"post\" action=\"{action}/reject\">\
             <button>Reject (FAILED)</button></form>"
        ));
    }
    page("Indodana PayLater", &body)
}

/// A small page after an approve/reject when the order has no callback URL.
pub fn indodana_done(t: &Transaction) -> String {
    page(
        "Indodana PayLater",
        &format!(
            "<p>Invoice {}: {}</p>",
            escape(&t.invoice_number),
            t.status.as_str()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn how_to_pay_paths_round_trip() {
        let u = how_to_pay_api_url("", Channel::Alfa, "8888812");
        assert_eq!(u, "/alfa-online-to-offline/v2/how-to-pay-api/8888812");
        assert_eq!(parse_how_to_pay(&u), Some((Channel::Alfa, true, "8888812")));
        let p = how_to_pay_page_url("", Channel::Indomaret, "1");
        assert_eq!(p, "/indomaret-online-to-offline/v2/how-to-pay-page/1");
        assert_eq!(parse_how_to_pay(&p), Some((Channel::Indomaret, false, "1")));
        // Alfa: the seed's shape, and the older shape still parses.
        let a = how_to_pay_page_url("http://h", Channel::Alfa, "73");
        assert_eq!(a, "http://h/how-to-pay/v2/alfa-online-to-offline/73");
        assert_eq!(
            parse_how_to_pay("/how-to-pay/v2/alfa-online-to-offline/73"),
            Some((Channel::Alfa, false, "73"))
        );
        assert_eq!(
            parse_how_to_pay("/alfa-online-to-offline/v2/how-to-pay-page/73"),
            Some((Channel::Alfa, false, "73"))
        );
        for bad in [
            "/how-to-pay/v2/alfa-online-to-offline/",
            "/how-to-pay/v2/alfa-online-to-offline/7a",
            "/how-to-pay/v2/alfa-online-to-offline/73/x",
            "/how-to-pay/v2/indodana-peer-to-peer/73",
            "/how-to-pay/v1/alfa-online-to-offline/73",
            "/how-to-pay/v2/73",
        ] {
            assert_eq!(parse_how_to_pay(bad), None, "{bad}");
        }
        assert_eq!(
            parse_how_to_pay("/alfa-online-to-offline/v2/payment-code"),
            None
        );
        assert_eq!(
            parse_how_to_pay("/indodana-peer-to-peer/v2/how-to-pay-api/1"),
            None
        );
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
