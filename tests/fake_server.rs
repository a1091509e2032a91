//! Tests of the fake Seam server through a plain ureq client and a raw rustls client.
#![cfg(feature = "fake-server")]

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use miniserde::json::{self, Value};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use seam_edge::fake::{FakeCredential, FakeSeam, SEEDED_CREDENTIAL_IDS};
use ureq::http::Response;
use ureq::tls::{Certificate, RootCerts, TlsConfig};
use ureq::{Agent, Body, SendBody};

const FRONT: &str = SEEDED_CREDENTIAL_IDS[0];
const BACK: &str = SEEDED_CREDENTIAL_IDS[1];
const GARAGE: &str = SEEDED_CREDENTIAL_IDS[2];

/// An agent that trusts only the fake's CA and returns 4xx and 5xx as responses.
fn agent(fake: &FakeSeam) -> Agent {
    let ca = Certificate::from_pem(fake.ca_pem().as_bytes()).unwrap();
    let tls = TlsConfig::builder()
        .root_certs(RootCerts::new_with_certs(&[ca]))
        .build();
    Agent::config_builder()
        .tls_config(tls)
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .new_agent()
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

fn url(fake: &FakeSeam, path: &str) -> String {
    format!("{}{path}", fake.endpoint())
}

/// Sends `PATCH /acs/credentials/update` with the API key and a JSON body.
fn update(fake: &FakeSeam, body: &str) -> Response<Body> {
    agent(fake)
        .patch(url(fake, "/acs/credentials/update"))
        .header("authorization", bearer(fake.api_key()))
        .content_type("application/json")
        .send(body)
        .unwrap()
}

/// Sends `GET path` with the API key.
fn get(fake: &FakeSeam, path: &str) -> Response<Body> {
    agent(fake)
        .get(url(fake, path))
        .header("authorization", bearer(fake.api_key()))
        .call()
        .unwrap()
}

fn header<'a>(response: &'a Response<Body>, name: &str) -> Option<&'a str> {
    response.headers().get(name).and_then(|v| v.to_str().ok())
}

fn text(response: &mut Response<Body>) -> String {
    response.body_mut().read_to_string().unwrap()
}

fn json_body(response: &mut Response<Body>) -> Value {
    assert_eq!(
        header(response, "content-type"),
        Some("application/json; charset=utf-8")
    );
    json::from_str(&text(response)).unwrap()
}

/// Follows object keys; panics with the path when one is missing.
fn at<'a>(value: &'a Value, path: &[&str]) -> &'a Value {
    path.iter().fold(value, |value, key| match value {
        Value::Object(object) => object.get(*key).unwrap_or_else(|| panic!("no {path:?}")),
        _ => panic!("not an object at {key} of {path:?}"),
    })
}

fn string_at<'a>(value: &'a Value, path: &[&str]) -> &'a str {
    match at(value, path) {
        Value::String(text) => text,
        other => panic!("{path:?} is {other:?}"),
    }
}

fn error_type(response: &mut Response<Body>) -> String {
    let body = json_body(response);
    assert!(matches!(at(&body, &["ok"]), Value::Bool(false)));
    string_at(&body, &["error", "message"]);
    string_at(&body, &["error", "type"]).to_owned()
}

fn messages<'a>(body: &'a Value, parameter: &str) -> Vec<&'a str> {
    let path: &[&str] = if parameter.is_empty() {
        &["error", "validation_errors", "_errors"]
    } else {
        &["error", "validation_errors", parameter, "_errors"]
    };
    match at(body, path) {
        Value::Array(list) => list
            .iter()
            .map(|message| match message {
                Value::String(text) => text.as_str(),
                other => panic!("message is {other:?}"),
            })
            .collect(),
        other => panic!("{path:?} is {other:?}"),
    }
}

#[test]
fn binds_loopback_only() {
    let fake = FakeSeam::start().unwrap();
    assert_eq!(fake.addr().ip(), Ipv4Addr::LOCALHOST);
    assert_eq!(
        fake.endpoint(),
        format!("https://127.0.0.1:{}", fake.addr().port())
    );
}

#[test]
fn update_with_api_key_changes_credential() {
    let fake = FakeSeam::start().unwrap();
    let body = format!(
        r#"{{"acs_credential_id":"{FRONT}","code":"0987","ends_at":"2099-01-01T00:00:00Z"}}"#
    );
    let mut response = update(&fake, &body);

    assert_eq!(response.status(), 200);
    let body = json_body(&mut response);
    assert!(matches!(at(&body, &["ok"]), Value::Bool(true)));
    assert_eq!(
        string_at(&body, &["acs_credential", "acs_credential_id"]),
        FRONT
    );
    assert_eq!(string_at(&body, &["acs_credential", "code"]), "0987");
    assert_eq!(
        string_at(&body, &["acs_credential", "ends_at"]),
        "2099-01-01T00:00:00Z"
    );

    let stored = fake.credential(FRONT).unwrap();
    assert_eq!(stored.code.as_deref(), Some("0987"));
    assert_eq!(stored.ends_at.as_deref(), Some("2099-01-01T00:00:00Z"));
}

#[test]
fn update_accepts_post_and_charset() {
    let fake = FakeSeam::start().unwrap();
    let mut response = agent(&fake)
        .post(url(&fake, "/acs/credentials/update"))
        .header("authorization", bearer(fake.api_key()))
        .content_type("application/json; charset=utf-8")
        .send(format!(r#"{{"acs_credential_id":"{BACK}","code":"55"}}"#))
        .unwrap();

    assert_eq!(response.status(), 200);
    assert_eq!(
        string_at(&json_body(&mut response), &["acs_credential", "code"]),
        "55"
    );
}

#[test]
fn update_reads_chunked_body() {
    let fake = FakeSeam::start().unwrap();
    let body = format!(r#"{{"acs_credential_id":"{FRONT}","code":"2468"}}"#);
    let mut reader = body.as_bytes();
    let response = agent(&fake)
        .patch(url(&fake, "/acs/credentials/update"))
        .header("authorization", bearer(fake.api_key()))
        .content_type("application/json")
        .send(SendBody::from_reader(&mut reader))
        .unwrap();

    assert_eq!(response.status(), 200);
    let recorded = fake.requests();
    assert_eq!(recorded[0].header("transfer-encoding"), Some("chunked"));
    assert_eq!(recorded[0].body_text(), body);
    assert_eq!(
        fake.credential(FRONT).unwrap().code.as_deref(),
        Some("2468")
    );
}

#[test]
fn credential_nulls_are_sent() {
    let fake = FakeSeam::start().unwrap();
    let mut response = get(
        &fake,
        &format!("/acs/credentials/get?acs_credential_id={GARAGE}"),
    );

    assert_eq!(response.status(), 200);
    let body = json_body(&mut response);
    for key in ["code", "ends_at", "acs_user_id"] {
        assert!(
            matches!(at(&body, &["acs_credential", key]), Value::Null),
            "{key}"
        );
    }
    assert!(
        matches!(at(&body, &["acs_credential", "errors"]), Value::Array(list) if list.is_empty())
    );
    assert!(
        matches!(at(&body, &["acs_credential", "warnings"]), Value::Array(list) if list.is_empty())
    );
    assert!(matches!(
        at(&body, &["acs_credential", "is_multi_phone_sync_credential"]),
        Value::Bool(false)
    ));
}

#[test]
fn get_credential_by_post_body() {
    let fake = FakeSeam::start().unwrap();
    let mut response = agent(&fake)
        .post(url(&fake, "/acs/credentials/get"))
        .header("authorization", bearer(fake.api_key()))
        .content_type("application/json")
        .send(format!(r#"{{"acs_credential_id":"{BACK}"}}"#))
        .unwrap();

    assert_eq!(response.status(), 200);
    let body = json_body(&mut response);
    assert_eq!(
        string_at(&body, &["acs_credential", "display_name"]),
        "Back door PIN"
    );
    assert_eq!(string_at(&body, &["acs_credential", "code"]), "0042");
}

#[test]
fn get_credential_without_id_is_invalid() {
    let fake = FakeSeam::start().unwrap();
    let mut response = get(&fake, "/acs/credentials/get");

    assert_eq!(response.status(), 400);
    let body = json_body(&mut response);
    assert_eq!(string_at(&body, &["error", "type"]), "invalid_input");
    assert_eq!(messages(&body, "acs_credential_id"), ["Required"]);
}

#[test]
fn inserted_credential_is_served() {
    let fake = FakeSeam::start().unwrap();
    let mut credential = FakeCredential::new("custom-1");
    credential.code = Some("321".to_owned());
    fake.insert_credential(credential.clone());

    let mut response = get(&fake, "/acs/credentials/get?acs_credential_id=custom-1");
    assert_eq!(response.status(), 200);
    assert_eq!(
        string_at(&json_body(&mut response), &["acs_credential", "code"]),
        "321"
    );
    assert_eq!(fake.credential("custom-1"), Some(credential));
}

#[test]
fn other_workspace_credential_is_not_found() {
    let fake = FakeSeam::start().unwrap();
    let mut credential = FakeCredential::new("elsewhere");
    credential.workspace_id = "another_workspace".to_owned();
    fake.insert_credential(credential);

    let mut response = update(&fake, r#"{"acs_credential_id":"elsewhere","code":"1"}"#);
    assert_eq!(response.status(), 404);
    assert_eq!(error_type(&mut response), "acs_credential_not_found");
    assert_eq!(fake.credential("elsewhere").unwrap().code, None);
}

#[test]
fn get_workspace_returns_seeded_workspace() {
    let fake = FakeSeam::start().unwrap();
    let mut response = get(&fake, "/workspaces/get");

    assert_eq!(response.status(), 200);
    let body = json_body(&mut response);
    assert_eq!(
        string_at(&body, &["workspace", "workspace_id"]),
        fake.workspace_id()
    );
    assert_eq!(string_at(&body, &["workspace", "name"]), "Fake Workspace");
    assert!(matches!(
        at(&body, &["workspace", "is_sandbox"]),
        Value::Bool(true)
    ));
    assert!(matches!(
        at(&body, &["workspace", "connect_partner_name"]),
        Value::Null
    ));
}

#[test]
fn personal_access_token_needs_workspace() {
    let fake = FakeSeam::start().unwrap();
    let send = |workspace: Option<&str>| {
        let mut request = agent(&fake)
            .get(url(&fake, "/workspaces/get"))
            .header("authorization", bearer(fake.personal_access_token()));
        if let Some(workspace) = workspace {
            request = request.header("seam-workspace", workspace);
        }
        request.call().unwrap()
    };

    assert_eq!(send(Some(fake.workspace_id())).status(), 200);

    let mut missing = send(None);
    assert_eq!(missing.status(), 401);
    assert_eq!(error_type(&mut missing), "access_token_used_for_api_key");

    let mut other = send(Some("another_workspace"));
    assert_eq!(other.status(), 401);
    assert_eq!(error_type(&mut other), "unauthorized");
}

#[test]
fn missing_or_wrong_token_is_unauthorized() {
    let fake = FakeSeam::start().unwrap();
    let path = "/acs/credentials/update";
    let tokens = [
        None,
        Some("Bearer seam_other_token"),
        Some("Basic c2VhbQ=="),
        Some("Bearer"),
    ];
    for token in tokens {
        let mut request = agent(&fake)
            .patch(url(&fake, path))
            .content_type("application/json");
        if let Some(token) = token {
            request = request.header("authorization", token);
        }
        let mut response = request
            .send(format!(r#"{{"acs_credential_id":"{FRONT}"}}"#))
            .unwrap();

        assert_eq!(response.status(), 401, "{token:?}");
        let body = json_body(&mut response);
        assert_eq!(string_at(&body, &["error", "type"]), "unauthorized");
        assert_eq!(string_at(&body, &["error", "message"]), "Unauthorized");
    }
    assert_eq!(
        fake.credential(FRONT).unwrap().code.as_deref(),
        Some("1234")
    );
}

#[test]
fn update_without_json_content_type() {
    let fake = FakeSeam::start().unwrap();
    let body = format!(r#"{{"acs_credential_id":"{FRONT}"}}"#);
    for content_type in [None, Some("text/plain"), Some("application/jsonx")] {
        let mut request = agent(&fake)
            .patch(url(&fake, "/acs/credentials/update"))
            .header("authorization", bearer(fake.api_key()));
        if let Some(content_type) = content_type {
            request = request.content_type(content_type);
        }
        let mut response = request.send(&body).unwrap();

        assert_eq!(response.status(), 400, "{content_type:?}");
        assert_eq!(error_type(&mut response), "invalid_content_type");
    }
}

#[test]
fn update_with_invalid_json() {
    let fake = FakeSeam::start().unwrap();
    for body in [
        "{",
        "",
        "not json",
        "{\"acs_credential_id\":\"a\"} trailing",
    ] {
        let mut response = update(&fake, body);

        assert_eq!(response.status(), 400, "{body:?}");
        assert_eq!(
            header(&response, "content-type"),
            Some("text/plain; charset=utf-8")
        );
        assert_eq!(text(&mut response), "Invalid JSON");
    }
}

#[test]
fn update_validation_errors_nest_per_parameter() {
    let fake = FakeSeam::start().unwrap();
    let body = format!(
        r#"{{"acs_credential_id":"{FRONT}","code":"12a4","ends_at":"2020-01-01T00:00:00Z"}}"#
    );
    let mut response = update(&fake, &body);

    assert_eq!(response.status(), 400);
    let body = json_body(&mut response);
    assert_eq!(string_at(&body, &["error", "type"]), "invalid_input");
    assert_eq!(string_at(&body, &["error", "message"]), "Invalid input");
    assert!(messages(&body, "").is_empty());
    assert_eq!(messages(&body, "code").len(), 1);
    assert_eq!(
        messages(&body, "ends_at"),
        ["ends_at must be in the future"]
    );
    assert_eq!(
        fake.credential(FRONT).unwrap().code.as_deref(),
        Some("1234")
    );
}

#[test]
fn update_rejects_wrong_types_and_keys() {
    let fake = FakeSeam::start().unwrap();
    let cases = [
        (
            r#"{"acs_credential_id":null}"#,
            "acs_credential_id",
            "Expected string, received null",
        ),
        (
            r#"{"acs_credential_id":7}"#,
            "acs_credential_id",
            "Expected string, received number",
        ),
        (r#"{}"#, "acs_credential_id", "Required"),
        (
            r#"{"acs_credential_id":"x","code":null}"#,
            "code",
            "Expected string, received null",
        ),
        (
            r#"{"acs_credential_id":"x","code":1234}"#,
            "code",
            "Expected string, received number",
        ),
        (
            r#"{"acs_credential_id":"x","ends_at":false}"#,
            "ends_at",
            "Expected string, received boolean",
        ),
        (
            r#"{"acs_credential_id":"x","pin":"1"}"#,
            "",
            "Unrecognized key(s) in object: 'pin'",
        ),
        (r#"["x"]"#, "", "Expected object, received array"),
    ];
    for (request, parameter, expected) in cases {
        let mut response = update(&fake, request);

        assert_eq!(response.status(), 400, "{request}");
        let body = json_body(&mut response);
        assert_eq!(
            string_at(&body, &["error", "type"]),
            "invalid_input",
            "{request}"
        );
        assert_eq!(messages(&body, parameter), [expected], "{request}");
    }
}

#[test]
fn update_rejects_non_utc_ends_at() {
    let fake = FakeSeam::start().unwrap();
    let forms = [
        "2099-01-01T00:00:00+00:00",
        "2099-01-01T00:00:00",
        "2099-01-01 00:00:00Z",
        "2099-01-01",
        "2099-02-30T00:00:00Z",
    ];
    for ends_at in forms {
        let body = format!(r#"{{"acs_credential_id":"{FRONT}","ends_at":"{ends_at}"}}"#);
        let mut response = update(&fake, &body);

        assert_eq!(response.status(), 400, "{ends_at}");
        let body = json_body(&mut response);
        assert!(
            messages(&body, "ends_at")[0].starts_with("Invalid datetime"),
            "{ends_at}"
        );
    }
}

#[test]
fn update_ends_at_before_starts_at() {
    let fake = FakeSeam::start().unwrap();
    let body = format!(
        r#"{{"acs_credential_id":"{GARAGE}","code":"1","ends_at":"2089-12-31T23:59:59.999Z"}}"#
    );
    let mut response = update(&fake, &body);

    assert_eq!(response.status(), 400);
    let body = json_body(&mut response);
    assert_eq!(string_at(&body, &["error", "type"]), "invalid_input");
    assert_eq!(
        messages(&body, "ends_at"),
        ["ends_at must be after the credential's starts_at (2090-01-01T00:00:00.000Z)"]
    );
    assert_eq!(fake.credential(GARAGE).unwrap().code, None);
}

#[test]
fn update_unknown_credential_is_not_found() {
    let fake = FakeSeam::start().unwrap();
    let mut response = update(&fake, r#"{"acs_credential_id":"no-such-id","code":"1"}"#);

    assert_eq!(response.status(), 404);
    assert_eq!(error_type(&mut response), "acs_credential_not_found");
}

#[test]
fn wrong_method_is_not_allowed() {
    let fake = FakeSeam::start().unwrap();
    let cases = [
        ("DELETE", "/acs/credentials/update", "PATCH, POST"),
        ("GET", "/acs/credentials/update", "PATCH, POST"),
        ("PUT", "/acs/credentials/get", "GET, POST"),
        ("POST", "/workspaces/get", "GET"),
        ("HEAD", "/workspaces/get", "GET"),
    ];
    let client = agent(&fake);
    for (method, path, allow) in cases {
        let request = ureq::http::Request::builder()
            .method(method)
            .uri(url(&fake, path))
            .header("authorization", bearer(fake.api_key()))
            .body(())
            .unwrap();
        let mut response = client.run(request).unwrap();

        assert_eq!(response.status(), 405, "{method} {path}");
        assert_eq!(header(&response, "allow"), Some(allow));
        if method == "HEAD" {
            assert_eq!(text(&mut response), "");
        } else {
            assert_eq!(error_type(&mut response), "method_not_allowed");
        }
    }

    // The HEAD reply sent no body, so the same connection still reads the next reply.
    let response = client
        .get(url(&fake, "/workspaces/get"))
        .header("authorization", bearer(fake.api_key()))
        .call()
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        fake.requests()
            .iter()
            .all(|request| request.connection == 1)
    );
}

#[test]
fn unknown_path_is_plain_404() {
    let fake = FakeSeam::start().unwrap();
    let mut response = agent(&fake)
        .get(url(&fake, "/devices/list"))
        .call()
        .unwrap();

    assert_eq!(response.status(), 404);
    assert_eq!(
        header(&response, "content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(text(&mut response), "404");
}

#[test]
fn oversized_body_is_rejected() {
    let fake = FakeSeam::start().unwrap();
    let body = vec![b' '; 2 * 1024 * 1024];
    let response = agent(&fake)
        .patch(url(&fake, "/acs/credentials/update"))
        .header("authorization", bearer(fake.api_key()))
        .content_type("application/json")
        .send(&body[..])
        .unwrap();

    assert_eq!(response.status(), 413);
    assert!(fake.requests()[0].body.is_empty());
}

#[test]
fn responses_carry_request_id_and_length() {
    let fake = FakeSeam::start().unwrap();
    let first = get(&fake, "/workspaces/get");
    let second = get(&fake, "/nowhere");

    let first_id = header(&first, "seam-request-id").unwrap();
    let second_id = header(&second, "seam-request-id").unwrap();
    assert!(first_id.starts_with("req_"));
    assert!(second_id.starts_with("req_"));
    assert_ne!(first_id, second_id);
    assert!(header(&first, "content-length").is_some());
    assert_eq!(header(&second, "content-length"), Some("3"));
}

#[test]
fn requests_are_recorded_in_order() {
    let fake = FakeSeam::start().unwrap();
    let body = format!(r#"{{"acs_credential_id":"{FRONT}","code":"9"}}"#);
    update(&fake, &body);
    get(
        &fake,
        &format!("/acs/credentials/get?acs_credential_id={FRONT}"),
    );
    agent(&fake).get(url(&fake, "/unknown")).call().unwrap();

    let recorded = fake.requests();
    assert_eq!(recorded.len(), 3);
    assert_eq!(recorded[0].method, "PATCH");
    assert_eq!(recorded[0].path, "/acs/credentials/update");
    assert_eq!(recorded[0].body_text(), body);
    assert_eq!(recorded[0].header("Content-Type"), Some("application/json"));
    let authorization = bearer(fake.api_key());
    assert_eq!(
        recorded[0].header("authorization"),
        Some(authorization.as_str())
    );
    assert!(
        recorded[0]
            .headers
            .iter()
            .all(|(name, _)| *name == name.to_ascii_lowercase())
    );
    assert_eq!(recorded[1].method, "GET");
    assert_eq!(
        recorded[1].path,
        format!("/acs/credentials/get?acs_credential_id={FRONT}")
    );
    assert_eq!(recorded[2].path, "/unknown");

    fake.clear_requests();
    assert!(fake.requests().is_empty());
}

#[test]
fn keep_alive_reuses_one_connection() {
    let fake = FakeSeam::start().unwrap();
    let agent = agent(&fake);
    for _ in 0..3 {
        let response = agent
            .get(url(&fake, "/workspaces/get"))
            .header("authorization", bearer(fake.api_key()))
            .call()
            .unwrap();
        assert_eq!(response.status(), 200);
        response.into_body().read_to_string().unwrap();
    }

    let connections: Vec<u64> = fake.requests().iter().map(|r| r.connection).collect();
    assert_eq!(connections, [1, 1, 1]);
}

#[test]
fn webpki_roots_reject_fake_ca() {
    let fake = FakeSeam::start().unwrap();
    let error = Agent::new_with_defaults()
        .get(url(&fake, "/workspaces/get"))
        .call()
        .unwrap_err();

    let message = error.to_string();
    assert!(message.contains("UnknownIssuer"), "{message}");
    assert!(fake.requests().is_empty());
}

#[test]
fn leaf_with_other_names_fails_host_check() {
    let fake = FakeSeam::builder()
        .leaf_names(vec!["other.localhost".to_owned()])
        .start()
        .unwrap();
    let error = agent(&fake)
        .get(url(&fake, "/workspaces/get"))
        .call()
        .unwrap_err();

    let message = error.to_string();
    assert!(message.contains("not valid for name"), "{message}");
}

#[test]
fn expired_leaf_is_rejected() {
    let day = Duration::from_secs(24 * 3600);
    let now = SystemTime::now();
    let fake = FakeSeam::builder()
        .leaf_validity(now - 10 * day, now - day)
        .start()
        .unwrap();
    let error = agent(&fake)
        .get(url(&fake, "/workspaces/get"))
        .call()
        .unwrap_err();

    let message = error.to_string();
    assert!(message.contains("certificate expired"), "{message}");
}

#[test]
fn not_yet_valid_leaf_is_rejected() {
    let day = Duration::from_secs(24 * 3600);
    let now = SystemTime::now();
    let fake = FakeSeam::builder()
        .leaf_validity(now + day, now + 10 * day)
        .start()
        .unwrap();
    let error = agent(&fake)
        .get(url(&fake, "/workspaces/get"))
        .call()
        .unwrap_err();

    let message = error.to_string();
    assert!(message.contains("certificate not valid yet"), "{message}");
}

#[test]
fn invalid_leaf_name_is_input_error() {
    let error = FakeSeam::builder()
        .leaf_names(vec!["caf\u{e9}.localhost".to_owned()])
        .start()
        .unwrap_err();

    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
}

/// Opens a TLS connection with rustls directly, trusting only the fake's CA.
fn raw_tls(fake: &FakeSeam) -> rustls::StreamOwned<rustls::ClientConnection, TcpStream> {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(fake.ca_pem().as_bytes()).unwrap())
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = ServerName::try_from("localhost").unwrap();
    let connection = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let tcp = TcpStream::connect(fake.addr()).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    rustls::StreamOwned::new(connection, tcp)
}

/// Sends raw bytes and reads until the server closes the connection.
fn exchange(fake: &FakeSeam, request: &[u8]) -> (String, Option<rustls::ProtocolVersion>) {
    let mut stream = raw_tls(fake);
    stream.write_all(request).unwrap();
    let mut reply = Vec::new();
    // The server may close without close_notify after an error; what arrived is kept.
    let _ = stream.read_to_end(&mut reply);
    let version = stream.conn.protocol_version();
    (String::from_utf8_lossy(&reply).into_owned(), version)
}

#[test]
fn tls12_only_negotiates_tls12() {
    let fake = FakeSeam::builder().tls12_only(true).start().unwrap();
    let request = b"GET /workspaces/get HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n";
    let (reply, version) = exchange(&fake, request);

    assert!(reply.starts_with("HTTP/1.1 401 "), "{reply}");
    assert_eq!(version, Some(rustls::ProtocolVersion::TLSv1_2));
}

#[test]
fn default_negotiates_tls13() {
    let fake = FakeSeam::start().unwrap();
    let request = b"GET /workspaces/get HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n";
    let (reply, version) = exchange(&fake, request);

    assert!(reply.contains("connection: close\r\n"), "{reply}");
    assert_eq!(version, Some(rustls::ProtocolVersion::TLSv1_3));
}

#[test]
fn malformed_requests_get_400_and_server_survives() {
    let fake = FakeSeam::start().unwrap();
    let cases: [&[u8]; 4] = [
        b"\x00\x01\x02 garbage\r\n\r\n",
        b"PATCH /acs/credentials/update HTTP/1.1\r\ncontent-length: 5\r\ntransfer-encoding: chunked\r\n\r\n",
        b"PATCH /acs/credentials/update HTTP/1.1\r\ncontent-length: -1\r\n\r\n",
        b"PATCH /acs/credentials/update HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\nnothex\r\n",
    ];
    for request in cases {
        let (reply, _) = exchange(&fake, request);
        assert!(reply.starts_with("HTTP/1.1 400 "), "{reply}");
        assert!(reply.contains("seam-request-id: req_"), "{reply}");
    }

    assert_eq!(get(&fake, "/workspaces/get").status(), 200);
}

#[test]
fn http10_request_is_answered_and_closed() {
    let fake = FakeSeam::start().unwrap();
    let (reply, _) = exchange(&fake, b"GET /nowhere HTTP/1.0\r\n\r\n");

    assert!(reply.starts_with("HTTP/1.1 404 "), "{reply}");
    assert!(reply.ends_with("\r\n\r\n404"), "{reply}");
}

#[test]
fn shutdown_closes_idle_connections_quickly() {
    let mut fake = FakeSeam::start().unwrap();
    let agent = agent(&fake);
    let response = agent
        .get(url(&fake, "/workspaces/get"))
        .header("authorization", bearer(fake.api_key()))
        .call()
        .unwrap();
    response.into_body().read_to_string().unwrap();

    // The agent keeps the connection open, so shutdown has a connection thread to end.
    let started = Instant::now();
    fake.shutdown();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(TcpStream::connect(fake.addr()).is_err());
    fake.shutdown();
}
