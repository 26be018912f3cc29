//! Diagnostics for a signature mismatch (`doku explain`): shows the component with its
//! line breaks made visible, and searches the usual integration mistakes (a trailing
//! newline, a re-serialised body, the wrong Request-Target, a GET signed with a Digest,
//! the wrong timestamp header, a secret read with a newline, ...) for the one that
//! reproduces a given signature. Never reveals the secret or the expected signature.

use serde_json::Value;

use crate::signature::{Component, SigningKey, TimestampKind, SIGNATURE_PREFIX};

/// The component text with each line break shown as the two characters `\n` and each
/// carriage return as `\r`, one component line per output line.
pub fn visible(text: &str) -> String {
    text.replace('\r', "\\r").replace('\n', "\\n\n")
}

/// The result of comparing a signature with the component we compute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The signature is valid for the component as given.
    Match,
    /// The signature matches a variant of the component: the description says which
    /// header or byte difference explains the mismatch.
    Explained(String),
    /// No known variant reproduces the signature (most likely another secret key).
    Unexplained(String),
}

/// Compares `signature` with `component` under `key` and, on a mismatch, tries each
/// known mistake in turn. `secret` is used only to try key variants (a trailing newline,
/// surrounding spaces); it is never printed.
pub fn explain(component: &Component<'_>, secret: &[u8], signature: &str) -> Verdict {
    let Ok(key) = SigningKey::new(secret) else {
        return Verdict::Unexplained("the secret key is empty".into());
    };
    let (prefix_ok, mac_b64) = match signature.strip_prefix(SIGNATURE_PREFIX) {
        Some(rest) => (true, rest),
        None => (
            false,
            signature
                .split_once('=')
                .filter(|(p, _)| p.eq_ignore_ascii_case("HMACSHA256"))
                .map_or(signature, |(_, rest)| rest),
        ),
    };
    let wanted = format!("{SIGNATURE_PREFIX}{}", mac_b64.trim());
    let text = component.to_text();
    let ours = key.sign_text(text.as_bytes());
    if ours == wanted {
        return if prefix_ok && mac_b64 == mac_b64.trim() {
            Verdict::Match
        } else if prefix_ok {
            Verdict::Explained(
                "the MAC is right but the header value has surrounding whitespace".into(),
            )
        } else {
            Verdict::Explained(format!(
                "the MAC is right but the prefix is wrong: it must be exactly {SIGNATURE_PREFIX}"
            ))
        };
    }
    for (description, candidate) in variants(component) {
        if key.sign_text(candidate.as_bytes()) == wanted {
            return Verdict::Explained(description);
        }
    }
    let mut trimmed = secret.to_vec();
    while trimmed.last().is_some_and(|b| b.is_ascii_whitespace()) {
        trimmed.pop();
    }
    let secret_variants: [(&str, Vec<u8>); 3] = [
        (
            "the signer's secret key ends with a newline (read from a file without trimming)",
            [secret, b"\n"].concat(),
        ),
        (
            "the signer's secret key ends with CRLF",
            [secret, b"\r\n"].concat(),
        ),
        (
            "your secret key has trailing whitespace that the signer's does not",
            trimmed,
        ),
    ];
    for (description, s) in secret_variants {
        if let Ok(k) = SigningKey::new(&s) {
            if k.sign_text(text.as_bytes()) == wanted {
                return Verdict::Explained(description.into());
            }
        }
    }
    Verdict::Unexplained(
        "no common mistake reproduces this signature: most likely another secret key, or \
         another Client-Id, Request-Id or timestamp than the ones given here"
            .into(),
    )
}

/// (description, component text) for each known mistake.
fn variants(c: &Component<'_>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let text = c.to_text();
    let with = |f: &dyn Fn(&mut Component<'_>)| {
        let mut v = *c;
        f(&mut v);
        v.to_text()
    };
    out.push((
        "the signer added a trailing newline after the last component line".into(),
        format!("{text}\n"),
    ));
    out.push((
        "the signer joined the lines with CRLF instead of \\n".into(),
        text.replace('\n', "\r\n"),
    ));
    let spaced: Vec<String> = text
        .split('\n')
        .map(|line| line.replacen(':', ": ", 1))
        .collect();
    out.push((
        "the signer put a space after each colon (Name: value)".into(),
        spaced.join("\n"),
    ));
    let other_kind = match c.timestamp_kind {
        TimestampKind::Request => TimestampKind::Response,
        TimestampKind::Response => TimestampKind::Request,
    };
    out.push((
        format!(
            "the signer used the {} line instead of {}",
            other_kind.header_name(),
            c.timestamp_kind.header_name()
        ),
        with(&|v| v.timestamp_kind = other_kind),
    ));
    match c.body {
        None => out.push((
            "the signer added a Digest line of an empty body (a GET has no Digest line)".into(),
            with(&|v| v.body = Some(b"")),
        )),
        Some(body) => {
            out.push((
                "the signer left out the Digest line (signed as a GET)".into(),
                with(&|v| v.body = None),
            ));
            let digest = crate::signature::digest(body);
            out.push((
                "the signer wrote the digest with a SHA-256= prefix".into(),
                text.replace(
                    &format!("Digest:{digest}"),
                    &format!("Digest:SHA-256={digest}"),
                ),
            ));
            for (description, b) in body_variants(body) {
                let mut v = *c;
                v.body = Some(&b);
                out.push((description, v.to_text()));
            }
        }
    }
    let target = c.request_target;
    let mut targets: Vec<(String, String)> = vec![(
        format!("{target}/"),
        "the signer's Request-Target has a trailing slash".into(),
    )];
    if let Some(t) = target.strip_suffix('/') {
        targets.push((
            t.to_string(),
            "the signer's Request-Target has no trailing slash".into(),
        ));
    }
    for host in ["https://api-sandbox.doku.com", "https://api.doku.com"] {
        targets.push((
            format!("{host}{target}"),
            format!(
                "the signer put the full URL ({host}...) in Request-Target instead of the path"
            ),
        ));
    }
    for (t, description) in targets {
        let t: &str = &t;
        let mut v = *c;
        v.request_target = t;
        out.push((description, v.to_text()));
    }
    // Keep the first description of each distinct text, and none equal to the original.
    let mut seen = vec![text];
    out.retain(|(_, t)| {
        let fresh = !seen.contains(t);
        if fresh {
            seen.push(t.clone());
        }
        fresh
    });
    out
}

/// Re-encodings of the body that frameworks and JSON libraries commonly produce.
fn body_variants(body: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut out = vec![(
        "the signer's body ends with a newline that was not sent".to_string(),
        [body, b"\n"].concat(),
    )];
    let text = String::from_utf8_lossy(body);
    if text.contains('\n') && !text.contains("\r\n") {
        out.push((
            "the signer used CRLF line endings in the body".to_string(),
            text.replace('\n', "\r\n").into_bytes(),
        ));
    }
    let trimmed = String::from_utf8_lossy(body).trim_end().as_bytes().to_vec();
    if trimmed != body {
        out.push((
            "the signer's body has no trailing whitespace (the sent body has)".into(),
            trimmed,
        ));
    }
    if let Ok(v) = serde_json::from_slice::<Value>(body) {
        if let Ok(compact) = serde_json::to_vec(&v) {
            out.push((
                "the signer hashed a compact re-serialisation of the JSON, not the bytes sent"
                    .into(),
                compact,
            ));
        }
        if let Ok(pretty) = serde_json::to_vec_pretty(&v) {
            out.push((
                "the signer hashed a pretty-printed (2 spaces) re-serialisation of the JSON".into(),
                pretty,
            ));
        }
        let mut buf = Vec::new();
        let mut ser = serde_json::Serializer::with_formatter(
            &mut buf,
            serde_json::ser::PrettyFormatter::with_indent(b"    "),
        );
        if serde::Serialize::serialize(&v, &mut ser).is_ok() {
            out.push((
                "the signer hashed a pretty-printed (4 spaces) re-serialisation of the JSON".into(),
                buf,
            ));
        }
        let ascii = ascii_escape(&String::from_utf8_lossy(
            &serde_json::to_vec(&v).unwrap_or_default(),
        ));
        out.push(("the signer escaped non-ASCII characters as \\uXXXX (e.g. PHP json_encode without JSON_UNESCAPED_UNICODE)".into(), ascii.into_bytes()));
        let slashes = String::from_utf8_lossy(&serde_json::to_vec(&v).unwrap_or_default())
            .replace('/', "\\/");
        out.push((
            "the signer escaped slashes as \\/ (PHP json_encode without JSON_UNESCAPED_SLASHES)"
                .into(),
            slashes.into_bytes(),
        ));
    }
    out
}

fn ascii_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        if ch.is_ascii() {
            out.push(ch);
        } else {
            let mut units = [0u16; 2];
            for u in ch.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"secret";
    const BODY: &[u8] = b"{\"a\": \"caf\xc3\xa9/x\"}";

    fn c() -> Component<'static> {
        Component::request("C", "R", "2020-08-11T08:45:42Z", "/p", Some(BODY))
    }

    #[test]
    fn visible_shows_line_breaks() {
        assert_eq!(visible("a\nb\r\nc"), "a\\n\nb\\r\\n\nc");
    }

    #[test]
    fn match_and_prefix_problems() {
        let key = SigningKey::new(SECRET).unwrap();
        let sig = key.sign(&c()).unwrap();
        assert_eq!(explain(&c(), SECRET, &sig), Verdict::Match);
        let lower = sig.replace("HMACSHA256=", "hmacsha256=");
        assert!(
            matches!(explain(&c(), SECRET, &lower), Verdict::Explained(d) if d.contains("prefix"))
        );
    }

    #[test]
    fn finds_each_known_mistake() {
        let key = SigningKey::new(SECRET).unwrap();
        for (description, text) in variants(&c()) {
            let sig = key.sign_text(text.as_bytes());
            match explain(&c(), SECRET, &sig) {
                Verdict::Explained(d) => assert_eq!(d, description),
                other => panic!("{description}: {other:?}"),
            }
        }
        let newline_key = SigningKey::new(b"secret\n").unwrap();
        let sig = newline_key.sign(&c()).unwrap();
        assert!(
            matches!(explain(&c(), SECRET, &sig), Verdict::Explained(d) if d.contains("newline"))
        );
        let other = SigningKey::new(b"other").unwrap().sign(&c()).unwrap();
        let verdict = explain(&c(), SECRET, &other);
        assert!(matches!(&verdict, Verdict::Unexplained(_)));
        assert!(!format!("{verdict:?}").contains("secret\""));
    }
}
