//! The dashboard in a real browser: Debian's chromium, headless, driven through
//! chromedriver's WebDriver HTTP protocol. A real client creates a payment code whose
//! notification URL is a real merchant receiver; the browser opens the dashboard on a
//! phone-sized window and clicks "Pay" on that code; the receiver must get a verified
//! notification and the page must then show the delivery with HTTP status 200. A
//! screenshot of the dashboard is saved as `target/browser-test/dashboard.png`.
//!
//! Ignored by a plain `cargo test` (it needs chromium and chromedriver): `make
//! browser-test` installs them (scripts/install-deps.sh browser) and runs it.

mod common;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use common::*;
use doku_sandbox::receiver::NotificationReceiver;
use serde_json::{json, Value};

/// The W3C name of an element reference in WebDriver answers.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

fn out_dir() -> PathBuf {
    let dir = match std::env::var_os("DOKU_BROWSER_TEST_OUT") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/browser-test"),
    };
    std::fs::create_dir_all(&dir).expect("the output folder can be created");
    // chromedriver cannot find the browser's DevTools port under a path with `..` in it.
    std::fs::canonicalize(&dir).expect("the output folder has a canonical path")
}

fn which(name: &str, fallback: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| fallback.to_string())
}

/// A chromedriver process and one browser session; dropping it ends both.
struct Browser {
    driver: Child,
    base: String,
    session: String,
    agent: ureq::Agent,
    profile: PathBuf,
}

impl Browser {
    fn start(out: &std::path::Path) -> Browser {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = std::fs::File::create(out.join("chromedriver.log")).unwrap();
        let driver = Command::new(which("CHROMEDRIVER", "/usr/bin/chromedriver"))
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("chromedriver runs (make browser-test installs it)");
        let base = format!("http://127.0.0.1:{port}");
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        let profile = out.join(format!("profile-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&profile);
        let mut b = Browser {
            driver,
            base,
            session: String::new(),
            agent,
            profile,
        };
        // chromedriver is up when /status says ready (a bounded wait for an event).
        let deadline = Instant::now() + WAIT;
        loop {
            let ready = b
                .agent
                .get(&format!("{}/status", b.base))
                .call()
                .ok()
                .and_then(|mut r| r.body_mut().read_to_string().ok())
                .and_then(|t| serde_json::from_str::<Value>(&t).ok())
                .is_some_and(|v| v["value"]["ready"] == true);
            if ready {
                break;
            }
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": which("CHROMIUM", "/usr/bin/chromium"),
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--window-size=412,915",
                    format!("--user-data-dir={}", b.profile.display()),
                ],
            },
        }}});
        let v = b.call("POST", "/session", Some(caps));
        b.session = v["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {v}"))
            .to_string();
        b
    }

    /// One WebDriver command; returns its `value`, panicking on a WebDriver error.
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.try_call(method, path, body)
            .unwrap_or_else(|e| panic!("WebDriver {method} {path}: {e}"))
    }

    fn try_call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, Value> {
        let url = format!("{}{path}", self.base);
        let mut resp = match (method, body) {
            ("POST", b) => self
                .agent
                .post(&url)
                .content_type("application/json")
                .send(b.unwrap_or_else(|| json!({})).to_string().as_bytes()),
            ("DELETE", _) => self.agent.delete(&url).call(),
            _ => self.agent.get(&url).call(),
        }
        .map_err(|e| json!(e.to_string()))?;
        let ok = resp.status().is_success();
        let text = resp
            .body_mut()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_to_string()
            .map_err(|e| json!(e.to_string()))?;
        let v: Value = serde_json::from_str(&text).map_err(|e| json!(e.to_string()))?;
        if ok {
            Ok(v["value"].clone())
        } else {
            Err(v["value"].clone())
        }
    }

    fn s(&self, rest: &str) -> String {
        format!("/session/{}{rest}", self.session)
    }

    fn goto(&self, url: &str) {
        self.call("POST", &self.s("/url"), Some(json!({ "url": url })));
    }

    fn find(&self, css: &str) -> Option<String> {
        self.try_call(
            "POST",
            &self.s("/element"),
            Some(json!({"using": "css selector", "value": css})),
        )
        .ok()
        .and_then(|v| v[ELEMENT].as_str().map(str::to_string))
    }

    fn click(&self, element: &str) {
        self.call("POST", &self.s(&format!("/element/{element}/click")), None);
    }

    fn text(&self, element: &str) -> String {
        self.call("GET", &self.s(&format!("/element/{element}/text")), None)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// The page as the browser has it (for failure messages).
    fn source(&self) -> String {
        self.try_call("GET", &self.s("/source"), None)
            .map(|v| v.as_str().unwrap_or_default().to_string())
            .unwrap_or_else(|e| format!("(no source: {e})"))
    }

    fn screenshot(&self) -> Vec<u8> {
        let b64 = self.call("GET", &self.s("/screenshot"), None);
        base64::engine::general_purpose::STANDARD
            .decode(b64.as_str().unwrap_or_default())
            .expect("the screenshot is base64")
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = self.try_call("DELETE", &self.s(""), None);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

#[test]
#[ignore = "needs Debian's chromium and chromedriver: run `make browser-test`"]
fn a_browser_pays_a_code_on_the_dashboard_and_sees_the_delivery() {
    let out = out_dir();
    let receiver = NotificationReceiver::start(CID, SK, NOTIFY_PATH).unwrap();
    let lines = Lines::default();
    let sb = start(Some(receiver.url()), &lines);
    let client = client_with(&sb, 0, &Seen::default());
    let inv = invoice("BROWSER");
    let created = client
        .alfa_payment_code(&alfa_body(&inv), &with_id(&new_id()))
        .unwrap();
    let code = created.body["online_to_offline_info"]["payment_code"]
        .as_str()
        .unwrap()
        .to_string();
    // A second, older-looking transaction so the page shows more than one card.
    client
        .indomaret_payment_code(&indomaret_body(&invoice("BROWSER-2")), &with_id(&new_id()))
        .unwrap();

    let browser = Browser::start(&out);
    let dashboard = format!("{}/", sb.base_url());
    browser.goto(&dashboard);
    let card = format!("article[data-invoice=\"{inv}\"]");
    let code_shown = browser
        .find(&format!("{card} code.code"))
        .unwrap_or_else(|| panic!("no card for {inv} on the dashboard:\n{}", browser.source()));
    assert_eq!(browser.text(&code_shown), code);
    let pay = browser
        .find(&format!("{card} button.pay"))
        .expect("a Pay button");
    browser.click(&pay);

    // The merchant's receiver got a notification it could verify.
    let got = receiver.wait_for(|r| !r.is_empty(), WAIT);
    let n = got[0]
        .notification()
        .unwrap_or_else(|| panic!("not verified: {:?}", got[0].result));
    assert_eq!(n.invoice_number, inv);
    assert_eq!(n.status, "SUCCESS");

    // The page then shows the delivery with status 200 (reloaded until it does, bounded).
    let cell = format!("{card} tr.attempt[data-delivered=\"true\"] td.http");
    let deadline = Instant::now() + WAIT;
    let shown = loop {
        browser.goto(&dashboard);
        if let Some(el) = browser.find(&cell) {
            break browser.text(&el);
        }
        assert!(
            Instant::now() < deadline,
            "the dashboard never showed the delivery:\n{}",
            browser.source()
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(shown, "200");
    let status = browser.find(&format!("{card} .st")).unwrap();
    assert_eq!(browser.text(&status), "SUCCESS");
    let rid = browser
        .find(&format!("{card} tr.attempt td code"))
        .expect("the Request-Id is shown");
    assert_eq!(browser.text(&rid), n.request_id);

    // A taller phone window, so the screenshot shows the delivery too.
    browser.call(
        "POST",
        &browser.s("/window/rect"),
        Some(json!({"width": 412, "height": 1500})),
    );
    let png = browser.screenshot();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG screenshot");
    let path = out.join("dashboard.png");
    std::fs::write(&path, &png).unwrap();
    println!("dashboard screenshot: {}", path.display());
}
