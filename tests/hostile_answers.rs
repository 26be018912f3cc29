//! What a hostile or broken server puts in its answers must not reach our messages raw:
//! control characters are escaped and quoted text is bounded, so an error written to a
//! log stays one line and says only what we chose to say. The raw body stays available,
//! unaltered, in the error's `body`.

mod support;

use doku::{Client, Config, ErrorKind, RequestOptions};
use serde_json::json;
use support::{seeds, Action, Server, CLIENT_ID, SECRET};

fn client(server: &Server) -> Client {
    let config = json!({
        "client_id": CLIENT_ID,
        "secret_key": SECRET,
        "base_url": server.base_url(),
        "retries": 0,
        "timeout_ms": 5000,
    });
    Client::new(Config::from_json(&config.to_string()).unwrap()).unwrap()
}

fn assert_one_clean_line(text: &str) {
    assert!(
        !text.chars().any(|c| c.is_control()),
        "no control character may reach a message: {text:?}"
    );
}

#[test]
fn crlf_and_escapes_in_an_error_body_are_escaped_in_the_message() {
    let body = json!({"error": {
        "code": "bad\r\nX-Injected: 1",
        "message": "nope\r\n2026-11-29 ERROR forged log line\u{1b}[31m",
        "field": "order\nforged: field",
    }})
    .to_string();
    let server = Server::start(vec![Action::respond(400, &body)]);
    let e = client(&server)
        .alfa_payment_code(&seeds::alfa_request(), &RequestOptions::default())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Api);
    for text in [
        e.to_string(),
        e.message().to_string(),
        e.to_json().to_string(),
    ] {
        assert!(!text.contains("\r\n2026"), "{text}");
    }
    assert_one_clean_line(&e.to_string());
    assert_one_clean_line(e.field().unwrap());
    assert!(e.message().contains(r"nope\r\n2026"), "{}", e.message());
    assert!(e.message().contains(r"\u{1b}[31m"), "{}", e.message());
    assert_eq!(
        e.body(),
        Some(body.as_str()),
        "the raw body is kept as received"
    );
}

#[test]
fn a_huge_error_message_is_cut() {
    let long = "A".repeat(100_000);
    let body = json!({"error": {"message": long}}).to_string();
    let server = Server::start(vec![Action::respond(422, &body)]);
    let e = client(&server)
        .alfa_payment_code(&seeds::alfa_request(), &RequestOptions::default())
        .unwrap_err();
    assert!(e.message().chars().count() < 300, "{}", e.message().len());
    assert!(e.message().ends_with('…'));
    assert_eq!(e.body().map(str::len), Some(body.len()));
}

#[test]
fn wire_text_escapes_every_control_character_and_line_separator() {
    use doku::client::wire_text;
    assert_eq!(wire_text("a\rb\nc\td\0e", 100), r"a\rb\nc\td\u{0}e");
    assert_eq!(wire_text("x\u{2028}y\u{85}", 100), r"x\u{2028}y\u{85}");
    assert_eq!(wire_text("héllo wörld", 100), "héllo wörld");
    assert_eq!(wire_text("abcdef", 3), "abc…");
    assert_eq!(wire_text("abc", 3), "abc");
}
