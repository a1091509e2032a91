//! Placeholder; the fake server is being written.
