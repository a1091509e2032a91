//! Runs the built `seam-edge` binary against Seam's own fake server,
//! `@seamapi/fake-seam-connect` 1.86.0, which Node serves on 127.0.0.1.
//!
//! Each test starts its own fake with `tests/seam-fake/serve.mjs`, seeded with Seam's demo
//! data, and kills it when the test ends, panics included. The fake has no
//! `/acs/credentials/*` routes, so these tests cover authentication and the handling of
//! responses that are not Seam errors. `tests/fake_server.rs` covers the update call itself
//! against the crate's own fake.
//!
//! Needs `node` 18.12 or newer on `PATH` and `npm ci --prefix tests`. Set
//! `SEAM_EDGE_SKIP_NODE_TESTS=1` to skip these tests where Node cannot run, for example in
//! cross-compiled runs under emulation.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use miniserde::json::{self, Value};

const SKIP_VARIABLE: &str = "SEAM_EDGE_SKIP_NODE_TESTS";
const API_KEY: &str = "seam_apikey1_token";
const PERSONAL_ACCESS_TOKEN: &str = "seam_at1_longtoken";
const WORKSPACE_ID: &str = "seed_workspace_1";
const WORKSPACE_NAME: &str = "My Workspace";
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);

/// A running fake; dropping it kills the Node process.
struct SeamFake {
    child: Child,
    // Held open because `serve.mjs` exits when its standard input closes.
    _stdin: Option<ChildStdin>,
    stderr: Arc<Mutex<String>>,
    port: u16,
}

impl SeamFake {
    /// Starts a seeded fake, or returns `None` when `SEAM_EDGE_SKIP_NODE_TESTS=1`.
    ///
    /// Panics when the package is not installed, `node` is missing or the fake fails to start.
    fn start() -> Option<SeamFake> {
        if std::env::var_os(SKIP_VARIABLE).is_some_and(|value| value == "1") {
            eprintln!("note: {SKIP_VARIABLE}=1, skipping a test against Seam's fake server");
            return None;
        }
        require_package();

        let mut child = spawn_node();
        let stdout = child.stdout.take().expect("stdout is piped");
        let stderr = drain_stderr(&mut child);

        // The guard exists before the wait, so a failed start still kills Node.
        let mut fake = SeamFake {
            _stdin: child.stdin.take(),
            child,
            stderr,
            port: 0,
        };
        fake.port = fake.wait_for_port(stdout);
        Some(fake)
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Reads `listening 127.0.0.1:PORT` from the launcher, then keeps draining its stdout.
    fn wait_for_port(&self, stdout: impl Read + Send + 'static) -> u16 {
        let (sender, receiver) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(port) = line.strip_prefix("listening 127.0.0.1:") {
                    let _ = sender.send(port.parse::<u16>().ok());
                }
            }
        });

        match receiver.recv_timeout(STARTUP_TIMEOUT) {
            Ok(Some(port)) => port,
            Ok(None) => panic!("serve.mjs printed an invalid port{}", self.stderr_note()),
            Err(_) => panic!(
                "Seam's fake server did not start within {STARTUP_TIMEOUT:?}{}",
                self.stderr_note()
            ),
        }
    }

    fn stderr_note(&self) -> String {
        let stderr = self.stderr.lock().map(|s| s.clone()).unwrap_or_default();
        format!("; node stderr:\n{stderr}")
    }
}

impl Drop for SeamFake {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn tests_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests")
}

fn require_package() {
    let package = tests_dir().join("node_modules/@seamapi/fake-seam-connect");
    assert!(
        package.is_dir(),
        "{} is missing: run `npm ci --prefix tests` in the repository root \
         (needs Node.js 18.12 or newer), or set {SKIP_VARIABLE}=1 to skip these tests",
        package.display()
    );
}

/// Starts `node seam-fake/serve.mjs` in an environment that has only `PATH` and `HOME`, so
/// that no proxy variable or `NODE_OPTIONS` reaches it.
fn spawn_node() -> Child {
    let mut command = Command::new("node");
    command
        .arg("seam-fake/serve.mjs")
        .current_dir(tests_dir())
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for name in ["PATH", "HOME"] {
        if let Some(value) = std::env::var_os(name) {
            command.env(name, value);
        }
    }

    match command.spawn() {
        Ok(child) => child,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => panic!(
            "node not found on PATH: install Node.js 18.12 or newer, \
             or set {SKIP_VARIABLE}=1 to skip these tests"
        ),
        Err(error) => panic!("failed to start node: {error}"),
    }
}

/// Collects the child's stderr in the background, for failure messages.
fn drain_stderr(child: &mut Child) -> Arc<Mutex<String>> {
    let collected = Arc::new(Mutex::new(String::new()));
    let mut stderr = child.stderr.take().expect("stderr is piped");
    let sink = Arc::clone(&collected);
    thread::spawn(move || {
        let mut buffer = [0; 4096];
        while let Ok(read @ 1..) = stderr.read(&mut buffer) {
            if let Ok(mut text) = sink.lock() {
                text.push_str(&String::from_utf8_lossy(&buffer[..read]));
            }
        }
    });
    collected
}

/// Exit code and output of one CLI run.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        json::from_str(&self.stdout)
            .unwrap_or_else(|_| panic!("stdout is not JSON: {:?}", self.stdout))
    }

    fn assert_hides(&self, secret: &str) {
        assert!(!self.stdout.contains(secret), "stdout: {}", self.stdout);
        assert!(!self.stderr.contains(secret), "stderr: {}", self.stderr);
    }
}

/// Runs `seam-edge ARGS --endpoint <fake>` with only the variables in `env`.
///
/// The environment is cleared so that `SEAM_ENDPOINT`, `SEAM_API_URL` and the proxy
/// variables of the test process never reach the CLI.
fn seam_edge(fake: &SeamFake, env: &[(&str, &str)], args: &[&str]) -> Run {
    let output = common::seam_edge_command()
        .args(args)
        .args(["--endpoint", &fake.endpoint()])
        .env_clear()
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("failed to run seam-edge");
    Run {
        code: output.status.code().expect("seam-edge ended by a signal"),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Follows object keys and returns `None` when one is missing.
fn field<'a>(value: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(value, |value, key| match value {
        Value::Object(object) => object.get(*key),
        _ => None,
    })
}

fn string_at<'a>(value: &'a Value, path: &[&str]) -> &'a str {
    match field(value, path) {
        Some(Value::String(text)) => text,
        other => panic!("expected a string at {path:?}, found {other:?}"),
    }
}

fn number_at(value: &Value, path: &[&str]) -> String {
    match field(value, path) {
        Some(Value::Number(number)) => number.to_string(),
        other => panic!("expected a number at {path:?}, found {other:?}"),
    }
}

fn bool_at(value: &Value, path: &[&str]) -> bool {
    match field(value, path) {
        Some(Value::Bool(flag)) => *flag,
        other => panic!("expected a boolean at {path:?}, found {other:?}"),
    }
}

/// Sends `POST path` with a JSON body to the fake and returns the whole response.
fn post_to_fake(fake: &SeamFake, path: &str, body: &str) -> String {
    let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, fake.port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let request = format!(
        "POST {path} HTTP/1.1\r\nhost: 127.0.0.1:{}\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n{body}",
        fake.port,
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();

    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

#[test]
fn auth_check_api_key_ok() {
    let Some(fake) = SeamFake::start() else {
        return;
    };

    let run = seam_edge(&fake, &[("SEAM_API_KEY", API_KEY)], &["auth", "check"]);

    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    assert_eq!(
        run.stdout,
        format!(
            "ok: api key accepted for workspace {WORKSPACE_ID} ({WORKSPACE_NAME}) at {}\n",
            fake.endpoint()
        )
    );
    assert_eq!(run.stderr, "");
    run.assert_hides(API_KEY);
}

#[test]
fn auth_check_api_key_json_ok() {
    let Some(fake) = SeamFake::start() else {
        return;
    };

    let run = seam_edge(
        &fake,
        &[("SEAM_API_KEY", API_KEY)],
        &["auth", "check", "--json"],
    );

    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    let output = run.json();
    assert!(bool_at(&output, &["ok"]));
    assert_eq!(
        string_at(&output, &["workspace", "workspace_id"]),
        WORKSPACE_ID
    );
    assert_eq!(string_at(&output, &["workspace", "name"]), WORKSPACE_NAME);
    assert_eq!(run.stderr, "");
    run.assert_hides(API_KEY);
}

#[test]
fn auth_check_api_key_file_ok() {
    let Some(fake) = SeamFake::start() else {
        return;
    };
    let key_file = TempFile::new("api-key", &format!("{API_KEY}\n"));

    let run = seam_edge(
        &fake,
        &[],
        &["auth", "check", "--api-key-file", key_file.path_str()],
    );

    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    assert!(
        run.stdout.starts_with(&format!(
            "ok: api key accepted for workspace {WORKSPACE_ID} "
        )),
        "stdout: {}",
        run.stdout
    );
    run.assert_hides(API_KEY);
}

#[test]
fn auth_check_personal_access_token_ok() {
    let Some(fake) = SeamFake::start() else {
        return;
    };
    let env = [
        ("SEAM_PERSONAL_ACCESS_TOKEN", PERSONAL_ACCESS_TOKEN),
        ("SEAM_WORKSPACE_ID", WORKSPACE_ID),
    ];

    let run = seam_edge(&fake, &env, &["auth", "check"]);

    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    assert_eq!(
        run.stdout,
        format!(
            "ok: personal access token accepted for workspace {WORKSPACE_ID} \
             ({WORKSPACE_NAME}) at {}\n",
            fake.endpoint()
        )
    );
    assert_eq!(run.stderr, "");
    run.assert_hides(PERSONAL_ACCESS_TOKEN);
}

#[test]
fn auth_check_token_file_ok() {
    let Some(fake) = SeamFake::start() else {
        return;
    };
    let token_file = TempFile::new("token", &format!("{PERSONAL_ACCESS_TOKEN}\n"));
    let args = [
        "auth",
        "check",
        "--json",
        "--token-file",
        token_file.path_str(),
        "--workspace-id",
        WORKSPACE_ID,
    ];

    let run = seam_edge(&fake, &[], &args);

    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    let output = run.json();
    assert!(bool_at(&output, &["ok"]));
    assert_eq!(
        string_at(&output, &["workspace", "workspace_id"]),
        WORKSPACE_ID
    );
    run.assert_hides(PERSONAL_ACCESS_TOKEN);
}

// NOTE: for `GET /workspaces/get` the fake tries each auth method the route allows and
// reports the failure of the last one, a console session that needs a `seam-workspace`
// header. So an unknown API key gets 400 `missing_workspace_id`, not 401 `unauthorized`,
// which the client counts as an authentication failure, so the CLI exits 77. These tests pin
// what fake-seam-connect 1.86.0 returns.
#[test]
fn auth_check_wrong_api_key() {
    let Some(fake) = SeamFake::start() else {
        return;
    };
    let wrong_key = "seam_wrongkey_token";

    let run = seam_edge(&fake, &[("SEAM_API_KEY", wrong_key)], &["auth", "check"]);

    assert_eq!(run.code, 77, "stderr: {}", run.stderr);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr
            .starts_with("seam-edge: unauthorized (http 400, request id request"),
        "stderr: {}",
        run.stderr
    );
    assert!(
        run.stderr.ends_with(
            "): missing_workspace_id: When using user session authentication, \
             you must provide the Seam-Workspace header; check the API key, or the \
             personal access token and workspace id\n"
        ),
        "stderr: {}",
        run.stderr
    );
    run.assert_hides(wrong_key);
}

#[test]
fn auth_check_wrong_api_key_json() {
    let Some(fake) = SeamFake::start() else {
        return;
    };
    let wrong_key = "seam_wrongkey_token";

    let run = seam_edge(
        &fake,
        &[("SEAM_API_KEY", wrong_key)],
        &["auth", "check", "--json"],
    );

    assert_eq!(run.code, 77, "stderr: {}", run.stderr);
    let output = run.json();
    assert!(!bool_at(&output, &["ok"]));
    assert_eq!(number_at(&output, &["error", "status"]), "400");
    assert_eq!(number_at(&output, &["error", "exit_code"]), "77");
    assert_eq!(string_at(&output, &["error", "class"]), "bad_credentials");
    assert_eq!(
        string_at(&output, &["error", "type"]),
        "missing_workspace_id"
    );
    assert!(string_at(&output, &["error", "request_id"]).starts_with("request"));
    run.assert_hides(wrong_key);
}

#[test]
fn auth_check_token_without_workspace() {
    let Some(fake) = SeamFake::start() else {
        return;
    };
    let env = [("SEAM_PERSONAL_ACCESS_TOKEN", PERSONAL_ACCESS_TOKEN)];

    let run = seam_edge(&fake, &env, &["auth", "check"]);

    assert_eq!(run.code, 78, "stderr: {}", run.stderr);
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        "seam-edge: SEAM_PERSONAL_ACCESS_TOKEN is set without SEAM_WORKSPACE_ID; \
         set the id of the workspace the token acts in\n"
    );
    run.assert_hides(PERSONAL_ACCESS_TOKEN);

    // The fake numbers requests from `request1`, so the next request being the first shows
    // that the rejected run sent nothing.
    let probe = seam_edge(
        &fake,
        &[("SEAM_API_KEY", "seam_probe_token")],
        &["auth", "check"],
    );
    assert!(
        probe.stderr.contains("(http 400, request id request1)"),
        "stderr: {}",
        probe.stderr
    );
}

// NOTE: with a `seam-workspace` header present, the last auth method the fake tries, a
// console session, fails to decode the token as a JWT and returns 500 "jwt malformed". So a
// workspace the token is not a member of reads as a server error and the CLI exits 75 (retry
// later), where the personal access token check alone would have returned 401.
#[test]
fn auth_check_token_wrong_workspace() {
    let Some(fake) = SeamFake::start() else {
        return;
    };
    let env = [
        ("SEAM_PERSONAL_ACCESS_TOKEN", PERSONAL_ACCESS_TOKEN),
        ("SEAM_WORKSPACE_ID", "seed_workspace_404"),
    ];

    let run = seam_edge(&fake, &env, &["auth", "check", "--json"]);

    assert_eq!(run.code, 75, "stderr: {}", run.stderr);
    let output = run.json();
    assert!(!bool_at(&output, &["ok"]));
    assert_eq!(number_at(&output, &["error", "status"]), "500");
    assert_eq!(number_at(&output, &["error", "exit_code"]), "75");
    assert_eq!(string_at(&output, &["error", "class"]), "temporary");
    assert_eq!(
        string_at(&output, &["error", "type"]),
        "internal server error"
    );
    assert!(
        run.stderr
            .ends_with("): internal server error: jwt malformed\n"),
        "stderr: {}",
        run.stderr
    );
    run.assert_hides(PERSONAL_ACCESS_TOKEN);
}

#[test]
fn credentials_update_plain_404() {
    let Some(fake) = SeamFake::start() else {
        return;
    };
    let args = [
        "acs",
        "credentials",
        "update",
        "--acs-credential-id",
        "acs_credential_1",
        "--code",
        "80417",
    ];

    let run = seam_edge(&fake, &[("SEAM_API_KEY", API_KEY)], &args);

    assert_eq!(run.code, 69, "stderr: {}", run.stderr);
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        "seam-edge: unexpected http response (http 404), body: 404\n"
    );
    run.assert_hides(API_KEY);
    run.assert_hides("80417");
}

#[test]
fn credentials_update_plain_404_json() {
    let Some(fake) = SeamFake::start() else {
        return;
    };
    let args = [
        "acs",
        "credentials",
        "update",
        "--acs-credential-id",
        "acs_credential_1",
        "--code",
        "80417",
        "--json",
    ];

    let run = seam_edge(&fake, &[("SEAM_API_KEY", API_KEY)], &args);

    assert_eq!(run.code, 69, "stderr: {}", run.stderr);
    let output = run.json();
    assert!(!bool_at(&output, &["ok"]));
    assert_eq!(number_at(&output, &["error", "status"]), "404");
    assert_eq!(number_at(&output, &["error", "exit_code"]), "69");
    assert_eq!(string_at(&output, &["error", "class"]), "rejected");
    assert_eq!(
        string_at(&output, &["error", "message"]),
        "unexpected http response (http 404), body: 404"
    );
    // A plain-text body is not a Seam error, and the fake sends no `seam-request-id` here.
    assert!(field(&output, &["error", "type"]).is_none());
    assert!(field(&output, &["error", "request_id"]).is_none());
    run.assert_hides("80417");
}

#[test]
fn credentials_get_plain_404() {
    let Some(fake) = SeamFake::start() else {
        return;
    };
    let args = [
        "acs",
        "credentials",
        "get",
        "--acs-credential-id",
        "acs_credential_1",
    ];

    let run = seam_edge(&fake, &[("SEAM_API_KEY", API_KEY)], &args);

    assert_eq!(run.code, 69, "stderr: {}", run.stderr);
    assert_eq!(
        run.stderr,
        "seam-edge: unexpected http response (http 404), body: 404\n"
    );
}

#[test]
fn auth_check_workspace_outage() {
    let Some(fake) = SeamFake::start() else {
        return;
    };

    // The fake then returns 503 with an empty body on the listed routes of this workspace.
    let body = format!(r#"{{"workspace_id":"{WORKSPACE_ID}","routes":["/workspaces/get"]}}"#);
    let response = post_to_fake(&fake, "/_fake/simulate_workspace_outage", &body);
    assert!(response.starts_with("HTTP/1.1 200 "), "{response}");

    let run = seam_edge(
        &fake,
        &[("SEAM_API_KEY", API_KEY)],
        &["auth", "check", "--json"],
    );

    assert_eq!(run.code, 75, "stderr: {}", run.stderr);
    let output = run.json();
    assert_eq!(number_at(&output, &["error", "status"]), "503");
    assert_eq!(number_at(&output, &["error", "exit_code"]), "75");
    assert_eq!(string_at(&output, &["error", "class"]), "temporary");
    assert!(field(&output, &["error", "type"]).is_none());
    // The default two retries meet the outage too, so a warning line comes first.
    assert!(
        run.stderr
            .starts_with("seam-edge: warning: giving up after 3 attempts in "),
        "stderr: {}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("\nseam-edge: unexpected http response (http 503, request id request"),
        "stderr: {}",
        run.stderr
    );
    assert!(
        run.stderr.ends_with("), empty body\n"),
        "stderr: {}",
        run.stderr
    );
    run.assert_hides(API_KEY);
}

/// A file under the system temporary directory, removed on drop.
struct TempFile {
    path: PathBuf,
}

impl TempFile {
    fn new(label: &str, contents: &str) -> TempFile {
        let name = format!("seam-edge-interop-{}-{label}", std::process::id());
        let path = std::env::temp_dir().join(name);
        std::fs::write(&path, contents).unwrap();
        TempFile { path }
    }

    fn path_str(&self) -> &str {
        self.path.to_str().expect("temporary path is UTF-8")
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
