//! `doku demo` end to end: in-process (the library function) and as the built command.

use std::process::Command;

#[test]
fn demo_runs_in_process() {
    let mut out = Vec::new();
    let summary = doku_sandbox::demo::run_demo(&mut out)
        .unwrap_or_else(|e| panic!("the demo failed: {e}\n{}", String::from_utf8_lossy(&out)));
    assert_eq!(summary.invoices.len(), 3);
    assert_eq!(summary.notifications_verified, 3);
    let text = String::from_utf8(out).unwrap();
    for needle in [
        "Alfa Group payment code",
        "Indomaret payment code",
        "Indodana order",
        "how to pay: http://127.0.0.1:",
        "payment page: http://127.0.0.1:",
        "notification verified: SUCCESS",
        "ONLINE_TO_OFFLINE_ALFA",
        "ONLINE_TO_OFFLINE_INDOMARET",
        "PEER_TO_PEER_INDODANA",
        ": SUCCESS",
        "done in",
        "IDR 150.000",
        "IDR 100.000",
        " WIB",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
    assert_eq!(text.matches("check status").count(), 3, "{text}");
    // Dates read as people write them (`29 Nov 2026 08:47 WIB`), not DOKU's yyyyMMddHHmmss.
    assert!(
        !text
            .split_whitespace()
            .any(|w| w.len() == 14 && w.bytes().all(|b| b.is_ascii_digit())),
        "{text}"
    );
    assert!(
        text.lines()
            .skip(1)
            .all(|l| l.starts_with("✓ ") || l.starts_with("    ")),
        "{text}"
    );
}

#[test]
fn demo_command_succeeds() {
    let out = Command::new(env!("CARGO_BIN_EXE_doku"))
        .arg("demo")
        .output()
        .expect("run doku demo");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "doku demo failed ({:?}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout.matches("✓ notification verified").count(),
        3,
        "{stdout}"
    );
    let bad = Command::new(env!("CARGO_BIN_EXE_doku"))
        .args(["demo", "--nope"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}
