//! Feeds arbitrary UTF-8 to `Timestamp::parse`. The checks are in
//! `properties/timestamp.rs`. Inputs that are not UTF-8 cannot reach the parser, so they
//! are skipped.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../properties/timestamp.rs"]
mod properties;

fuzz_target!(|data: &[u8]| {
    if let Ok(input) = std::str::from_utf8(data) {
        properties::check_timestamp(input);
    }
});
