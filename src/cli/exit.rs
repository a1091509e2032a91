//! Exit codes, from BSD's `sysexits.h`, and the mapping from errors to them.

use seam_edge::Error;

/// The update was sent and accepted, or the check passed.
pub const OK: u8 = 0;
/// The command line is wrong: an unknown flag, a missing or conflicting argument.
pub const USAGE: u8 = 64;
/// A value is invalid: rejected locally, or by the API as `invalid_input`.
pub const INVALID_INPUT: u8 = 65;
/// The API rejected the request for another reason: 404, 405, 409, another 4xx, 501 or an
/// unexpected redirect.
pub const REJECTED: u8 = 69;
/// The outbox could not store an update that failed for a temporary reason: the queue is
/// full, the disk is full, or its folder cannot be written. The update was neither sent nor
/// queued.
pub const STORAGE: u8 = 74;
/// A temporary failure worth retrying later: DNS, connect, TLS handshake (a wrong clock
/// included), timeouts, a connection closed early, 408, 429, 500, 502, 503, 504, or a
/// success whose body is not JSON (a captive portal or proxy page).
pub const TEMPORARY: u8 = 75;
/// The credentials were rejected: 401, 403, or a Seam error type about authentication.
pub const BAD_CREDENTIALS: u8 = 77;
/// The configuration is unusable: no token, conflicting variables, a bad token prefix, an
/// unreadable CA, token or PIN file, a malformed endpoint or proxy, proxy credentials
/// rejected.
pub const CONFIG: u8 = 78;

/// Returns the exit code for an error.
pub fn code_for(error: &Error) -> u8 {
    match error {
        Error::InvalidInput(_) => INVALID_INPUT,
        Error::Unauthorized(_) | Error::Forbidden(_) => BAD_CREDENTIALS,
        Error::Config(_) => CONFIG,
        Error::Outbox(_) if error.is_temporary() => TEMPORARY,
        Error::Outbox(_) => STORAGE,
        Error::Transport(_) => TEMPORARY,
        Error::Api(response) if response.error_type() == Some("invalid_input") => INVALID_INPUT,
        _ if error.is_temporary() => TEMPORARY,
        _ => REJECTED,
    }
}

/// Returns a short name of the exit code's class, used in `--json` output.
pub fn class_name(code: u8) -> &'static str {
    match code {
        OK => "ok",
        USAGE => "usage",
        INVALID_INPUT => "invalid_input",
        REJECTED => "rejected",
        TEMPORARY => "temporary",
        BAD_CREDENTIALS => "bad_credentials",
        CONFIG => "config",
        STORAGE => "storage",
        _ => "other",
    }
}

/// Exit codes from the most serious to the least, for a run with several outcomes such as
/// a batch. Whatever stops every later update (configuration, credentials, a usage
/// mistake) comes first. Next is an update that was lost (storage), then one whose data a
/// person must fix (invalid, rejected), and last one that a later run will deliver
/// (temporary).
const SEVERITY: [u8; 7] = [
    CONFIG,
    BAD_CREDENTIALS,
    USAGE,
    STORAGE,
    INVALID_INPUT,
    REJECTED,
    TEMPORARY,
];

/// Returns the more serious of two exit codes, by the order of `SEVERITY`. `OK` is the
/// least serious, and a code outside the list ranks just above it.
pub fn most_serious(a: u8, b: u8) -> u8 {
    let rank = |code: u8| {
        if code == OK {
            return SEVERITY.len() + 1;
        }
        SEVERITY
            .iter()
            .position(|known| *known == code)
            .unwrap_or(SEVERITY.len())
    };
    if rank(b) < rank(a) { b } else { a }
}
