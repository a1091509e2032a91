//! Tests of the library's client against the loopback fake server and against small TCP
//! servers started by the tests themselves. No request leaves the loopback interface.
#![cfg(feature = "fake-server")]

mod common;

use std::collections::HashMap;
use std::error::Error as _;
use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{TunnelProxy, read_head};
use seam_edge::fake::{
    CannedReply, FakeCredential, FakeSeam, PERSONAL_ACCESS_TOKEN, SEEDED_CREDENTIAL_IDS,
};
use seam_edge::{
    AccessMethod, AcsCredential, Auth, CLOCK_FLOOR_UNIX_SECONDS, Client, ClientBuilder, Error,
    ResponseError, Timestamp, TransportErrorKind, UpdateCredentialParams,
};

const FRONT: &str = SEEDED_CREDENTIAL_IDS[0];
const BACK: &str = SEEDED_CREDENTIAL_IDS[1];
const GARAGE: &str = SEEDED_CREDENTIAL_IDS[2];

/// A PIN that no message, id or timestamp in these tests contains by chance.
const PIN: &str = "918273";

/// An API key with a valid prefix that the fake does not know.
const WRONG_KEY: &str = "seam_wrongkey_Q4xT9";

/// Tokens of the wrong kind, each with a distinctive tail, for the prefix checks.
const ACCESS_TOKEN_AS_KEY: &str = "seam_atQ4xT9tokenvalue";
const CLIENT_SESSION_TOKEN: &str = "seam_cstQ4xT9tokenvalue";
const PUBLISHABLE_KEY: &str = "seam_pkQ4xT9tokenvalue";
const CONSOLE_JWT: &str = "eyJhbGciOiJIUzI1NiJ9.Q4xT9tokenvalue";
const UNPREFIXED_KEY: &str = "apikeyQ4xT9tokenvalue";

/// A proxy password that must never appear in a message.
const PROXY_PASSWORD: &str = "proxypwQ4xT9";

/// Every secret used below. No `Debug` or `Display` output may contain one of them.
const SECRETS: [&str; 10] = [
    seam_edge::fake::API_KEY,
    PERSONAL_ACCESS_TOKEN,
    PIN,
    WRONG_KEY,
    ACCESS_TOKEN_AS_KEY,
    CLIENT_SESSION_TOKEN,
    PUBLISHABLE_KEY,
    CONSOLE_JWT,
    UNPREFIXED_KEY,
    PROXY_PASSWORD,
];

/// 2030-01-01T00:00:00Z, a clock reading past the clock floor.
const CLOCK_2030: u64 = 1_893_456_000;

/// Per-attempt timeout for clients of a working fake, far above what a loopback call needs.
const TEST_TIMEOUT: Duration = Duration::from_secs(5);

// Helpers: clients, calls and the checks shared by many tests.

/// Starts a builder aimed at `fake` that trusts only its CA and sends the API key.
/// Returns a builder aimed at the fake with one attempt per call; the retry tests set
/// their own retry count.
fn builder(fake: &FakeSeam) -> ClientBuilder {
    Client::builder()
        .endpoint(fake.endpoint())
        .root_certs_pem(fake.ca_pem())
        .auth(Auth::api_key(fake.api_key()))
        .timeout(TEST_TIMEOUT)
        .retries(0)
}

fn client(fake: &FakeSeam) -> Client {
    builder(fake).build().unwrap()
}

/// Builds a client with the personal access token and the fake's workspace.
fn pat_client(fake: &FakeSeam) -> Client {
    builder(fake)
        .auth(Auth::personal_access_token(
            fake.personal_access_token(),
            fake.workspace_id(),
        ))
        .build()
        .unwrap()
}

/// Returns a clock that always reads `unix_seconds`.
fn fixed_clock(unix_seconds: u64) -> impl Fn() -> SystemTime + Send + Sync + 'static {
    move || UNIX_EPOCH + Duration::from_secs(unix_seconds)
}

fn update(
    client: &Client,
    params: &UpdateCredentialParams,
) -> Result<Option<AcsCredential>, Error> {
    client.acs().credentials().update(params)
}

/// Sends an update that must succeed and return the credential.
fn update_ok(client: &Client, params: &UpdateCredentialParams) -> AcsCredential {
    match update(client, params) {
        Ok(Some(credential)) => credential,
        other => panic!("expected a credential, got {other:?}"),
    }
}

/// Sends an update that must fail, and checks that the error hides every secret.
fn update_err(client: &Client, params: &UpdateCredentialParams) -> Error {
    let error = update(client, params).expect_err("the update should fail");
    assert_hides_secrets(&error);
    error
}

/// Builds a client that must fail, and checks that the error hides every secret.
fn build_err(builder: ClientBuilder) -> Error {
    let error = builder.build().expect_err("the build should fail");
    assert_hides_secrets(&error);
    error
}

fn assert_no_secret(text: &str) {
    for secret in SECRETS {
        assert!(!text.contains(secret), "{secret:?} leaked into {text:?}");
    }
}

/// Checks `Debug` and `Display` of an error and of every error in its source chain.
fn assert_hides_secrets(error: &Error) {
    assert_no_secret(&format!("{error:?}"));
    assert_no_secret(&error.to_string());
    let mut source = error.source();
    while let Some(cause) = source {
        assert_no_secret(&cause.to_string());
        source = cause.source();
    }
}

fn code_update(id: &str, code: &str) -> UpdateCredentialParams {
    UpdateCredentialParams::new(id).code(code)
}

/// Queues `reply`, sends a code update and returns the error it must cause.
fn canned_err(fake: &FakeSeam, reply: CannedReply) -> Error {
    fake.reply_next(reply);
    update_err(&client(fake), &code_update(FRONT, PIN))
}

/// Queues `reply` and sends a code update that must succeed.
fn canned_ok(fake: &FakeSeam, reply: CannedReply) -> Option<AcsCredential> {
    fake.reply_next(reply);
    update(&client(fake), &code_update(FRONT, PIN)).unwrap()
}

fn api(error: &Error) -> &ResponseError {
    match error {
        Error::Api(response) => response,
        other => panic!("expected Error::Api, got {other:?}"),
    }
}

fn http(error: &Error) -> &ResponseError {
    match error {
        Error::Http(response) => response,
        other => panic!("expected Error::Http, got {other:?}"),
    }
}

fn transport_kind(error: &Error) -> TransportErrorKind {
    match error {
        Error::Transport(transport) => transport.kind(),
        other => panic!("expected Error::Transport, got {other:?}"),
    }
}

fn config_message(error: &Error) -> String {
    match error {
        Error::Config(config) => config.to_string(),
        other => panic!("expected Error::Config, got {other:?}"),
    }
}

fn input_message(error: &Error) -> String {
    match error {
        Error::InvalidInput(input) => input.to_string(),
        other => panic!("expected Error::InvalidInput, got {other:?}"),
    }
}

/// Returns the one request the fake recorded.
fn only_request(fake: &FakeSeam) -> seam_edge::fake::RecordedRequest {
    let mut requests = fake.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    requests.remove(0)
}

/// Returns a port on 127.0.0.1 where nothing listens, bound and then released.
fn closed_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    listener.local_addr().unwrap().port()
}

/// A temporary file that is removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(contents: &[u8]) -> TempFile {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let number = COUNTER.fetch_add(1, Ordering::Relaxed);
        let name = format!("seam-edge-client-{}-{number}.pem", std::process::id());
        let path = std::env::temp_dir().join(name);
        std::fs::write(&path, contents).unwrap();
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Builds a lookup over fixed variables, for `fill_from_vars`.
fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect();
    move |name| map.get(name).cloned()
}

/// Starts a builder with the fake's CA and a short timeout, configured only from `pairs`.
fn from_vars(fake: &FakeSeam, pairs: &[(&str, &str)]) -> Result<ClientBuilder, Error> {
    Client::builder()
        .root_certs_pem(fake.ca_pem())
        .timeout(TEST_TIMEOUT)
        .fill_from_vars(vars(pairs))
}

/// Starts a plain-HTTP server on 127.0.0.1 that reads one request head, writes `response`
/// verbatim and closes.
fn raw_http_server(response: &'static [u8]) -> SocketAddr {
    raw_http_server_holding(response, Duration::ZERO)
}

/// As [`raw_http_server`], but keeps the connection open for `hold` after writing.
fn raw_http_server_holding(response: &'static [u8], hold: Duration) -> SocketAddr {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        let Ok((mut stream, _)) = listener.accept() else {
            return;
        };
        let _ = read_head(&mut stream);
        let _ = stream.write_all(response);
        thread::sleep(hold);
    });
    addr
}

/// Builds a client of a plain-HTTP loopback server.
fn raw_client(addr: SocketAddr) -> Client {
    Client::builder()
        .endpoint(format!("http://{addr}"))
        .auth(Auth::api_key(seam_edge::fake::API_KEY))
        .timeout(TEST_TIMEOUT)
        .retries(0)
        .build()
        .unwrap()
}

// The client type.

const _: fn() = || {
    fn assert_traits<T: Send + Sync + Clone + 'static>() {}
    assert_traits::<Client>();
};

#[test]
fn client_shared_across_threads() {
    let fake = FakeSeam::start().unwrap();
    let client = client(&fake);
    let ids: Vec<String> = (0..4).map(|n| format!("thread-credential-{n}")).collect();
    for id in &ids {
        fake.insert_credential(FakeCredential::new(id.clone()));
    }

    let handles: Vec<_> = ids
        .iter()
        .enumerate()
        .map(|(n, id)| {
            let client = client.clone();
            let params = code_update(id, &format!("{n}{n}{n}{n}"));
            thread::spawn(move || update_ok(&client, &params))
        })
        .collect();
    for (n, handle) in handles.into_iter().enumerate() {
        let returned = handle.join().unwrap();
        let expected = format!("{n}{n}{n}{n}");
        assert_eq!(returned.code.as_deref(), Some(expected.as_str()));
    }

    for (n, id) in ids.iter().enumerate() {
        let stored = fake.credential(id).unwrap();
        assert_eq!(stored.code, Some(format!("{n}{n}{n}{n}")));
    }
    assert_eq!(fake.requests().len(), 4);
}

#[test]
fn client_clones_reuse_connection() {
    let fake = FakeSeam::start().unwrap();
    let first = client(&fake);
    let second = first.clone();
    update_ok(&first, &code_update(FRONT, "1111"));
    update_ok(&second, &code_update(FRONT, "2222"));

    let requests = fake.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].connection, requests[1].connection);
}

// Successful updates.

#[test]
fn ok_update_code_only() {
    let fake = FakeSeam::start().unwrap();
    let before = fake.credential(BACK).unwrap();
    let returned = update_ok(&client(&fake), &code_update(BACK, PIN));

    assert_eq!(returned.acs_credential_id, BACK);
    assert_eq!(returned.code.as_deref(), Some(PIN));
    assert_eq!(returned.ends_at, before.ends_at);
    let stored = fake.credential(BACK).unwrap();
    assert_eq!(stored.code.as_deref(), Some(PIN));
    assert_eq!(stored.ends_at, before.ends_at);
}

#[test]
fn ok_update_ends_at_only() {
    let fake = FakeSeam::start().unwrap();
    let params = UpdateCredentialParams::new(FRONT).ends_at("2031-06-01T10:00:00Z");
    let returned = update_ok(&client(&fake), &params);

    assert_eq!(returned.ends_at.as_deref(), Some("2031-06-01T10:00:00Z"));
    assert_eq!(returned.code.as_deref(), Some("1234"));
    let stored = fake.credential(FRONT).unwrap();
    assert_eq!(stored.ends_at.as_deref(), Some("2031-06-01T10:00:00Z"));
    assert_eq!(stored.code.as_deref(), Some("1234"));
}

#[test]
fn ok_update_code_and_ends_at() {
    let fake = FakeSeam::start().unwrap();
    let params = code_update(FRONT, PIN).ends_at("2031-06-01T10:00:00Z");
    let returned = update_ok(&client(&fake), &params);

    assert_eq!(returned.code.as_deref(), Some(PIN));
    assert_eq!(returned.ends_at.as_deref(), Some("2031-06-01T10:00:00Z"));
    let stored = fake.credential(FRONT).unwrap();
    assert_eq!(stored.code.as_deref(), Some(PIN));
    assert_eq!(stored.ends_at.as_deref(), Some("2031-06-01T10:00:00Z"));
}

#[test]
fn ok_returned_credential_fields() {
    let fake = FakeSeam::start().unwrap();
    let returned = update_ok(&client(&fake), &code_update(FRONT, PIN));

    assert_eq!(returned.acs_user_id.as_deref(), Some("fake_acs_user_1"));
    assert_eq!(returned.acs_system_id.as_deref(), Some("fake_acs_system_1"));
    assert_eq!(returned.workspace_id.as_deref(), Some("fake_workspace_1"));
    assert_eq!(returned.display_name.as_deref(), Some("Front door PIN"));
    assert_eq!(returned.access_method, Some(AccessMethod::Code));
    assert_eq!(
        returned.starts_at.as_deref(),
        Some("2024-01-01T00:00:00.000Z")
    );
    assert_eq!(returned.ends_at, None);
    assert_eq!(
        returned.created_at.as_deref(),
        Some("2024-01-01T00:00:00.000Z")
    );
    assert_eq!(returned.is_multi_phone_sync_credential, Some(false));
}

#[test]
fn ok_code_keeps_leading_zeros() {
    let fake = FakeSeam::start().unwrap();
    let returned = update_ok(&client(&fake), &code_update(FRONT, "0042"));

    assert_eq!(returned.code.as_deref(), Some("0042"));
    assert_eq!(
        fake.credential(FRONT).unwrap().code.as_deref(),
        Some("0042")
    );
    assert_eq!(
        only_request(&fake).body_text(),
        format!(r#"{{"acs_credential_id":"{FRONT}","code":"0042"}}"#)
    );
}

#[test]
fn ok_ends_at_offset_sent_as_utc() {
    let fake = FakeSeam::start().unwrap();
    let params = UpdateCredentialParams::new(FRONT).ends_at("2031-06-01T12:00:00+02:00");
    let returned = update_ok(&client(&fake), &params);

    assert_eq!(returned.ends_at.as_deref(), Some("2031-06-01T10:00:00Z"));
    assert_eq!(
        only_request(&fake).body_text(),
        format!(r#"{{"acs_credential_id":"{FRONT}","ends_at":"2031-06-01T10:00:00Z"}}"#)
    );
}

#[test]
fn ok_ends_at_fraction_kept() {
    let fake = FakeSeam::start().unwrap();
    let cases = [
        ("2031-06-01T10:00:00.500Z", "2031-06-01T10:00:00.500Z"),
        ("2031-06-01T10:00:00.5Z", "2031-06-01T10:00:00.5Z"),
        (
            "2031-06-01T00:30:00.123456789+01:00",
            "2031-05-31T23:30:00.123456789Z",
        ),
        ("2031-06-01t10:00:00.120z", "2031-06-01T10:00:00.120Z"),
    ];
    for (given, sent) in cases {
        let params = UpdateCredentialParams::new(FRONT).ends_at(given);
        let returned = update_ok(&client(&fake), &params);
        assert_eq!(returned.ends_at.as_deref(), Some(sent), "{given}");
        let stored = fake.credential(FRONT).unwrap();
        assert_eq!(stored.ends_at.as_deref(), Some(sent), "{given}");
    }
}

#[test]
fn ok_endpoint_with_trailing_slash() {
    let fake = FakeSeam::start().unwrap();
    let client = builder(&fake)
        .endpoint(format!("{}/", fake.endpoint()))
        .build()
        .unwrap();
    update_ok(&client, &code_update(FRONT, PIN));
    assert_eq!(only_request(&fake).path, "/acs/credentials/update");
}

#[test]
fn ok_localhost_endpoint() {
    let fake = FakeSeam::start().unwrap();
    let endpoint = format!("https://localhost:{}", fake.addr().port());
    let client = builder(&fake).endpoint(endpoint).build().unwrap();
    update_ok(&client, &code_update(FRONT, PIN));
    assert_eq!(
        only_request(&fake).header("host"),
        Some(format!("localhost:{}", fake.addr().port()).as_str())
    );
}

#[test]
fn ok_tls12_only_server() {
    let fake = FakeSeam::builder().tls12_only(true).start().unwrap();
    let returned = update_ok(&client(&fake), &code_update(FRONT, PIN));
    assert_eq!(returned.code.as_deref(), Some(PIN));
}

#[test]
fn ok_personal_access_token() {
    let fake = FakeSeam::start().unwrap();
    let returned = update_ok(&pat_client(&fake), &code_update(FRONT, PIN));
    assert_eq!(returned.code.as_deref(), Some(PIN));
}

// The request on the wire.

#[test]
fn request_method_path_and_body() {
    let fake = FakeSeam::start().unwrap();
    let params = code_update(FRONT, PIN).ends_at("2031-06-01T10:00:00Z");
    update_ok(&client(&fake), &params);

    let request = only_request(&fake);
    assert_eq!(request.method, "PATCH");
    assert_eq!(request.path, "/acs/credentials/update");
    assert_eq!(
        request.body_text(),
        format!(
            r#"{{"acs_credential_id":"{FRONT}","code":"{PIN}","ends_at":"2031-06-01T10:00:00Z"}}"#
        )
    );
}

#[test]
fn request_body_only_set_fields() {
    let fake = FakeSeam::start().unwrap();
    update_ok(&client(&fake), &code_update(FRONT, PIN));

    let body = only_request(&fake).body_text();
    assert_eq!(
        body,
        format!(r#"{{"acs_credential_id":"{FRONT}","code":"{PIN}"}}"#)
    );
    assert!(!body.contains("null"), "{body}");
    assert!(!body.contains("ends_at"), "{body}");
    assert!(!body.contains(' '), "{body}");
}

#[test]
fn request_headers_api_key() {
    let fake = FakeSeam::start().unwrap();
    update_ok(&client(&fake), &code_update(FRONT, PIN));

    let request = only_request(&fake);
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(
        request.header("authorization"),
        Some(format!("Bearer {}", fake.api_key()).as_str())
    );
    assert_eq!(request.header("seam-sdk-name"), Some("seam-edge"));
    assert_eq!(request.header("seam-sdk-version"), Some(version));
    assert_eq!(
        request.header("user-agent"),
        Some(format!("seam-edge/{version}").as_str())
    );
    assert_eq!(request.header("seam-workspace"), None);
}

#[test]
fn request_headers_personal_access_token() {
    let fake = FakeSeam::start().unwrap();
    update_ok(&pat_client(&fake), &code_update(FRONT, PIN));

    let request = only_request(&fake);
    assert_eq!(
        request.header("authorization"),
        Some(format!("Bearer {}", fake.personal_access_token()).as_str())
    );
    assert_eq!(request.header("seam-workspace"), Some(fake.workspace_id()));
}

#[test]
fn request_body_escapes_id() {
    let fake = FakeSeam::start().unwrap();
    let id = "door-\"A\"\\east-\u{e9}";
    fake.insert_credential(FakeCredential::new(id));
    let returned = update_ok(&client(&fake), &code_update(id, PIN));

    assert_eq!(returned.acs_credential_id, id);
    assert_eq!(
        only_request(&fake).body_text(),
        format!(r#"{{"acs_credential_id":"door-\"A\"\\east-é","code":"{PIN}"}}"#)
    );
}

#[test]
fn request_custom_user_agent() {
    let fake = FakeSeam::start().unwrap();
    let client = builder(&fake)
        .user_agent("door-gateway/2.1")
        .build()
        .unwrap();
    update_ok(&client, &code_update(FRONT, PIN));
    assert_eq!(
        only_request(&fake).header("user-agent"),
        Some("door-gateway/2.1")
    );
}

// Success bodies other than a full credential.

#[test]
fn success_empty_object_is_none() {
    let fake = FakeSeam::start().unwrap();
    assert_eq!(canned_ok(&fake, CannedReply::json(200, "{}")), None);
}

#[test]
fn success_empty_body_is_none() {
    let fake = FakeSeam::start().unwrap();
    assert_eq!(canned_ok(&fake, CannedReply::new(200)), None);
}

#[test]
fn success_no_content_is_none() {
    let fake = FakeSeam::start().unwrap();
    assert_eq!(canned_ok(&fake, CannedReply::new(204)), None);
}

#[test]
fn success_truncated_json_is_none() {
    let fake = FakeSeam::start().unwrap();
    let reply = CannedReply::json(200, r#"{"acs_credential": "#);
    assert_eq!(canned_ok(&fake, reply), None);
}

#[test]
fn success_json_over_size_cap_is_none() {
    let fake = FakeSeam::start().unwrap();
    let padding = " ".repeat(2 * 1024 * 1024);
    let body = format!(r#"{{"ok": true,{padding}"acs_credential": null}}"#);
    assert_eq!(canned_ok(&fake, CannedReply::json(200, &body)), None);
}

#[test]
fn err_whitespace_over_size_cap() {
    let fake = FakeSeam::start().unwrap();
    let body = " ".repeat(2 * 1024 * 1024);
    let error = canned_err(&fake, CannedReply::with_body(502, "text/plain", body));
    assert_eq!(
        http(&error).body_excerpt(),
        "(body larger than the size cap)"
    );
}

#[test]
fn success_null_credential_is_none() {
    let fake = FakeSeam::start().unwrap();
    let reply = CannedReply::json(200, r#"{"acs_credential": null, "ok": true}"#);
    assert_eq!(canned_ok(&fake, reply), None);
}

#[test]
fn success_html_page_is_http_error() {
    let fake = FakeSeam::start().unwrap();
    let page = "<html><body>Sign in to the guest network</body></html>";
    let error = canned_err(&fake, CannedReply::with_body(200, "text/html", page));

    let response = http(&error);
    assert_eq!(response.status(), 200);
    assert!(error.is_temporary());
    assert_eq!(response.body_excerpt(), page);
    assert_eq!(
        error.to_string(),
        format!(
            "unexpected http response (http 200, request id req_1): the body is not JSON, \
             so it did not come from Seam, body: {page}"
        )
    );
}

#[test]
fn success_unknown_fields_and_method() {
    let fake = FakeSeam::start().unwrap();
    let body = format!(
        r#"{{"acs_credential": {{"acs_credential_id": "{FRONT}", "access_method": "retina_scan",
            "code": "{PIN}", "iris_profile": {{"left": 1}}, "future_flag": true,
            "acs_user_id": null, "display_name": null, "ends_at": null,
            "is_multi_phone_sync_credential": null}}, "ok": true, "extra": [1, 2]}}"#
    );
    let credential = canned_ok(&fake, CannedReply::json(200, &body)).unwrap();

    assert_eq!(credential.acs_credential_id, FRONT);
    assert_eq!(
        credential.access_method,
        Some(AccessMethod::Other("retina_scan".to_owned()))
    );
    assert_eq!(credential.code.as_deref(), Some(PIN));
    assert_eq!(credential.acs_user_id, None);
    assert_eq!(credential.display_name, None);
    assert_eq!(credential.ends_at, None);
    assert_eq!(credential.is_multi_phone_sync_credential, None);
}

// The other calls.

#[test]
fn ok_get_credential() {
    let fake = FakeSeam::start().unwrap();
    let credential = client(&fake).acs().credentials().get(BACK).unwrap();

    assert_eq!(credential.acs_credential_id, BACK);
    assert_eq!(credential.code.as_deref(), Some("0042"));
    assert_eq!(
        credential.ends_at.as_deref(),
        Some("2099-12-31T23:59:59.000Z")
    );
    assert_eq!(only_request(&fake).path, "/acs/credentials/get");
}

#[test]
fn err_get_unknown_credential() {
    let fake = FakeSeam::start().unwrap();
    let error = client(&fake)
        .acs()
        .credentials()
        .get("99999999-9999-9999-9999-999999999999")
        .unwrap_err();
    assert_hides_secrets(&error);
    assert_eq!(api(&error).error_type(), Some("acs_credential_not_found"));
}

#[test]
fn err_get_empty_body() {
    let fake = FakeSeam::start().unwrap();
    fake.reply_next(CannedReply::json(200, "{}"));
    let error = client(&fake).acs().credentials().get(BACK).unwrap_err();
    assert_eq!(http(&error).status(), 200);
}

#[test]
fn ok_workspace_get() {
    let fake = FakeSeam::start().unwrap();
    let workspace = pat_client(&fake).workspaces().get().unwrap();

    assert_eq!(workspace.workspace_id, "fake_workspace_1");
    assert_eq!(workspace.name.as_deref(), Some("Fake Workspace"));
    assert_eq!(workspace.is_sandbox, Some(true));
    let request = only_request(&fake);
    assert_eq!(request.method, "GET");
    assert_eq!(request.header("content-type"), None);
}

// Local checks: nothing is sent.

#[test]
fn err_local_checks_send_nothing() {
    let fake = FakeSeam::start().unwrap();
    let client = client(&fake);
    let cases = [
        (
            UpdateCredentialParams::new("").code(PIN),
            "invalid acs_credential_id \"\": must not be empty; pass the credential's id, \
             for example a UUID",
        ),
        (
            UpdateCredentialParams::new("abc def").code(PIN),
            "invalid acs_credential_id \"abc def\": must not contain whitespace or control \
             characters, found ' ' at byte 3",
        ),
        (
            UpdateCredentialParams::new("abc\tdef").code(PIN),
            "invalid acs_credential_id \"abc\\tdef\": must not contain whitespace or control \
             characters, found '\\t' at byte 3",
        ),
        (
            UpdateCredentialParams::new("abcdef\n").code(PIN),
            "invalid acs_credential_id \"abcdef\\n\": must not contain whitespace or control \
             characters, found '\\n' at byte 6",
        ),
        (
            code_update(FRONT, "91827a"),
            "invalid code: must be ASCII digits only, found 'a' at character 6 of 6",
        ),
        (
            code_update(FRONT, "\u{ff11}\u{ff12}34"),
            "invalid code: must be ASCII digits only, found '\u{ff11}' at character 1 of 4",
        ),
        (
            code_update(FRONT, ""),
            "invalid code: must not be empty; give at least one digit, or leave the code \
             unchanged",
        ),
        (
            UpdateCredentialParams::new(FRONT).ends_at("2031-06-01"),
            "invalid ends_at \"2031-06-01\"",
        ),
        (
            UpdateCredentialParams::new(FRONT).ends_at("2031-06-01T10:00:00"),
            "invalid ends_at \"2031-06-01T10:00:00\"",
        ),
        (
            UpdateCredentialParams::new(FRONT),
            "invalid update: nothing to change; set code, ends_at or both",
        ),
    ];
    for (params, expected) in cases {
        let error = update_err(&client, &params);
        assert_eq!(input_message(&error), expected);
        assert_eq!(error.to_string(), expected);
        assert!(!error.is_temporary(), "{expected}");
        assert_eq!(error.status(), None, "{expected}");
    }
    assert!(fake.requests().is_empty(), "{:?}", fake.requests());
}

#[test]
fn err_ends_at_format_has_source() {
    let fake = FakeSeam::start().unwrap();
    let params = UpdateCredentialParams::new(FRONT).ends_at("2031-06-01T10:00:00");
    let error = update_err(&client(&fake), &params);

    let Error::InvalidInput(input) = &error else {
        panic!("expected Error::InvalidInput, got {error:?}");
    };
    assert_eq!(input.field(), "ends_at");
    assert_eq!(input.value(), Some("2031-06-01T10:00:00"));
    assert!(error.source().is_some());
    assert!(fake.requests().is_empty());
}

#[test]
fn err_code_value_never_kept() {
    let fake = FakeSeam::start().unwrap();
    let error = update_err(&client(&fake), &code_update(FRONT, "91827a"));

    let Error::InvalidInput(input) = &error else {
        panic!("expected Error::InvalidInput, got {error:?}");
    };
    assert_eq!(input.field(), "code");
    assert_eq!(input.value(), None);
}

#[test]
fn err_ends_at_before_clock() {
    let fake = FakeSeam::start().unwrap();
    let client = builder(&fake)
        .clock(fixed_clock(CLOCK_2030))
        .build()
        .unwrap();
    let params = code_update(FRONT, PIN).ends_at("2029-06-01T00:00:00Z");
    let error = update_err(&client, &params);

    assert_eq!(
        input_message(&error),
        "invalid ends_at \"2029-06-01T00:00:00Z\": must be in the future, but the system \
         clock reads 2030-01-01T00:00:00Z; choose a later time, or fix the clock if it is wrong"
    );
    assert!(fake.requests().is_empty());
}

#[test]
fn err_ends_at_equal_to_clock() {
    let fake = FakeSeam::start().unwrap();
    let client = builder(&fake)
        .clock(fixed_clock(CLOCK_2030))
        .build()
        .unwrap();
    let params = UpdateCredentialParams::new(FRONT).ends_at("2030-01-01T00:00:00Z");
    let error = update_err(&client, &params);

    assert!(matches!(error, Error::InvalidInput(_)), "{error:?}");
    assert!(fake.requests().is_empty());
}

#[test]
fn ok_ends_at_after_injected_clock() {
    let fake = FakeSeam::start().unwrap();
    let client = builder(&fake)
        .clock(fixed_clock(CLOCK_2030))
        .build()
        .unwrap();
    let params = UpdateCredentialParams::new(FRONT).ends_at("2030-01-01T00:00:01Z");
    let returned = update_ok(&client, &params);
    assert_eq!(returned.ends_at.as_deref(), Some("2030-01-01T00:00:01Z"));
}

#[test]
fn unset_clock_leaves_ends_at_to_server() {
    let fake = FakeSeam::start().unwrap();
    let client = builder(&fake).clock(fixed_clock(0)).build().unwrap();
    let params = UpdateCredentialParams::new(FRONT).ends_at("2020-01-01T00:00:00Z");
    let error = update_err(&client, &params);

    let response = api(&error);
    assert_eq!(response.status(), 400);
    assert_eq!(response.error_type(), Some("invalid_input"));
    let validation = response.validation_errors();
    assert_eq!(validation.len(), 1);
    assert_eq!(validation[0].parameter, "ends_at");
    assert_eq!(validation[0].messages, ["ends_at must be in the future"]);
    assert_eq!(fake.requests().len(), 1);
}

#[test]
fn clock_floor_boundary() {
    let fake = FakeSeam::start().unwrap();
    let params = UpdateCredentialParams::new(FRONT).ends_at("2020-01-01T00:00:00Z");

    let below = builder(&fake)
        .clock(fixed_clock(CLOCK_FLOOR_UNIX_SECONDS - 1))
        .build()
        .unwrap();
    assert!(matches!(update_err(&below, &params), Error::Api(_)));

    let at_floor = builder(&fake)
        .clock(fixed_clock(CLOCK_FLOOR_UNIX_SECONDS))
        .build()
        .unwrap();
    let error = update_err(&at_floor, &params);
    assert!(matches!(error, Error::InvalidInput(_)), "{error:?}");
    assert_eq!(fake.requests().len(), 1);
}

// Errors reported by the fake's routes.

#[test]
fn err_wrong_api_key_unauthorized() {
    let fake = FakeSeam::start().unwrap();
    let client = builder(&fake)
        .auth(Auth::api_key(WRONG_KEY))
        .build()
        .unwrap();
    let error = update_err(&client, &code_update(FRONT, PIN));

    let Error::Unauthorized(response) = &error else {
        panic!("expected Error::Unauthorized, got {error:?}");
    };
    assert_eq!(response.status(), 401);
    assert_eq!(response.error_type(), Some("unauthorized"));
    assert!(!error.is_temporary());
    assert_eq!(
        error.to_string(),
        "unauthorized (http 401, request id req_1): unauthorized: Unauthorized; check the \
         API key, or the personal access token and workspace id"
    );
    assert_eq!(
        fake.credential(FRONT).unwrap().code.as_deref(),
        Some("1234")
    );
}

#[test]
fn err_wrong_workspace_unauthorized() {
    let fake = FakeSeam::start().unwrap();
    let client = builder(&fake)
        .auth(Auth::personal_access_token(
            fake.personal_access_token(),
            "other_workspace",
        ))
        .build()
        .unwrap();
    let error = update_err(&client, &code_update(FRONT, PIN));
    assert!(matches!(error, Error::Unauthorized(_)), "{error:?}");
}

#[test]
fn err_unknown_credential_not_found() {
    let fake = FakeSeam::start().unwrap();
    let params = code_update("99999999-9999-9999-9999-999999999999", PIN);
    let error = update_err(&client(&fake), &params);

    let response = api(&error);
    assert_eq!(response.status(), 404);
    assert_eq!(error.status(), Some(404));
    assert_eq!(response.error_type(), Some("acs_credential_not_found"));
    assert_eq!(response.message(), Some("Access credential not found"));
    assert_eq!(response.request_id(), Some("req_1"));
    assert!(!error.is_temporary());
    assert_eq!(
        error.to_string(),
        "seam api error (http 404, request id req_1): acs_credential_not_found: Access \
         credential not found"
    );
}

#[test]
fn err_ends_at_before_starts_at() {
    let fake = FakeSeam::start().unwrap();
    let params = UpdateCredentialParams::new(GARAGE).ends_at("2050-01-01T00:00:00Z");
    let error = update_err(&client(&fake), &params);

    let response = api(&error);
    assert_eq!(response.status(), 400);
    assert_eq!(response.error_type(), Some("invalid_input"));
    let validation = response.validation_errors();
    assert_eq!(validation.len(), 1);
    assert_eq!(validation[0].parameter, "ends_at");
    assert_eq!(
        validation[0].messages,
        ["ends_at must be after the credential's starts_at (2090-01-01T00:00:00.000Z)"]
    );
    assert!(response.errors().is_empty());
    assert_eq!(
        error.to_string(),
        "seam api error (http 400, request id req_1): invalid_input: Invalid input; ends_at: \
         ends_at must be after the credential's starts_at (2090-01-01T00:00:00.000Z)"
    );
    assert_eq!(fake.credential(GARAGE).unwrap().ends_at, None);
}

// Canned replies: statuses and bodies the routes never produce.

#[test]
fn err_request_wide_errors() {
    let fake = FakeSeam::start().unwrap();
    let body = r#"{"error": {"type": "invalid_input", "message": "Invalid input",
        "validation_errors": {"_errors": ["Unrecognized key(s) in object: 'pin'"]}},
        "ok": false}"#;
    let error = canned_err(&fake, CannedReply::json(400, body));

    let response = api(&error);
    assert_eq!(response.errors(), ["Unrecognized key(s) in object: 'pin'"]);
    assert!(response.validation_errors().is_empty());
    assert_eq!(
        error.to_string(),
        "seam api error (http 400, request id req_1): invalid_input: Invalid input; \
         Unrecognized key(s) in object: 'pin'"
    );
}

#[test]
fn err_unauthorized_not_json() {
    let fake = FakeSeam::start().unwrap();
    let error = canned_err(
        &fake,
        CannedReply::with_body(401, "text/html", "<h1>401 Authorization Required</h1>"),
    );

    let Error::Unauthorized(response) = &error else {
        panic!("expected Error::Unauthorized, got {error:?}");
    };
    assert_eq!(response.error_type(), None);
    assert_eq!(
        response.body_excerpt(),
        "<h1>401 Authorization Required</h1>"
    );
}

#[test]
fn err_forbidden() {
    let fake = FakeSeam::start().unwrap();
    let body = r#"{"error": {"type": "forbidden", "message": "Not allowed"}, "ok": false}"#;
    let error = canned_err(&fake, CannedReply::json(403, body));

    let Error::Forbidden(response) = &error else {
        panic!("expected Error::Forbidden, got {error:?}");
    };
    assert_eq!(response.status(), 403);
    assert_eq!(response.error_type(), Some("forbidden"));
    assert!(!error.is_temporary());
    assert_eq!(
        error.to_string(),
        "forbidden (http 403, request id req_1): forbidden: Not allowed; the token is valid \
         but may not make this request"
    );
}

#[test]
fn err_method_not_allowed() {
    let fake = FakeSeam::start().unwrap();
    let body = r#"{"error": {"type": "method_not_allowed", "message": "Method not allowed"}, "ok": false}"#;
    let error = canned_err(&fake, CannedReply::json(405, body).header("allow", "POST"));

    let response = api(&error);
    assert_eq!(response.status(), 405);
    assert_eq!(response.error_type(), Some("method_not_allowed"));
    assert!(!error.is_temporary());
}

#[test]
fn err_conflict() {
    let fake = FakeSeam::start().unwrap();
    let body = r#"{"error": {"type": "duplicate_code", "message": "Code in use"}, "ok": false}"#;
    let error = canned_err(&fake, CannedReply::json(409, body));

    let response = api(&error);
    assert_eq!(response.status(), 409);
    assert_eq!(response.error_type(), Some("duplicate_code"));
    assert!(!error.is_temporary());
}

#[test]
fn err_temporary_statuses() {
    let fake = FakeSeam::start().unwrap();
    for status in [408, 429, 500, 502, 503, 504] {
        let body = r#"{"error": {"type": "busy", "message": "Try later"}, "ok": false}"#;
        let error = canned_err(&fake, CannedReply::json(status, body));
        assert_eq!(api(&error).status(), status);
        assert!(error.is_temporary(), "{status}");

        let error = canned_err(&fake, CannedReply::with_body(status, "text/plain", "busy"));
        assert_eq!(http(&error).status(), status);
        assert!(error.is_temporary(), "{status}");
    }
}

#[test]
fn err_lasting_statuses() {
    let fake = FakeSeam::start().unwrap();
    for status in [400, 404, 405, 409, 410, 413, 422, 501] {
        let error = canned_err(&fake, CannedReply::with_body(status, "text/plain", "no"));
        assert_eq!(http(&error).status(), status);
        assert!(!error.is_temporary(), "{status}");
    }
}

#[test]
fn err_outage_empty_body() {
    let fake = FakeSeam::start().unwrap();
    let error = canned_err(&fake, CannedReply::new(503));

    let response = http(&error);
    assert_eq!(response.status(), 503);
    assert_eq!(response.body_excerpt(), "");
    assert_eq!(response.error_type(), None);
    assert!(error.is_temporary());
    assert_eq!(
        error.to_string(),
        "unexpected http response (http 503, request id req_1), empty body"
    );
}

#[test]
fn err_not_seam_envelope_is_http() {
    let fake = FakeSeam::start().unwrap();
    let envelope = r#"{"error": {"type": "invalid_input", "message": "Invalid"}}"#;
    let cases = [
        CannedReply::with_body(400, "text/plain; charset=utf-8", "Invalid JSON"),
        CannedReply::json(500, r#"{"message": "Internal Server Error"}"#),
        CannedReply::json(400, r#"{"error": {"type": "invalid_input", "message": 3}}"#),
        CannedReply::json(400, r#"{"error": "invalid_input"}"#),
        CannedReply::with_body(400, "text/plain", envelope),
        CannedReply::new(400).body(envelope),
    ];
    for reply in cases {
        let body = String::from_utf8(reply.body.clone()).unwrap();
        let error = canned_err(&fake, reply);
        let response = http(&error);
        assert_eq!(response.error_type(), None, "{body}");
        assert_eq!(response.body_excerpt(), body.escape_debug().to_string());
    }
}

#[test]
fn err_redirect_not_followed() {
    let fake = FakeSeam::start().unwrap();
    let reply = CannedReply::with_body(302, "text/html", "<a href=\"https://other.example/\">")
        .header("location", "https://other.example/");
    let error = canned_err(&fake, reply);

    let response = http(&error);
    assert_eq!(response.status(), 302);
    assert_eq!(response.location(), Some("https://other.example/"));
    assert!(!error.is_temporary());
    assert!(
        error
            .to_string()
            .contains("redirect to \"https://other.example/\" not followed"),
        "{error}"
    );
    assert_eq!(fake.requests().len(), 1);
}

#[test]
fn err_other_redirects_not_followed() {
    let fake = FakeSeam::start().unwrap();
    for status in [301, 307, 308] {
        fake.clear_requests();
        let reply = CannedReply::new(status).header("location", "https://other.example/");
        let error = canned_err(&fake, reply);
        assert_eq!(http(&error).location(), Some("https://other.example/"));
        assert_eq!(fake.requests().len(), 1, "{status}");
    }
}

#[test]
fn err_body_over_size_cap() {
    let fake = FakeSeam::start().unwrap();
    let body = vec![b'x'; 2 * 1024 * 1024];
    let error = canned_err(&fake, CannedReply::with_body(500, "text/plain", body));

    let response = http(&error);
    assert_eq!(response.status(), 500);
    let expected = format!("{}... (body larger than the size cap)", "x".repeat(200));
    assert_eq!(response.body_excerpt(), expected);
    assert!(error.is_temporary());
}

#[test]
fn err_unknown_route_plain_404() {
    let fake = FakeSeam::start().unwrap();
    let client = builder(&fake)
        .endpoint(format!("{}/nonexistent-prefix", fake.endpoint()))
        .build()
        .unwrap();
    let error = update_err(&client, &code_update(FRONT, PIN));

    let response = http(&error);
    assert_eq!(response.status(), 404);
    assert_eq!(response.body_excerpt(), "404");
    assert_eq!(response.error_type(), None);
    assert_eq!(
        only_request(&fake).path,
        "/nonexistent-prefix/acs/credentials/update"
    );
}

// Transport failures.

#[test]
fn err_connection_refused() {
    let port = closed_port();
    let client = Client::builder()
        .endpoint(format!("https://127.0.0.1:{port}"))
        .auth(Auth::api_key(seam_edge::fake::API_KEY))
        .build()
        .unwrap();
    let error = update_err(&client, &code_update(FRONT, PIN));

    assert_eq!(transport_kind(&error), TransportErrorKind::Connect);
    assert!(error.source().is_some());
    assert!(error.is_temporary());
    assert_eq!(
        error.to_string(),
        format!("could not connect to 127.0.0.1:{port}")
    );
}

#[test]
fn err_server_never_answers() {
    // The kernel completes the TCP handshake from the backlog, but nothing ever replies.
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let addr = listener.local_addr().unwrap();
    let client = Client::builder()
        .endpoint(format!("https://{addr}"))
        .auth(Auth::api_key(seam_edge::fake::API_KEY))
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();

    let started = std::time::Instant::now();
    let error = update_err(&client, &code_update(FRONT, PIN));
    assert_eq!(transport_kind(&error), TransportErrorKind::Timeout);
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(error.to_string(), format!("request to {addr} timed out"));
    drop(listener);
}

#[test]
fn err_closed_during_handshake() {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        if let Ok((stream, _)) = listener.accept() {
            drop(stream);
        }
    });
    let client = Client::builder()
        .endpoint(format!("https://{addr}"))
        .auth(Auth::api_key(seam_edge::fake::API_KEY))
        .timeout(TEST_TIMEOUT)
        .retries(0)
        .build()
        .unwrap();
    let error = update_err(&client, &code_update(FRONT, PIN));

    assert_eq!(transport_kind(&error), TransportErrorKind::ClosedEarly);
    assert!(error.is_temporary());
}

#[test]
fn err_closed_before_response() {
    let addr = raw_http_server(b"");
    let error = update_err(&raw_client(addr), &code_update(FRONT, PIN));
    assert_eq!(transport_kind(&error), TransportErrorKind::ClosedEarly);
}

#[test]
fn err_closed_inside_body() {
    let addr = raw_http_server(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"ac",
    );
    let error = update_err(&raw_client(addr), &code_update(FRONT, PIN));
    assert_eq!(transport_kind(&error), TransportErrorKind::ClosedEarly);
}

#[test]
fn err_response_not_http() {
    let addr = raw_http_server(b"SSH-2.0-OpenSSH_9.6\r\n\r\n");
    let error = update_err(&raw_client(addr), &code_update(FRONT, PIN));
    assert_eq!(transport_kind(&error), TransportErrorKind::ClosedEarly);
}

#[test]
fn err_body_stalls() {
    let addr = raw_http_server_holding(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"ac",
        Duration::from_secs(3),
    );
    let client = Client::builder()
        .endpoint(format!("http://{addr}"))
        .auth(Auth::api_key(seam_edge::fake::API_KEY))
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let error = update_err(&client, &code_update(FRONT, PIN));
    assert_eq!(transport_kind(&error), TransportErrorKind::Timeout);
}

#[test]
fn ok_plain_http_loopback_server() {
    let addr = raw_http_server(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}",
    );
    let result = update(&raw_client(addr), &code_update(FRONT, PIN));
    assert_eq!(result.unwrap(), None);
}

#[test]
fn err_unknown_ca_default_roots() {
    let fake = FakeSeam::start().unwrap();
    let client = Client::builder()
        .endpoint(fake.endpoint())
        .auth(Auth::api_key(fake.api_key()))
        .timeout(TEST_TIMEOUT)
        .build()
        .unwrap();
    let error = update_err(&client, &code_update(FRONT, PIN));

    assert_eq!(transport_kind(&error), TransportErrorKind::Tls);
    assert!(error.to_string().contains("unknown authority"), "{error}");
    assert!(fake.requests().is_empty());
}

#[test]
fn err_unknown_ca_other_fake() {
    let fake = FakeSeam::start().unwrap();
    let other = FakeSeam::start().unwrap();
    let client = builder(&fake)
        .root_certs_pem(other.ca_pem())
        .build()
        .unwrap();
    let error = update_err(&client, &code_update(FRONT, PIN));

    assert_eq!(transport_kind(&error), TransportErrorKind::Tls);
    assert_eq!(
        error.to_string(),
        format!(
            "tls handshake with {} failed (the certificate is signed by an unknown \
             authority; pass the right CA with a PEM file if the endpoint uses a private one)",
            fake.addr()
        )
    );
    assert!(fake.requests().is_empty());
}

#[test]
fn err_expired_certificate() {
    let now = SystemTime::now();
    let day = Duration::from_secs(86_400);
    let fake = FakeSeam::builder()
        .leaf_validity(now - 10 * day, now - day)
        .start()
        .unwrap();
    let client = builder(&fake)
        .clock(fixed_clock(CLOCK_2030))
        .build()
        .unwrap();
    let error = update_err(&client, &code_update(FRONT, PIN));

    assert_eq!(transport_kind(&error), TransportErrorKind::TlsClock);
    assert_eq!(
        error.to_string(),
        format!(
            "the tls certificate of {} is not valid at this device's clock (the certificate \
             has expired; this device's clock reads 2030-01-01T00:00:00Z: check the system \
             clock (NTP) before anything else)",
            fake.addr()
        )
    );
}

#[test]
fn err_certificate_not_yet_valid() {
    let now = SystemTime::now();
    let day = Duration::from_secs(86_400);
    let fake = FakeSeam::builder()
        .leaf_validity(now + day, now + 10 * day)
        .start()
        .unwrap();
    let error = update_err(&client(&fake), &code_update(FRONT, PIN));

    assert_eq!(transport_kind(&error), TransportErrorKind::TlsClock);
    let message = error.to_string();
    assert!(
        message.contains("the certificate is not valid yet"),
        "{message}"
    );
    assert!(message.contains("check the system clock"), "{message}");
}

#[test]
fn err_certificate_for_other_host() {
    let fake = FakeSeam::builder()
        .leaf_names(vec!["other.test".to_owned()])
        .start()
        .unwrap();
    let error = update_err(&client(&fake), &code_update(FRONT, PIN));

    assert_eq!(transport_kind(&error), TransportErrorKind::Tls);
    assert!(error.to_string().contains("another host name"), "{error}");
}

// Configuration errors at build time.

#[test]
fn err_no_credentials() {
    let error = build_err(Client::builder().endpoint("https://127.0.0.1:9"));
    assert_eq!(
        config_message(&error),
        "no credentials: set an API key (SEAM_API_KEY), or a personal access token \
         with its workspace id (SEAM_PERSONAL_ACCESS_TOKEN and SEAM_WORKSPACE_ID)"
    );
}

#[test]
fn err_api_key_of_wrong_kind() {
    let cases = [
        (
            ACCESS_TOKEN_AS_KEY,
            "the API key is a personal access token, not an API key; set it as a personal \
             access token together with a workspace id",
        ),
        (
            CLIENT_SESSION_TOKEN,
            "the API key is a client session token, which this endpoint does not accept, not \
             an API key",
        ),
        (
            PUBLISHABLE_KEY,
            "the API key is a publishable key, which is meant for browsers, not an API key",
        ),
        (
            CONSOLE_JWT,
            "the API key is a console session token (a JWT), not an API key",
        ),
        (
            UNPREFIXED_KEY,
            "the API key does not start with \"seam_\"; copy it again from Seam's console",
        ),
    ];
    for (token, expected) in cases {
        let builder = Client::builder()
            .endpoint("https://127.0.0.1:9")
            .auth(Auth::api_key(token));
        assert_eq!(config_message(&build_err(builder)), expected);
    }
}

#[test]
fn err_personal_access_token_checks() {
    let cases = [
        (
            Auth::personal_access_token(PERSONAL_ACCESS_TOKEN, ""),
            "a personal access token needs the id of the workspace it acts in \
             (SEAM_WORKSPACE_ID)",
        ),
        (
            Auth::personal_access_token(PERSONAL_ACCESS_TOKEN, "fake workspace"),
            "invalid workspace id \"fake workspace\": it must not contain whitespace",
        ),
        (
            Auth::personal_access_token(WRONG_KEY, "fake_workspace_1"),
            "the personal access token looks like an API key; set it as an API key and drop \
             the workspace id",
        ),
        (
            Auth::personal_access_token(CLIENT_SESSION_TOKEN, "fake_workspace_1"),
            "the personal access token is a client session token, which this endpoint does \
             not accept, not a personal access token",
        ),
    ];
    for (auth, expected) in cases {
        let builder = Client::builder().endpoint("https://127.0.0.1:9").auth(auth);
        assert_eq!(config_message(&build_err(builder)), expected);
    }
}

#[test]
fn err_malformed_endpoints() {
    let cases = [
        (
            "ftp://x",
            "invalid endpoint \"ftp://x\": the scheme must be https; expected a URL such as \
             https://connect.getseam.com",
        ),
        (
            "not a url",
            "invalid endpoint \"not a url\": not a URL; expected a URL such as \
             https://connect.getseam.com",
        ),
        (
            "127.0.0.1:8443",
            "invalid endpoint \"127.0.0.1:8443\": no scheme; expected a URL such as \
             https://connect.getseam.com",
        ),
        (
            "http://example.com",
            "refusing to send the token over plain http to \"example.com\"; use https, or \
             allow insecure http explicitly",
        ),
    ];
    for (endpoint, expected) in cases {
        let builder = Client::builder()
            .endpoint(endpoint)
            .auth(Auth::api_key(seam_edge::fake::API_KEY));
        assert_eq!(config_message(&build_err(builder)), expected);
    }
}

#[test]
fn ok_plain_http_endpoints() {
    let loopback = ["http://127.0.0.1:1", "http://localhost:1", "http://[::1]:1"];
    for endpoint in loopback {
        let client = Client::builder()
            .endpoint(endpoint)
            .auth(Auth::api_key(seam_edge::fake::API_KEY))
            .build();
        assert!(client.is_ok(), "{endpoint}: {client:?}");
    }

    // Allowed by the option, but never sent to.
    let client = Client::builder()
        .endpoint("http://example.com")
        .allow_insecure_http(true)
        .auth(Auth::api_key(seam_edge::fake::API_KEY))
        .build()
        .unwrap();
    assert_eq!(client.endpoint(), "http://example.com");
}

#[test]
fn err_ca_file_missing() {
    let path = std::env::temp_dir().join(format!("seam-edge-missing-{}.pem", std::process::id()));
    let builder = Client::builder()
        .endpoint("https://127.0.0.1:9")
        .auth(Auth::api_key(seam_edge::fake::API_KEY))
        .root_certs_pem_file(&path);
    let error = build_err(builder);

    assert_eq!(
        config_message(&error),
        format!("cannot read CA file \"{}\"", path.display())
    );
    assert!(error.source().is_some());
}

#[test]
fn err_ca_file_without_certificate() {
    let file = TempFile::new(b"not a certificate\n");
    let builder = Client::builder()
        .endpoint("https://127.0.0.1:9")
        .auth(Auth::api_key(seam_edge::fake::API_KEY))
        .root_certs_pem_file(&file.0);
    assert_eq!(
        config_message(&build_err(builder)),
        format!(
            "CA file \"{}\" contains no certificate; expected PEM blocks starting with \
             \"-----BEGIN CERTIFICATE-----\"",
            file.0.display()
        )
    );
}

#[test]
fn err_ca_bytes_without_certificate() {
    let builder = Client::builder()
        .endpoint("https://127.0.0.1:9")
        .auth(Auth::api_key(seam_edge::fake::API_KEY))
        .root_certs_pem("");
    assert_eq!(
        config_message(&build_err(builder)),
        "the CA PEM data contains no certificate; expected PEM blocks starting with \
         \"-----BEGIN CERTIFICATE-----\""
    );
}

#[test]
fn ok_ca_file_of_fake() {
    let fake = FakeSeam::start().unwrap();
    let file = TempFile::new(fake.ca_pem().as_bytes());
    let client = Client::builder()
        .endpoint(fake.endpoint())
        .auth(Auth::api_key(fake.api_key()))
        .root_certs_pem_file(&file.0)
        .timeout(TEST_TIMEOUT)
        .build()
        .unwrap();
    update_ok(&client, &code_update(FRONT, PIN));
}

#[test]
fn err_ca_file_of_other_fake() {
    let fake = FakeSeam::start().unwrap();
    let other = FakeSeam::start().unwrap();
    let file = TempFile::new(other.ca_pem().as_bytes());
    let client = Client::builder()
        .endpoint(fake.endpoint())
        .auth(Auth::api_key(fake.api_key()))
        .root_certs_pem_file(&file.0)
        .timeout(TEST_TIMEOUT)
        .build()
        .unwrap();
    let error = update_err(&client, &code_update(FRONT, PIN));
    assert_eq!(transport_kind(&error), TransportErrorKind::Tls);
}

// Configuration from variables.

#[test]
fn vars_api_key() {
    let fake = FakeSeam::start().unwrap();
    let endpoint = fake.endpoint();
    let client = from_vars(
        &fake,
        &[
            ("SEAM_API_KEY", fake.api_key()),
            ("SEAM_ENDPOINT", &endpoint),
        ],
    )
    .unwrap()
    .build()
    .unwrap();

    assert_eq!(client.endpoint(), endpoint);
    assert_eq!(client.auth().kind_name(), "api key");
    update_ok(&client, &code_update(FRONT, PIN));
    assert_eq!(only_request(&fake).header("seam-workspace"), None);
}

#[test]
fn vars_personal_access_token() {
    let fake = FakeSeam::start().unwrap();
    let endpoint = fake.endpoint();
    let client = from_vars(
        &fake,
        &[
            ("SEAM_PERSONAL_ACCESS_TOKEN", fake.personal_access_token()),
            ("SEAM_WORKSPACE_ID", fake.workspace_id()),
            ("SEAM_ENDPOINT", &endpoint),
        ],
    )
    .unwrap()
    .build()
    .unwrap();

    assert_eq!(client.auth().kind_name(), "personal access token");
    assert_eq!(client.auth().workspace_id(), Some(fake.workspace_id()));
    update_ok(&client, &code_update(FRONT, PIN));
    assert_eq!(
        only_request(&fake).header("seam-workspace"),
        Some(fake.workspace_id())
    );
}

#[test]
fn vars_api_key_ignores_workspace() {
    let fake = FakeSeam::start().unwrap();
    let endpoint = fake.endpoint();
    let client = from_vars(
        &fake,
        &[
            ("SEAM_API_KEY", fake.api_key()),
            ("SEAM_WORKSPACE_ID", "other_workspace"),
            ("SEAM_ENDPOINT", &endpoint),
        ],
    )
    .unwrap()
    .build()
    .unwrap();

    assert_eq!(client.auth().workspace_id(), None);
    update_ok(&client, &code_update(FRONT, PIN));
    assert_eq!(only_request(&fake).header("seam-workspace"), None);
}

#[test]
fn err_vars_both_tokens() {
    let fake = FakeSeam::start().unwrap();
    let result = from_vars(
        &fake,
        &[
            ("SEAM_API_KEY", fake.api_key()),
            ("SEAM_PERSONAL_ACCESS_TOKEN", fake.personal_access_token()),
            ("SEAM_WORKSPACE_ID", fake.workspace_id()),
        ],
    );
    let error = result.expect_err("both tokens should fail");
    assert_hides_secrets(&error);
    assert_eq!(
        config_message(&error),
        "both SEAM_API_KEY and SEAM_PERSONAL_ACCESS_TOKEN are set; unset one of them"
    );
}

#[test]
fn err_vars_token_without_workspace() {
    let fake = FakeSeam::start().unwrap();
    let result = from_vars(
        &fake,
        &[("SEAM_PERSONAL_ACCESS_TOKEN", fake.personal_access_token())],
    );
    let error = result.expect_err("a token without workspace should fail");
    assert_hides_secrets(&error);
    assert_eq!(
        config_message(&error),
        "SEAM_PERSONAL_ACCESS_TOKEN is set without SEAM_WORKSPACE_ID; set the id of the \
         workspace the token acts in"
    );
}

#[test]
fn vars_blank_values_unset() {
    let fake = FakeSeam::start().unwrap();
    let endpoint = fake.endpoint();
    let builder = from_vars(
        &fake,
        &[
            ("SEAM_API_KEY", "  "),
            ("SEAM_PERSONAL_ACCESS_TOKEN", fake.personal_access_token()),
            ("SEAM_WORKSPACE_ID", fake.workspace_id()),
            ("SEAM_ENDPOINT", ""),
            ("SEAM_API_URL", &endpoint),
            ("https_proxy", " "),
        ],
    )
    .unwrap();
    let client = builder.build().unwrap();

    assert_eq!(client.auth().kind_name(), "personal access token");
    assert_eq!(client.endpoint(), endpoint);
    update_ok(&client, &code_update(FRONT, PIN));
}

#[test]
fn err_vars_blank_workspace() {
    let fake = FakeSeam::start().unwrap();
    let result = from_vars(
        &fake,
        &[
            ("SEAM_PERSONAL_ACCESS_TOKEN", fake.personal_access_token()),
            ("SEAM_WORKSPACE_ID", "\t"),
        ],
    );
    assert!(matches!(result, Err(Error::Config(_))), "{result:?}");
}

#[test]
fn vars_no_credentials_left_unset() {
    let fake = FakeSeam::start().unwrap();
    let builder = from_vars(&fake, &[]).unwrap();
    assert_eq!(builder.endpoint_or_default(), "https://connect.getseam.com");
    let error = build_err(builder);
    assert!(
        config_message(&error).starts_with("no credentials"),
        "{error}"
    );
}

#[test]
fn vars_endpoint_before_api_url() {
    let fake = FakeSeam::start().unwrap();
    let builder = from_vars(
        &fake,
        &[
            ("SEAM_ENDPOINT", "https://127.0.0.1:1001"),
            ("SEAM_API_URL", "https://127.0.0.1:1002"),
        ],
    )
    .unwrap();
    assert_eq!(builder.endpoint_or_default(), "https://127.0.0.1:1001");

    let builder = from_vars(&fake, &[("SEAM_API_URL", "https://127.0.0.1:1002")]).unwrap();
    assert_eq!(builder.endpoint_or_default(), "https://127.0.0.1:1002");
}

#[test]
fn vars_explicit_settings_win() {
    let fake = FakeSeam::start().unwrap();
    let closed_proxy = format!("http://127.0.0.1:{}", closed_port());
    let client = builder(&fake)
        .proxy(None)
        .fill_from_vars(vars(&[
            ("SEAM_API_KEY", WRONG_KEY),
            ("SEAM_PERSONAL_ACCESS_TOKEN", PERSONAL_ACCESS_TOKEN),
            ("SEAM_ENDPOINT", "https://127.0.0.1:1001"),
            ("https_proxy", &closed_proxy),
        ]))
        .unwrap()
        .build()
        .unwrap();

    assert_eq!(client.endpoint(), fake.endpoint());
    update_ok(&client, &code_update(FRONT, PIN));
    assert_eq!(
        only_request(&fake).header("authorization"),
        Some(format!("Bearer {}", fake.api_key()).as_str())
    );
}

#[test]
fn vars_proxy_tunnels_update() {
    let fake = FakeSeam::start().unwrap();
    let proxy = TunnelProxy::start(fake.addr());
    let endpoint = fake.endpoint();
    let proxy_url = proxy.url();
    let client = from_vars(
        &fake,
        &[
            ("SEAM_API_KEY", fake.api_key()),
            ("SEAM_ENDPOINT", &endpoint),
            ("https_proxy", &proxy_url),
        ],
    )
    .unwrap()
    .build()
    .unwrap();

    let returned = update_ok(&client, &code_update(FRONT, PIN));
    assert_eq!(returned.code.as_deref(), Some(PIN));
    let lines = proxy.request_lines();
    assert_eq!(lines, [format!("CONNECT {} HTTP/1.1", fake.addr())]);
}

#[test]
fn vars_proxy_without_scheme() {
    let fake = FakeSeam::start().unwrap();
    let proxy = TunnelProxy::start(fake.addr());
    let endpoint = fake.endpoint();
    let bare = proxy.addr.to_string();
    let client = from_vars(
        &fake,
        &[
            ("SEAM_API_KEY", fake.api_key()),
            ("SEAM_ENDPOINT", &endpoint),
            ("HTTPS_PROXY", &bare),
        ],
    )
    .unwrap()
    .build()
    .unwrap();

    update_ok(&client, &code_update(FRONT, PIN));
    assert_eq!(proxy.request_lines().len(), 1);
}

#[test]
fn vars_proxy_precedence() {
    let fake = FakeSeam::start().unwrap();
    let names = ["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"];
    let proxies: Vec<TunnelProxy> = names
        .iter()
        .map(|_| TunnelProxy::start(fake.addr()))
        .collect();
    let urls: Vec<String> = proxies.iter().map(TunnelProxy::url).collect();
    let endpoint = fake.endpoint();

    // Each case sets the variables from `first` on; the one at `first` must win.
    for first in 0..names.len() {
        let mut pairs = vec![
            ("SEAM_API_KEY", fake.api_key()),
            ("SEAM_ENDPOINT", &endpoint),
        ];
        for index in first..names.len() {
            pairs.push((names[index], &urls[index]));
        }
        let client = from_vars(&fake, &pairs).unwrap().build().unwrap();
        update_ok(&client, &code_update(FRONT, PIN));

        let counts: Vec<usize> = proxies.iter().map(|p| p.request_lines().len()).collect();
        let mut expected = vec![0; names.len()];
        for count in expected.iter_mut().take(first + 1) {
            *count = 1;
        }
        assert_eq!(counts, expected, "{} should win", names[first]);
    }
}

#[test]
fn err_vars_malformed_proxy() {
    let fake = FakeSeam::start().unwrap();
    let with_password = format!("ftp://gateway:{PROXY_PASSWORD}@127.0.0.1:3128");
    let no_host = format!("http://gateway:{PROXY_PASSWORD}@");
    let cases = [
        (
            "https_proxy",
            "ftp://x".to_owned(),
            "invalid proxy \"ftp://x\" in https_proxy: only http and https proxies are \
             supported; expected http://[user:password@]host[:port]",
        ),
        (
            "HTTPS_PROXY",
            "http://".to_owned(),
            "invalid proxy \"http://\" in HTTPS_PROXY: no host; expected \
             http://[user:password@]host[:port]",
        ),
        (
            "all_proxy",
            with_password,
            "invalid proxy \"ftp://gateway:***@127.0.0.1:3128\" in all_proxy: only http and \
             https proxies are supported; expected http://[user:password@]host[:port]",
        ),
        (
            "ALL_PROXY",
            no_host,
            "invalid proxy \"http://gateway:***@\" in ALL_PROXY: no host; expected \
             http://[user:password@]host[:port]",
        ),
    ];
    for (name, value, expected) in cases {
        let builder = from_vars(
            &fake,
            &[
                ("SEAM_API_KEY", fake.api_key()),
                ("SEAM_ENDPOINT", &fake.endpoint()),
                (name, &value),
            ],
        )
        .unwrap();
        assert_no_secret(&format!("{builder:?}"));
        assert_eq!(config_message(&build_err(builder)), expected);
    }
}

#[test]
fn vars_no_proxy_lists() {
    let fake = FakeSeam::start().unwrap();
    let closed_proxy = format!("http://127.0.0.1:{}", closed_port());
    let endpoint = fake.endpoint();
    // Each case: the no-proxy variables set, and whether the fake is reached directly.
    let cases: [(&[(&str, &str)], bool); 8] = [
        (&[("no_proxy", "localhost,127.0.0.1")], true),
        (&[("NO_PROXY", "127.0.0.1")], true),
        (&[("NO_PROXY", " example.com , 127.0.0.1:443 ")], true),
        (&[("NO_PROXY", "*")], true),
        (
            &[("no_proxy", "example.com"), ("NO_PROXY", "127.0.0.1")],
            false,
        ),
        (&[("NO_PROXY", "0.0.1")], false),
        (&[("NO_PROXY", "127.0.0.10")], false),
        (&[("NO_PROXY", "")], false),
    ];
    for (no_proxy, direct) in cases {
        let mut pairs = vec![
            ("SEAM_API_KEY", fake.api_key()),
            ("SEAM_ENDPOINT", endpoint.as_str()),
            ("https_proxy", closed_proxy.as_str()),
        ];
        pairs.extend_from_slice(no_proxy);
        let client = from_vars(&fake, &pairs).unwrap().build().unwrap();
        let result = update(&client, &code_update(FRONT, PIN));
        if direct {
            assert!(result.is_ok(), "{no_proxy:?}: {result:?}");
        } else {
            let error = result.expect_err("the closed proxy should be used");
            assert_eq!(
                transport_kind(&error),
                TransportErrorKind::Connect,
                "{no_proxy:?}"
            );
        }
    }
    assert_eq!(fake.requests().len(), 4);
}

#[test]
fn err_vars_proxy_refused() {
    let fake = FakeSeam::start().unwrap();
    let port = closed_port();
    let proxy = format!("http://gateway:{PROXY_PASSWORD}@127.0.0.1:{port}");
    let endpoint = fake.endpoint();
    let client = from_vars(
        &fake,
        &[
            ("SEAM_API_KEY", fake.api_key()),
            ("SEAM_ENDPOINT", &endpoint),
            ("HTTPS_PROXY", &proxy),
            ("NO_PROXY", "localhost,example.com"),
        ],
    )
    .unwrap()
    .build()
    .unwrap();
    let error = update_err(&client, &code_update(FRONT, PIN));

    assert_eq!(transport_kind(&error), TransportErrorKind::Connect);
    assert!(fake.requests().is_empty());
}

#[test]
fn err_explicit_proxy_rejects_target() {
    let fake = FakeSeam::start().unwrap();
    let proxy = TunnelProxy::start(SocketAddr::from((Ipv4Addr::LOCALHOST, closed_port())));
    let url = format!("http://gateway:{PROXY_PASSWORD}@{}", proxy.addr);
    let client = builder(&fake).proxy(Some(&url)).build().unwrap();
    let error = update_err(&client, &code_update(FRONT, PIN));

    assert_eq!(transport_kind(&error), TransportErrorKind::Connect);
    assert_eq!(proxy.request_lines().len(), 1);
    assert!(fake.requests().is_empty());
}

// Debug output never shows a secret.

#[test]
fn debug_hides_secrets() {
    let fake = FakeSeam::start().unwrap();
    let proxy = format!("http://gateway:{PROXY_PASSWORD}@127.0.0.1:3128");
    let api_builder = builder(&fake).proxy(Some(&proxy));
    assert_no_secret(&format!("{api_builder:?}"));
    let api_client = api_builder.build().unwrap();
    assert_no_secret(&format!("{api_client:?}"));
    assert_no_secret(&format!("{:?}", api_client.auth()));

    let pat = pat_client(&fake);
    assert_no_secret(&format!("{pat:?}"));
    assert_no_secret(&format!("{:?}", pat.auth()));
    for token in [ACCESS_TOKEN_AS_KEY, CONSOLE_JWT] {
        assert_no_secret(&format!("{:?}", Auth::api_key(token)));
        assert_no_secret(&format!("{:?}", Auth::personal_access_token(token, "w")));
    }

    let params = code_update(FRONT, PIN).ends_at("2031-06-01T10:00:00Z");
    assert_no_secret(&format!("{params:?}"));
    let valid = params.validate().unwrap();
    assert_no_secret(&format!("{valid:?}"));
    assert_no_secret(&valid.to_masked_json());
    let credential = update_ok(&client(&fake), &params);
    assert_no_secret(&format!("{credential:?}"));
    assert!(
        format!("{credential:?}").contains("******"),
        "{credential:?}"
    );
}

/// Captures the log records emitted on one thread, at every level.
struct CaptureLogger {
    thread: Mutex<Option<thread::ThreadId>>,
    records: Mutex<Vec<(log::Level, String, String)>>,
}

impl log::Log for CaptureLogger {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        *self.thread.lock().unwrap() == Some(thread::current().id())
    }

    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            let text = record.args().to_string();
            let entry = (record.level(), record.target().to_owned(), text);
            self.records.lock().unwrap().push(entry);
        }
    }

    fn flush(&self) {}
}

static LOGGER: CaptureLogger = CaptureLogger {
    thread: Mutex::new(None),
    records: Mutex::new(Vec::new()),
};

#[test]
fn logs_hide_secrets() {
    *LOGGER.thread.lock().unwrap() = Some(thread::current().id());
    log::set_logger(&LOGGER).unwrap();
    log::set_max_level(log::LevelFilter::Trace);

    let fake = FakeSeam::start().unwrap();
    let params = code_update(FRONT, PIN).ends_at("2031-06-01T10:00:00Z");
    update_ok(&client(&fake), &params);
    update_ok(&pat_client(&fake), &params);
    fake.reply_next(CannedReply::json(200, r#"{"acs_credential": "#));
    update(&client(&fake), &params).unwrap();
    let unauthorized = builder(&fake).auth(Auth::api_key(WRONG_KEY));
    update_err(&unauthorized.build().unwrap(), &params);
    log::set_max_level(log::LevelFilter::Off);

    let records = LOGGER.records.lock().unwrap().clone();
    let ours = records
        .iter()
        .filter(|(_, target, _)| target == "seam_edge::credential");
    assert!(
        ours.clone()
            .any(|(_, _, text)| text.contains("update request body")),
        "{records:#?}"
    );
    // ureq_proto's trace lines dump the raw HTTP bytes, token and PIN included, as the crate
    // docs warn. Every other line, at every level, must hide them.
    let checked = records
        .iter()
        .filter(|(level, target, _)| *level < log::Level::Trace || target != "ureq_proto::util");
    for (level, target, text) in checked {
        assert_no_secret(&format!("{level} {target}: {text}"));
    }
}

// Hostile or odd server replies and endpoints.

#[test]
fn err_deeply_nested_validation_errors_do_not_overflow() {
    let fake = FakeSeam::start().unwrap();
    let depth = 50_000;
    let body = format!(
        "{{\"error\":{{\"type\":\"invalid_input\",\"message\":\"Invalid input\",\
         \"validation_errors\":{}{}}},\"ok\":false}}",
        "{\"a\":".repeat(depth),
        "{}".to_owned() + &"}".repeat(depth)
    );
    let error = canned_err(&fake, CannedReply::json(400, &body));

    assert_eq!(api(&error).error_type(), Some("invalid_input"));
    assert!(api(&error).validation_errors().is_empty());
}

#[test]
fn err_server_text_control_characters_escaped() {
    let fake = FakeSeam::start().unwrap();
    let body = "{\"error\":{\"type\":\"invalid_input\",\"message\":\"bad\\nseam-edge: forged \
                \\u001b[31mline\",\"validation_errors\":{\"co\\nde\":{\"_errors\":[\"x\\ny\"]}}},\
                \"ok\":false}";
    let error = canned_err(&fake, CannedReply::json(400, body));
    let text = error.to_string();

    assert!(!text.contains('\n'), "{text}");
    assert!(!text.contains('\u{1b}'), "{text}");
    assert!(
        text.contains("bad\\nseam-edge: forged \\u{1b}[31mline"),
        "{text}"
    );
    assert!(text.contains("co\\nde: x\\ny"), "{text}");
}

#[test]
fn err_success_json_without_content_type_hides_body() {
    let fake = FakeSeam::start().unwrap();
    let body =
        format!("{{\"acs_credential\":{{\"acs_credential_id\":\"{FRONT}\",\"code\":\"{PIN}\"}}}}");
    let reply = CannedReply::new(200).body(body.clone());
    let error = canned_err(&fake, reply);

    assert!(error.is_temporary());
    assert_eq!(
        http(&error).body_excerpt(),
        format!("{} bytes of JSON not shown", body.len())
    );
    assert!(!error.to_string().contains(PIN), "{error}");
}

#[test]
fn err_endpoint_user_info_rejected_and_hidden() {
    let builder = Client::builder()
        .endpoint("https://user:hunter2pw@127.0.0.1:9")
        .auth(Auth::api_key(seam_edge::fake::API_KEY));
    let message = config_message(&build_err(builder));

    assert!(message.contains("user info is not allowed"), "{message}");
    assert!(!message.contains("hunter2pw"), "{message}");
}

#[test]
fn err_endpoint_fragment_rejected() {
    let builder = Client::builder()
        .endpoint("https://127.0.0.1:9#frag")
        .auth(Auth::api_key(seam_edge::fake::API_KEY));
    let message = config_message(&build_err(builder));

    assert!(message.contains("a fragment is not allowed"), "{message}");
}

#[test]
fn err_connect_failure_names_the_proxy() {
    let fake = FakeSeam::start().unwrap();
    let proxy = format!("http://user:{PROXY_PASSWORD}@127.0.0.1:{}", closed_port());
    let client = builder(&fake).proxy(Some(&proxy)).build().unwrap();
    let error = update_err(&client, &code_update(FRONT, "1234"));
    let text = error.to_string();

    assert_eq!(transport_kind(&error), TransportErrorKind::Connect);
    assert!(
        text.contains("through proxy http://user:***@127.0.0.1:"),
        "{text}"
    );
    assert!(!text.contains(PROXY_PASSWORD), "{text}");
}

#[test]
fn err_proxy_port_out_of_range() {
    let fake = FakeSeam::start().unwrap();
    for proxy in [
        "http://127.0.0.1:99999",
        "http://127.0.0.1:0",
        "127.0.0.1:port",
    ] {
        let message = config_message(&build_err(builder(&fake).proxy(Some(proxy))));

        assert!(
            message.contains("the port must be a number from 1 to 65535"),
            "{proxy}: {message}"
        );
    }
}

// Retries and the deadline.

/// Returns a client with two retries and a 1 ms backoff, so retry tests stay fast.
fn retrying(fake: &FakeSeam) -> Client {
    builder(fake)
        .retries(2)
        .retry_backoff(Duration::from_millis(1))
        .build()
        .unwrap()
}

/// Starts a plain-TCP loopback server that runs `serve` on every connection and counts
/// the connections.
fn counting_server(serve: fn(TcpStream)) -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let addr = listener.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&count);
    thread::spawn(move || {
        for stream in listener.incoming().take(10) {
            let Ok(stream) = stream else {
                return;
            };
            counter.fetch_add(1, Ordering::SeqCst);
            thread::spawn(move || serve(stream));
        }
    });
    (addr, count)
}

fn retrying_raw(endpoint: String) -> Client {
    Client::builder()
        .endpoint(endpoint)
        .auth(Auth::api_key(seam_edge::fake::API_KEY))
        .timeout(TEST_TIMEOUT)
        .retries(2)
        .retry_backoff(Duration::from_millis(1))
        .build()
        .unwrap()
}

#[test]
fn retry_after_503_succeeds_with_same_body() {
    let fake = FakeSeam::start().unwrap();
    fake.reply_next(CannedReply::new(503));
    update_ok(&retrying(&fake), &code_update(FRONT, PIN));

    let requests = fake.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].body, requests[1].body);
    assert_eq!(fake.credential(FRONT).unwrap().code.as_deref(), Some(PIN));
}

#[test]
fn retry_each_temporary_status() {
    for status in [408, 429, 500, 502, 503, 504] {
        let fake = FakeSeam::start().unwrap();
        fake.reply_next(CannedReply::new(status));
        update_ok(&retrying(&fake), &code_update(FRONT, PIN));

        assert_eq!(fake.requests().len(), 2, "status {status}");
    }
}

#[test]
fn retry_gives_up_after_retries() {
    let fake = FakeSeam::start().unwrap();
    for _ in 0..3 {
        fake.reply_next(CannedReply::new(503));
    }
    let error = update_err(&retrying(&fake), &code_update(FRONT, PIN));

    assert_eq!(error.status(), Some(503));
    assert_eq!(fake.requests().len(), 3);
}

#[test]
fn retry_zero_means_one_attempt() {
    let fake = FakeSeam::start().unwrap();
    fake.reply_next(CannedReply::new(503));
    let error = update_err(&client(&fake), &code_update(FRONT, PIN));

    assert_eq!(error.status(), Some(503));
    assert_eq!(fake.requests().len(), 1);
}

#[test]
fn no_retry_for_final_statuses() {
    for status in [400, 401, 403, 404, 405, 409, 501, 302] {
        let fake = FakeSeam::start().unwrap();
        fake.reply_next(CannedReply::new(status));
        let error = update_err(&retrying(&fake), &code_update(FRONT, PIN));

        assert_eq!(error.status(), Some(status));
        assert_eq!(fake.requests().len(), 1, "status {status}");
    }
}

#[test]
fn no_retry_for_invalid_input() {
    let fake = FakeSeam::start().unwrap();
    let error = update_err(&retrying(&fake), &code_update(FRONT, "12a4"));

    assert!(matches!(error, Error::InvalidInput(_)));
    assert!(fake.requests().is_empty());
}

#[test]
fn retry_after_seconds_is_honoured() {
    let fake = FakeSeam::start().unwrap();
    fake.reply_next(CannedReply::new(429).header("retry-after", "1"));
    let started = std::time::Instant::now();
    update_ok(&retrying(&fake), &code_update(FRONT, PIN));

    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(fake.requests().len(), 2);
}

#[test]
fn retry_after_http_date_is_honoured() {
    let fake = FakeSeam::start().unwrap();
    let at = SystemTime::now() + Duration::from_secs(2);
    let text = Timestamp::from_system_time(at).unwrap().to_string();
    // 2030-01-31T18:00:00Z becomes "Thu, 31 Jan 2030 18:00:00 GMT"; the weekday is not read.
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month: usize = text[5..7].parse().unwrap();
    let date = format!(
        "Mon, {} {} {} {} GMT",
        &text[8..10],
        months[month - 1],
        &text[0..4],
        &text[11..19]
    );
    fake.reply_next(CannedReply::new(503).header("retry-after", &date));
    let started = std::time::Instant::now();
    update_ok(&retrying(&fake), &code_update(FRONT, PIN));

    assert!(started.elapsed() >= Duration::from_millis(900), "{date}");
    assert_eq!(fake.requests().len(), 2);
}

#[test]
fn retry_after_too_long_ends_retries() {
    let fake = FakeSeam::start().unwrap();
    fake.reply_next(CannedReply::new(429).header("retry-after", "3600"));
    let error = update_err(&retrying(&fake), &code_update(FRONT, PIN));

    assert_eq!(error.status(), Some(429));
    assert_eq!(fake.requests().len(), 1);
}

#[test]
fn retry_after_past_deadline_ends_retries() {
    let fake = FakeSeam::start().unwrap();
    fake.reply_next(CannedReply::new(503).header("retry-after", "5"));
    let client = builder(&fake)
        .retries(2)
        .deadline(Duration::from_secs(2))
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let error = update_err(&client, &code_update(FRONT, PIN));

    assert_eq!(error.status(), Some(503));
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(fake.requests().len(), 1);
}

#[test]
fn deadline_bounds_silent_server() {
    let (addr, connections) = counting_server(|stream| {
        thread::sleep(Duration::from_secs(10));
        drop(stream);
    });
    let client = Client::builder()
        .endpoint(format!("http://{addr}"))
        .auth(Auth::api_key(seam_edge::fake::API_KEY))
        .timeout(Duration::from_secs(30))
        .deadline(Duration::from_millis(1500))
        .retry_backoff(Duration::from_millis(1))
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let error = update_err(&client, &code_update(FRONT, PIN));

    assert_eq!(transport_kind(&error), TransportErrorKind::Timeout);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert!(connections.load(Ordering::SeqCst) >= 1);
}

#[test]
fn closed_connection_is_retried() {
    let (addr, connections) = counting_server(|mut stream| {
        let _ = read_head(&mut stream);
    });
    let error = update_err(
        &retrying_raw(format!("http://{addr}")),
        &code_update(FRONT, PIN),
    );

    assert_eq!(transport_kind(&error), TransportErrorKind::ClosedEarly);
    assert_eq!(connections.load(Ordering::SeqCst), 3);
}

#[test]
fn tls_failure_is_not_retried() {
    let (addr, connections) = counting_server(|mut stream| {
        let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\nthis is not TLS");
    });
    let error = update_err(
        &retrying_raw(format!("https://{addr}")),
        &code_update(FRONT, PIN),
    );

    assert_eq!(transport_kind(&error), TransportErrorKind::Tls);
    assert_eq!(connections.load(Ordering::SeqCst), 1);
}

#[test]
fn err_zero_durations_rejected() {
    let fake = FakeSeam::start().unwrap();
    let cases = [
        (
            builder(&fake).timeout(Duration::ZERO),
            "the timeout must be longer than zero",
        ),
        (
            builder(&fake).connect_timeout(Duration::ZERO),
            "the connect timeout must be longer than zero",
        ),
        (
            builder(&fake).deadline(Duration::ZERO),
            "the deadline must be longer than zero",
        ),
    ];
    for (builder, expected) in cases {
        assert_eq!(config_message(&build_err(builder)), expected);
    }
}

// Findings of a second review.

#[test]
fn err_proxy_407_is_config_and_not_retried() {
    let fake = FakeSeam::start().unwrap();
    let (addr, connections) = counting_server(|mut stream| {
        let _ = read_head(&mut stream);
        let _ = stream
            .write_all(b"HTTP/1.1 407 Proxy Authentication Required\r\ncontent-length: 0\r\n\r\n");
    });
    let proxy = format!("http://gateway:{PROXY_PASSWORD}@{addr}");
    let client = builder(&fake)
        .proxy(Some(&proxy))
        .retries(2)
        .retry_backoff(Duration::from_millis(1))
        .build()
        .unwrap();
    let error = update_err(&client, &code_update(FRONT, PIN));
    let message = config_message(&error);

    assert!(
        message.contains("rejected its credentials (http 407)"),
        "{message}"
    );
    assert!(!message.contains(PROXY_PASSWORD), "{message}");
    assert_eq!(connections.load(Ordering::SeqCst), 1);
}

#[test]
fn err_proxy_password_with_reserved_characters() {
    let fake = FakeSeam::start().unwrap();
    for password in ["pw/x", "pw?x", "pw#x"] {
        let proxy = format!("http://gateway:{password}@127.0.0.1:3128");
        let message = config_message(&build_err(builder(&fake).proxy(Some(&proxy))));

        assert!(
            message.contains("percent-encode them"),
            "{password}: {message}"
        );
        assert!(!message.contains(password), "{password}: {message}");
    }
}

#[test]
fn err_server_echo_of_secrets_is_redacted() {
    let fake = FakeSeam::start().unwrap();
    let echo = format!(
        "denied: authorization: Bearer {} code {PIN}",
        fake.api_key()
    );
    fake.reply_next(CannedReply::with_body(502, "text/plain", echo));
    let envelope = format!(
        "{{\"error\":{{\"type\":\"invalid_input\",\"message\":\"bad body {{\\\"code\\\":\\\"{PIN}\\\"}}\"}},\"ok\":false}}"
    );
    fake.reply_next(CannedReply::json(400, &envelope));
    let client = client(&fake);

    let http = update_err(&client, &code_update(FRONT, PIN));
    let api = update_err(&client, &code_update(FRONT, PIN));

    for error in [&http, &api] {
        let text = format!("{error} {error:?}");
        assert!(!text.contains(fake.api_key()), "{text}");
        assert!(!text.contains(PIN), "{text}");
        assert!(text.contains("***"), "{text}");
    }
}

#[test]
fn huge_deadline_does_not_overflow() {
    let fake = FakeSeam::start().unwrap();
    let client = builder(&fake).deadline(Duration::MAX).build().unwrap();
    update_ok(&client, &code_update(FRONT, PIN));
}
