//! Reading a secret key from a file, as the `doku` commands take it (`--secret-key-file`).

use zeroize::Zeroizing;

/// The key in `path`, without the line ending a key file normally has (it is not part of
/// the key). The bytes are wiped when dropped. The error names the file, never its bytes.
pub fn read(path: &str) -> Result<Zeroizing<Vec<u8>>, String> {
    let mut key =
        Zeroizing::new(std::fs::read(path).map_err(|e| format!("cannot read {path}: {e}"))?);
    while key.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        key.pop();
    }
    Ok(key)
}
