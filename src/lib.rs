//! Crate docs: written later.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod timestamp;

#[cfg(feature = "fake-server")]
pub mod fake;

pub use timestamp::{Timestamp, TimestampError, TimestampErrorKind};
