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
//! transport failures with the cause in `source()`, configuration, and the outbox.
//! [`Error::is_temporary`] returns whether trying again later can help. No error, `Debug`
//! output or log line below `trace` contains the token or a PIN code.
//!
//! # Outbox
//!
//! With [`ClientBuilder::queue_dir`] (or `SEAM_EDGE_QUEUE_DIR` through
//! [`ClientBuilder::fill_from_vars`]), [`Credentials::submit`] stores an update that failed
//! for a temporary reason instead of losing it, and [`Outbox::flush`] sends the stored
//! updates later, oldest first. Without a folder, `submit` sends once like
//! [`Credentials::update_valid`].
//!
//! ```no_run
//! use seam_edge::{Client, Delivery, Outbox, UpdateCredentialParams};
//!
//! let client = Client::builder()
//!     .queue_dir("/var/lib/seam-edge/outbox")
//!     .fill_from_vars(|name| std::env::var(name).ok())?
//!     .build()?;
//! let update = UpdateCredentialParams::new("66666666-6666-6666-6666-666666666666")
//!     .code("4821")
//!     .validate()?;
//! match client.acs().credentials().submit(&update)? {
//!     Delivery::Sent(_) => {}
//!     Delivery::Queued(entry) => eprintln!("queued as entry {}", entry.sequence),
//!     _ => {}
//! }
//! // Later, for example from cron when the uplink is back:
//! let report = Outbox::open("/var/lib/seam-edge/outbox")?.flush(&client)?;
//! eprintln!("sent {}, still queued {}", report.sent.len(), report.remaining);
//! # Ok::<(), seam_edge::Error>(())
//! ```
//!
//! The folder has mode 0700, and a folder other users may open is rejected, not changed.
//! It contains one JSON file per entry (mode 0600), named by a sequence number from a
//! `counter` file, because devices without a real-time clock cannot order by time. An
//! entry stores the endpoint, the workspace id, the credential id, `code` and `ends_at`,
//! never the token or API key, but the PIN code by necessity. Every file is written to a
//! temporary file, synced, renamed into place, and the folder synced, so after a power cut
//! each entry is either whole or absent, and a leftover temporary file is deleted at the
//! next [`Outbox::open`]. An update that reached the server just before a crash may be sent
//! once more, which sets the same values again.
//!
//! A flush removes an entry after a 2xx, moves one rejected for good (invalid input, 404,
//! another 4xx, an `ends_at` already past by a set clock) to `dead/` with its error, and
//! stops at a temporary failure, 401 or 403, keeping the rest. Unreadable files move to
//! `corrupt/`. Entries stored for another endpoint or workspace are never sent with the
//! flushing client's credentials; they stay and are reported. Past
//! [`DEFAULT_QUEUE_MAX_ENTRIES`] files or [`DEFAULT_QUEUE_MAX_BYTES`] bytes, queued and
//! dead together ([`ClientBuilder::queue_limits`] changes them), a new update is rejected
//! with [`Error::Outbox`] and older entries stay.
//!
//! Two file locks, released when their process dies, order concurrent runs: a short one
//! while files change, and a send lock held by whoever sends queued entries, so that no
//! entry is sent twice by two runs and a credential's updates keep their order. A
//! `submit` that finds the send lock held for [`SEND_LOCK_WAIT`] queues its update.
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
//! builds. A debug build, or a build without that feature, whose logger enables `trace`
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
mod diagnostics;
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
pub use diagnostics::{ProxyRoute, TrustedRoots};
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
