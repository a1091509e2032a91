//! Reading secrets from files or standard input, so they never need the command line.

use std::io::Read;
use std::path::Path;

use super::CliError;

/// Largest secret file read: keys, tokens and PINs are far shorter.
const MAX_SECRET_BYTES: u64 = 64 * 1024;

/// Reads a one-line secret from `path` (`-` means standard input) and trims one trailing
/// `\n` or `\r\n`. Warns when a file is readable by other users. `what` names the secret in
/// messages, for example "API key file".
pub fn read_secret(path: &Path, what: &str) -> Result<String, CliError> {
    let shown = path.display();
    let raw = read_capped(path, what, MAX_SECRET_BYTES)?;
    if raw.len() as u64 > MAX_SECRET_BYTES {
        return Err(CliError::config(format!(
            "{what} {shown:?} is larger than {MAX_SECRET_BYTES} bytes; it should hold one line"
        )));
    }
    let mut text = String::from_utf8(raw)
        .map_err(|_| CliError::config(format!("{what} {shown:?} is not valid UTF-8")))?;
    if text.ends_with("\r\n") {
        text.truncate(text.len() - 2);
    } else if text.ends_with('\n') {
        text.truncate(text.len() - 1);
    }
    Ok(text)
}

/// Reads at most `max_bytes + 1` bytes from `path`, or standard input for `-`, so that
/// the caller can tell a file over `max_bytes` from one that fits. `what` names the file
/// in messages.
pub fn read_capped(path: &Path, what: &str, max_bytes: u64) -> Result<Vec<u8>, CliError> {
    let limit = usize::try_from(max_bytes + 1).unwrap_or(usize::MAX);
    let read = if path == Path::new("-") {
        read_limited(std::io::stdin(), limit)
    } else {
        read_limited(open_regular(path, what)?, limit)
    };
    read.map_err(|error| {
        CliError::config(format!("cannot read {what} {:?}: {error}", path.display()))
    })
}

/// Reads `source` to its end or to `limit` bytes, whichever comes first. A plain loop
/// compiles smaller than `take` and `read_to_end`.
fn read_limited(mut source: impl Read, limit: usize) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    let mut buffer = [0; 8192];
    while bytes.len() < limit {
        let want = buffer.len().min(limit - bytes.len());
        match source.read(&mut buffer[..want]) {
            Ok(0) => break,
            Ok(count) => bytes.extend_from_slice(&buffer[..count]),
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(bytes)
}

/// Opens a regular file, rejecting FIFOs, devices and folders, which could block the run
/// or never end. The type is checked before opening because opening a FIFO blocks until a
/// writer appears.
pub fn open_regular(path: &Path, what: &str) -> Result<std::fs::File, CliError> {
    let shown = path.display();
    let failed =
        |error: std::io::Error| CliError::config(format!("cannot read {what} {shown:?}: {error}"));
    let metadata = std::fs::metadata(path).map_err(failed)?;
    if !metadata.is_file() {
        return Err(CliError::config(format!(
            "{what} {shown:?} is not a regular file; give a file, or - for standard input"
        )));
    }
    warn_if_shared(&metadata, path, what);
    std::fs::File::open(path).map_err(failed)
}

#[cfg(unix)]
fn warn_if_shared(metadata: &std::fs::Metadata, path: &Path, what: &str) {
    use std::os::unix::fs::PermissionsExt;
    if metadata.permissions().mode() & 0o044 != 0 {
        log::warn!(
            "{what} {:?} is readable by other users; restrict it with chmod 600",
            path.display()
        );
    }
}

#[cfg(not(unix))]
fn warn_if_shared(_metadata: &std::fs::Metadata, _path: &Path, _what: &str) {}
