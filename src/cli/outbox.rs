//! The `outbox` commands and the output of an update that was queued.

use std::fmt::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use miniserde::json::{Number, Object, Value};
use seam_edge::{AcsCredential, DeadLetter, Entry, FlushReport, Outbox, Purge, mask_code};

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

/// Builds a JSON object from its members; one loop compiles smaller than many inserts.
fn object(members: Vec<(&str, Value)>) -> Object {
    let mut object = Object::new();
    for (key, value) in members {
        output::put(&mut object, key, value);
    }
    object
}

/// Prints `{"ok": true, "<key>": count}` for `--json`, or a line unless `-q`.
fn done(args: &Args, key: &str, count: usize, what: &str) {
    if args.json {
        output::print_object(&object(vec![
            ("ok", Value::Bool(true)),
            (key, number(count as u64)),
        ]));
    } else if args.verbosity != Verbosity::Quiet {
        output::print_stdout(&format!("{count} {what}\n"));
    }
}

/// Prints the success of a direct update for `--json`.
pub fn print_sent_json(credential: Option<&AcsCredential>) {
    output::print_object(&object(vec![
        ("ok", Value::Bool(true)),
        ("status", text(Some("sent"))),
        ("acs_credential", output::credential_json(credential, false)),
    ]));
}

/// Reports an update stored in the outbox: JSON on stdout for `--json`, else a line on
/// stderr unless `-q`. The run still succeeds, because the update is stored.
pub fn print_queued(args: &Args, entry: &Entry) {
    if args.json {
        output::print_object(&object(vec![
            ("ok", Value::Bool(true)),
            ("status", text(Some("queued"))),
            ("entry", Value::Object(entry_json(entry))),
        ]));
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
fn entry_json(entry: &Entry) -> Object {
    let update = &entry.update;
    let ends_at = update.ends_at().map(ToString::to_string);
    object(vec![
        ("sequence", number(entry.sequence)),
        ("acs_credential_id", text(Some(update.acs_credential_id()))),
        ("code", text(update.code().map(mask_code).as_deref())),
        ("ends_at", text(ends_at.as_deref())),
        ("endpoint", text(Some(&entry.endpoint))),
        ("workspace_id", text(entry.workspace_id.as_deref())),
        ("path", text(Some(&entry.path.display().to_string()))),
    ])
}

fn dead_json(letter: &DeadLetter) -> Value {
    let status = letter
        .status
        .map_or(Value::Null, |status| number(status.into()));
    let error = object(vec![
        ("status", status),
        ("type", text(letter.error_type.as_deref())),
        ("message", text(Some(&letter.message))),
    ]);
    let mut value = entry_json(&letter.entry);
    output::put(&mut value, "error", Value::Object(error));
    Value::Object(value)
}

/// Returns JSON strings of paths.
fn paths_json(paths: &[PathBuf]) -> Value {
    let names = paths
        .iter()
        .map(|path| text(Some(&path.display().to_string())));
    Value::Array(names.collect())
}

/// Returns an entry as one line, with the PIN code masked.
fn entry_line(entry: &Entry) -> String {
    let update = &entry.update;
    let mut line = format!("{} {}", entry.sequence, update.acs_credential_id());
    if let Some(code) = update.code() {
        let _ = write!(line, " code {}", mask_code(code));
    }
    if let Some(ends_at) = update.ends_at() {
        let _ = write!(line, " ends_at {ends_at}");
    }
    line
}

fn list(args: &Args, outbox: &Outbox) -> Result<u8, CliError> {
    let listing = outbox.list()?;
    if args.json {
        let queued = listing.queued.iter().map(|e| Value::Object(entry_json(e)));
        let dead = listing.dead.iter().map(dead_json);
        output::print_object(&object(vec![
            ("ok", Value::Bool(true)),
            ("queued", Value::Array(queued.collect())),
            ("dead_letters", Value::Array(dead.collect())),
            ("corrupt", paths_json(&listing.corrupt)),
        ]));
        return Ok(exit::OK);
    }
    let mut lines = String::new();
    for entry in &listing.queued {
        let _ = writeln!(lines, "queued {}", entry_line(entry));
    }
    for letter in &listing.dead {
        let line = entry_line(&letter.entry);
        let _ = writeln!(lines, "dead {line}: {}", letter.message);
    }
    for path in &listing.corrupt {
        let _ = writeln!(lines, "corrupt {}", path.display());
    }
    let _ = writeln!(
        lines,
        "{} queued, {} dead letters, {} corrupt files in {}",
        listing.queued.len(),
        listing.dead.len(),
        listing.corrupt.len(),
        outbox.path().display()
    );
    output::print_stdout(&lines);
    Ok(exit::OK)
}

/// Sends the queue, prints the outcome, and returns its exit code.
// Kept out of the CLI's `main`: inlined there, it made the stripped armv7 release
// binary about 4 KB larger (opt-level z, LTO, measured with rustc 1.95).
#[inline(never)]
fn flush(args: &Args, outbox: &Outbox) -> Result<u8, CliError> {
    let client = super::build_client(args)?;
    // A fleet's flush jobs share a crontab minute just as its update jobs do.
    super::wait_jitter(args);
    let report = outbox.flush(&client)?;
    let (code, problems) = flush_problems(&report);
    let stopped = report
        .stopped
        .as_ref()
        .map(|error| output::error_chain(error));
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

/// Returns the most serious exit code among a flush's outcomes, and a line for each
/// problem: the error that stopped it, 78 for entries of another endpoint or workspace,
/// 65 for an invalid entry or a corrupt file, 69 for another rejection.
fn flush_problems(report: &FlushReport) -> (u8, String) {
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
        let _ = writeln!(
            problems,
            "seam-edge: queued update {} moved to dead letters: {}",
            entry_line(&letter.entry),
            letter.message
        );
    }
    if !report.corrupt.is_empty() {
        code = exit::most_serious(code, exit::INVALID_INPUT);
    }

    for entry in &report.foreign {
        code = exit::most_serious(code, exit::CONFIG);
        let _ = writeln!(
            problems,
            "seam-edge: queued update {} was stored for endpoint {} and workspace {}, not \
             this client's; kept unsent: flush it with that endpoint and credentials, or \
             purge the queue",
            entry_line(entry),
            entry.endpoint,
            entry.workspace_id.as_deref().unwrap_or("none (api key)")
        );
    }
    if let Some(error) = &report.stopped {
        code = exit::most_serious(code, exit::code_for(error));
    }
    (code, problems)
}

fn print_flush_json(report: &FlushReport, code: u8, stopped: Option<&str>) {
    let dead = report.dead.iter().map(dead_json);
    let foreign = report.foreign.iter().map(|e| Value::Object(entry_json(e)));
    let mut members = vec![
        ("ok", Value::Bool(code == exit::OK)),
        ("status", text(Some("flushed"))),
        ("sent", number(report.sent.len() as u64)),
        ("remaining", number(report.remaining as u64)),
        ("dead_letters", Value::Array(dead.collect())),
        ("corrupt", paths_json(&report.corrupt)),
        ("foreign", Value::Array(foreign.collect())),
    ];
    if code != exit::OK {
        let error = object(vec![
            ("class", text(Some(exit::class_name(code)))),
            ("exit_code", number(code.into())),
            ("message", text(stopped)),
        ]);
        members.push(("error", Value::Object(error)));
    }
    output::print_object(&object(members));
}
