//! Load benchmark for the local DOKU sandbox, beside a bare hyper server in the same run:
//! N merchant clients (threads, each with its own keep-alive connection) on loopback send a
//! bounded number of requests per phase; prints requests/s and latency percentiles per phase
//! and server, and the sandbox/bare throughput ratio.
//!
//! ```text
//! cargo bench --bench sandbox_load                       # 8 clients x 500 requests
//! cargo bench --bench sandbox_load -- --clients 16 --requests 1000
//! ```
//!
//! Without `--bench` (as when `cargo test --all-targets` runs bench targets) it does a
//! short smoke run (2 clients x 20 requests) instead.
//!
//! Phases, each run against both servers:
//!
//! - `create`: against the sandbox, signed, validated Alfa payment-code POSTs through
//!   `doku::Client` (client-side validation and signing, sandbox authentication,
//!   validation, the locked create, a signed answer, and the client's response-signature
//!   check). Against the bare server, the same JSON body bytes POSTed to the same path.
//! - `status`: against the sandbox, signed `check_status` GETs of those invoices; against
//!   the bare server, GETs of the same paths.
//!
//! The bare server is hyper 1's `http1` connection on a tokio runtime of 2 worker threads
//! (the shape of the sandbox's own runtime), title-case header names on, reading each request
//! body and answering `200 OK` with a tiny fixed body. Its clients use the same HTTP stack as
//! `doku::Client`: one `ureq::Agent` per client thread, configured as the client configures
//! it, sending the same header names with values of the same sizes. They cannot sign, verify
//! or validate anything, and the bare server keeps no state: that is the point. The ratio
//! sandbox/bare is what the sandbox's work (signing and verification on both sides,
//! validation, state, its serving layer) costs over bare HTTP on the same machine, in the
//! same run, so a busy machine moves both sides together.
//!
//! Every request must succeed; the run fails otherwise.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use doku::{Client, Config, RequestOptions, ResponseSignaturePolicy};
use doku_sandbox::{Merchant, Sandbox, SandboxConfig};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::json;

const CLIENT_ID: &str = "MCH-BENCH-0001";
const SECRET_KEY: &str = "SK-bench-0001-not-a-real-key";
const TIMEOUT: Duration = Duration::from_secs(10);
const CREATE_PATH: &str = "/alfa-online-to-offline/v2/payment-code";
const STATUS_PATH: &str = "/orders/v1/status/";
/// What the bare server answers to every request.
const BARE_BODY: &[u8] = b"{\"ok\":true}";
/// Stand-ins for the signed request's headers, of the same sizes (a UUIDv4 Request-Id, a
/// second-precision UTC timestamp, `HMACSHA256=` and a base64 SHA-256), so both servers parse
/// heads of the same length. Nothing checks them.
const BARE_REQUEST_ID: &str = "6b1f0c3e-2a4d-4c8e-9f10-3d5a7b9c1e2f";
const BARE_TIMESTAMP: &str = "2024-01-01T00:00:00Z";
const BARE_SIGNATURE: &str = "HMACSHA256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";

struct Args {
    clients: usize,
    requests: usize,
}

fn parse_args() -> Args {
    let mut a = Args {
        clients: 8,
        requests: 500,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    if !args.iter().any(|a| a == "--bench") {
        a = Args {
            clients: 2,
            requests: 20,
        };
    }
    let mut i = 0;
    while i < args.len() {
        let value = || -> usize {
            args.get(i + 1)
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{} needs a positive number", args[i]))
        };
        match args[i].as_str() {
            "--clients" => {
                a.clients = value().max(1);
                i += 1;
            }
            "--requests" => {
                a.requests = value().max(1);
                i += 1;
            }
            // `cargo bench` passes --bench (handled above); filters are not used.
            _ => {}
        }
        i += 1;
    }
    a
}

fn client(base_url: &str) -> Client {
    let mut c = Config::new(CLIENT_ID, SECRET_KEY)
        .and_then(|c| c.with_base_url(base_url))
        .expect("client config");
    c.response_signature = ResponseSignaturePolicy::Require;
    c.retries = 0;
    c.timeout = TIMEOUT;
    Client::new(c).expect("client")
}

/// A keep-alive agent configured as `doku::Client` configures its own (timeouts included:
/// with a timeout set, ureq 3 resolves the host on a thread of its own for every request,
/// reused connection or not, so both sides pay for that alike).
fn bare_agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(TIMEOUT))
        .timeout_global(Some(TIMEOUT))
        .max_redirects(0)
        .user_agent(concat!("doku-direct/", env!("CARGO_PKG_VERSION")))
        .build()
        .into()
}

/// Checks a bare answer: 200 and the fixed body.
fn bare_answer(r: Result<ureq::http::Response<ureq::Body>, ureq::Error>, what: &str) {
    let mut r = r.unwrap_or_else(|e| panic!("bare {what}: {e}"));
    assert_eq!(r.status().as_u16(), 200, "bare {what}");
    let body = r
        .body_mut()
        .read_to_vec()
        .unwrap_or_else(|e| panic!("bare {what} body: {e}"));
    assert_eq!(body, BARE_BODY, "bare {what}");
}

fn body(invoice: &str) -> serde_json::Value {
    json!({
        "order": { "invoice_number": invoice, "amount": 150000 },
        "online_to_offline_info": { "expired_time": 60, "reusable_status": false, "info": "Thank you for shopping" },
        "customer": { "name": "Taufik Ismail", "email": "taufik@example.com" },
        "alfa_info": { "receipt": { "footer_message": "Call Center 021 555-0525" } }
    })
}

/// The bare peer: hyper 1 `http1` on a 2-worker tokio runtime, no limits, no state.
struct BareServer {
    rt: Option<tokio::runtime::Runtime>,
    addr: SocketAddr,
}

impl BareServer {
    fn start() -> std::io::Result<BareServer> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name(BARE_THREADS)
            .enable_all()
            .build()?;
        let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
        let addr = listener.local_addr()?;
        rt.spawn(async move {
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder.title_case_headers(true);
            loop {
                let stream = match listener.accept().await {
                    Ok((stream, _peer)) => stream,
                    Err(e) => {
                        // The clients' next requests fail, and with them the run.
                        eprintln!("bare server: accept failed: {e}");
                        return;
                    }
                };
                // As the sandbox does: answers are not held back by Nagle.
                let _ = stream.set_nodelay(true);
                let conn =
                    builder.serve_connection(TokioIo::new(stream), service_fn(bare_answer_to));
                tokio::spawn(async move {
                    let _ = conn.await;
                });
            }
        });
        Ok(BareServer { rt: Some(rt), addr })
    }

    fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for BareServer {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

/// Reads the whole request body, then answers 200 with [`BARE_BODY`].
async fn bare_answer_to(
    req: hyper::Request<Incoming>,
) -> Result<hyper::Response<Full<Bytes>>, Infallible> {
    let status = match req.into_body().collect().await {
        Ok(_) => hyper::StatusCode::OK,
        Err(_) => hyper::StatusCode::BAD_REQUEST,
    };
    let mut answer = hyper::Response::new(Full::new(Bytes::from_static(BARE_BODY)));
    *answer.status_mut() = status;
    Ok(answer)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Threads of the sandbox's runtime (named by `serve::runtime("doku-sandbox")`).
const SANDBOX_THREADS: &str = "doku-sandbox";
const BARE_THREADS: &str = "bare-hyper";

/// CPU time the threads of this process named `name` have had so far, from
/// `/proc/self/task/*/schedstat` (nanoseconds on CPU); `None` where that is unavailable.
/// Server CPU per request is steadier than requests/s on a shared machine: the clients run on
/// the same cores, and other work there slows both without charging either.
fn threads_cpu(name: &str) -> Option<Duration> {
    let mut total = 0u64;
    let mut found = false;
    for entry in std::fs::read_dir("/proc/self/task").ok()?.flatten() {
        let dir = entry.path();
        let Ok(comm) = std::fs::read_to_string(dir.join("comm")) else {
            continue;
        };
        if comm.trim_end() != name {
            continue;
        }
        let ns = std::fs::read_to_string(dir.join("schedstat"))
            .ok()
            .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok());
        if let Some(ns) = ns {
            total += ns;
            found = true;
        }
    }
    found.then(|| Duration::from_nanos(total))
}

/// One phase against one server.
struct Measured {
    phase: &'static str,
    server: &'static str,
    /// Every latency, sorted.
    lat: Vec<Duration>,
    wall: Duration,
    /// CPU time the server's threads used during the phase.
    server_cpu: Option<Duration>,
}

impl Measured {
    fn rate(&self) -> f64 {
        self.lat.len() as f64 / self.wall.as_secs_f64()
    }

    /// Server CPU microseconds per request.
    fn cpu_per_request(&self) -> Option<f64> {
        self.server_cpu
            .map(|c| c.as_secs_f64() * 1e6 / self.lat.len().max(1) as f64)
    }
}

/// Runs `work(client_index, request_index, &client)` on every client thread at once, each
/// thread with its own `new_client()`; measures every latency, the wall time and the CPU
/// time of the threads named `server_threads`.
fn phase<C>(
    phase: &'static str,
    server: &'static str,
    server_threads: &str,
    args: &Args,
    new_client: impl Fn() -> C + Sync,
    work: impl Fn(usize, usize, &C) + Sync,
) -> Measured {
    let barrier = Arc::new(Barrier::new(args.clients + 1));
    let (work, new_client) = (&work, &new_client);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..args.clients)
            .map(|ci| {
                let barrier = barrier.clone();
                s.spawn(move || {
                    let c = new_client();
                    // One request before the clock starts opens the keep-alive connection.
                    work(ci, usize::MAX, &c);
                    barrier.wait();
                    let mut lat = Vec::with_capacity(args.requests);
                    for ri in 0..args.requests {
                        let t = Instant::now();
                        work(ci, ri, &c);
                        lat.push(t.elapsed());
                    }
                    lat
                })
            })
            .collect();
        // Every client has warmed up once the barrier opens.
        barrier.wait();
        let cpu_before = threads_cpu(server_threads);
        let started = Instant::now();
        let mut lat: Vec<Duration> = handles
            .into_iter()
            .flat_map(|h| h.join().expect("a client thread panicked"))
            .collect();
        let wall = started.elapsed();
        let server_cpu = threads_cpu(server_threads)
            .zip(cpu_before)
            .map(|(after, before)| after.saturating_sub(before));
        lat.sort_unstable();
        Measured {
            phase,
            server,
            lat,
            wall,
            server_cpu,
        }
    })
}

fn report(rows: &[Measured]) {
    println!(
        "{:<14} {:<12} {:>8} {:>9} {:>8} {:>8} {:>8} {:>11}",
        "phase", "server", "requests", "req/s", "p50 ms", "p99 ms", "max ms", "srv cpu us"
    );
    for m in rows {
        println!(
            "{:<14} {:<12} {:>8} {:>9.0} {:>8.2} {:>8.2} {:>8.2} {:>11}",
            m.phase,
            m.server,
            m.lat.len(),
            m.rate(),
            ms(percentile(&m.lat, 50.0)),
            ms(percentile(&m.lat, 99.0)),
            ms(m.lat.last().copied().unwrap_or_default()),
            m.cpu_per_request()
                .map_or_else(|| "-".to_string(), |us| format!("{us:.1}")),
        );
    }
    let ratio = |phase: &str, of: fn(&Measured) -> Option<f64>| {
        let get = |server: &str| {
            rows.iter()
                .find(|m| m.phase == phase && m.server == server)
                .and_then(of)
                .unwrap_or(f64::NAN)
        };
        get("sandbox") / get("bare hyper")
    };
    let rate = |m: &Measured| Some(m.rate());
    println!(
        "ratio sandbox/bare (req/s): create {:.2}, status {:.2}",
        ratio("create", rate),
        ratio("status", rate)
    );
    println!(
        "server cpu per request sandbox/bare: create {:.1}x, status {:.1}x",
        ratio("create", Measured::cpu_per_request),
        ratio("status", Measured::cpu_per_request)
    );
}

fn main() {
    let args = parse_args();
    let merchant = Merchant::new(CLIENT_ID, SECRET_KEY).expect("merchant");
    let sandbox = Sandbox::start(SandboxConfig::default().merchant(merchant)).expect("sandbox");
    let bare = BareServer::start().expect("bare hyper server");
    let base = sandbox.base_url().to_string();
    let bare_base = bare.base_url();
    let run = std::process::id();
    let invoice = |ci: usize, ri: usize| format!("INV-BENCH-{run}-{ci}-{ri}");
    println!(
        "doku sandbox load: {} keep-alive clients x {} requests; sandbox {base}, bare hyper {bare_base} ({} cores)",
        args.clients,
        args.requests,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let opts = RequestOptions::default();
    let mut rows = Vec::new();

    // The phases alternate sandbox and bare so that a change in the machine's load between
    // phases shows on both sides of a ratio rather than on one.
    rows.push(phase(
        "create",
        "sandbox",
        SANDBOX_THREADS,
        &args,
        || client(&base),
        |ci, ri, c| {
            let r = c
                .alfa_payment_code(&body(&invoice(ci, ri)), &opts)
                .expect("create");
            assert!(r.status == 200 && r.signature_verified);
        },
    ));
    let create_url = format!("{bare_base}{CREATE_PATH}");
    rows.push(phase(
        "create",
        "bare hyper",
        BARE_THREADS,
        &args,
        bare_agent,
        |ci, ri, a| {
            // The bytes `doku::Client` sends for the same invoice (it serializes with to_vec).
            let bytes = serde_json::to_vec(&body(&invoice(ci, ri))).expect("json");
            let r = a
                .post(&create_url)
                .header("Client-Id", CLIENT_ID)
                .header("Request-Id", BARE_REQUEST_ID)
                .header("Request-Timestamp", BARE_TIMESTAMP)
                .header("Signature", BARE_SIGNATURE)
                .content_type("application/json")
                .send(&bytes[..]);
            bare_answer(r, "create");
        },
    ));

    rows.push(phase(
        "status",
        "sandbox",
        SANDBOX_THREADS,
        &args,
        || client(&base),
        |ci, ri, c| {
            let id = invoice(ci, if ri == usize::MAX { 0 } else { ri });
            let r = c.check_status(&id, &opts).expect("check status");
            assert_eq!(r.body["transaction"]["status"], "PENDING");
        },
    ));
    rows.push(phase(
        "status",
        "bare hyper",
        BARE_THREADS,
        &args,
        bare_agent,
        |ci, ri, a| {
            let id = invoice(ci, if ri == usize::MAX { 0 } else { ri });
            let r = a
                .get(format!("{bare_base}{STATUS_PATH}{id}"))
                .header("Client-Id", CLIENT_ID)
                .header("Request-Id", BARE_REQUEST_ID)
                .header("Request-Timestamp", BARE_TIMESTAMP)
                .header("Signature", BARE_SIGNATURE)
                .call();
            bare_answer(r, "status");
        },
    ));

    report(&rows);
    assert_eq!(
        sandbox.transaction_count(),
        args.clients * (args.requests + 1)
    );
    sandbox.shutdown();
    drop(bare);
}
