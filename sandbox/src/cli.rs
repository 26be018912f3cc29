//! `doku sandbox`: runs the emulator in the foreground (`doku sandbox pay|list|notifications`
//! talk to a running one: see the `remote` module).
//!
//! Prints one line on stdout, `doku sandbox listening on http://127.0.0.1:PORT`, then one
//! log line per request (and per notification attempt) on stderr, never with a secret key,
//! a signature or a body. Runs until Ctrl-C, or until end of input when stdin is a
//! terminal, a pipe or a socket (so a parent process can stop it by closing the pipe; a
//! sandbox started with stdin from /dev/null runs until killed).

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use doku::clock::{format_timestamp, Clock, SystemClock};

use super::{policy, remote, scenario, Merchant, Sandbox, SandboxConfig};

/// The environment variable holding the default merchant's secret key.
pub const SECRET_ENV: &str = "DOKU_SECRET_KEY";
/// The environment variable holding the default merchant's notification URL.
pub const NOTIFICATION_URL_ENV: &str = "DOKU_NOTIFICATION_URL";

fn usage() -> String {
    format!(
        "usage: doku sandbox [options]

Runs a local DOKU Non-SNAP emulator (Alfa, Indomaret, Indodana, check status, signed
notifications). Prints `doku sandbox listening on URL` on stdout; logs to stderr.

options:
  --addr HOST                 address to bind (default 127.0.0.1)
  --port PORT                 port to bind, 0 = any free port (default {port})
  --merchant ID:SECRET[:URL]  a merchant: Client-Id, secret key and notification URL
                              (repeatable; empty SECRET: ${SECRET_ENV} or the default)
  --bin DIGITS                BIN of generated payment codes (default {bin}: 1, 5 or 6+ digits)
  --code-length N             digits of a generated payment code (default {len})
  --time-scale X              divide expiry and retry delays by X (default 1)
  --timestamp-window SECS     accepted Request-Timestamp skew (default {win})
  --state-file PATH           keep transactions in this JSON file across restarts
  --public-url URL            base URL written into how-to-pay links
  --stall-limit SECS          longest the stall scenario holds an answer (default {stall})
  --quiet                     no request log
  -h, --help                  this help

Without --merchant the sandbox serves Client-Id {cid} with the secret key from
${SECRET_ENV} or else the public sandbox default {sk:?},
and the notification URL from ${NOTIFICATION_URL_ENV} (none: payments are recorded,
not notified).

The dashboard at the sandbox's root URL (/) lists the transactions, pays, fails, expires
and resends, and shows every notification attempt. From a shell, with the sandbox running:

  doku sandbox pay INVOICE|CODE [--status FAILED] [--url URL]
  doku sandbox list [--url URL]
  doku sandbox notifications [--url URL]

(or POST /_sandbox/pay {{\"invoice_number\" | \"payment_code\": ...}}, GET
/_sandbox/transactions, GET /_sandbox/notifications). Stop with Ctrl-C or end of input.

Fault scenarios, chosen by your unchanged code with an invoice-number suffix or an amount
(or armed for the next create call with POST /_sandbox/scenario
{{\"client_id\": ..., \"scenario\": NAME}}):

{scenarios}",
        bin = policy::DEFAULT_BIN,
        len = policy::DEFAULT_CODE_LENGTH,
        win = policy::DEFAULT_TIMESTAMP_WINDOW_SECS,
        cid = policy::DEFAULT_CLIENT_ID,
        sk = policy::DEFAULT_SECRET_KEY,
        port = policy::DEFAULT_PORT,
        stall = policy::STALL_LIMIT.as_secs(),
        scenarios = scenario::help_table().trim_end(),
    )
}

/// Walks a command line: `--flag value`, `--flag=value` and bare words (`doku sandbox` and
/// its `pay`, `list` and `notifications` commands read their arguments this way).
pub(crate) struct Args<'a> {
    args: &'a [String],
    next: usize,
    inline: Option<String>,
}

impl<'a> Args<'a> {
    pub fn new(args: &'a [String]) -> Self {
        Args {
            args,
            next: 0,
            inline: None,
        }
    }

    /// The next flag or bare word; a `--flag=value` keeps its value for [`Args::value`].
    pub fn next_flag(&mut self) -> Option<String> {
        let arg = self.args.get(self.next)?;
        self.next += 1;
        match arg.split_once('=') {
            Some((flag, v)) if flag.starts_with("--") => {
                self.inline = Some(v.to_string());
                Some(flag.to_string())
            }
            _ => {
                self.inline = None;
                Some(arg.clone())
            }
        }
    }

    /// The value of `flag`: its `=value`, else the next argument.
    pub fn value(&mut self, flag: &str) -> Result<String, String> {
        if let Some(v) = self.inline.take() {
            return Ok(v);
        }
        let v = self
            .args
            .get(self.next)
            .cloned()
            .ok_or_else(|| format!("{flag} needs a value"))?;
        self.next += 1;
        Ok(v)
    }
}

/// Parsed command line.
#[derive(Debug)]
struct Options {
    config: SandboxConfig,
    quiet: bool,
    help: bool,
}

/// The secret of a merchant given without one, and where it came from.
fn default_secret() -> (String, String) {
    match std::env::var(SECRET_ENV).ok().filter(|s| !s.is_empty()) {
        Some(s) => (s, format!("the {SECRET_ENV} environment variable")),
        None => (
            policy::DEFAULT_SECRET_KEY.to_string(),
            "the sandbox's default key (DEFAULT_SECRET_KEY in the README)".to_string(),
        ),
    }
}

/// `CLIENT_ID:SECRET_KEY[:NOTIFICATION_URL]` (the URL may itself hold colons).
fn parse_merchant(spec: &str) -> Result<Merchant, String> {
    let mut parts = spec.splitn(3, ':');
    let id = parts.next().unwrap_or_default();
    let (secret, source) = parts
        .next()
        .filter(|s| !s.is_empty())
        .map(|s| (s.to_string(), "--merchant".to_string()))
        .unwrap_or_else(default_secret);
    let m = Merchant::new(id, &secret)
        .map_err(|e| format!("--merchant {id}: {e}"))?
        .with_secret_source(&source);
    match parts.next().filter(|u| !u.is_empty()) {
        Some(url) => m
            .with_notification_url(url)
            .map_err(|e| format!("--merchant {id}: {e}")),
        None => Ok(m),
    }
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut config = SandboxConfig::default();
    let (mut host, mut port) = ("127.0.0.1".to_string(), policy::DEFAULT_PORT.to_string());
    let (mut quiet, mut help) = (false, false);
    let mut args = Args::new(args);
    while let Some(flag) = args.next_flag() {
        let mut value = || args.value(&flag);
        let number = |v: String, what: &str| {
            v.parse::<u64>()
                .map_err(|_| format!("{what} must be a whole number (got {v:?})"))
        };
        match flag.as_str() {
            "-h" | "--help" => help = true,
            "--quiet" => quiet = true,
            "--addr" => host = value()?,
            "--port" => port = number(value()?, "--port")?.to_string(),
            "--merchant" => config.merchants.push(parse_merchant(&value()?)?),
            "--bin" => config.bin = value()?,
            "--code-length" => config.code_length = number(value()?, "--code-length")? as usize,
            "--time-scale" => {
                let v = value()?;
                config.time_scale = v
                    .parse()
                    .map_err(|_| format!("--time-scale must be a number (got {v:?})"))?;
            }
            "--timestamp-window" => {
                config.timestamp_window_secs = number(value()?, "--timestamp-window")?
            }
            "--state-file" => config.state_file = Some(PathBuf::from(value()?)),
            "--public-url" => config.public_url = Some(value()?),
            "--stall-limit" => {
                let secs = number(value()?, "--stall-limit")?;
                if secs == 0 {
                    return Err("--stall-limit must be at least 1 second".into());
                }
                config.stall_limit = std::time::Duration::from_secs(secs);
            }
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    config.address = if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    if config.merchants.is_empty() {
        let (secret, source) = default_secret();
        let mut m = Merchant::new(policy::DEFAULT_CLIENT_ID, &secret)
            .map_err(|e| e.to_string())?
            .with_secret_source(&source);
        if let Some(url) = std::env::var(NOTIFICATION_URL_ENV)
            .ok()
            .filter(|u| !u.is_empty())
        {
            m = m
                .with_notification_url(&url)
                .map_err(|e| format!("{NOTIFICATION_URL_ENV}: {e}"))?;
        }
        config.merchants.push(m);
    }
    Ok(Options {
        config,
        quiet,
        help,
    })
}

/// Should end of input stop the sandbox? Only when stdin can deliver one on purpose.
fn stdin_is_interactive() -> bool {
    if std::io::stdin().is_terminal() {
        return true;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if let Ok(m) = std::fs::metadata("/dev/stdin") {
            let t = m.file_type();
            return t.is_fifo() || t.is_socket();
        }
    }
    false
}

/// `doku sandbox ARGS...`.
pub fn sandbox_main(args: &[String]) -> ExitCode {
    if let Some((command, rest)) = args.split_first() {
        if remote::COMMANDS.contains(&command.as_str()) {
            return remote::remote_main(command, rest);
        }
    }
    let opts = match parse(args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("doku sandbox: {e}\n\n{}", usage());
            return ExitCode::from(2);
        }
    };
    if opts.help {
        println!("{}", usage());
        return ExitCode::SUCCESS;
    }
    let mut config = opts.config;
    if !opts.quiet {
        config.logger = Some(Arc::new(|line: &str| {
            eprintln!("{} {line}", format_timestamp(SystemClock.now_unix()));
        }));
    }
    let merchants: Vec<(String, Option<String>, Option<String>)> = config
        .merchants
        .iter()
        .map(|m| {
            (
                m.client_id.clone(),
                m.secret_source.clone(),
                m.notification_url.clone(),
            )
        })
        .collect();
    let sandbox = match Sandbox::start(config) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("doku sandbox: {e}");
            return ExitCode::from(1);
        }
    };
    println!("doku sandbox listening on {}", sandbox.base_url());
    let _ = std::io::stdout().flush();
    for (id, source, url) in merchants {
        eprintln!(
            "doku sandbox: merchant {id}, secret key from {}, notifications to {}",
            source.as_deref().unwrap_or("the configuration"),
            url.as_deref()
                .unwrap_or("(none: recorded at GET /_sandbox/notifications)")
        );
    }
    if stdin_is_interactive() {
        eprintln!("doku sandbox: stop with Ctrl-C or end of input (Ctrl-D)");
        let mut sink = [0u8; 256];
        let mut stdin = std::io::stdin().lock();
        while matches!(stdin.read(&mut sink), Ok(n) if n > 0) {}
        eprintln!("doku sandbox: end of input, stopping");
        sandbox.shutdown();
        ExitCode::SUCCESS
    } else {
        eprintln!("doku sandbox: stop with Ctrl-C");
        loop {
            std::thread::park();
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
    fn parses_every_option() {
        let o = parse(&args(&[
            "--addr",
            "0.0.0.0",
            "--port=8099",
            "--merchant",
            "MCH-1:SK-1:http://127.0.0.1:9000/payments/notifications",
            "--merchant",
            "MCH-2:SK-2",
            "--bin",
            "7",
            "--code-length",
            "12",
            "--time-scale",
            "3600",
            "--timestamp-window",
            "60",
            "--state-file",
            "/tmp/s.json",
            "--quiet",
        ]))
        .unwrap();
        let c = &o.config;
        assert_eq!(c.address, "0.0.0.0:8099");
        assert_eq!(c.merchants.len(), 2);
        assert_eq!(
            c.merchants[0].notification_url.as_deref(),
            Some("http://127.0.0.1:9000/payments/notifications")
        );
        assert_eq!(c.merchants[1].notification_url, None);
        assert_eq!((c.bin.as_str(), c.code_length), ("7", 12));
        assert_eq!(c.time_scale, 3600.0);
        assert_eq!(c.timestamp_window_secs, 60);
        assert!(o.quiet);
        assert!(format!("{:?}", c.merchants).contains("<redacted>"));
    }

    #[test]
    fn bad_options_are_reported() {
        assert!(parse(&args(&["--nope"])).unwrap_err().contains("--nope"));
        assert!(parse(&args(&["--port"]))
            .unwrap_err()
            .contains("needs a value"));
        assert!(parse(&args(&["--port", "x"])).is_err());
        assert!(parse(&args(&["--merchant", "M:S:not-a-url"])).is_err());
        let d = parse(&[]).unwrap();
        assert_eq!(d.config.merchants[0].client_id, policy::DEFAULT_CLIENT_ID);
        assert_eq!(
            d.config.address,
            format!("127.0.0.1:{}", policy::DEFAULT_PORT)
        );
        assert!(parse(&args(&["--stall-limit", "0"])).is_err());
        assert_eq!(
            parse(&args(&["--stall-limit", "5"]))
                .unwrap()
                .config
                .stall_limit,
            std::time::Duration::from_secs(5)
        );
    }
}
