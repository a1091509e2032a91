//! Runs `seam-edge acs credentials update --batch` against the loopback fake and checks
//! every input rule, the result lines, the exit code by severity and what reached the
//! server.
//!
//! Every run clears the environment and passes `--endpoint` with the fake's loopback URL.
//! Unix only, because batch files are created with explicit permission bits.
#![cfg(all(feature = "fake-server", unix))]

mod common;

use std::ffi::OsStr;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use miniserde::json::{self, Object, Value};
use seam_edge::fake::{CannedReply, FakeCredential, FakeSeam, Fault, SEEDED_CREDENTIAL_IDS};

use common::exit::{BAD_CREDENTIALS, CONFIG, INVALID_INPUT, OK, REJECTED, TEMPORARY, USAGE};
use common::{Output, TempFile};

const FRONT: &str = SEEDED_CREDENTIAL_IDS[0];
const BACK: &str = SEEDED_CREDENTIAL_IDS[1];
const GARAGE: &str = SEEDED_CREDENTIAL_IDS[2];

/// A PIN distinctive enough that finding it in any output means it leaked.
const PIN: &str = "918273";

/// Maximum time one run may take before the test kills it.
const RUN_LIMIT: Duration = Duration::from_secs(20);

/// Maximum length of a batch line, without its line end.
const MAX_LINE_BYTES: usize = 4096;

/// Maximum size of a batch.
const MAX_BATCH_BYTES: usize = 1024 * 1024;

// ---------------------------------------------------------------------------------------
// Runner
// ---------------------------------------------------------------------------------------

impl Output {
    /// Panics when the PIN appears on stdout or stderr.
    fn assert_no_pin(&self) {
        assert!(!self.stdout.contains(PIN), "PIN on stdout\n{self}");
        assert!(!self.stderr.contains(PIN), "PIN on stderr\n{self}");
    }
}

/// One run of the binary with an empty environment apart from the fake's API key.
struct Cmd {
    command: Command,
    stdin: Option<Vec<u8>>,
    files: Vec<TempFile>,
}

impl Cmd {
    /// Starts `acs credentials update` aimed at the fake, trusting only its CA, with its
    /// API key and `--retries 0`.
    fn update(fake: &FakeSeam) -> Cmd {
        let mut command = common::seam_edge_command();
        command.env_clear().env("SEAM_API_KEY", fake.api_key());
        command.args(["acs", "credentials", "update", "--endpoint"]);
        command.arg(fake.endpoint()).args(["--retries", "0"]);
        let ca = TempFile::private("ca.pem", fake.ca_pem().as_bytes());
        command.arg("--ca-file").arg(&ca.path);
        Cmd {
            command,
            stdin: None,
            files: vec![ca],
        }
    }

    /// Starts [`Cmd::update`] with `--batch -` and `input` on standard input.
    fn batch(fake: &FakeSeam, input: &str) -> Cmd {
        Cmd::update(fake)
            .args(["--batch", "-"])
            .stdin(input.as_bytes())
    }

    fn arg(mut self, arg: impl AsRef<OsStr>) -> Cmd {
        self.command.arg(arg);
        self
    }

    fn args<I: AsRef<OsStr>>(mut self, args: impl IntoIterator<Item = I>) -> Cmd {
        self.command.args(args);
        self
    }

    fn stdin(mut self, bytes: &[u8]) -> Cmd {
        self.stdin = Some(bytes.to_vec());
        self
    }

    /// Writes `contents` to a private temporary file, kept until the run ends, and passes
    /// it as `--batch`.
    fn batch_file(mut self, contents: &[u8]) -> Cmd {
        let file = TempFile::private("batch.jsonl", contents);
        self.command.arg("--batch").arg(&file.path);
        self.files.push(file);
        self
    }

    /// Runs the binary and waits at most [`RUN_LIMIT`] for it.
    fn run(mut self) -> Output {
        let stdin = if self.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        };
        let mut child = self
            .command
            .stdin(stdin)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start seam-edge");
        if let (Some(bytes), Some(mut pipe)) = (self.stdin.take(), child.stdin.take()) {
            // A run that exits without reading standard input closes the pipe.
            let _ = pipe.write_all(&bytes);
        }
        let output = common::finish(child, RUN_LIMIT);
        drop(self.files);
        output
    }
}

fn start_fake() -> FakeSeam {
    FakeSeam::start().expect("start the fake")
}

/// Returns a batch line that sets the credential `id`'s PIN to `code`.
fn code_line(id: &str, code: &str) -> String {
    format!(r#"{{"acs_credential_id":"{id}","code":"{code}"}}"#)
}

fn stored_code(fake: &FakeSeam, id: &str) -> Option<String> {
    fake.credential(id).expect("seeded credential").code
}

/// Returns the `acs_credential_id` of every request the fake received, in order.
fn requested_ids(fake: &FakeSeam) -> Vec<String> {
    fake.requests()
        .iter()
        .map(
            |request| match json::from_str::<Value>(&request.body_text()) {
                Ok(Value::Object(body)) => string_field(&body, "acs_credential_id")
                    .unwrap_or_default()
                    .to_owned(),
                _ => String::new(),
            },
        )
        .collect()
}

/// Parses every stdout line as a JSON object.
fn json_lines(stdout: &str) -> Vec<Object> {
    stdout
        .lines()
        .map(|line| match json::from_str::<Value>(line) {
            Ok(Value::Object(object)) => object,
            _ => panic!("expected a JSON object, found {line:?}"),
        })
        .collect()
}

fn string_field<'a>(object: &'a Object, key: &str) -> Option<&'a str> {
    match object.get(key) {
        Some(Value::String(text)) => Some(text),
        _ => None,
    }
}

fn number_field(object: &Object, key: &str) -> Option<String> {
    match object.get(key) {
        Some(Value::Number(number)) => Some(number.to_string()),
        _ => None,
    }
}

fn object_field<'a>(object: &'a Object, key: &str) -> &'a Object {
    match object.get(key) {
        Some(Value::Object(inner)) => inner,
        other => panic!("expected an object at {key:?}, found {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// Valid lines
// ---------------------------------------------------------------------------------------

#[test]
fn valid_lines_sent_in_order_on_one_connection() {
    let fake = start_fake();
    let input = [
        code_line(FRONT, PIN),
        format!(r#"{{"acs_credential_id":"{BACK}","ends_at":"2031-06-01T12:00:00+02:00"}}"#),
        format!(r#"{{"code":"0007", "acs_credential_id":"{GARAGE}"}}"#),
    ]
    .join("\n");
    let out = Cmd::batch(&fake, &input).run();

    assert_eq!(out.code, Some(OK), "{out}");
    let expected =
        format!("line 1: updated {FRONT}\nline 2: updated {BACK}\nline 3: updated {GARAGE}\n");
    assert_eq!(out.stdout, expected, "{out}");
    assert_eq!(
        out.stderr, "seam-edge: batch: 3 lines, 3 sent, 0 queued, 0 invalid, 0 failed, 0 skipped\n",
        "{out}"
    );
    out.assert_no_pin();

    assert_eq!(requested_ids(&fake), [FRONT, BACK, GARAGE]);
    let connections: Vec<u64> = fake.requests().iter().map(|r| r.connection).collect();
    assert_eq!(connections, [connections[0]; 3], "not one connection");
    assert_eq!(stored_code(&fake, FRONT).as_deref(), Some(PIN));
    assert_eq!(stored_code(&fake, GARAGE).as_deref(), Some("0007"));
    let back = fake.credential(BACK).expect("seeded credential");
    let ends_at = back.ends_at.unwrap_or_default();
    assert!(
        ends_at.starts_with("2031-06-01T10:00:00"),
        "ends_at {ends_at}"
    );
}

#[test]
fn many_lines_share_one_connection() {
    let fake = start_fake();
    let ids: Vec<String> = (0..50)
        .map(|n| format!("batch-credential-{n:02}"))
        .collect();
    for id in &ids {
        fake.insert_credential(FakeCredential::new(id.as_str()));
    }
    let input: Vec<String> = ids.iter().map(|id| code_line(id, "4321")).collect();
    let out = Cmd::batch(&fake, &input.join("\n")).run();

    assert_eq!(out.code, Some(OK), "{out}");
    assert_eq!(out.stdout.lines().count(), 50, "{out}");
    assert_eq!(requested_ids(&fake), ids);
    let first = fake.requests()[0].connection;
    assert!(
        fake.requests()
            .iter()
            .all(|request| request.connection == first),
        "requests on several connections"
    );
    for id in &ids {
        assert_eq!(stored_code(&fake, id).as_deref(), Some("4321"), "{id}");
    }
}

#[test]
fn batch_file_path_works() {
    let fake = start_fake();
    let input = format!("{}\n", code_line(FRONT, PIN));
    let out = Cmd::update(&fake).batch_file(input.as_bytes()).run();

    assert_eq!(out.code, Some(OK), "{out}");
    assert_eq!(out.stdout, format!("line 1: updated {FRONT}\n"), "{out}");
    assert_eq!(stored_code(&fake, FRONT).as_deref(), Some(PIN));
}

#[test]
fn blank_lines_and_crlf_accepted() {
    let fake = start_fake();
    let input = format!(
        "\r\n{}\r\n  \t \n\n{}\r\n\r\n",
        code_line(FRONT, PIN),
        code_line(BACK, "0042")
    );
    let out = Cmd::batch(&fake, &input).run();

    assert_eq!(out.code, Some(OK), "{out}");
    let expected = format!("line 2: updated {FRONT}\nline 5: updated {BACK}\n");
    assert_eq!(out.stdout, expected, "{out}");
    assert!(out.stderr.contains(": 2 lines, 2 sent,"), "{out}");
    assert_eq!(requested_ids(&fake), [FRONT, BACK]);
    assert_eq!(stored_code(&fake, FRONT).as_deref(), Some(PIN));
}

#[test]
fn byte_order_mark_ignored() {
    let fake = start_fake();
    let input = format!("\u{feff}{}\n", code_line(FRONT, PIN));
    let out = Cmd::batch(&fake, &input).run();

    assert_eq!(out.code, Some(OK), "{out}");
    assert_eq!(out.stdout, format!("line 1: updated {FRONT}\n"), "{out}");
}

#[test]
fn empty_input_succeeds_with_nothing_sent() {
    for input in ["", "\n", " \r\n\t\n"] {
        let fake = start_fake();
        let out = Cmd::batch(&fake, input).run();

        assert_eq!(out.code, Some(OK), "{input:?}\n{out}");
        assert_eq!(out.stdout, "", "{input:?}\n{out}");
        assert_eq!(
            out.stderr,
            "seam-edge: batch: 0 lines, 0 sent, 0 queued, 0 invalid, 0 failed, 0 skipped\n",
            "{input:?}\n{out}"
        );
        assert!(fake.requests().is_empty(), "{input:?}: a request was sent");
    }
}

// ---------------------------------------------------------------------------------------
// Invalid lines
// ---------------------------------------------------------------------------------------

#[test]
fn invalid_lines_reported_with_reason() {
    let long = format!(
        r#"{{"acs_credential_id":"{FRONT}","code":"{PIN}","ends_at":"{}"}}"#,
        " ".repeat(MAX_LINE_BYTES)
    );
    let cases: [(&str, String, &str); 14] = [
        (
            "numeric code",
            format!(r#"{{"acs_credential_id":"{FRONT}","code":{PIN}}}"#),
            "code must be a JSON string, found a number; quote the PIN, as in \"0042\", \
             so leading zeros are kept",
        ),
        (
            "unknown key",
            format!(r#"{{"acs_credential_id":"{FRONT}","pin":"{PIN}"}}"#),
            "unknown key \"pin\"; the keys are acs_credential_id, code and ends_at",
        ),
        (
            "unknown key with a number",
            format!(r#"{{"acs_credential_id":"{FRONT}","pin":{PIN}}}"#),
            "unknown key \"pin\"; the keys are acs_credential_id, code and ends_at",
        ),
        (
            "duplicate key",
            format!(r#"{{"acs_credential_id":"{FRONT}","code":"{PIN}","code":"{PIN}"}}"#),
            "duplicate key \"code\"",
        ),
        (
            "duplicate key spelled with an escape",
            format!(r#"{{"acs_credential_id":"{FRONT}","code":"{PIN}","\u0063ode":"1"}}"#),
            "duplicate key \"code\"",
        ),
        (
            "malformed JSON",
            format!(r#"{{"acs_credential_id":"{FRONT}","code":"{PIN}""#),
            "invalid JSON; expected one object per line, such as \
             {\"acs_credential_id\":\"ID\",\"code\":\"1234\"}",
        ),
        (
            "trailing text",
            format!(r#"{} x"#, code_line(FRONT, PIN)),
            "invalid JSON; expected one object per line, such as \
             {\"acs_credential_id\":\"ID\",\"code\":\"1234\"}",
        ),
        (
            "array",
            format!(r#"["{FRONT}","{PIN}"]"#),
            "expected a JSON object, found an array",
        ),
        (
            "string",
            format!(r#""{PIN}""#),
            "expected a JSON object, found a string",
        ),
        (
            "missing id",
            format!(r#"{{"code":"{PIN}"}}"#),
            "missing acs_credential_id: every line needs the id of the credential to change",
        ),
        (
            "id of the wrong type",
            format!(r#"{{"acs_credential_id":7,"code":"{PIN}"}}"#),
            "acs_credential_id must be a JSON string, found a number",
        ),
        (
            "nothing to change",
            format!(r#"{{"acs_credential_id":"{FRONT}"}}"#),
            "invalid update: nothing to change; set code, ends_at or both",
        ),
        (
            "code with a letter",
            format!(r#"{{"acs_credential_id":"{FRONT}","code":"{PIN}x"}}"#),
            "invalid code: must be ASCII digits only, found 'x' at character 7 of 7",
        ),
        ("line over the cap", long, "line is longer than 4096 bytes"),
    ];
    for (case, line, reason) in cases {
        let fake = start_fake();
        let input = format!("\n{line}\n{}\n", code_line(BACK, "0042"));
        let out = Cmd::batch(&fake, &input).run();

        assert_eq!(out.code, Some(INVALID_INPUT), "{case}\n{out}");
        let expected = format!("line 2: invalid: {reason}\nline 3: updated {BACK}\n");
        assert_eq!(out.stdout, expected, "{case}\n{out}");
        assert!(out.stderr.contains("1 invalid"), "{case}\n{out}");
        out.assert_no_pin();
        assert_eq!(requested_ids(&fake), [BACK], "{case}");
        assert_eq!(stored_code(&fake, FRONT).as_deref(), Some("1234"), "{case}");
    }
}

#[test]
fn line_at_cap_accepted_with_crlf() {
    let fake = start_fake();
    let short = code_line(FRONT, PIN);
    let padded = format!("{short}{}", " ".repeat(MAX_LINE_BYTES - short.len()));
    let out = Cmd::batch(&fake, &format!("{padded}\r\n")).run();

    assert_eq!(out.code, Some(OK), "{out}");
    assert_eq!(out.stdout, format!("line 1: updated {FRONT}\n"), "{out}");
}

#[test]
fn non_utf8_line_invalid() {
    let fake = start_fake();
    let mut input = b"{\"acs_credential_id\":\"\xff\"}\n".to_vec();
    input.extend_from_slice(code_line(BACK, "0042").as_bytes());
    let out = Cmd::update(&fake)
        .args(["--batch", "-"])
        .stdin(&input)
        .run();

    assert_eq!(out.code, Some(INVALID_INPUT), "{out}");
    let expected = format!("line 1: invalid: line is not valid UTF-8\nline 2: updated {BACK}\n");
    assert_eq!(out.stdout, expected, "{out}");
}

#[test]
fn past_and_malformed_ends_at_invalid() {
    let fake = start_fake();
    let input = [
        format!(
            r#"{{"acs_credential_id":"{FRONT}","code":"{PIN}","ends_at":"2020-01-01T00:00:00Z"}}"#
        ),
        format!(r#"{{"acs_credential_id":"{FRONT}","code":"{PIN}","ends_at":"tomorrow"}}"#),
        format!(r#"{{"acs_credential_id":"{FRONT}","ends_at":"2031-02-30T00:00:00Z"}}"#),
    ]
    .join("\n");
    let out = Cmd::batch(&fake, &input).run();

    assert_eq!(out.code, Some(INVALID_INPUT), "{out}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    let past = "line 1: invalid: invalid ends_at \"2020-01-01T00:00:00Z\": must be in the \
                future, but the system clock reads ";
    assert!(lines[0].starts_with(past), "{out}");
    assert!(lines[0].ends_with("; choose a later time, or fix the clock if it is wrong"));
    assert!(
        lines[1].starts_with("line 2: invalid: invalid ends_at \"tomorrow\": "),
        "{out}"
    );
    assert!(
        lines[2].starts_with("line 3: invalid: invalid ends_at \"2031-02-30T00:00:00Z\": "),
        "{out}"
    );
    out.assert_no_pin();
    assert!(fake.requests().is_empty(), "a request was sent");
}

#[test]
fn oversized_batch_rejected_unsent() {
    let fake = start_fake();
    let line = format!("{}\n", code_line(FRONT, PIN));
    let input = line.repeat(MAX_BATCH_BYTES / line.len() + 1);
    let out = Cmd::batch(&fake, &input).run();

    assert_eq!(out.code, Some(CONFIG), "{out}");
    assert_eq!(out.stdout, "", "{out}");
    assert_eq!(
        out.stderr,
        "seam-edge: batch file \"-\" is larger than 1048576 bytes; split it into several \
         batches\n",
        "{out}"
    );
    assert!(fake.requests().is_empty(), "a request was sent");
}

#[test]
fn missing_batch_file_is_config_error() {
    let fake = start_fake();
    let missing = std::env::temp_dir().join("seam-edge-batch-no-such-file.jsonl");
    let out = Cmd::update(&fake).arg("--batch").arg(&missing).run();

    assert_eq!(out.code, Some(CONFIG), "{out}");
    let expected = format!(
        "seam-edge: cannot read batch file {:?}: ",
        missing.display()
    );
    assert!(out.stderr.starts_with(&expected), "{out}");
    assert!(fake.requests().is_empty(), "a request was sent");
}

// ---------------------------------------------------------------------------------------
// Failures and the exit code
// ---------------------------------------------------------------------------------------

/// Returns three lines that set the front, back and garage PINs.
fn three_lines() -> String {
    [
        code_line(FRONT, PIN),
        code_line(BACK, PIN),
        code_line(GARAGE, PIN),
    ]
    .join("\n")
}

#[test]
fn rejected_lines_do_not_stop_batch() {
    let fake = start_fake();
    let invalid_input = r#"{"error":{"type":"invalid_input","message":"bad ends_at"},"ok":false}"#;
    fake.reply_next(CannedReply::json(200, "{}"));
    fake.reply_next(CannedReply::new(404));
    fake.reply_next(CannedReply::json(400, invalid_input));
    let input = format!("{}\n{}", three_lines(), code_line("no-such-id", PIN));
    let out = Cmd::batch(&fake, &input).run();

    // Invalid input (65) ranks above rejected (69).
    assert_eq!(out.code, Some(INVALID_INPUT), "{out}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    assert_eq!(lines[0], format!("line 1: updated {FRONT}"));
    assert!(
        lines[1].starts_with(&format!("line 2: failed {BACK}: ")),
        "{out}"
    );
    assert!(lines[1].ends_with(" (rejected, exit 69)"), "{out}");
    assert!(
        lines[2].starts_with(&format!("line 3: failed {GARAGE}: ")),
        "{out}"
    );
    assert!(lines[2].contains("invalid_input"), "{out}");
    assert!(lines[2].ends_with(" (invalid_input, exit 65)"), "{out}");
    assert!(lines[3].starts_with("line 4: failed no-such-id: "), "{out}");
    assert!(lines[3].contains("acs_credential_not_found"), "{out}");
    assert_eq!(
        out.stderr, "seam-edge: batch: 4 lines, 1 sent, 0 queued, 0 invalid, 3 failed, 0 skipped\n",
        "{out}"
    );
    out.assert_no_pin();
    assert_eq!(requested_ids(&fake), [FRONT, BACK, GARAGE, "no-such-id"]);
}

#[test]
fn unauthorized_stops_batch_exit_77() {
    let fake = start_fake();
    fake.reply_next(CannedReply::json(200, "{}"));
    fake.reply_next(CannedReply::new(401));
    let input = format!("{}\n{{\"code\":\"{PIN}\"}}", three_lines());
    let out = Cmd::batch(&fake, &input).run();

    // Bad credentials (77) rank above the invalid line (65).
    assert_eq!(out.code, Some(BAD_CREDENTIALS), "{out}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    assert_eq!(lines[0], format!("line 1: updated {FRONT}"));
    assert!(lines[1].starts_with(&format!("line 2: failed {BACK}: unauthorized")));
    assert!(lines[1].ends_with(" (bad_credentials, exit 77)"), "{out}");
    let skipped = format!(
        "line 3: skipped {GARAGE}: not sent, because line 2 failed and every later update \
         would fail the same way (bad_credentials, exit 77)"
    );
    assert_eq!(lines[2], skipped, "{out}");
    assert!(lines[3].starts_with("line 4: invalid: missing acs_credential_id"));
    assert!(
        out.stderr
            .contains("1 sent, 0 queued, 1 invalid, 1 failed, 1 skipped")
    );
    out.assert_no_pin();
    assert_eq!(requested_ids(&fake), [FRONT, BACK]);
    assert_eq!(stored_code(&fake, GARAGE), None);
}

#[test]
fn outage_stops_batch_exit_75() {
    let fake = start_fake();
    fake.inject(Fault::ServiceUnavailable, 1);
    let out = Cmd::batch(&fake, &three_lines()).run();

    assert_eq!(out.code, Some(TEMPORARY), "{out}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(
        lines[0].starts_with(&format!("line 1: failed {FRONT}: ")),
        "{out}"
    );
    assert!(lines[0].ends_with(" (temporary, exit 75)"), "{out}");
    assert!(lines[1].starts_with(&format!("line 2: skipped {BACK}: not sent, because line 1")));
    assert!(lines[2].starts_with(&format!("line 3: skipped {GARAGE}: ")));
    assert_eq!(requested_ids(&fake), [FRONT]);
}

/// Returns a fresh path for a queue folder under the temporary folder; seam-edge creates
/// it with mode 0700.
fn queue_dir_path() -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!("seam-edge-batch-queue-{}-{n}", std::process::id()))
}

/// Runs `seam-edge outbox flush` against the fake with the queue folder `dir`.
fn flush(fake: &FakeSeam, dir: &std::path::Path) -> Output {
    let ca = TempFile::private("ca.pem", fake.ca_pem().as_bytes());
    let mut command = common::seam_edge_command();
    command.env_clear().env("SEAM_API_KEY", fake.api_key());
    command.args(["outbox", "flush", "--retries", "0", "--endpoint"]);
    command.arg(fake.endpoint()).arg("--ca-file").arg(&ca.path);
    command.arg("--queue-dir").arg(dir);
    Cmd {
        command,
        stdin: None,
        files: vec![ca],
    }
    .run()
}

#[test]
fn outage_with_queue_queues_rest_exit_0() {
    let fake = start_fake();
    let dir = queue_dir_path();
    fake.reply_next(CannedReply::json(200, "{}"));
    fake.reply_next(CannedReply::new(503));
    let input = [
        code_line(FRONT, "1111"),
        code_line(BACK, "2222"),
        code_line(GARAGE, "3333"),
    ]
    .join("\n");
    let out = Cmd::batch(&fake, &input).arg("--queue-dir").arg(&dir).run();

    assert_eq!(out.code, Some(OK), "{out}");
    let expected =
        format!("line 1: updated {FRONT}\nline 2: queued {BACK}\nline 3: queued {GARAGE}\n");
    assert_eq!(out.stdout, expected, "{out}");
    assert!(out.stderr.contains("1 sent, 2 queued"), "{out}");
    // Line 3 is queued without an attempt, because line 2 found the link down.
    assert_eq!(requested_ids(&fake), [FRONT, BACK]);

    fake.clear_requests();
    let flushed = flush(&fake, &dir);
    let _ = std::fs::remove_dir_all(&dir);

    assert_eq!(flushed.code, Some(OK), "{flushed}");
    assert_eq!(requested_ids(&fake), [BACK, GARAGE]);
    assert_eq!(stored_code(&fake, BACK).as_deref(), Some("2222"));
    assert_eq!(stored_code(&fake, GARAGE).as_deref(), Some("3333"));
}

#[test]
fn queued_lines_json_status_queued() {
    let fake = start_fake();
    let dir = queue_dir_path();
    fake.inject(Fault::ServiceUnavailable, 1);
    let input = [code_line(FRONT, PIN), code_line(BACK, PIN)].join("\n");
    let out = Cmd::batch(&fake, &input)
        .arg("--queue-dir")
        .arg(&dir)
        .arg("--json")
        .run();
    let _ = std::fs::remove_dir_all(&dir);

    assert_eq!(out.code, Some(OK), "{out}");
    let statuses: Vec<String> = out
        .stdout
        .lines()
        .map(|line| {
            let object: Object = json::from_str(line).expect("one JSON object a line");
            match object.get("status") {
                Some(Value::String(status)) => status.clone(),
                other => panic!("status {other:?} in {line}"),
            }
        })
        .collect();
    assert_eq!(statuses, ["queued", "queued"], "{out}");
    assert!(!out.stdout.contains(PIN), "{out}");
}

#[test]
fn invalid_line_outranks_outage() {
    let fake = start_fake();
    fake.inject(Fault::ServiceUnavailable, 1);
    let input = format!("{}\n[]", code_line(FRONT, PIN));
    let out = Cmd::batch(&fake, &input).run();

    // Invalid input (65) ranks above temporary (75).
    assert_eq!(out.code, Some(INVALID_INPUT), "{out}");
    assert!(
        out.stdout
            .contains("line 2: invalid: expected a JSON object"),
        "{out}"
    );
}

#[test]
fn json_output_one_object_per_line() {
    let fake = start_fake();
    fake.reply_next(CannedReply::json(200, "{}"));
    fake.reply_next(CannedReply::new(404));
    fake.reply_next(CannedReply::new(403));
    let input = format!(
        "{}\n{{\"acs_credential_id\":\"{FRONT}\",\"code\":{PIN}}}\n{}\n",
        code_line(FRONT, PIN),
        [
            code_line(BACK, PIN),
            code_line(GARAGE, PIN),
            code_line(BACK, "1")
        ]
        .join("\n")
    );
    let out = Cmd::batch(&fake, &input).arg("--json").run();

    assert_eq!(out.code, Some(BAD_CREDENTIALS), "{out}");
    out.assert_no_pin();
    let objects = json_lines(&out.stdout);
    assert_eq!(objects.len(), 5, "{out}");
    let expected = [
        ("1", FRONT, "sent", "0"),
        ("2", FRONT, "invalid", "65"),
        ("3", BACK, "failed", "69"),
        ("4", GARAGE, "failed", "77"),
        ("5", BACK, "skipped", "77"),
    ];
    for (object, (line, id, status, code)) in objects.iter().zip(expected) {
        assert_eq!(number_field(object, "line").as_deref(), Some(line), "{out}");
        assert_eq!(string_field(object, "acs_credential_id"), Some(id), "{out}");
        assert_eq!(string_field(object, "status"), Some(status), "{out}");
        assert_eq!(
            number_field(object, "exit_code").as_deref(),
            Some(code),
            "{out}"
        );
    }
    assert!(!objects[0].contains_key("error"), "{out}");

    let invalid = object_field(&objects[1], "error");
    assert_eq!(string_field(invalid, "class"), Some("invalid_input"));
    assert_eq!(number_field(invalid, "exit_code").as_deref(), Some("65"));
    let message = string_field(invalid, "message").unwrap_or_default();
    assert!(message.starts_with("code must be a JSON string, found a number"));

    let rejected = object_field(&objects[2], "error");
    assert_eq!(string_field(rejected, "class"), Some("rejected"));
    assert_eq!(number_field(rejected, "status").as_deref(), Some("404"));
    let request_id = string_field(rejected, "request_id").unwrap_or_default();
    assert!(request_id.starts_with("req_"), "{out}");

    let forbidden = object_field(&objects[3], "error");
    assert_eq!(string_field(forbidden, "class"), Some("bad_credentials"));
    assert_eq!(number_field(forbidden, "status").as_deref(), Some("403"));

    let skipped = object_field(&objects[4], "error");
    assert_eq!(string_field(skipped, "class"), Some("bad_credentials"));
    assert!(!skipped.contains_key("status"), "{out}");
    assert!(
        out.stderr
            .contains("1 sent, 0 queued, 1 invalid, 2 failed, 1 skipped")
    );
}

#[test]
fn json_output_null_id_when_missing() {
    let fake = start_fake();
    let out = Cmd::batch(&fake, "not json\n").arg("--json").run();

    assert_eq!(out.code, Some(INVALID_INPUT), "{out}");
    let objects = json_lines(&out.stdout);
    assert_eq!(objects.len(), 1, "{out}");
    let id = objects[0].get("acs_credential_id");
    assert!(matches!(id, Some(Value::Null)), "{out}");
    assert_eq!(string_field(&objects[0], "status"), Some("invalid"));
}

#[test]
fn quiet_prints_only_failures() {
    let fake = start_fake();
    fake.reply_next(CannedReply::json(200, "{}"));
    fake.reply_next(CannedReply::new(404));
    let input = format!(
        "{}\n{{}}\n",
        [code_line(FRONT, PIN), code_line(BACK, PIN)].join("\n")
    );
    let out = Cmd::batch(&fake, &input).arg("-q").run();

    assert_eq!(out.code, Some(INVALID_INPUT), "{out}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        lines[0].starts_with(&format!("line 2: failed {BACK}: ")),
        "{out}"
    );
    assert!(lines[1].starts_with("line 3: invalid: missing acs_credential_id"));
    assert_eq!(out.stderr, "", "{out}");
}

#[test]
fn quiet_success_prints_nothing() {
    let fake = start_fake();
    let out = Cmd::batch(&fake, &three_lines()).arg("-q").run();

    assert_eq!(out.code, Some(OK), "{out}");
    assert_eq!(out.stdout, "", "{out}");
    assert_eq!(out.stderr, "", "{out}");
    assert_eq!(fake.requests().len(), 3);
}

#[test]
fn dry_run_sends_nothing_masks_pin() {
    let fake = start_fake();
    let input = format!(
        "{}\n{{\"acs_credential_id\":\"{BACK}\"}}\n",
        code_line(FRONT, PIN)
    );
    let out = Cmd::batch(&fake, &input).arg("--dry-run").run();

    assert_eq!(out.code, Some(INVALID_INPUT), "{out}");
    let url = format!("{}/acs/credentials/update", fake.endpoint());
    let expected = format!(
        "line 1: valid {FRONT}, would send PATCH {url} \
         {{\"acs_credential_id\":\"{FRONT}\",\"code\":\"******\"}}\n\
         line 2: invalid: invalid update: nothing to change; set code, ends_at or both\n"
    );
    assert_eq!(out.stdout, expected, "{out}");
    assert_eq!(
        out.stderr, "seam-edge: batch dry run: 2 lines, 1 valid, 1 invalid; nothing sent\n",
        "{out}"
    );
    out.assert_no_pin();
    assert!(fake.requests().is_empty(), "a request was sent");
}

#[test]
fn dry_run_json_shows_requests() {
    let fake = start_fake();
    let out = Cmd::batch(&fake, &three_lines())
        .args(["--dry-run", "--json"])
        .run();

    assert_eq!(out.code, Some(OK), "{out}");
    out.assert_no_pin();
    let objects = json_lines(&out.stdout);
    assert_eq!(objects.len(), 3, "{out}");
    for (object, id) in objects.iter().zip([FRONT, BACK, GARAGE]) {
        assert_eq!(string_field(object, "status"), Some("valid"), "{out}");
        let request = object_field(object, "request");
        assert_eq!(string_field(request, "method"), Some("PATCH"));
        let body = object_field(request, "body");
        assert_eq!(string_field(body, "acs_credential_id"), Some(id));
        assert_eq!(string_field(body, "code"), Some("******"));
    }
    assert!(fake.requests().is_empty(), "a request was sent");
}

// ---------------------------------------------------------------------------------------
// Flags
// ---------------------------------------------------------------------------------------

#[test]
fn conflicting_flags_exit_64() {
    let fake = start_fake();
    let cases: [(&[&str], &str); 7] = [
        (
            &["--acs-credential-id", FRONT],
            "--batch and --acs-credential-id conflict",
        ),
        (&["--code", PIN], "--batch and --code conflict"),
        (
            &["--code-file", "/nonexistent"],
            "--batch and --code-file conflict",
        ),
        (
            &["--ends-at", "2031-01-01T00:00:00Z"],
            "--batch and --ends-at conflict",
        ),
        (&["--ends-in", "30d"], "--batch and --ends-in conflict"),
        (
            &["--api-key-file", "-"],
            "--batch - and the key or token file both read standard input",
        ),
        (
            &["--token-file", "-"],
            "--batch - and the key or token file",
        ),
    ];
    for (flags, message) in cases {
        let out = Cmd::batch(&fake, &three_lines()).args(flags).run();

        assert_eq!(out.code, Some(USAGE), "{flags:?}\n{out}");
        assert_eq!(out.stdout, "", "{flags:?}\n{out}");
        let expected = format!("seam-edge: {message}");
        assert!(out.stderr.starts_with(&expected), "{flags:?}\n{out}");
        assert!(out.stderr.contains("--help"), "{flags:?}\n{out}");
        out.assert_no_pin();
    }
    assert!(fake.requests().is_empty(), "a request was sent");
}

#[test]
fn batch_with_get_exit_64() {
    let mut command = common::seam_edge_command();
    command.env_clear();
    let out = command
        .args(["acs", "credentials", "get", "--batch", "-"])
        .args(["--endpoint", "https://127.0.0.1:9"])
        .stdin(Stdio::null())
        .output()
        .expect("run seam-edge");

    assert_eq!(out.status.code(), Some(USAGE));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("seam-edge: --batch only applies to \"acs credentials update\""),
        "{stderr}"
    );
}

#[test]
fn help_describes_batch() {
    let mut command = common::seam_edge_command();
    let out = command
        .env_clear()
        .arg("--help")
        .output()
        .expect("run seam-edge");
    let help = String::from_utf8_lossy(&out.stdout);

    assert!(help.contains("--batch FILE"), "{help}");
    assert!(help.contains("JSON Lines"), "{help}");
}

#[test]
fn rejected_line_alone_exit_69() {
    let fake = start_fake();
    let out = Cmd::batch(&fake, &code_line("no-such-id", PIN)).run();

    assert_eq!(out.code, Some(REJECTED), "{out}");
    assert!(
        out.stdout.starts_with("line 1: failed no-such-id: "),
        "{out}"
    );
    assert!(out.stdout.ends_with(" (rejected, exit 69)\n"), "{out}");
    out.assert_no_pin();
}

#[test]
fn jitter_waits_once_per_batch() {
    let fake = start_fake();
    let out = Cmd::batch(&fake, &three_lines())
        .args(["--jitter", "0.01", "-v"])
        .run();

    assert_eq!(out.code, Some(OK), "{out}");
    assert_eq!(out.stderr.matches("of jitter before").count(), 1, "{out}");
    assert_eq!(fake.requests().len(), 3);
    out.assert_no_pin();
}

#[test]
fn dry_run_skips_jitter() {
    let fake = start_fake();
    let out = Cmd::batch(&fake, &three_lines())
        .args(["--jitter", "0.01", "-v", "--dry-run"])
        .run();

    assert_eq!(out.code, Some(OK), "{out}");
    assert!(!out.stderr.contains("of jitter"), "{out}");
}
