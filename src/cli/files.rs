//! Reading secrets from files or standard input, so they never need the command line.

use std::io::Read;
use std::path::Path;

use super::CliError;

/// Reads a one-line secret from `path` (`-` means standard input) and trims one trailing
/// `\n` or `\r\n`. Warns when a file is readable by other users. `what` names the secret in
/// messages, for example "API key file".
pub fn read_secret(path: &Path, what: &str) -> Result<String, CliError> {
    let mut raw = Vec::new();
    let shown = path.display();
    let read = if path == Path::new("-") {
        std::io::stdin().read_to_end(&mut raw)
    } else {
        warn_if_shared(path, what);
        std::fs::File::open(path).and_then(|mut file| file.read_to_end(&mut raw))
    };
    read.map_err(|error| CliError::config(format!("cannot read {what} {shown:?}: {error}")))?;
    let mut text = String::from_utf8(raw)
        .map_err(|_| CliError::config(format!("{what} {shown:?} is not valid UTF-8")))?;
    if text.ends_with("\r\n") {
        text.truncate(text.len() - 2);
    } else if text.ends_with('\n') {
        text.truncate(text.len() - 1);
    }
    Ok(text)
}

#[cfg(unix)]
fn warn_if_shared(path: &Path, what: &str) {
    use std::os::unix::fs::PermissionsExt;
    let Ok(metadata) = std::fs::metadata(path) else {
        return;
    };
    if metadata.is_file() && metadata.permissions().mode() & 0o044 != 0 {
        log::warn!(
            "{what} {:?} is readable by other users; restrict it with chmod 600",
            path.display()
        );
    }
}

#[cfg(not(unix))]
fn warn_if_shared(_path: &Path, _what: &str) {}
