//! Signed test notifications (for merchants' own tests and `doku trigger`): each channel's
//! shape, verified by the same verify_notification a merchant's handler runs.

use doku::notification_body::{signed_test_notification, NotificationChannel, TestNotification};
use doku::{verify_notification, ErrorKind, FixedClock, SigningKey, UuidV4, VerifyOptions};

const SECRET: &str = "SK-test-notification-not-real";
const PATH: &str = "/payments/notifications";

#[test]
fn every_channel_verifies_and_parses_like_a_real_notification() {
    let key = SigningKey::new(SECRET.as_bytes()).unwrap();
    let clock = FixedClock(1_790_000_000);
    for channel in NotificationChannel::ALL {
        for status in ["SUCCESS", "FAILED"] {
            let mut t = TestNotification::new(channel, "MCH-TEST", PATH);
            t.status = status.into();
            t.invoice_number = Some("INV-TRIGGER-1".into());
            t.amount = 150_000;
            let signed = signed_test_notification(&t, &key, &clock, &UuidV4).unwrap();
            let n = verify_notification(
                signed.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                signed.body.as_bytes(),
                &key,
                &VerifyOptions {
                    path: PATH,
                    client_id: "MCH-TEST",
                    tolerance_secs: Some(60),
                },
                &clock,
            )
            .unwrap();
            assert_eq!(n.status, status);
            assert_eq!(n.invoice_number, "INV-TRIGGER-1");
            assert_eq!(n.amount, Some(150_000.into()));
            assert_eq!(n.channel_id.as_deref(), Some(channel.channel_id()));
            assert_eq!(n.payment_code.is_some(), channel.is_o2o(), "{channel:?}");
        }
    }
}

#[test]
fn bad_values_are_refused_by_name() {
    let key = SigningKey::new(SECRET.as_bytes()).unwrap();
    let clock = FixedClock(1_790_000_000);
    let base = TestNotification::new(NotificationChannel::Alfa, "MCH-TEST", PATH);
    let cases: Vec<(TestNotification, &str)> = vec![
        (
            TestNotification {
                status: "PAID".into(),
                ..base.clone()
            },
            "status",
        ),
        (
            TestNotification {
                amount: 0,
                ..base.clone()
            },
            "amount",
        ),
        (
            TestNotification {
                invoice_number: Some("".into()),
                ..base.clone()
            },
            "invoice_number",
        ),
        (
            TestNotification {
                path: "https://shop/notify".into(),
                ..base.clone()
            },
            "path",
        ),
        (
            TestNotification {
                client_id: "".into(),
                ..base.clone()
            },
            "client_id",
        ),
    ];
    for (t, field) in cases {
        let e = signed_test_notification(&t, &key, &clock, &UuidV4).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{field}: {e}");
        assert_eq!(e.field(), Some(field), "{e}");
    }
    let e = TestNotification::from_json(r#"{"channel":"ovo","client_id":"C","path":"/n"}"#)
        .unwrap_err();
    assert_eq!(e.field(), Some("channel"));
    let t = TestNotification::from_json(
        r#"{"channel":"Indodana","client_id":"C","path":"/n","status":"FAILED","amount":5}"#,
    )
    .unwrap();
    assert_eq!(
        (t.channel, t.status.as_str(), t.amount),
        (NotificationChannel::Indodana, "FAILED", 5)
    );
}
