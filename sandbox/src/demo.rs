//! `doku demo`: the whole merchant flow against the embedded sandbox, in a few seconds.
//!
//! It starts the sandbox on a free port and a notification receiver (which verifies every
//! notification with [`doku::verify_notification`]), then does what a merchant does:
//! creates an Alfa and an Indomaret payment code and an Indodana order through
//! [`doku::Client`] (response signatures required), pays each through the sandbox's
//! simulation API, waits for each verified notification, and confirms with check status.

use std::io::Write;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use doku::{Client, Config, RequestOptions, ResponseSignaturePolicy};

use super::receiver::NotificationReceiver;
use super::{Merchant, Sandbox, SandboxConfig};

/// The demo merchant.
pub const DEMO_CLIENT_ID: &str = "MCH-DEMO-0001";
const DEMO_SECRET_KEY: &str = "SK-demo-0001-not-a-real-key";
const NOTIFICATION_PATH: &str = "/payments/notifications";
/// The longest the demo waits for one notification.
pub const NOTIFICATION_WAIT: Duration = Duration::from_secs(10);

/// What a successful run did.
#[derive(Clone, Debug)]
pub struct DemoSummary {
    pub sandbox_url: String,
    pub invoices: Vec<String>,
    pub notifications_verified: usize,
    pub elapsed: Duration,
}

struct Transcript<'a> {
    out: &'a mut dyn Write,
}

impl Transcript<'_> {
    fn ok(&mut self, line: impl AsRef<str>) {
        let _ = writeln!(self.out, "✓ {}", line.as_ref());
        let _ = self.out.flush();
    }

    fn note(&mut self, line: impl AsRef<str>) {
        let _ = writeln!(self.out, "    {}", line.as_ref());
    }
}

fn step<E: std::fmt::Display>(what: &'static str) -> impl Fn(E) -> String {
    move |e| format!("{what}: {e}")
}

fn str_at<'v>(v: &'v Value, path: &[&str]) -> Result<&'v str, String> {
    let mut cur = v;
    for k in path {
        cur = &cur[*k];
    }
    cur.as_str()
        .ok_or_else(|| format!("the response has no {} string: {v}", path.join(".")))
}

/// The sample bodies of the seeds, with this run's invoice numbers.
fn alfa_body(invoice: &str) -> Value {
    json!({
        "order": { "invoice_number": invoice, "amount": 150000 },
        "online_to_offline_info": { "expired_time": 60, "reusable_status": false, "info": "Thank you for shopping" },
        "customer": { "name": "Taufik Ismail", "email": "taufik@example.com" },
        "alfa_info": { "receipt": { "footer_message": "Call Center 021 555-0525" } }
    })
}

fn indomaret_body(invoice: &str) -> Value {
    json!({
        "order": { "invoice_number": invoice, "amount": 150000 },
        "online_to_offline_info": { "expired_time": 60, "reusable_status": false, "info": "Thanks for shopping in jokul.com" },
        "customer": { "name": "Taufik Ismail", "email": "taufik@doku.com" },
        "indomaret_info": { "receipt": { "description": "Voucher 10000", "footer_message": "Call 13555 for customer support" } }
    })
}

fn indodana_body(invoice: &str) -> Value {
    let address = json!({
        "first_name": "andreas", "last_name": "dharmawan",
        "address": "Jalan Teknologi Indonesia No. 25", "city": "Jakarta",
        "postal_code": "12960", "phone": "081513114262", "country_code": "IDN"
    });
    json!({
        "order": {
            "invoice_number": invoice,
            "line_items": [{
                "name": "Ayam", "price": 50000, "quantity": 2, "id": "1002", "category": "ELECTRONIC",
                "url": "https://merchant.com/product_1002", "image_url": "https://merchant.com/product_1002/image",
                "type": "handphone"
            }],
            "amount": 100000,
            "callback_url": "https://merchant.com/return-url",
            "callback_url_cancel": "https://merchant.com/cancel-url"
        },
        "peer_to_peer_info": { "expired_time": 60, "merchant_unique_reference": format!("MUR-{invoice}") },
        "customer": { "first_name": "andreas", "last_name": "dharmawan", "phone": "081939815480", "email": "andreas@email.com" },
        "billing_address": address,
        "shipping_address": address
    })
}

/// Runs the demo, writing the transcript to `out`. `Err` says which step failed and why.
pub fn run_demo(out: &mut dyn Write) -> Result<DemoSummary, String> {
    let started = Instant::now();
    let mut t = Transcript { out };
    let _ = writeln!(
        t.out,
        "doku demo: a merchant's flow against the local DOKU sandbox"
    );

    let receiver = NotificationReceiver::start(DEMO_CLIENT_ID, DEMO_SECRET_KEY, NOTIFICATION_PATH)
        .map_err(step("start the notification receiver"))?;
    let merchant = Merchant::new(DEMO_CLIENT_ID, DEMO_SECRET_KEY)
        .and_then(|m| m.with_notification_url(receiver.url()))
        .map_err(step("configure the merchant"))?;
    let sandbox = Sandbox::start(SandboxConfig::default().merchant(merchant))
        .map_err(step("start the sandbox"))?;
    t.ok(format!(
        "sandbox listening on {} (merchant {DEMO_CLIENT_ID})",
        sandbox.base_url()
    ));
    t.ok(format!(
        "notification receiver on {} (verifies every signature)",
        receiver.url()
    ));

    let mut config = Config::new(DEMO_CLIENT_ID, DEMO_SECRET_KEY)
        .and_then(|c| c.with_base_url(sandbox.base_url()))
        .map_err(step("configure the client"))?;
    config.response_signature = ResponseSignaturePolicy::Require;
    config.timeout = Duration::from_secs(10);
    config.retries = 0;
    let client = Client::new(config).map_err(step("build the client"))?;
    let opts = RequestOptions::default();

    let run = format!(
        "{}-{:04}",
        doku::clock::Clock::now_unix(&doku::SystemClock),
        fastrand::u16(0..10000)
    );
    let invoices = [
        format!("INV-DEMO-{run}-ALFA"),
        format!("INV-DEMO-{run}-IDM"),
        format!("INV-DEMO-{run}-IDN"),
    ];

    let alfa = client
        .alfa_payment_code(&alfa_body(&invoices[0]), &opts)
        .map_err(step("create the Alfa payment code"))?;
    let info = &alfa.body["online_to_offline_info"];
    t.ok(format!(
        "Alfa Group payment code {} for {} ({}, pay before {}, response signature verified)",
        str_at(info, &["payment_code"])?,
        invoices[0],
        rupiah(150_000),
        human_wib(str_at(info, &["expired_date"])?)
    ));
    t.note(format!(
        "how to pay: {}",
        str_at(info, &["how_to_pay_page"])?
    ));

    let idm = client
        .indomaret_payment_code(&indomaret_body(&invoices[1]), &opts)
        .map_err(step("create the Indomaret payment code"))?;
    let info = &idm.body["online_to_offline_info"];
    t.ok(format!(
        "Indomaret payment code {} for {} ({}, pay before {})",
        str_at(info, &["payment_code"])?,
        invoices[1],
        rupiah(150_000),
        human_wib(str_at(info, &["expired_date"])?)
    ));
    t.note(format!(
        "how to pay: {}",
        str_at(info, &["how_to_pay_page"])?
    ));

    let idn = client
        .indodana_generate_order(&indodana_body(&invoices[2]), &opts)
        .map_err(step("create the Indodana order"))?;
    t.ok(format!(
        "Indodana order {} for {} ({}, payment {})",
        idn.body["peer_to_peer_info"]["identifier"][0]["value"]
            .as_str()
            .ok_or_else(|| format!(
                "the Indodana response has no INDODANA_ORDER_ID: {}",
                idn.body
            ))?,
        invoices[2],
        rupiah(100_000),
        str_at(&idn.body, &["payment", "status"])?
    ));
    t.note(format!(
        "payment page: {}",
        str_at(&idn.body, &["payment", "url"])?
    ));

    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into();
    let labels = ["Alfamart counter", "Indomaret counter", "Indodana approval"];
    for (invoice, label) in invoices.iter().zip(labels) {
        let pay = json!({ "invoice_number": invoice }).to_string();
        let mut resp = agent
            .post(&format!("{}/_sandbox/pay", sandbox.base_url()))
            .content_type("application/json")
            .send(pay.as_bytes())
            .map_err(step("call POST /_sandbox/pay"))?;
        let status = resp.status().as_u16();
        let text = resp.body_mut().read_to_string().unwrap_or_default();
        if status != 200 {
            return Err(format!(
                "pay {invoice}: the sandbox answered {status}: {text}"
            ));
        }
        t.ok(format!("paid {invoice} ({label}, simulated)"));

        let got = receiver.wait_for(
            |r| {
                r.iter().any(|n| {
                    n.notification()
                        .is_some_and(|n| &n.invoice_number == invoice)
                })
            },
            NOTIFICATION_WAIT,
        );
        if let Some(bad) = got.iter().find_map(|r| r.result.as_ref().err()) {
            return Err(format!("a notification failed verification: {bad}"));
        }
        let n = got
            .iter()
            .filter_map(|r| r.notification())
            .find(|n| &n.invoice_number == invoice)
            .ok_or_else(|| {
                format!(
                    "no notification for {invoice} within {} s (attempts: {:?})",
                    NOTIFICATION_WAIT.as_secs(),
                    sandbox.notifications()
                )
            })?;
        if !n.is_success() {
            return Err(format!("the notification for {invoice} says {}", n.status));
        }
        t.ok(format!(
            "notification verified: {} {} via {} (Request-Id {})",
            n.status,
            invoice,
            n.channel_id.as_deref().unwrap_or("?"),
            n.request_id
        ));

        let st = client
            .check_status(invoice, &opts)
            .map_err(step("check status"))?;
        let status = str_at(&st.body, &["transaction", "status"])?;
        if status != "SUCCESS" {
            return Err(format!(
                "check status {invoice}: {status}, expected SUCCESS"
            ));
        }
        t.ok(format!("check status {invoice}: SUCCESS"));
    }
    let verified = receiver
        .received()
        .iter()
        .filter(|r| r.result.is_ok())
        .count();
    let elapsed = started.elapsed();
    t.ok(format!(
        "done in {:.1} ms: 3 payment methods, {verified} verified notifications, 3 SUCCESS statuses",
        elapsed.as_secs_f64() * 1000.0
    ));
    let summary = DemoSummary {
        sandbox_url: sandbox.base_url().to_string(),
        invoices: invoices.to_vec(),
        notifications_verified: verified,
        elapsed,
    };
    sandbox.shutdown();
    receiver.shutdown();
    Ok(summary)
}

/// `doku demo ARGS...`.
pub fn demo_main(args: &[String]) -> ExitCode {
    if let Some(a) = args.first() {
        if a == "-h" || a == "--help" {
            println!(
                "usage: doku demo\n\nRuns the end-to-end flow (Alfa, Indomaret and Indodana: create, pay, \
                 verified notification, check status) against an in-process DOKU sandbox."
            );
            return ExitCode::SUCCESS;
        }
        eprintln!("doku demo: unexpected argument {a:?} (see doku demo --help)");
        return ExitCode::from(2);
    }
    let mut stdout = std::io::stdout();
    match run_demo(&mut stdout) {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("✗ doku demo failed: {e}");
            ExitCode::from(1)
        }
    }
}

/// An amount as Indonesians write it: `IDR 150.000` (a dot between thousands).
fn rupiah(amount: u64) -> String {
    let digits = amount.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push('.');
        }
        out.push(c);
    }
    format!("IDR {out}")
}

/// DOKU's `yyyyMMddHHmmss` (WIB) as `29 Nov 2026 08:47 WIB`; any other text unchanged.
fn human_wib(raw: &str) -> String {
    let format = time::macros::format_description!("[year][month][day][hour][minute][second]");
    let human = time::macros::format_description!(
        "[day padding:none] [month repr:short] [year] [hour]:[minute] WIB"
    );
    time::PrimitiveDateTime::parse(raw, &format)
        .ok()
        .and_then(|t| t.format(&human).ok())
        .unwrap_or_else(|| raw.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_and_dates_read_as_people_write_them() {
        assert_eq!(rupiah(150_000), "IDR 150.000");
        assert_eq!(rupiah(1_234_567), "IDR 1.234.567");
        assert_eq!(rupiah(999), "IDR 999");
        assert_eq!(human_wib("20261129060937"), "29 Nov 2026 06:09 WIB");
        assert_eq!(human_wib("20260105235900"), "5 Jan 2026 23:59 WIB");
        assert_eq!(human_wib("not a date"), "not a date");
    }
}
