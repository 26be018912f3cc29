//! The request samples of DOKU's pages in `tests/data/seeds/`, cut out of the seed files at
//! test time (never retyped), so the tests check the samples byte for byte as DOKU
//! published them, and a changed seed is noticed by the tests.

use serde_json::Value;

/// The repository's `tests/data`, found from the crate being tested (the root crate, or
/// `sandbox/`, which uses these helpers too).
pub fn data_dir() -> std::path::PathBuf {
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .map(|dir| dir.join("tests/data"))
        .find(|dir| dir.is_dir())
        .unwrap_or_else(|| panic!("no tests/data above {}", manifest.display()))
}

/// The text of `tests/data/seeds/<name>`.
pub fn seed_text(name: &str) -> String {
    let path = data_dir().join("seeds").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "tests/data/seeds/{name} is not readable ({}): {e}",
            path.display()
        )
    })
}

/// The JSON block (from its `{` to the matching `}`, verbatim) that follows `marker` in
/// `text`. Braces inside strings are skipped; the block need not be valid JSON.
pub fn json_block_after<'t>(text: &'t str, marker: &str) -> &'t str {
    let at = text
        .find(marker)
        .unwrap_or_else(|| panic!("seed no longer contains {marker:?}"));
    let start = at
        + text[at..]
            .find('{')
            .unwrap_or_else(|| panic!("no JSON block after {marker:?}"));
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for (i, c) in text[start..].char_indices() {
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return &text[start..=start + i];
                }
            }
            _ => {}
        }
    }
    panic!("unbalanced JSON block after {marker:?}")
}

/// Where a trailing comma (a `,` followed, after whitespace, by `}` or `]`) sits in `json`:
/// (byte offset, 1-based line, 1-based column), for each one found outside strings.
pub fn trailing_commas(json: &str) -> Vec<(usize, usize, usize)> {
    let bytes = json.as_bytes();
    let (mut in_string, mut escaped) = (false, false);
    let mut found = Vec::new();
    for (i, &b) in bytes.iter().enumerate() {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b',' => {
                let next = bytes[i + 1..].iter().find(|c| !c.is_ascii_whitespace());
                if matches!(next, Some(b'}') | Some(b']')) {
                    let line = json[..i].matches('\n').count() + 1;
                    let column = i - json[..i].rfind('\n').map_or(0, |n| n + 1) + 1;
                    found.push((i, line, column));
                }
            }
            _ => {}
        }
    }
    found
}

const O2O_MARKER: &str = "Here is the sample of request body to generate payment code:";
const INDODANA_MARKER: &str = "Here is the sample request body to generate order:";

/// The Alfa Group request body sample (alfa-group.txt), parsed.
pub fn alfa_request() -> Value {
    let text = seed_text("alfa-group.txt");
    serde_json::from_str(json_block_after(&text, O2O_MARKER)).expect("the Alfa sample is JSON")
}

/// The Indomaret request body sample (indomaret.md), verbatim: not valid JSON.
pub fn indomaret_request_text() -> String {
    json_block_after(&seed_text("indomaret.md"), O2O_MARKER).to_string()
}

/// The Indomaret sample with its one trailing comma removed, parsed.
pub fn indomaret_request() -> Value {
    let mut text = indomaret_request_text();
    let commas = trailing_commas(&text);
    assert_eq!(
        commas.len(),
        1,
        "the Indomaret sample has one trailing comma"
    );
    text.remove(commas[0].0);
    serde_json::from_str(&text).expect("the Indomaret sample without its trailing comma is JSON")
}

/// The Indodana generate-order request body sample (indodana.md), parsed.
pub fn indodana_request() -> Value {
    let text = seed_text("indodana.md");
    serde_json::from_str(json_block_after(&text, INDODANA_MARKER))
        .expect("the Indodana sample is JSON")
}
