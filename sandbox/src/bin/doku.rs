//! `doku`: sign, verify and explain DOKU signatures; run the local sandbox; run the demo.

use std::io::Read;
use std::process::ExitCode;

use doku::explain::{self, Verdict};
use doku::{Component, Keys, SigningKey};

const USAGE: &str = "\
doku — DOKU Non-SNAP Direct API tools

USAGE:
  doku sign    COMPONENT-OPTIONS
  doku verify  COMPONENT-OPTIONS --signature SIG
  doku explain COMPONENT-OPTIONS [--signature SIG]
  doku sandbox [--port N] [--merchant ID:SECRET:NOTIFY_URL]...   (doku sandbox --help)
  doku sandbox pay INVOICE|CODE [--status FAILED] [--url URL]
  doku sandbox list | notifications [--url URL]
  doku trigger notification --to URL --channel alfa|indomaret|indodana --client-id ID
                            [--status SUCCESS|FAILED] [--invoice INV --amount N] [--path P]
  doku demo

COMPONENT-OPTIONS:
  --client-id ID            Client-Id header
  --request-id ID           Request-Id header
  --timestamp TS            Request-Timestamp (or Response-Timestamp with --response)
  --target PATH             Request-Target: the path, e.g. /orders/v1/status/INV-1
  --body TEXT | --body-file FILE ('-' for stdin) | --get (no body: no Digest line)
  --response                sign/verify a response component (Response-Timestamp)
  secret key: --secret-key-file FILE, or the DOKU_SECRET_KEY environment variable
              (--secret-key KEY works but leaves the key in your shell history).
              verify takes several during a key rotation, current key first: it says
              which one matched (its number, never the key); sign uses the first.

Exit status: 0 success / valid signature, 1 signature mismatch, 2 usage or input error.
The secret key is never printed.";

fn main() -> ExitCode {
    // Arguments that are not UTF-8 are a usage error (exit 2), never a panic: every value
    // the command takes (ids, timestamps, paths, keys) is text.
    let mut args = Vec::new();
    for (i, arg) in std::env::args_os().skip(1).enumerate() {
        match arg.into_string() {
            Ok(a) => args.push(a),
            Err(_) => {
                // The value is not shown: it may be a secret key.
                eprintln!(
                    "doku: argument {} is not UTF-8 text; arguments must be UTF-8",
                    i + 1
                );
                return ExitCode::from(2);
            }
        }
    }
    let Some((command, rest)) = args.split_first() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    match command.as_str() {
        "sign" | "verify" | "explain" => match run_signature_command(command, rest) {
            Ok(code) => code,
            Err(message) => {
                eprintln!("doku {command}: {message}");
                ExitCode::from(2)
            }
        },
        "sandbox" => doku_sandbox::cli::sandbox_main(rest),
        "demo" => doku_sandbox::demo::demo_main(rest),
        "trigger" => doku_sandbox::trigger::trigger_main(rest),
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        "-V" | "--version" | "version" => {
            println!("doku {}", doku::VERSION);
            ExitCode::SUCCESS
        }
        other => {
            eprintln!("doku: unknown command {other:?}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// The parsed component options.
#[derive(Default)]
struct Options {
    client_id: Option<String>,
    request_id: Option<String>,
    timestamp: Option<String>,
    target: Option<String>,
    body: Option<Vec<u8>>,
    get: bool,
    response: bool,
    /// The keys given, in order (the current one first).
    secrets: Vec<zeroize::Zeroizing<Vec<u8>>>,
    signature: Option<String>,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options::default();
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--client-id" => o.client_id = Some(value()?),
            "--request-id" => o.request_id = Some(value()?),
            "--timestamp" => o.timestamp = Some(value()?),
            "--target" => o.target = Some(value()?),
            "--body" => set_body(&mut o, value()?.into_bytes())?,
            "--body-file" => {
                let path = value()?;
                let bytes = if path == "-" {
                    let mut b = Vec::new();
                    std::io::stdin()
                        .read_to_end(&mut b)
                        .map_err(|e| format!("cannot read stdin: {e}"))?;
                    b
                } else {
                    std::fs::read(&path).map_err(|e| format!("cannot read {path}: {e}"))?
                };
                set_body(&mut o, bytes)?;
            }
            "--get" => o.get = true,
            "--response" => o.response = true,
            "--secret-key" => o.secrets.push(value()?.into_bytes().into()),
            "--secret-key-file" => o.secrets.push(doku_sandbox::key_file::read(&value()?)?),
            "--signature" => o.signature = Some(value()?),
            other => return Err(format!("unknown option {other:?} (see doku --help)")),
        }
    }
    if o.secrets.is_empty() {
        if let Some(s) = std::env::var_os("DOKU_SECRET_KEY") {
            o.secrets.push(s.into_encoded_bytes().into());
        }
    }
    if o.get && o.body.is_some() {
        return Err("--get means no body: drop --body/--body-file".into());
    }
    if !o.get && o.body.is_none() {
        return Err("give the body (--body, --body-file) or --get for a GET request".into());
    }
    Ok(o)
}

fn set_body(o: &mut Options, body: Vec<u8>) -> Result<(), String> {
    if o.body.is_some() {
        return Err("give the body once".into());
    }
    o.body = Some(body);
    Ok(())
}

fn required<'a>(v: &'a Option<String>, flag: &str) -> Result<&'a str, String> {
    v.as_deref().ok_or_else(|| format!("{flag} is required"))
}

fn run_signature_command(command: &str, args: &[String]) -> Result<ExitCode, String> {
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("{USAGE}");
        return Ok(ExitCode::SUCCESS);
    }
    let o = parse(args)?;
    let client_id = required(&o.client_id, "--client-id")?;
    let request_id = required(&o.request_id, "--request-id")?;
    let timestamp = required(&o.timestamp, "--timestamp")?;
    let target = required(&o.target, "--target")?;
    let Some(secret) = o.secrets.first() else {
        return Err(
            "the secret key is required: set DOKU_SECRET_KEY or use --secret-key-file".into(),
        );
    };
    if o.secrets.len() > 1 && command != "verify" {
        return Err(format!(
            "{command} takes one secret key (several are for verify during a key rotation)"
        ));
    }
    let body = o.body.as_deref();
    let component = if o.response {
        Component::response(client_id, request_id, timestamp, target, body)
    } else {
        Component::request(client_id, request_id, timestamp, target, body)
    };
    let keys = o
        .secrets
        .iter()
        .map(|s| SigningKey::new(s).map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    let key = &keys[0];
    component.check().map_err(|e| e.to_string())?;
    match command {
        "sign" => {
            println!("{}", key.sign(&component).map_err(|e| e.to_string())?);
            Ok(ExitCode::SUCCESS)
        }
        "verify" => {
            let signature = required(&o.signature, "--signature")?;
            match Keys::new(key, &keys[1..]).verify(&component, signature) {
                Ok(0) if keys.len() == 1 => {
                    println!("valid");
                    Ok(ExitCode::SUCCESS)
                }
                Ok(index) => {
                    println!(
                        "valid with key {} of {}{}",
                        index + 1,
                        keys.len(),
                        if index == 0 {
                            " (the current one)"
                        } else {
                            " (a previous one: DOKU still signs with a key you rotated away from)"
                        }
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    println!("invalid: {}", e.message());
                    println!("(run `doku explain` with the same options to find the difference)");
                    Ok(ExitCode::from(1))
                }
            }
        }
        _ => Ok(print_explanation(
            &component,
            body,
            secret.as_slice(),
            o.signature.as_deref(),
        )),
    }
}

fn print_explanation(
    component: &Component<'_>,
    body: Option<&[u8]>,
    secret: &[u8],
    signature: Option<&str>,
) -> ExitCode {
    println!("Component (each line break shown as \\n):");
    for line in explain::visible(&component.to_text()).lines() {
        println!("  {line}");
    }
    match body {
        Some(b) => {
            println!(
                "Body: {} bytes; Digest = base64(SHA-256(body)) = {}",
                b.len(),
                doku::digest(b)
            );
            if b.ends_with(b"\n") {
                println!("  note: the body ends with a newline; it is part of the digest");
            }
            if serde_json::from_slice::<serde_json::Value>(b).is_err() {
                println!("  note: the body is not valid JSON");
            }
        }
        None => println!("Body: none (GET): the component has no Digest line"),
    }
    let Some(signature) = signature else {
        println!("(add --signature SIG to check a signature against this component)");
        return ExitCode::SUCCESS;
    };
    match explain::explain(component, secret, signature) {
        Verdict::Match => {
            println!("Signature: valid for this component");
            ExitCode::SUCCESS
        }
        Verdict::Explained(why) => {
            println!("Signature: does NOT match this component.");
            println!("Explained: {why}.");
            ExitCode::from(1)
        }
        Verdict::Unexplained(why) => {
            println!("Signature: does NOT match this component.");
            println!("Not explained: {why}.");
            ExitCode::from(1)
        }
    }
}
