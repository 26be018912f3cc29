//! The sandbox on the wire, as hostile peers and DOKU's own PHP code meet it: malformed
//! framing (chunk sizes that overflow, request smuggling), slow clients (slowloris, stalled
//! bodies), the exact header names on responses and notifications, a stalling merchant, and
//! the bounded notification log. Raw sockets on 127.0.0.1; every wait is bounded and waits for
//! an observable event (an answer, a closed connection, a recorded attempt).

use std::io::{ErrorKind as IoErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use doku::{Client, Clock, Component, Config, RequestOptions, SigningKey, SystemClock};
use doku_sandbox::receiver::NotificationReceiver;
use doku_sandbox::{Merchant, Sandbox, SandboxConfig};
use serde_json::{json, Value};

const CID: &str = "MCH-WIRE-0001";
const SK: &str = "SK-wire-tests-not-a-real-key";
const OTHER_CID: &str = "MCH-WIRE-0002";
const OTHER_SK: &str = "SK-wire-tests-other-not-real";
const NOTIFY_PATH: &str = "/payments/notifications";
const ALFA: &str = "/alfa-online-to-offline/v2/payment-code";
const WAIT: Duration = Duration::from_secs(10);

fn invoice(tag: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "INV-W-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

fn sandbox(config: SandboxConfig) -> Sandbox {
    let config = if config.merchants.is_empty() {
        config.merchant(Merchant::new(CID, SK).unwrap())
    } else {
        config
    };
    Sandbox::start(config).expect("the sandbox starts")
}

fn client_for(sb: &Sandbox, client_id: &str, secret: &str) -> Client {
    let mut c = Config::new(client_id, secret)
        .unwrap()
        .with_base_url(sb.base_url())
        .unwrap();
    c.retries = 0;
    c.timeout = WAIT;
    Client::new(c).unwrap()
}

fn alfa_body(inv: &str) -> Value {
    json!({
        "order": { "invoice_number": inv, "amount": 150000 },
        "online_to_offline_info": { "reusable_status": false, "expired_time": 99999 },
        "customer": { "name": "Taufik Ismail" }
    })
}

/// Creates an Alfa code through the real client; returns its payment code.
fn create_code(c: &Client, body: &Value) -> String {
    let created = c
        .alfa_payment_code(body, &RequestOptions::default())
        .expect("the sandbox creates the code");
    created.body["online_to_offline_info"]["payment_code"]
        .as_str()
        .unwrap()
        .to_string()
}

fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).expect("connect to the sandbox");
    s.set_read_timeout(Some(WAIT)).unwrap();
    s.set_write_timeout(Some(WAIT)).unwrap();
    s
}

/// Reads until the peer closes the connection. Panics if it stays open for WAIT: every
/// exchange here expects the server to close.
fn read_to_close(s: &mut TcpStream) -> String {
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == IoErrorKind::ConnectionReset => break,
            Err(e) => panic!(
                "the connection stayed open ({e}); got so far: {}",
                String::from_utf8_lossy(&out)
            ),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Writes `request` on a new connection and returns everything the server sent before
/// closing it.
fn exchange(addr: SocketAddr, request: &[u8]) -> String {
    let mut s = connect(addr);
    // The server may answer and close before it has read everything: ignore write errors.
    let _ = s.write_all(request);
    read_to_close(&mut s)
}

/// Status codes of every response in `text`, in order.
fn statuses(text: &str) -> Vec<u16> {
    text.match_indices("HTTP/1.1 ")
        .filter(|(i, _)| *i == 0 || text[..*i].ends_with('\n') || text[..*i].ends_with('}'))
        .filter_map(|(i, _)| text.get(i + 9..i + 12)?.parse().ok())
        .collect()
}

/// The header names of the first response (or request) head in `text`, as written.
fn header_names(text: &str) -> Vec<String> {
    let head = text.split("\r\n\r\n").next().unwrap_or_default();
    head.split("\r\n")
        .skip(1)
        .filter_map(|l| l.split_once(':').map(|(k, _)| k.to_string()))
        .collect()
}

/// POSTs `{"payment_code": code}` to `/_sandbox/pay`: (status, JSON answer).
fn pay(sb: &Sandbox, code: &str) -> (u16, Value) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(WAIT))
        .build()
        .into();
    let body = json!({ "payment_code": code }).to_string();
    let mut r = agent
        .post(&format!("{}/_sandbox/pay", sb.base_url()))
        .content_type("application/json")
        .send(body.as_bytes())
        .expect("the sandbox answers");
    let v = serde_json::from_slice(&r.body_mut().read_to_vec().unwrap()).unwrap_or_default();
    (r.status().as_u16(), v)
}

/// Every name in `expected` is among the head's header names, spelt exactly so.
fn assert_header_names(text: &str, expected: &[&str]) {
    let names = header_names(text);
    for name in expected {
        assert!(
            names.iter().any(|n| n == name),
            "{name} missing, exactly so, among {names:?}"
        );
    }
}

fn legit_status_check(c: &Client, inv: &str) {
    let s = c
        .check_status(inv, &RequestOptions::default())
        .expect("a legitimate client is served");
    assert_eq!(s.body["transaction"]["status"], "PENDING");
}

/// A first 1-byte chunk, then a chunk size of 2^64 - 1 (the hand-made server overflowed
/// adding it to the body length and lost the connection thread and its slot).
const OVERFLOW: &[u8] = b"POST /_sandbox/pay HTTP/1.1\r\nHost: sandbox\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\nffffffffffffffff\r\nbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\r\n";

#[test]
fn chunk_sizes_that_do_not_fit_are_refused_and_free_their_connection() {
    // Two connection slots: a slot leaked per attack would lock everyone out by the third.
    let sb = sandbox(
        SandboxConfig::default()
            .max_connections(2)
            .read_timeout(Duration::from_millis(300)),
    );
    for _ in 0..6 {
        // 2^64 - 1 fits a u64: the body is awaited until the body deadline, then refused.
        let answer = exchange(sb.addr(), OVERFLOW);
        assert_eq!(statuses(&answer), [400], "{answer}");
        assert!(answer.contains("unreadable_body"), "{answer}");
        assert!(answer.contains("\r\nConnection: close\r\n"), "{answer}");
        // 2^68 - 1 does not: refused at once.
        let answer = exchange(
            sb.addr(),
            b"POST /_sandbox/pay HTTP/1.1\r\nHost: sandbox\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\nfffffffffffffffff\r\nbb\r\n",
        );
        assert_eq!(statuses(&answer), [400], "{answer}");
    }
    // The last connection's slot is freed just after it closes: a client that retries a
    // 503 (as ours does) is served.
    let mut config = Config::new(CID, SK)
        .unwrap()
        .with_base_url(sb.base_url())
        .unwrap();
    config.timeout = WAIT;
    let c = Client::new(config).unwrap();
    let inv = invoice("overflow");
    create_code(&c, &alfa_body(&inv));
    legit_status_check(&c, &inv);
}

#[test]
fn a_legitimate_client_is_served_during_an_overflow_flood() {
    let sb = sandbox(SandboxConfig::default());
    let c = client_for(&sb, CID, SK);
    let inv = invoice("flood");
    create_code(&c, &alfa_body(&inv));
    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicUsize::new(0));
    let attackers: Vec<_> = (0..2)
        .map(|_| {
            let (stop, sent, addr) = (stop.clone(), sent.clone(), sb.addr());
            thread::spawn(move || {
                for _ in 0..256 {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    // Send the attack and hang up: the server drops the half-read request.
                    let mut s = connect(addr);
                    let _ = s.write_all(OVERFLOW);
                    let _ = s.shutdown(std::net::Shutdown::Write);
                    let answer = read_to_close(&mut s);
                    assert!(!answer.contains(" 200 "), "{answer}");
                    sent.fetch_add(1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    // Wait until the flood is under way, then be served 12 times during it.
    while sent.load(Ordering::SeqCst) < 16 && !attackers.iter().all(|a| a.is_finished()) {
        thread::yield_now();
    }
    for _ in 0..12 {
        legit_status_check(&c, &inv);
    }
    stop.store(true, Ordering::SeqCst);
    for a in attackers {
        a.join().expect("every attack connection was closed");
    }
}

#[test]
fn conflicting_content_lengths_are_refused() {
    let sb = sandbox(SandboxConfig::default());
    let answer = exchange(
        sb.addr(),
        b"POST /_sandbox/pay HTTP/1.1\r\nHost: sandbox\r\nContent-Length: 2\r\nContent-Length: 40\r\n\r\n{}GET /_sandbox/notifications HTTP/1.1\r\nHost: sandbox\r\n\r\n",
    );
    assert_eq!(statuses(&answer), [400], "{answer}");
}

#[test]
fn content_length_with_chunked_never_smuggles_a_second_request() {
    let sb = sandbox(SandboxConfig::default());
    // A front end reading Content-Length sees one request; a server reading the chunked
    // framing would see a second one (the GET) in the same bytes.
    let answer = exchange(
        sb.addr(),
        b"POST /_sandbox/pay HTTP/1.1\r\nHost: sandbox\r\nContent-Length: 58\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /_sandbox/notifications HTTP/1.1\r\nHost: sandbox\r\n\r\n",
    );
    assert_eq!(
        statuses(&answer).len(),
        1,
        "one answer, then close: {answer}"
    );
    assert!(answer.contains("\r\nConnection: close\r\n"), "{answer}");
    assert!(
        !answer.contains("[]"),
        "the smuggled GET was served: {answer}"
    );
}

#[test]
fn transfer_codings_other_than_chunked_are_refused() {
    let sb = sandbox(SandboxConfig::default());
    for te in ["xchunked", "chunked, gzip", "gzip"] {
        let req = format!(
            "POST /_sandbox/pay HTTP/1.1\r\nHost: sandbox\r\nTransfer-Encoding: {te}\r\n\r\n2\r\n{{}}\r\n0\r\n\r\n"
        );
        let answer = exchange(sb.addr(), req.as_bytes());
        assert_eq!(statuses(&answer), [400], "{te}: {answer}");
    }
}

#[test]
fn responses_carry_doku_header_names_and_a_date() {
    let sb = sandbox(SandboxConfig::default());
    let body = alfa_body(&invoice("names")).to_string();
    let ts = doku::clock::format_timestamp(SystemClock.now_unix());
    let key = SigningKey::new(SK.as_bytes()).unwrap();
    let sig = key
        .sign(&Component::request(
            CID,
            "req-names-1",
            &ts,
            ALFA,
            Some(body.as_bytes()),
        ))
        .unwrap();
    let req = format!(
        "POST {ALFA} HTTP/1.1\r\nhost: sandbox\r\nclient-id: {CID}\r\nrequest-id: req-names-1\r\nrequest-timestamp: {ts}\r\nsignature: {sig}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let answer = exchange(sb.addr(), req.as_bytes());
    assert_eq!(statuses(&answer), [200], "{answer}");
    assert_header_names(
        &answer,
        &[
            "Content-Type",
            "Client-Id",
            "Request-Id",
            "Response-Timestamp",
            "Signature",
            "Date",
            "Content-Length",
        ],
    );
}

#[test]
fn slowloris_connections_do_not_lock_out_clients() {
    let sb = sandbox(SandboxConfig::default());
    let c = client_for(&sb, CID, SK);
    let inv = invoice("slowloris");
    create_code(&c, &alfa_body(&inv));
    // 300 connections, each with a request head started and never finished.
    let held: Vec<TcpStream> = (0..300)
        .map(|i| {
            let mut s = connect(sb.addr());
            s.write_all(
                format!("POST {ALFA} HTTP/1.1\r\nHost: sandbox\r\nX-Slow-{i}: ").as_bytes(),
            )
            .unwrap();
            s
        })
        .collect();
    for mut s in held.iter().take(50) {
        s.write_all(b"a").unwrap();
    }
    for _ in 0..12 {
        legit_status_check(&c, &inv);
    }
    drop(held);
}

#[test]
fn a_request_head_that_stalls_is_cut_at_the_read_timeout() {
    let sb = sandbox(SandboxConfig::default().read_timeout(Duration::from_millis(300)));
    let mut s = connect(sb.addr());
    s.write_all(b"GET /_sandbox/notifications HTTP/1.1\r\nHost: sand")
        .unwrap();
    // The server closes the connection (read_to_close panics if it stays open for WAIT).
    let answer = read_to_close(&mut s);
    assert!(!answer.contains("200 OK"), "{answer}");
}

#[test]
fn a_body_that_stalls_is_answered_and_closed() {
    let sb = sandbox(SandboxConfig::default().read_timeout(Duration::from_millis(300)));
    let mut s = connect(sb.addr());
    s.write_all(
        b"POST /_sandbox/pay HTTP/1.1\r\nHost: sandbox\r\nContent-Length: 100\r\n\r\n{\"invoice",
    )
    .unwrap();
    let answer = read_to_close(&mut s);
    assert_eq!(statuses(&answer), [400], "{answer}");
    assert!(answer.contains("unreadable_body"), "{answer}");
}

/// A merchant endpoint on a raw socket: records each request's raw head and body and
/// answers 200.
struct RawReceiver {
    url: String,
    heads: Arc<Mutex<Vec<String>>>,
}

impl RawReceiver {
    fn start() -> RawReceiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}{NOTIFY_PATH}", listener.local_addr().unwrap());
        let heads = Arc::new(Mutex::new(Vec::new()));
        let got = heads.clone();
        thread::spawn(move || {
            let Ok((mut s, _)) = listener.accept() else {
                return;
            };
            s.set_read_timeout(Some(WAIT)).unwrap();
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            while !String::from_utf8_lossy(&buf).contains("\r\n\r\n") {
                match s.read(&mut chunk) {
                    Ok(0) | Err(_) => return,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            // Record first: the test reads the heads once the sandbox has seen the answer.
            got.lock()
                .unwrap()
                .push(String::from_utf8_lossy(&buf).into_owned());
            let _ =
                s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        });
        RawReceiver { url, heads }
    }
}

#[test]
fn notifications_carry_doku_header_names_on_the_wire() {
    let rx = RawReceiver::start();
    let m = Merchant::new(CID, SK)
        .unwrap()
        .with_notification_url(&rx.url)
        .unwrap();
    let sb = sandbox(SandboxConfig::default().merchant(m));
    let c = client_for(&sb, CID, SK);
    let code = create_code(&c, &alfa_body(&invoice("raw-notify")));
    assert_eq!(pay(&sb, &code).0, 200);
    let attempts = sb.wait_for_notifications(|a| !a.is_empty(), WAIT);
    assert!(attempts[0].delivered, "{attempts:?}");
    let heads = rx.heads.lock().unwrap().clone();
    assert_eq!(heads.len(), 1);
    assert_header_names(
        &heads[0],
        &[
            "Client-Id",
            "Request-Id",
            "Request-Timestamp",
            "Signature",
            "Content-Type",
        ],
    );
    assert!(heads[0].starts_with(&format!("POST {NOTIFY_PATH} HTTP/1.1\r\n")));
}

#[test]
fn a_stalling_merchant_delays_no_other_merchant() {
    // Merchant A's endpoint accepts connections and never answers.
    let stall = TcpListener::bind("127.0.0.1:0").unwrap();
    let stall_url = format!("http://{}{NOTIFY_PATH}", stall.local_addr().unwrap());
    let accepted = Arc::new(Mutex::new(Vec::new()));
    {
        let accepted = accepted.clone();
        thread::spawn(move || {
            for s in stall.incoming().flatten() {
                accepted.lock().unwrap().push(s);
            }
        });
    }
    // Merchant B answers 500 once, then 200: one retry, 30 min later at DOKU time.
    let rx =
        NotificationReceiver::start_with_answers(OTHER_CID, OTHER_SK, NOTIFY_PATH, &[500]).unwrap();
    let a = Merchant::new(CID, SK)
        .unwrap()
        .with_notification_url(&stall_url)
        .unwrap();
    let b = Merchant::new(OTHER_CID, OTHER_SK)
        .unwrap()
        .with_notification_url(rx.url())
        .unwrap();
    // 30 min -> 0.5 s; a stalled attempt is cut only after 5 s.
    let sb = sandbox(
        SandboxConfig::default()
            .merchant(a)
            .merchant(b)
            .time_scale(3600.0),
    );
    let (ca, cb) = (
        client_for(&sb, CID, SK),
        client_for(&sb, OTHER_CID, OTHER_SK),
    );
    let mut reusable = alfa_body(&invoice("stall"));
    reusable["online_to_offline_info"]["reusable_status"] = json!(true);
    let code_a = create_code(&ca, &reusable);
    let inv_b = invoice("other");
    let code_b = create_code(&cb, &alfa_body(&inv_b));
    for _ in 0..12 {
        assert_eq!(pay(&sb, &code_a).0, 200);
    }
    assert_eq!(pay(&sb, &code_b).0, 200);
    // B's first attempt (500) and its retry (200) both arrive...
    let got = rx.wait_for(|r| r.len() >= 2, WAIT);
    assert_eq!(
        got.iter().map(|r| r.answered).collect::<Vec<_>>(),
        [500, 200]
    );
    // ...and the sandbox records both while every one of A's twelve attempts is still
    // waiting for its answer.
    let log = sb.wait_for_notifications(
        |a| a.iter().filter(|x| x.client_id == OTHER_CID).count() >= 2,
        WAIT,
    );
    assert!(
        log.iter().all(|x| x.client_id == OTHER_CID),
        "an attempt to the stalling merchant ended first: {log:?}"
    );
    let b_log: Vec<_> = log.iter().map(|x| (x.attempt, x.status)).collect();
    assert_eq!(b_log, [(1, Some(500)), (2, Some(200))]);
    assert!(got
        .iter()
        .all(|r| r.notification().is_some_and(|n| n.invoice_number == inv_b)));
}

#[test]
fn the_notification_log_is_bounded() {
    // No notification URL: every payment records one unsent attempt.
    let sb = sandbox(SandboxConfig::default());
    let c = client_for(&sb, CID, SK);
    let mut reusable = alfa_body(&invoice("log"));
    reusable["online_to_offline_info"]["reusable_status"] = json!(true);
    let code = create_code(&c, &reusable);
    let limit = doku_sandbox::policy::NOTIFICATION_LOG_LIMIT;
    let mut last_request_id = String::new();
    for _ in 0..limit + 5 {
        let (status, v) = pay(&sb, &code);
        assert_eq!(status, 200, "{v}");
        last_request_id = v["notification"]["request_id"]
            .as_str()
            .unwrap()
            .to_string();
    }
    let mut r = ureq::get(&format!("{}/_sandbox/notifications", sb.base_url()))
        .call()
        .unwrap();
    let list: Value = serde_json::from_slice(&r.body_mut().read_to_vec().unwrap()).unwrap();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), limit);
    assert_eq!(list[limit - 1]["request_id"], json!(last_request_id));
    assert_eq!(sb.notifications().len(), limit);
}
