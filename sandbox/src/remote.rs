//! `doku sandbox pay|list|notifications`: talk to a running sandbox over HTTP, so nobody
//! has to hand-write curl calls. The sandbox is found at `--url`, else `$DOKU_SANDBOX_URL`,
//! else [`policy::DEFAULT_URL`] (where `doku sandbox` listens by default).
//!
//! The sandbox at the other end is a peer like any other: an answer that is not what a
//! doku sandbox sends is reported as such, and text from it is printed with its control
//! characters replaced, so it cannot drive the terminal.

use std::process::ExitCode;
use std::time::Duration;

use serde_json::{json, Value};

use doku::validate::url_host_and_path;

use super::cli::Args;
use super::policy;

/// The environment variable naming the sandbox the commands talk to.
pub const URL_ENV: &str = "DOKU_SANDBOX_URL";

/// The commands of this module.
pub(crate) const COMMANDS: [&str; 3] = ["pay", "list", "notifications"];

pub(crate) fn usage() -> String {
    format!(
        "usage: doku sandbox pay INVOICE|CODE [--status SUCCESS|FAILED] [--client-id ID] [--url URL]
       doku sandbox list [--json] [--url URL]
       doku sandbox notifications [--json] [--url URL]

Talk to a running `doku sandbox`: pay a payment code or an invoice (the sandbox then sends
the signed notification), list the transactions (newest first), or list every notification
delivery attempt. URL defaults to ${URL_ENV}, else {}.",
        policy::DEFAULT_URL
    )
}

#[derive(Debug, Default)]
struct Options {
    url: Option<String>,
    status: Option<String>,
    client_id: Option<String>,
    json: bool,
    help: bool,
    positional: Vec<String>,
}

fn parse(command: &str, args: &[String]) -> Result<Options, String> {
    let mut o = Options::default();
    let mut args = Args::new(args);
    while let Some(flag) = args.next_flag() {
        match (command, flag.as_str()) {
            (_, "-h" | "--help") => o.help = true,
            (_, "--url") => o.url = Some(args.value(&flag)?),
            ("pay", "--status") => {
                let s = args.value(&flag)?.to_ascii_uppercase();
                if s != "SUCCESS" && s != "FAILED" {
                    return Err(format!("--status must be SUCCESS or FAILED (got {s:?})"));
                }
                o.status = Some(s);
            }
            ("pay", "--client-id") => o.client_id = Some(args.value(&flag)?),
            ("list" | "notifications", "--json") => o.json = true,
            (_, f) if f.starts_with('-') && f.len() > 1 => {
                return Err(format!("unknown option {f:?} for doku sandbox {command}"))
            }
            _ => o.positional.push(flag),
        }
    }
    if o.help {
        return Ok(o);
    }
    let wanted = usize::from(command == "pay");
    if o.positional.len() != wanted {
        return Err(if command == "pay" {
            "give one invoice number or payment code to pay".to_string()
        } else {
            format!(
                "doku sandbox {command} takes no arguments (got {:?})",
                o.positional
            )
        });
    }
    Ok(o)
}

/// The base URL: `--url`, else `$DOKU_SANDBOX_URL`, else the default address.
fn base_url(o: &Options) -> Result<String, String> {
    let (url, from) = match (
        &o.url,
        std::env::var(URL_ENV).ok().filter(|u| !u.is_empty()),
    ) {
        (Some(u), _) => (u.clone(), "--url".to_string()),
        (None, Some(u)) => (u, format!("${URL_ENV}")),
        (None, None) => (policy::DEFAULT_URL.to_string(), "the default".to_string()),
    };
    let trimmed = url.trim_end_matches('/');
    match url_host_and_path(trimmed) {
        Some((_, path)) if path.is_empty() || path == "/" => Ok(trimmed.to_string()),
        _ => Err(format!(
            "{from} must be the sandbox's base URL, like {} (got {:?})",
            policy::DEFAULT_URL,
            clean(&url)
        )),
    }
}

/// Text from the sandbox, with control characters (but newline and tab) replaced.
fn clean(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() && c != '\n' && c != '\t' {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect()
}

/// A failure: the message and the exit status.
struct Failure(String, u8);

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(15)))
        .build()
        .into()
}

/// Sends one request; returns the status and the JSON answer.
fn call(
    base: &str,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> Result<(u16, Value), Failure> {
    let url = format!("{base}{path}");
    let unreachable = |e: ureq::Error| {
        Failure(
            format!(
                "cannot reach the sandbox at {base}: {e} (is `doku sandbox` running there? \
                 give its address with --url or ${URL_ENV})"
            ),
            1,
        )
    };
    let a = agent();
    let mut resp = match body {
        Some(b) => a
            .post(&url)
            .content_type("application/json")
            .send(serde_json::to_vec(b).unwrap_or_default().as_slice()),
        None if method == "GET" => a.get(&url).call(),
        None => a.post(&url).send_empty(),
    }
    .map_err(unreachable)?;
    let status = resp.status().as_u16();
    let bytes = resp
        .body_mut()
        .with_config()
        .limit(16 * 1024 * 1024)
        .read_to_vec()
        .map_err(unreachable)?;
    let value: Value = serde_json::from_slice(&bytes).map_err(|_| {
        Failure(
            format!(
                "{base} answered HTTP {status} with a body that is not JSON: is it a doku sandbox? \
                 (first bytes: {:?})",
                clean(&String::from_utf8_lossy(&bytes[..bytes.len().min(80)]))
            ),
            1,
        )
    })?;
    if !(200..300).contains(&status) {
        let e = &value["error"];
        let message = e["message"].as_str().unwrap_or("no message");
        let code = e["code"].as_str().unwrap_or("unknown");
        let field = e["field"]
            .as_str()
            .map(|f| format!(", field {}", clean(f)))
            .unwrap_or_default();
        return Err(Failure(
            format!(
                "the sandbox refused (HTTP {status}, {}{field}): {}",
                clean(code),
                clean(message)
            ),
            1,
        ));
    }
    Ok((status, value))
}

fn unexpected(what: &str) -> Failure {
    Failure(
        format!("the sandbox's answer to {what} is not what a doku sandbox sends"),
        1,
    )
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => clean(s),
        Value::Null => "-".to_string(),
        other => clean(&other.to_string()),
    }
}

fn pay(base: &str, o: &Options) -> Result<String, Failure> {
    let mut body = json!({ "id": o.positional[0] });
    if let Some(s) = &o.status {
        body["status"] = json!(s);
    }
    if let Some(c) = &o.client_id {
        body["client_id"] = json!(c);
    }
    let (_, v) = call(base, "POST", "/_sandbox/pay", Some(&body))?;
    let (Some(invoice), Some(status)) = (v["invoice_number"].as_str(), v["status"].as_str()) else {
        return Err(unexpected("pay"));
    };
    let mut out = format!("paid {}", clean(invoice));
    if let Some(code) = v["payment_code"].as_str() {
        out.push_str(&format!(" (payment code {})", clean(code)));
    }
    out.push_str(&format!(": {}", clean(status)));
    if let Some(s) = v["scenario"].as_str() {
        out.push_str(&format!(" (sandbox scenario {})", clean(s)));
    }
    let n = &v["notification"];
    match n["url"].as_str() {
        Some(url) => out.push_str(&format!(
            "\nnotification {} -> {} (see `doku sandbox notifications`)",
            text(&n["request_id"]),
            clean(url)
        )),
        None => out.push_str(&format!(
            "\nnotification {}: the merchant has no notification URL; recorded only",
            text(&n["request_id"])
        )),
    }
    Ok(out)
}

fn table(rows: Vec<Vec<String>>) -> String {
    let mut widths = vec![0; rows.first().map_or(0, Vec::len)];
    for r in &rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    rows.iter()
        .map(|r| {
            let line: Vec<String> = r
                .iter()
                .enumerate()
                .map(|(i, c)| format!("{c:<w$}", w = widths[i]))
                .collect();
            line.join("  ").trim_end().to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn list(base: &str, o: &Options) -> Result<String, Failure> {
    let (_, v) = call(base, "GET", "/_sandbox/transactions", None)?;
    let Some(list) = v["transactions"].as_array() else {
        return Err(unexpected("list"));
    };
    if o.json {
        return Ok(serde_json::to_string_pretty(&v).unwrap_or_default());
    }
    if list.is_empty() {
        return Ok("no transactions".to_string());
    }
    let mut rows = vec![[
        "CREATED",
        "INVOICE",
        "CHANNEL",
        "AMOUNT",
        "CODE/ORDER",
        "STATUS",
        "EXPIRES",
        "SCENARIO",
    ]
    .map(String::from)
    .to_vec()];
    for t in list {
        let code = match t["payment_code"].as_str() {
            Some(c) => clean(c),
            None => text(&t["indodana_order_id"]),
        };
        rows.push(vec![
            text(&t["created"]),
            text(&t["invoice_number"]),
            text(&t["channel"]),
            text(&t["amount"]),
            code,
            text(&t["status"]),
            text(&t["expires"]),
            text(&t["scenario"]),
        ]);
    }
    Ok(table(rows))
}

fn notifications(base: &str, o: &Options) -> Result<String, Failure> {
    let (_, v) = call(base, "GET", "/_sandbox/notifications", None)?;
    let Some(list) = v.as_array() else {
        return Err(unexpected("notifications"));
    };
    if o.json {
        return Ok(serde_json::to_string_pretty(&v).unwrap_or_default());
    }
    if list.is_empty() {
        return Ok("no notification attempts".to_string());
    }
    let mut rows = vec![[
        "TIME",
        "#",
        "INVOICE",
        "STATUS",
        "ANSWER",
        "LATENCY",
        "REQUEST-ID",
        "URL",
    ]
    .map(String::from)
    .to_vec()];
    for a in list {
        let answer = match (&a["status"], a["error"].as_str()) {
            (Value::Number(n), None) => n.to_string(),
            (Value::Number(n), Some(_)) => format!("{n} (dropped)"),
            (_, Some(e)) => format!("error: {}", clean(e)),
            _ => "-".to_string(),
        };
        let latency = a["latency_ms"]
            .as_u64()
            .map(|ms| format!("{ms} ms"))
            .unwrap_or_else(|| "-".into());
        rows.push(vec![
            text(&a["time"]),
            text(&a["attempt"]),
            text(&a["invoice_number"]),
            text(&a["transaction_status"]),
            answer,
            latency,
            text(&a["request_id"]),
            text(&a["url"]),
        ]);
    }
    Ok(table(rows))
}

/// `doku sandbox pay|list|notifications ARGS...`.
pub(crate) fn remote_main(command: &str, args: &[String]) -> ExitCode {
    let o = match parse(command, args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("doku sandbox {command}: {e}\n\n{}", usage());
            return ExitCode::from(2);
        }
    };
    if o.help {
        println!("{}", usage());
        return ExitCode::SUCCESS;
    }
    let base = match base_url(&o) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("doku sandbox {command}: {e}");
            return ExitCode::from(2);
        }
    };
    let result = match command {
        "pay" => pay(&base, &o),
        "list" => list(&base, &o),
        _ => notifications(&base, &o),
    };
    match result {
        Ok(out) => {
            println!("{out}");
            ExitCode::SUCCESS
        }
        Err(Failure(message, code)) => {
            eprintln!("doku sandbox {command}: {message}");
            ExitCode::from(code)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &[&str]) -> Vec<String> {
        s.iter().map(|a| a.to_string()).collect()
    }

    #[test]
    fn options_are_checked() {
        let o = parse(
            "pay",
            &args(&["INV-1", "--status", "failed", "--url=http://h:1"]),
        )
        .unwrap();
        assert_eq!(o.status.as_deref(), Some("FAILED"));
        assert_eq!(base_url(&o).unwrap(), "http://h:1");
        assert!(parse("pay", &[])
            .unwrap_err()
            .contains("one invoice number"));
        assert!(parse("pay", &args(&["A", "B"])).is_err());
        assert!(parse("pay", &args(&["A", "--status", "PAID"]))
            .unwrap_err()
            .contains("--status"));
        assert!(parse("list", &args(&["--status", "x"]))
            .unwrap_err()
            .contains("unknown option"));
        assert!(parse("list", &args(&["x"]))
            .unwrap_err()
            .contains("no arguments"));
        let bad = parse("list", &args(&["--url", "ftp://h/x"])).unwrap();
        assert!(base_url(&bad).unwrap_err().contains("--url must be"));
        let bad = parse("list", &args(&["--url", "http://h/some/path"])).unwrap();
        assert!(base_url(&bad).is_err());
        assert_eq!(clean("a\u{1b}[2Jb\n"), "a\u{FFFD}[2Jb\n");
    }
}
