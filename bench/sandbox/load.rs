//! Load benchmark for the local DOKU sandbox: N merchant clients (threads, each with its own
//! keep-alive `doku::Client`) on loopback send a bounded number of requests; prints
//! requests/s and latency percentiles per phase.
//!
//! ```text
//! cargo bench --bench sandbox_load                       # 8 clients x 500 requests
//! cargo bench --bench sandbox_load -- --clients 16 --requests 1000
//! ```
//!
//! Without `--bench` (as when `cargo test --all-targets` runs bench targets) it does a
//! short smoke run (2 clients x 20 requests) instead.
//!
//! Phases: `create` (signed, validated Alfa payment-code POSTs: client-side validation and
//! signing, sandbox authentication, validation, the locked create, a signed answer, and the
//! client's response-signature check) and `check_status` (signed GETs of those invoices).
//! Every request must succeed; the run fails otherwise.

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use doku::sandbox::{Merchant, Sandbox, SandboxConfig};
use doku::{Client, Config, RequestOptions, ResponseSignaturePolicy};
use serde_json::json;

const CLIENT_ID: &str = "MCH-BENCH-0001";
const SECRET_KEY: &str = "SK-bench-0001-not-a-real-key";

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
    c.timeout = Duration::from_secs(10);
    Client::new(c).expect("client")
}

fn body(invoice: &str) -> serde_json::Value {
    json!({
        "order": { "invoice_number": invoice, "amount": 150000 },
        "online_to_offline_info": { "expired_time": 60, "reusable_status": false, "info": "Thank you for shopping" },
        "customer": { "name": "Taufik Ismail", "email": "taufik@example.com" },
        "alfa_info": { "receipt": { "footer_message": "Call Center 021 555-0525" } }
    })
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

/// Runs `work(client_index, request_index, &client)` on every client thread at once;
/// returns every latency and the wall time.
fn phase(
    base_url: &str,
    args: &Args,
    work: impl Fn(usize, usize, &Client) + Sync,
) -> (Vec<Duration>, Duration) {
    let barrier = Arc::new(Barrier::new(args.clients + 1));
    let work = &work;
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..args.clients)
            .map(|ci| {
                let barrier = barrier.clone();
                let c = client(base_url);
                s.spawn(move || {
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
        barrier.wait();
        let started = Instant::now();
        let mut all: Vec<Duration> = handles
            .into_iter()
            .flat_map(|h| h.join().expect("a client thread panicked"))
            .collect();
        let wall = started.elapsed();
        all.sort_unstable();
        (all, wall)
    })
}

fn report(name: &str, lat: &[Duration], wall: Duration) {
    println!(
        "{name:<13} {:>7} req  {:>8.0} req/s  p50 {:>6.2} ms  p99 {:>6.2} ms  max {:>6.2} ms",
        lat.len(),
        lat.len() as f64 / wall.as_secs_f64(),
        ms(percentile(lat, 50.0)),
        ms(percentile(lat, 99.0)),
        ms(lat.last().copied().unwrap_or_default()),
    );
}

fn main() {
    let args = parse_args();
    let merchant = Merchant::new(CLIENT_ID, SECRET_KEY).expect("merchant");
    let sandbox = Sandbox::start(SandboxConfig::default().merchant(merchant)).expect("sandbox");
    let base = sandbox.base_url().to_string();
    let run = std::process::id();
    let invoice = |ci: usize, ri: usize| format!("INV-BENCH-{run}-{ci}-{ri}");
    println!(
        "doku sandbox load: {} keep-alive clients x {} requests on {base} ({} cores)",
        args.clients,
        args.requests,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let opts = RequestOptions::default();

    let (lat, wall) = phase(&base, &args, |ci, ri, c| {
        let r = c
            .alfa_payment_code(&body(&invoice(ci, ri)), &opts)
            .expect("create");
        assert!(r.status == 200 && r.signature_verified);
    });
    report("create", &lat, wall);

    let (lat, wall) = phase(&base, &args, |ci, ri, c| {
        let id = invoice(ci, if ri == usize::MAX { 0 } else { ri });
        let r = c.check_status(&id, &opts).expect("check status");
        assert_eq!(r.body["transaction"]["status"], "PENDING");
    });
    report("check_status", &lat, wall);
    assert_eq!(
        sandbox.transaction_count(),
        args.clients * (args.requests + 1)
    );
    sandbox.shutdown();
}
