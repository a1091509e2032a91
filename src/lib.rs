//! A blocking, small-footprint client for Seam's `acs/credentials/update`, made for ARM
//! gateways and access-panel controllers that run it from cron.
//!
//! It changes a credential's PIN `code` and its `ends_at` with
//! `PATCH https://connect.getseam.com/acs/credentials/update`, over ureq and rustls with the
//! ring provider and compiled-in roots, so it needs no OpenSSL, no CA store on the device and
//! no async runtime.
//!
//! ```no_run
//! use seam_edge::{Client, UpdateCredentialParams};
//!
//! let client = Client::from_env()?; // SEAM_API_KEY, or a personal access token
//! let params = UpdateCredentialParams::new("66666666-6666-6666-6666-666666666666")
//!     .code("4821")
//!     .ends_at("2030-01-31T18:00:00+01:00");
//! let updated = client.acs().credentials().update(&params)?;
//! if let Some(credential) = updated {
//!     println!("ends_at is now {:?}", credential.ends_at);
//! }
//! # Ok::<(), seam_edge::Error>(())
//! ```
//!
//! # Checks before sending
//!
//! [`Credentials::update`] sends nothing unless every field passes: `acs_credential_id`
//! non-empty without whitespace or control characters, `code` ASCII digits with leading
//! zeros kept, `ends_at` a strict RFC 3339 date-time (see [`Timestamp`]) after the client's
//! clock, and at least one of `code` and `ends_at`. `ends_at` is sent converted to UTC.
//!
//! Devices without a real-time clock read 1970 until NTP runs. While the clock reads before
//! [`CLOCK_FLOOR_UNIX_SECONDS`] (about this release), the "in the future" check is skipped
//! with a warning and the server decides.
//!
//! # Errors
//!
//! Every call returns [`Error`], one `#[non_exhaustive]` enum: invalid input found locally,
//! unauthorized (every 401), forbidden (403), Seam's JSON error envelope, other HTTP errors,
//! transport failures with the cause in `source()`, and configuration. [`Error::is_temporary`]
//! tells whether trying again later can help. No error, `Debug` output or log line below
//! `trace` contains the token or a PIN code.
//!
//! # TLS roots
//!
//! By default the Mozilla roots of the `webpki-roots` crate are compiled in, because many
//! devices have no `/etc/ssl/certs`. [`ClientBuilder::root_certs_pem_file`] trusts the
//! certificates of a PEM file instead, like curl's `--cacert`. A certificate that is expired
//! or not yet valid yields [`TransportErrorKind::TlsClock`], whose message shows the
//! device's clock, because a wrong clock is the usual cause on such devices.
//!
//! # Proxies
//!
//! No proxy is used unless [`ClientBuilder::proxy`] sets one or
//! [`ClientBuilder::fill_from_vars`] finds `https_proxy`, `HTTPS_PROXY`, `all_proxy` or
//! `ALL_PROXY` (in that order, as curl reads them for https), minus the hosts in `no_proxy`
//! or `NO_PROXY`. Only HTTP CONNECT proxies are supported. Redirects are never followed.
//!
//! # Logging
//!
//! The crate logs through the `log` facade and installs no logger: `info` for each request
//! and response (status, time, `seam-request-id`) and the request body with the PIN masked,
//! `warn` for an unset clock, a deprecated variable or an unreadable success body. It sets no
//! process-wide state and installs no process-wide crypto provider.
//!
//! NOTE: at `trace`, ureq's protocol layer (ureq-proto 0.7, log target `ureq_proto::util`)
//! dumps the raw HTTP bytes, including the `authorization` header and response bodies with
//! PIN codes. The default feature `lean-log` compiles `debug` and `trace` out of release
//! builds; a debug build, or a build without that feature, whose logger enables `trace`
//! should leave that target out.
//!
//! # Features
//!
//! - `serde`: derives `Serialize` and `Deserialize` on the request and response types.
//! - `time`: `TryFrom<time::OffsetDateTime>` for [`Timestamp`].
//! - `fake-server`: [`fake::FakeSeam`], a loopback HTTPS fake of the endpoint for tests.
//! - `lean-log` (default): compiles `debug` and `trace` logging out of release builds, which
//!   saves about 54 KB on armv7 and keeps ureq's raw HTTP dumps out of logs. It sets a
//!   feature of `log`, which applies to every crate in the build; turn default features off
//!   to keep `debug` and `trace`.
//!
//! # Minimum supported Rust version
//!
//! Rust 1.89, declared as `rust-version` in `Cargo.toml`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod auth;
mod client;
mod credential;
mod env;
mod error;
#[doc(hidden)]
pub mod fuzzing;
mod http;
mod outbox;
mod response;
mod retry;
mod timestamp;
mod workspace;

#[cfg(feature = "fake-server")]
pub mod fake;

pub use auth::Auth;
pub use client::{
    Acs, Client, ClientBuilder, DEFAULT_CONNECT_TIMEOUT, DEFAULT_DEADLINE, DEFAULT_ENDPOINT,
    DEFAULT_RETRIES, DEFAULT_RETRY_BACKOFF, DEFAULT_TIMEOUT,
};
pub use credential::{
    AccessMethod, AcsCredential, CLOCK_FLOOR_UNIX_SECONDS, Credentials, UpdateCredentialParams,
    ValidUpdate, clock_is_set, mask_code,
};
pub use error::{
    ConfigError, Error, InputError, OutboxError, OutboxErrorKind, ResponseError, TransportError,
    TransportErrorKind, ValidationError,
};
pub use outbox::{
    DEFAULT_QUEUE_MAX_BYTES, DEFAULT_QUEUE_MAX_ENTRIES, DeadLetter, Delivery, Entry, FlushReport,
    Listing, Outbox, Purge, SEND_LOCK_WAIT,
};
pub use retry::random_duration_up_to;
pub use timestamp::{Timestamp, TimestampError, TimestampErrorKind};
pub use workspace::{Workspace, Workspaces};

/// Compiles the Rust examples of the README as doctests, so they stay correct.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
