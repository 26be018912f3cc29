//! Clock skew between a merchant's machine and DOKU, against the sandbox on 127.0.0.1:
//! the client measures it from DOKU's answers, explains a timestamp refusal with it, and
//! (opt-in) signs with the corrected time. The client's clock is injected, 412 s behind.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use doku::clock::{Clock, SystemClock};
use doku::{Client, Config, ErrorKind, RequestIds, RequestOptions, UuidV4};
use doku_sandbox::{ManualClock, Merchant, Sandbox, SandboxConfig};
use serde_json::{json, Value};

const CID: &str = "MCH-SKEW-0001";
const SK: &str = "SK-sandbox-skew-not-a-real-key";
const BEHIND: i64 = 412;

fn invoice() -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "INV-SKEW-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

fn alfa(invoice: &str) -> Value {
    json!({
        "order": {"invoice_number": invoice, "amount": 20000},
        "online_to_offline_info": {"reusable_status": false, "info": "skew"},
        "customer": {"name": "Skew Test"}
    })
}

/// A sandbox on the real time, and a client whose clock is [`BEHIND`] seconds behind it.
fn setup(correct: bool) -> (Sandbox, Client) {
    let sandbox =
        Sandbox::start(SandboxConfig::default().merchant(Merchant::new(CID, SK).unwrap())).unwrap();
    let mut config = Config::new(CID, SK)
        .unwrap()
        .with_base_url(sandbox.base_url())
        .unwrap();
    config.retries = 0;
    config.correct_clock_skew = correct;
    let behind: Arc<dyn Clock> = Arc::new(ManualClock::new(SystemClock.now_unix() - BEHIND));
    let ids: Arc<dyn RequestIds> = Arc::new(UuidV4);
    let client = Client::with_sources(config, behind, ids).unwrap();
    (sandbox, client)
}

/// The measured skew, give or take the second boundaries of the two clocks' readings.
fn assert_about_behind(skew: Option<i64>) {
    let skew = skew.expect("the skew is measured from the answer");
    assert!(
        (BEHIND - 2..=BEHIND + 2).contains(&skew),
        "skew {skew}, want about {BEHIND}"
    );
}

#[test]
fn a_timestamp_refusal_says_how_far_behind_the_clock_is() {
    let (sandbox, client) = setup(false);
    assert_eq!(
        client.clock_skew(),
        None,
        "nothing measured before an answer"
    );
    let e = client
        .alfa_payment_code(&alfa(&invoice()), &RequestOptions::default())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Api, "{e}");
    assert_eq!(e.http_status(), Some(401));
    assert!(e.message().contains("timestamp_out_of_window"), "{e}");
    assert!(e.message().contains("s behind DOKU's"), "{e}");
    assert!(e.message().contains("correct_clock_skew"), "{e}");
    assert_about_behind(client.clock_skew());
    assert_eq!(
        sandbox.transaction_count(),
        0,
        "the refused request created nothing"
    );
}

#[test]
fn with_correction_on_the_refused_request_is_sent_again_with_the_corrected_time() {
    let (sandbox, client) = setup(true);
    let inv = invoice();
    let r = client
        .alfa_payment_code(&alfa(&inv), &RequestOptions::default())
        .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.body["order"]["invoice_number"], inv.as_str());
    assert_about_behind(client.clock_skew());
    assert_eq!(sandbox.transaction_count(), 1);
    // Once measured, the next request is signed with the corrected time straight away.
    let again = client
        .check_status(&inv, &RequestOptions::default())
        .unwrap();
    assert_eq!(again.status, 200);
}

#[test]
fn a_correct_clock_measures_a_skew_of_about_zero() {
    let sandbox =
        Sandbox::start(SandboxConfig::default().merchant(Merchant::new(CID, SK).unwrap())).unwrap();
    let client = Client::new(
        Config::new(CID, SK)
            .unwrap()
            .with_base_url(sandbox.base_url())
            .unwrap(),
    )
    .unwrap();
    client
        .alfa_payment_code(&alfa(&invoice()), &RequestOptions::default())
        .unwrap();
    let skew = client.clock_skew().expect("measured");
    assert!(skew.abs() <= 2, "skew {skew}");
}
