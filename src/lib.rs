//! Crate docs: written later.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod auth;
mod client;
mod credential;
mod env;
mod error;
mod http;
mod response;
mod timestamp;
mod workspace;

#[cfg(feature = "fake-server")]
pub mod fake;

pub use auth::Auth;
pub use client::{
    Acs, Client, ClientBuilder, DEFAULT_CONNECT_TIMEOUT, DEFAULT_ENDPOINT, DEFAULT_TIMEOUT,
};
pub use credential::{
    AccessMethod, AcsCredential, CLOCK_FLOOR_UNIX_SECONDS, Credentials, UpdateCredentialParams,
    ValidUpdate, clock_is_set, mask_code,
};
pub use error::{
    ConfigError, Error, InputError, ResponseError, TransportError, TransportErrorKind,
    ValidationError,
};
pub use timestamp::{Timestamp, TimestampError, TimestampErrorKind};
pub use workspace::{Workspace, Workspaces};
