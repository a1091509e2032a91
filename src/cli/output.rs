//! The CLI's output: JSON for `--json`, short lines for people.

use std::io::{ErrorKind, Write};

use miniserde::json::{self, Number, Object, Value};
use seam_edge::{AcsCredential, Error, Workspace};

use super::CliError;
use super::exit;

/// Writes `text` to stdout. A reader that exits early, as in `| head` or `| grep -q`, is
/// no failure of the command, so a broken pipe is ignored where `print!` would panic.
pub fn print_stdout(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let written = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
    if let Err(error) = written
        && error.kind() != ErrorKind::BrokenPipe
    {
        print_stderr(&format!("seam-edge: cannot write to stdout: {error}\n"));
    }
}

/// Writes `text` to stderr, ignoring a failure: there is nowhere left to report it, and the
/// exit code still reports the outcome.
pub fn print_stderr(text: &str) {
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// Prints a JSON object and a line end on stdout.
pub fn print_object(object: &Object) {
    let mut line = json::to_string(object);
    line.push('\n');
    print_stdout(&line);
}

/// Inserts `key: value` into `object`.
// Kept out of line: every call would otherwise compile its own copy of the key and drop
// of a replaced value, which makes the binary larger.
#[inline(never)]
pub fn put(object: &mut Object, key: &str, value: Value) {
    object.insert(key.to_owned(), value);
}

fn string(text: impl Into<String>) -> Value {
    Value::String(text.into())
}

/// Prints `{"ok": true, "<key>": value}` on stdout.
pub fn print_json_success(key: &str, value: Value) {
    let mut object = Object::new();
    put(&mut object, "ok", Value::Bool(true));
    put(&mut object, key, value);
    print_object(&object);
}

/// Returns the credential as JSON, `null` when the server sent none.
pub fn credential_json(credential: Option<&AcsCredential>, show_code: bool) -> Value {
    credential.map_or(Value::Null, |credential| {
        credential.to_json_value(show_code)
    })
}

pub fn workspace_json(workspace: &Workspace) -> Value {
    let mut object = Object::new();
    put(&mut object, "workspace_id", string(&workspace.workspace_id));
    if let Some(name) = &workspace.name {
        put(&mut object, "name", string(name));
    }
    if let Some(company) = &workspace.company_name {
        put(&mut object, "company_name", string(company));
    }
    if let Some(sandbox) = workspace.is_sandbox {
        put(&mut object, "is_sandbox", Value::Bool(sandbox));
    }
    Value::Object(object)
}

/// Returns the credential's fields as `name: value` lines, the PIN masked unless
/// `show_code` is set.
pub fn credential_lines(credential: &AcsCredential, show_code: bool) -> String {
    let Value::Object(object) = credential.to_json_value(show_code) else {
        return String::new();
    };
    let mut lines = String::new();
    for (key, value) in &object {
        let shown = match value {
            Value::String(text) => text.escape_debug().to_string(),
            other => json::to_string(other),
        };
        lines.push_str(&format!("{key}: {shown}\n"));
    }
    lines
}

/// Returns an error's message with its causes on one line, each cause once: a cause whose
/// text the message already contains (ureq repeats its own cause) is skipped.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}

/// Prints `{"ok": false, "error": {...}}` on stdout for `--json`.
pub fn print_json_error(error: &CliError) {
    let seam_error = match error {
        CliError::Seam(error) => Some(error),
        _ => None,
    };
    let detail = error_json(error.exit_code(), error.message(), seam_error);
    let mut object = Object::new();
    put(&mut object, "ok", Value::Bool(false));
    put(&mut object, "error", detail);
    print_object(&object);
}

/// Returns the `error` object of `--json` output: class, exit code and message, and the
/// response's status, type, request id and validation errors when `error` carries them.
pub fn error_json(code: u8, message: String, error: Option<&Error>) -> Value {
    let mut detail = Object::new();
    put(&mut detail, "class", string(exit::class_name(code)));
    put(
        &mut detail,
        "exit_code",
        Value::Number(Number::U64(u64::from(code))),
    );
    put(&mut detail, "message", string(message));
    if let Some(error) = error {
        add_response_fields(&mut detail, error);
    }
    Value::Object(detail)
}

fn add_response_fields(detail: &mut Object, error: &Error) {
    let Some(response) = error.response() else {
        return;
    };
    let status = u64::from(response.status());
    put(detail, "status", Value::Number(Number::U64(status)));
    if let Some(error_type) = response.error_type() {
        put(detail, "type", string(error_type));
    }
    if let Some(request_id) = response.request_id() {
        put(detail, "request_id", string(request_id));
    }
    if !response.validation_errors().is_empty() {
        let mut parameters = Object::new();
        for parameter in response.validation_errors() {
            let messages = parameter.messages.iter().map(string).collect();
            parameters.insert(parameter.parameter.clone(), Value::Array(messages));
        }
        put(detail, "validation_errors", Value::Object(parameters));
    }
}
