//! Runs the built `seam-edge` binary against the loopback fake and checks its exit codes,
//! its output and what reached the server.
//!
//! Every run clears the environment and passes `--endpoint` with a loopback URL, except
//! the `SEAM_API_URL` test, which guards its run with a loopback proxy instead. Unix only,
//! because secret files are created with explicit permission bits.
#![cfg(all(feature = "fake-server", unix))]

mod common;

use std::ffi::OsStr;
use std::io::Write;
use std::net::{Ipv4Addr, TcpListener};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use miniserde::json::{self, Object, Value};
use seam_edge::fake::{CannedReply, FakeSeam, RecordedRequest, SEEDED_CREDENTIAL_IDS};

use common::exit::{BAD_CREDENTIALS, CONFIG, INVALID_INPUT, OK, REJECTED, TEMPORARY, USAGE};
use common::{Output, TempFile};

const FRONT: &str = SEEDED_CREDENTIAL_IDS[0];
const BACK: &str = SEEDED_CREDENTIAL_IDS[1];
const GARAGE: &str = SEEDED_CREDENTIAL_IDS[2];

/// A PIN distinctive enough that finding it in any output means it leaked.
const PIN: &str = "918273";

/// Maximum time one run may take before the test kills it.
const RUN_LIMIT: Duration = Duration::from_secs(20);

// ---------------------------------------------------------------------------------------
// Runner
// ---------------------------------------------------------------------------------------

/// One run of the binary with an empty environment apart from what the test sets.
struct Cmd {
    command: Command,
    stdin: Option<Vec<u8>>,
    close_stdout: bool,
    files: Vec<TempFile>,
}

impl Cmd {
    /// Starts a command line with `--endpoint endpoint`, which must be a loopback URL or a
    /// host that never resolves, and `--retries 0`, so each test makes one attempt unless it
    /// passes `--retries` again (the last value wins).
    fn new(endpoint: &str) -> Cmd {
        Cmd::without_endpoint()
            .arg("--endpoint")
            .arg(endpoint)
            .args(["--retries", "0"])
    }

    /// Starts a command line with no arguments and no environment.
    fn without_endpoint() -> Cmd {
        let mut command = common::seam_edge_command();
        command.env_clear();
        Cmd::from_command(command)
    }

    /// Wraps a command that is already set up, such as the binary under another program.
    fn from_command(command: Command) -> Cmd {
        Cmd {
            command,
            stdin: None,
            close_stdout: false,
            files: Vec::new(),
        }
    }

    fn arg(mut self, arg: impl AsRef<OsStr>) -> Cmd {
        self.command.arg(arg);
        self
    }

    fn args<I: AsRef<OsStr>>(mut self, args: impl IntoIterator<Item = I>) -> Cmd {
        self.command.args(args);
        self
    }

    fn env(mut self, name: &str, value: impl AsRef<OsStr>) -> Cmd {
        self.command.env(name, value);
        self
    }

    /// Sends `bytes` on standard input; without it standard input is empty.
    fn stdin(mut self, bytes: &[u8]) -> Cmd {
        self.stdin = Some(bytes.to_vec());
        self
    }

    /// Closes the read end of stdout right after the start, like `| true`.
    fn close_stdout(mut self) -> Cmd {
        self.close_stdout = true;
        self
    }

    /// Writes `pem` to a temporary file, kept until the run ends, and passes it as
    /// `--ca-file`.
    fn ca_pem(mut self, pem: &str) -> Cmd {
        let file = TempFile::private("ca.pem", pem.as_bytes());
        self.command.arg("--ca-file").arg(&file.path);
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
            // A run that exits without reading standard input closes the pipe, so the
            // write fails and the exit code shows what went wrong.
            let _ = pipe.write_all(&bytes);
        }
        if self.close_stdout {
            drop(child.stdout.take());
        }
        let output = common::finish(child, RUN_LIMIT);
        drop(self.files);
        output
    }
}

/// Returns a command aimed at the fake and trusting only its CA, without credentials.
fn seam_edge(fake: &FakeSeam) -> Cmd {
    Cmd::new(&fake.endpoint()).ca_pem(fake.ca_pem())
}

/// Returns [`seam_edge`] with the fake's API key in `SEAM_API_KEY`.
fn seam_edge_with_key(fake: &FakeSeam) -> Cmd {
    seam_edge(fake).env("SEAM_API_KEY", fake.api_key())
}

/// Arguments of an update that sets the front door's PIN to [`PIN`].
fn update_front_pin() -> [&'static str; 7] {
    [
        "acs",
        "credentials",
        "update",
        "--acs-credential-id",
        FRONT,
        "--code",
        PIN,
    ]
}

fn start_fake() -> FakeSeam {
    FakeSeam::start().expect("start the fake")
}

/// Returns a loopback port on which nothing listens: bound, then released.
fn closed_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind loopback");
    listener.local_addr().expect("local address").port()
}

fn stored_code(fake: &FakeSeam, id: &str) -> Option<String> {
    fake.credential(id).expect("seeded credential").code
}

/// Returns the only request the fake received.
fn only_request(fake: &FakeSeam) -> RecordedRequest {
    let requests = fake.requests();
    assert_eq!(requests.len(), 1, "requests: {requests:?}");
    requests.into_iter().next().expect("one request")
}

fn parse_object(text: &str) -> Object {
    match json::from_str::<Value>(text.trim()) {
        Ok(Value::Object(object)) => object,
        _ => panic!("expected a JSON object, found {text:?}"),
    }
}

fn object_field<'a>(object: &'a Object, key: &str) -> &'a Object {
    match object.get(key) {
        Some(Value::Object(inner)) => inner,
        other => panic!("expected an object at {key:?}, found {other:?}"),
    }
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

fn bool_field(object: &Object, key: &str) -> Option<bool> {
    match object.get(key) {
        Some(Value::Bool(flag)) => Some(*flag),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------
// Update and its output
// ---------------------------------------------------------------------------------------

#[test]
fn update_success_is_silent() {
    let fake = start_fake();
    let out = seam_edge_with_key(&fake).args(update_front_pin()).run();

    assert_eq!(out.code, Some(OK), "{out}");
    assert_eq!(out.stdout, "", "{out}");
    assert_eq!(out.stderr, "", "{out}");
    assert_eq!(stored_code(&fake, FRONT).as_deref(), Some(PIN));

    let request = only_request(&fake);
    assert_eq!(request.method, "PATCH");
    assert_eq!(request.path, "/acs/credentials/update");
    let body = parse_object(&request.body_text());
    assert_eq!(string_field(&body, "acs_credential_id"), Some(FRONT));
    assert_eq!(string_field(&body, "code"), Some(PIN));
}

#[test]
fn update_verbose_masks_pin_and_key() {
    let fake = start_fake();
    let out = seam_edge_with_key(&fake)
        .args(update_front_pin())
        .arg("-v")
        .run();

    assert_eq!(out.code, Some(OK), "{out}");
    assert_eq!(stored_code(&fake, FRONT).as_deref(), Some(PIN));
    let summary = format!("updated credential {FRONT}: code ******\n");
    assert_eq!(out.stdout, summary, "{out}");
    assert!(out.stderr.contains("seam-edge: info: "), "{out}");
    for secret in [PIN, fake.api_key()] {
        assert!(!out.stdout.contains(secret), "{secret} on stdout\n{out}");
        assert!(!out.stderr.contains(secret), "{secret} on stderr\n{out}");
    }
}

#[test]
fn update_json_masks_code() {
    let fake = start_fake();
    let out = seam_edge_with_key(&fake)
        .args(update_front_pin())
        .arg("--json")
        .run();

    assert_eq!(out.code, Some(OK), "{out}");
    assert_eq!(out.stdout.lines().count(), 1, "{out}");
    assert!(!out.stdout.contains(PIN), "{out}");
    let reply = parse_object(&out.stdout);
    assert_eq!(bool_field(&reply, "ok"), Some(true), "{out}");
    let credential = object_field(&reply, "acs_credential");
    assert_eq!(string_field(credential, "acs_credential_id"), Some(FRONT));
    assert_eq!(string_field(credential, "code"), Some("******"), "{out}");
    assert_eq!(stored_code(&fake, FRONT).as_deref(), Some(PIN));
}

#[test]
fn underscore_spellings_accepted() {
    let fake = start_fake();
    let code = TempFile::private("pin", b"5555\n");
    let out = seam_edge_with_key(&fake)
        .args(["acs", "credentials", "update", "--acs_credential_id", BACK])
        .args(["--ends_at", "2031-06-01T12:00:00+02:00", "--code_file"])
        .arg(&code.path)
        .run();

    assert_eq!(out.code, Some(OK), "{out}");
    let credential = fake.credential(BACK).expect("seeded credential");
    assert_eq!(credential.code.as_deref(), Some("5555"));
    let ends_at = credential.ends_at.unwrap_or_default();
    assert!(
        ends_at.starts_with("2031-06-01T10:00:00"),
        "ends_at {ends_at}"
    );
}

#[test]
fn code_file_trims_one_crlf_keeps_zeros() {
    let fake = start_fake();
    let code = TempFile::private("pin", b"0042\r\n");
    let out = seam_edge_with_key(&fake)
        .args(["acs", "credentials", "update", "--acs-credential-id", FRONT])
        .arg("--code-file")
        .arg(&code.path)
        .run();

    assert_eq!(out.code, Some(OK), "{out}");
    let body = parse_object(&only_request(&fake).body_text());
    assert_eq!(string_field(&body, "code"), Some("0042"));
    assert_eq!(stored_code(&fake, FRONT).as_deref(), Some("0042"));
}

#[test]
fn code_file_dash_reads_stdin() {
    let fake = start_fake();
    let out = seam_edge_with_key(&fake)
        .args(["acs", "credentials", "update", "--acs-credential-id", FRONT])
        .args(["--code-file", "-"])
        .stdin(format!("{PIN}\n").as_bytes())
        .run();

    assert_eq!(out.code, Some(OK), "{out}");
    assert_eq!(out.stderr, "", "{out}");
    assert_eq!(stored_code(&fake, FRONT).as_deref(), Some(PIN));
}

#[test]
fn code_file_bad_contents_rejected() {
    // Only one trailing newline is removed, so a second one is part of the code.
    let cases: [(&str, &[u8]); 3] = [
        ("two newlines", b"1234\n\n"),
        ("empty file", b""),
        ("only a newline", b"\n"),
    ];
    let fake = start_fake();
    for (case, contents) in cases {
        let code = TempFile::private("pin", contents);
        let out = seam_edge_with_key(&fake)
            .args(["acs", "credentials", "update", "--acs-credential-id", FRONT])
            .arg("--code-file")
            .arg(&code.path)
            .run();

        assert_eq!(out.code, Some(INVALID_INPUT), "{case}\n{out}");
        assert!(out.stderr.contains("invalid code"), "{case}\n{out}");
        assert!(fake.requests().is_empty(), "{case}: a request was sent");
    }
    assert_eq!(stored_code(&fake, FRONT).as_deref(), Some("1234"));
}

#[test]
fn code_file_missing_is_config_error() {
    let fake = start_fake();
    let code = TempFile::missing("pin");
    let out = seam_edge_with_key(&fake)
        .args(["acs", "credentials", "update", "--acs-credential-id", FRONT])
        .arg("--code-file")
        .arg(&code.path)
        .run();

    assert_eq!(out.code, Some(CONFIG), "{out}");
    assert!(out.stderr.contains("PIN code file"), "{out}");
    assert!(fake.requests().is_empty(), "a request was sent");
}

// ---------------------------------------------------------------------------------------
// Authentication
// ---------------------------------------------------------------------------------------

#[test]
fn api_key_file_flag_works() {
    let fake = start_fake();
    let key = TempFile::private("key", format!("{}\n", fake.api_key()).as_bytes());
    let out = seam_edge(&fake)
        .args(update_front_pin())
        .arg("--api-key-file")
        .arg(&key.path)
        .run();

    assert_eq!(out.code, Some(OK), "{out}");
    assert_eq!(out.stderr, "", "a private key file needs no warning\n{out}");
    let expected = format!("Bearer {}", fake.api_key());
    let request = only_request(&fake);
    assert_eq!(request.header("authorization"), Some(expected.as_str()));
}

#[test]
fn api_key_file_env_works() {
    let fake = start_fake();
    let key = TempFile::private("key", fake.api_key().as_bytes());
    let out = seam_edge(&fake)
        .args(update_front_pin())
        .env("SEAM_API_KEY_FILE", &key.path)
        .run();

    assert_eq!(out.code, Some(OK), "{out}");
    assert_eq!(out.stderr, "", "{out}");
    assert_eq!(stored_code(&fake, FRONT).as_deref(), Some(PIN));
}

#[test]
fn token_file_with_workspace_flag_works() {
    let fake = start_fake();
    let token = TempFile::private("token", fake.personal_access_token().as_bytes());
    let out = seam_edge(&fake)
        .args(update_front_pin())
        .arg("--token-file")
        .arg(&token.path)
        .args(["--workspace-id", fake.workspace_id()])
        .run();

    assert_eq!(out.code, Some(OK), "{out}");
    let request = only_request(&fake);
    let expected = format!("Bearer {}", fake.personal_access_token());
    assert_eq!(request.header("authorization"), Some(expected.as_str()));
    assert_eq!(request.header("seam-workspace"), Some(fake.workspace_id()));
}

#[test]
fn access_token_env_works() {
    let fake = start_fake();
    let out = seam_edge(&fake)
        .args(update_front_pin())
        .env("SEAM_PERSONAL_ACCESS_TOKEN", fake.personal_access_token())
        .env("SEAM_WORKSPACE_ID", fake.workspace_id())
        .run();

    assert_eq!(out.code, Some(OK), "{out}");
    assert_eq!(out.stderr, "", "{out}");
    let request = only_request(&fake);
    assert_eq!(request.header("seam-workspace"), Some(fake.workspace_id()));
}

#[test]
fn key_file_flag_beats_env_key() {
    let fake = start_fake();
    let key = TempFile::private("key", fake.api_key().as_bytes());
    let out = seam_edge(&fake)
        .args(update_front_pin())
        .env("SEAM_API_KEY", "seam_wrongkey_from_env")
        .arg("--api-key-file")
        .arg(&key.path)
        .run();

    assert_eq!(out.code, Some(OK), "{out}");
    assert_eq!(stored_code(&fake, FRONT).as_deref(), Some(PIN));
}

#[test]
fn workspace_flag_beats_env_workspace() {
    let fake = start_fake();
    let token = TempFile::private("token", fake.personal_access_token().as_bytes());
    let out = seam_edge(&fake)
        .args(update_front_pin())
        .env("SEAM_WORKSPACE_ID", "some_other_workspace")
        .arg("--token-file")
        .arg(&token.path)
        .args(["--workspace-id", fake.workspace_id()])
        .run();

    assert_eq!(out.code, Some(OK), "{out}");
    let request = only_request(&fake);
    assert_eq!(request.header("seam-workspace"), Some(fake.workspace_id()));
}

#[test]
fn auth_config_errors_send_nothing() {
    let fake = start_fake();
    let token = TempFile::private("token", fake.personal_access_token().as_bytes());
    let missing = TempFile::missing("key");
    let cases = [
        (
            "both tokens in the environment",
            seam_edge(&fake)
                .env("SEAM_API_KEY", fake.api_key())
                .env("SEAM_PERSONAL_ACCESS_TOKEN", fake.personal_access_token())
                .env("SEAM_WORKSPACE_ID", fake.workspace_id()),
        ),
        ("no credentials", seam_edge(&fake)),
        (
            "token file without a workspace",
            seam_edge(&fake).arg("--token-file").arg(&token.path),
        ),
        (
            "missing key file",
            seam_edge(&fake).arg("--api-key-file").arg(&missing.path),
        ),
        (
            "missing key file in the environment",
            seam_edge(&fake).env("SEAM_API_KEY_FILE", &missing.path),
        ),
        (
            "access token without a workspace",
            seam_edge(&fake).env("SEAM_PERSONAL_ACCESS_TOKEN", fake.personal_access_token()),
        ),
    ];
    for (case, cmd) in cases {
        let out = cmd.args(update_front_pin()).run();

        assert_eq!(out.code, Some(CONFIG), "{case}\n{out}");
        assert_eq!(out.stdout, "", "{case}\n{out}");
        assert!(out.stderr.starts_with("seam-edge: "), "{case}\n{out}");
        assert!(fake.requests().is_empty(), "{case}: a request was sent");
    }
}

#[test]
fn access_token_as_api_key_rejected() {
    let fake = start_fake();
    let token = fake.personal_access_token();
    let out = seam_edge(&fake)
        .args(update_front_pin())
        .env("SEAM_API_KEY", token)
        .arg("--json")
        .run();

    assert_eq!(out.code, Some(CONFIG), "{out}");
    assert!(out.stderr.contains("personal access token"), "{out}");
    assert!(!out.stderr.contains(token), "token on stderr\n{out}");
    assert!(!out.stdout.contains(token), "token on stdout\n{out}");
    assert!(fake.requests().is_empty(), "a request was sent");
}

#[test]
fn shared_key_file_warns_but_works() {
    let fake = start_fake();
    let key = TempFile::with_mode("key", fake.api_key().as_bytes(), 0o644);
    let out = seam_edge(&fake)
        .args(update_front_pin())
        .arg("--api-key-file")
        .arg(&key.path)
        .run();

    assert_eq!(out.code, Some(OK), "{out}");
    assert_eq!(out.stdout, "", "{out}");
    assert!(out.stderr.contains("warning"), "{out}");
    assert!(out.stderr.contains("chmod 600"), "{out}");
    assert!(!out.stderr.contains(fake.api_key()), "{out}");
    assert_eq!(stored_code(&fake, FRONT).as_deref(), Some(PIN));
}

#[test]
fn wrong_api_key_is_bad_credentials() {
    let fake = start_fake();
    let out = seam_edge(&fake)
        .args(update_front_pin())
        .env("SEAM_API_KEY", "seam_wrongkey_token")
        .run();

    assert_eq!(out.code, Some(BAD_CREDENTIALS), "{out}");
    assert!(out.stderr.contains("unauthorized"), "{out}");
    assert!(!out.stderr.contains("seam_wrongkey_token"), "{out}");
    assert_eq!(stored_code(&fake, FRONT).as_deref(), Some("1234"));
}

#[test]
fn seam_api_url_works_with_warning() {
    let fake = start_fake();
    // NOTE: this is the one run without --endpoint. The proxy variables send every host
    // but 127.0.0.1 to a closed loopback port, so if SEAM_API_URL were ignored, the
    // default endpoint would fail at that port instead of reaching the network.
    let guard_proxy = format!("http://127.0.0.1:{}", closed_port());
    let out = Cmd::without_endpoint()
        .ca_pem(fake.ca_pem())
        .args(update_front_pin())
        .env("SEAM_API_KEY", fake.api_key())
        .env("SEAM_API_URL", fake.endpoint())
        .env("https_proxy", &guard_proxy)
        .env("no_proxy", "127.0.0.1")
        .run();

    assert_eq!(out.code, Some(OK), "{out}");
    assert!(out.stderr.contains("SEAM_API_URL is deprecated"), "{out}");
    assert!(out.stderr.contains("SEAM_ENDPOINT"), "{out}");
    assert_eq!(stored_code(&fake, FRONT).as_deref(), Some(PIN));
}

// ---------------------------------------------------------------------------------------
// Invalid input
// ---------------------------------------------------------------------------------------

#[test]
fn invalid_input_sends_nothing() {
    let fake = start_fake();
    // (arguments after the credential id, text the message must contain)
    let cases: [(&[&str], &[&str]); 4] = [
        (&["--code", "12a4"], &["invalid code"]),
        (
            &["--ends-at", "2030-01-01T00:00:00"],
            &["invalid ends_at", "2030-01-01T00:00:00"],
        ),
        (
            &["--ends-at", "2020-01-01T00:00:00Z"],
            &["invalid ends_at", "2020-01-01T00:00:00", "future"],
        ),
        (
            &["--code", "1234", "--ends-at", "tomorrow"],
            &["invalid ends_at", "tomorrow"],
        ),
    ];
    for (extra, expected) in cases {
        let out = seam_edge_with_key(&fake)
            .args(["acs", "credentials", "update", "--acs-credential-id", FRONT])
            .args(extra)
            .run();

        assert_eq!(out.code, Some(INVALID_INPUT), "{extra:?}\n{out}");
        for text in expected {
            assert!(out.stderr.contains(text), "{extra:?}: no {text:?}\n{out}");
        }
        assert!(!out.stderr.contains("12a4"), "{extra:?}: PIN echoed\n{out}");
        assert!(fake.requests().is_empty(), "{extra:?}: a request was sent");
    }
}

#[test]
fn invalid_credential_id_sends_nothing() {
    let fake = start_fake();
    let out = seam_edge_with_key(&fake)
        .args([
            "acs",
            "credentials",
            "update",
            "--acs-credential-id",
            "bad id",
        ])
        .args(["--code", "1234"])
        .run();

    assert_eq!(out.code, Some(INVALID_INPUT), "{out}");
    assert!(out.stderr.contains("invalid acs_credential_id"), "{out}");
    assert!(out.stderr.contains("\"bad id\""), "{out}");
    assert!(fake.requests().is_empty(), "a request was sent");
}

#[test]
fn server_invalid_input_exits_65() {
    let fake = start_fake();
    let out = seam_edge_with_key(&fake)
        .args([
            "acs",
            "credentials",
            "update",
            "--acs-credential-id",
            GARAGE,
        ])
        .args(["--ends-at", "2031-01-01T00:00:00Z"])
        .run();

    assert_eq!(out.code, Some(INVALID_INPUT), "{out}");
    assert!(out.stderr.contains("invalid_input"), "{out}");
    assert_eq!(fake.requests().len(), 1);
    let garage = fake.credential(GARAGE).expect("seeded credential");
    assert_eq!(garage.ends_at, None);
}

#[test]
fn unknown_credential_json_error() {
    let fake = start_fake();
    let out = seam_edge_with_key(&fake)
        .args([
            "acs",
            "credentials",
            "update",
            "--acs-credential-id",
            "no-such-id",
        ])
        .args(["--code", PIN, "--json"])
        .run();

    assert_eq!(out.code, Some(REJECTED), "{out}");
    assert_eq!(out.stdout.lines().count(), 1, "{out}");
    assert!(!out.stdout.contains(PIN), "{out}");
    let reply = parse_object(&out.stdout);
    assert_eq!(bool_field(&reply, "ok"), Some(false), "{out}");
    let error = object_field(&reply, "error");
    assert_eq!(number_field(error, "exit_code").as_deref(), Some("69"));
    assert_eq!(number_field(error, "status").as_deref(), Some("404"));
    assert_eq!(
        string_field(error, "type"),
        Some("acs_credential_not_found")
    );
    let request_id = string_field(error, "request_id").unwrap_or_default();
    assert!(request_id.starts_with("req_"), "{out}");
    assert!(out.stderr.contains(request_id), "{out}");
}

// ---------------------------------------------------------------------------------------
// Replies the routes never send
// ---------------------------------------------------------------------------------------

#[test]
fn canned_replies_map_to_exit_codes() {
    let envelope_500 = r#"{"error":{"type":"internal_server_error","message":"boom"},"ok":false}"#;
    let cases = [
        ("503 empty", CannedReply::new(503), TEMPORARY),
        (
            "429 with retry-after",
            CannedReply::new(429).header("retry-after", "30"),
            TEMPORARY,
        ),
        (
            "500 envelope",
            CannedReply::json(500, envelope_500),
            TEMPORARY,
        ),
        (
            "502 html",
            CannedReply::with_body(502, "text/html", "<html>bad gateway</html>"),
            TEMPORARY,
        ),
        (
            "200 captive portal",
            CannedReply::with_body(200, "text/html", "<html>sign in to wifi</html>"),
            TEMPORARY,
        ),
        (
            "401 plain text",
            CannedReply::with_body(401, "text/plain", "no"),
            BAD_CREDENTIALS,
        ),
        ("403 empty", CannedReply::new(403), BAD_CREDENTIALS),
        ("405 empty", CannedReply::new(405), REJECTED),
        ("409 empty", CannedReply::new(409), REJECTED),
        ("501 empty", CannedReply::new(501), REJECTED),
        (
            "302 redirect",
            CannedReply::new(302).header("location", "https://127.0.0.1:9/elsewhere"),
            REJECTED,
        ),
        ("200 empty object", CannedReply::json(200, "{}"), OK),
    ];
    for (case, reply, expected) in cases {
        let fake = start_fake();
        fake.reply_next(reply);
        let out = seam_edge_with_key(&fake).args(update_front_pin()).run();

        assert_eq!(out.code, Some(expected), "{case}\n{out}");
        assert_eq!(fake.requests().len(), 1, "{case}: not exactly one request");
        assert!(!out.stderr.contains(PIN), "{case}: PIN on stderr\n{out}");
    }
}

// ---------------------------------------------------------------------------------------
// TLS and transport
// ---------------------------------------------------------------------------------------

#[test]
fn missing_ca_file_is_config_error() {
    let fake = start_fake();
    let missing = TempFile::missing("ca.pem");
    let out = Cmd::new(&fake.endpoint())
        .arg("--ca-file")
        .arg(&missing.path)
        .env("SEAM_API_KEY", fake.api_key())
        .args(update_front_pin())
        .run();

    assert_eq!(out.code, Some(CONFIG), "{out}");
    assert!(out.stderr.contains("CA file"), "{out}");
    assert!(fake.requests().is_empty(), "a request was sent");
}

#[test]
fn default_roots_reject_fake() {
    let fake = start_fake();
    let out = Cmd::new(&fake.endpoint())
        .env("SEAM_API_KEY", fake.api_key())
        .args(update_front_pin())
        .run();

    assert_eq!(out.code, Some(TEMPORARY), "{out}");
    assert!(out.stderr.contains("unknown authority"), "{out}");
    assert!(fake.requests().is_empty(), "a request got past TLS");
}

#[test]
fn expired_certificate_names_clock() {
    let day = Duration::from_secs(86_400);
    let now = SystemTime::now();
    let fake = FakeSeam::builder()
        .leaf_validity(now - 30 * day, now - day)
        .start()
        .expect("start the fake");
    let out = seam_edge_with_key(&fake).args(update_front_pin()).run();

    assert_eq!(out.code, Some(TEMPORARY), "{out}");
    assert!(out.stderr.contains("expired"), "{out}");
    assert!(out.stderr.contains("clock"), "{out}");
    assert!(fake.requests().is_empty(), "a request got past TLS");
}

#[test]
fn connection_refused_is_temporary() {
    let fake = start_fake();
    let endpoint = format!("https://127.0.0.1:{}", closed_port());
    let out = Cmd::new(&endpoint)
        .ca_pem(fake.ca_pem())
        .env("SEAM_API_KEY", fake.api_key())
        .args(update_front_pin())
        .run();

    assert_eq!(out.code, Some(TEMPORARY), "{out}");
    assert!(out.stderr.contains("could not connect"), "{out}");
}

#[test]
fn silent_server_times_out() {
    let fake = start_fake();
    // The kernel completes the TCP handshake for the backlog, but nothing ever replies.
    let silent = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind loopback");
    let endpoint = format!("https://{}", silent.local_addr().expect("address"));
    let started = Instant::now();
    let out = Cmd::new(&endpoint)
        .ca_pem(fake.ca_pem())
        .env("SEAM_API_KEY", fake.api_key())
        .args(update_front_pin())
        .args(["--timeout", "0.5"])
        .run();
    let elapsed = started.elapsed();

    assert_eq!(out.code, Some(TEMPORARY), "{out}");
    assert!(out.stderr.contains("timed out"), "{out}");
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}\n{out}");
    drop(silent);
}

#[test]
fn malformed_proxy_is_config_error() {
    let fake = start_fake();
    let out = seam_edge_with_key(&fake)
        .env("https_proxy", "ftp://127.0.0.1:1")
        .args(update_front_pin())
        .run();

    assert_eq!(out.code, Some(CONFIG), "{out}");
    assert!(out.stderr.contains("invalid proxy"), "{out}");
    assert!(out.stderr.contains("https_proxy"), "{out}");
    assert!(fake.requests().is_empty(), "a request was sent");
}

#[test]
fn no_proxy_flag_ignores_proxy_variables() {
    let fake = start_fake();
    let dead_proxy = format!("http://127.0.0.1:{}", closed_port());

    let out = seam_edge_with_key(&fake)
        .env("HTTPS_PROXY", &dead_proxy)
        .args(update_front_pin())
        .run();
    assert_eq!(out.code, Some(TEMPORARY), "proxy not used\n{out}");
    assert!(fake.requests().is_empty(), "the proxy was bypassed");

    let out = seam_edge_with_key(&fake)
        .env("HTTPS_PROXY", &dead_proxy)
        .args(update_front_pin())
        .arg("--no-proxy")
        .run();
    assert_eq!(out.code, Some(OK), "{out}");
    assert_eq!(stored_code(&fake, FRONT).as_deref(), Some(PIN));
}

#[test]
fn plain_http_to_remote_host_rejected() {
    // `.invalid` never resolves, and the check runs before any lookup.
    let out = Cmd::new("http://example.invalid")
        .env("SEAM_API_KEY", "seam_fakekey1_token")
        .args(update_front_pin())
        .run();

    assert_eq!(out.code, Some(CONFIG), "{out}");
    assert!(out.stderr.contains("plain http"), "{out}");
    assert!(out.stderr.contains("example.invalid"), "{out}");
}

// ---------------------------------------------------------------------------------------
// Usage, help and version
// ---------------------------------------------------------------------------------------

#[test]
fn usage_errors_exit_64() {
    let fake = start_fake();
    let code = TempFile::private("pin", b"1234\n");
    let code_path = code.path.to_str().expect("UTF-8 temporary path");
    let cases: [&[&str]; 9] = [
        &["acs", "credentials", "update", "--bogus"],
        &["acs", "credentials", "update", "--code", "1234"],
        &["acs", "credentials", "update", "--acs-credential-id", FRONT],
        &["acs", "credentials", "delete", "--acs-credential-id", FRONT],
        &[
            "acs",
            "credentials",
            "get",
            "--acs-credential-id",
            FRONT,
            "-x",
        ],
        &[
            "acs",
            "credentials",
            "update",
            "--acs-credential-id",
            FRONT,
            "--code",
            "1234",
            "--timeout",
            "abc",
        ],
        &[
            "acs",
            "credentials",
            "update",
            "--acs-credential-id",
            FRONT,
            "--code",
            "1234",
            "--code-file",
            code_path,
        ],
        &["auth", "check", "--code", "1234"],
        &[
            "acs",
            "credentials",
            "update",
            "--acs-credential-id",
            FRONT,
            "--api-key-file",
            "-",
            "--code-file",
            "-",
        ],
    ];
    for args in cases {
        let out = seam_edge_with_key(&fake).args(args).run();

        assert_eq!(out.code, Some(USAGE), "{args:?}\n{out}");
        assert_eq!(out.stdout, "", "{args:?}\n{out}");
        assert!(out.stderr.contains("--help"), "{args:?}\n{out}");
        assert!(fake.requests().is_empty(), "{args:?}: a request was sent");
    }
}

#[test]
fn timeout_values_rejected_exit_64() {
    let fake = start_fake();
    let values = [
        "0", "0.0", "-1", "1e3", "inf", "NaN", ".5", "5.", "1.2345", "86401", "1 0",
    ];
    for value in values {
        let out = seam_edge_with_key(&fake)
            .args(["acs", "credentials", "update", "--acs-credential-id", FRONT])
            .args(["--code", "1234", "--timeout", value])
            .run();

        assert_eq!(out.code, Some(USAGE), "--timeout {value:?}\n{out}");
        assert!(
            out.stderr
                .contains("expected seconds above 0 and at most 86400"),
            "--timeout {value:?}\n{out}"
        );
    }
    assert!(fake.requests().is_empty(), "a request was sent");
}

#[test]
fn timeout_values_accepted() {
    let fake = start_fake();
    for value in ["30", "9.5", "12.125", "86400"] {
        let out = seam_edge_with_key(&fake)
            .args(["acs", "credentials", "update", "--acs-credential-id", FRONT])
            .args(["--code", "1234", "--timeout", value])
            .run();

        assert_eq!(out.code, Some(OK), "--timeout {value:?}\n{out}");
    }
}

#[test]
fn help_lists_flags_and_exit_codes() {
    let fake = start_fake();
    let out = seam_edge(&fake).arg("--help").run();

    assert_eq!(out.code, Some(OK), "{out}");
    let flags = [
        "--acs-credential-id",
        "--code ",
        "--code-file",
        "--ends-at",
        "--show-code",
        "--endpoint",
        "--api-key-file",
        "--token-file",
        "--workspace-id",
        "--ca-file",
        "--timeout",
        "--connect-timeout",
        "--no-proxy",
        "--allow-insecure-http",
        "--json",
        "--quiet",
        "--verbose",
        "--help",
        "--version",
    ];
    for flag in flags {
        assert!(out.stdout.contains(flag), "{flag} missing\n{out}");
    }
    for code in ["64", "65", "69", "75", "77", "78"] {
        let line = format!("\n    {code} ");
        assert!(
            out.stdout.contains(&line),
            "exit code {code} missing\n{out}"
        );
    }
    assert!(fake.requests().is_empty(), "a request was sent");
}

#[test]
fn version_names_target() {
    let fake = start_fake();
    let out = seam_edge(&fake).arg("--version").run();

    assert_eq!(out.code, Some(OK), "{out}");
    let version = format!("seam-edge {}", env!("CARGO_PKG_VERSION"));
    assert!(out.stdout.starts_with(&version), "{out}");
    let target = out
        .stdout
        .lines()
        .find_map(|line| line.strip_prefix("target: "))
        .unwrap_or_default();
    assert!(target.contains(std::env::consts::ARCH), "{out}");
    assert!(target.contains(std::env::consts::OS), "{out}");
}

// ---------------------------------------------------------------------------------------
// auth check and acs credentials get
// ---------------------------------------------------------------------------------------

#[test]
fn auth_check_prints_workspace() {
    let fake = start_fake();
    let out = seam_edge_with_key(&fake).args(["auth", "check"]).run();

    assert_eq!(out.code, Some(OK), "{out}");
    assert!(out.stdout.contains(fake.workspace_id()), "{out}");
    assert!(!out.stdout.contains(fake.api_key()), "{out}");
    assert_eq!(out.stderr, "", "{out}");
}

#[test]
fn closed_stdout_is_not_an_error() {
    let fake = start_fake();
    let out = seam_edge_with_key(&fake)
        .args(["auth", "check"])
        .close_stdout()
        .run();

    assert_eq!(out.code, Some(OK), "{out}");
    assert_eq!(out.stderr, "", "{out}");
}

#[test]
fn auth_check_json_has_workspace() {
    let fake = start_fake();
    let out = seam_edge_with_key(&fake)
        .args(["auth", "check", "--json"])
        .run();

    assert_eq!(out.code, Some(OK), "{out}");
    let reply = parse_object(&out.stdout);
    assert_eq!(bool_field(&reply, "ok"), Some(true), "{out}");
    let workspace = object_field(&reply, "workspace");
    let id = string_field(workspace, "workspace_id");
    assert_eq!(id, Some(fake.workspace_id()), "{out}");
}

#[test]
fn auth_check_wrong_key_exits_77() {
    let fake = start_fake();
    let out = seam_edge(&fake)
        .env("SEAM_API_KEY", "seam_wrongkey_token")
        .args(["auth", "check"])
        .run();

    assert_eq!(out.code, Some(BAD_CREDENTIALS), "{out}");
    assert_eq!(out.stdout, "", "{out}");
}

#[test]
fn get_masks_code_by_default() {
    let fake = start_fake();
    let out = seam_edge_with_key(&fake)
        .args(["acs", "credentials", "get", "--acs-credential-id", BACK])
        .run();

    assert_eq!(out.code, Some(OK), "{out}");
    assert!(out.stdout.contains(BACK), "{out}");
    assert!(out.stdout.contains("code: ****\n"), "{out}");
    assert!(!out.stdout.contains("0042"), "{out}");
}

#[test]
fn get_show_code_prints_pin() {
    let fake = start_fake();
    let out = seam_edge_with_key(&fake)
        .args(["acs", "credentials", "get", "--acs-credential-id", BACK])
        .arg("--show-code")
        .run();

    assert_eq!(out.code, Some(OK), "{out}");
    assert!(out.stdout.contains("code: 0042\n"), "{out}");
}

// Mistakes found by trying to break the CLI.

#[test]
fn flags_without_command_exit_64() {
    let fake = start_fake();
    for args in [
        &["--acs-credential-id", FRONT, "--code", "1234"][..],
        &["-q"],
        &[],
    ] {
        let out = seam_edge_with_key(&fake).args(args).run();

        assert_eq!(out.code, Some(USAGE), "{args:?}\n{out}");
        assert!(out.stderr.contains("missing command"), "{args:?}\n{out}");
    }
    assert!(fake.requests().is_empty(), "a request was sent");
}

#[test]
fn json_usage_error_prints_json() {
    let fake = start_fake();
    let out = seam_edge_with_key(&fake)
        .args(["--json", "acs", "credentials", "update"])
        .run();

    assert_eq!(out.code, Some(USAGE), "{out}");
    let object = parse_object(&out.stdout);
    assert_eq!(bool_field(&object, "ok"), Some(false), "{out}");
    let error = object_field(&object, "error");
    assert_eq!(string_field(error, "class"), Some("usage"), "{out}");
    assert_eq!(
        number_field(error, "exit_code").as_deref(),
        Some("64"),
        "{out}"
    );
}

#[test]
fn non_utf8_code_is_not_echoed() {
    use std::os::unix::ffi::OsStrExt;

    let fake = start_fake();
    let code = OsStr::from_bytes(b"8642\xff13");
    let out = seam_edge_with_key(&fake)
        .args([
            "acs",
            "credentials",
            "update",
            "--acs-credential-id",
            FRONT,
            "--code",
        ])
        .arg(code)
        .run();

    assert_eq!(out.code, Some(USAGE), "{out}");
    assert!(
        out.stderr.contains("--code: the value is not valid UTF-8"),
        "{out}"
    );
    assert!(!out.stderr.contains("8642"), "{out}");
}

#[test]
fn code_file_fifo_or_device_rejected() {
    let fake = start_fake();
    let fifo = std::env::temp_dir().join(format!("seam-edge-fifo-{}", std::process::id()));
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success(), "mkfifo failed");

    for path in [fifo.as_os_str(), OsStr::new("/dev/zero")] {
        let out = seam_edge_with_key(&fake)
            .args(["acs", "credentials", "update", "--acs-credential-id", FRONT])
            .arg("--code-file")
            .arg(path)
            .run();

        assert_eq!(out.code, Some(CONFIG), "{path:?}\n{out}");
        assert!(
            out.stderr.contains("is not a regular file"),
            "{path:?}\n{out}"
        );
    }
    std::fs::remove_file(&fifo).expect("remove the FIFO");
    assert!(fake.requests().is_empty(), "a request was sent");
}

#[test]
fn oversized_key_file_rejected() {
    let fake = start_fake();
    let key = TempFile::private("big-key", &vec![b'a'; 70 * 1024]);
    let out = seam_edge(&fake)
        .args(["auth", "check", "--api-key-file"])
        .arg(&key.path)
        .run();

    assert_eq!(out.code, Some(CONFIG), "{out}");
    assert!(out.stderr.contains("is larger than 65536 bytes"), "{out}");
}

#[test]
fn endpoint_password_never_printed() {
    let fake = start_fake();
    let endpoint = fake
        .endpoint()
        .replace("https://", "https://user:hunter2pw@");
    let out = Cmd::new(&endpoint)
        .ca_pem(fake.ca_pem())
        .env("SEAM_API_KEY", fake.api_key())
        .args(["-v", "auth", "check"])
        .run();

    assert_eq!(out.code, Some(CONFIG), "{out}");
    assert!(!out.stdout.contains("hunter2pw"), "{out}");
    assert!(!out.stderr.contains("hunter2pw"), "{out}");
    assert!(fake.requests().is_empty(), "a request was sent");
}

#[test]
fn verbose_summary_shows_utc_ends_at() {
    let fake = start_fake();
    let out = seam_edge_with_key(&fake)
        .args([
            "-v",
            "acs",
            "credentials",
            "update",
            "--acs-credential-id",
            FRONT,
        ])
        .args(["--ends-at", "2031-01-01T05:30:00+05:30"])
        .run();

    assert_eq!(out.code, Some(OK), "{out}");
    assert!(out.stdout.contains("ends_at 2031-01-01T00:00:00Z"), "{out}");
}

// Retries, the deadline, jitter and signals.

#[test]
fn retries_recover_from_outage() {
    let fake = start_fake();
    fake.reply_next(CannedReply::new(503));
    fake.reply_next(CannedReply::new(502));
    let out = seam_edge_with_key(&fake)
        .args(update_front_pin())
        .args(["--retries", "2", "-v"])
        .run();

    assert_eq!(out.code, Some(OK), "{out}");
    assert_eq!(fake.requests().len(), 3);
    assert!(
        out.stderr
            .contains("attempt 1 of 3 failed (http 503); retrying in"),
        "{out}"
    );
    assert!(
        out.stderr
            .contains("attempt 2 of 3 failed (http 502); retrying in"),
        "{out}"
    );
    assert_eq!(stored_code(&fake, FRONT).as_deref(), Some(PIN));
}

#[test]
fn retries_exhausted_exit_75() {
    let fake = start_fake();
    for _ in 0..2 {
        fake.reply_next(CannedReply::new(503));
    }
    let out = seam_edge_with_key(&fake)
        .args(update_front_pin())
        .args(["--retries", "1"])
        .run();

    assert_eq!(out.code, Some(TEMPORARY), "{out}");
    assert_eq!(fake.requests().len(), 2);
}

#[test]
fn deadline_ends_silent_server_run() {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let holder = thread::spawn(move || {
        let mut held = Vec::new();
        listener.set_nonblocking(true).unwrap();
        let until = Instant::now() + Duration::from_secs(8);
        while Instant::now() < until {
            if let Ok((stream, _)) = listener.accept() {
                held.push(stream);
            }
            thread::sleep(Duration::from_millis(20));
        }
    });
    let started = Instant::now();
    let out = Cmd::new(&format!("https://127.0.0.1:{port}"))
        .env("SEAM_API_KEY", "seam_fakekey1_token")
        .args(update_front_pin())
        .args(["--retries", "5", "--timeout", "30", "--deadline", "2"])
        .run();

    assert_eq!(out.code, Some(TEMPORARY), "{out}");
    assert!(out.stderr.contains("timed out"), "{out}");
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );
    holder.join().unwrap();
}

#[test]
fn jitter_waits_before_first_attempt() {
    let fake = start_fake();
    let out = seam_edge_with_key(&fake)
        .args(update_front_pin())
        .args(["--jitter", "0.2", "-v"])
        .run();

    assert_eq!(out.code, Some(OK), "{out}");
    assert!(
        out.stderr.contains("of jitter before the first attempt"),
        "{out}"
    );
}

#[test]
fn past_ends_at_fails_before_jitter() {
    let fake = start_fake();
    let started = Instant::now();
    let out = seam_edge_with_key(&fake)
        .args(["acs", "credentials", "update", "--acs-credential-id", FRONT])
        .args(["--ends-at", "2020-01-01T00:00:00Z", "--jitter", "600"])
        .run();

    assert_eq!(out.code, Some(INVALID_INPUT), "{out}");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn invalid_input_fails_before_jitter() {
    let fake = start_fake();
    let started = Instant::now();
    let out = seam_edge_with_key(&fake)
        .args(["acs", "credentials", "update", "--acs-credential-id", FRONT])
        .args(["--code", "12a4", "--jitter", "600"])
        .run();

    assert_eq!(out.code, Some(INVALID_INPUT), "{out}");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn retry_flags_rejected_exit_64() {
    let fake = start_fake();
    for args in [
        ["--retries", "-1"],
        ["--retries", "21"],
        ["--deadline", "0"],
        ["--jitter", "x"],
    ] {
        let out = seam_edge_with_key(&fake)
            .args(update_front_pin())
            .args(args)
            .run();

        assert_eq!(out.code, Some(USAGE), "{args:?}\n{out}");
    }
    assert!(fake.requests().is_empty(), "a request was sent");
}

#[test]
fn sigterm_ends_run_with_signal() {
    use std::os::unix::process::ExitStatusExt;

    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut command = common::seam_edge_command();
    command
        .env_clear()
        .env("SEAM_API_KEY", "seam_fakekey1_token")
        .args(["--endpoint", &format!("https://127.0.0.1:{port}")])
        .args(update_front_pin())
        .args(["--timeout", "30"])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let child = command.spawn().expect("start seam-edge");
    let _connection = listener.accept().expect("the CLI connects");
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(killed.success());
    let status = common::finish(child, RUN_LIMIT).status;

    assert_eq!(status.signal(), Some(15), "{status:?}");
}

// Proxies, end to end through a loopback CONNECT proxy.

const PROXY_PASSWORD: &str = "proxypw-Z8k2";

/// Encodes `text` as standard base64, for the expected `proxy-authorization` value.
fn base64(text: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in text.as_bytes().chunks(3) {
        let bytes = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let number = u32::from_be_bytes([0, bytes[0], bytes[1], bytes[2]]);
        for index in 0..4 {
            if index <= chunk.len() {
                let sextet = (number >> (18 - 6 * index)) & 63;
                out.push(ALPHABET[sextet as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn https_proxy_variable_is_used() {
    let fake = start_fake();
    let proxy = common::TunnelProxy::start(fake.addr());
    let out = seam_edge_with_key(&fake)
        .env("HTTPS_PROXY", proxy.url())
        .args(update_front_pin())
        .run();

    assert_eq!(out.code, Some(OK), "{out}");
    assert_eq!(
        proxy.request_lines(),
        [format!("CONNECT {} HTTP/1.1", fake.addr())]
    );
}

#[test]
fn all_proxy_variable_is_used() {
    let fake = start_fake();
    let proxy = common::TunnelProxy::start(fake.addr());
    let out = seam_edge_with_key(&fake)
        .env("ALL_PROXY", proxy.url())
        .args(update_front_pin())
        .run();

    assert_eq!(out.code, Some(OK), "{out}");
    assert_eq!(proxy.request_lines().len(), 1);
}

#[test]
fn no_proxy_variable_bypasses_proxy() {
    let fake = start_fake();
    let proxy = common::TunnelProxy::start(fake.addr());
    let out = seam_edge_with_key(&fake)
        .env("https_proxy", proxy.url())
        .env("NO_PROXY", "example.invalid, 127.0.0.1")
        .args(update_front_pin())
        .run();

    assert_eq!(out.code, Some(OK), "{out}");
    assert!(proxy.request_lines().is_empty());
}

#[test]
fn proxy_credentials_sent_never_shown() {
    let fake = start_fake();
    let proxy = common::TunnelProxy::start(fake.addr());
    let url = format!("http://gateway:{PROXY_PASSWORD}@{}", proxy.addr);
    let out = seam_edge_with_key(&fake)
        .env("https_proxy", &url)
        .args(update_front_pin())
        .arg("-v")
        .run();

    assert_eq!(out.code, Some(OK), "{out}");
    let head = proxy.heads().concat().to_ascii_lowercase();
    let expected = format!(
        "proxy-authorization: basic {}",
        base64(&format!("gateway:{PROXY_PASSWORD}"))
    );
    assert!(head.contains(&expected.to_ascii_lowercase()), "{head}");
    assert!(!out.stdout.contains(PROXY_PASSWORD), "{out}");
    assert!(!out.stderr.contains(PROXY_PASSWORD), "{out}");
}

#[test]
fn proxy_failure_hides_password() {
    let fake = start_fake();
    let url = format!(
        "http://gateway:{PROXY_PASSWORD}@127.0.0.1:{}",
        closed_port()
    );
    let out = seam_edge_with_key(&fake)
        .env("https_proxy", &url)
        .args(update_front_pin())
        .args(["-v", "--json"])
        .run();

    assert_eq!(out.code, Some(TEMPORARY), "{out}");
    assert!(
        out.stderr
            .contains("through proxy http://gateway:***@127.0.0.1:"),
        "{out}"
    );
    assert!(!out.stdout.contains(PROXY_PASSWORD), "{out}");
    assert!(!out.stderr.contains(PROXY_PASSWORD), "{out}");
}

#[test]
fn retry_through_proxy_matches_direct() {
    let fake = start_fake();
    let proxy = common::TunnelProxy::start(fake.addr());
    fake.reply_next(CannedReply::new(503));
    let out = seam_edge_with_key(&fake)
        .env("https_proxy", proxy.url())
        .args(update_front_pin())
        .args(["--retries", "1"])
        .run();

    assert_eq!(out.code, Some(OK), "{out}");
    assert_eq!(fake.requests().len(), 2);
    assert!(!proxy.request_lines().is_empty());
}

#[test]
fn deadline_through_proxy_matches_direct() {
    let silent = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let silent_addr = silent.local_addr().unwrap();
    let holder = thread::spawn(move || {
        let mut held = Vec::new();
        silent.set_nonblocking(true).unwrap();
        let until = Instant::now() + Duration::from_secs(8);
        while Instant::now() < until {
            if let Ok((stream, _)) = silent.accept() {
                held.push(stream);
            }
            thread::sleep(Duration::from_millis(20));
        }
    });
    let proxy = common::TunnelProxy::start(silent_addr);
    let started = Instant::now();
    let out = Cmd::new(&format!("https://{silent_addr}"))
        .env("SEAM_API_KEY", "seam_fakekey1_token")
        .env("https_proxy", proxy.url())
        .args(update_front_pin())
        .args(["--retries", "3", "--deadline", "2"])
        .run();

    assert_eq!(out.code, Some(TEMPORARY), "{out}");
    assert!(out.stderr.contains("timed out"), "{out}");
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );
    holder.join().unwrap();
}

// TLS faults with certificates the tests generate.

#[test]
fn wrong_host_name_exit_75() {
    let fake = FakeSeam::builder()
        .leaf_names(vec!["other.test".to_owned()])
        .start()
        .unwrap();
    let out = seam_edge_with_key(&fake).args(update_front_pin()).run();

    assert_eq!(out.code, Some(TEMPORARY), "{out}");
    assert!(
        out.stderr
            .contains("the certificate is for another host name"),
        "{out}"
    );
    assert!(fake.requests().is_empty());
}

#[test]
fn not_yet_valid_certificate_names_clock() {
    let day = Duration::from_secs(24 * 60 * 60);
    let now = SystemTime::now();
    let fake = FakeSeam::builder()
        .leaf_validity(now + day, now + 30 * day)
        .start()
        .unwrap();
    let out = seam_edge_with_key(&fake).args(update_front_pin()).run();

    assert_eq!(out.code, Some(TEMPORARY), "{out}");
    assert!(
        out.stderr.contains("the certificate is not valid yet"),
        "{out}"
    );
    assert!(out.stderr.contains("this device's clock reads"), "{out}");
}

#[test]
fn tls12_only_server_succeeds() {
    let fake = FakeSeam::builder().tls12_only(true).start().unwrap();
    let out = seam_edge_with_key(&fake).args(update_front_pin()).run();

    assert_eq!(out.code, Some(OK), "{out}");
    assert_eq!(stored_code(&fake, FRONT).as_deref(), Some(PIN));
}

#[test]
fn sigint_ends_run_with_signal() {
    use std::os::unix::process::ExitStatusExt;

    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut command = common::seam_edge_command();
    command
        .env_clear()
        .env("SEAM_API_KEY", "seam_fakekey1_token")
        .args(["--endpoint", &format!("https://127.0.0.1:{port}")])
        .args(update_front_pin())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let child = command.spawn().expect("start seam-edge");
    let _connection = listener.accept().expect("the CLI connects");
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(sent.success());
    let status = common::finish(child, RUN_LIMIT).status;

    assert_eq!(status.signal(), Some(2), "{status:?}");
}

// Dry runs and relative end dates.

#[test]
fn dry_run_prints_request_sends_nothing() {
    let fake = start_fake();
    let out = seam_edge_with_key(&fake)
        .args(update_front_pin())
        .args(["--ends-at", "2031-01-01T05:30:00+05:30", "--dry-run"])
        .run();

    assert_eq!(out.code, Some(OK), "{out}");
    let url = format!("PATCH {}/acs/credentials/update", fake.endpoint());
    assert!(out.stdout.contains(&url), "{out}");
    let body = format!(
        "{{\"acs_credential_id\":\"{FRONT}\",\"code\":\"******\",\"ends_at\":\"2031-01-01T00:00:00Z\"}}"
    );
    assert!(out.stdout.contains(&body), "{out}");
    assert!(!out.stdout.contains(PIN), "{out}");
    assert!(fake.requests().is_empty(), "a request was sent");
}

#[test]
fn dry_run_json_shows_masked_body() {
    let fake = start_fake();
    let out = seam_edge_with_key(&fake)
        .args(update_front_pin())
        .args(["--dry-run", "--json"])
        .run();

    assert_eq!(out.code, Some(OK), "{out}");
    let object = parse_object(&out.stdout);
    assert_eq!(bool_field(&object, "dry_run"), Some(true), "{out}");
    let request = object_field(&object, "request");
    assert_eq!(string_field(request, "method"), Some("PATCH"), "{out}");
    let body = object_field(request, "body");
    assert_eq!(string_field(body, "code"), Some("******"), "{out}");
    assert!(fake.requests().is_empty(), "a request was sent");
}

#[test]
fn dry_run_still_checks_input() {
    let fake = start_fake();
    let out = seam_edge_with_key(&fake)
        .args(["acs", "credentials", "update", "--acs-credential-id", FRONT])
        .args(["--ends-at", "2020-01-01T00:00:00Z", "--dry-run"])
        .run();

    assert_eq!(out.code, Some(INVALID_INPUT), "{out}");
    assert!(out.stderr.contains("must be in the future"), "{out}");
    assert!(fake.requests().is_empty(), "a request was sent");
}

#[test]
fn ends_in_sets_ends_at_from_clock() {
    let fake = start_fake();
    let before = SystemTime::now();
    let out = seam_edge_with_key(&fake)
        .args(["acs", "credentials", "update", "--acs-credential-id", FRONT])
        .args(["--ends-in", "30d"])
        .run();
    let after = SystemTime::now();

    assert_eq!(out.code, Some(OK), "{out}");
    let stored = fake
        .credential(FRONT)
        .unwrap()
        .ends_at
        .expect("ends_at stored");
    let stored = seam_edge::Timestamp::parse(&stored)
        .unwrap()
        .to_system_time()
        .unwrap();
    let thirty_days = Duration::from_secs(30 * 86_400);
    let slack = Duration::from_secs(1);
    assert!(stored + slack >= before + thirty_days, "{stored:?}");
    assert!(stored <= after + thirty_days, "{stored:?}");
}

/// Runs the built binary under libfaketime with the clock set to 2020-01-01, or returns
/// `None` where that cannot work: without the `faketime` program, or under an emulator,
/// whose guest reads the clock through system calls that libfaketime does not see.
fn run_with_clock_in_2020(api_key: &str, args: &[&str]) -> Option<Output> {
    let faketime = ["/usr/bin/faketime", "/usr/local/bin/faketime"]
        .into_iter()
        .find(|path| std::path::Path::new(path).is_file());
    if option_env!("SEAM_EDGE_TARGET").is_some() || faketime.is_none() {
        eprintln!("skipped: needs faketime (apt-get install faketime) and a native build");
        return None;
    }
    let mut command = Command::new(faketime?);
    command
        .env_clear()
        .env("TZ", "UTC")
        .env("SEAM_API_KEY", api_key)
        .arg("2020-01-01 00:00:00")
        .arg(env!("CARGO_BIN_EXE_seam-edge"))
        .args(args);
    Some(Cmd::from_command(command).run())
}

#[test]
fn ends_in_with_unset_clock_exit_75() {
    let fake = start_fake();
    let endpoint = fake.endpoint();
    let args = [
        "acs",
        "credentials",
        "update",
        "--acs-credential-id",
        FRONT,
        "--ends-in",
        "30d",
        "--endpoint",
        &endpoint,
    ];
    let Some(out) = run_with_clock_in_2020(fake.api_key(), &args) else {
        return;
    };

    assert_eq!(out.code, Some(TEMPORARY), "{out}");
    assert!(
        out.stderr
            .contains("--ends-in needs a set clock, but the system clock reads 2020-01-01T00:00:"),
        "{out}"
    );
    assert!(
        out.stderr
            .contains("wait for NTP to set it, or give --ends-at"),
        "{out}"
    );
    assert!(fake.requests().is_empty(), "a request was sent");
}

#[test]
fn ends_in_values_rejected_exit_64() {
    let fake = start_fake();
    let cases: [&[&str]; 6] = [
        &["--ends-in", "30"],
        &["--ends-in", "d"],
        &["--ends-in", "0d"],
        &["--ends-in", "-1h"],
        &["--ends-in", "3661d"],
        &["--ends-in", "1d", "--ends-at", "2031-01-01T00:00:00Z"],
    ];
    for args in cases {
        let out = seam_edge_with_key(&fake)
            .args(["acs", "credentials", "update", "--acs-credential-id", FRONT])
            .args(args)
            .run();

        assert_eq!(out.code, Some(USAGE), "{args:?}\n{out}");
    }
    assert!(fake.requests().is_empty(), "a request was sent");
}

#[test]
fn flags_for_other_commands_exit_64() {
    let fake = start_fake();
    let queue = std::env::temp_dir().join(format!("seam-edge-cli-flags-{}", std::process::id()));
    let queue = queue.to_str().expect("a UTF-8 temporary folder").to_owned();
    let cases: [(&[&str], &str); 6] = [
        (
            &["outbox", "flush", "--dry-run", "--queue-dir", &queue],
            "--dry-run only applies to \"acs credentials update\"",
        ),
        (
            &[
                "outbox",
                "purge",
                "--queue",
                "--dry-run",
                "--queue-dir",
                &queue,
            ],
            "--dry-run only applies to \"acs credentials update\"",
        ),
        (
            &["auth", "check", "--show-code"],
            "--show-code only applies to \"acs credentials get\"",
        ),
        (
            &["auth", "check", "--dry-run"],
            "--dry-run only applies to \"acs credentials update\"",
        ),
        (
            &["doctor", "--acs-credential-id", FRONT],
            "--acs-credential-id only applies to \"acs credentials update\" and \
             \"acs credentials get\"",
        ),
        (
            &["outbox", "list", "--jitter", "5", "--queue-dir", &queue],
            "--jitter only applies to \"acs credentials update\", \"acs credentials get\", \
             \"auth check\" and \"outbox flush\"",
        ),
    ];
    for (args, message) in cases {
        let out = seam_edge_with_key(&fake).args(args).run();

        assert_eq!(out.code, Some(USAGE), "{args:?}\n{out}");
        assert!(out.stderr.contains(message), "{args:?}\n{out}");
    }
    assert!(fake.requests().is_empty(), "a request was sent");
    assert!(
        !std::path::Path::new(&queue).exists(),
        "the queue folder was created"
    );
}

#[test]
fn flush_waits_for_jitter() {
    let fake = start_fake();
    let queue = std::env::temp_dir().join(format!("seam-edge-cli-jitter-{}", std::process::id()));
    let out = seam_edge_with_key(&fake)
        .args(["outbox", "flush", "--jitter", "0.01", "-v", "--queue-dir"])
        .arg(&queue)
        .run();
    let _ = std::fs::remove_dir_all(&queue);

    assert_eq!(out.code, Some(OK), "{out}");
    assert_eq!(out.stderr.matches("of jitter before").count(), 1, "{out}");
}

#[test]
fn endpoint_port_out_of_range_exit_78() {
    for port in ["0", "65536", "99999"] {
        let endpoint = format!("https://127.0.0.1:{port}");
        let out = Cmd::new(&endpoint)
            .env("SEAM_API_KEY", "seam_testkey_1")
            .args(["acs", "credentials", "get", "--acs-credential-id", FRONT])
            .run();

        assert_eq!(out.code, Some(CONFIG), "{port}\n{out}");
        let message =
            format!("invalid endpoint \"{endpoint}\": the port must be between 1 and 65535");
        assert!(out.stderr.contains(&message), "{port}\n{out}");
    }
}

#[test]
fn empty_path_values_exit_64() {
    let fake = start_fake();
    for flag in ["--queue-dir", "--ca-file", "--api-key-file", "--batch"] {
        let out = seam_edge_with_key(&fake)
            .args(["acs", "credentials", "update", flag, ""])
            .run();

        assert_eq!(out.code, Some(USAGE), "{flag}\n{out}");
        let message = format!("{flag} needs a path, not an empty value");
        assert!(out.stderr.contains(&message), "{flag}\n{out}");
    }
}
