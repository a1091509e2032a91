//! Helpers shared by the loop programs: arguments, process CPU time, the measured loop and
//! the bare ureq update.

use std::sync::Arc;
use std::time::{Duration, Instant};

use miniserde::Serialize;
use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig};

/// Returns the CPU time this process has used so far, user plus system, from `getrusage`.
pub fn process_cpu_time() -> Duration {
    // SAFETY: `rusage` contains only integers, so all zero bytes is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `usage` is a valid, writable `rusage` that outlives the call.
    let status = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    assert_eq!(status, 0, "getrusage failed");
    to_duration(usage.ru_utime) + to_duration(usage.ru_stime)
}

fn to_duration(time: libc::timeval) -> Duration {
    Duration::from_secs(time.tv_sec as u64) + Duration::from_micros(time.tv_usec as u64)
}

/// Runs `update` once to open the connection, then `count` more times, and prints the CPU
/// and wall time per update of those `count` calls as `updates=N cpu_us=X wall_us=Y`.
pub fn measure_loop<E: std::fmt::Display>(
    count: u32,
    mut update: impl FnMut() -> Result<(), E>,
) -> Result<(), String> {
    update().map_err(|error| format!("first update failed: {error}"))?;

    let cpu_start = process_cpu_time();
    let wall_start = Instant::now();
    for _ in 0..count {
        update().map_err(|error| format!("update failed: {error}"))?;
    }
    let wall = wall_start.elapsed();
    let cpu = process_cpu_time() - cpu_start;

    let per_update = |total: Duration| total.as_secs_f64() * 1e6 / f64::from(count);
    println!(
        "updates={count} cpu_us={:.1} wall_us={:.1}",
        per_update(cpu),
        per_update(wall)
    );
    Ok(())
}

/// Loop arguments: `ENDPOINT CA_FILE ACS_CREDENTIAL_ID COUNT`, and the API key from
/// `SEAM_API_KEY`.
pub struct LoopArgs {
    /// Base URL of the fake, such as `https://127.0.0.1:PORT`.
    pub endpoint: String,
    /// PEM file with the fake's CA certificate.
    pub ca_file: String,
    /// Credential to update.
    pub credential_id: String,
    /// Number of measured updates after the first.
    pub count: u32,
    /// API key sent as the bearer token.
    pub api_key: String,
}

impl LoopArgs {
    /// Reads the arguments of the current process, or returns a usage message.
    pub fn from_process(program: &str) -> Result<LoopArgs, String> {
        let usage = format!("usage: {program} ENDPOINT CA_FILE ACS_CREDENTIAL_ID COUNT");
        let args: Vec<String> = std::env::args().skip(1).collect();
        let [endpoint, ca_file, credential_id, count] = args.as_slice() else {
            return Err(usage);
        };
        let count = match count.parse::<u32>() {
            Ok(count) if count > 0 => count,
            _ => {
                return Err(format!(
                    "invalid COUNT {count:?}: expected a positive integer"
                ));
            }
        };
        let api_key = std::env::var("SEAM_API_KEY")
            .map_err(|_| "missing SEAM_API_KEY: set it to the fake's API key")?;
        Ok(LoopArgs {
            endpoint: endpoint.clone(),
            ca_file: ca_file.clone(),
            credential_id: credential_id.clone(),
            count,
            api_key,
        })
    }
}

/// Builds a ureq agent that trusts only the certificates in `ca_file` and uses no proxy.
/// With `timeouts`, it also sets seam-edge's default timeouts (10 s to connect, 30 s in
/// all), which makes ureq 3.5 resolve the host on a new thread for every request.
pub fn bare_agent(ca_file: &str, timeouts: bool) -> Result<ureq::Agent, String> {
    let pem = std::fs::read(ca_file).map_err(|error| format!("{ca_file}: {error}"))?;
    let roots: Vec<Certificate<'static>> = ureq::tls::parse_pem(&pem)
        .filter_map(|item| match item {
            Ok(PemItem::Certificate(certificate)) => Some(certificate),
            _ => None,
        })
        .collect();
    let tls = TlsConfig::builder()
        .root_certs(RootCerts::Specific(Arc::new(roots)))
        .build();
    let mut config = ureq::Agent::config_builder()
        .tls_config(tls)
        .proxy(None)
        .http_status_as_error(false);
    if timeouts {
        config = config
            .timeout_connect(Some(Duration::from_secs(10)))
            .timeout_global(Some(Duration::from_secs(30)));
    }
    Ok(config.build().new_agent())
}

#[derive(Serialize)]
struct UpdateBody<'a> {
    acs_credential_id: &'a str,
    code: &'a str,
}

/// Sends one update through `agent` and reads the reply without parsing it. The body is
/// encoded on every call, as a client updating different credentials would.
pub fn bare_update(agent: &ureq::Agent, args: &LoopArgs) -> Result<(), String> {
    let body = miniserde::json::to_string(&UpdateBody {
        acs_credential_id: &args.credential_id,
        code: "1234",
    });
    let mut response = agent
        .patch(format!("{}/acs/credentials/update", args.endpoint))
        .header("authorization", format!("Bearer {}", args.api_key))
        .content_type("application/json")
        .send(body)
        .map_err(|error| error.to_string())?;
    let status = response.status();
    response
        .body_mut()
        .read_to_string()
        .map_err(|error| error.to_string())?;
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("HTTP {status}"))
    }
}
