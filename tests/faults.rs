//! The built CLI against every fault the fake can inject: what it does, what it prints and
//! its exit code. docs/RELIABILITY.md lists these tests next to each fault.
#![cfg(all(feature = "fake-server", unix))]

mod common;

use std::path::PathBuf;
use std::process::Output;
use std::time::{Duration, Instant, SystemTime};

use seam_edge::fake::{FakeSeam, Fault, SEEDED_CREDENTIAL_IDS};

const FRONT: &str = SEEDED_CREDENTIAL_IDS[0];
const PIN: &str = "570261";

/// A finished run: exit code and both streams.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    elapsed: Duration,
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {:?} after {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.code, self.elapsed, self.stdout, self.stderr
        )
    }
}

/// The fake's CA in a file, removed when dropped.
struct CaFile(PathBuf);

impl Drop for CaFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn ca_file(fake: &FakeSeam) -> CaFile {
    let name = format!(
        "seam-edge-faults-{}-{}.pem",
        std::process::id(),
        fake.addr().port()
    );
    let path = std::env::temp_dir().join(name);
    std::fs::write(&path, fake.ca_pem()).expect("write the CA file");
    CaFile(path)
}

/// Runs a PIN update of the front door against `fake` with `extra` arguments. Every run is
/// bounded by its `--deadline`, so no test can hang.
fn update(fake: &FakeSeam, extra: &[&str]) -> Run {
    let ca = ca_file(fake);
    let started = Instant::now();
    let Output {
        status,
        stdout,
        stderr,
    } = common::seam_edge_command()
        .env_clear()
        .env("SEAM_API_KEY", fake.api_key())
        .args(["acs", "credentials", "update", "--acs-credential-id", FRONT])
        .args(["--code", PIN, "--endpoint", &fake.endpoint(), "--ca-file"])
        .arg(&ca.0)
        .args(extra)
        .output()
        .expect("run seam-edge");
    let run = Run {
        code: status.code(),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
        elapsed: started.elapsed(),
    };
    assert!(!run.stdout.contains(PIN), "PIN on stdout\n{run}");
    assert!(!run.stderr.contains(PIN), "PIN on stderr\n{run}");
    run
}

fn stored_code(fake: &FakeSeam) -> Option<String> {
    fake.credential(FRONT)
        .and_then(|credential| credential.code)
}

#[test]
fn outage_503_retried_then_applied() {
    let fake = FakeSeam::start().unwrap();
    fake.inject(Fault::ServiceUnavailable, 2);
    let run = update(&fake, &["-v"]);

    assert_eq!(run.code, Some(0), "{run}");
    assert_eq!(fake.requests().len(), 3);
    assert!(
        run.stderr.contains("attempt 2 of 3 failed (http 503)"),
        "{run}"
    );
    assert_eq!(stored_code(&fake).as_deref(), Some(PIN));
}

#[test]
fn outage_503_outlasting_retries_exit_75() {
    let fake = FakeSeam::start().unwrap();
    fake.inject(Fault::ServiceUnavailable, 3);
    let run = update(&fake, &[]);

    assert_eq!(run.code, Some(75), "{run}");
    assert_eq!(fake.requests().len(), 3);
    assert!(
        run.stderr
            .contains("(http 503, request id req_3), empty body"),
        "{run}"
    );
}

#[test]
fn bad_gateway_html_exit_75() {
    let fake = FakeSeam::start().unwrap();
    fake.inject(Fault::BadGatewayHtml, 3);
    let run = update(&fake, &[]);

    assert_eq!(run.code, Some(75), "{run}");
    assert!(
        run.stderr.contains("unexpected http response (http 502"),
        "{run}"
    );
}

#[test]
fn rate_limit_retry_after_seconds_honoured() {
    let fake = FakeSeam::start().unwrap();
    fake.inject(Fault::RetryAfterSeconds(1), 1);
    let run = update(&fake, &[]);

    assert_eq!(run.code, Some(0), "{run}");
    assert!(run.elapsed >= Duration::from_secs(1), "{run}");
    assert_eq!(fake.requests().len(), 2);
}

#[test]
fn rate_limit_retry_after_date_honoured() {
    let fake = FakeSeam::start().unwrap();
    let at = SystemTime::now() + Duration::from_secs(2);
    fake.inject(Fault::RetryAfterDate(at), 1);
    let run = update(&fake, &[]);

    assert_eq!(run.code, Some(0), "{run}");
    assert!(run.elapsed >= Duration::from_millis(900), "{run}");
    assert_eq!(fake.requests().len(), 2);
}

#[test]
fn rate_limit_longer_than_deadline_exit_75() {
    let fake = FakeSeam::start().unwrap();
    fake.inject(Fault::RetryAfterSeconds(30), 1);
    let run = update(&fake, &["--deadline", "5", "-v"]);

    assert_eq!(run.code, Some(75), "{run}");
    assert!(run.elapsed < Duration::from_secs(5), "{run}");
    assert!(
        run.stderr
            .contains("not retrying: the wait would pass the deadline"),
        "{run}"
    );
    assert_eq!(fake.requests().len(), 1);
}

#[test]
fn reset_after_request_retried() {
    let fake = FakeSeam::start().unwrap();
    fake.inject(Fault::Reset, 1);
    let run = update(&fake, &[]);

    assert_eq!(run.code, Some(0), "{run}");
    assert_eq!(fake.requests().len(), 2);
    assert_eq!(stored_code(&fake).as_deref(), Some(PIN));
}

#[test]
fn reset_every_attempt_exit_75() {
    let fake = FakeSeam::start().unwrap();
    fake.inject(Fault::Reset, 3);
    let run = update(&fake, &[]);

    assert_eq!(run.code, Some(75), "{run}");
    assert!(run.stderr.contains("ended before a full response"), "{run}");
    assert_eq!(fake.requests().len(), 3);
}

#[test]
fn no_answer_ends_at_deadline() {
    let fake = FakeSeam::start().unwrap();
    fake.inject(Fault::NoAnswer, 30);
    // Without the deadline, 21 attempts of 1 s each would take over 20 s.
    let run = update(
        &fake,
        &["--retries", "20", "--timeout", "1", "--deadline", "3"],
    );

    assert_eq!(run.code, Some(75), "{run}");
    assert!(run.stderr.contains("timed out"), "{run}");
    assert!(run.elapsed < Duration::from_millis(4500), "{run}");
    assert!(
        fake.requests().len() >= 2,
        "the silent attempt was not retried"
    );
}

#[test]
fn dripped_body_ends_at_deadline() {
    let fake = FakeSeam::start().unwrap();
    fake.inject(Fault::Drip(Duration::from_millis(300)), 30);
    let run = update(
        &fake,
        &["--retries", "20", "--timeout", "1", "--deadline", "3.5"],
    );

    assert_eq!(run.code, Some(75), "{run}");
    assert!(run.stderr.contains("timed out"), "{run}");
    assert!(run.elapsed < Duration::from_secs(5), "{run}");
    assert!(
        fake.requests().len() >= 2,
        "the dripped attempt was not retried"
    );
    // The drip serves the route, so the update was applied although the reply never ended.
    assert_eq!(stored_code(&fake).as_deref(), Some(PIN));
}

#[test]
fn huge_error_body_is_cut_exit_75() {
    let fake = FakeSeam::start().unwrap();
    fake.inject(Fault::large_body(500), 3);
    let run = update(&fake, &[]);

    assert_eq!(run.code, Some(75), "{run}");
    assert!(
        run.stderr.contains("(body larger than the size cap)"),
        "{run}"
    );
    assert!(run.stderr.len() < 2_000, "{run}");
}

#[test]
fn huge_success_body_counts_as_applied() {
    let fake = FakeSeam::start().unwrap();
    fake.inject(Fault::large_body(200), 1);
    let run = update(&fake, &[]);

    assert_eq!(run.code, Some(0), "{run}");
    assert!(
        run.stderr.contains("its JSON body could not be read"),
        "{run}"
    );
    assert_eq!(fake.requests().len(), 1);
}

#[test]
fn malformed_success_json_counts_as_applied() {
    let fake = FakeSeam::start().unwrap();
    fake.inject(Fault::MalformedJson, 1);
    let run = update(&fake, &["--json"]);

    assert_eq!(run.code, Some(0), "{run}");
    assert_eq!(
        run.stdout.trim(),
        r#"{"acs_credential":null,"ok":true,"status":"sent"}"#,
        "{run}"
    );
    assert!(
        run.stderr.contains("its JSON body could not be read"),
        "{run}"
    );
    assert_eq!(fake.requests().len(), 1);
}

#[test]
fn captive_portal_page_not_trusted() {
    let fake = FakeSeam::start().unwrap();
    fake.inject(Fault::CaptivePortal, 1);
    let run = update(&fake, &[]);

    assert_eq!(run.code, Some(75), "{run}");
    assert!(
        run.stderr
            .contains("the body is not JSON, so it did not come from Seam"),
        "{run}"
    );
    assert_eq!(fake.requests().len(), 1);
}

#[test]
fn redirect_elsewhere_not_followed() {
    let fake = FakeSeam::start().unwrap();
    fake.inject(Fault::RedirectElsewhere, 1);
    let run = update(&fake, &[]);

    assert_eq!(run.code, Some(69), "{run}");
    assert!(
        run.stderr.contains(
            "redirect to \"https://elsewhere.invalid/acs/credentials/update\" not followed"
        ),
        "{run}"
    );
    assert_eq!(fake.requests().len(), 1);
}

#[test]
fn plain_text_401_exit_77() {
    let fake = FakeSeam::start().unwrap();
    fake.inject(Fault::PlainUnauthorized, 1);
    let run = update(&fake, &[]);

    assert_eq!(run.code, Some(77), "{run}");
    assert!(
        run.stderr.starts_with("seam-edge: unauthorized (http 401"),
        "{run}"
    );
    assert_eq!(fake.requests().len(), 1);
}

#[test]
fn fleet_rate_limit_recovers_with_retry() {
    let fake = FakeSeam::builder().rate_limit(1, 1).start().unwrap();
    let first = update(&fake, &[]);
    let second = update(&fake, &["-v"]);

    assert_eq!(first.code, Some(0), "{first}");
    assert_eq!(second.code, Some(0), "{second}");
    assert!(fake.rate_limited_count() >= 1);
    assert!(second.stderr.contains("failed (http 429)"), "{second}");
}

#[test]
fn verbose_runs_never_show_token_or_pin() {
    let fake = FakeSeam::start().unwrap();
    let key = fake.api_key();
    fake.inject(Fault::ServiceUnavailable, 1);
    let retried = update(&fake, &["-v"]);
    fake.inject(Fault::PlainUnauthorized, 1);
    let unauthorized = update(&fake, &["-v", "--json"]);
    fake.inject(Fault::Reset, 3);
    let reset = update(&fake, &["-v"]);
    let invalid = update(&fake, &["-v", "--ends-at", "2020-01-01T00:00:00Z"]);
    let untrusted = FakeSeam::start().unwrap();
    let tls_failure = {
        // The CA of `fake` does not sign `untrusted`, so the handshake fails.
        let ca = ca_file(&fake);
        let output = common::seam_edge_command()
            .env_clear()
            .env("SEAM_API_KEY", key)
            .args([
                "-v",
                "acs",
                "credentials",
                "update",
                "--acs-credential-id",
                FRONT,
            ])
            .args([
                "--code",
                PIN,
                "--endpoint",
                &untrusted.endpoint(),
                "--ca-file",
            ])
            .arg(&ca.0)
            .output()
            .expect("run seam-edge");
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    };

    assert_eq!(invalid.code, Some(65), "{invalid}");
    for (case, run) in [
        ("retried", &retried),
        ("unauthorized", &unauthorized),
        ("reset", &reset),
    ] {
        assert!(
            run.stderr.contains("info:"),
            "{case}: no request log\n{run}"
        );
    }
    for (case, run) in [
        ("retried", &retried),
        ("unauthorized", &unauthorized),
        ("reset", &reset),
        ("invalid", &invalid),
    ] {
        assert!(!run.stdout.contains(key), "{case}: key on stdout\n{run}");
        assert!(!run.stderr.contains(key), "{case}: key on stderr\n{run}");
    }
    assert!(tls_failure.contains("unknown authority"), "{tls_failure}");
    assert!(!tls_failure.contains(key), "{tls_failure}");
    assert!(!tls_failure.contains(PIN), "{tls_failure}");
}
