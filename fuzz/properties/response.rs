//! The properties that decoding a reply to `acs/credentials/update` must keep on any
//! status, content type and body, checked by the `response` fuzz target and replayed by
//! `tests/fuzz_regressions.rs`.
//!
//! A fuzz input is three status digits, one letter that picks the content type, then the
//! body, so that a seed such as `200b{"acs_credential":null}` is readable. Every byte
//! string still maps to some reply: each status byte is taken as a digit modulo 10 and
//! the first digit modulo 5, and the letter modulo the length of [`CONTENT_TYPES`].

use miniserde::json::{self, Value};
use seam_edge::fuzzing::decode_update_response;
use seam_edge::{AcsCredential, Error};

/// The content types a fuzz input picks from, with whether the library must read each as
/// JSON. The letter `a` picks the first, `b` the second, and so on.
pub const CONTENT_TYPES: [(Option<&str>, bool); 11] = [
    (None, false),
    (Some("application/json"), true),
    (Some("application/json; charset=utf-8"), true),
    (Some("Application/JSON"), true),
    (Some("application/vnd.api+json"), true),
    (Some("text/plain"), false),
    (Some("text/html; charset=utf-8"), false),
    (Some("application/octet-stream"), false),
    (Some(""), false),
    (Some("application/jsonp"), false),
    (Some(" application/json ;"), true),
];

/// The minimum number of digits of a string that counts as a PIN code in these checks. Shorter digit
/// strings also occur in the status and the body length that error messages show.
const MIN_PIN_DIGITS: usize = 4;

/// Decodes a fuzz input laid out as the module documentation describes and checks the
/// result. Inputs shorter than four bytes are ignored.
pub fn check_fuzz_input(data: &[u8]) {
    let [first, second, third, letter, body @ ..] = data else {
        return;
    };
    let digit = |byte: &u8| u16::from(byte.wrapping_sub(b'0') % 10);

    // Digits 1 to 5 stay as written, so the hundreds are 100 to 500.
    let hundreds = 1 + (digit(first) + 4) % 5;
    let status = hundreds * 100 + digit(second) * 10 + digit(third);
    let index = usize::from(letter.wrapping_sub(b'a')) % CONTENT_TYPES.len();
    let (content_type, is_json) = CONTENT_TYPES[index];
    check_update_response(status, content_type, is_json, body);
}

/// Decodes one reply and panics when a property fails. A status outside 2xx is always an
/// error of that status, and a 2xx JSON reply is never an error. No message contains a
/// control character. No PIN code of a 2xx JSON body reaches an error's `Display` or
/// `Debug`, and a credential's `Debug` shows its code only where another field contains
/// the same digits.
pub fn check_update_response(status: u16, content_type: Option<&str>, is_json: bool, body: &[u8]) {
    let result = decode_update_response(status, content_type, body);
    let is_success = (200..300).contains(&status);
    match &result {
        Ok(credential) => {
            assert!(is_success, "http {status} was read as a success");
            if let Some(credential) = credential {
                check_credential_debug(credential);
            }
        }
        Err(error) => {
            assert!(
                !(is_success && is_json),
                "2xx JSON reply was an error: {error}"
            );
            check_error(status, body, error);
        }
    }
}

fn check_error(status: u16, body: &[u8], error: &Error) {
    assert_eq!(error.status(), Some(status));
    if status == 401 {
        assert!(matches!(error, Error::Unauthorized(_)), "{error:?}");
    }
    if status == 403 {
        assert!(matches!(error, Error::Forbidden(_)), "{error:?}");
    }
    let _ = error.is_temporary();

    // Every layer of the chain prints without a control character.
    let mut layer: Option<&dyn std::error::Error> = Some(error);
    while let Some(current) = layer {
        let message = current.to_string();
        let control = message.chars().find(|c| c.is_control());
        assert_eq!(control, None, "control character in {message:?}");
        layer = current.source();
    }

    if (200..300).contains(&status) {
        check_pins_hidden(body, &error.to_string(), &format!("{error:?}"));
    }
}

/// Panics when a PIN code of a body that parses as JSON appears in `display` or `debug`,
/// apart from the count in the "N bytes of JSON not shown" text that replaces the body.
fn check_pins_hidden(body: &[u8], display: &str, debug: &str) {
    let hidden = format!("{} bytes of JSON not shown", body.len());
    let display = display.replace(&hidden, "");
    let debug = debug.replace(&hidden, "");
    for pin in pin_codes(body) {
        assert!(!display.contains(&pin), "PIN {pin} in {display:?}");
        assert!(!debug.contains(&pin), "PIN {pin} in {debug:?}");
    }
}

/// Panics when a credential's `Debug` shows its PIN code. A code that another field
/// contains too is skipped, because that field shows it.
fn check_credential_debug(credential: &AcsCredential) {
    let Some(code) = credential.code.as_deref().filter(|code| is_pin(code)) else {
        return;
    };
    let mut without_code = credential.clone();
    without_code.code = None;
    if format!("{without_code:?}").contains(code) {
        return;
    }
    let debug = format!("{credential:?}");
    assert!(!debug.contains(code), "PIN {code} in {debug:?}");
}

/// Returns every string of at least [`MIN_PIN_DIGITS`] ASCII digits under a `code` key
/// in a body that parses as JSON. A leading byte order mark is skipped, as RFC 8259
/// section 8.1 lets a parser do, because it does not make the body less JSON.
fn pin_codes(body: &[u8]) -> Vec<String> {
    let Ok(text) = std::str::from_utf8(body) else {
        return Vec::new();
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let Ok(value) = json::from_str::<Value>(text) else {
        return Vec::new();
    };

    // Walk the tree with a stack, because a hostile body may nest deeper than the
    // call stack allows.
    let mut pins = Vec::new();
    let mut pending = vec![&value];
    while let Some(value) = pending.pop() {
        match value {
            Value::Object(object) => {
                for (key, field) in object {
                    if let (Value::String(code), "code") = (field, key.as_str())
                        && is_pin(code)
                    {
                        pins.push(code.clone());
                    }
                    pending.push(field);
                }
            }
            Value::Array(items) => pending.extend(items),
            _ => {}
        }
    }
    pins
}

fn is_pin(text: &str) -> bool {
    text.len() >= MIN_PIN_DIGITS && text.bytes().all(|byte| byte.is_ascii_digit())
}
