//! `seam-edge doctor`: checks the set-up step by step and prints one verdict per check.
//!
//! The checks print in order: configuration, dns, tcp, tls, proxy, credentials, clock,
//! outbox. One `GET /workspaces/get` decides tls, proxy, credentials and clock, because its
//! outcome shows whether the TLS handshake and the proxy's tunnel worked. A check that
//! another check's failure leaves undecided is `skipped`. The exit code is that of the first
//! `error` (78 configuration, 77 bad credentials, 69 another rejection, 75 for DNS, TCP,
//! TLS, the proxy's tunnel and the clock, 74 the outbox), or 0 when there is none, warnings
//! included.

use std::fmt::Write;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime};

use miniserde::json::{Array, Number, Object, Value};
use seam_edge::{
    Client, Error, Outbox, ProxyRoute, Timestamp, TransportErrorKind as Kind, TrustedRoots,
};

use super::args::{Args, Verbosity};
use super::{exit, output};

/// Largest clock offset from the server's `Date` that is `ok`, in seconds. The header has
/// one-second resolution and the request takes time, so a correct clock reads up to about
/// a second off.
const CLOCK_WARNING_SECONDS: u64 = 5;
/// Largest clock offset that is only a `warning`, in seconds. Past an hour a fresh
/// certificate can look not yet valid, and `ends_at` checks and `--ends-in` are off by as
/// much, so the offset is an `error`.
const CLOCK_ERROR_SECONDS: u64 = 3600;

/// The verdicts of a check. `SKIPPED` means another check failed and this one could not
/// be decided.
const OK: &str = "ok";
const WARNING: &str = "warning";
const ERROR: &str = "error";
const SKIPPED: &str = "skipped";

/// One check's line: its name, verdict, detail, and for an error the exit code.
struct Check {
    name: &'static str,
    verdict: &'static str,
    detail: String,
    exit_code: u8,
}

/// The checks run so far.
#[derive(Default)]
struct Report {
    checks: Vec<Check>,
}

impl Report {
    fn push(&mut self, name: &'static str, verdict: &'static str, detail: String) {
        self.checks.push(Check {
            name,
            verdict,
            detail,
            exit_code: exit::OK,
        });
    }

    fn error(&mut self, name: &'static str, exit_code: u8, detail: String) {
        self.checks.push(Check {
            name,
            verdict: ERROR,
            detail,
            exit_code,
        });
    }

    fn skip(&mut self, names: &[&'static str], reason: &str) {
        for name in names {
            self.push(name, SKIPPED, reason.to_owned());
        }
    }

    /// Returns the exit code of the first error, or 0 when there is none.
    fn exit_code(&self) -> u8 {
        self.checks
            .iter()
            .find(|check| check.verdict == ERROR)
            .map_or(exit::OK, |check| check.exit_code)
    }
}

/// The credentials line for an API key: its kind and the prefix every such key has, never
/// any part of the key itself.
const API_KEY: &str = "api key (seam_...)";
/// The credentials line for a personal access token.
const TOKEN: &str = "personal access token (seam_at...)";

/// A configuration value in effect: its name, value, and where it came from.
type Setting = (&'static str, String, &'static str);

/// Runs every check, prints the report and returns the exit code.
pub fn run(args: &Args) -> ExitCode {
    let settings = settings(args);
    let mut report = Report::default();
    match super::build_client(args) {
        Ok(client) => {
            let detail = format!("{} for {}", client.auth().kind_name(), client.endpoint());
            report.push("configuration", OK, detail);
            network_checks(args, &client, &mut report);
            check_outbox(&client, &mut report);
        }
        Err(error) => {
            report.error("configuration", error.exit_code(), error.message());
            let reason = "the configuration is unusable";
            report.skip(
                &[
                    "dns",
                    "tcp",
                    "tls",
                    "proxy",
                    "credentials",
                    "clock",
                    "outbox",
                ],
                reason,
            );
        }
    }
    if args.json {
        print_json(&report, &settings);
    } else {
        print_text(&report, &settings, args.verbosity == Verbosity::Quiet);
    }
    // Errors also go to stderr, as for every command, so cron mails them.
    if let Some(check) = report.checks.iter().find(|check| check.verdict == ERROR) {
        let line = format!(
            "seam-edge: doctor: {} failed: {}\n",
            check.name, check.detail
        );
        output::print_stderr(&line);
    }
    ExitCode::from(report.exit_code())
}

fn network_checks(args: &Args, client: &Client, report: &mut Report) {
    let connect_timeout = args
        .connect_timeout
        .unwrap_or(seam_edge::DEFAULT_CONNECT_TIMEOUT);
    let connected = match resolve(client, report) {
        Some(addr) => connect(addr, connect_timeout, report),
        None => {
            report.skip(&["tcp"], "no address to connect to");
            false
        }
    };
    if connected {
        request_checks(args, client, report);
    } else {
        report.skip(&["tls"], "no TCP connection");
        report.push("proxy", OK, proxy_text(args, client.proxy_route()));
        report.skip(&["credentials", "clock"], "no TLS connection");
    }
}

/// Sends `GET /workspaces/get` once and pushes the tls, proxy, credentials and clock lines
/// from its outcome. Any HTTP response, an error status included, means that the TLS
/// handshake succeeded.
fn request_checks(args: &Args, client: &Client, report: &mut Report) {
    let through_proxy = matches!(client.proxy_route(), ProxyRoute::Proxy { .. });
    let result = client.workspaces().get_with_server_time();
    let failure = result.as_ref().err();
    let responded = failure.is_none_or(|error| error.status().is_some());
    let kind = match failure {
        Some(Error::Transport(error)) => Some(error.kind()),
        _ => None,
    };
    // The line that shows the request's error: a refused tunnel and a 407 for wrong proxy
    // credentials go on the proxy line, and an error whose stage is unknown on the
    // credentials line.
    // NOTE: no test covers the 407 or an unknown stage such as a timeout, because the
    // tests' proxy checks no credentials and the fake never stalls.
    let failed_check = match failure {
        None => "",
        Some(_) if responded => "credentials",
        Some(_) if matches!(kind, Some(Kind::Tls | Kind::TlsClock)) => "tls",
        Some(Error::Config(_)) if through_proxy => "proxy",
        Some(_) if through_proxy && kind == Some(Kind::Connect) => "proxy",
        Some(_) => "credentials",
    };
    let (code, mut detail) = match failure {
        Some(error) => (exit::code_for(error), output::error_chain(error)),
        None => (exit::OK, String::new()),
    };

    match failed_check {
        _ if responded => report.push("tls", OK, tls_text(client, through_proxy)),
        "tls" => report.error("tls", code, std::mem::take(&mut detail)),
        "proxy" => report.skip(&["tls"], "no tunnel through the proxy"),
        _ => report.skip(
            &["tls"],
            "no response from the server, so the handshake is not confirmed",
        ),
    }
    if failed_check == "proxy" {
        report.error("proxy", code, std::mem::take(&mut detail));
    } else {
        report.push("proxy", OK, proxy_text(args, client.proxy_route()));
    }
    match result {
        Ok((workspace, server_time)) => {
            let detail = format!(
                "{} accepted for workspace {} ({})",
                client.auth().kind_name(),
                workspace.workspace_id,
                workspace.name.as_deref().unwrap_or("unnamed")
            );
            report.push("credentials", OK, detail);
            check_clock(server_time, SystemTime::now(), report);
        }
        Err(_) if failed_check == "credentials" => {
            report.error("credentials", code, detail);
            report.skip(&["clock"], "no response from the server");
        }
        Err(_) => report.skip(&["credentials", "clock"], "no TLS connection"),
    }
}

/// Returns the host and port the first TCP connection goes to: the proxy's, or the
/// endpoint's.
fn first_hop(client: &Client) -> (&str, u16) {
    match client.proxy_route() {
        ProxyRoute::Proxy { host, port, .. } => (host, *port),
        _ => client.endpoint_host_port(),
    }
}

/// Returns the first address of the first hop's host, after pushing the dns line.
fn resolve(client: &Client, report: &mut Report) -> Option<SocketAddr> {
    let (host, port) = first_hop(client);
    let host_kind = match client.proxy_route() {
        ProxyRoute::Proxy { .. } => "proxy host",
        _ => "host",
    };
    // The same `host:port` text form as ureq 3.5 resolves, so the code is shared.
    let host_port = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let addrs: Vec<SocketAddr> = match host_port.to_socket_addrs() {
        Ok(addrs) => addrs.collect(),
        // NOTE: no test covers a failed lookup, because tests query no resolver beyond
        // loopback addresses, which always resolve.
        Err(error) => {
            let detail = format!("could not resolve {host_kind} {host}: {error}");
            report.error("dns", exit::TEMPORARY, detail);
            return None;
        }
    };
    let Some(first) = addrs.first().copied() else {
        let detail = format!("{host_kind} {host} resolves to no address");
        report.error("dns", exit::TEMPORARY, detail);
        return None;
    };
    let ips: Vec<String> = addrs.iter().map(|addr| addr.ip().to_string()).collect();
    let count = plural(addrs.len(), "address", "addresses");
    let detail = format!("{host_kind} {host} resolves to {count}: {}", ips.join(", "));
    report.push("dns", OK, detail);
    Some(first)
}

fn connect(addr: SocketAddr, timeout: Duration, report: &mut Report) -> bool {
    let started = Instant::now();
    match TcpStream::connect_timeout(&addr, timeout) {
        Ok(_) => {
            let millis = super::millis(started.elapsed());
            report.push("tcp", OK, format!("connected to {addr} in {millis} ms"));
            true
        }
        Err(error) => {
            let detail = format!("could not connect to {addr}: {error}");
            report.error("tcp", exit::TEMPORARY, detail);
            false
        }
    }
}

fn check_clock(server_time: Option<SystemTime>, now: SystemTime, report: &mut Report) {
    let local = Timestamp::from_system_time(now).filter(|_| seam_edge::clock_is_set(now));
    let Some(local) = local else {
        let detail = "the system clock reads before this build's release; wait for NTP to set it";
        report.error("clock", exit::TEMPORARY, detail.to_owned());
        return;
    };
    let Some(server) = server_time.and_then(Timestamp::from_system_time) else {
        let detail = "the server sent no readable Date header, so the clock is not compared";
        report.push("clock", WARNING, detail.to_owned());
        return;
    };
    let offset = local.unix_seconds() - server.unix_seconds();
    let distance = offset.unsigned_abs();
    let direction = if offset < 0 { "behind" } else { "ahead of" };
    let (verdict, code, advice) = if distance <= CLOCK_WARNING_SECONDS {
        (OK, exit::OK, "")
    } else if distance <= CLOCK_ERROR_SECONDS {
        (WARNING, exit::OK, "; check NTP")
    } else {
        let advice = "; past an hour certificate and ends_at checks go wrong: set the clock";
        (ERROR, exit::TEMPORARY, advice)
    };
    let detail = format!(
        "local clock {local} is {distance} s {direction} the server's Date {server}{advice}"
    );
    report.checks.push(Check {
        name: "clock",
        verdict,
        detail,
        exit_code: code,
    });
}

/// Returns the tls line's detail after a handshake that succeeded: the proxy's tunnel it
/// went through, if any, and the roots in use.
fn tls_text(client: &Client, through_proxy: bool) -> String {
    let tunnel = if through_proxy {
        " through the proxy's CONNECT tunnel"
    } else {
        ""
    };
    format!("handshake succeeded{tunnel}, {}", roots_text(client))
}

fn roots_text(client: &Client) -> String {
    match client.trusted_roots() {
        TrustedRoots::PemFile { path, count } => format!(
            "roots: CA file {:?} with {}",
            path.display(),
            plural(*count, "certificate", "certificates")
        ),
        TrustedRoots::Pem { count } => format!(
            "roots: {} from PEM data",
            plural(*count, "certificate", "certificates")
        ),
        TrustedRoots::WebPki { count } => format!("roots: {count} bundled webpki roots"),
        _ => "roots: unknown".to_owned(),
    }
}

/// Formats a duration as whole seconds with up to three decimals, such as `2.5 s`,
/// without float formatting, which costs flash.
fn seconds_text(duration: Duration) -> String {
    let millis = duration.subsec_millis();
    let fraction = format!(".{millis:03}");
    let fraction = fraction.trim_end_matches('0').trim_end_matches('.');
    format!("{}{fraction} s", duration.as_secs())
}

fn plural(count: usize, singular: &str, plural: &str) -> String {
    format!("{count} {}", if count == 1 { singular } else { plural })
}

fn proxy_text(args: &Args, route: &ProxyRoute) -> String {
    match route {
        ProxyRoute::Proxy { url, origin, .. } => format!("{url} from {origin}"),
        ProxyRoute::Bypassed {
            proxy,
            origin,
            no_proxy_origin,
        } => format!(
            "none: the endpoint's host is in {no_proxy_origin}, so {proxy} from {origin} \
             is not used"
        ),
        _ if args.no_proxy => "none: turned off by --no-proxy".to_owned(),
        _ => "none: no proxy variable is set".to_owned(),
    }
}

/// Returns every configuration value in effect and where it came from, with the same
/// precedence as `build_client`: flags, then files named by flags or variables, then
/// variables, then defaults.
fn settings(args: &Args) -> Vec<Setting> {
    let env = super::env_var;
    let mut settings = Vec::new();

    let (endpoint, source) = match (&args.endpoint, env("SEAM_ENDPOINT"), env("SEAM_API_URL")) {
        (Some(endpoint), ..) => (endpoint.clone(), "--endpoint"),
        (None, Some(endpoint), _) => (endpoint, "SEAM_ENDPOINT"),
        (None, None, Some(endpoint)) => (endpoint, "SEAM_API_URL (deprecated)"),
        (None, None, None) => (seam_edge::DEFAULT_ENDPOINT.to_owned(), "default"),
    };
    // An endpoint with user info is rejected, and its password must not be shown.
    let endpoint = if endpoint.contains('@') {
        "(not shown: it contains user info)".to_owned()
    } else {
        escaped(&endpoint)
    };
    settings.push(("endpoint", endpoint, source));

    let (credentials, source) = credentials_source(args, &env);
    let is_token = credentials.starts_with(TOKEN);
    settings.push(("credentials", credentials, source));
    if is_token {
        let (workspace_id, source) = match &args.workspace_id {
            Some(id) => (Some(id.clone()), "--workspace-id"),
            None => (env("SEAM_WORKSPACE_ID"), "SEAM_WORKSPACE_ID"),
        };
        let workspace_id = escaped(&workspace_id.unwrap_or_default());
        settings.push(("workspace id", workspace_id, source));
    }

    let roots = match &args.ca_file {
        Some(path) => (format!("CA file {:?}", path.display()), "--ca-file"),
        None => ("bundled webpki roots".to_owned(), "default"),
    };
    settings.push(("roots", roots.0, roots.1));
    let durations = [
        (
            "connect timeout",
            args.connect_timeout,
            seam_edge::DEFAULT_CONNECT_TIMEOUT,
            "--connect-timeout",
        ),
        (
            "timeout",
            args.timeout,
            seam_edge::DEFAULT_TIMEOUT,
            "--timeout",
        ),
        (
            "deadline",
            args.deadline,
            seam_edge::DEFAULT_DEADLINE,
            "--deadline",
        ),
    ];
    for (name, value, default, flag) in durations {
        let source = if value.is_some() { flag } else { "default" };
        settings.push((name, seconds_text(value.unwrap_or(default)), source));
    }
    let source = if args.retries.is_some() {
        "--retries"
    } else {
        "default"
    };
    let retries = args.retries.unwrap_or(seam_edge::DEFAULT_RETRIES);
    settings.push(("retries", retries.to_string(), source));
    let (queue_dir, source) = match (&args.queue_dir, env("SEAM_EDGE_QUEUE_DIR")) {
        (Some(dir), _) => (format!("{:?}", dir.display()), "--queue-dir"),
        (None, Some(dir)) => (escaped(&dir), "SEAM_EDGE_QUEUE_DIR"),
        (None, None) => ("none".to_owned(), "default"),
    };
    settings.push(("queue dir", queue_dir, source));
    settings
}

/// Returns `text` with control characters and quotes escaped, as Rust's `{:?}` does.
fn escaped(text: &str) -> String {
    text.escape_debug().to_string()
}

/// Returns the kind of credentials, with the prefix its token must have and the file it is
/// read from, and where it came from, in the order `build_client` reads them. The token
/// itself is never read here.
fn credentials_source(
    args: &Args,
    env: &impl Fn(&str) -> Option<String>,
) -> (String, &'static str) {
    let in_file = |kind: &str, path: &std::path::Path| format!("{kind} in {:?}", path.display());
    if let Some(path) = &args.api_key_file {
        return (in_file(API_KEY, path), "--api-key-file");
    }
    if let Some(path) = &args.token_file {
        return (in_file(TOKEN, path), "--token-file");
    }
    if let Some(path) = env("SEAM_API_KEY_FILE") {
        return (in_file(API_KEY, path.as_ref()), "SEAM_API_KEY_FILE");
    }
    if env("SEAM_API_KEY").is_some() {
        return (API_KEY.to_owned(), "SEAM_API_KEY");
    }
    if env("SEAM_PERSONAL_ACCESS_TOKEN").is_some() {
        return (TOKEN.to_owned(), "SEAM_PERSONAL_ACCESS_TOKEN");
    }
    ("none".to_owned(), "nothing set")
}

/// Opens the queue folder as an update would, and reports what it holds.
fn check_outbox(client: &Client, report: &mut Report) {
    let Some(dir) = client.queue_dir() else {
        let detail = "none: without --queue-dir a temporary failure exits 75".to_owned();
        report.push("outbox", OK, detail);
        return;
    };
    match Outbox::open(dir).and_then(|outbox| outbox.list()) {
        Ok(listing) => {
            let detail = format!(
                "{:?} is usable: {} queued, {} dead letters, {} corrupt files",
                dir.display(),
                listing.queued.len(),
                listing.dead.len(),
                listing.corrupt.len()
            );
            report.push("outbox", OK, detail);
        }
        Err(error) => report.error(
            "outbox",
            exit::code_for(&error),
            output::error_chain(&error),
        ),
    }
}

/// Prints one line per check; with `quiet`, only the warnings and errors.
fn print_text(report: &Report, settings: &[Setting], quiet: bool) {
    let mut text = String::new();
    for check in &report.checks {
        if quiet && (check.verdict == OK || check.verdict == SKIPPED) {
            continue;
        }
        let _ = writeln!(text, "{}: {}: {}", check.name, check.verdict, check.detail);
        if check.name == "configuration" {
            for (name, value, source) in settings {
                let _ = writeln!(text, "    {name}: {value} ({source})");
            }
        }
    }
    output::print_stdout(&text);
}

/// Returns a JSON object of string members.
fn object(members: &[(&str, &str)]) -> Object {
    // A loop of inserts, because collecting into the map would compile in a sort.
    let mut object = Object::new();
    for (key, value) in members {
        output::put(&mut object, key, Value::String((*value).to_owned()));
    }
    object
}

/// Prints `{"ok", "exit_code", "checks": [{"name", "verdict", "detail"}]}`, where the
/// configuration check also has `values`: `[{"name", "value", "source"}]`.
fn print_json(report: &Report, settings: &[Setting]) {
    let mut checks = Array::new();
    for check in &report.checks {
        let mut members = object(&[
            ("name", check.name),
            ("verdict", check.verdict),
            ("detail", &check.detail),
        ]);
        if check.name == "configuration" {
            let values = settings.iter().map(|(name, value, source)| {
                Value::Object(object(&[
                    ("name", name),
                    ("value", value),
                    ("source", source),
                ]))
            });
            output::put(&mut members, "values", Value::Array(values.collect()));
        }
        checks.push(Value::Object(members));
    }
    let code = report.exit_code();
    let mut members = Object::new();
    output::put(&mut members, "ok", Value::Bool(code == exit::OK));
    let code = Value::Number(Number::U64(u64::from(code)));
    output::put(&mut members, "exit_code", code);
    output::put(&mut members, "checks", Value::Array(checks));
    output::print_object(&members);
}
