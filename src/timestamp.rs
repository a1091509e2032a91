//! Placeholder; the validator is being written.
