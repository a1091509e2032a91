//! A loopback HTTPS stand-in for Seam's API, for tests of this crate and of firmware.
//!
//! Enabled by the `fake-server` feature. [`FakeSeam::start`] binds `127.0.0.1` on a free
//! port, generates a certificate authority and a server certificate signed by it, and serves
//! on background threads until the handle is dropped. Clients trust [`FakeSeam::ca_pem`] and
//! send requests to [`FakeSeam::endpoint`].
//!
//! ```
//! use seam_edge::fake::{FakeSeam, SEEDED_CREDENTIAL_IDS};
//!
//! let fake = FakeSeam::start()?;
//! assert!(fake.endpoint().starts_with("https://127.0.0.1:"));
//! assert!(fake.ca_pem().starts_with("-----BEGIN CERTIFICATE-----"));
//!
//! let credential = fake.credential(SEEDED_CREDENTIAL_IDS[0]).expect("seeded");
//! assert_eq!(credential.code.as_deref(), Some("1234"));
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # Seeded values
//!
//! | what | value |
//! |---|---|
//! | API key ([`API_KEY`]) | `seam_fakekey1_token` |
//! | personal access token ([`PERSONAL_ACCESS_TOKEN`]) | `seam_at1_faketoken` |
//! | workspace ([`WORKSPACE_ID`]) | `fake_workspace_1`, name `Fake Workspace` |
//!
//! Credentials ([`SEEDED_CREDENTIAL_IDS`]), all with `access_method` `code`, `acs_system_id`
//! [`ACS_SYSTEM_ID`] and `created_at` `2024-01-01T00:00:00.000Z`:
//!
//! | `acs_credential_id` | `display_name` | `code` | `starts_at` | `ends_at` | `acs_user_id` |
//! |---|---|---|---|---|---|
//! | `66666666-6666-6666-6666-666666666666` | Front door PIN | `1234` | 2024-01-01T00:00:00.000Z | null | `fake_acs_user_1` |
//! | `77777777-7777-7777-7777-777777777777` | Back door PIN | `0042` | 2024-01-01T00:00:00.000Z | 2099-12-31T23:59:59.000Z | `fake_acs_user_1` |
//! | `88888888-8888-8888-8888-888888888888` | Garage PIN | null | 2090-01-01T00:00:00.000Z | null | null |
//!
//! The garage credential starts in the future, so an `ends_at` before 2090 is rejected.
//!
//! # Routes
//!
//! Every known route requires `authorization: Bearer <token>`. The API key is enough; the
//! personal access token also needs `seam-workspace: fake_workspace_1`. A missing or unknown
//! token gets 401 `unauthorized`; the personal access token without `seam-workspace` gets
//! 401 `access_token_used_for_api_key`.
//!
//! - `PATCH` or `POST /acs/credentials/update` with a JSON body `acs_credential_id`, and
//!   optionally `code` (digits) and `ends_at` (`YYYY-MM-DDTHH:MM:SS[.fraction]Z`, in the
//!   future and after the credential's `starts_at`). It returns the updated credential.
//! - `GET /acs/credentials/get?acs_credential_id=...` or `POST` with a JSON body.
//! - `GET /workspaces/get`.
//!
//! Errors use Seam's envelope `{"error": {"type", "message"}, "ok": false}`: 400
//! `invalid_content_type` for a body that is not `application/json`, 400 `invalid_input`
//! with `validation_errors`, 404 `acs_credential_not_found`, 405 `method_not_allowed`. As on
//! Seam, a body that is not JSON gets a plain-text `Invalid JSON` and an unknown path a
//! plain-text `404`.
//!
//! Every response carries a unique `seam-request-id`, a `content-length` and a `date` from
//! the real clock, which [`FakeSeamBuilder::clock_skew`] shifts and
//! [`FakeSeamBuilder::omit_date`] leaves out. A queued reply with its own `date` keeps
//! it. Connections
//! stay open for further requests (HTTP/1.1 keep-alive) and close after 60 seconds idle.
//! Request bodies may use `content-length` or chunked transfer coding; a body over 1 MiB
//! gets 413.
//!
//! # Faults
//!
//! [`FakeSeam::inject`] queues a [`Fault`] for the next requests, in place of their routes:
//! outages (503, an HTML 502), 429 with `retry-after`, a connection closed without a reply,
//! no reply at all, a body dripped one byte at a time, a 20 MiB body, malformed JSON, a
//! captive portal page, a redirect to another host and a plain-text 401.
//! [`FakeSeam::reply_next`] queues any other status, header fields and body. Queued
//! faults and replies answer requests in the order they were queued, each request is
//! recorded before its fault acts, and the routes serve again once the queue is empty.
//!
//! ```
//! use seam_edge::fake::{FakeSeam, Fault};
//!
//! let fake = FakeSeam::start()?;
//! fake.inject(Fault::ServiceUnavailable, 2);
//! fake.inject(Fault::RetryAfterSeconds(3), 1);
//! assert_eq!(fake.pending_faults(), 3);
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # Rate limit
//!
//! [`FakeSeamBuilder::rate_limit`] puts a token bucket in front of everything: a request
//! beyond it gets 429 with `retry-after: <seconds>` (at least 1) and the envelope
//! `{"error":{"type":"rate_limited","message":"Too many requests"},"ok":false}`, is
//! recorded, and does not take a queued fault. [`FakeSeam::rate_limited_count`] counts
//! these replies.

mod datetime;
mod deliver;
mod fault;
mod http;
mod limit;
mod params;
mod routes;
mod server;
mod store;
mod tls;

use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::SystemTime;

pub use fault::{Fault, LARGE_BODY_LENGTH, MAX_HOLD, REDIRECT_LOCATION};
pub use store::{
    ACS_SYSTEM_ID, API_KEY, CannedReply, FakeCredential, PERSONAL_ACCESS_TOKEN, RecordedRequest,
    SEEDED_CREDENTIAL_IDS, WORKSPACE_ID,
};

use limit::TokenBucket;
use server::Server;
use store::Store;
use tls::TlsOptions;

/// A running fake Seam server on `127.0.0.1`. Dropping it shuts the server down.
#[derive(Debug)]
pub struct FakeSeam {
    server: Server,
    store: Arc<Store>,
    ca_pem: String,
}

impl FakeSeam {
    /// Starts a fake with the default certificate and TLS settings of [`FakeSeamBuilder`].
    ///
    /// # Errors
    ///
    /// Fails when the port cannot be bound, certificate generation fails or a thread cannot
    /// be started.
    pub fn start() -> io::Result<FakeSeam> {
        FakeSeam::builder().start()
    }

    /// Returns a builder to choose the server certificate and TLS versions.
    pub fn builder() -> FakeSeamBuilder {
        FakeSeamBuilder::default()
    }

    /// Returns the base URL, `https://127.0.0.1:<port>`, without a trailing slash.
    pub fn endpoint(&self) -> String {
        format!("https://{}", self.addr())
    }

    /// Returns the bound address, always on `127.0.0.1`.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// Returns the PEM certificate of the CA that signed the server certificate. A client
    /// that trusts only this CA accepts the fake. The CA is new for every fake.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// Returns the seeded API key, [`API_KEY`].
    pub fn api_key(&self) -> &str {
        API_KEY
    }

    /// Returns the seeded personal access token, [`PERSONAL_ACCESS_TOKEN`].
    pub fn personal_access_token(&self) -> &str {
        PERSONAL_ACCESS_TOKEN
    }

    /// Returns the id of the fake's workspace, [`WORKSPACE_ID`].
    pub fn workspace_id(&self) -> &str {
        WORKSPACE_ID
    }

    /// Inserts a credential, replacing any with the same `acs_credential_id`.
    pub fn insert_credential(&self, credential: FakeCredential) {
        self.store.insert(credential);
    }

    /// Returns the credential as currently stored.
    pub fn credential(&self, acs_credential_id: &str) -> Option<FakeCredential> {
        self.store.credential(acs_credential_id)
    }

    /// Returns every request received since the start or the last
    /// [`clear_requests`](FakeSeam::clear_requests), in order, rejected ones included.
    ///
    /// A request is in the log before its reply is sent. Requests whose request line or
    /// header fields could not be parsed are not logged. The log grows until cleared.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.store.requests()
    }

    /// Empties the request log.
    pub fn clear_requests(&self) {
        self.store.clear_requests();
    }

    /// Queues `reply` for a coming request: each queued reply is sent to one request, in
    /// order, instead of the route; the route serves again once the queue is empty.
    ///
    /// It is the same as `inject(Fault::Reply(reply), 1)`, so replies and faults share one
    /// queue.
    pub fn reply_next(&self, reply: CannedReply) {
        self.store.push_fault(Fault::Reply(reply), 1);
    }

    /// Queues `fault` for the next `times` requests after those already queued, in place
    /// of their routes. `times` 0 queues nothing.
    pub fn inject(&self, fault: Fault, times: usize) {
        self.store.push_fault(fault, times);
    }

    /// Returns how many coming requests will get a queued fault or reply instead of their
    /// route.
    pub fn pending_faults(&self) -> usize {
        self.store.pending_faults()
    }

    /// Returns how many requests got 429 from the
    /// [rate limit](FakeSeamBuilder::rate_limit), 0 without one. Injected 429 faults are
    /// not counted.
    pub fn rate_limited_count(&self) -> u64 {
        self.store.rate_limited_count()
    }

    /// Stops accepting connections, closes the open ones and joins the server's threads.
    /// Calling it again, or dropping the fake afterwards, does nothing more.
    pub fn shutdown(&mut self) {
        self.server.shutdown();
    }
}

/// Options for a [`FakeSeam`]: the server certificate and the TLS versions offered.
#[derive(Clone, Debug)]
pub struct FakeSeamBuilder {
    leaf_names: Vec<String>,
    leaf_validity: Option<(SystemTime, SystemTime)>,
    tls12_only: bool,
    rate_limit: Option<(u32, u32)>,
    clock_skew: i64,
    omit_date: bool,
}

impl Default for FakeSeamBuilder {
    fn default() -> Self {
        FakeSeamBuilder {
            leaf_names: ["localhost", "127.0.0.1", "::1"]
                .map(str::to_owned)
                .to_vec(),
            leaf_validity: None,
            tls12_only: false,
            rate_limit: None,
            clock_skew: 0,
            omit_date: false,
        }
    }
}

impl FakeSeamBuilder {
    /// Sets the validity window of the server certificate, to test expired or not yet
    /// valid certificates. The CA stays valid from one day ago to ten years ahead.
    ///
    /// Default: from one day before the start to one year after it.
    pub fn leaf_validity(mut self, not_before: SystemTime, not_after: SystemTime) -> Self {
        self.leaf_validity = Some((not_before, not_after));
        self
    }

    /// Sets the subject alternative names of the server certificate, each a DNS name or an
    /// IP address. Names that exclude `127.0.0.1` make clients of
    /// [`FakeSeam::endpoint`] fail with a host name mismatch.
    ///
    /// Default: `localhost`, `127.0.0.1` and `::1`.
    pub fn leaf_names(mut self, names: Vec<String>) -> Self {
        self.leaf_names = names;
        self
    }

    /// Limits the server to TLS 1.2 when `true`.
    ///
    /// Default: `false`, so TLS 1.3 and 1.2 are offered.
    pub fn tls12_only(mut self, enabled: bool) -> Self {
        self.tls12_only = enabled;
        self
    }

    /// Limits all requests together to `requests_per_second` on average, allowing bursts
    /// of up to `burst` requests. It is a token bucket that starts full: each request takes
    /// one token and tokens come back at `requests_per_second`. A request that finds the
    /// bucket empty gets 429, as the [module documentation](self#rate-limit) describes.
    ///
    /// Default: no limit.
    pub fn rate_limit(mut self, requests_per_second: u32, burst: u32) -> Self {
        self.rate_limit = Some((requests_per_second, burst));
        self
    }

    /// Shifts the time in the `date` header of every response by `seconds`, ahead when
    /// positive and behind when negative, so that a client's clock check meets a skewed
    /// server. Only the header moves: certificates and `ends_at` checks use the real clock.
    ///
    /// Default: 0, the real clock.
    pub fn clock_skew(mut self, seconds: i64) -> Self {
        self.clock_skew = seconds;
        self
    }

    /// Leaves the `date` header out of every response when `true`, as some proxies and
    /// servers do.
    ///
    /// Default: `false`, so every response has a `date`.
    pub fn omit_date(mut self, omit: bool) -> Self {
        self.omit_date = omit;
        self
    }

    /// Generates the certificates, binds `127.0.0.1` on a free port and starts serving.
    ///
    /// # Errors
    ///
    /// `InvalidInput` when a leaf name is neither a DNS name nor an IP address, a validity
    /// bound lies outside the years 1 to 9999, or a rate limit has 0 requests per second or
    /// a burst of 0. Other errors come from binding, key generation or starting a thread.
    pub fn start(self) -> io::Result<FakeSeam> {
        let limit = self.rate_limit.map(token_bucket).transpose()?;
        let now = SystemTime::now();
        let (not_before, not_after) = self
            .leaf_validity
            .unwrap_or((now - tls::LEAF_BACK, now + tls::LEAF_AHEAD));
        let options = TlsOptions {
            leaf_names: self.leaf_names,
            not_before,
            not_after,
            tls12_only: self.tls12_only,
        };
        let setup = tls::setup(&options)?;

        let store = Arc::new(Store::seeded(limit));
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let date_skew = (!self.omit_date).then_some(self.clock_skew);
        let server = Server::spawn(listener, setup.config, Arc::clone(&store), date_skew)?;
        Ok(FakeSeam {
            server,
            store,
            ca_pem: setup.ca_pem,
        })
    }
}

/// Checks the numbers given to [`FakeSeamBuilder::rate_limit`] and builds the bucket.
fn token_bucket((requests_per_second, burst): (u32, u32)) -> io::Result<TokenBucket> {
    if requests_per_second == 0 || burst == 0 {
        let message = format!(
            "invalid rate limit: {requests_per_second} requests per second with a burst of \
             {burst}; both must be at least 1"
        );
        return Err(io::Error::new(io::ErrorKind::InvalidInput, message));
    }
    Ok(TokenBucket::new(requests_per_second, burst))
}
