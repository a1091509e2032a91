//! Runs `seam-edge doctor` against the loopback fake and checks each check's verdict, the
//! exit code, the `--json` shape, and that no secret is printed.
//!
//! Every run clears the environment and aims at 127.0.0.1: `--endpoint` or
//! `SEAM_ENDPOINT` with the fake's URL, or a loopback port where nothing listens.
#![cfg(all(feature = "fake-server", unix))]

mod common;

use std::net::{Ipv4Addr, TcpListener};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

use miniserde::json::{self, Value};
use seam_edge::fake::FakeSeam;

use common::Output;
use common::exit::{BAD_CREDENTIALS, CONFIG, OK, STORAGE, TEMPORARY};

/// The checks in the order doctor prints them.
const CHECKS: [&str; 8] = [
    "configuration",
    "dns",
    "tcp",
    "tls",
    "proxy",
    "credentials",
    "clock",
    "outbox",
];

/// A password distinctive enough that finding it in any output means it leaked.
const PROXY_PASSWORD: &str = "pr0xy-s3cret";

/// Maximum time one run may take before the test kills it.
const RUN_LIMIT: Duration = Duration::from_secs(20);

impl Output {
    /// Returns the line of check `name`, such as `dns: ok: ...`.
    fn line(&self, name: &str) -> &str {
        let prefix = format!("{name}: ");
        self.stdout
            .lines()
            .find(|line| line.starts_with(&prefix))
            .unwrap_or_else(|| panic!("no {name} line\n{self}"))
    }

    /// Returns the verdict of check `name`.
    fn verdict(&self, name: &str) -> &str {
        self.line(name).split(": ").nth(1).unwrap_or_default()
    }

    /// Asserts that no output contains `secret`.
    fn assert_hides(&self, secret: &str) {
        assert!(!self.stdout.contains(secret), "{secret} shown\n{self}");
        assert!(!self.stderr.contains(secret), "{secret} shown\n{self}");
    }
}

/// A CA file under the temporary directory, removed when dropped.
struct CaFile {
    path: PathBuf,
}

impl CaFile {
    fn new(pem: &str) -> CaFile {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let number = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name = format!("seam-edge-doctor-{}-{number}-ca.pem", std::process::id());
        let path = std::env::temp_dir().join(name);
        std::fs::write(&path, pem).unwrap();
        CaFile { path }
    }
}

impl Drop for CaFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Returns `seam-edge doctor --endpoint <endpoint> --ca-file <ca>` with an empty
/// environment apart from `env`.
fn doctor(endpoint: &str, ca: &CaFile, env: &[(&str, &str)]) -> Command {
    let mut command = common::seam_edge_command();
    command.env_clear().envs(env.iter().copied());
    command
        .arg("doctor")
        .args(["--endpoint", endpoint, "--ca-file"])
        .arg(&ca.path);
    command
}

/// Runs the command and waits at most [`RUN_LIMIT`] for it.
fn run(command: &mut Command) -> Output {
    let child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start seam-edge");
    common::finish(child, RUN_LIMIT)
}

/// Runs doctor against `fake`, trusting its CA, with its API key in `SEAM_API_KEY` and
/// the extra arguments `args`.
fn run_against(fake: &FakeSeam, args: &[&str]) -> Output {
    let ca = CaFile::new(fake.ca_pem());
    run(doctor(&fake.endpoint(), &ca, &[("SEAM_API_KEY", fake.api_key())]).args(args))
}

fn start_fake() -> FakeSeam {
    FakeSeam::start().expect("start the fake")
}

fn skewed_fake(seconds: i64) -> FakeSeam {
    FakeSeam::builder().clock_skew(seconds).start().unwrap()
}

#[test]
fn all_checks_ok_against_fake() {
    let fake = start_fake();
    let out = run_against(&fake, &[]);

    assert_eq!(out.code, Some(OK), "{out}");
    for name in CHECKS {
        assert_eq!(out.verdict(name), "ok", "{name}\n{out}");
    }
    assert_eq!(out.stderr, "", "{out}");
    out.assert_hides(fake.api_key());
}

#[test]
fn all_checks_ok_details() {
    let fake = start_fake();
    let out = run_against(&fake, &[]);
    let addr = fake.addr();

    let tls = out.line("tls");
    assert!(
        tls.starts_with("tls: ok: handshake succeeded, roots: CA file \""),
        "{out}"
    );
    assert!(tls.ends_with("-ca.pem\" with 1 certificate"), "{out}");
    assert_eq!(
        out.line("dns"),
        "dns: ok: host 127.0.0.1 resolves to 1 address: 127.0.0.1"
    );
    assert!(
        out.line("tcp")
            .starts_with(&format!("tcp: ok: connected to {addr} in ")),
        "{out}"
    );
    assert_eq!(
        out.line("proxy"),
        "proxy: ok: none: no proxy variable is set"
    );
    assert_eq!(
        out.line("credentials"),
        "credentials: ok: api key accepted for workspace fake_workspace_1 (Fake Workspace)"
    );
}

#[test]
fn configuration_names_each_source() {
    let fake = start_fake();
    let out = run_against(&fake, &["--timeout", "2.5"]);
    let endpoint = fake.endpoint();

    assert_eq!(out.code, Some(OK), "{out}");
    for expected in [
        format!("    endpoint: {endpoint} (--endpoint)"),
        "    credentials: api key (seam_...) (SEAM_API_KEY)".to_owned(),
        "    connect timeout: 10 s (default)".to_owned(),
        "    timeout: 2.5 s (--timeout)".to_owned(),
        "    retries: 2 (default)".to_owned(),
        "    deadline: 60 s (default)".to_owned(),
    ] {
        assert!(
            out.stdout.lines().any(|line| line == expected),
            "{expected}\n{out}"
        );
    }
    let roots = out
        .stdout
        .lines()
        .find(|line| line.starts_with("    roots: CA file "))
        .expect("a roots line");
    assert!(roots.ends_with("-ca.pem\" (--ca-file)"), "{out}");
}

#[test]
fn configuration_reads_endpoint_variable() {
    let fake = start_fake();
    let ca = CaFile::new(fake.ca_pem());
    let endpoint = fake.endpoint();
    let mut command = common::seam_edge_command();
    command
        .env_clear()
        .env("SEAM_ENDPOINT", &endpoint)
        .env("SEAM_PERSONAL_ACCESS_TOKEN", fake.personal_access_token())
        .env("SEAM_WORKSPACE_ID", fake.workspace_id())
        .arg("doctor")
        .arg("--ca-file")
        .arg(&ca.path);
    let out = run(&mut command);

    assert_eq!(out.code, Some(OK), "{out}");
    let expected = [
        format!("    endpoint: {endpoint} (SEAM_ENDPOINT)"),
        "    credentials: personal access token (seam_at...) (SEAM_PERSONAL_ACCESS_TOKEN)"
            .to_owned(),
        "    workspace id: fake_workspace_1 (SEAM_WORKSPACE_ID)".to_owned(),
    ];
    for line in expected {
        assert!(
            out.stdout.lines().any(|found| found == line),
            "{line}\n{out}"
        );
    }
    out.assert_hides(fake.personal_access_token());
}

#[test]
fn outbox_line_reports_the_queue() {
    let fake = start_fake();
    let dir = std::env::temp_dir().join(format!("seam-edge-doctor-queue-{}", std::process::id()));
    let dir_text = dir.to_str().expect("a UTF-8 temporary folder").to_owned();
    let out = run_against(&fake, &["--queue-dir", &dir_text]);
    let _ = std::fs::remove_dir_all(&dir);

    assert_eq!(out.code, Some(OK), "{out}");
    let expected =
        format!("outbox: ok: {dir_text:?} is usable: 0 queued, 0 dead letters, 0 corrupt files");
    assert_eq!(out.line("outbox"), expected, "{out}");
    assert!(
        out.stdout
            .lines()
            .any(|line| line == format!("    queue dir: {dir_text:?} (--queue-dir)")),
        "{out}"
    );
}

#[test]
fn outbox_open_to_others_fails_74() {
    use std::os::unix::fs::PermissionsExt;

    let fake = start_fake();
    let dir = std::env::temp_dir().join(format!("seam-edge-doctor-open-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let dir_text = dir.to_str().expect("a UTF-8 temporary folder").to_owned();
    let out = run_against(&fake, &["--queue-dir", &dir_text]);
    let _ = std::fs::remove_dir_all(&dir);

    assert_eq!(out.code, Some(STORAGE), "{out}");
    assert!(out.line("outbox").starts_with("outbox: error: "), "{out}");
    assert!(out.line("outbox").contains("0755"), "{out}");
    assert_eq!(out.verdict("credentials"), "ok", "{out}");
}

#[test]
fn without_queue_dir_outbox_says_none() {
    let fake = start_fake();
    let out = run_against(&fake, &[]);

    assert_eq!(
        out.line("outbox"),
        "outbox: ok: none: without --queue-dir a temporary failure exits 75"
    );
    assert!(
        out.stdout
            .lines()
            .any(|line| line == "    queue dir: none (default)"),
        "{out}"
    );
}

#[test]
fn quiet_prints_only_problems() {
    let fake = skewed_fake(60);
    let out = run_against(&fake, &["-q"]);

    assert_eq!(out.code, Some(OK), "{out}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{out}");
    assert!(lines[0].starts_with("clock: warning: "), "{out}");
}

#[test]
fn json_lists_checks_in_order() {
    let fake = start_fake();
    let out = run_against(&fake, &["--json"]);

    assert_eq!(out.code, Some(OK), "{out}");
    let value: Value = json::from_str(out.stdout.trim()).expect("one JSON object");
    let Value::Object(object) = &value else {
        panic!("not an object\n{out}");
    };
    assert!(matches!(object.get("ok"), Some(Value::Bool(true))), "{out}");
    assert_eq!(json::to_string(&object["exit_code"]), "0");
    let Some(Value::Array(checks)) = object.get("checks") else {
        panic!("no checks array\n{out}");
    };
    let field = |check: &Value, key: &str| match check {
        Value::Object(check) => match check.get(key) {
            Some(Value::String(text)) => text.clone(),
            other => panic!("{key} is {other:?}"),
        },
        other => panic!("check is {other:?}"),
    };
    let names: Vec<String> = checks.iter().map(|check| field(check, "name")).collect();
    assert_eq!(names, CHECKS);
    for check in checks {
        assert_eq!(field(check, "verdict"), "ok", "{out}");
        assert!(!field(check, "detail").is_empty(), "{out}");
    }
    let Value::Object(configuration) = &checks[0] else {
        panic!("{out}");
    };
    let Some(Value::Array(values)) = configuration.get("values") else {
        panic!("no configuration values\n{out}");
    };
    assert_eq!(field(&values[0], "name"), "endpoint");
    assert_eq!(field(&values[0], "value"), fake.endpoint());
    assert_eq!(field(&values[0], "source"), "--endpoint");
    out.assert_hides(fake.api_key());
}

#[test]
fn wrong_api_key_fails_credentials() {
    let fake = start_fake();
    let ca = CaFile::new(fake.ca_pem());
    let key = "seam_wrongkey_token";
    let out = run(&mut doctor(&fake.endpoint(), &ca, &[("SEAM_API_KEY", key)]));

    assert_eq!(out.code, Some(BAD_CREDENTIALS), "{out}");
    assert_eq!(out.verdict("tls"), "ok", "{out}");
    assert_eq!(out.verdict("credentials"), "error", "{out}");
    assert!(out.line("credentials").contains("unauthorized"), "{out}");
    assert_eq!(
        out.line("clock"),
        "clock: skipped: no response from the server"
    );
    assert!(
        out.stderr
            .starts_with("seam-edge: doctor: credentials failed: unauthorized"),
        "{out}"
    );
    out.assert_hides(key);
}

#[test]
fn clock_small_skew_is_ok() {
    let out = run_against(&skewed_fake(2), &[]);

    assert_eq!(out.code, Some(OK), "{out}");
    assert_eq!(out.verdict("clock"), "ok", "{out}");
}

#[test]
fn clock_skew_past_five_seconds_warns() {
    let out = run_against(&skewed_fake(60), &[]);

    assert_eq!(out.code, Some(OK), "{out}");
    assert_eq!(out.verdict("clock"), "warning", "{out}");
    assert!(
        out.line("clock").contains("s behind the server's Date"),
        "{out}"
    );
}

#[test]
fn clock_skew_past_an_hour_fails() {
    for skew in [7200, -7200] {
        let out = run_against(&skewed_fake(skew), &[]);

        assert_eq!(out.code, Some(TEMPORARY), "{skew}\n{out}");
        assert_eq!(out.verdict("clock"), "error", "{skew}\n{out}");
        assert!(out.line("clock").contains("past an hour"), "{out}");
    }
}

#[test]
fn clock_without_date_warns() {
    let fake = FakeSeam::builder().omit_date(true).start().unwrap();
    let out = run_against(&fake, &[]);

    assert_eq!(out.code, Some(OK), "{out}");
    assert_eq!(
        out.line("clock"),
        "clock: warning: the server sent no readable Date header, so the clock is not compared"
    );
}

/// Returns a loopback port on which nothing listens: bound, then released.
fn closed_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    listener.local_addr().unwrap().port()
}

#[test]
fn closed_port_fails_tcp() {
    let fake = start_fake();
    let ca = CaFile::new(fake.ca_pem());
    let endpoint = format!("https://127.0.0.1:{}", closed_port());
    let out = run(&mut doctor(
        &endpoint,
        &ca,
        &[("SEAM_API_KEY", fake.api_key())],
    ));

    assert_eq!(out.code, Some(TEMPORARY), "{out}");
    assert_eq!(out.verdict("dns"), "ok", "{out}");
    assert_eq!(out.verdict("tcp"), "error", "{out}");
    assert_eq!(out.line("tls"), "tls: skipped: no TCP connection");
    assert_eq!(out.verdict("proxy"), "ok", "{out}");
    for name in ["credentials", "clock"] {
        assert_eq!(
            out.line(name),
            format!("{name}: skipped: no TLS connection")
        );
    }
}

#[test]
fn missing_token_fails_configuration() {
    let fake = start_fake();
    let ca = CaFile::new(fake.ca_pem());
    let out = run(&mut doctor(&fake.endpoint(), &ca, &[]));

    assert_eq!(out.code, Some(CONFIG), "{out}");
    assert!(
        out.line("configuration")
            .starts_with("configuration: error: no credentials: set an API key"),
        "{out}"
    );
    assert!(
        out.stdout
            .lines()
            .any(|line| line == "    credentials: none (nothing set)"),
        "{out}"
    );
    for name in &CHECKS[1..] {
        assert_eq!(
            out.line(name),
            format!("{name}: skipped: the configuration is unusable")
        );
    }
    assert!(fake.requests().is_empty());
}

#[test]
fn other_ca_fails_tls() {
    let fake = start_fake();
    let other = start_fake();
    let ca = CaFile::new(other.ca_pem());
    let env = [("SEAM_API_KEY", fake.api_key())];
    let out = run(&mut doctor(&fake.endpoint(), &ca, &env));

    assert_eq!(out.code, Some(TEMPORARY), "{out}");
    assert_eq!(out.verdict("tls"), "error", "{out}");
    assert!(
        out.line("tls").contains("signed by an unknown authority"),
        "{out}"
    );
    assert_eq!(
        out.line("credentials"),
        "credentials: skipped: no TLS connection"
    );
    assert!(fake.requests().is_empty());
}

#[test]
fn certificate_not_yet_valid_shows_clock_hint() {
    let day = Duration::from_secs(86_400);
    let now = SystemTime::now();
    let fake = FakeSeam::builder()
        .leaf_validity(now + day, now + 2 * day)
        .start()
        .unwrap();
    let out = run_against(&fake, &[]);

    assert_eq!(out.code, Some(TEMPORARY), "{out}");
    assert_eq!(out.verdict("tls"), "error", "{out}");
    assert!(out.line("tls").contains("check the system clock"), "{out}");
}

#[test]
fn proxy_shown_with_password_hidden() {
    let fake = start_fake();
    let proxy = common::TunnelProxy::start(fake.addr());
    let url = format!("http://gateway:{PROXY_PASSWORD}@{}", proxy.addr);
    let ca = CaFile::new(fake.ca_pem());
    let env = [("SEAM_API_KEY", fake.api_key()), ("https_proxy", &url)];
    let out = run(&mut doctor(&fake.endpoint(), &ca, &env));

    assert_eq!(out.code, Some(OK), "{out}");
    assert_eq!(
        out.line("proxy"),
        format!(
            "proxy: ok: http://gateway:***@{} from https_proxy",
            proxy.addr
        )
    );
    assert!(
        out.line("dns")
            .starts_with("dns: ok: proxy host 127.0.0.1 "),
        "{out}"
    );
    assert!(
        out.line("tcp")
            .starts_with(&format!("tcp: ok: connected to {} ", proxy.addr)),
        "{out}"
    );
    assert!(
        out.line("tls").starts_with(
            "tls: ok: handshake succeeded through the proxy's CONNECT tunnel, roots: CA file "
        ),
        "{out}"
    );
    // The credentials request opens the one tunnel, and the tls line comes from it.
    let connect = format!("CONNECT {} HTTP/1.1", fake.addr());
    assert_eq!(proxy.request_lines(), [connect]);
    // It sends the proxy credentials, base64 of "gateway:pr0xy-s3cret".
    for head in proxy.heads() {
        let head = head.to_ascii_lowercase();
        assert!(
            head.contains("proxy-authorization: basic z2f0zxdhetpwcjb4es1zm2nyzxq=\r\n"),
            "{head}"
        );
    }
    out.assert_hides(PROXY_PASSWORD);
    out.assert_hides(fake.api_key());
}

#[test]
fn other_ca_through_proxy_fails_tls() {
    let fake = start_fake();
    let other = start_fake();
    let proxy = common::TunnelProxy::start(fake.addr());
    let ca = CaFile::new(other.ca_pem());
    let url = proxy.url();
    let env = [
        ("SEAM_API_KEY", fake.api_key()),
        ("https_proxy", url.as_str()),
    ];
    let out = run(&mut doctor(&fake.endpoint(), &ca, &env));

    assert_eq!(out.code, Some(TEMPORARY), "{out}");
    assert_eq!(out.verdict("tls"), "error", "{out}");
    assert!(
        out.line("tls").contains("signed by an unknown authority"),
        "{out}"
    );
    assert_eq!(out.verdict("proxy"), "ok", "{out}");
    assert_eq!(
        out.line("credentials"),
        "credentials: skipped: no TLS connection"
    );
}

#[test]
fn proxy_refusing_tunnel_fails_proxy() {
    let fake = start_fake();
    // The proxy tunnels only to the other fake, so it responds 403 to CONNECT.
    let other = start_fake();
    let proxy = common::TunnelProxy::start(other.addr());
    let ca = CaFile::new(fake.ca_pem());
    let url = proxy.url();
    let env = [
        ("SEAM_API_KEY", fake.api_key()),
        ("https_proxy", url.as_str()),
    ];
    let out = run(&mut doctor(&fake.endpoint(), &ca, &env));

    assert_eq!(out.code, Some(TEMPORARY), "{out}");
    assert_eq!(out.verdict("tcp"), "ok", "{out}");
    assert_eq!(out.line("tls"), "tls: skipped: no tunnel through the proxy");
    assert_eq!(out.verdict("proxy"), "error", "{out}");
    assert!(
        out.line("proxy").contains("proxy server responded 403"),
        "{out}"
    );
    // The retries log a warning first, so the report's line is looked for among the lines.
    assert!(
        out.stderr
            .lines()
            .any(|line| line.starts_with("seam-edge: doctor: proxy failed: could not connect ")),
        "{out}"
    );
    assert_eq!(
        out.line("credentials"),
        "credentials: skipped: no TLS connection"
    );
}

#[test]
fn no_proxy_match_shown() {
    let fake = start_fake();
    let proxy = common::TunnelProxy::start(fake.addr());
    let ca = CaFile::new(fake.ca_pem());
    let url = proxy.url();
    let env = [
        ("SEAM_API_KEY", fake.api_key()),
        ("HTTPS_PROXY", url.as_str()),
        ("NO_PROXY", "127.0.0.1"),
    ];
    let out = run(&mut doctor(&fake.endpoint(), &ca, &env));

    assert_eq!(out.code, Some(OK), "{out}");
    let expected = format!(
        "proxy: ok: none: the endpoint's host is in NO_PROXY, so {url} from HTTPS_PROXY \
         is not used"
    );
    assert_eq!(out.line("proxy"), expected);
    assert!(proxy.request_lines().is_empty());
}

#[test]
fn no_proxy_flag_shown() {
    let fake = start_fake();
    let proxy = common::TunnelProxy::start(fake.addr());
    let ca = CaFile::new(fake.ca_pem());
    let url = proxy.url();
    let env = [
        ("SEAM_API_KEY", fake.api_key()),
        ("https_proxy", url.as_str()),
    ];
    let out = run(doctor(&fake.endpoint(), &ca, &env).arg("--no-proxy"));

    assert_eq!(out.code, Some(OK), "{out}");
    assert_eq!(
        out.line("proxy"),
        "proxy: ok: none: turned off by --no-proxy"
    );
    assert!(proxy.request_lines().is_empty());
}
