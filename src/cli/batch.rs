//! `acs credentials update --batch FILE`: updates read as JSON Lines, every line checked
//! before any is sent, the valid ones sent in input order through one client, whose agent
//! keeps the connection open, and one result line printed per input line.
//!
//! Each line is an object with the API's keys: `acs_credential_id` (required), `code` and
//! `ends_at`, all strings. Blank lines are skipped and print nothing; a `\r` before the
//! `\n` and a UTF-8 byte order mark at the start are ignored. Line numbers count every
//! line, blank ones included, from 1.
//!
//! Invalid lines do not stop the batch: they are reported and the valid lines are still
//! sent. A failure that every later line would repeat stops it, and the valid lines after
//! it are reported as skipped: a configuration error, rejected credentials (401, 403), or a
//! temporary failure that outlasted the client's retries and deadline. An update sets
//! absolute values, so running the same batch again later is safe, and stopping keeps a
//! run with the network down to one deadline instead of one per line.

use std::path::Path;
use std::process::ExitCode;
use std::time::SystemTime;

use miniserde::json::{self, Number, Object, Value};
use seam_edge::{Client, Delivery, Error, UpdateCredentialParams, ValidUpdate};

use super::args::{Args, Verbosity};
use super::{CliError, exit, files, output};

/// Maximum size of a batch, about 10,000 lines of 100 bytes. A larger input is rejected
/// before any line is checked, so that a device never keeps an unbounded standard input in
/// memory.
const MAX_BATCH_BYTES: u64 = 1024 * 1024;

/// Maximum length of a line, without its line end. An update with every key set takes
/// about 150 bytes.
const MAX_LINE_BYTES: usize = 4096;

/// The outcome of one input line.
pub enum LineOutcome {
    /// Valid, and not sent because of `--dry-run`.
    Checked,
    /// Sent and accepted.
    Sent,
    /// Stored in the outbox after a temporary failure, for a later run to send; counts as
    /// success.
    Queued,
    /// Not sent, because the line failed a check; the reason never contains the PIN.
    Invalid(String),
    /// Sent, or attempted, and failed.
    Failed(Error),
    /// Valid but not sent, because line `after` failed with exit code `code` in a way that
    /// every later line would repeat.
    Skipped { after: usize, code: u8 },
}

impl LineOutcome {
    /// Returns the `status` of `--json` output.
    fn status(&self) -> &'static str {
        match self {
            LineOutcome::Checked => "valid",
            LineOutcome::Sent => "sent",
            LineOutcome::Queued => "queued",
            // The clock check of `update_valid` rejects an update before sending it.
            LineOutcome::Invalid(_) | LineOutcome::Failed(Error::InvalidInput(_)) => "invalid",
            LineOutcome::Failed(_) => "failed",
            LineOutcome::Skipped { .. } => "skipped",
        }
    }

    fn exit_code(&self) -> u8 {
        match self {
            LineOutcome::Checked | LineOutcome::Sent | LineOutcome::Queued => exit::OK,
            LineOutcome::Invalid(_) => exit::INVALID_INPUT,
            LineOutcome::Failed(error) => exit::code_for(error),
            LineOutcome::Skipped { code, .. } => *code,
        }
    }

    /// Returns the error message, or `None` for a success.
    fn message(&self) -> Option<String> {
        match self {
            LineOutcome::Invalid(reason) => Some(reason.clone()),
            LineOutcome::Failed(error) => Some(output::error_chain(error)),
            LineOutcome::Skipped { after, .. } => Some(format!(
                "not sent, because line {after} failed and every later update would fail \
                 the same way"
            )),
            _ => None,
        }
    }

    /// Returns whether every later line would fail the same way, so the batch stops.
    fn stops_batch(&self) -> bool {
        let code = self.exit_code();
        matches!(self, LineOutcome::Failed(_))
            && (code == exit::CONFIG || code == exit::BAD_CREDENTIALS || code == exit::TEMPORARY)
    }
}

/// A line that failed a check: the credential id, when the line has one as a string, and
/// the reason.
struct Invalid {
    id: Option<String>,
    reason: String,
}

impl Invalid {
    fn new(reason: impl Into<String>) -> Invalid {
        Invalid {
            id: None,
            reason: reason.into(),
        }
    }
}

/// Runs a batch and returns the exit code of its most serious failure, 0 when every line
/// succeeded.
pub fn main(args: &Args) -> ExitCode {
    match run(args) {
        Ok(code) => ExitCode::from(code),
        Err(error) => super::report(&error, args.json),
    }
}

fn run(args: &Args) -> Result<u8, CliError> {
    let client = super::build_client(args)?;
    let path = args.batch.as_deref().unwrap_or(Path::new("-"));
    let lines = check_lines(&read_input(path)?, SystemTime::now());
    if !args.dry_run && lines.iter().any(|(_, line)| line.is_ok()) {
        super::wait_jitter(args);
    }

    let url = format!("{}/acs/credentials/update", client.endpoint());
    let mut stopped_by = None;
    // Once one line is queued, the link is down or another process has locked the queue,
    // so the later lines are queued at once instead of each waiting out its own timeouts.
    let mut queue_rest = false;
    let mut worst = exit::OK;
    let mut counts = [0usize; 6];
    for (number, line) in &lines {
        let (id, outcome) = match line {
            Err(invalid) => (
                invalid.id.as_deref(),
                LineOutcome::Invalid(invalid.reason.clone()),
            ),
            Ok(update) => {
                let outcome = match stopped_by {
                    _ if args.dry_run => LineOutcome::Checked,
                    Some((after, code)) => LineOutcome::Skipped { after, code },
                    None => send_line(&client, update, queue_rest),
                };
                queue_rest |= matches!(outcome, LineOutcome::Queued);
                (Some(update.acs_credential_id()), outcome)
            }
        };
        if stopped_by.is_none() && outcome.stops_batch() {
            stopped_by = Some((*number, outcome.exit_code()));
        }
        worst = exit::most_serious(worst, outcome.exit_code());
        counts[status_index(&outcome)] += 1;
        print_result(args, *number, id, &outcome, line.as_ref().ok(), &url);
    }
    if args.verbosity != Verbosity::Quiet {
        output::print_stderr(&summary(args.dry_run, lines.len(), counts));
    }
    Ok(worst)
}

/// Sends one update, or with a queue folder stores it when it cannot be sent now, and
/// returns its outcome. `queue_only` stores it without an attempt.
fn send_line(client: &Client, update: &ValidUpdate, queue_only: bool) -> LineOutcome {
    let credentials = client.acs().credentials();
    let delivery = if queue_only {
        credentials.queue(update).map(Delivery::Queued)
    } else {
        credentials.submit(update)
    };
    match delivery {
        Ok(Delivery::Queued(_)) => LineOutcome::Queued,
        Ok(_) => LineOutcome::Sent,
        Err(error) => LineOutcome::Failed(error),
    }
}

/// Reads the whole batch from `path`, or standard input for `-`, at most
/// [`MAX_BATCH_BYTES`]. Like an unreadable key or PIN file, an unreadable or oversized
/// batch is a configuration error.
fn read_input(path: &Path) -> Result<Vec<u8>, CliError> {
    let shown = path.display();
    let input = files::read_capped(path, "batch file", MAX_BATCH_BYTES)?;
    if input.len() as u64 > MAX_BATCH_BYTES {
        return Err(CliError::Config(format!(
            "batch file {shown:?} is larger than {MAX_BATCH_BYTES} bytes; split it into \
             several batches"
        )));
    }
    Ok(input)
}

/// Checks every line that is not blank, against the clock reading `now`, and returns each
/// with its line number.
///
/// NOTE: while the clock is unset, `check_future` here and again in `update_valid` log one
/// warning per line that sets `ends_at`, so a large batch repeats the same warning.
fn check_lines(input: &[u8], now: SystemTime) -> Vec<(usize, Result<ValidUpdate, Invalid>)> {
    let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    input
        .split(|byte| *byte == b'\n')
        .enumerate()
        .filter(|(_, line)| !line.trim_ascii().is_empty())
        .map(|(index, line)| (index + 1, check_line(line, now)))
        .collect()
}

fn check_line(line: &[u8], now: SystemTime) -> Result<ValidUpdate, Invalid> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.len() > MAX_LINE_BYTES {
        return Err(Invalid::new(format!(
            "line is longer than {MAX_LINE_BYTES} bytes"
        )));
    }
    let text = std::str::from_utf8(line).map_err(|_| Invalid::new("line is not valid UTF-8"))?;
    let params = parse_params(text)?;
    let checked = params
        .validate()
        .and_then(|update| update.check_future(now).map(|()| update));
    checked.map_err(|error| Invalid {
        id: Some(params.acs_credential_id.clone()),
        reason: output::error_chain(&error),
    })
}

/// Reads one line's JSON object into update parameters, rejecting unknown keys, duplicate
/// keys and values that are not strings. A `code` given as a JSON number is rejected
/// because the number would lose the PIN's leading zeros.
fn parse_params(text: &str) -> Result<UpdateCredentialParams, Invalid> {
    let value = json::from_str::<Value>(text).map_err(|_| {
        Invalid::new(
            "invalid JSON; expected one object per line, such as \
             {\"acs_credential_id\":\"ID\",\"code\":\"1234\"}",
        )
    })?;
    let Value::Object(object) = value else {
        let found = json_type(&value);
        return Err(Invalid::new(format!(
            "expected a JSON object, found {found}"
        )));
    };
    let id = match object.get("acs_credential_id") {
        Some(Value::String(id)) => Some(id.clone()),
        _ => None,
    };
    let reject = |reason: String| Invalid {
        id: id.clone(),
        reason,
    };
    if let Some(key) = duplicate_key(text) {
        return Err(reject(format!("duplicate key {key:?}")));
    }

    let mut params = UpdateCredentialParams::default();
    let mut has_id = false;
    for (key, value) in object {
        let Value::String(text) = value else {
            return Err(reject(type_error(&key, &value)));
        };
        match key.as_str() {
            "acs_credential_id" => (params.acs_credential_id, has_id) = (text, true),
            "code" => params.code = Some(text),
            "ends_at" => params.ends_at = Some(text),
            _ => return Err(reject(unknown_key(&key))),
        }
    }
    if !has_id {
        return Err(reject(
            "missing acs_credential_id: every line needs the id of the credential to change"
                .to_owned(),
        ));
    }
    Ok(params)
}

fn unknown_key(key: &str) -> String {
    format!("unknown key {key:?}; the keys are acs_credential_id, code and ends_at")
}

/// Describes a value of the wrong type without repeating it, since it may be a PIN.
fn type_error(key: &str, value: &Value) -> String {
    if !["acs_credential_id", "code", "ends_at"].contains(&key) {
        return unknown_key(key);
    }
    let hint = match (key, value) {
        ("code", Value::Number(_)) => "; quote the PIN, as in \"0042\", so leading zeros are kept",
        _ => "",
    };
    format!(
        "{key} must be a JSON string, found {}{hint}",
        json_type(value)
    )
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Returns the first key that appears twice at the top level of `text`, a JSON object that
/// already parsed. miniserde silently keeps the last value of a repeated key, so the keys are
/// found again here: a string at depth 1 right after `{` or `,` is a key.
fn duplicate_key(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut keys: Vec<String> = Vec::new();
    let mut depth = 0usize;
    let mut key_next = false;
    let mut at = 0;
    while let Some(byte) = bytes.get(at) {
        match byte {
            b'"' => {
                let end = string_end(bytes, at)?;
                if depth == 1 && key_next {
                    // Decoded, so that an escaped spelling of a key counts as the same key.
                    // Read as a `Value`, whose parser the line's parse already compiled in.
                    let Ok(Value::String(key)) = json::from_str(&text[at..=end]) else {
                        return None;
                    };
                    if keys.contains(&key) {
                        return Some(key);
                    }
                    keys.push(key);
                    key_next = false;
                }
                at = end;
            }
            b'{' | b'[' => {
                depth += 1;
                key_next = depth == 1;
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            b',' => key_next = depth == 1,
            _ => {}
        }
        at += 1;
    }
    None
}

/// Returns the index of the quote that closes the JSON string opening at `start`.
fn string_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut at = start + 1;
    loop {
        match bytes.get(at)? {
            b'\\' => at += 2,
            b'"' => return Some(at),
            _ => at += 1,
        }
    }
}

/// The statuses in the order of the summary.
const STATUSES: [&str; 6] = ["valid", "sent", "queued", "invalid", "failed", "skipped"];

fn status_index(outcome: &LineOutcome) -> usize {
    let status = outcome.status();
    STATUSES
        .iter()
        .position(|known| *known == status)
        .unwrap_or(0)
}

/// Returns the summary line printed on stderr at the end.
fn summary(dry_run: bool, total: usize, counts: [usize; 6]) -> String {
    let [valid, sent, queued, invalid, failed, skipped] = counts;
    if dry_run {
        return format!(
            "seam-edge: batch dry run: {total} lines, {valid} valid, {invalid} invalid; \
             nothing sent\n"
        );
    }
    format!(
        "seam-edge: batch: {total} lines, {sent} sent, {queued} queued, {invalid} invalid, \
         {failed} failed, {skipped} skipped\n"
    )
}

/// Prints one result line on stdout: JSON for `--json`, else text, where `-q` leaves out
/// the successes.
fn print_result(
    args: &Args,
    number: usize,
    id: Option<&str>,
    outcome: &LineOutcome,
    update: Option<&ValidUpdate>,
    url: &str,
) {
    let code = outcome.exit_code();
    let message = outcome.message();
    if args.json {
        let mut object = Object::new();
        let number = Number::U64(number as u64);
        output::put(&mut object, "line", Value::Number(number));
        let id = id.map_or(Value::Null, |id| Value::String(id.to_owned()));
        output::put(&mut object, "acs_credential_id", id);
        let status = Value::String(outcome.status().to_owned());
        output::put(&mut object, "status", status);
        let exit_code = Value::Number(Number::U64(u64::from(code)));
        output::put(&mut object, "exit_code", exit_code);
        if let Some(message) = message {
            let error = match outcome {
                LineOutcome::Failed(error) => Some(error),
                _ => None,
            };
            let error = output::error_json(code, message, error);
            output::put(&mut object, "error", error);
        }
        if let (LineOutcome::Checked, Some(update)) = (outcome, update) {
            let request = super::request_json(url.to_owned(), update);
            output::put(&mut object, "request", request);
        }
        output::print_object(&object);
        return;
    }
    if args.verbosity == Verbosity::Quiet && code == exit::OK {
        return;
    }
    let id = id.unwrap_or_default();
    let text = match (outcome, message) {
        (LineOutcome::Invalid(reason), _) => format!("invalid: {reason}"),
        (LineOutcome::Checked, _) => {
            let body = update.map(ValidUpdate::to_masked_json).unwrap_or_default();
            format!("valid {id}, would send PATCH {url} {body}")
        }
        (_, Some(message)) => format!(
            "{} {id}: {message} ({}, exit {code})",
            outcome.status(),
            exit::class_name(code)
        ),
        (LineOutcome::Queued, None) => format!("queued {id}"),
        (_, None) => format!("updated {id}"),
    };
    output::print_stdout(&format!("line {number}: {text}\n"));
}
