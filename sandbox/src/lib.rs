//! The local DOKU emulator behind `doku sandbox` and `doku demo`.
//!
//! [`Sandbox::start`](crate::Sandbox::start) binds a port (0 = any free port) and serves DOKU's Non-SNAP endpoints
//! on hyper (keep-alive, bounded heads, bodies and connections): the Alfa (and its `/alfa-virtual-account` alias),
//! Indomaret and Indodana create calls and check status, each authenticated, checked with
//! the core's own field rules ([`doku::Schema`]) and answered with a signed response. A
//! simulated payment (`POST /_sandbox/pay`) moves a transaction to SUCCESS or FAILED and
//! sends the merchant a signed notification, retried on DOKU's schedule.
//!
//! ```
//! use doku_sandbox::{Merchant, Sandbox, SandboxConfig};
//! use doku::{Client, Config, RequestOptions};
//!
//! let merchant = Merchant::new("MCH-0001", "SK-local-test-key")?;
//! let sandbox = Sandbox::start(SandboxConfig::default().merchant(merchant))?;
//! let config = Config::new("MCH-0001", "SK-local-test-key")?.with_base_url(sandbox.base_url())?;
//! let client = Client::new(config)?;
//! let body = serde_json::json!({
//!     "order": { "invoice_number": "INV-DOC-1", "amount": 150000 },
//!     "online_to_offline_info": { "reusable_status": false },
//!     "customer": { "name": "Taufik Ismail" }
//! });
//! let created = client.alfa_payment_code(&body, &RequestOptions::default())?;
//! assert!(created.signature_verified);
//! let status = client.check_status("INV-DOC-1", &RequestOptions::default())?;
//! assert_eq!(status.body["transaction"]["status"], "PENDING");
//! sandbox.shutdown();
//! # Ok::<(), doku::Error>(())
//! ```
//!
//! Behaviour DOKU does not document is decided in [`policy`](crate::policy), which lists every such
//! decision.

pub mod cli;
mod dashboard;
pub mod demo;
mod errors;
#[doc(hidden)]
pub mod fuzzing;
pub mod key_file;
mod notify;
mod pages;
mod payment_code;
pub mod policy;
pub mod receiver;
mod remote;
pub mod scenario;
mod serve;
mod server;
mod state;
mod sync;
mod time;
pub mod trigger;

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use doku::clock::SystemClock;
use doku::error::{Error, Result};
use doku::signature::SigningKey;
use doku::validate::url_host_and_path;

/// The sandbox's clock is the core's [`doku::Clock`] (one clock trait for the client and
/// the sandbox); this name is kept for code written against the sandbox.
pub use doku::Clock as SandboxClock;
pub use errors::{ApiError, ErrorType};
pub use notify::NotificationAttempt;
pub use payment_code::{BinKind, CodeRules};
pub use state::{Channel, Status};
pub use time::ManualClock;

use server::{MerchantEntry, Persister, Shared};

/// Receives one log line (one per request, one per notification attempt). Lines never
/// hold a secret key, a signature or a body.
pub type Logger = Arc<dyn Fn(&str) + Send + Sync>;

/// A merchant account the sandbox knows. `Debug` never shows the secret key.
#[derive(Clone)]
pub struct Merchant {
    pub client_id: String,
    key: SigningKey,
    /// Kept only to explain signature mismatches (doku::explain); never shown.
    secret: Arc<[u8]>,
    /// The Notification URL for every channel without its own.
    pub notification_url: Option<String>,
    /// Per-channel Notification URLs (DOKU configures them per channel).
    pub channel_notification_urls: Vec<(Channel, String)>,
    /// Where the secret key came from ("the DOKU_SECRET_KEY environment variable", ...),
    /// told to a client whose signature does not verify; never the key itself.
    pub secret_source: Option<String>,
}

impl fmt::Debug for Merchant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Merchant")
            .field("client_id", &self.client_id)
            .field("secret_key", &"<redacted>")
            .field("notification_url", &self.notification_url)
            .field("channel_notification_urls", &self.channel_notification_urls)
            .field("secret_source", &self.secret_source)
            .finish()
    }
}

fn check_url(url: &str, field: &str) -> Result<String> {
    match url_host_and_path(url) {
        Some(_) => Ok(url.to_string()),
        None => Err(Error::config(
            field,
            format!("{field} must be an absolute http:// or https:// URL (got {url:?})"),
        )),
    }
}

impl Merchant {
    /// A merchant with no notification URL (notifications are then recorded, not sent).
    pub fn new(client_id: &str, secret_key: &str) -> Result<Merchant> {
        if client_id.is_empty()
            || client_id.contains(['\r', '\n', ':'])
            || client_id.trim() != client_id
        {
            return Err(Error::config(
                "client_id",
                "client_id must be non-empty, without spaces around it, line breaks or ':'",
            ));
        }
        let key = SigningKey::new(secret_key.as_bytes())
            .map_err(|e| Error::config("secret_key", e.message()))?;
        Ok(Merchant {
            client_id: client_id.to_string(),
            key,
            secret: Arc::from(secret_key.as_bytes()),
            notification_url: None,
            channel_notification_urls: Vec::new(),
            secret_source: None,
        })
    }

    /// The default merchant ([`policy::DEFAULT_CLIENT_ID`], [`policy::DEFAULT_SECRET_KEY`]).
    pub fn default_merchant() -> Merchant {
        Merchant::new(policy::DEFAULT_CLIENT_ID, policy::DEFAULT_SECRET_KEY)
            .expect("the default merchant is valid")
    }

    /// Sets the Notification URL used for every channel without its own.
    pub fn with_notification_url(mut self, url: &str) -> Result<Merchant> {
        self.notification_url = Some(check_url(url, "notification_url")?);
        Ok(self)
    }

    /// Says where the secret key came from (shown to clients whose signature fails).
    pub fn with_secret_source(mut self, source: &str) -> Merchant {
        self.secret_source = Some(source.to_string());
        self
    }

    /// Sets the Notification URL of one channel.
    pub fn with_channel_notification_url(
        mut self,
        channel: Channel,
        url: &str,
    ) -> Result<Merchant> {
        let url = check_url(url, "notification_url")?;
        self.channel_notification_urls
            .retain(|(c, _)| *c != channel);
        self.channel_notification_urls.push((channel, url));
        Ok(self)
    }
}

/// How to run a sandbox. `SandboxConfig::default()` listens on `127.0.0.1:0` with the
/// default merchant, BIN and code length, real time, a 300 s timestamp window, no state
/// file and no log.
#[derive(Clone)]
pub struct SandboxConfig {
    /// `host:port` to bind; port 0 picks a free port.
    pub address: String,
    /// The merchants served; empty means [`Merchant::default_merchant`] alone.
    pub merchants: Vec<Merchant>,
    /// BIN of DOKU-generated payment codes (policy 7).
    pub bin: String,
    /// Total digits of a DOKU-generated payment code, BIN included.
    pub code_length: usize,
    /// Divides every duration (expiry, notification retries): 3600.0 makes 30 minutes pass
    /// in half a second.
    pub time_scale: f64,
    /// Accepted distance between Request-Timestamp and the sandbox clock, in seconds.
    pub timestamp_window_secs: u64,
    /// JSON file holding the transactions: loaded at start when it exists, rewritten on
    /// every change.
    pub state_file: Option<PathBuf>,
    /// The sandbox's clock (tests inject a [`ManualClock`]).
    pub clock: Arc<dyn doku::Clock>,
    /// Most connections served at once; more are answered 503 and closed.
    pub max_connections: usize,
    /// Deadline for a request head and, after it, for its body (policy 17); also how long a
    /// kept-alive connection may stay idle.
    pub read_timeout: Duration,
    /// Where request log lines go; `None` logs nothing.
    pub logger: Option<Logger>,
    /// The base URL written into how-to-pay and payment page links; by default
    /// `http://` + the bound address (127.0.0.1 when bound to every interface).
    pub public_url: Option<String>,
    /// The longest the stall scenario holds an answer ([`policy::STALL_LIMIT`]).
    pub stall_limit: Duration,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            address: "127.0.0.1:0".to_string(),
            merchants: Vec::new(),
            bin: policy::DEFAULT_BIN.to_string(),
            code_length: policy::DEFAULT_CODE_LENGTH,
            time_scale: 1.0,
            timestamp_window_secs: policy::DEFAULT_TIMESTAMP_WINDOW_SECS,
            state_file: None,
            clock: Arc::new(SystemClock),
            max_connections: policy::DEFAULT_MAX_CONNECTIONS,
            read_timeout: policy::DEFAULT_READ_TIMEOUT,
            logger: None,
            public_url: None,
            stall_limit: policy::STALL_LIMIT,
        }
    }
}

impl fmt::Debug for SandboxConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxConfig")
            .field("address", &self.address)
            .field("merchants", &self.merchants)
            .field("bin", &self.bin)
            .field("code_length", &self.code_length)
            .field("time_scale", &self.time_scale)
            .field("timestamp_window_secs", &self.timestamp_window_secs)
            .field("state_file", &self.state_file)
            .field("max_connections", &self.max_connections)
            .field("read_timeout", &self.read_timeout)
            .field("public_url", &self.public_url)
            .field("stall_limit", &self.stall_limit)
            .finish_non_exhaustive()
    }
}

impl SandboxConfig {
    /// Adds a merchant.
    pub fn merchant(mut self, m: Merchant) -> Self {
        self.merchants.push(m);
        self
    }

    pub fn time_scale(mut self, scale: f64) -> Self {
        self.time_scale = scale;
        self
    }

    pub fn clock(mut self, clock: Arc<dyn doku::Clock>) -> Self {
        self.clock = clock;
        self
    }

    pub fn state_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.state_file = Some(path.into());
        self
    }

    pub fn max_connections(mut self, n: usize) -> Self {
        self.max_connections = n;
        self
    }

    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = timeout;
        self
    }

    pub fn logger(mut self, logger: Logger) -> Self {
        self.logger = Some(logger);
        self
    }

    pub fn stall_limit(mut self, limit: Duration) -> Self {
        self.stall_limit = limit;
        self
    }
}

/// The state every request handler shares, from a configuration and what
/// [`Sandbox::start`] prepared (the merchants to serve, the code rules, the base URL, the
/// loaded transactions and the notifier). No sockets: the fuzz targets build the same
/// state through it.
pub(crate) fn build_shared(
    config: &SandboxConfig,
    merchants: Vec<Merchant>,
    codes: payment_code::CodeRules,
    base_url: String,
    state: state::State,
    notifier: notify::Notifier,
) -> Result<Shared> {
    let mut table = HashMap::new();
    for m in merchants {
        let entry = MerchantEntry {
            key: m.key,
            secret: m.secret,
            secret_source: m.secret_source,
            notification_url: m.notification_url,
            channel_urls: m.channel_notification_urls,
        };
        if table.insert(m.client_id.clone(), entry).is_some() {
            return Err(Error::config(
                "merchants",
                format!("merchant {} is configured twice", m.client_id),
            ));
        }
    }
    Ok(Shared {
        merchants: table,
        codes,
        time_scale: config.time_scale,
        window_secs: config.timestamp_window_secs,
        clock: config.clock.clone(),
        base_url,
        state: Mutex::new(state),
        persister: config.state_file.clone().map(|path| Persister {
            path,
            written: Mutex::new(0),
        }),
        notifier,
        logger: config.logger.clone(),
        create_paths: Shared::create_paths(),
        status_path: Shared::status_path(),
        stall_limit: config.stall_limit,
    })
}

/// A running sandbox. Dropping it (or [`Sandbox::shutdown`]) stops it.
pub struct Sandbox {
    shared: Arc<Shared>,
    http: serve::HttpServer,
    addr: SocketAddr,
}

impl fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sandbox")
            .field("base_url", &self.shared.base_url)
            .finish_non_exhaustive()
    }
}

impl Sandbox {
    /// Checks `config`, loads the state file, binds and starts serving.
    pub fn start(config: SandboxConfig) -> Result<Sandbox> {
        let codes = CodeRules::new(&config.bin, config.code_length)?;
        if !(config.time_scale.is_finite() && config.time_scale > 0.0) {
            return Err(Error::config(
                "time_scale",
                "time_scale must be a positive number",
            ));
        }
        if config.max_connections == 0 {
            return Err(Error::config(
                "max_connections",
                "max_connections must be at least 1",
            ));
        }
        if config.stall_limit.is_zero() {
            return Err(Error::config(
                "stall_limit",
                "stall_limit must be longer than zero",
            ));
        }
        if config.read_timeout.is_zero() {
            return Err(Error::config(
                "read_timeout",
                "read_timeout must be longer than zero",
            ));
        }
        let merchants = if config.merchants.is_empty() {
            vec![Merchant::default_merchant()]
        } else {
            config.merchants.clone()
        };
        let state = match &config.state_file {
            Some(path) if path.exists() => {
                let bytes = std::fs::read(path).map_err(|e| {
                    Error::config("state_file", format!("cannot read {}: {e}", path.display()))
                })?;
                state::State::from_json(&bytes).map_err(|e| {
                    Error::config(
                        "state_file",
                        format!("{} is not a sandbox state file: {e}", path.display()),
                    )
                })?
            }
            _ => state::State::default(),
        };
        let listener = std::net::TcpListener::bind(config.address.as_str()).map_err(|e| {
            Error::config(
                "address",
                format!("cannot listen on {}: {e}", config.address),
            )
        })?;
        let addr = listener
            .local_addr()
            .map_err(|e| Error::config("address", format!("no local address: {e}")))?;
        let base_url = match &config.public_url {
            Some(u) => check_url(u, "public_url")?
                .trim_end_matches('/')
                .to_string(),
            None => {
                let mut shown = addr;
                if shown.ip().is_unspecified() {
                    shown.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
                }
                format!("http://{shown}")
            }
        };
        let rt = serve::runtime("doku-sandbox")
            .map_err(|e| Error::config("address", format!("cannot start serving: {e}")))?;
        let notifier = notify::Notifier::start(
            rt.handle().clone(),
            config.clock.clone(),
            config.time_scale,
            config.logger.clone(),
        );
        let shared = Arc::new(build_shared(
            &config, merchants, codes, base_url, state, notifier,
        )?);
        let handler: serve::Handler = {
            let shared = shared.clone();
            Arc::new(move |req| server::handle(&shared, req))
        };
        let limits = serve::Limits {
            max_connections: config.max_connections,
            max_body: doku::MAX_BODY_BYTES,
            header_read_timeout: config.read_timeout,
            body_read_timeout: config.read_timeout,
        };
        let http = serve::HttpServer::serve(rt, listener, handler, limits)
            .map_err(|e| Error::config("address", format!("cannot start serving: {e}")))?;
        Ok(Sandbox { shared, http, addr })
    }

    /// `http://127.0.0.1:PORT` (or the configured public URL).
    pub fn base_url(&self) -> &str {
        &self.shared.base_url
    }

    /// The bound socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every notification delivery attempt so far, oldest first.
    pub fn notifications(&self) -> Vec<NotificationAttempt> {
        self.shared.notifier.attempts()
    }

    /// Waits (at most `timeout`) until `done` holds for the attempts so far; returns them.
    pub fn wait_for_notifications(
        &self,
        done: impl Fn(&[NotificationAttempt]) -> bool,
        timeout: Duration,
    ) -> Vec<NotificationAttempt> {
        self.shared.notifier.wait_for(&done, timeout)
    }

    /// The number of transactions held.
    pub fn transaction_count(&self) -> usize {
        sync::lock(&self.shared.state).len()
    }

    /// Stops serving: the port and every open connection are closed, notification retries
    /// are dropped. Bounded: it never waits for a client.
    pub fn shutdown(mut self) {
        self.stop_now();
    }

    fn stop_now(&mut self) {
        self.shared.notifier.stop();
        self.http.shutdown();
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.stop_now();
    }
}
