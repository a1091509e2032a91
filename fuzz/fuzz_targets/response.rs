//! Feeds arbitrary replies to the decoding of `acs/credentials/update`. The input layout
//! and the checks are in `properties/response.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../properties/response.rs"]
mod properties;

fuzz_target!(|data: &[u8]| properties::check_fuzz_input(data));
