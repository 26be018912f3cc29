//! A small HTTP/1.1 server on `std::net` for the sandbox and the notification receiver:
//! one thread per connection (bounded), keep-alive, `Content-Length` and chunked request
//! bodies, `Expect: 100-continue`, idle timeouts, and a shutdown that closes every open
//! connection so no thread outlives it for long.
//!
//! Why not tiny_http 0.12: its connection pool decides whether to start a thread by
//! reading a "waiting threads" counter that a woken thread has not yet decremented, so with
//! more than four keep-alive connections opened at once some connections stay queued
//! behind long-lived ones and their requests time out (reproduced by the load benchmark
//! with 8 clients).

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use super::server::lock;

/// Longest request line or header line.
const MAX_LINE: u64 = 16 * 1024;
/// Most header lines in one request.
const MAX_HEADERS: usize = 100;
/// An idle keep-alive connection is closed after this long.
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// An oversized body up to this size is read and dropped before the 413 answer.
const DRAIN_LIMIT: u64 = 16 * 1024 * 1024;
/// A response write that cannot progress for this long closes the connection.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a request body is unavailable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum BodyError {
    TooLarge,
    Unreadable(String),
}

/// One parsed request.
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

/// One response; `Content-Length` and `Connection` are added when written.
pub(crate) struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

pub(crate) type Handler = Arc<dyn Fn(Request) -> Response + Send + Sync>;

struct Shared {
    handler: Handler,
    stop: AtomicBool,
    next_id: AtomicU64,
    /// Open connections, so shutdown can close them.
    conns: Mutex<HashMap<u64, TcpStream>>,
    max_connections: usize,
    max_body: usize,
}

/// A running server; dropping it shuts it down.
pub(crate) struct HttpServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

impl HttpServer {
    /// Serves `handler` on `listener` until shutdown.
    pub fn serve(
        listener: TcpListener,
        handler: Handler,
        max_connections: usize,
        max_body: usize,
    ) -> io::Result<HttpServer> {
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            handler,
            stop: AtomicBool::new(false),
            next_id: AtomicU64::new(0),
            conns: Mutex::new(HashMap::new()),
            max_connections: max_connections.max(1),
            max_body,
        });
        let accept = {
            let shared = shared.clone();
            thread::Builder::new()
                .name("doku-http-accept".into())
                .spawn(move || accept_loop(listener, &shared))?
        };
        Ok(HttpServer {
            addr,
            shared,
            accept: Some(accept),
        })
    }

    /// Stops accepting, closes every open connection and waits (boundedly) for the accept
    /// thread. Connection threads end as their sockets close.
    pub fn shutdown(&mut self) {
        if self.shared.stop.swap(true, Ordering::SeqCst) {
            return;
        }
        // Wake the blocking accept with a connection of our own.
        let mut wake = self.addr;
        if wake.ip().is_unspecified() {
            wake.set_ip(match wake {
                SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
            });
        }
        let woke = TcpStream::connect_timeout(&wake, Duration::from_secs(1)).is_ok();
        if let Some(t) = self.accept.take() {
            let deadline = Instant::now() + Duration::from_secs(2);
            while woke && !t.is_finished() && Instant::now() < deadline {
                thread::sleep(Duration::from_millis(2));
            }
            if t.is_finished() {
                let _ = t.join();
            }
        }
        for (_, s) in lock(&self.shared.conns).drain() {
            let _ = s.shutdown(Shutdown::Both);
        }
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn accept_loop(listener: TcpListener, shared: &Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            break;
        }
        let stream = match stream {
            Ok(s) => s,
            Err(_) => {
                // Out of file descriptors and the like: back off a little.
                thread::sleep(Duration::from_millis(10));
                continue;
            }
        };
        let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
        {
            let mut conns = lock(&shared.conns);
            if conns.len() >= shared.max_connections {
                drop(conns);
                let mut s = stream;
                let _ = s.set_write_timeout(Some(WRITE_TIMEOUT));
                let _ = write_response(
                    &mut s,
                    &Response {
                        status: 503,
                        headers: vec![("Content-Type".into(), "text/plain".into())],
                        body: b"too many connections".to_vec(),
                    },
                    false,
                    false,
                );
                continue;
            }
            match stream.try_clone() {
                Ok(clone) => {
                    conns.insert(id, clone);
                }
                Err(_) => continue,
            }
        }
        let conn_shared = shared.clone();
        let spawned = thread::Builder::new()
            .name("doku-http-conn".into())
            .spawn(move || {
                serve_connection(stream, &conn_shared);
                if let Some(s) = lock(&conn_shared.conns).remove(&id) {
                    let _ = s.shutdown(Shutdown::Both);
                }
            });
        if spawned.is_err() {
            if let Some(s) = lock(&shared.conns).remove(&id) {
                let _ = s.shutdown(Shutdown::Both);
            }
        }
    }
}

fn serve_connection(stream: TcpStream, shared: &Shared) {
    let _ = stream.set_nodelay(true);
    let _ = stream.set_read_timeout(Some(IDLE_TIMEOUT));
    let _ = stream.set_write_timeout(Some(WRITE_TIMEOUT));
    // Read and write through shared references: no second descriptor per connection.
    let mut reader = BufReader::new(&stream);
    let mut out = &stream;
    while !shared.stop.load(Ordering::SeqCst) {
        let head = match read_head(&mut reader) {
            Ok(Some(h)) => h,
            Ok(None) => return,
            Err(HeadError::Io) => return,
            Err(HeadError::Bad(msg)) => {
                let _ = write_response(
                    &mut out,
                    &Response {
                        status: 400,
                        headers: vec![("Content-Type".into(), "text/plain".into())],
                        body: msg.into_bytes(),
                    },
                    false,
                    false,
                );
                return;
            }
        };
        let header = |name: &str| {
            head.headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        };
        let connection = header("Connection").map(str::to_ascii_lowercase);
        let mut keep_alive = if head.version == "HTTP/1.0" {
            connection.as_deref() == Some("keep-alive")
        } else {
            connection.as_deref() != Some("close")
        };
        let chunked =
            header("Transfer-Encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
        let length = match header("Content-Length").map(|v| v.parse::<u64>()) {
            None => None,
            Some(Ok(n)) => Some(n),
            Some(Err(_)) => {
                let _ = write_response(
                    &mut out,
                    &Response {
                        status: 400,
                        headers: vec![("Content-Type".into(), "text/plain".into())],
                        body: b"bad Content-Length".to_vec(),
                    },
                    false,
                    false,
                );
                return;
            }
        };
        let too_large = length.is_some_and(|n| n > shared.max_body as u64);
        let expects_continue =
            !too_large && header("Expect").is_some_and(|v| v.eq_ignore_ascii_case("100-continue"));
        if expects_continue && out.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").is_err() {
            return;
        }
        let body = if too_large {
            // Answer and close. A moderately large body is read and dropped first, so the
            // client is not cut off mid-send and can read the answer.
            keep_alive = false;
            let n = length.unwrap_or(0);
            if n <= DRAIN_LIMIT {
                let _ = io::copy(&mut reader.by_ref().take(n), &mut io::sink());
            }
            Err(BodyError::TooLarge)
        } else if chunked {
            read_chunked(&mut reader, shared.max_body)
        } else {
            read_exact_body(&mut reader, length.unwrap_or(0) as usize)
        };
        if body.is_err() {
            keep_alive = false;
        }
        let head_only = head.method == "HEAD";
        let request = Request {
            method: head.method,
            target: head.target,
            headers: head.headers,
            body,
        };
        let response = (shared.handler)(request);
        if write_response(&mut out, &response, keep_alive, head_only).is_err() || !keep_alive {
            return;
        }
    }
}

struct Head {
    method: String,
    target: String,
    version: String,
    headers: Vec<(String, String)>,
}

enum HeadError {
    /// The connection closed or timed out: just close.
    Io,
    /// A malformed request: answer 400 and close.
    Bad(String),
}

fn read_line(r: &mut impl BufRead) -> Result<Option<String>, HeadError> {
    let mut buf = Vec::new();
    let n = r
        .by_ref()
        .take(MAX_LINE)
        .read_until(b'\n', &mut buf)
        .map_err(|_| HeadError::Io)?;
    if n == 0 {
        return Ok(None);
    }
    if !buf.ends_with(b"\n") {
        return Err(HeadError::Bad("request line or header too long".into()));
    }
    while buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        buf.pop();
    }
    String::from_utf8(buf)
        .map(Some)
        .map_err(|_| HeadError::Bad("request head is not UTF-8".into()))
}

fn read_head(r: &mut impl BufRead) -> Result<Option<Head>, HeadError> {
    // Tolerate empty lines between requests (RFC 9112 2.2).
    let line = loop {
        match read_line(r)? {
            None => return Ok(None),
            Some(l) if l.is_empty() => continue,
            Some(l) => break l,
        }
    };
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(HeadError::Bad(format!("malformed request line {line:?}")));
    };
    if !version.starts_with("HTTP/1.") || method.is_empty() || !target.starts_with('/') {
        return Err(HeadError::Bad(format!("unsupported request line {line:?}")));
    }
    let mut headers = Vec::new();
    loop {
        let Some(h) = read_line(r)? else {
            return Err(HeadError::Io);
        };
        if h.is_empty() {
            break;
        }
        if headers.len() >= MAX_HEADERS {
            return Err(HeadError::Bad("too many headers".into()));
        }
        let Some((k, v)) = h.split_once(':') else {
            return Err(HeadError::Bad(format!("malformed header line {h:?}")));
        };
        if k.is_empty() || k.contains([' ', '\t']) {
            return Err(HeadError::Bad(format!("malformed header name {k:?}")));
        }
        headers.push((k.to_string(), v.trim().to_string()));
    }
    Ok(Some(Head {
        method: method.to_ascii_uppercase(),
        target: target.to_string(),
        version: version.to_string(),
        headers,
    }))
}

fn read_exact_body(r: &mut impl BufRead, n: usize) -> Result<Vec<u8>, BodyError> {
    let mut body = vec![0; n];
    r.read_exact(&mut body)
        .map_err(|e| BodyError::Unreadable(format!("the body ended early: {e}")))?;
    Ok(body)
}

fn read_chunked(r: &mut impl BufRead, max: usize) -> Result<Vec<u8>, BodyError> {
    let bad = |m: &str| BodyError::Unreadable(m.to_string());
    let mut body = Vec::new();
    loop {
        let size_line = read_line(r)
            .map_err(|_| bad("bad chunk size line"))?
            .ok_or_else(|| bad("the body ended early"))?;
        let size = size_line.split(';').next().unwrap_or_default().trim();
        let n = usize::from_str_radix(size, 16).map_err(|_| bad("bad chunk size"))?;
        if n == 0 {
            // Trailers up to the empty line.
            loop {
                match read_line(r).map_err(|_| bad("bad trailer"))? {
                    None => return Ok(body),
                    Some(l) if l.is_empty() => return Ok(body),
                    Some(_) => {}
                }
            }
        }
        if body.len() + n > max {
            return Err(BodyError::TooLarge);
        }
        let start = body.len();
        body.resize(start + n, 0);
        r.read_exact(&mut body[start..])
            .map_err(|_| bad("the body ended early"))?;
        let mut crlf = [0u8; 2];
        r.read_exact(&mut crlf)
            .map_err(|_| bad("the body ended early"))?;
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        303 => "See Other",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        413 => "Payload Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

fn write_response(
    out: &mut impl Write,
    r: &Response,
    keep_alive: bool,
    head_only: bool,
) -> io::Result<()> {
    let mut buf = Vec::with_capacity(256 + r.body.len());
    write!(buf, "HTTP/1.1 {} {}\r\n", r.status, reason(r.status))?;
    for (k, v) in &r.headers {
        // Header values never carry line breaks (they would split the response).
        if !k.contains(['\r', '\n']) && !v.contains(['\r', '\n']) {
            write!(buf, "{k}: {v}\r\n")?;
        }
    }
    write!(buf, "Content-Length: {}\r\n", r.body.len())?;
    if !keep_alive {
        buf.extend_from_slice(b"Connection: close\r\n");
    }
    buf.extend_from_slice(b"\r\n");
    if !head_only {
        buf.extend_from_slice(&r.body);
    }
    out.write_all(&buf)?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An echo server: status 200, body = METHOD TARGET BODY.
    fn echo(max_connections: usize) -> HttpServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let handler: Handler = Arc::new(|req: Request| {
            let mut body = format!("{} {} ", req.method, req.target).into_bytes();
            match req.body {
                Ok(b) => body.extend_from_slice(&b),
                Err(e) => body.extend_from_slice(format!("{e:?}").as_bytes()),
            }
            Response {
                status: 200,
                headers: vec![("X-Test".into(), "1".into())],
                body,
            }
        });
        HttpServer::serve(listener, handler, max_connections, 64).unwrap()
    }

    fn connect(s: &HttpServer) -> TcpStream {
        let c = TcpStream::connect(s.addr).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        c
    }

    /// Reads one response: (status line, headers, body).
    fn read_response(r: &mut BufReader<TcpStream>) -> (String, Vec<String>, String) {
        let mut status = String::new();
        r.read_line(&mut status).unwrap();
        let mut headers = Vec::new();
        let mut len = 0;
        loop {
            let mut h = String::new();
            r.read_line(&mut h).unwrap();
            let h = h.trim_end().to_string();
            if h.is_empty() {
                break;
            }
            if let Some(v) = h.strip_prefix("Content-Length: ") {
                len = v.parse().unwrap();
            }
            headers.push(h);
        }
        let mut body = vec![0; len];
        r.read_exact(&mut body).unwrap();
        (
            status.trim_end().to_string(),
            headers,
            String::from_utf8(body).unwrap(),
        )
    }

    #[test]
    fn keep_alive_chunked_and_continue() {
        let s = echo(8);
        let c = connect(&s);
        let mut w = c.try_clone().unwrap();
        let mut r = BufReader::new(c);
        w.write_all(b"POST /a?x=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc")
            .unwrap();
        let (st, h, b) = read_response(&mut r);
        assert_eq!(st, "HTTP/1.1 200 OK");
        assert!(h.contains(&"X-Test: 1".to_string()));
        assert_eq!(b, "POST /a?x=1 abc");
        w.write_all(b"POST /b HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n3;x=y\r\n!!!\r\n0\r\n\r\n")
            .unwrap();
        assert_eq!(read_response(&mut r).2, "POST /b hi!!!");
        w.write_all(b"POST /c HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n")
            .unwrap();
        let mut cont = String::new();
        r.read_line(&mut cont).unwrap();
        assert_eq!(cont.trim_end(), "HTTP/1.1 100 Continue");
        r.read_line(&mut cont).unwrap();
        w.write_all(b"ok").unwrap();
        assert_eq!(read_response(&mut r).2, "POST /c ok");
        w.write_all(b"GET /d HTTP/1.1\r\nConnection: close\r\n\r\n")
            .unwrap();
        let (_, h, _) = read_response(&mut r);
        assert!(h.contains(&"Connection: close".to_string()));
        let mut rest = Vec::new();
        assert_eq!(
            r.read_to_end(&mut rest).unwrap(),
            0,
            "closed after Connection: close"
        );
    }

    #[test]
    fn limits_and_bad_requests() {
        let s = echo(8);
        let c = connect(&s);
        let mut w = c.try_clone().unwrap();
        let mut r = BufReader::new(c);
        w.write_all(b"POST /big HTTP/1.1\r\nContent-Length: 65\r\n\r\n")
            .unwrap();
        w.write_all(&[b'x'; 65]).unwrap();
        let (_, h, b) = read_response(&mut r);
        assert_eq!(b, "POST /big TooLarge");
        assert!(h.contains(&"Connection: close".to_string()));
        let mut c = connect(&s);
        c.write_all(b"NONSENSE\r\n\r\n").unwrap();
        let (st, _, _) = read_response(&mut BufReader::new(c));
        assert_eq!(st, "HTTP/1.1 400 Bad Request");
    }

    #[test]
    fn too_many_connections_get_503_and_shutdown_closes_connections() {
        let mut s = echo(1);
        let first = connect(&s);
        std::thread::sleep(Duration::from_millis(50));
        let second = connect(&s);
        let (st, _, _) = read_response(&mut BufReader::new(second));
        assert_eq!(st, "HTTP/1.1 503 Service Unavailable");
        let t = Instant::now();
        s.shutdown();
        assert!(t.elapsed() < Duration::from_secs(2));
        let mut buf = [0u8; 1];
        assert_eq!(
            BufReader::new(first).read(&mut buf).unwrap_or(0),
            0,
            "the idle connection is closed"
        );
    }
}
