//! `doku sign`, `doku verify` and `doku explain`, run as a real process.

use std::process::{Command, Output};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_doku");

fn vectors() -> Value {
    let text = include_str!("../../tests/data/vectors.json");
    serde_json::from_str(text).expect("tests/data/vectors.json is JSON")
}

fn case(name: &str) -> Value {
    vectors()["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap()
        .clone()
}

/// Runs `doku <command>` with the case's component options and the vectors' secret in
/// DOKU_SECRET_KEY.
fn run(command: &str, case: &Value, extra: &[&str]) -> Output {
    let s = |k: &str| case[k].as_str().unwrap().to_string();
    let mut args = vec![
        command.to_string(),
        "--client-id".into(),
        s("client_id"),
        "--request-id".into(),
        s("request_id"),
        "--timestamp".into(),
        s("timestamp"),
        "--target".into(),
        s("request_target"),
    ];
    match case["body"].as_str() {
        Some(b) => args.extend(["--body".to_string(), b.to_string()]),
        None => args.push("--get".into()),
    }
    if case["kind"] == "response" {
        args.push("--response".into());
    }
    args.extend(extra.iter().map(|a| a.to_string()));
    let secret = vectors()["secret_key"].as_str().unwrap().to_string();
    let out = Command::new(BIN)
        .args(&args)
        .env("DOKU_SECRET_KEY", &secret)
        .output()
        .unwrap();
    // Whatever the command, its output never shows the secret key.
    for stream in [&out.stdout, &out.stderr] {
        assert!(
            !String::from_utf8_lossy(stream).contains(&secret),
            "doku {command} printed the secret key"
        );
    }
    out
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn sign_prints_every_vector_signature() {
    for c in vectors()["cases"].as_array().unwrap() {
        let o = run("sign", c, &[]);
        assert!(o.status.success(), "{}", c["name"]);
        assert_eq!(
            stdout(&o).trim(),
            c["signature"].as_str().unwrap(),
            "{}",
            c["name"]
        );
    }
}

#[test]
fn verify_during_a_key_rotation_names_the_key_that_matched_by_number() {
    let c = case("post-alfa-compact");
    let dir = std::env::temp_dir().join(format!("doku-cli-rotation-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let newer = dir.join("new.key");
    let current = dir.join("current.key");
    std::fs::write(&newer, "SK-rotated-in-not-real\n").unwrap();
    std::fs::write(
        &current,
        format!("{}\n", vectors()["secret_key"].as_str().unwrap()),
    )
    .unwrap();
    let sig = c["signature"].as_str().unwrap();
    let files = |paths: &[&std::path::Path]| -> Vec<String> {
        paths
            .iter()
            .flat_map(|p| ["--secret-key-file".to_string(), p.display().to_string()])
            .collect()
    };
    let args = files(&[&newer, &current]);
    let mut extra: Vec<&str> = args.iter().map(String::as_str).collect();
    extra.extend(["--signature", sig]);
    let o = run("verify", &c, &extra);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        stdout(&o).contains("valid with key 2 of 2"),
        "{}",
        stdout(&o)
    );
    assert!(!stdout(&o).contains("SK-rotated-in-not-real"));
    // None of the keys: exit 1.
    let args = files(&[&newer, &newer]);
    let mut extra: Vec<&str> = args.iter().map(String::as_str).collect();
    extra.extend(["--signature", sig]);
    assert_eq!(run("verify", &c, &extra).status.code(), Some(1));
    // Signing takes one key.
    let args = files(&[&newer, &current]);
    let extra: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = run("sign", &c, &extra);
    assert_eq!(o.status.code(), Some(2));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn verify_exit_codes() {
    let c = case("post-alfa-compact");
    let good = run(
        "verify",
        &c,
        &["--signature", c["signature"].as_str().unwrap()],
    );
    assert_eq!(good.status.code(), Some(0));
    assert_eq!(stdout(&good).trim(), "valid");
    for bad in vectors()["must_not_verify_against_post_alfa_compact"]
        .as_array()
        .unwrap()
    {
        let o = run(
            "verify",
            &c,
            &["--signature", bad["signature"].as_str().unwrap()],
        );
        assert_eq!(o.status.code(), Some(1), "{}", bad["name"]);
    }
}

#[test]
fn explain_shows_the_component_and_finds_the_trailing_newline() {
    let c = case("post-alfa-compact");
    let secret = vectors()["secret_key"].as_str().unwrap().to_string();
    let trailing = vectors()["must_not_verify_against_post_alfa_compact"][0].clone();
    assert_eq!(trailing["name"], "trailing-newline");
    let o = run(
        "explain",
        &c,
        &["--signature", trailing["signature"].as_str().unwrap()],
    );
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        out.contains("Client-Id:MCH-0001-10791114622547\\n"),
        "{out}"
    );
    assert!(out.contains(c["digest"].as_str().unwrap()), "{out}");
    assert!(
        out.contains("Explained: the signer added a trailing newline"),
        "{out}"
    );
    assert!(
        !out.contains(&secret),
        "explain must never print the secret"
    );
    assert!(
        !out.contains(c["signature"].as_str().unwrap()),
        "nor the expected signature"
    );

    let matching = run(
        "explain",
        &c,
        &["--signature", c["signature"].as_str().unwrap()],
    );
    assert_eq!(matching.status.code(), Some(0));
    assert!(stdout(&matching).contains("valid for this component"));
}

#[test]
fn explain_names_the_get_mistake() {
    // The GET vector signed by someone who added a Digest line of an empty body.
    let get = case("get-check-status");
    let mut post = get.clone();
    post["body"] = Value::String(String::new());
    let wrong = stdout(&run("sign", &post, &[])).trim().to_string();
    let o = run("explain", &get, &["--signature", &wrong]);
    assert!(
        stdout(&o).contains("a GET has no Digest line"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn usage_errors_exit_2_and_name_the_problem() {
    let o = Command::new(BIN)
        .args([
            "sign",
            "--client-id",
            "C",
            "--request-id",
            "R",
            "--timestamp",
            "T",
            "--target",
            "/p",
            "--get",
        ])
        .env_remove("DOKU_SECRET_KEY")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("secret key is required"));
    let o = Command::new(BIN)
        .args([
            "sign",
            "--client-id",
            "C\nRequest-Id:X",
            "--request-id",
            "R",
            "--timestamp",
            "T",
            "--target",
            "/p",
            "--get",
        ])
        .env("DOKU_SECRET_KEY", "k")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("client_id"));
    let o = Command::new(BIN).arg("frobnicate").output().unwrap();
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn an_argument_that_is_not_utf8_is_a_usage_error_not_a_panic() {
    use std::os::unix::ffi::OsStrExt;
    let out = Command::new(BIN)
        .arg("sign")
        .arg("--secret-key")
        .arg(std::ffi::OsStr::from_bytes(b"SK-\xff-not-utf8"))
        .output()
        .expect("doku runs");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("argument 3 is not UTF-8"), "{err}");
    assert!(!err.contains("SK-"), "the value is never shown: {err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// Starts `command` (a `doku sandbox`) with piped stdin and stdout; returns it and the URL
/// from its first line, `doku sandbox listening on URL`.
fn spawn_sandbox(mut command: Command) -> (std::process::Child, String) {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run doku sandbox");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("doku sandbox listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    (child, url)
}

#[test]
fn the_sandbox_says_where_each_secret_comes_from_and_a_client_signing_with_another_is_told() {
    use std::io::Read;
    use std::process::Stdio;
    const ENV_SECRET: &str = "SK-from-the-environment-not-real";
    let mut command = Command::new(BIN);
    command
        .args(["sandbox", "--port", "0"])
        .env("DOKU_SECRET_KEY", ENV_SECRET)
        .stderr(Stdio::piped());
    let (mut child, url) = spawn_sandbox(command);
    // A client using the README's default sandbox key, unaware of the exported variable.
    let mut config = doku::Config::new(
        doku_sandbox::policy::DEFAULT_CLIENT_ID,
        doku_sandbox::policy::DEFAULT_SECRET_KEY,
    )
    .unwrap()
    .with_base_url(&url)
    .unwrap();
    config.retries = 0;
    let e = doku::Client::new(config)
        .unwrap()
        .check_status("INV-1", &doku::RequestOptions::default())
        .unwrap_err();
    assert_eq!(e.http_status(), Some(401), "{e}");
    let message = e.body().unwrap_or_default().to_string();
    assert!(
        message.contains("comes from the DOKU_SECRET_KEY environment variable"),
        "{message}"
    );
    assert!(!message.contains(ENV_SECRET), "{message}");
    // End of input stops it; its log names the source, never the key.
    drop(child.stdin.take());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("doku sandbox did not stop at end of input");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert!(status.success());
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(
        err.contains("secret key from the DOKU_SECRET_KEY environment variable"),
        "{err}"
    );
    assert!(!err.contains(ENV_SECRET), "{err}");
}

// ---------------------------------------------------------------------------------------
// `doku sandbox pay|list|notifications` against a running `doku sandbox` process.
// ---------------------------------------------------------------------------------------

const CLI_CID: &str = "MCH-CLI-0001";
const CLI_SK: &str = "SK-cli-tests-not-a-real-key";
const CLI_WAIT: std::time::Duration = std::time::Duration::from_secs(20);

/// A `doku sandbox --port 0` child; dropping it closes its stdin, which stops it.
struct Running {
    child: std::process::Child,
    url: String,
}

impl Running {
    fn start(notification_url: &str) -> Running {
        let mut command = Command::new(BIN);
        command
            .args([
                "sandbox",
                "--port",
                "0",
                "--quiet",
                "--merchant",
                &format!("{CLI_CID}:{CLI_SK}:{notification_url}"),
            ])
            .stderr(std::process::Stdio::null());
        let (child, url) = spawn_sandbox(command);
        Running { child, url }
    }

    /// `doku sandbox ARGS --url URL`.
    fn run(&self, args: &[&str]) -> Output {
        Command::new(BIN)
            .arg("sandbox")
            .args(args)
            .args(["--url", &self.url])
            .env_remove("DOKU_SANDBOX_URL")
            .output()
            .unwrap()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let deadline = std::time::Instant::now() + CLI_WAIT;
        while self.child.try_wait().ok().flatten().is_none() {
            if std::time::Instant::now() > deadline {
                let _ = self.child.kill();
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn sandbox_pay_list_and_notifications_talk_to_a_running_sandbox() {
    use doku_sandbox::receiver::NotificationReceiver;
    let receiver = NotificationReceiver::start(CLI_CID, CLI_SK, "/payments/notifications").unwrap();
    let sb = Running::start(receiver.url());
    let mut config = doku::Config::new(CLI_CID, CLI_SK)
        .unwrap()
        .with_base_url(&sb.url)
        .unwrap();
    config.retries = 0;
    let client = doku::Client::new(config).unwrap();
    let body = |inv: &str| {
        serde_json::json!({
            "order": {"invoice_number": inv, "amount": 150000},
            "online_to_offline_info": {"reusable_status": false},
            "customer": {"name": "Taufik Ismail"}
        })
    };
    let opts = doku::RequestOptions::default();
    let inv = format!("INV-CLI-{}", std::process::id());
    let created = client.alfa_payment_code(&body(&inv), &opts).unwrap();
    let code = created.body["online_to_offline_info"]["payment_code"]
        .as_str()
        .unwrap()
        .to_string();
    let other = format!("INV-CLI-F-{}", std::process::id());
    client.alfa_payment_code(&body(&other), &opts).unwrap();

    let listed = sb.run(&["list"]);
    assert_eq!(listed.status.code(), Some(0), "{}", stderr(&listed));
    let out = stdout(&listed);
    assert!(out.starts_with("CREATED"), "{out}");
    assert!(
        out.find(&other).unwrap() < out.find(&inv).unwrap(),
        "newest first: {out}"
    );
    assert!(out.contains(&code) && out.contains("PENDING"), "{out}");

    // Pay by payment code, fail by invoice number.
    let paid = sb.run(&["pay", &code]);
    assert_eq!(paid.status.code(), Some(0), "{}", stderr(&paid));
    assert!(
        stdout(&paid).starts_with(&format!("paid {inv} (payment code {code}): SUCCESS")),
        "{}",
        stdout(&paid)
    );
    let failed = sb.run(&["pay", &other, "--status", "FAILED"]);
    assert_eq!(failed.status.code(), Some(0), "{}", stderr(&failed));
    assert!(stdout(&failed).contains(": FAILED"));
    let got = receiver.wait_for(|r| r.len() >= 2, CLI_WAIT);
    assert!(got.iter().all(|r| r.notification().is_some()), "verified");
    let status = client.check_status(&inv, &opts).unwrap();
    assert_eq!(status.body["transaction"]["status"], "SUCCESS");

    let notes = sb.run(&["notifications"]);
    assert_eq!(notes.status.code(), Some(0), "{}", stderr(&notes));
    let out = stdout(&notes);
    let request_id = got[0].notification().unwrap().request_id.clone();
    assert!(out.contains(&request_id) && out.contains("200"), "{out}");
    let json_out = sb.run(&["notifications", "--json"]);
    let v: Value = serde_json::from_slice(&json_out.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 2);
    let listed = stdout(&sb.run(&["list"]));
    assert!(
        listed.contains("SUCCESS") && listed.contains("FAILED"),
        "{listed}"
    );

    // A refusal is exit 1 with the sandbox's reason; usage errors are exit 2.
    let again = sb.run(&["pay", &inv]);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr(&again).contains("transaction_closed"),
        "{}",
        stderr(&again)
    );
    let unknown = sb.run(&["pay", "INV-NOBODY"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(stderr(&unknown).contains("transaction_not_found"));
    let usage = sb.run(&["pay"]);
    assert_eq!(usage.status.code(), Some(2));
    let usage = sb.run(&["pay", &inv, "--status", "PAID"]);
    assert_eq!(usage.status.code(), Some(2));
    assert!(stderr(&usage).contains("--status must be SUCCESS or FAILED"));
    // $DOKU_SANDBOX_URL is used when --url is not given.
    let via_env = Command::new(BIN)
        .args(["sandbox", "list"])
        .env("DOKU_SANDBOX_URL", &sb.url)
        .output()
        .unwrap();
    assert_eq!(via_env.status.code(), Some(0), "{}", stderr(&via_env));
    assert!(stdout(&via_env).contains(&inv));
}

#[test]
fn sandbox_commands_report_an_unreachable_or_foreign_peer() {
    use std::io::{Read, Write};
    // Nothing listens: a bound port released again.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = Command::new(BIN)
        .args([
            "sandbox",
            "list",
            "--url",
            &format!("http://127.0.0.1:{port}"),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("cannot reach the sandbox"),
        "{}",
        stderr(&out)
    );
    let out = Command::new(BIN)
        .args(["sandbox", "list", "--url", "ftp://127.0.0.1/x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--url must be"), "{}", stderr(&out));

    // A peer that is not a sandbox: HTML with a terminal escape, then JSON of another shape.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = std::thread::spawn(move || {
        for answer in [
            "<html>\u{1b}[2Jhello</html>".to_string(),
            "{\"transactions\": 7}".to_string(),
        ] {
            let (mut s, _) = listener.accept().unwrap();
            s.set_read_timeout(Some(CLI_WAIT)).unwrap();
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                answer.len()
            );
        }
    });
    let out = Command::new(BIN)
        .args(["sandbox", "list", "--url", &url])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("not JSON"), "{err}");
    assert!(
        !err.contains('\u{1b}'),
        "control characters never reach the terminal: {err:?}"
    );
    let out = Command::new(BIN)
        .args(["sandbox", "list", "--url", &url])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("not what a doku sandbox sends"),
        "{}",
        stderr(&out)
    );
    server.join().unwrap();
}
