//! Routing and request handling (served on hyper by [`super::serve`]),
//! DOKU's endpoints (authenticated, validated with the core's rules, signed answers), the
//! sandbox's own `/_sandbox/` endpoints and the how-to-pay pages.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde_json::Value;

use doku::channel::{CHECK_STATUS, DEFAULT_OPERATIONS};
use doku::clock::{format_timestamp, parse_timestamp};
use doku::error::ErrorKind;
use doku::explain::{self, Verdict};
use doku::notification::{HeaderProblem, SignedHeaders, SIGNED_HEADER_NAMES};
use doku::signature::{digest, Component, SigningKey, MAX_BODY_BYTES};
use doku::validate;

use super::dashboard;
use super::errors::ApiError;
use super::notify::{Delivery, NotificationAttempt, Notifier};
use super::pages;
use super::payment_code::CodeRules;
use super::policy;
use super::scenario::{AnswerFault, Scenario};
use super::serve::{self, BodyError, Hold, HoldEnd};
use super::state::{
    Channel, CreateRequest, Created, Env, NotificationDraft, PaySelector, State, Status,
};
use super::sync::lock;
use super::Logger;
use doku::Clock;

/// A configured merchant as the server sees it.
pub(crate) struct MerchantEntry {
    pub key: SigningKey,
    pub secret: Arc<[u8]>,
    pub secret_source: Option<String>,
    pub notification_url: Option<String>,
    pub channel_urls: Vec<(Channel, String)>,
}

impl MerchantEntry {
    fn notification_url(&self, ch: Channel) -> Option<&str> {
        self.channel_urls
            .iter()
            .find(|(c, _)| *c == ch)
            .map(|(_, u)| u.as_str())
            .or(self.notification_url.as_deref())
    }
}

/// Writes state snapshots to the state file, newest only.
pub(crate) struct Persister {
    pub path: PathBuf,
    pub written: Mutex<u64>,
}

impl Persister {
    fn write(&self, version: u64, bytes: &[u8], logger: &Option<Logger>) {
        let mut written = lock(&self.written);
        if version <= *written {
            return;
        }
        let tmp = self.path.with_extension("tmp");
        let result = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, &self.path));
        match result {
            Ok(()) => *written = version,
            Err(e) => {
                if let Some(log) = logger {
                    log(&format!(
                        "cannot write state file {}: {e}",
                        self.path.display()
                    ));
                }
            }
        }
    }
}

/// Everything the connection threads share.
pub(crate) struct Shared {
    pub merchants: HashMap<String, MerchantEntry>,
    pub codes: CodeRules,
    pub time_scale: f64,
    pub window_secs: u64,
    pub clock: Arc<dyn Clock>,
    pub base_url: String,
    pub state: Mutex<State>,
    pub persister: Option<Persister>,
    pub notifier: Notifier,
    pub logger: Option<Logger>,
    /// POST paths and their channels (the core's table plus the Alfa alias).
    pub create_paths: Vec<(String, Channel)>,
    /// `/orders/v1/status/` and the part after `{id}` (empty).
    pub status_path: (String, String),
    /// The longest a stalled answer is held (the stall scenario).
    pub stall_limit: std::time::Duration,
}

impl Shared {
    pub fn create_paths() -> Vec<(String, Channel)> {
        let mut v: Vec<(String, Channel)> = Channel::ALL
            .iter()
            .map(|c| (c.path().to_string(), *c))
            .collect();
        v.push((policy::ALFA_ALIAS_PATH.to_string(), Channel::Alfa));
        v
    }

    pub fn status_path() -> (String, String) {
        let path = DEFAULT_OPERATIONS
            .iter()
            .find(|op| op.0 == CHECK_STATUS)
            .map(|op| op.2)
            .unwrap_or("/orders/v1/status/{id}");
        let (pre, post) = path.split_once("{id}").unwrap_or((path, ""));
        (pre.to_string(), post.to_string())
    }

    /// Takes the state lock, runs `f`, and persists when the state changed.
    pub(crate) fn with_state<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        let (r, snapshot) = {
            let mut st = lock(&self.state);
            let before = st.version;
            let r = f(&mut st);
            let snap = (st.version != before && self.persister.is_some())
                .then(|| (st.version, st.snapshot()));
            (r, snap)
        };
        if let (Some((v, bytes)), Some(p)) = (snapshot, &self.persister) {
            p.write(v, &bytes, &self.logger);
        }
        r
    }
}

/// The request headers the sandbox reads, found case-insensitively.
pub(crate) struct Headers(pub Vec<(String, String)>);

impl Headers {
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
    }
}

/// An answer before the DOKU headers are added.
pub(crate) struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    pub extra: Vec<(&'static str, String)>,
    /// Adds Client-Id, Request-Id, Response-Timestamp (and Signature when signable).
    doku: bool,
    error_code: Option<&'static str>,
    /// The wrong-signature scenario: the Signature header will not verify.
    wrong_signature: bool,
    /// The stall scenario: the answer waits for this.
    hold: Option<Hold>,
}

impl Reply {
    pub(crate) fn json(status: u16, body: Vec<u8>) -> Reply {
        Reply {
            status,
            content_type: "application/json",
            body,
            extra: Vec::new(),
            doku: false,
            error_code: None,
            wrong_signature: false,
            hold: None,
        }
    }

    pub(crate) fn value(status: u16, v: &Value) -> Reply {
        Reply::json(status, serde_json::to_vec(v).unwrap_or_default())
    }

    pub(crate) fn html(status: u16, html: String) -> Reply {
        Reply {
            content_type: "text/html; charset=utf-8",
            ..Reply::json(status, html.into_bytes())
        }
    }

    pub(crate) fn error(e: &ApiError) -> Reply {
        Reply {
            error_code: Some(e.code),
            ..Reply::json(e.status, e.body())
        }
    }

    fn from_result(r: Result<Reply, ApiError>) -> Reply {
        r.unwrap_or_else(|e| Reply::error(&e))
    }
}

/// Answers one request (the [`serve::Handler`] of the sandbox). A panic while handling
/// is a sandbox bug; it is caught and answered 500 so the connection stays usable.
pub(crate) fn handle(shared: &Shared, req: serve::Request) -> serve::Response {
    let started = Instant::now();
    let path = req.path().to_string();
    let method = req.method;
    let headers = Headers(req.headers);
    let body = req.body.map_err(|e| match e {
        BodyError::TooLarge => ApiError::body_too_large(MAX_BODY_BYTES),
        BodyError::Unreadable(m) => ApiError::invalid("unreadable_body", m),
    });
    let reply = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        route(shared, &method, &path, &headers, body)
    }))
    .unwrap_or_else(|_| {
        Reply::error(&ApiError::internal(
            "the sandbox failed on this request (a bug)",
        ))
    });
    let mut out = Vec::with_capacity(8);
    out.push(("Content-Type".to_string(), reply.content_type.to_string()));
    for (k, v) in &reply.extra {
        out.push((k.to_string(), v.clone()));
    }
    if reply.doku {
        for (k, v) in doku_headers(shared, &headers, &path, &reply.body, reply.wrong_signature) {
            out.push((k.to_string(), v));
        }
    }
    if let Some(log) = &shared.logger {
        log(&format!(
            "{method} {path} client={} request_id={} -> {}{}{} ({:.1} ms)",
            headers.get("Client-Id").unwrap_or("-"),
            headers.get("Request-Id").unwrap_or("-"),
            reply.status,
            reply
                .error_code
                .map(|c| format!(" {c}"))
                .unwrap_or_default(),
            if reply.hold.is_some() {
                " (held: stall scenario)"
            } else {
                ""
            },
            started.elapsed().as_secs_f64() * 1000.0
        ));
    }
    let mut response = serve::Response::new(reply.status, out, reply.body);
    response.hold = reply.hold;
    response
}

/// Client-Id and Request-Id echoed, a fresh Response-Timestamp, and the response
/// Signature whenever the Client-Id names a merchant and a usable Request-Id was sent
/// (policy 3).
fn doku_headers(
    shared: &Shared,
    h: &Headers,
    path: &str,
    body: &[u8],
    wrong_signature: bool,
) -> Vec<(&'static str, String)> {
    let ts = format_timestamp(shared.clock.now_unix());
    let mut out = Vec::with_capacity(4);
    let client_id = h.get("Client-Id").filter(|s| !s.is_empty());
    let request_id = h.get("Request-Id").filter(|s| !s.is_empty());
    if let Some(c) = client_id {
        out.push(("Client-Id", c.to_string()));
    }
    if let Some(r) = request_id {
        out.push(("Request-Id", r.to_string()));
    }
    if let (Some(c), Some(r)) = (client_id, request_id) {
        if let Some(m) = shared.merchants.get(c) {
            // The wrong-signature scenario signs other bytes than those sent: a signature of
            // the right shape that does not verify.
            let tampered = [body, b" "].concat();
            let signed = if wrong_signature { &tampered[..] } else { body };
            let component = Component::response(c, r, &ts, path, Some(signed));
            if let Ok(sig) = m.key.sign(&component) {
                out.push(("Signature", sig));
            }
        }
    }
    out.push(("Response-Timestamp", ts));
    out
}

fn route(
    shared: &Shared,
    method: &str,
    path: &str,
    h: &Headers,
    body: Result<Vec<u8>, ApiError>,
) -> Reply {
    if path == "/" {
        return dashboard::page_route(shared, method);
    }
    if path == "/_sandbox" || path.starts_with(policy::SANDBOX_PREFIX) {
        return sandbox_route(shared, method, path, h, body);
    }
    if let Some((channel, api, code)) = pages::parse_how_to_pay(path) {
        return how_to_pay(shared, method, path, channel, api, code);
    }
    let mut reply = Reply::from_result(doku_route(shared, method, path, h, body));
    reply.doku = true;
    if reply.status == 405 {
        let allow = if shared.create_paths.iter().any(|(p, _)| p == path) {
            "POST"
        } else {
            "GET"
        };
        reply.extra.push(("Allow", allow.to_string()));
    }
    reply
}

enum Endpoint<'p> {
    Create(Channel),
    Status(&'p str),
}

fn doku_route(
    shared: &Shared,
    method: &str,
    path: &str,
    h: &Headers,
    body: Result<Vec<u8>, ApiError>,
) -> Result<Reply, ApiError> {
    let (pre, post) = &shared.status_path;
    let endpoint = if let Some((_, ch)) = shared.create_paths.iter().find(|(p, _)| p == path) {
        Endpoint::Create(*ch)
    } else if let Some(id) = path
        .strip_prefix(pre.as_str())
        .and_then(|rest| rest.strip_suffix(post.as_str()))
        .filter(|id| !id.is_empty() && !id.contains('/'))
    {
        Endpoint::Status(id)
    } else {
        return Err(ApiError::unknown_path(method, path));
    };
    let allowed = match endpoint {
        Endpoint::Create(_) => "POST",
        Endpoint::Status(_) => "GET",
    };
    if method != allowed {
        return Err(ApiError::method_not_allowed(method, path, allowed));
    }
    let body = body?;
    match endpoint {
        Endpoint::Create(ch) => {
            let auth = authenticate(shared, h, path, Some(&body))?;
            create(shared, &auth, ch, path, &body)
        }
        Endpoint::Status(raw_id) => {
            let auth = authenticate(shared, h, path, None)?;
            check_status(shared, &auth, raw_id)
        }
    }
}

struct Auth<'a> {
    client_id: &'a str,
    request_id: &'a str,
    merchant: &'a MerchantEntry,
}

/// Policy 2, first half: headers, Client-Id, Request-Timestamp, Signature.
fn authenticate<'a>(
    shared: &'a Shared,
    h: &'a Headers,
    path: &str,
    body: Option<&[u8]>,
) -> Result<Auth<'a>, ApiError> {
    // Which signed headers are missing or repeated is the core's rule (the one a
    // merchant's notification handler applies); an empty value also counts as missing here.
    SignedHeaders::parse(h.0.iter().map(|(k, v)| (k, v))).map_err(|p| match p {
        HeaderProblem::Missing(name) => ApiError::missing_header(name),
        HeaderProblem::Repeated(name) => ApiError::invalid(
            "invalid_header",
            format!("header {name} appears more than once"),
        )
        .with_field(format!("headers.{name}")),
    })?;
    if let Some(name) = SIGNED_HEADER_NAMES
        .into_iter()
        .find(|name| h.get(name).is_some_and(str::is_empty))
    {
        return Err(ApiError::missing_header(name));
    }
    let value = |n: &str| h.get(n).unwrap_or_default();
    let (client_id, request_id, ts, signature) = (
        value("Client-Id"),
        value("Request-Id"),
        value("Request-Timestamp"),
        value("Signature"),
    );
    if request_id.chars().count() > policy::MAX_REQUEST_ID_CHARS {
        return Err(ApiError::invalid(
            "invalid_header",
            format!(
                "header Request-Id is {} characters long; at most {} are allowed",
                request_id.chars().count(),
                policy::MAX_REQUEST_ID_CHARS
            ),
        )
        .with_field("headers.Request-Id"));
    }
    let Some(merchant) = shared.merchants.get(client_id) else {
        let mut known: Vec<&str> = shared.merchants.keys().map(String::as_str).collect();
        known.sort_unstable();
        return Err(ApiError::auth(
            "unknown_client_id",
            format!(
                "Client-Id {client_id} is not a merchant of this sandbox (configured: {})",
                known.join(", ")
            ),
        )
        .with_field("headers.Client-Id"));
    };
    let sent = parse_timestamp(ts, "headers.Request-Timestamp").map_err(|e| {
        ApiError::invalid("invalid_timestamp", e.message().to_string())
            .with_field("headers.Request-Timestamp")
    })?;
    let now = shared.clock.now_unix();
    if sent.abs_diff(now) > shared.window_secs {
        return Err(ApiError::auth(
            "timestamp_out_of_window",
            format!(
                "Request-Timestamp {ts} is {} s away from the sandbox clock ({}); requests must be \
                 within {} s: send the current UTC time",
                sent.abs_diff(now),
                format_timestamp(now),
                shared.window_secs
            ),
        )
        .with_field("headers.Request-Timestamp"));
    }
    let component = Component::request(client_id, request_id, ts, path, body);
    if let Err(e) = merchant.key.verify(&component, signature) {
        if e.kind() == ErrorKind::InvalidInput {
            return Err(
                ApiError::invalid("invalid_header", e.message().to_string()).with_field(
                    e.field()
                        .map(|f| format!("headers.{f}"))
                        .unwrap_or_default(),
                ),
            );
        }
        // Policy 4: show what the sandbox signed, never the key or the expected value,
        // plus the core's diagnosis when a common mistake reproduces the signature.
        let hint = match (
            explain::explain(&component, &merchant.secret, signature),
            &merchant.secret_source,
        ) {
            (Verdict::Explained(why), _) => format!(" Likely cause: {why}."),
            (_, Some(source)) => format!(
                " This sandbox's secret key for {client_id} comes from {source}: sign with \
                 that key, or start the sandbox with the key you use."
            ),
            _ => String::new(),
        };
        return Err(ApiError::auth(
            "invalid_signature",
            format!(
                "{}. Compare the component the sandbox signed (error.component in this body) \
                 with the one you signed (Request-Target is the path without host or query; \
                 Digest is base64 SHA-256 of the exact body bytes; a GET has no Digest line) \
                 and check the secret key.{hint}",
                e.message(),
            ),
        )
        .with_component(component.to_text())
        .with_field("headers.Signature"));
    }
    Ok(Auth {
        client_id,
        request_id,
        merchant,
    })
}

/// Policy 2, second half: JSON, field rules, then the locked create.
fn create(
    shared: &Shared,
    auth: &Auth<'_>,
    ch: Channel,
    path: &str,
    body: &[u8],
) -> Result<Reply, ApiError> {
    let value = validate::parse_json(body, "body").map_err(|e| {
        ApiError::invalid("invalid_json", e.message().to_string()).with_field("body")
    })?;
    ch.schema().validate(&value).map_err(|e| {
        let err = ApiError::invalid("invalid_field", e.message().to_string());
        match e.field() {
            Some(f) => err.with_field(f),
            None => err,
        }
    })?;
    let scenario = Scenario::from_request(ch, &value)?;
    let req = CreateRequest {
        client_id: auth.client_id,
        request_id: auth.request_id,
        path,
        body_digest: digest(body),
        channel: ch,
        body: &value,
        configured_notification_url: auth.merchant.notification_url(ch),
        scenario,
    };
    let env = Env {
        now_ms: shared.clock.now_millis(),
        time_scale: shared.time_scale,
        codes: &shared.codes,
        base_url: &shared.base_url,
    };
    match shared.with_state(|st| st.create(&env, &req))? {
        Created::New {
            body,
            scenario,
            release,
        } => Ok(spoil(
            shared,
            auth.request_id,
            scenario,
            release,
            Reply::json(200, body.into_bytes()),
        )),
        Created::Replay(b) => Ok(Reply::json(409, b.into_bytes())),
        Created::Refused { status, scenario } => {
            let (code, what) = if status == 503 {
                ("service_unavailable", "DOKU is unavailable")
            } else {
                ("internal_error", "DOKU failed")
            };
            Ok(Reply::error(&ApiError::new(
                status,
                code,
                super::ErrorType::Api,
                format!(
                    "{what} ({}): nothing was created; retry with the same Request-Id",
                    scenario.describe()
                ),
            )))
        }
    }
}

/// Applies a committed create call's answer fault (stall, not JSON, wrong signature).
fn spoil(
    shared: &Shared,
    request_id: &str,
    scenario: Option<Scenario>,
    release: Option<std::sync::Arc<tokio::sync::Notify>>,
    mut reply: Reply,
) -> Reply {
    let Some(scenario) = scenario else {
        return reply;
    };
    match scenario.answer_fault() {
        None => {}
        Some(AnswerFault::NotJson) => {
            reply.content_type = "text/html; charset=utf-8";
            reply.body = format!(
                "<html><head><title>200 OK</title></head><body><h1>Service temporarily \
                 overloaded</h1><p>{}: the payment code was created, but this answer is not \
                 JSON. Retry with the same Request-Id to get the original answer.</p></body>\
                 </html>",
                pages::escape(&scenario.describe())
            )
            .into_bytes();
        }
        Some(AnswerFault::WrongSignature) => reply.wrong_signature = true,
        Some(AnswerFault::Stall) => {
            if let Some(release) = release {
                let logger = shared.logger.clone();
                let request_id = request_id.to_string();
                reply.hold = Some(Hold {
                    release,
                    limit: shared.stall_limit,
                    on_end: Box::new(move |why: HoldEnd| {
                        if let Some(log) = logger {
                            let why = match why {
                                HoldEnd::Released => "a retry with the same Request-Id arrived",
                                HoldEnd::Limit => "the stall limit passed",
                                HoldEnd::Shutdown => "the sandbox is stopping",
                                HoldEnd::ClientGone => "the client closed the connection",
                            };
                            log(&format!("stall request_id={request_id} ended: {why}"));
                        }
                    }),
                });
            }
        }
    }
    reply
}

fn check_status(shared: &Shared, auth: &Auth<'_>, raw_id: &str) -> Result<Reply, ApiError> {
    let not_found = || {
        ApiError::not_found(
            "order_not_found",
            format!(
                "merchant {} has no order with invoice number or Request-Id {raw_id}",
                auth.client_id
            ),
        )
    };
    let id = percent_decode(raw_id).ok_or_else(not_found)?;
    let now = shared.clock.now_millis();
    match shared.with_state(|st| st.status(auth.client_id, &id, now)) {
        Some((body, _)) => Ok(Reply::value(200, &body)),
        None => Err(not_found()),
    }
}

/// Decodes `%XX` escapes of one path segment; `None` for bad escapes or non-UTF-8.
/// Decodes a percent-encoded path segment; `None` for a malformed escape (`%zz`, `%4`)
/// or bytes that are not UTF-8. The `percent-encoding` crate passes a malformed escape
/// through unchanged, so every `%` is checked for two hex digits first.
pub(crate) fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let well_formed = b.iter().enumerate().all(|(i, &c)| {
        c != b'%' || matches!(b.get(i + 1..i + 3), Some([h, l]) if h.is_ascii_hexdigit() && l.is_ascii_hexdigit())
    });
    if !well_formed {
        return None;
    }
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .ok()
        .map(|id| id.into_owned())
}

fn how_to_pay(
    shared: &Shared,
    method: &str,
    path: &str,
    channel: Channel,
    api: bool,
    code: &str,
) -> Reply {
    if method != "GET" {
        let mut r = Reply::error(&ApiError::method_not_allowed(method, path, "GET"));
        r.extra.push(("Allow", "GET".into()));
        return r;
    }
    let now = shared.clock.now_millis();
    let found = shared.with_state(|st| {
        st.by_code(code, now)
            .filter(|t| t.channel == channel)
            .map(|t| {
                if api {
                    serde_json::to_vec(&pages::how_to_pay_api(t)).unwrap_or_default()
                } else {
                    pages::how_to_pay_page(t).into_bytes()
                }
            })
    });
    match (found, api) {
        (Some(body), true) => Reply::json(200, body),
        (Some(body), false) => Reply::html(200, String::from_utf8_lossy(&body).into_owned()),
        (None, _) => Reply::error(&ApiError::not_found(
            "payment_code_not_found",
            format!("no {} payment code {code}", channel.display_name()),
        )),
    }
}

/// The simulation API and the Indodana page (policy 14), unauthenticated.
fn sandbox_route(
    shared: &Shared,
    method: &str,
    path: &str,
    h: &Headers,
    body: Result<Vec<u8>, ApiError>,
) -> Reply {
    let rest = path.strip_prefix(policy::SANDBOX_PREFIX).unwrap_or("");
    let segs: Vec<&str> = rest.split('/').collect();
    let result = match (method, segs.as_slice()) {
        ("POST", ["pay"]) => body.and_then(|b| pay_api(shared, &b)),
        ("POST", ["scenario"]) => body.and_then(|b| dashboard::arm_scenario(shared, &b)),
        ("GET", ["scenario"]) => Ok(dashboard::scenario_list(shared)),
        ("GET", ["transactions"]) => Ok(dashboard::transactions_json(shared)),
        ("POST", ["transactions", action]) => {
            body.and_then(|b| dashboard::action(shared, h, action, &b))
        }
        (_, ["scenario"]) => Err(ApiError::method_not_allowed(method, path, "GET or POST")),
        (_, ["transactions"]) => Err(ApiError::method_not_allowed(method, path, "GET")),
        (_, ["transactions", _]) => Err(ApiError::method_not_allowed(method, path, "POST")),
        ("GET", ["notifications"]) => {
            let list: Vec<Value> = shared
                .notifier
                .attempts()
                .iter()
                .map(NotificationAttempt::to_json)
                .collect();
            Ok(Reply::value(200, &Value::Array(list)))
        }
        ("GET", ["indodana", "payment", id]) => {
            let now = shared.clock.now_millis();
            match shared.with_state(|st| st.by_order_id(id, now).map(pages::indodana_page)) {
                Some(html) => Ok(Reply::html(200, html)),
                None => Err(ApiError::not_found(
                    "order_not_found",
                    format!("no Indodana order {id}"),
                )),
            }
        }
        ("POST", ["indodana", "payment", id, action @ ("approve" | "reject")]) => {
            let outcome = if *action == "approve" {
                Status::Success
            } else {
                Status::Failed
            };
            indodana_decision(shared, id, outcome)
        }
        (_, ["pay"]) => Err(ApiError::method_not_allowed(method, path, "POST")),
        (_, ["notifications"]) => Err(ApiError::method_not_allowed(method, path, "GET")),
        _ => Err(ApiError::unknown_path(method, path)),
    };
    Reply::from_result(result)
}

/// `POST /_sandbox/pay`: `{"invoice_number" | "payment_code", "status"?, "client_id"?}`.
pub(crate) fn pay_api(shared: &Shared, body: &[u8]) -> Result<Reply, ApiError> {
    let v = validate::parse_json(body, "body").map_err(|e| {
        ApiError::invalid("invalid_json", e.message().to_string()).with_field("body")
    })?;
    let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let usage = "give {\"invoice_number\": \"...\"}, {\"payment_code\": \"...\"} or {\"id\": \
                 \"invoice number or payment code\"}, optionally \"status\": \"SUCCESS\" | \
                 \"FAILED\" and \"client_id\"";
    let selector = match (text("invoice_number"), text("payment_code"), text("id")) {
        (Some(invoice_number), None, None) => PaySelector::Invoice {
            client_id: text("client_id"),
            invoice_number,
        },
        (None, Some(code), None) => PaySelector::Code(code),
        (None, None, Some(id)) => PaySelector::Any {
            client_id: text("client_id"),
            id,
        },
        _ => return Err(ApiError::invalid("invalid_field", format!("pay: {usage}"))),
    };
    let outcome = match text("status")
        .as_deref()
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        None | Some("SUCCESS") => Status::Success,
        Some("FAILED") => Status::Failed,
        Some(other) => {
            return Err(ApiError::invalid(
                "invalid_field",
                format!("status must be SUCCESS or FAILED (got {other:?})"),
            )
            .with_field("status"))
        }
    };
    let now = shared.clock.now_millis();
    let out = shared.with_state(|st| st.pay(&selector, outcome, now))?;
    dispatch(shared, out.notification);
    Ok(Reply::value(200, &out.response))
}

fn indodana_decision(shared: &Shared, id: &str, outcome: Status) -> Result<Reply, ApiError> {
    let now = shared.clock.now_millis();
    let sel = PaySelector::IndodanaOrder(id.to_string());
    let out = shared.with_state(|st| st.pay(&sel, outcome, now))?;
    dispatch(shared, out.notification);
    match out.redirect {
        Some(url) => {
            let mut r = Reply::html(303, format!("<a href=\"{0}\">{0}</a>", pages::escape(&url)));
            r.extra.push(("Location", url));
            Ok(r)
        }
        None => {
            let html = shared.with_state(|st| st.by_order_id(id, now).map(pages::indodana_done));
            Ok(Reply::html(200, html.unwrap_or_default()))
        }
    }
}

/// Hands a payment's notification to the sender, or records why it cannot be sent.
pub(crate) fn dispatch(shared: &Shared, n: NotificationDraft) {
    let merchant = shared.merchants.get(&n.client_id);
    match (n.url, merchant) {
        (Some(url), Some(m)) => shared.notifier.enqueue(Delivery {
            client_id: n.client_id,
            key: m.key.clone(),
            request_id: n.request_id,
            path: n.path.unwrap_or_else(|| "/".to_string()),
            url,
            body: n.body,
            invoice_number: n.invoice_number,
            transaction_status: n.status.as_str().to_string(),
            drop_first: n.dropped_attempts,
        }),
        (url, m) => {
            let reason = if m.is_none() {
                format!("merchant {} is not configured in this sandbox", n.client_id)
            } else {
                format!(
                    "merchant {} has no notification URL for {}",
                    n.client_id,
                    n.channel.display_name()
                )
            };
            shared.notifier.record_unsent(NotificationAttempt {
                client_id: n.client_id,
                invoice_number: n.invoice_number,
                transaction_status: n.status.as_str().to_string(),
                url: url.unwrap_or_default(),
                request_id: n.request_id,
                attempt: 1,
                status: None,
                error: Some(reason),
                time: format_timestamp(shared.clock.now_unix()),
                delivered: false,
                will_retry: false,
                latency_ms: None,
                answer: None,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("INV-1").as_deref(), Some("INV-1"));
        assert_eq!(percent_decode("a%2Fb%3Fc%0A").as_deref(), Some("a/b?c\n"));
        assert_eq!(percent_decode("%zz"), None);
        assert_eq!(percent_decode("%4"), None);
        assert_eq!(percent_decode("%FF"), None);
        assert_eq!(percent_decode("%+1"), None);
        assert_eq!(percent_decode("50%"), None);
        assert_eq!(percent_decode("%25%41").as_deref(), Some("%A"));
    }

    #[test]
    fn status_path_comes_from_the_core() {
        assert_eq!(
            Shared::status_path(),
            ("/orders/v1/status/".to_string(), String::new())
        );
        assert!(Shared::create_paths()
            .iter()
            .any(|(p, c)| p == policy::ALFA_ALIAS_PATH && *c == Channel::Alfa));
    }
}
