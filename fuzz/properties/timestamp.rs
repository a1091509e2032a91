//! The properties that `Timestamp::parse` must keep on any input, checked by the
//! `timestamp` fuzz target and replayed by `tests/fuzz_regressions.rs`.
//!
//! Accepted inputs are checked against a second conversion to UTC written here from the
//! input's fixed layout, with a closed-form day count instead of the parser's loops.

use seam_edge::{Timestamp, TimestampError};

const SECONDS_PER_DAY: i64 = 86_400;

/// Parses `input` and panics when a property fails. A rejection must point inside the
/// input and have a message free of control characters. An accepted input must give the
/// same instant and text as the independent conversion, and survive a round trip.
pub fn check_timestamp(input: &str) {
    match Timestamp::parse(input) {
        Ok(timestamp) => check_accepted(input, &timestamp),
        Err(error) => check_rejected(input, &error),
    }
}

fn check_rejected(input: &str, error: &TimestampError) {
    let message = error.to_string();
    let debug = format!("{error:?}");
    assert!(!message.is_empty(), "empty message for {input:?}");
    assert!(!debug.is_empty());

    // The position is a byte offset into the input, at most its end.
    let position = error.position();
    assert!(
        position <= input.len(),
        "position {position} past {input:?}"
    );
    assert!(
        input.is_char_boundary(position),
        "position {position} in {input:?}"
    );

    // A hostile value must not forge log lines or terminal escapes through the message.
    let control = message.chars().find(|c| c.is_control());
    assert_eq!(control, None, "control character in {message:?}");
}

fn check_accepted(input: &str, timestamp: &Timestamp) {
    let text = timestamp.as_str();
    assert_eq!(timestamp.to_string(), text);
    assert!(format!("{timestamp:?}").contains(text));

    // The normalised text has the layout `YYYY-MM-DDThh:mm:ss[.digits]Z`.
    assert!(text.ends_with('Z'), "{text:?} does not end in Z");
    assert_eq!(
        text.as_bytes().get(10),
        Some(&b'T'),
        "no T at byte 10 of {text:?}"
    );
    let fields = Fields::read(text).unwrap_or_else(|| panic!("bad layout: {text:?}"));
    assert_eq!(
        &text[fields.end..],
        "Z",
        "text after the fraction in {text:?}"
    );

    // The text and the stored instant agree.
    assert_eq!(fields.offset_seconds(text), Some(0), "offset in {text:?}");
    assert_eq!(fields.unix_seconds(), timestamp.unix_seconds(), "{text:?}");
    assert_eq!(fields.nanos(), timestamp.subsec_nanos(), "{text:?}");

    // The input, read the same way, gives the same instant and fraction digits.
    check_input_agrees(input, timestamp, &fields);

    // Parsing the text again gives the same value.
    let again = Timestamp::parse(text).unwrap_or_else(|error| panic!("{text:?}: {error}"));
    assert_eq!(&again, timestamp);
    assert_eq!(again.cmp(timestamp), std::cmp::Ordering::Equal);

    // A text already in normal form is returned unchanged.
    if input.ends_with('Z') && input.as_bytes().get(10) == Some(&b'T') {
        assert_eq!(text, input);
    }

    check_system_time(timestamp);
}

fn check_input_agrees(input: &str, timestamp: &Timestamp, text_fields: &Fields) {
    let fields = Fields::read(input).unwrap_or_else(|| panic!("accepted bad layout: {input:?}"));
    let offset = fields
        .offset_seconds(input)
        .unwrap_or_else(|| panic!("accepted bad offset: {input:?}"));
    assert_eq!(fields.unix_seconds() - offset, timestamp.unix_seconds());
    assert_eq!(
        fields.fraction, text_fields.fraction,
        "fraction of {input:?}"
    );
}

/// Converting to `SystemTime` and back keeps the whole seconds, because the way back drops
/// the fraction by rounding towards the past.
fn check_system_time(timestamp: &Timestamp) {
    let Some(time) = timestamp.to_system_time() else {
        return;
    };
    let back = Timestamp::from_system_time(time).expect("a parsed instant is in range");
    assert_eq!(back.unix_seconds(), timestamp.unix_seconds());
    assert_eq!(back.subsec_nanos(), 0);
}

/// The fields of an RFC 3339 text that the parser has accepted, read by position.
struct Fields<'a> {
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
    fraction: &'a str,
    /// The byte offset just past the fraction, where the offset starts.
    end: usize,
}

impl<'a> Fields<'a> {
    fn read(text: &'a str) -> Option<Fields<'a>> {
        let bytes = text.as_bytes();
        let separators = [(4, b'-'), (7, b'-'), (13, b':'), (16, b':')];
        if separators
            .iter()
            .any(|&(at, byte)| bytes.get(at) != Some(&byte))
        {
            return None;
        }
        if !matches!(bytes.get(10), Some(b'T' | b't' | b' ')) {
            return None;
        }
        let (fraction, end) = match bytes.get(19) {
            Some(b'.') => {
                let count = bytes[20..]
                    .iter()
                    .take_while(|b| b.is_ascii_digit())
                    .count();
                (text.get(20..20 + count)?, 20 + count)
            }
            _ => ("", 19),
        };
        if fraction.len() > 9 || (end > 19 && fraction.is_empty()) {
            return None;
        }
        let fields = Fields {
            year: number(text, 0..4)?,
            month: number(text, 5..7)?,
            day: number(text, 8..10)?,
            hour: number(text, 11..13)?,
            minute: number(text, 14..16)?,
            second: number(text, 17..19)?,
            fraction,
            end,
        };
        fields.is_valid().then_some(fields)
    }

    fn is_valid(&self) -> bool {
        (1..=12).contains(&self.month)
            && (1..=days_in_month(self.year, self.month)).contains(&self.day)
            && self.hour < 24
            && self.minute < 60
            && self.second < 60
    }

    /// Reads the offset after the fraction: seconds east of UTC, or `None` when the rest
    /// of `text` is not exactly `Z`, `z` or `+hh:mm`/`-hh:mm` with valid numbers.
    fn offset_seconds(&self, text: &str) -> Option<i64> {
        let rest = &text[self.end..];
        if rest == "Z" || rest == "z" {
            return Some(0);
        }
        let sign = match rest.as_bytes().first()? {
            b'+' => 1,
            b'-' => -1,
            _ => return None,
        };
        if rest.len() != 6 || rest.as_bytes()[3] != b':' {
            return None;
        }
        let hours = number(rest, 1..3)?;
        let minutes = number(rest, 4..6)?;
        (hours < 24 && minutes < 60).then_some(sign * (hours * 3600 + minutes * 60))
    }

    /// Returns the seconds since the Unix epoch of the local date and time, offset ignored.
    fn unix_seconds(&self) -> i64 {
        let days = days_from_civil(self.year, self.month, self.day);
        days * SECONDS_PER_DAY + self.hour * 3600 + self.minute * 60 + self.second
    }

    fn nanos(&self) -> u32 {
        let padded = format!("{:0<9}", self.fraction);
        padded.parse().expect("nine ASCII digits fit in u32")
    }
}

/// Reads `text[range]` as a number made of ASCII digits only.
fn number(text: &str, range: std::ops::Range<usize>) -> Option<i64> {
    let digits = text.get(range)?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

fn days_in_month(year: i64, month: i64) -> i64 {
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Counts the days from 1970-01-01 to a valid proleptic Gregorian date.
///
/// Years are counted from March, so that a leap day is the last day of its counted year
/// and the days before a month follow the formula `(153 * m + 2) / 5`, with `m` counted
/// from March as 0.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let (year, month) = if month <= 2 {
        (year - 1, month + 9)
    } else {
        (year, month - 3)
    };
    let leap_days = year.div_euclid(4) - year.div_euclid(100) + year.div_euclid(400);
    let day_of_year = (153 * month + 2) / 5 + day - 1;
    // 719_468 is the count of days from 0000-03-01 to 1970-01-01.
    365 * year + leap_days + day_of_year - 719_468
}
