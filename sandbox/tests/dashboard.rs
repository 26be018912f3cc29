//! The dashboard at `GET /` and its form actions, over real sockets: it escapes what it
//! shows (a hostile invoice number, a hostile merchant answer), pays, fails, expires and
//! resends, names bad form fields, and refuses forms posted from other sites.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;

use common::*;
use doku_sandbox::receiver::NotificationReceiver;
use serde_json::json;

fn form(sb: &doku_sandbox::Sandbox, action: &str, fields: &str, headers: &[(&str, &str)]) -> Plain {
    http(
        sb.base_url(),
        "POST",
        &format!("/_sandbox/transactions/{action}"),
        Some(("application/x-www-form-urlencoded", fields.as_bytes())),
        headers,
    )
}

fn fields(inv: &str) -> String {
    let enc = |s: &str| {
        percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
    };
    format!("client_id={}&invoice_number={}", enc(CID), enc(inv))
}

/// A merchant endpoint that answers one request with `answer` as its body (status 200),
/// and reports the request it read.
fn hostile_merchant(answer: &'static [u8]) -> (String, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}{NOTIFY_PATH}", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let Ok((stream, _)) = listener.accept() else {
            return;
        };
        stream.set_read_timeout(Some(WAIT)).unwrap();
        let mut reader = BufReader::new(stream);
        let mut head = String::new();
        let mut length = 0usize;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap_or(0);
            }
            head.push_str(&line);
        }
        let mut body = vec![0; length];
        let _ = reader.read_exact(&mut body);
        let mut stream = reader.into_inner();
        let _ = write!(
            stream,
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            answer.len()
        );
        let _ = stream.write_all(answer);
        let _ = tx.send(head);
    });
    (url, rx)
}

#[test]
fn the_dashboard_escapes_a_hostile_invoice_number_and_a_hostile_merchant_answer() {
    const ANSWER: &[u8] =
        b"<img src=x onerror=alert(1)></td><script>alert('answer')</script>\x1b[2J\x00\xff";
    let (url, got) = hostile_merchant(ANSWER);
    let lines = Lines::default();
    let sb = start(Some(&url), &lines);
    let c = client_with(&sb, 0, &Seen::default());
    let inv = "<script>alert(\"inv\")</script>'&\"<b>";
    c.alfa_payment_code(&alfa_body(inv), &with_id(&new_id()))
        .unwrap();
    let paid = form(&sb, "pay", &fields(inv), &[]);
    assert_eq!(paid.status, 303, "{}", paid.body);
    got.recv_timeout(WAIT)
        .expect("the notification reached the merchant");
    sb.wait_for_notifications(|a| !a.is_empty(), WAIT);
    let page = get(&sb, "/");
    assert_eq!(page.status, 200);
    assert!(page
        .header("Content-Type")
        .unwrap()
        .starts_with("text/html"));
    let html = page.body;
    for raw in [
        "<script>",
        "<img src=x",
        "</td><script",
        "<b>",
        "\u{1b}",
        "\0",
    ] {
        assert!(!html.contains(raw), "{raw:?} must be escaped:\n{html}");
    }
    assert!(html
        .contains("&lt;script&gt;alert(&quot;inv&quot;)&lt;/script&gt;&#39;&amp;&quot;&lt;b&gt;"));
    assert!(
        html.contains("&lt;img src=x onerror=alert(1)&gt;&lt;/td&gt;&lt;script&gt;"),
        "{html}"
    );
    assert!(!html.contains(SK), "the secret key is never shown");
    assert!(!html.contains("HMACSHA256="), "no signature is shown");
    // The form carries the hostile value back intact (escaped in the attribute).
    assert!(html.contains(
        "name=\"invoice_number\" value=\"&lt;script&gt;alert(&quot;inv&quot;)&lt;/script&gt;&#39;&amp;&quot;&lt;b&gt;\""
    ));
    let s = c.check_status(inv, &with_id(&new_id())).unwrap();
    assert_eq!(s.body["transaction"]["status"], "SUCCESS");
}

#[test]
fn the_dashboard_lists_newest_first_and_its_actions_pay_fail_expire_and_resend() {
    let receiver = NotificationReceiver::start(CID, SK, NOTIFY_PATH).unwrap();
    let lines = Lines::default();
    let sb = start(Some(receiver.url()), &lines);
    let c = client_with(&sb, 0, &Seen::default());
    let empty = get(&sb, "/").body;
    assert!(empty.contains("No transactions yet"), "{empty}");
    let (a, b, d) = (invoice("dash-a"), invoice("dash-b"), invoice("dash-d"));
    c.alfa_payment_code(&alfa_body(&a), &with_id(&new_id()))
        .unwrap();
    c.indomaret_payment_code(&indomaret_body(&b), &with_id(&new_id()))
        .unwrap();
    c.indodana_generate_order(&indodana_body(&d), &with_id(&new_id()))
        .unwrap();
    let html = get(&sb, "/").body;
    let at = |s: &str| html.find(&format!("data-invoice=\"{s}\"")).unwrap();
    assert!(at(&d) < at(&b) && at(&b) < at(&a), "newest first");
    assert!(html.contains("/how-to-pay/v2/alfa-online-to-offline/"));
    assert!(html.contains("/indomaret-online-to-offline/v2/how-to-pay-page/"));
    assert!(html.contains("/_sandbox/indodana/payment/IDN-SBX-"));
    assert!(html.contains("name=\"viewport\""), "phone-sized screens");

    assert_eq!(
        form(&sb, "pay", &fields(&a), &[]).header("Location"),
        Some("/")
    );
    assert_eq!(form(&sb, "fail", &fields(&b), &[]).status, 303);
    assert_eq!(form(&sb, "expire", &fields(&d), &[]).status, 303);
    let status = |inv: &str| {
        c.check_status(inv, &with_id(&new_id())).unwrap().body["transaction"]["status"].clone()
    };
    assert_eq!(
        (status(&a), status(&b), status(&d)),
        (json!("SUCCESS"), json!("FAILED"), json!("EXPIRED"))
    );

    // Resend: the same notification (Request-Id, body) again, attempt 2 of its Request-Id.
    receiver.wait_for(|r| r.len() >= 2, WAIT);
    assert_eq!(form(&sb, "resend", &fields(&a), &[]).status, 303);
    let got = receiver.wait_for(|r| r.len() >= 3, WAIT);
    let of_a: Vec<_> = got
        .iter()
        .filter_map(|r| r.notification())
        .filter(|n| n.invoice_number == a)
        .collect();
    assert_eq!(of_a.len(), 2);
    assert_eq!(of_a[0].request_id, of_a[1].request_id);
    assert_eq!(of_a[0].body, of_a[1].body);
    let attempts = sb.wait_for_notifications(
        |l| l.iter().any(|x| x.invoice_number == a && x.attempt == 2),
        WAIT,
    );
    let second = attempts
        .iter()
        .find(|x| x.invoice_number == a && x.attempt == 2)
        .unwrap();
    assert!(second.delivered && second.latency_ms.is_some() && second.answer.is_some());
    let html = get(&sb, "/").body;
    assert!(
        html.contains("data-status=\"200\" data-delivered=\"true\""),
        "{html}"
    );
    assert!(html.contains(&second.request_id));

    // Refusals are pages that say why.
    let again = form(&sb, "fail", &fields(&a), &[]);
    assert_eq!(again.status, 400);
    assert!(
        again.body.contains("data-code=\"transaction_closed\""),
        "{}",
        again.body
    );
    let failed_resent = form(&sb, "resend", &fields(&b), &[]);
    assert_eq!(
        failed_resent.status, 303,
        "a FAILED payment's notification can be resent too"
    );
    let pending = invoice("dash-p");
    c.alfa_payment_code(&alfa_body(&pending), &with_id(&new_id()))
        .unwrap();
    let nothing = form(&sb, "resend", &fields(&pending), &[]);
    assert!(
        nothing.body.contains("nothing_to_resend"),
        "{}",
        nothing.body
    );
    for (body, field) in [
        (format!("client_id={CID}"), "invoice_number"),
        ("invoice_number=x".to_string(), "client_id"),
        (format!("{}&x=1", fields(&pending)), "x"),
        (
            format!("client_id={CID}&invoice_number=%zz"),
            "invoice_number",
        ),
    ] {
        let r = form(&sb, "pay", &body, &[]);
        assert_eq!(r.status, 400, "{body}: {}", r.body);
        assert!(
            r.body.contains("invalid_form") && r.body.contains(field),
            "{body}: {}",
            r.body
        );
    }
    assert_eq!(form(&sb, "explode", &fields(&pending), &[]).status, 404);
    assert_eq!(get(&sb, "/_sandbox/transactions/pay").status, 405);
    assert_eq!(http(sb.base_url(), "POST", "/", None, &[]).status, 405);
}

#[test]
fn a_form_posted_from_another_site_is_refused() {
    let lines = Lines::default();
    let sb = start(None, &lines);
    let c = client_with(&sb, 0, &Seen::default());
    let inv = invoice("csrf");
    c.alfa_payment_code(&alfa_body(&inv), &with_id(&new_id()))
        .unwrap();
    let r = form(
        &sb,
        "pay",
        &fields(&inv),
        &[("Origin", "https://evil.example")],
    );
    assert_eq!(r.status, 403, "{}", r.body);
    let r = form(
        &sb,
        "pay",
        &fields(&inv),
        &[("Sec-Fetch-Site", "cross-site")],
    );
    assert_eq!(r.status, 403);
    let s = c.check_status(&inv, &with_id(&new_id())).unwrap();
    assert_eq!(s.body["transaction"]["status"], "PENDING");
    let own = sb.base_url().to_string();
    let r = form(&sb, "pay", &fields(&inv), &[("Origin", own.as_str())]);
    assert_eq!(r.status, 303, "{}", r.body);
}

#[test]
fn the_transactions_list_and_pay_by_id() {
    let lines = Lines::default();
    let sb = start(None, &lines);
    let c = client_with(&sb, 0, &Seen::default());
    let inv = invoice("list");
    let r = c
        .alfa_payment_code(&alfa_body(&inv), &with_id(&new_id()))
        .unwrap();
    let code = r.body["online_to_offline_info"]["payment_code"]
        .as_str()
        .unwrap()
        .to_string();
    let list = get(&sb, "/_sandbox/transactions").json();
    let t = &list["transactions"][0];
    assert_eq!(
        (t["invoice_number"].as_str(), t["payment_code"].as_str()),
        (Some(inv.as_str()), Some(code.as_str()))
    );
    assert_eq!(t["status"], "PENDING");
    let paid = post_json(&sb, "/_sandbox/pay", &json!({"id": code}));
    assert_eq!(paid.json()["invoice_number"], inv.as_str());
    let none = post_json(&sb, "/_sandbox/pay", &json!({"id": "nope"}));
    assert_eq!(none.status, 404);
}
