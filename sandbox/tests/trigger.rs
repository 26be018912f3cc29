//! `doku trigger notification`, run as a real process against a real receiver on
//! 127.0.0.1 that verifies what it gets with the merchant-side verify_notification.

use std::process::Command;
use std::time::Duration;

use doku_sandbox::receiver::NotificationReceiver;

const BIN: &str = env!("CARGO_BIN_EXE_doku");
const CID: &str = "MCH-TRIGGER-0001";
const SK: &str = "SK-trigger-tests-not-a-real-key";
const PATH: &str = "/payments/notifications";
const WAIT: Duration = Duration::from_secs(10);

fn trigger(receiver: &NotificationReceiver, secret: &str, extra: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(BIN)
        .args([
            "trigger",
            "notification",
            "--to",
            receiver.url(),
            "--client-id",
            CID,
        ])
        .args(extra)
        .env("DOKU_SECRET_KEY", secret)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!text.contains(secret), "the secret key is never printed");
    (out.status.code(), text)
}

#[test]
fn each_channel_arrives_verified_with_what_was_asked() {
    let receiver = NotificationReceiver::start(CID, SK, PATH).unwrap();
    for (i, channel) in ["alfa", "indomaret", "indodana"].iter().enumerate() {
        let invoice = format!("INV-TRIGGER-{i}");
        let (code, out) = trigger(
            &receiver,
            SK,
            &[
                "--channel",
                channel,
                "--status",
                "FAILED",
                "--invoice",
                &invoice,
                "--amount",
                "25000",
            ],
        );
        assert_eq!(code, Some(0), "{out}");
        assert!(out.contains("HTTP 200"), "{out}");
        let got = receiver.wait_for(|r| r.len() > i, WAIT);
        let n = got[i].notification().expect("verified by the receiver");
        assert_eq!(n.invoice_number, invoice);
        assert_eq!(n.status, "FAILED");
        assert_eq!(n.amount, Some(25_000.into()));
        assert!(
            out.contains(&n.request_id),
            "the Request-Id is printed: {out}"
        );
    }
}

#[test]
fn a_merchant_that_refuses_the_signature_is_exit_1() {
    let receiver = NotificationReceiver::start(CID, SK, PATH).unwrap();
    let (code, out) = trigger(
        &receiver,
        "SK-not-the-merchants-key",
        &["--channel", "alfa"],
    );
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("HTTP 401"), "{out}");
    let got = receiver.wait_for(|r| !r.is_empty(), WAIT);
    assert!(
        got[0].notification().is_none(),
        "the receiver did not verify it"
    );
}

#[test]
fn usage_errors_name_the_option() {
    let receiver = NotificationReceiver::start(CID, SK, PATH).unwrap();
    for (extra, says) in [
        (&["--channel", "ovo"][..], "channel"),
        (&["--channel", "alfa", "--amount", "ten"][..], "--amount"),
        (&["--channel", "alfa", "--status", "PAID"][..], "status"),
        (&["--channel", "alfa", "--bogus"][..], "--bogus"),
    ] {
        let (code, out) = trigger(&receiver, SK, extra);
        assert_eq!(code, Some(2), "{extra:?}: {out}");
        assert!(out.contains(says), "{extra:?}: {out}");
    }
    assert!(receiver.received().is_empty(), "nothing was sent");
}
