//! Tests of the fake Seam server through a plain ureq client and a raw rustls client.
#![cfg(feature = "fake-server")]

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use miniserde::json::{self, Value};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use seam_edge::fake::{
    CannedReply, FakeCredential, FakeSeam, Fault, LARGE_BODY_LENGTH, REDIRECT_LOCATION,
    SEEDED_CREDENTIAL_IDS,
};
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
        .proxy(None)
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

/// An agent like [`agent`] whose every call must end within `timeout`.
fn impatient_agent(fake: &FakeSeam, timeout: Duration) -> Agent {
    let ca = Certificate::from_pem(fake.ca_pem().as_bytes()).unwrap();
    let tls = TlsConfig::builder()
        .root_certs(RootCerts::new_with_certs(&[ca]))
        .build();
    Agent::config_builder()
        .tls_config(tls)
        .http_status_as_error(false)
        .timeout_global(Some(timeout))
        .proxy(None)
        .build()
        .new_agent()
}

/// Injects `fault` once and sends `GET /workspaces/get` with the API key.
fn get_with_fault(fake: &FakeSeam, fault: Fault) -> Response<Body> {
    fake.inject(fault, 1);
    get(fake, "/workspaces/get")
}

fn update_front_body(code: &str) -> String {
    format!(r#"{{"acs_credential_id":"{FRONT}","code":"{code}"}}"#)
}

#[test]
fn service_unavailable_is_empty_503() {
    let fake = FakeSeam::start().unwrap();
    fake.inject(Fault::ServiceUnavailable, 2);
    for _ in 0..2 {
        let mut response = get(&fake, "/workspaces/get");
        assert_eq!(response.status(), 503);
        assert_eq!(header(&response, "content-type"), None);
        assert_eq!(header(&response, "content-length"), Some("0"));
        assert_eq!(text(&mut response), "");
    }

    // The queue is empty again, so the route serves.
    assert_eq!(get(&fake, "/workspaces/get").status(), 200);
    assert_eq!(fake.requests().len(), 3);
}

#[test]
fn bad_gateway_is_html_page() {
    let fake = FakeSeam::start().unwrap();
    let mut response = get_with_fault(&fake, Fault::BadGatewayHtml);

    assert_eq!(response.status(), 502);
    assert_eq!(
        header(&response, "content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(text(&mut response).contains("<h1>502 Bad Gateway</h1>"));
    assert_eq!(fake.requests().len(), 1);
}

#[test]
fn retry_after_seconds_is_429_envelope() {
    let fake = FakeSeam::start().unwrap();
    let mut response = get_with_fault(&fake, Fault::RetryAfterSeconds(7));

    assert_eq!(response.status(), 429);
    assert_eq!(header(&response, "retry-after"), Some("7"));
    let body = json_body(&mut response);
    assert_eq!(string_at(&body, &["error", "type"]), "rate_limited");
    assert_eq!(string_at(&body, &["error", "message"]), "Too many requests");
    assert!(matches!(at(&body, &["ok"]), Value::Bool(false)));
    assert_eq!(fake.rate_limited_count(), 0);
}

#[test]
fn retry_after_date_is_http_date() {
    let fake = FakeSeam::start().unwrap();
    let when = UNIX_EPOCH + Duration::from_secs(784_111_777);
    let mut response = get_with_fault(&fake, Fault::RetryAfterDate(when));

    assert_eq!(response.status(), 429);
    assert_eq!(
        header(&response, "retry-after"),
        Some("Sun, 06 Nov 1994 08:49:37 GMT")
    );
    assert_eq!(error_type(&mut response), "rate_limited");
}

#[test]
fn reset_closes_without_reply() {
    let fake = FakeSeam::start().unwrap();
    fake.inject(Fault::Reset, 1);
    let error = agent(&fake)
        .patch(url(&fake, "/acs/credentials/update"))
        .header("authorization", bearer(fake.api_key()))
        .content_type("application/json")
        .send(update_front_body("5555"))
        .unwrap_err();

    // rustls reports the FIN without close_notify as an unexpected end of file.
    let ureq::Error::Io(io_error) = &error else {
        panic!("expected an I/O error, got {error:?}");
    };
    assert_eq!(io_error.kind(), std::io::ErrorKind::UnexpectedEof);
    assert!(
        error
            .to_string()
            .contains("without sending TLS close_notify"),
        "{error}"
    );

    // The request was read and logged, but the route did not run.
    assert_eq!(fake.requests().len(), 1);
    assert_eq!(
        fake.credential(FRONT).unwrap().code.as_deref(),
        Some("1234")
    );
    assert_eq!(get(&fake, "/workspaces/get").status(), 200);
}

#[test]
fn reset_sends_no_close_notify() {
    let fake = FakeSeam::start().unwrap();
    fake.inject(Fault::Reset, 1);
    let mut stream = raw_tls(&fake);
    stream
        .write_all(b"GET /workspaces/get HTTP/1.1\r\nhost: localhost\r\n\r\n")
        .unwrap();
    let mut reply = Vec::new();
    let error = stream.read_to_end(&mut reply).unwrap_err();

    assert!(reply.is_empty(), "{}", String::from_utf8_lossy(&reply));
    assert_eq!(error.kind(), std::io::ErrorKind::UnexpectedEof);
}

#[test]
fn no_answer_hits_client_timeout() {
    let fake = FakeSeam::start().unwrap();
    fake.inject(Fault::NoAnswer, 1);
    // Long enough for the TLS handshake under qemu on a busy machine, so the request is
    // sent before the timeout.
    let timeout = Duration::from_secs(3);
    let started = Instant::now();
    let error = impatient_agent(&fake, timeout)
        .get(url(&fake, "/workspaces/get"))
        .header("authorization", bearer(fake.api_key()))
        .call()
        .unwrap_err();
    let elapsed = started.elapsed();

    assert!(matches!(error, ureq::Error::Timeout(_)), "{error:?}");
    assert!(elapsed >= timeout, "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(15), "{elapsed:?}");
    assert_eq!(fake.requests().len(), 1);
}

#[test]
fn shutdown_ends_no_answer_quickly() {
    let mut fake = FakeSeam::start().unwrap();
    fake.inject(Fault::NoAnswer, 1);
    let mut stream = raw_tls(&fake);
    stream
        .write_all(b"GET /workspaces/get HTTP/1.1\r\nhost: localhost\r\n\r\n")
        .unwrap();
    // Wait until the request is read, so the fake is holding the connection.
    let deadline = Instant::now() + Duration::from_secs(5);
    while fake.requests().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(fake.requests().len(), 1);

    let started = Instant::now();
    fake.shutdown();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    let mut reply = Vec::new();
    let _ = stream.read_to_end(&mut reply);
    assert!(reply.is_empty(), "{}", String::from_utf8_lossy(&reply));
}

#[test]
fn drip_sends_body_slowly() {
    let fake = FakeSeam::start().unwrap();
    let interval = Duration::from_millis(4);
    let mut normal = get(&fake, "/workspaces/get");
    let expected = text(&mut normal);

    fake.inject(Fault::Drip(interval), 1);
    let started = Instant::now();
    let mut response = get(&fake, "/workspaces/get");
    let head_after = started.elapsed();
    let body = text(&mut response);
    let body_took = started.elapsed() - head_after;

    assert_eq!(response.status(), 200);
    assert_eq!(body, expected);
    // The head came before the body's first byte, and the body took one interval a byte
    // after it. Bounds on the head's own time would depend on how fast the TLS handshake
    // is, which under qemu on a busy machine is slower than the whole drip.
    let least = interval * u32::try_from(expected.len() - 1).unwrap();
    assert!(body_took >= least, "body took {body_took:?} < {least:?}");
    assert_eq!(fake.requests().len(), 2);
}

#[test]
fn drip_applies_update_before_timeout() {
    let fake = FakeSeam::start().unwrap();
    // The timeout leaves the TLS handshake time under qemu, and the drip's first body byte
    // comes only after it.
    fake.inject(Fault::Drip(Duration::from_secs(8)), 1);
    let mut response = impatient_agent(&fake, Duration::from_secs(3))
        .patch(url(&fake, "/acs/credentials/update"))
        .header("authorization", bearer(fake.api_key()))
        .content_type("application/json")
        .send(update_front_body("2222"))
        .unwrap();
    assert_eq!(response.status(), 200);
    // The head arrived at once, and the body times out.
    let error = response.body_mut().read_to_string().unwrap_err();

    assert!(matches!(error, ureq::Error::Timeout(_)), "{error:?}");
    assert_eq!(
        fake.credential(FRONT).unwrap().code.as_deref(),
        Some("2222")
    );
}

#[test]
fn large_body_exceeds_default_limit() {
    let fake = FakeSeam::start().unwrap();
    let mut response = get_with_fault(&fake, Fault::large_body(500));

    assert_eq!(response.status(), 500);
    assert_eq!(
        header(&response, "content-length"),
        Some(LARGE_BODY_LENGTH.to_string().as_str())
    );
    assert_eq!(header(&response, "content-type"), Some("application/json"));
    let error = response.body_mut().read_to_string().unwrap_err();
    assert!(
        matches!(error, ureq::Error::BodyExceedsLimit(10_485_760)),
        "{error:?}"
    );
}

#[test]
fn large_body_arrives_whole() {
    let fake = FakeSeam::start().unwrap();
    let response = get_with_fault(&fake, Fault::large_body(200));
    assert_eq!(response.status(), 200);

    // An unlimited reader gets every byte.
    let mut reader = response.into_body().into_reader();
    let mut start = [0_u8; 12];
    reader.read_exact(&mut start).unwrap();
    let mut rest = Vec::new();
    reader.read_to_end(&mut rest).unwrap();

    assert_eq!(&start, b"{\"padding\":\"");
    assert_eq!(12 + rest.len() as u64, LARGE_BODY_LENGTH);
    assert!(rest.ends_with(b"x\"}"));
    assert!(rest[..rest.len() - 2].iter().all(|&byte| byte == b'x'));
}

#[test]
fn large_body_length_has_floor() {
    let fake = FakeSeam::start().unwrap();
    let fault = Fault::LargeBody {
        status: 200,
        length: 3,
    };
    let mut response = get_with_fault(&fake, fault);

    assert_eq!(header(&response, "content-length"), Some("14"));
    assert_eq!(text(&mut response), r#"{"padding":""}"#);
}

#[test]
fn malformed_json_is_truncated_object() {
    let fake = FakeSeam::start().unwrap();
    let mut response = get_with_fault(&fake, Fault::MalformedJson);

    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "content-type"), Some("application/json"));
    let body = text(&mut response);
    assert_eq!(body, r#"{"acs_credential": "#);
    assert!(json::from_str::<Value>(&body).is_err());
}

#[test]
fn captive_portal_is_html_200() {
    let fake = FakeSeam::start().unwrap();
    let mut response = get_with_fault(&fake, Fault::CaptivePortal);

    assert_eq!(response.status(), 200);
    assert_eq!(
        header(&response, "content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(text(&mut response).starts_with("<!DOCTYPE html>"));
}

#[test]
fn redirect_points_elsewhere() {
    let fake = FakeSeam::start().unwrap();
    fake.inject(Fault::RedirectElsewhere, 1);
    // Redirects are off, so the test never looks up the `.invalid` host.
    let ca = Certificate::from_pem(fake.ca_pem().as_bytes()).unwrap();
    let tls = TlsConfig::builder()
        .root_certs(RootCerts::new_with_certs(&[ca]))
        .build();
    let no_redirects = Agent::config_builder()
        .tls_config(tls)
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .proxy(None)
        .max_redirects(0)
        .build()
        .new_agent();
    let mut response = no_redirects
        .patch(url(&fake, "/acs/credentials/update"))
        .header("authorization", bearer(fake.api_key()))
        .content_type("application/json")
        .send(update_front_body("3333"))
        .unwrap();

    assert_eq!(response.status(), 302);
    assert_eq!(header(&response, "location"), Some(REDIRECT_LOCATION));
    assert_eq!(
        REDIRECT_LOCATION,
        "https://elsewhere.invalid/acs/credentials/update"
    );
    assert_eq!(text(&mut response), "");
    assert_eq!(
        fake.credential(FRONT).unwrap().code.as_deref(),
        Some("1234")
    );
}

#[test]
fn plain_unauthorized_is_text() {
    let fake = FakeSeam::start().unwrap();
    let mut response = get_with_fault(&fake, Fault::PlainUnauthorized);

    assert_eq!(response.status(), 401);
    assert_eq!(
        header(&response, "content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(text(&mut response), "Unauthorized");
}

#[test]
fn faults_and_replies_share_queue() {
    let fake = FakeSeam::start().unwrap();
    fake.inject(Fault::PlainUnauthorized, 0);
    fake.reply_next(CannedReply::json(418, "{}"));
    fake.inject(Fault::ServiceUnavailable, 2);
    fake.inject(Fault::Reply(CannedReply::new(204)), 1);
    assert_eq!(fake.pending_faults(), 4);

    let statuses: Vec<u16> = (0..5)
        .map(|_| get(&fake, "/workspaces/get").status().as_u16())
        .collect();
    assert_eq!(statuses, [418, 503, 503, 204, 200]);
    assert_eq!(fake.pending_faults(), 0);
    assert_eq!(fake.requests().len(), 5);
}

#[test]
fn rate_limit_rejects_beyond_burst() {
    let fake = FakeSeam::builder().rate_limit(1, 2).start().unwrap();
    let client = agent(&fake);
    let send = || {
        client
            .get(url(&fake, "/workspaces/get"))
            .header("authorization", bearer(fake.api_key()))
            .call()
            .unwrap()
    };
    assert_eq!(send().status(), 200);
    assert_eq!(send().status(), 200);
    let mut limited = send();

    assert_eq!(limited.status(), 429);
    assert_eq!(header(&limited, "retry-after"), Some("1"));
    let body = json_body(&mut limited);
    assert_eq!(string_at(&body, &["error", "type"]), "rate_limited");
    assert_eq!(string_at(&body, &["error", "message"]), "Too many requests");
    assert_eq!(fake.rate_limited_count(), 1);
    assert_eq!(fake.requests().len(), 3);

    // One token comes back per second.
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(send().status(), 200);
    assert_eq!(fake.rate_limited_count(), 1);
}

#[test]
fn rate_limited_request_keeps_fault_queued() {
    let fake = FakeSeam::builder().rate_limit(1, 1).start().unwrap();
    assert_eq!(get(&fake, "/workspaces/get").status(), 200);
    fake.inject(Fault::ServiceUnavailable, 1);

    assert_eq!(get(&fake, "/workspaces/get").status(), 429);
    assert_eq!(fake.pending_faults(), 1);
    assert_eq!(fake.rate_limited_count(), 1);
}

#[test]
fn rate_limit_of_zero_is_invalid() {
    for (rate, burst) in [(0, 1), (1, 0)] {
        let error = FakeSeam::builder()
            .rate_limit(rate, burst)
            .start()
            .unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
        assert_eq!(
            error.to_string(),
            format!(
                "invalid rate limit: {rate} requests per second with a burst of {burst}; \
                 both must be at least 1"
            )
        );
    }
}

/// Reads an IMF-fixdate such as `Sun, 06 Nov 1994 08:49:37 GMT` as Unix seconds.
fn http_date_seconds(value: &str) -> i64 {
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    time::PrimitiveDateTime::parse(value, &format)
        .unwrap()
        .assume_utc()
        .unix_timestamp()
}

fn now_seconds() -> i64 {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    i64::try_from(since.as_secs()).unwrap()
}

/// Returns the `date` header of `GET /workspaces/get` as Unix seconds, and the clock
/// readings before and after the request.
fn workspace_date(fake: &FakeSeam) -> (i64, Option<i64>, i64) {
    let before = now_seconds();
    let response = get(fake, "/workspaces/get");
    let after = now_seconds();
    (
        before,
        header(&response, "date").map(http_date_seconds),
        after,
    )
}

#[test]
fn date_header_follows_real_clock() {
    let fake = FakeSeam::start().unwrap();
    let (before, date, after) = workspace_date(&fake);
    let date = date.expect("a date header");
    assert!(before <= date, "{before} {date}");
    assert!(date <= after, "{date} {after}");
}

#[test]
fn date_header_moves_with_clock_skew() {
    for skew in [-7200_i64, 90] {
        let fake = FakeSeam::builder().clock_skew(skew).start().unwrap();
        let (before, date, after) = workspace_date(&fake);
        let date = date.expect("a date header");
        assert!(before + skew <= date, "skew {skew}: {before} {date}");
        assert!(date <= after + skew, "skew {skew}: {date} {after}");
    }
}

#[test]
fn date_header_left_out_on_request() {
    let fake = FakeSeam::builder().omit_date(true).start().unwrap();
    let response = get(&fake, "/workspaces/get");
    assert_eq!(header(&response, "date"), None);
}

#[test]
fn date_header_of_canned_reply_kept() {
    let fake = FakeSeam::start().unwrap();
    let date = "Sun, 06 Nov 1994 08:49:37 GMT";
    fake.reply_next(CannedReply::new(200).header("date", date));
    let response = get(&fake, "/workspaces/get");
    let dates: Vec<_> = response.headers().get_all("date").iter().collect();
    assert_eq!(dates, [date]);
}
