//! Test support: a tiny scripted HTTP/1.1 server that plays DOKU (with correct, wrong or
//! missing response signatures, dropped connections and stalls) and records every request
//! it receives, plus the seed samples (`seeds`).
//!
//! Real sockets on 127.0.0.1, a thread per connection, keep-alive (requests are read in a
//! loop until the client closes), `Content-Length` and chunked bodies. Everything is
//! bounded: idle connections are closed after a read timeout, so no test can hang on it.

#![allow(dead_code)]

pub mod seeds;

use std::collections::VecDeque;
use std::io::{self, BufRead, BufReader, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use doku::{Clock, Component, SigningKey, SystemClock};

/// The merchant the tests play (the Client-Id of the seeds).
pub const CLIENT_ID: &str = "MCH-0001-10791114622547";
/// The secret both the client under test and the fake DOKU use.
pub const SECRET: &str = "SK-tests-0001-not-a-real-key";
/// Another secret, for signatures that must not verify.
pub const WRONG_SECRET: &str = "SK-tests-0002-some-other-key";

/// How long a connection may sit idle before the server closes it.
const IDLE_TIMEOUT: Duration = Duration::from_secs(5);

/// What the server does with the next request it receives.
#[derive(Clone, Debug)]
pub enum Action {
    /// Answer `status` with `body`, signed as DOKU does: `Client-Id` and `Request-Id`
    /// echoed, `Response-Timestamp`, and a `Signature` over
    /// `Component::response(client_id, request_id, ts, path, Some(body))`. `headers` are
    /// added after those, replacing a generated header of the same name.
    Respond {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    /// Like `Respond`, but signed with [`WRONG_SECRET`].
    RespondBadSignature { status: u16, body: String },
    /// Like `Respond`, without `Response-Timestamp` and `Signature`.
    RespondUnsigned { status: u16, body: String },
    /// Read the request, then close the connection without answering.
    DropConnection,
    /// Read the request, sleep this long (past the client's timeout), then close.
    Stall(Duration),
    /// Answer `status` with these exact bytes (not JSON), correctly signed.
    RawBody { status: u16, body: Vec<u8> },
    /// Like `Respond` (signed, no `Connection: close`), then close the connection, as a
    /// server or proxy closing an idle keep-alive connection does.
    RespondThenClose { status: u16, body: String },
}

impl Action {
    /// A correctly signed answer.
    pub fn respond(status: u16, body: &str) -> Action {
        Action::Respond {
            status,
            headers: Vec::new(),
            body: body.to_string(),
        }
    }

    /// A correctly signed 200.
    pub fn ok(body: &str) -> Action {
        Action::respond(200, body)
    }
}

/// One request as the server received it.
#[derive(Clone, Debug)]
pub struct Recorded {
    /// Which accepted connection it came on (0 for the first).
    pub connection: usize,
    pub method: String,
    /// The request target as sent (path and query).
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Recorded {
    /// The first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// How often a header called `name` appears.
    pub fn header_count(&self, name: &str) -> usize {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .count()
    }

    /// The path without a query string.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }

    /// Verifies the request's `Signature` as DOKU would: Client-Id, Request-Id,
    /// Request-Timestamp from the headers, the received path, the received body bytes
    /// (no Digest line for a GET).
    pub fn verify_signature(&self, secret: &str) -> doku::Result<()> {
        let key = SigningKey::new(secret.as_bytes())?;
        let h = |n: &str| self.header(n).unwrap_or_default();
        let body = (self.method != "GET").then_some(self.body.as_slice());
        let component = Component::request(
            h("Client-Id"),
            h("Request-Id"),
            h("Request-Timestamp"),
            self.path(),
            body,
        );
        key.verify(&component, h("Signature"))
    }
}

struct State {
    script: VecDeque<Action>,
    otherwise: Action,
    requests: Vec<Recorded>,
    connections: usize,
    /// Connections the server has shut down so far.
    closed: usize,
}

/// The fake DOKU. Dropping it stops accepting connections.
pub struct Server {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    /// Signalled whenever the server shuts a connection down.
    closed: Arc<Condvar>,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|e| e.into_inner())
}

impl Server {
    /// Plays `script`, one action per request in arrival order; once it is used up,
    /// every request gets a signed 500 saying so.
    pub fn start(script: Vec<Action>) -> Server {
        Server::start_with(
            script,
            Action::respond(
                500,
                r#"{"error":{"message":"the test server's script is used up"}}"#,
            ),
        )
    }

    /// Plays `script`, then `otherwise` for every further request.
    pub fn start_with(script: Vec<Action>, otherwise: Action) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        let state = Arc::new(Mutex::new(State {
            script: script.into(),
            otherwise,
            requests: Vec::new(),
            connections: 0,
            closed: 0,
        }));
        let closed = Arc::new(Condvar::new());
        let stop = Arc::new(AtomicBool::new(false));
        let accept = {
            let (state, stop, closed) = (state.clone(), stop.clone(), closed.clone());
            thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let id = {
                        let mut s = lock(&state);
                        s.connections += 1;
                        s.connections - 1
                    };
                    let (state, closed) = (state.clone(), closed.clone());
                    thread::spawn(move || {
                        serve(stream, id, &state);
                        lock(&state).closed += 1;
                        closed.notify_all();
                    });
                }
            })
        };
        Server {
            addr,
            state,
            closed,
            stop,
            accept: Some(accept),
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<Recorded> {
        lock(&self.state).requests.clone()
    }

    /// How many TCP connections were accepted so far.
    pub fn connections(&self) -> usize {
        lock(&self.state).connections
    }

    /// Waits (at most 10 s, then panics) until the server has shut down `n` connections:
    /// an event to wait for instead of sleeping.
    pub fn wait_for_closed(&self, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut s = lock(&self.state);
        while s.closed < n {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "the server closed {} of {n} connections",
                s.closed
            );
            s = self
                .closed
                .wait_timeout(s, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
    }
}

fn serve(stream: TcpStream, connection: usize, state: &Mutex<State>) {
    let _ = stream.set_read_timeout(Some(IDLE_TIMEOUT));
    let _ = stream.set_write_timeout(Some(IDLE_TIMEOUT));
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut out = stream;
    // Keep-alive: serve requests on this connection until the client closes it.
    while let Ok(Some(mut req)) = read_request(&mut reader) {
        req.connection = connection;
        let action = {
            let mut s = lock(state);
            s.requests.push(req.clone());
            let next = s.script.pop_front();
            next.unwrap_or_else(|| s.otherwise.clone())
        };
        let written = match action {
            Action::DropConnection => break,
            Action::Stall(d) => {
                thread::sleep(d);
                break;
            }
            Action::Respond {
                status,
                headers,
                body,
            } => {
                let mut h = signed_headers(&req, body.as_bytes(), SECRET);
                for (k, v) in headers {
                    h.retain(|(name, _)| !name.eq_ignore_ascii_case(&k));
                    h.push((k, v));
                }
                write_response(&mut out, status, &h, body.as_bytes())
            }
            Action::RespondBadSignature { status, body } => {
                let h = signed_headers(&req, body.as_bytes(), WRONG_SECRET);
                write_response(&mut out, status, &h, body.as_bytes())
            }
            Action::RespondUnsigned { status, body } => {
                let mut h = signed_headers(&req, body.as_bytes(), SECRET);
                h.retain(|(k, _)| k != "Signature" && k != "Response-Timestamp");
                write_response(&mut out, status, &h, body.as_bytes())
            }
            Action::RawBody { status, body } => {
                let h = signed_headers(&req, &body, SECRET);
                write_response(&mut out, status, &h, &body)
            }
            Action::RespondThenClose { status, body } => {
                let h = signed_headers(&req, body.as_bytes(), SECRET);
                let _ = write_response(&mut out, status, &h, body.as_bytes());
                break;
            }
        };
        if written.is_err() {
            break;
        }
    }
    let _ = out.shutdown(Shutdown::Both);
}

/// DOKU's response headers for `req`, signed with `secret` over `body`.
fn signed_headers(req: &Recorded, body: &[u8], secret: &str) -> Vec<(String, String)> {
    let client_id = req.header("Client-Id").unwrap_or(CLIENT_ID).to_string();
    let request_id = req.header("Request-Id").unwrap_or("none").to_string();
    let ts = doku::clock::format_timestamp(SystemClock.now_unix());
    let key = SigningKey::new(secret.as_bytes()).expect("a usable test secret");
    let signature = key
        .sign(&Component::response(
            &client_id,
            &request_id,
            &ts,
            req.path(),
            Some(body),
        ))
        .expect("the test server can sign");
    vec![
        ("Client-Id".to_string(), client_id),
        ("Request-Id".to_string(), request_id),
        ("Response-Timestamp".to_string(), ts),
        ("Signature".to_string(), signature),
    ]
}

fn write_response(
    out: &mut TcpStream,
    status: u16,
    headers: &[(String, String)],
    body: &[u8],
) -> io::Result<()> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        409 => "Conflict",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    };
    let mut head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let mut buf = head.into_bytes();
    buf.extend_from_slice(body);
    out.write_all(&buf)?;
    out.flush()
}

fn bad(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

/// Reads one request; `Ok(None)` when the client closed the connection cleanly.
fn read_request(r: &mut impl BufRead) -> io::Result<Option<Recorded>> {
    let mut line = String::new();
    if r.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut parts = line.trim_end().splitn(3, ' ');
    let (Some(method), Some(target), Some(version)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(bad(format!("bad request line {line:?}")));
    };
    if !version.starts_with("HTTP/1.") {
        return Err(bad(format!("bad version {version:?}")));
    }
    let (method, target) = (method.to_string(), target.to_string());
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if r.read_line(&mut h)? == 0 {
            return Err(bad("connection closed inside the headers"));
        }
        let h = h.trim_end_matches(['\r', '\n']);
        if h.is_empty() {
            break;
        }
        let (k, v) = h
            .split_once(':')
            .ok_or_else(|| bad(format!("bad header {h:?}")))?;
        headers.push((k.trim().to_string(), v.trim().to_string()));
    }
    let get = |name: &str| {
        headers
            .iter()
            .find(|(k, _): &&(String, String)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let body = if get("Transfer-Encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        read_chunked(r)?
    } else {
        let n: usize = match get("Content-Length") {
            Some(v) => v.parse().map_err(|_| bad("bad Content-Length"))?,
            None => 0,
        };
        let mut body = vec![0; n];
        r.read_exact(&mut body)?;
        body
    };
    Ok(Some(Recorded {
        connection: 0,
        method,
        target,
        headers,
        body,
    }))
}

fn read_chunked(r: &mut impl BufRead) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let mut size = String::new();
        r.read_line(&mut size)?;
        let size = size.trim().split(';').next().unwrap_or_default();
        let n = usize::from_str_radix(size, 16).map_err(|_| bad("bad chunk size"))?;
        if n == 0 {
            // Trailers, up to the empty line.
            loop {
                let mut t = String::new();
                if r.read_line(&mut t)? == 0 || t.trim().is_empty() {
                    return Ok(body);
                }
            }
        }
        let start = body.len();
        body.resize(start + n, 0);
        r.read_exact(&mut body[start..])?;
        let mut crlf = [0u8; 2];
        r.read_exact(&mut crlf)?;
    }
}
