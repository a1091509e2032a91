//! Sends one `PATCH /acs/credentials/update` with ureq and exits: the least a Rust client can
//! do, used by `benches/run.sh` as the floor under seam-edge.
//!
//! ```text
//! SEAM_API_KEY=seam_fakekey1_token bare-ureq https://127.0.0.1:PORT /tmp/fake-ca.pem ID 1234
//! ```
//!
//! It trusts only the CA certificates in the PEM file, uses no proxy, and exits 0 on a 2xx
//! reply and 1 otherwise. It checks no input, sets no timeouts and does not parse the reply.

use std::process::ExitCode;
use std::sync::Arc;

use miniserde::Serialize;
use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig};

#[derive(Serialize)]
struct UpdateBody {
    acs_credential_id: String,
    code: String,
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("bare-ureq: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [endpoint, ca_file, credential_id, code] = args.as_slice() else {
        return Err("usage: bare-ureq ENDPOINT CA_FILE ACS_CREDENTIAL_ID CODE".to_owned());
    };
    let api_key = std::env::var("SEAM_API_KEY")
        .map_err(|_| "missing SEAM_API_KEY: set it to the fake's API key")?;

    let pem = std::fs::read(ca_file).map_err(|error| format!("{ca_file}: {error}"))?;
    let roots = read_certificates(&pem);
    let tls = TlsConfig::builder()
        .root_certs(RootCerts::Specific(Arc::new(roots)))
        .build();
    let agent = ureq::Agent::config_builder()
        .tls_config(tls)
        .proxy(None)
        .http_status_as_error(false)
        .build()
        .new_agent();

    let body = miniserde::json::to_string(&UpdateBody {
        acs_credential_id: credential_id.clone(),
        code: code.clone(),
    });
    let mut response = agent
        .patch(format!("{endpoint}/acs/credentials/update"))
        .header("authorization", format!("Bearer {api_key}"))
        .content_type("application/json")
        .send(body)
        .map_err(|error| error.to_string())?;

    let status = response.status();
    let text = response
        .body_mut()
        .read_to_string()
        .map_err(|error| error.to_string())?;
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("HTTP {status}: {text}"))
    }
}

/// Collects the certificates of a PEM file and skips every other item.
fn read_certificates(pem: &[u8]) -> Vec<Certificate<'static>> {
    ureq::tls::parse_pem(pem)
        .filter_map(|item| match item {
            Ok(PemItem::Certificate(certificate)) => Some(certificate),
            _ => None,
        })
        .collect()
}
