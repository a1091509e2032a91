//! The `outbox` commands and the output of an update that was queued.

use std::path::PathBuf;
use std::process::ExitCode;

use miniserde::json::{self, Number, Object, Value};
use seam_edge::{AcsCredential, DeadLetter, Entry, Outbox, Purge, mask_code};

use super::args::{Args, OutboxCommand, Verbosity};
use super::{CliError, exit, output};

/// Runs an `outbox` command: prints its output and returns the exit code.
pub fn run(args: &Args, command: OutboxCommand) -> ExitCode {
    let result = queue_dir(args).and_then(|dir| {
        let outbox = Outbox::open(dir)?;
        match command {
            OutboxCommand::Flush => flush(args, &outbox),
            OutboxCommand::List => list(args, &outbox),
            OutboxCommand::Requeue => {
                let count = outbox.requeue()?.len();
                done(
                    args,
                    "requeued",
                    count,
                    "dead letters moved back into the queue",
                );
                Ok(exit::OK)
            }
            OutboxCommand::Purge => {
                let which = args.purge.unwrap_or(Purge::Dead);
                let count = outbox.purge(which)?;
                done(args, "purged", count, "files removed");
                Ok(exit::OK)
            }
        }
    });
    match result {
        Ok(code) => ExitCode::from(code),
        Err(error) => super::report(&error, args.json),
    }
}

/// Returns `--queue-dir`, else `SEAM_EDGE_QUEUE_DIR`.
fn queue_dir(args: &Args) -> Result<PathBuf, CliError> {
    let from_env = std::env::var_os("SEAM_EDGE_QUEUE_DIR")
        .filter(|value| !value.to_string_lossy().trim().is_empty())
        .map(PathBuf::from);
    args.queue_dir.clone().or(from_env).ok_or_else(|| {
        CliError::Usage(
            "the outbox commands need a queue folder: pass --queue-dir DIR or set \
             SEAM_EDGE_QUEUE_DIR"
                .to_owned(),
        )
    })
}

fn number(value: u64) -> Value {
    Value::Number(Number::U64(value))
}

fn text(value: Option<&str>) -> Value {
    value.map_or(Value::Null, |text| Value::String(text.to_owned()))
}

fn print_object(object: &Object) {
    output::print_stdout(&format!("{}\n", json::to_string(object)));
}

/// Prints `{"ok": true, "<key>": count}` for `--json`, or a line unless `-q`.
fn done(args: &Args, key: &str, count: usize, what: &str) {
    if args.json {
        let mut object = Object::new();
        object.insert("ok".to_owned(), Value::Bool(true));
        object.insert(key.to_owned(), number(count as u64));
        print_object(&object);
    } else if args.verbosity != Verbosity::Quiet {
        output::print_stdout(&format!("{count} {what}\n"));
    }
}

/// Prints the success of a direct update for `--json`.
pub fn print_sent_json(credential: Option<&AcsCredential>) {
    let mut object = Object::new();
    object.insert("ok".to_owned(), Value::Bool(true));
    object.insert("status".to_owned(), text(Some("sent")));
    let credential = output::credential_json(credential, false);
    object.insert("acs_credential".to_owned(), credential);
    print_object(&object);
}

/// Reports an update stored in the outbox: JSON on stdout for `--json`, else a line on
/// stderr unless `-q`. The run still succeeds, because the update is stored.
pub fn print_queued(args: &Args, entry: &Entry) {
    if args.json {
        let mut object = Object::new();
        object.insert("ok".to_owned(), Value::Bool(true));
        object.insert("status".to_owned(), text(Some("queued")));
        object.insert("entry".to_owned(), entry_json(entry));
        print_object(&object);
    } else if args.verbosity != Verbosity::Quiet {
        output::print_stderr(&format!(
            "seam-edge: queued update {} for credential {} in {}; \
             seam-edge outbox flush sends it\n",
            entry.sequence,
            entry.update.acs_credential_id(),
            entry.path.display()
        ));
    }
}

/// Returns an entry as JSON, with the PIN code masked.
fn entry_json(entry: &Entry) -> Value {
    let update = &entry.update;
    let ends_at = update.ends_at().map(ToString::to_string);
    let mut object = Object::new();
    object.insert("sequence".to_owned(), number(entry.sequence));
    object.insert(
        "acs_credential_id".to_owned(),
        text(Some(update.acs_credential_id())),
    );
    object.insert(
        "code".to_owned(),
        text(update.code().map(mask_code).as_deref()),
    );
    object.insert("ends_at".to_owned(), text(ends_at.as_deref()));
    object.insert("endpoint".to_owned(), text(Some(&entry.endpoint)));
    object.insert(
        "workspace_id".to_owned(),
        text(entry.workspace_id.as_deref()),
    );
    object.insert(
        "path".to_owned(),
        text(Some(&entry.path.display().to_string())),
    );
    Value::Object(object)
}

fn dead_json(letter: &DeadLetter) -> Value {
    let mut error = Object::new();
    let status = letter
        .status
        .map_or(Value::Null, |status| number(status.into()));
    error.insert("status".to_owned(), status);
    error.insert("type".to_owned(), text(letter.error_type.as_deref()));
    error.insert("message".to_owned(), text(Some(&letter.message)));
    let mut value = entry_json(&letter.entry);
    if let Value::Object(object) = &mut value {
        object.insert("error".to_owned(), Value::Object(error));
    }
    value
}

/// Returns an entry as one line, with the PIN code masked.
fn entry_line(entry: &Entry) -> String {
    let update = &entry.update;
    let mut line = format!("{} {}", entry.sequence, update.acs_credential_id());
    if let Some(code) = update.code() {
        line.push_str(&format!(" code {}", mask_code(code)));
    }
    if let Some(ends_at) = update.ends_at() {
        line.push_str(&format!(" ends_at {ends_at}"));
    }
    line
}

fn list(args: &Args, outbox: &Outbox) -> Result<u8, CliError> {
    let listing = outbox.list()?;
    if args.json {
        let paths = |paths: &[PathBuf]| {
            let names = paths.iter().map(|p| text(Some(&p.display().to_string())));
            Value::Array(names.collect())
        };
        let mut object = Object::new();
        object.insert("ok".to_owned(), Value::Bool(true));
        let queued = listing.queued.iter().map(entry_json).collect();
        object.insert("queued".to_owned(), Value::Array(queued));
        let dead = listing.dead.iter().map(dead_json).collect();
        object.insert("dead_letters".to_owned(), Value::Array(dead));
        object.insert("corrupt".to_owned(), paths(&listing.corrupt));
        print_object(&object);
        return Ok(exit::OK);
    }
    let mut lines = String::new();
    for entry in &listing.queued {
        lines.push_str(&format!("queued {}\n", entry_line(entry)));
    }
    for letter in &listing.dead {
        let line = entry_line(&letter.entry);
        lines.push_str(&format!("dead {line}: {}\n", letter.message));
    }
    for path in &listing.corrupt {
        lines.push_str(&format!("corrupt {}\n", path.display()));
    }
    lines.push_str(&format!(
        "{} queued, {} dead letters, {} corrupt files in {}\n",
        listing.queued.len(),
        listing.dead.len(),
        listing.corrupt.len(),
        outbox.path().display()
    ));
    output::print_stdout(&lines);
    Ok(exit::OK)
}

/// Sends the queue and returns the most serious exit code among its outcomes: the error
/// that stopped it, 78 for entries of another endpoint or workspace, 65 for an invalid
/// entry or a corrupt file, 69 for another rejection.
fn flush(args: &Args, outbox: &Outbox) -> Result<u8, CliError> {
    let client = super::build_client(args)?;
    let report = outbox.flush(&client)?;
    let mut code = exit::OK;
    let mut problems = String::new();
    for letter in &report.dead {
        let invalid =
            letter.status.is_none() || letter.error_type.as_deref() == Some("invalid_input");
        let letter_code = if invalid {
            exit::INVALID_INPUT
        } else {
            exit::REJECTED
        };
        code = exit::most_serious(code, letter_code);
        problems.push_str(&format!(
            "seam-edge: queued update {} moved to dead letters: {}\n",
            entry_line(&letter.entry),
            letter.message
        ));
    }
    if !report.corrupt.is_empty() {
        code = exit::most_serious(code, exit::INVALID_INPUT);
    }
    for entry in &report.foreign {
        code = exit::most_serious(code, exit::CONFIG);
        problems.push_str(&format!(
            "seam-edge: queued update {} was stored for endpoint {} and workspace {}, not \
             this client's; kept unsent: flush it with that endpoint and credentials, or \
             purge the queue\n",
            entry_line(entry),
            entry.endpoint,
            entry.workspace_id.as_deref().unwrap_or("none (api key)")
        ));
    }
    let stopped = report
        .stopped
        .as_ref()
        .map(|error| output::error_chain(error));
    if let Some(error) = &report.stopped {
        code = exit::most_serious(code, exit::code_for(error));
    }
    if args.json {
        print_flush_json(&report, code, stopped.as_deref());
    }
    output::print_stderr(&problems);
    if let Some(message) = stopped {
        output::print_stderr(&format!(
            "seam-edge: flush stopped, {} entries kept: {message}\n",
            report.remaining
        ));
    } else if args.verbosity == Verbosity::Verbose && !args.json {
        output::print_stdout(&format!(
            "sent {}, dead letters {}, remaining {}\n",
            report.sent.len(),
            report.dead.len(),
            report.remaining
        ));
    }
    Ok(code)
}

fn print_flush_json(report: &seam_edge::FlushReport, code: u8, stopped: Option<&str>) {
    let mut object = Object::new();
    object.insert("ok".to_owned(), Value::Bool(code == exit::OK));
    object.insert("status".to_owned(), text(Some("flushed")));
    object.insert("sent".to_owned(), number(report.sent.len() as u64));
    object.insert("remaining".to_owned(), number(report.remaining as u64));
    let dead = report.dead.iter().map(dead_json).collect();
    object.insert("dead_letters".to_owned(), Value::Array(dead));
    let corrupt = report
        .corrupt
        .iter()
        .map(|p| text(Some(&p.display().to_string())));
    object.insert("corrupt".to_owned(), Value::Array(corrupt.collect()));
    let foreign = report.foreign.iter().map(entry_json).collect();
    object.insert("foreign".to_owned(), Value::Array(foreign));
    if code != exit::OK {
        let mut error = Object::new();
        error.insert("class".to_owned(), text(Some(exit::class_name(code))));
        error.insert("exit_code".to_owned(), number(code.into()));
        error.insert("message".to_owned(), text(stopped));
        object.insert("error".to_owned(), Value::Object(error));
    }
    print_object(&object);
}
