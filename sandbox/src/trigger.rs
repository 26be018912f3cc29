//! `doku trigger notification`: posts one correctly signed DOKU notification of a
//! channel's shape to a merchant's endpoint, without a sandbox (like `stripe trigger`, but
//! offline), and prints the merchant's answer. The notification comes from the core's
//! `signed_test_notification`, the shape the sandbox itself sends.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use doku::client::wire_text;
use doku::clock::{SystemClock, UuidV4};
use doku::notification_body::{channel_arg, signed_test_notification, TestNotification};
use doku::SigningKey;
use zeroize::Zeroizing;

pub const USAGE: &str = "\
doku trigger notification — send one signed DOKU notification to your endpoint

USAGE:
  doku trigger notification --to URL --channel alfa|indomaret|indodana --client-id ID
                            [--status SUCCESS|FAILED] [--invoice INV] [--amount N]
                            [--path PATH] (--secret-key-file FILE | $DOKU_SECRET_KEY)

  --to URL         your Notification URL (http:// or https://)
  --path PATH      the path your handler verifies against (default: the URL's path)
  --status         SUCCESS (default) or FAILED
  --invoice, --amount   the order it is about (default: a fresh INV-TEST-... and 10000)

Prints the HTTP status and the first bytes of your answer. Exit status: 0 when your
endpoint answered 2xx, 1 for any other answer or no answer, 2 for a usage error.
The secret key is never printed.";

/// Runs `doku trigger <args>`.
pub fn trigger_main(args: &[String]) -> ExitCode {
    match args.split_first() {
        Some((what, rest)) if what == "notification" => match run(rest) {
            Ok(code) => code,
            Err(message) => {
                eprintln!("doku trigger notification: {message}");
                ExitCode::from(2)
            }
        },
        Some((what, _)) if what == "-h" || what == "--help" => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &[String]) -> Result<ExitCode, String> {
    let mut to = None;
    let mut channel = None;
    let mut client_id = None;
    let mut status = None;
    let mut invoice = None;
    let mut amount = None;
    let mut path = None;
    let mut secret: Option<Zeroizing<Vec<u8>>> = None;
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(ExitCode::SUCCESS);
            }
            "--to" => to = Some(value()?),
            "--channel" => channel = Some(value()?),
            "--client-id" => client_id = Some(value()?),
            "--status" => status = Some(value()?),
            "--invoice" => invoice = Some(value()?),
            "--amount" => {
                let v = value()?;
                amount =
                    Some(v.parse::<u64>().map_err(|_| {
                        format!("--amount must be a whole number of IDR (got {v:?})")
                    })?);
            }
            "--path" => path = Some(value()?),
            "--secret-key-file" => secret = Some(crate::key_file::read(&value()?)?),
            other => {
                return Err(format!(
                    "unknown option {other:?} (see doku trigger --help)"
                ))
            }
        }
    }
    let to = to.ok_or("--to is required")?;
    let Some((_, url_path)) = doku::validate::url_host_and_path(&to) else {
        return Err(format!(
            "--to must be an http:// or https:// URL (got {to:?})"
        ));
    };
    let channel =
        channel_arg(&channel.ok_or("--channel is required")?).map_err(|e| e.to_string())?;
    let client_id = client_id.ok_or("--client-id is required")?;
    let secret = match secret {
        Some(s) => s,
        None => Zeroizing::new(
            std::env::var_os("DOKU_SECRET_KEY")
                .ok_or("the secret key is required: --secret-key-file FILE or DOKU_SECRET_KEY")?
                .into_encoded_bytes(),
        ),
    };
    let key = SigningKey::new(&secret).map_err(|e| e.to_string())?;
    let mut t = TestNotification::new(channel, &client_id, path.as_deref().unwrap_or(url_path));
    if let Some(s) = status {
        t.status = s;
    }
    t.invoice_number = invoice;
    if let Some(a) = amount {
        t.amount = a;
    }
    let signed =
        signed_test_notification(&t, &key, &SystemClock, &UuidV4).map_err(|e| e.to_string())?;
    let request_id = signed
        .headers
        .iter()
        .find(|(k, _)| k == "Request-Id")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    println!(
        "POST {to}  ({} {} notification, Request-Id {request_id})",
        channel.name(),
        t.status
    );
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .max_redirects(0)
        .build()
        .into();
    let mut req = agent.post(&to);
    for (name, value) in &signed.headers {
        req = req.header(name, value);
    }
    let started = Instant::now();
    match req.send(signed.body.as_bytes()) {
        Ok(mut resp) => {
            let status = resp.status().as_u16();
            let answer = resp
                .body_mut()
                .with_config()
                .limit(64 * 1024)
                .read_to_vec()
                .unwrap_or_default();
            println!(
                "HTTP {status} in {} ms: {}",
                started.elapsed().as_millis(),
                wire_text(&String::from_utf8_lossy(&answer), 500)
            );
            Ok(if (200..300).contains(&status) {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Err(e) => {
            println!("no answer: {}", wire_text(&e.to_string(), 300));
            Ok(ExitCode::from(1))
        }
    }
}
