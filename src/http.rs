//! The HTTP layer: the ureq agent, sending one request, and turning ureq's errors into
//! [`TransportError`]s.

use std::io::{self, Read};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rustls::CertificateError;
use ureq::tls::{Certificate, RootCerts, TlsConfig, TlsProvider};

use crate::error::{Error, TransportError, TransportErrorKind};
use crate::response::Reply;
use crate::timestamp::Timestamp;

/// Largest response body read; Seam's credential replies are a few KiB.
pub(crate) const MAX_BODY_BYTES: u64 = 1024 * 1024;

/// Returns whole milliseconds, saturating at `u64::MAX`, for log lines. `as_millis`
/// returns a `u128`, whose formatting code only these lines would compile in.
pub(crate) fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// Reads `source` to its end or to `limit` bytes, whichever comes first, retrying on
/// `Interrupted` as `read_to_end` does. One plain loop compiles smaller than a `take` and
/// `read_to_end` for each kind of source.
pub(crate) fn read_limited(mut source: impl Read, limit: u64) -> io::Result<Vec<u8>> {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let mut bytes = Vec::new();
    let mut buffer = [0; 8192];
    while bytes.len() < limit {
        let want = buffer.len().min(limit - bytes.len());
        match source.read(&mut buffer[..want]) {
            Ok(0) => break,
            Ok(count) => bytes.extend_from_slice(&buffer[..count]),
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(bytes)
}

/// Settings the agent is built from.
pub(crate) struct AgentSettings {
    pub(crate) roots: Option<Arc<Vec<Certificate<'static>>>>,
    pub(crate) proxy: Option<ureq::Proxy>,
    pub(crate) user_agent: String,
}

/// Builds the agent: no redirects followed, statuses returned rather than raised, and no
/// proxy unless one is given. Every request sets its own timeouts, because ureq has none by
/// default and each attempt's timeouts are clipped to the deadline.
pub(crate) fn build_agent(settings: AgentSettings) -> ureq::Agent {
    let roots = match settings.roots {
        Some(certs) => RootCerts::Specific(certs),
        None => RootCerts::WebPki,
    };
    let tls = TlsConfig::builder()
        .provider(TlsProvider::Rustls)
        .root_certs(roots)
        .build();
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .max_redirects_will_error(false)
        .proxy(settings.proxy)
        .user_agent(settings.user_agent)
        .accept("application/json")
        .tls_config(tls)
        .build()
        .new_agent()
}

/// One request to send.
pub(crate) struct Request<'a> {
    pub(crate) method: &'a str,
    pub(crate) url: &'a str,
    pub(crate) headers: &'a [(&'a str, &'a str)],
    /// The body, the same bytes on every attempt; empty for none.
    pub(crate) body: &'a [u8],
    /// Time allowed for this attempt, already clipped to what remains of the deadline.
    pub(crate) timeout: Duration,
    /// Time allowed to connect, clipped the same way.
    pub(crate) connect_timeout: Duration,
    /// `host:port` of the endpoint, for error messages.
    pub(crate) target: &'a str,
    /// The proxy in use, password hidden, for error messages.
    pub(crate) proxy: Option<&'a str>,
    /// When the request is sent, for the clock hint on certificate errors.
    pub(crate) now: SystemTime,
}

/// Sends one request and reads the whole response, its body cut at [`MAX_BODY_BYTES`].
pub(crate) fn send(agent: &ureq::Agent, request: &Request<'_>) -> Result<Reply, Error> {
    let builder = ureq::http::Request::builder()
        .method(request.method)
        .uri(request.url);
    let builder = request
        .headers
        .iter()
        .fold(builder, |builder, (name, value)| {
            builder.header(*name, *value)
        });
    let http_request = builder
        .body(request.body)
        .map_err(|error| Error::config_with_source("could not build the request", error))?;
    // TODO: with an overall timeout set, ureq 3.5 resolves the host on a new thread for
    // every request, even an IP address on a reused connection, which costs about 80 µs of
    // CPU per update in a long-running process (BENCHMARKS.md). A resolver passed through
    // `Agent::with_parts` that skips IP addresses or caches lookups would avoid it.
    let http_request = agent
        .configure_request(http_request)
        .timeout_global(Some(request.timeout))
        .timeout_connect(Some(request.connect_timeout))
        .build();

    let started = std::time::Instant::now();
    log::info!("{} {}", request.method, request.url);
    let mut response = agent
        .run(http_request)
        .map_err(|error| transport_error(error, request))?;
    let reply = read_reply(&mut response, request)?;
    log::info!(
        "http {} in {} ms, request id {}",
        reply.status,
        millis(started.elapsed()),
        reply.request_id.as_deref().unwrap_or("none")
    );
    Ok(reply)
}

fn read_reply(
    response: &mut ureq::http::Response<ureq::Body>,
    request: &Request<'_>,
) -> Result<Reply, Error> {
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    let status = response.status().as_u16();
    let request_id = header("seam-request-id");
    let content_type = header("content-type");
    let location = header("location");
    let retry_after = header("retry-after");
    let date = header("date");

    // Reading one byte past the cap distinguishes a body that was cut from one that fits
    // exactly. The start of an oversized body is kept for the error's excerpt.
    let mut body = read_limited(response.body_mut().as_reader(), MAX_BODY_BYTES + 1)
        .map_err(|error| transport_error(ureq::Error::from(error), request))?;
    let truncated = body.len() as u64 > MAX_BODY_BYTES;
    body.truncate(MAX_BODY_BYTES as usize);
    Ok(Reply {
        status,
        request_id,
        content_type,
        location,
        retry_after,
        date,
        body,
        truncated,
    })
}

/// Maps a ureq error to the place the request failed.
fn transport_error(error: ureq::Error, request: &Request<'_>) -> Error {
    transport_error_at(error, request.target, request.proxy, request.now)
}

/// Maps a ureq error on the way to `target`, through `proxy` (password hidden) if set, to
/// the place it failed. `now` is the clock shown in the hint on certificate errors.
pub(crate) fn transport_error_at(
    error: ureq::Error,
    target: &str,
    proxy: Option<&str>,
    now: SystemTime,
) -> Error {
    // Wrong proxy credentials need a person, not a retry, so they are configuration.
    if let ureq::Error::ConnectProxyFailed(message) = &error
        && message.contains("407")
    {
        let proxy = proxy.unwrap_or("in use");
        return Error::config_with_source(
            format!(
                "the proxy {proxy} rejected its credentials (http 407); check the user name \
                 and password in the proxy URL"
            ),
            error,
        );
    }
    match classify(&error, now) {
        (Some(kind), detail) => Error::Transport(Box::new(TransportError {
            kind,
            target: target.to_owned(),
            proxy: proxy.map(str::to_owned),
            detail,
            source: Some(error),
        })),
        (None, _) => {
            Error::config_with_source(format!("request to {target} could not be made"), error)
        }
    }
}

/// Returns the kind of transport failure, or `None` for errors of configuration, with a
/// hint for the user where one helps.
fn classify(error: &ureq::Error, now: SystemTime) -> (Option<TransportErrorKind>, Option<String>) {
    use TransportErrorKind as Kind;
    match error {
        ureq::Error::HostNotFound => (Some(Kind::Dns), None),
        ureq::Error::ConnectionFailed | ureq::Error::ConnectProxyFailed(_) => {
            (Some(Kind::Connect), None)
        }
        ureq::Error::Timeout(_) => (Some(Kind::Timeout), None),
        ureq::Error::Tls(_) => (Some(Kind::Tls), None),
        ureq::Error::Rustls(rustls_error) => classify_rustls(rustls_error, now),
        ureq::Error::Io(io_error) => classify_io(io_error, now),
        ureq::Error::Protocol(_)
        | ureq::Error::BodyStalled
        | ureq::Error::LargeResponseHeader(..)
        | ureq::Error::TooManyRedirects
        | ureq::Error::RedirectFailed => (Some(Kind::ClosedEarly), None),
        _ => (None, None),
    }
}

fn classify_io(error: &io::Error, now: SystemTime) -> (Option<TransportErrorKind>, Option<String>) {
    use TransportErrorKind as Kind;
    let rustls_error = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>());
    if let Some(rustls_error) = rustls_error {
        return classify_rustls(rustls_error, now);
    }
    let kind = match error.kind() {
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => Kind::Timeout,
        io::ErrorKind::ConnectionRefused
        | io::ErrorKind::HostUnreachable
        | io::ErrorKind::NetworkUnreachable
        | io::ErrorKind::AddrNotAvailable => Kind::Connect,
        _ => Kind::ClosedEarly,
    };
    (Some(kind), None)
}

fn classify_rustls(
    error: &rustls::Error,
    now: SystemTime,
) -> (Option<TransportErrorKind>, Option<String>) {
    use TransportErrorKind as Kind;
    let rustls::Error::InvalidCertificate(certificate) = error else {
        return (Some(Kind::Tls), None);
    };
    let clock = Timestamp::from_system_time(now)
        .map_or_else(|| "out of range".to_owned(), |clock| clock.to_string());
    let hint = |what: &str| {
        Some(format!(
            "{what}; this device's clock reads {clock}: check the system clock (NTP) \
             before anything else"
        ))
    };
    match certificate {
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            (Some(Kind::TlsClock), hint("the certificate has expired"))
        }
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => (
            Some(Kind::TlsClock),
            hint("the certificate is not valid yet"),
        ),
        // A trusted CA with the issuer's name but another key, as after a private CA was
        // regenerated, fails as a bad signature rather than as an unknown issuer.
        CertificateError::UnknownIssuer | CertificateError::BadSignature => (
            Some(Kind::Tls),
            Some(
                "the certificate is signed by an unknown authority; pass the right CA \
                 with a PEM file if the endpoint uses a private one"
                    .to_owned(),
            ),
        ),
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => (
            Some(Kind::Tls),
            Some("the certificate is for another host name; check the endpoint".to_owned()),
        ),
        _ => (Some(Kind::Tls), None),
    }
}
