//! The client, its builder, and the handles that mirror Seam's API routes.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use ureq::tls::{Certificate, PemItem};

use crate::auth::Auth;
use crate::credential::Credentials;
use crate::diagnostics::{ProxyRoute, TrustedRoots};
use crate::env::{self, ProxySetting};
use crate::error::{Error, Quoted};
use crate::http::{self, AgentSettings, Request};
use crate::outbox::{self, Outbox};
use crate::response::Reply;
use crate::retry;
use crate::workspace::Workspaces;

/// Seam's production endpoint.
pub const DEFAULT_ENDPOINT: &str = "https://connect.getseam.com";
/// Time allowed to open the TCP connection and finish the TLS handshake.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Time allowed for one attempt: connecting, sending and reading the whole response.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Retries after the first attempt of a request that failed for a temporary reason.
pub const DEFAULT_RETRIES: u32 = 2;
/// Time allowed for one call, all its attempts and the waits between them included.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(60);
/// Upper bound of the random wait before the first retry; it doubles for each further one.
pub const DEFAULT_RETRY_BACKOFF: Duration = Duration::from_millis(500);

/// A clock the client reads to check that `ends_at` lies in the future.
pub type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// The source of the trusted certificate authorities.
#[derive(Clone)]
enum Roots {
    WebPki,
    PemFile(PathBuf),
    PemBytes(Vec<u8>),
}

/// Configures a [`Client`]. Every option has a default; only the credentials must be set,
/// directly or from the environment through [`ClientBuilder::fill_from_vars`].
#[derive(Clone)]
pub struct ClientBuilder {
    endpoint: Option<String>,
    auth: Option<Auth>,
    connect_timeout: Duration,
    timeout: Duration,
    roots: Roots,
    proxy: ProxySetting,
    user_agent: String,
    clock: Clock,
    allow_insecure_http: bool,
    retries: u32,
    deadline: Duration,
    retry_backoff: Duration,
    queue: Option<PathBuf>,
    queue_limits: (usize, u64),
}

impl Default for ClientBuilder {
    fn default() -> ClientBuilder {
        ClientBuilder::new()
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("endpoint", &self.endpoint)
            .field("auth", &self.auth)
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("proxy", &self.proxy)
            .field("user_agent", &self.user_agent)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// Creates a builder with every option at its default and no credentials.
    pub fn new() -> ClientBuilder {
        ClientBuilder {
            endpoint: None,
            auth: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            roots: Roots::WebPki,
            proxy: ProxySetting::Unset,
            user_agent: format!("seam-edge/{}", env!("CARGO_PKG_VERSION")),
            clock: Arc::new(SystemTime::now),
            allow_insecure_http: false,
            retries: DEFAULT_RETRIES,
            deadline: DEFAULT_DEADLINE,
            retry_backoff: DEFAULT_RETRY_BACKOFF,
            queue: None,
            queue_limits: (
                outbox::DEFAULT_QUEUE_MAX_ENTRIES,
                outbox::DEFAULT_QUEUE_MAX_BYTES,
            ),
        }
    }

    /// Sets the API's base URL, without the route.
    ///
    /// Plain `http://` is accepted only for a loopback host (`127.0.0.0/8`, `::1`,
    /// `localhost`) unless [`allow_insecure_http`](Self::allow_insecure_http) is set.
    /// Default: `https://connect.getseam.com`.
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> ClientBuilder {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// Sets the credentials. Default: none, and [`build`](Self::build) fails without them.
    pub fn auth(mut self, auth: Auth) -> ClientBuilder {
        self.auth = Some(auth);
        self
    }

    /// Sets the time allowed to open the TCP connection and finish the TLS handshake.
    /// Default: 10 seconds.
    pub fn connect_timeout(mut self, timeout: Duration) -> ClientBuilder {
        self.connect_timeout = timeout;
        self
    }

    /// Sets the time allowed for one attempt, from connecting to the end of the response
    /// body. Default: 30 seconds.
    pub fn timeout(mut self, timeout: Duration) -> ClientBuilder {
        self.timeout = timeout;
        self
    }

    /// Trusts only the certificates of a PEM file instead of the compiled-in roots, like
    /// curl's `--cacert`. The file is read by [`build`](Self::build). Default: the Mozilla
    /// roots of the `webpki-roots` crate, compiled into the binary.
    pub fn root_certs_pem_file(mut self, path: impl Into<PathBuf>) -> ClientBuilder {
        self.roots = Roots::PemFile(path.into());
        self
    }

    /// Trusts only the certificates in `pem` instead of the compiled-in roots. Default: the
    /// Mozilla roots of the `webpki-roots` crate, compiled into the binary.
    pub fn root_certs_pem(mut self, pem: impl Into<Vec<u8>>) -> ClientBuilder {
        self.roots = Roots::PemBytes(pem.into());
        self
    }

    /// Sends requests through an HTTP CONNECT proxy, `http://[user:password@]host[:port]`
    /// (port 80 if left out; a bare `host:port` means `http://`), or through none with
    /// `None`. Default: none, because the library reads no environment outside
    /// [`fill_from_vars`](Self::fill_from_vars).
    pub fn proxy(mut self, proxy: Option<&str>) -> ClientBuilder {
        self.proxy = match proxy {
            Some(url) => ProxySetting::Url {
                url: url.to_owned(),
                origin: "the proxy option".to_owned(),
                no_proxy: None,
            },
            None => ProxySetting::Off,
        };
        self
    }

    /// Sets the `user-agent` header. Default: `seam-edge/<version>`.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> ClientBuilder {
        self.user_agent = user_agent.into();
        self
    }

    /// Sets the clock used to check that `ends_at` is in the future; tests inject a fixed
    /// one. Default: [`SystemTime::now`].
    pub fn clock(
        mut self,
        clock: impl Fn() -> SystemTime + Send + Sync + 'static,
    ) -> ClientBuilder {
        self.clock = Arc::new(clock);
        self
    }

    /// Sets how many times a request is retried after a temporary failure: a connection
    /// failure, a connection closed before a full response, a timeout, or the statuses 408,
    /// 429, 500, 502, 503 and 504. TLS certificate failures and other statuses are not
    /// retried. `0` means a single attempt. Default: 2, so at most 3 attempts.
    pub fn retries(mut self, retries: u32) -> ClientBuilder {
        self.retries = retries;
        self
    }

    /// Sets the time allowed for one call, all attempts and waits included; each attempt's
    /// timeouts are clipped to what remains. Default: 60 seconds.
    pub fn deadline(mut self, deadline: Duration) -> ClientBuilder {
        self.deadline = deadline;
        self
    }

    /// Sets the upper bound of the random wait before the first retry. Each further retry
    /// doubles it, up to 10 seconds, and a longer `Retry-After` from the server wins.
    /// Default: 500 milliseconds.
    pub fn retry_backoff(mut self, backoff: Duration) -> ClientBuilder {
        self.retry_backoff = backoff;
        self
    }

    /// Sets the outbox folder, where [`Credentials::submit`] stores an update that failed
    /// for a temporary reason, to be sent later by [`Outbox::flush`](crate::Outbox::flush).
    /// The folder is created with mode 0700 when missing, in a parent that must exist.
    /// Default: none, so `submit` sends once like [`Credentials::update_valid`].
    pub fn queue_dir(mut self, path: impl Into<PathBuf>) -> ClientBuilder {
        self.queue = Some(path.into());
        self
    }

    /// Sets the outbox limits: at most `max_entries` files and `max_bytes` bytes, queued
    /// entries and dead letters together. Past them `submit` rejects a new update with
    /// [`Error::Outbox`] and keeps the older entries. Default: 1,000 entries and 1 MiB
    /// ([`DEFAULT_QUEUE_MAX_ENTRIES`](crate::DEFAULT_QUEUE_MAX_ENTRIES),
    /// [`DEFAULT_QUEUE_MAX_BYTES`](crate::DEFAULT_QUEUE_MAX_BYTES)).
    pub fn queue_limits(mut self, max_entries: usize, max_bytes: u64) -> ClientBuilder {
        self.queue_limits = (max_entries, max_bytes);
        self
    }

    /// Allows a plain `http://` endpoint that is not loopback, which sends the token
    /// unencrypted. Default: false.
    pub fn allow_insecure_http(mut self, allow: bool) -> ClientBuilder {
        self.allow_insecure_http = allow;
        self
    }

    /// Fills every option not set yet from environment variables, looked up through `var`,
    /// so explicit settings win. Blank values count as unset.
    ///
    /// - credentials: `SEAM_API_KEY`, or `SEAM_PERSONAL_ACCESS_TOKEN` with
    ///   `SEAM_WORKSPACE_ID`; setting both tokens is an error;
    /// - endpoint: `SEAM_ENDPOINT`, else the deprecated `SEAM_API_URL` with a warning;
    /// - outbox folder: `SEAM_EDGE_QUEUE_DIR`;
    /// - proxy, in curl's order for https: `https_proxy`, `HTTPS_PROXY`, `all_proxy`,
    ///   `ALL_PROXY`; hosts to reach directly: `no_proxy`, then `NO_PROXY`.
    ///
    /// This function reads only what `var` returns; [`Client::from_env`] passes the
    /// process environment.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when both tokens are set, or a personal access token comes
    /// without a workspace id.
    pub fn fill_from_vars(
        mut self,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<ClientBuilder, Error> {
        let var = |name: &str| var(name).filter(|value| !value.trim().is_empty());
        if self.endpoint.is_none() {
            self.endpoint = env::endpoint(&var);
        }
        if self.auth.is_none() {
            self.auth = env::auth(&var)?;
        }
        if self.queue.is_none() {
            self.queue = var("SEAM_EDGE_QUEUE_DIR").map(PathBuf::from);
        }
        if matches!(self.proxy, ProxySetting::Unset) {
            self.proxy = env::proxy(&var);
        }
        Ok(self)
    }

    /// Returns the endpoint that [`build`](Self::build) will use.
    pub fn endpoint_or_default(&self) -> &str {
        self.endpoint.as_deref().unwrap_or(DEFAULT_ENDPOINT)
    }

    /// Checks the configuration, reads the CA file if one is set, and builds the client.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when a timeout or the deadline is zero, or no credentials are set,
    /// or a token has the wrong prefix. Also when the endpoint or proxy is malformed, plain
    /// http is used for a host that is not loopback, or the CA file cannot be read or
    /// contains no certificate.
    pub fn build(self) -> Result<Client, Error> {
        let endpoint = Endpoint::parse(self.endpoint_or_default(), self.allow_insecure_http)?;
        // A zero duration would make ureq time out at once or, for some settings, never.
        let durations = [
            ("connect timeout", self.connect_timeout),
            ("timeout", self.timeout),
            ("deadline", self.deadline),
        ];
        if let Some((name, _)) = durations.iter().find(|(_, value)| value.is_zero()) {
            return Err(Error::config(format!(
                "the {name} must be longer than zero"
            )));
        }
        let auth = self.auth.ok_or_else(|| {
            Error::config(
                "no credentials: set an API key (SEAM_API_KEY), or a personal access token \
                 with its workspace id (SEAM_PERSONAL_ACCESS_TOKEN and SEAM_WORKSPACE_ID)",
            )
        })?;
        auth.validate()?;
        let roots = load_roots(&self.roots)?.map(Arc::new);
        let trusted_roots = describe_roots(&self.roots, roots.as_deref());
        let (proxy, proxy_route) = self.proxy.resolve(&endpoint.host)?;
        let proxy_shown = match &proxy_route {
            ProxyRoute::Proxy { url, .. } => Some(url.clone()),
            _ => None,
        };
        let agent = http::build_agent(AgentSettings {
            roots,
            proxy,
            user_agent: self.user_agent,
        });
        Ok(Client {
            inner: Arc::new(Inner {
                agent,
                endpoint,
                proxy_shown,
                proxy_route,
                trusted_roots,
                auth,
                clock: self.clock,
                connect_timeout: self.connect_timeout,
                timeout: self.timeout,
                retries: self.retries,
                deadline: self.deadline,
                retry_backoff: self.retry_backoff,
                queue: self.queue,
                queue_limits: self.queue_limits,
            }),
        })
    }
}

/// A parsed endpoint: the base URL without a trailing slash, its host and port, and
/// `host:port` for messages.
#[derive(Debug)]
struct Endpoint {
    base: String,
    host: String,
    port: u16,
    target: String,
}

impl Endpoint {
    fn parse(text: &str, allow_insecure_http: bool) -> Result<Endpoint, Error> {
        let invalid = |why: &str| {
            Error::config(format!(
                "invalid endpoint {}: {why}; expected a URL such as {DEFAULT_ENDPOINT}",
                Quoted(&env::redact_userinfo(text))
            ))
        };
        if text.contains('#') {
            return Err(invalid("a fragment is not allowed"));
        }
        let uri: ureq::http::Uri = text.parse().map_err(|_| invalid("not a URL"))?;
        let scheme = uri.scheme_str().ok_or_else(|| invalid("no scheme"))?;
        let host = uri
            .host()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| invalid("no host"))?;
        if uri.query().is_some() {
            return Err(invalid("a query string is not allowed"));
        }
        if uri
            .authority()
            .is_some_and(|authority| authority.as_str().contains('@'))
        {
            return Err(invalid(
                "user info is not allowed; the token is sent in the authorization header",
            ));
        }
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let secure = match scheme {
            "https" => true,
            "http" => false,
            _ => return Err(invalid("the scheme must be https")),
        };
        if !secure && !allow_insecure_http && !env::is_loopback_host(&host) {
            return Err(Error::config(format!(
                "refusing to send the token over plain http to {}; use https, or allow \
                 insecure http explicitly",
                Quoted(&host)
            )));
        }
        // `Uri::port_u16` is `None` both without a port and for one past 65535, so read
        // the port's text after the last colon that is not inside an IPv6 address.
        let port_text = uri
            .authority()
            .and_then(|authority| authority.as_str().rsplit_once(':'))
            .map(|(_, port)| port)
            .filter(|port| !port.contains(']'));
        let port = match port_text {
            None | Some("") => {
                if secure {
                    443
                } else {
                    80
                }
            }
            Some(port) => port
                .parse::<u16>()
                .ok()
                .filter(|port| *port != 0)
                .ok_or_else(|| invalid("the port must be between 1 and 65535"))?,
        };
        let target = if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        let base = text.trim_end_matches('/').to_owned();
        Ok(Endpoint {
            base,
            host,
            port,
            target,
        })
    }
}

/// Largest CA file read; a bundle of every public root is about 250 KiB.
const MAX_CA_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// Reads a CA file, rejecting FIFOs, devices and folders, which could block or never end,
/// and files over [`MAX_CA_FILE_BYTES`].
fn read_ca_file(path: &std::path::Path, origin: &str) -> Result<Vec<u8>, Error> {
    let failed = |error| Error::config_with_source(format!("cannot read {origin}"), error);
    let metadata = std::fs::metadata(path).map_err(failed)?;
    if !metadata.is_file() {
        return Err(Error::config(format!("{origin} is not a regular file")));
    }
    let pem = std::fs::File::open(path)
        .and_then(|file| http::read_limited(file, MAX_CA_FILE_BYTES + 1))
        .map_err(failed)?;
    if pem.len() as u64 > MAX_CA_FILE_BYTES {
        return Err(Error::config(format!(
            "{origin} is larger than {MAX_CA_FILE_BYTES} bytes"
        )));
    }
    Ok(pem)
}

/// Describes the roots for [`Client::trusted_roots`]; `certs` are those `load_roots` read.
fn describe_roots(roots: &Roots, certs: Option<&Vec<Certificate<'static>>>) -> TrustedRoots {
    let count = certs.map_or(0, Vec::len);
    match roots {
        Roots::WebPki => TrustedRoots::WebPki {
            count: webpki_roots::TLS_SERVER_ROOTS.len(),
        },
        Roots::PemFile(path) => TrustedRoots::PemFile {
            path: path.clone(),
            count,
        },
        Roots::PemBytes(_) => TrustedRoots::Pem { count },
    }
}

fn load_roots(roots: &Roots) -> Result<Option<Vec<Certificate<'static>>>, Error> {
    let (pem, origin) = match roots {
        Roots::WebPki => return Ok(None),
        Roots::PemFile(path) => {
            let origin = format!("CA file {}", Quoted(&path.display().to_string()));
            (read_ca_file(path, &origin)?, origin)
        }
        Roots::PemBytes(pem) => (pem.clone(), "the CA PEM data".to_owned()),
    };
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        match item {
            Ok(PemItem::Certificate(cert)) => certs.push(cert),
            Ok(_) => {}
            Err(error) => {
                return Err(Error::config_with_source(
                    format!("{origin} is not valid PEM"),
                    error,
                ));
            }
        }
    }
    if certs.is_empty() {
        return Err(Error::config(format!(
            "{origin} contains no certificate; expected PEM blocks starting with \
             \"-----BEGIN CERTIFICATE-----\""
        )));
    }
    Ok(Some(certs))
}

/// A client for Seam's API. Cheap to clone (one reference count), `Send` and `Sync`; clones
/// share one connection pool.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    agent: ureq::Agent,
    endpoint: Endpoint,
    /// The proxy in use, password hidden, for error messages.
    proxy_shown: Option<String>,
    proxy_route: ProxyRoute,
    trusted_roots: TrustedRoots,
    auth: Auth,
    clock: Clock,
    connect_timeout: Duration,
    timeout: Duration,
    retries: u32,
    deadline: Duration,
    retry_backoff: Duration,
    queue: Option<PathBuf>,
    queue_limits: (usize, u64),
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &self.inner.endpoint.base)
            .field("auth", &self.inner.auth)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Starts configuring a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// Builds a client from the process environment alone; see
    /// [`ClientBuilder::fill_from_vars`] for the variables read.
    ///
    /// # Errors
    ///
    /// As [`ClientBuilder::fill_from_vars`] and [`ClientBuilder::build`].
    pub fn from_env() -> Result<Client, Error> {
        ClientBuilder::new()
            .fill_from_vars(|name| std::env::var(name).ok())?
            .build()
    }

    /// Returns the `acs` routes.
    pub fn acs(&self) -> Acs<'_> {
        Acs { client: self }
    }

    /// Returns the `workspaces` routes.
    pub fn workspaces(&self) -> Workspaces<'_> {
        Workspaces { client: self }
    }

    /// Returns the base URL requests go to.
    pub fn endpoint(&self) -> &str {
        &self.inner.endpoint.base
    }

    /// Returns the credentials in use; their `Debug` output hides the token.
    pub fn auth(&self) -> &Auth {
        &self.inner.auth
    }

    /// Returns the endpoint's host, without brackets for an IPv6 address, and its port.
    pub fn endpoint_host_port(&self) -> (&str, u16) {
        (&self.inner.endpoint.host, self.inner.endpoint.port)
    }

    /// Returns the certificate authorities the client trusts.
    pub fn trusted_roots(&self) -> &TrustedRoots {
        &self.inner.trusted_roots
    }

    /// Returns whether requests go through a proxy, which one and where it was set.
    pub fn proxy_route(&self) -> &ProxyRoute {
        &self.inner.proxy_route
    }

    /// Returns the outbox folder set with [`ClientBuilder::queue_dir`], if any.
    pub fn queue_dir(&self) -> Option<&Path> {
        self.inner.queue.as_deref()
    }

    /// Opens the outbox folder, if one is set, with the client's limits.
    pub(crate) fn outbox(&self) -> Result<Option<Outbox>, Error> {
        let Some(dir) = &self.inner.queue else {
            return Ok(None);
        };
        let (max_entries, max_bytes) = self.inner.queue_limits;
        Ok(Some(Outbox::open(dir)?.limits(max_entries, max_bytes)))
    }

    pub(crate) fn now(&self) -> SystemTime {
        (self.inner.clock)()
    }

    /// Sends one request with [`send`](Self::send) and turns the reply into a value with
    /// `decode`. Any error has the token and `pin` masked in the text the server sent, so a
    /// server or proxy that echoes the request cannot make an error show them.
    pub(crate) fn call<T>(
        &self,
        method: &str,
        route: &str,
        body: Option<String>,
        pin: Option<&str>,
        decode: impl FnOnce(&Reply) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let secrets = [self.inner.auth.token(), pin.unwrap_or_default()];
        self.send(method, route, body)
            .and_then(|reply| decode(&reply))
            .map_err(|error| error.redact(&secrets))
    }

    /// Sends one request with the authentication and SDK headers, retrying temporary
    /// failures within the deadline. The body is the same bytes on every attempt.
    fn send(&self, method: &str, route: &str, body: Option<String>) -> Result<Reply, Error> {
        let inner = &*self.inner;
        let url = format!("{}{route}", inner.endpoint.base);
        let authorization = format!("Bearer {}", inner.auth.token());
        let mut headers = vec![
            ("authorization", authorization.as_str()),
            ("seam-sdk-name", "seam-edge"),
            ("seam-sdk-version", env!("CARGO_PKG_VERSION")),
        ];
        if body.is_some() {
            headers.push(("content-type", "application/json"));
        }
        if let Some(workspace_id) = inner.auth.workspace_id() {
            headers.push(("seam-workspace", workspace_id));
        }
        let body = body.unwrap_or_default();
        let started = Instant::now();
        // A deadline too far away to represent is no deadline.
        let deadline = started.checked_add(inner.deadline);
        let attempts = inner.retries.saturating_add(1);

        let mut attempt = 1;
        loop {
            let remaining = deadline.map_or(Duration::MAX, |deadline| {
                deadline.saturating_duration_since(Instant::now())
            });
            let request = Request {
                method,
                url: &url,
                headers: &headers,
                body: body.as_bytes(),
                timeout: inner.timeout.min(remaining),
                connect_timeout: inner.connect_timeout.min(remaining),
                target: &inner.endpoint.target,
                proxy: inner.proxy_shown.as_deref(),
                now: self.now(),
            };
            let outcome = http::send(&inner.agent, &request);
            let Some(reason) = retry::retry_reason(&outcome) else {
                return outcome;
            };
            let wait = if attempt < attempts {
                self.retry_wait(&outcome, attempt + 1, deadline)
            } else {
                None
            };
            let Some(wait) = wait else {
                if attempt > 1 {
                    log::warn!(
                        "giving up after {attempt} attempts in {} ms; the last failed ({reason})",
                        crate::http::millis(started.elapsed())
                    );
                }
                return outcome;
            };
            log::info!(
                "attempt {attempt} of {attempts} failed ({reason}); retrying in {} ms",
                crate::http::millis(wait)
            );
            std::thread::sleep(wait);
            attempt += 1;
        }
    }

    /// Returns the wait before `next_attempt`, or `None` when it would end past the
    /// deadline or the server's `Retry-After` is too long to honour.
    fn retry_wait(
        &self,
        outcome: &Result<Reply, Error>,
        next_attempt: u32,
        deadline: Option<Instant>,
    ) -> Option<Duration> {
        let retry_after = outcome
            .as_ref()
            .ok()
            .and_then(|reply| reply.retry_after.as_deref())
            .and_then(|value| retry::parse_retry_after(value, self.now()));
        let wait = retry::delay(next_attempt, self.inner.retry_backoff, retry_after);
        let Some(wait) = wait else {
            log::info!("not retrying: the server asked to wait longer than 2 minutes");
            return None;
        };
        let ends_after_deadline = deadline.is_some_and(|deadline| {
            Instant::now()
                .checked_add(wait)
                .is_none_or(|end| end >= deadline)
        });
        if ends_after_deadline {
            log::info!("not retrying: the wait would pass the deadline");
            return None;
        }
        Some(wait)
    }
}

/// The `acs` routes, from [`Client::acs`].
#[derive(Debug, Clone, Copy)]
pub struct Acs<'a> {
    client: &'a Client,
}

impl<'a> Acs<'a> {
    /// Returns the `acs/credentials` routes.
    pub fn credentials(&self) -> Credentials<'a> {
        Credentials {
            client: self.client,
        }
    }
}
