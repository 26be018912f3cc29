//! The sandbox's HTTP/1.1 serving, on hyper (and the notification receiver's): a tokio
//! runtime of its own, a bounded number of connections, limits on the request head (size and
//! read deadline) and body (size and read deadline), graceful shutdown, and title-case header
//! names on the wire (`Client-Id`, `Response-Timestamp`, `Signature`, as DOKU writes them).
//!
//! hyper does the parsing and framing: an invalid or conflicting `Content-Length`, a
//! `Transfer-Encoding` whose last coding is not `chunked` and oversized heads are refused with
//! 4xx before a handler runs; a chunk size that does not fit is a body error, not a panic. A
//! request with both `Transfer-Encoding: chunked` and `Content-Length` is read by its chunked
//! framing alone and its connection is closed after the answer (RFC 9112 6.1), so bytes left
//! after it are never read as a second request.
//!
//! Handlers stay synchronous ([`Handler`]): the sandbox's work is short and in memory. A panic
//! in a handler is answered 500; the connection and everything it holds are freed. A handler
//! that must answer late (the stall scenario) returns a [`Hold`]: the answer waits, without
//! holding a thread, until it is released, its limit passes, the server stops, or the client
//! hangs up (hyper then drops the request's future).

use std::convert::Infallible;
use std::io;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderName, HeaderValue, CONNECTION, CONTENT_LENGTH};
use hyper::service::service_fn;
use hyper::StatusCode;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::runtime::Runtime;
use tokio::sync::{watch, Notify, Semaphore};

/// An oversized body up to this size is read and dropped before the 413 answer, so a client
/// still sending it can read the answer instead of a reset.
const DRAIN_LIMIT: u64 = 16 * 1024 * 1024;
/// Largest request head (request line and headers).
const MAX_HEAD_BYTES: usize = 64 * 1024;
/// How long shutdown lets requests in progress finish before closing their connections.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// Why a request body is unavailable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum BodyError {
    TooLarge,
    Unreadable(String),
}

/// One request as a handler sees it. Header names are lower case; values are UTF-8.
pub(crate) struct Request {
    pub method: String,
    /// The request target as sent (path and query).
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Result<Vec<u8>, BodyError>,
}

impl Request {
    /// The path without query or fragment.
    pub fn path(&self) -> &str {
        self.target.split(['?', '#']).next().unwrap_or("/")
    }
}

/// One response; `Content-Length`, `Date` and (when closing) `Connection` are added.
pub(crate) struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Sent only when this hold ends (the stall scenario); `None` answers at once.
    pub hold: Option<Hold>,
}

impl Response {
    pub fn new(status: u16, headers: Vec<(String, String)>, body: Vec<u8>) -> Response {
        Response {
            status,
            headers,
            body,
            hold: None,
        }
    }

    fn text(status: u16, text: impl Into<String>) -> Response {
        Response::new(
            status,
            vec![("Content-Type".into(), "text/plain; charset=utf-8".into())],
            text.into().into_bytes(),
        )
    }
}

/// Why a held answer was let go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HoldEnd {
    /// [`Hold::release`] was notified (a retry with the same Request-Id arrived).
    Released,
    /// [`Hold::limit`] passed.
    Limit,
    /// The server is stopping.
    Shutdown,
    /// The client closed the connection first; the answer is never sent.
    ClientGone,
}

/// An answer held back until one of the [`HoldEnd`] events.
pub(crate) struct Hold {
    pub release: Arc<Notify>,
    pub limit: Duration,
    /// Told once how the hold ended.
    pub on_end: Box<dyn FnOnce(HoldEnd) + Send>,
}

/// Reports [`HoldEnd::ClientGone`] when the held request's future is dropped early.
struct HoldGuard(Option<Box<dyn FnOnce(HoldEnd) + Send>>);

impl HoldGuard {
    fn end(&mut self, why: HoldEnd) {
        if let Some(f) = self.0.take() {
            f(why);
        }
    }
}

impl Drop for HoldGuard {
    fn drop(&mut self) {
        self.end(HoldEnd::ClientGone);
    }
}

async fn wait_out(hold: Hold, mut stop: watch::Receiver<bool>) {
    let mut guard = HoldGuard(Some(hold.on_end));
    let why = tokio::select! {
        _ = hold.release.notified() => HoldEnd::Released,
        _ = tokio::time::sleep(hold.limit) => HoldEnd::Limit,
        _ = stop.wait_for(|stopping| *stopping) => HoldEnd::Shutdown,
    };
    guard.end(why);
}

pub(crate) type Handler = Arc<dyn Fn(Request) -> Response + Send + Sync>;

/// What one server accepts.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    /// Connections served at once; more are answered 503 and closed.
    pub max_connections: usize,
    /// Largest request body; larger ones are answered 413 (by the handler).
    pub max_body: usize,
    /// A request head (or the next one on a kept-alive connection) must arrive within this.
    pub header_read_timeout: Duration,
    /// A request body must arrive within this, once its head has.
    pub body_read_timeout: Duration,
}

/// A tokio runtime for one server and its background work (the sandbox's notifications).
pub(crate) fn runtime(name: &str) -> io::Result<Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(name)
        .enable_all()
        .build()
}

/// A running server; dropping it shuts it down.
pub(crate) struct HttpServer {
    rt: Option<Runtime>,
    stop: watch::Sender<bool>,
    /// Signalled when the accept loop has ended (a Mutex only to make the server Sync).
    stopped: Mutex<Option<mpsc::Receiver<()>>>,
}

impl HttpServer {
    /// Serves `handler` on `listener` from `rt` until shutdown. The server owns `rt`: tasks
    /// spawned on it (notification deliveries) end with it.
    pub fn serve(
        rt: Runtime,
        listener: std::net::TcpListener,
        handler: Handler,
        limits: Limits,
    ) -> io::Result<HttpServer> {
        listener.set_nonblocking(true)?;
        let listener = {
            let _entered = rt.enter();
            tokio::net::TcpListener::from_std(listener)?
        };
        let (stop, stop_rx) = watch::channel(false);
        let (done_tx, stopped) = mpsc::channel();
        rt.spawn(async move {
            accept_loop(listener, handler, limits, stop_rx).await;
            let _ = done_tx.send(());
        });
        Ok(HttpServer {
            rt: Some(rt),
            stop,
            stopped: Mutex::new(Some(stopped)),
        })
    }

    /// Stops accepting, lets requests in progress finish (at most [`SHUTDOWN_GRACE`]),
    /// then closes every connection and ends every task of the runtime. Bounded: it never
    /// waits on a client.
    pub fn shutdown(&mut self) {
        let _ = self.stop.send(true);
        let stopped = self
            .stopped
            .get_mut()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(stopped) = stopped {
            let _ = stopped.recv_timeout(SHUTDOWN_GRACE + Duration::from_millis(500));
        }
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

async fn accept_loop(
    listener: tokio::net::TcpListener,
    handler: Handler,
    limits: Limits,
    mut stop: watch::Receiver<bool>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_buf_size(MAX_HEAD_BYTES)
        .title_case_headers(true);
    loop {
        let (stream, _peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(_) => {
                    // Out of file descriptors and the like: back off a little.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
            _ = stop.changed() => break,
        };
        let _ = stream.set_nodelay(true);
        let io = TokioIo::new(stream);
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tokio::spawn(refuse(io, builder.clone()));
            continue;
        };
        let ctx = Arc::new(Ctx {
            handler: handler.clone(),
            limits,
            stop: stop.clone(),
        });
        let service = service_fn(move |req| {
            let ctx = ctx.clone();
            async move { Ok::<_, Infallible>(respond(&ctx, req).await) }
        });
        let conn = graceful.watch(builder.serve_connection(io, service));
        tokio::spawn(async move {
            let _ = conn.await;
            drop(slot);
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await;
}

/// Answers a connection over the limit with 503 and closes it.
async fn refuse(
    io: TokioIo<tokio::net::TcpStream>,
    mut builder: hyper::server::conn::http1::Builder,
) {
    builder.keep_alive(false);
    let service = service_fn(|_req| async {
        Ok::<_, Infallible>(to_hyper(
            Response::text(503, "too many connections: try again shortly"),
            true,
        ))
    });
    let _ = builder.serve_connection(io, service).await;
}

struct Ctx {
    handler: Handler,
    limits: Limits,
    stop: watch::Receiver<bool>,
}

/// Converts one hyper request, runs the handler, converts the answer back.
async fn respond(ctx: &Ctx, req: hyper::Request<Incoming>) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let Some(target) = origin_form(&parts.uri) else {
        return to_hyper(
            Response::text(400, "the request target must be a path (origin form)"),
            true,
        );
    };
    let mut headers = Vec::with_capacity(parts.headers.len());
    for (name, value) in &parts.headers {
        match std::str::from_utf8(value.as_bytes()) {
            Ok(v) => headers.push((name.as_str().to_string(), v.trim().to_string())),
            Err(_) => {
                return to_hyper(
                    Response::text(400, format!("header {name} is not UTF-8")),
                    true,
                )
            }
        }
    }
    let declared = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let body = read_body(body, declared, &ctx.limits).await;
    let close = body.is_err();
    let request = Request {
        method: parts.method.as_str().to_ascii_uppercase(),
        target,
        headers,
        body,
    };
    let handler = ctx.handler.clone();
    let mut response =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || handler(request)))
            .unwrap_or_else(|_| Response::text(500, "the server failed on this request (a bug)"));
    match response.hold.take() {
        Some(hold) => {
            wait_out(hold, ctx.stop.clone()).await;
            to_hyper(response, true)
        }
        None => to_hyper(response, close),
    }
}

/// The path and query of an origin-form target; `None` for absolute-form, `*` and the like.
fn origin_form(uri: &hyper::Uri) -> Option<String> {
    if uri.scheme().is_some() || uri.authority().is_some() {
        return None;
    }
    let pq = uri.path_and_query()?.as_str();
    pq.starts_with('/').then(|| pq.to_string())
}

async fn read_body(
    body: Incoming,
    declared: Option<u64>,
    limits: &Limits,
) -> Result<Vec<u8>, BodyError> {
    let deadline = limits.body_read_timeout;
    let late = || {
        BodyError::Unreadable(format!(
            "the body did not arrive within {} ms",
            deadline.as_millis()
        ))
    };
    if declared.is_some_and(|n| n > limits.max_body as u64) {
        if declared.is_some_and(|n| n <= DRAIN_LIMIT) {
            let drain = async {
                let mut body = body;
                while let Some(frame) = body.frame().await {
                    if frame.is_err() {
                        break;
                    }
                }
            };
            let _ = tokio::time::timeout(deadline, drain).await;
        }
        return Err(BodyError::TooLarge);
    }
    let collected = tokio::time::timeout(deadline, Limited::new(body, limits.max_body).collect())
        .await
        .map_err(|_| late())?;
    match collected {
        Ok(c) => Ok(c.to_bytes().to_vec()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(BodyError::TooLarge),
        Err(e) => Err(BodyError::Unreadable(format!(
            "the body is unreadable: {e}"
        ))),
    }
}

fn to_hyper(r: Response, close: bool) -> hyper::Response<Full<Bytes>> {
    let mut out = hyper::Response::new(Full::new(Bytes::from(r.body)));
    *out.status_mut() = StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = out.headers_mut();
    for (k, v) in r.headers {
        // A name or value that cannot be written (a line break, say) is dropped: it would
        // split the response.
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(k), HeaderValue::try_from(v)) {
            headers.append(name, value);
        }
    }
    if close {
        headers.insert(CONNECTION, HeaderValue::from_static("close"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    fn get(addr: std::net::SocketAddr, path: &str) -> String {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    }

    #[test]
    fn a_panicking_handler_is_answered_500_and_frees_its_connection() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let handler: Handler = Arc::new(|req: Request| {
            if req.path() == "/panic" {
                panic!("a handler bug");
            }
            Response::text(200, "fine")
        });
        let limits = Limits {
            max_connections: 1,
            max_body: 1024,
            header_read_timeout: Duration::from_secs(5),
            body_read_timeout: Duration::from_secs(5),
        };
        let mut server =
            HttpServer::serve(runtime("test").unwrap(), listener, handler, limits).unwrap();
        // A slot is freed just after its connection closes, so the next connection may
        // race it and be told 503: ask again (bounded) until the slot is seen free.
        let when_free = |path: &str| {
            (0..200)
                .map(|_| get(addr, path))
                .find(|a| !a.starts_with("HTTP/1.1 503 "))
                .expect("the slot is freed")
        };
        for _ in 0..5 {
            let answer = when_free("/panic");
            assert!(answer.starts_with("HTTP/1.1 500 "), "{answer}");
        }
        // One slot, five panics: the slot was freed each time (else no answer but 503).
        let answer = when_free("/ok");
        assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
        assert!(answer.ends_with("fine"), "{answer}");
        server.shutdown();
        assert!(
            std::net::TcpStream::connect(addr).is_err(),
            "the port is closed"
        );
    }
}
