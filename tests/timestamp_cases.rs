//! Vectors for `Timestamp::parse`: accepted inputs with their UTC text, rejected inputs with
//! their error kind, and the exact text of at least one message per kind.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use seam_edge::{Timestamp, TimestampError, TimestampErrorKind};

use Expect::{Accepts, Rejects};
use TimestampErrorKind::{
    Date, DateOnly, Format, Fraction, LeapSecond, MissingOffset, Offset, Range, Time, Whitespace,
};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// Parsing succeeds with this normalised text.
    Accepts(&'static str),
    /// Parsing fails with this kind.
    Rejects(TimestampErrorKind),
}

/// The specification table: input, then the normalised text or the error kind.
const SPEC_TABLE: &[(&str, Expect)] = &[
    ("2030-01-01T00:00:00Z", Accepts("2030-01-01T00:00:00Z")),
    ("2030-01-01T00:00:00+00:00", Accepts("2030-01-01T00:00:00Z")),
    ("2030-01-01T00:00:00-00:00", Accepts("2030-01-01T00:00:00Z")),
    ("2030-01-01t00:00:00z", Accepts("2030-01-01T00:00:00Z")),
    ("2030-01-01 00:00:00Z", Accepts("2030-01-01T00:00:00Z")),
    ("2030-01-01T00:00:00.5Z", Accepts("2030-01-01T00:00:00.5Z")),
    (
        "2030-01-01T00:00:00.123456789Z",
        Accepts("2030-01-01T00:00:00.123456789Z"),
    ),
    ("2030-01-01T00:00:00.1234567891Z", Rejects(Fraction)),
    (
        "2030-01-01T00:00:00.000+05:30",
        Accepts("2029-12-31T18:30:00.000Z"),
    ),
    ("2030-01-01T00:00:00+23:59", Accepts("2029-12-31T00:01:00Z")),
    ("2030-01-01T00:00:00-23:59", Accepts("2030-01-01T23:59:00Z")),
    ("2030-03-01T01:30:00+02:00", Accepts("2030-02-28T23:30:00Z")),
    ("2024-02-29T12:00:00Z", Accepts("2024-02-29T12:00:00Z")),
    ("2000-02-29T00:00:00Z", Accepts("2000-02-29T00:00:00Z")),
    ("2023-02-29T00:00:00Z", Rejects(Date)),
    ("1900-02-29T00:00:00Z", Rejects(Date)),
    ("2100-02-29T00:00:00Z", Rejects(Date)),
    ("2030-04-31T00:00:00Z", Rejects(Date)),
    ("2030-13-01T00:00:00Z", Rejects(Date)),
    ("2030-00-10T00:00:00Z", Rejects(Date)),
    ("2030-01-00T00:00:00Z", Rejects(Date)),
    ("2030-01-01T24:00:00Z", Rejects(Time)),
    ("2030-01-01T23:60:00Z", Rejects(Time)),
    ("2016-12-31T23:59:60Z", Rejects(LeapSecond)),
    ("2030-01-01T00:00:00+24:00", Rejects(Offset)),
    ("2030-01-01T00:00:00+01:60", Rejects(Offset)),
    ("2030-01-01T00:00:00", Rejects(MissingOffset)),
    ("2030-01-01", Rejects(DateOnly)),
    ("2030-01-01Z", Rejects(DateOnly)),
    ("2030-W01-2T00:00:00Z", Rejects(Format)),
    ("2030-001T00:00:00Z", Rejects(Format)),
    ("20300101T000000Z", Rejects(Format)),
    ("2030-01-01T00:00Z", Rejects(Format)),
    ("2030-01-01T00:00:00,5Z", Rejects(Format)),
    ("2030-01-01T00:00:00.Z", Rejects(Format)),
    ("2030-01-01T00:00:00+0100", Rejects(Format)),
    ("2030-01-01T00:00:00+01", Rejects(Format)),
    ("2030-01-01T00:00:00Z[UTC]", Rejects(Format)),
    ("2030-01-01X00:00:00Z", Rejects(Format)),
    (" 2030-01-01T00:00:00Z", Rejects(Whitespace)),
    ("2030-01-01T00:00:00Z\n", Rejects(Whitespace)),
    ("+002030-01-01T00:00:00Z", Rejects(Format)),
    ("10000-01-01T00:00:00Z", Rejects(Format)),
    ("9999-12-31T23:59:59-01:00", Rejects(Range)),
    ("2030-1-1T00:00:00Z", Rejects(Format)),
    ("tomorrow", Rejects(Format)),
    ("0000-02-29T00:00:00Z", Accepts("0000-02-29T00:00:00Z")),
    ("0000-01-01T00:00:00+00:01", Rejects(Range)),
    ("2030-01-01T00:00:00Z\r", Rejects(Whitespace)),
    ("", Rejects(Format)),
    ("2030-02-30T24:00:00Z", Rejects(Date)),
    ("2030-01-01T00:00:00.0000000000Z", Rejects(Fraction)),
];

/// Further edge cases, beyond the specification table.
const EDGE_CASES: &[(&str, Expect)] = &[
    // Separators: exactly one of "T", "t" or a space.
    ("2030-01-01  00:00:00Z", Rejects(Whitespace)),
    ("2030-01-01\t00:00:00Z", Rejects(Whitespace)),
    ("2030-01-01\n00:00:00Z", Rejects(Whitespace)),
    ("2030-01-01T 00:00:00Z", Rejects(Whitespace)),
    ("2030-01-01TT00:00:00Z", Rejects(Format)),
    ("2030-01-01_00:00:00Z", Rejects(Format)),
    ("2030-01-01z", Rejects(DateOnly)),
    ("2030-01-01+02:00", Rejects(Format)),
    // Whitespace and control characters at either end or inside.
    ("2030-01-01T00:00:00Z ", Rejects(Whitespace)),
    ("\t2030-01-01T00:00:00Z", Rejects(Whitespace)),
    ("2030-01-01T00:00:00 Z", Rejects(Whitespace)),
    ("2030-01-01T00:00:00Z\0", Rejects(Whitespace)),
    ("2030-01-01T00:00:00Z\u{7f}", Rejects(Whitespace)),
    ("2030-01-01T00:00:00Z\u{a0}", Rejects(Whitespace)),
    ("\u{feff}2030-01-01T00:00:00Z", Rejects(Format)),
    ("2030-01-01T00:00:00", Rejects(MissingOffset)),
    ("2030-01-01T00:00:00.5", Rejects(MissingOffset)),
    ("2030-01-01T00:00:00 ", Rejects(Whitespace)),
    ("2030-01-01T00:00:00X", Rejects(Format)),
    // Offsets: "-00:00" is UTC like "+00:00", and the sign is required.
    ("2030-06-15T12:00:00+00:00", Accepts("2030-06-15T12:00:00Z")),
    ("2030-06-15T12:00:00-00:00", Accepts("2030-06-15T12:00:00Z")),
    ("2030-06-15T12:00:00+23:59", Accepts("2030-06-14T12:01:00Z")),
    ("2030-06-15T12:00:00 +01:00", Rejects(Whitespace)),
    ("2030-06-15T12:00:00+01:00Z", Rejects(Format)),
    ("2030-06-15T12:00:00+1:00", Rejects(Format)),
    ("2030-06-15T12:00:00+01:00:00", Rejects(Format)),
    ("2030-06-15T12:00:00\u{2212}01:00", Rejects(Format)),
    ("2030-06-15T12:00:00+99:00", Rejects(Offset)),
    ("2030-06-15T12:00:00-00:99", Rejects(Offset)),
    // Times: reading order names the first mistake.
    ("2030-01-01T24:00Z", Rejects(Time)),
    ("2030-01-01T23:59:61Z", Rejects(Time)),
    ("2030-01-01T23:59:60.5Z", Rejects(LeapSecond)),
    ("2030-01-01T25:61:61Z", Rejects(Time)),
    ("2030-01-01T00:00:00.1234567891", Rejects(Fraction)),
    (
        "2030-01-01T00:00:00.000000000Z",
        Accepts("2030-01-01T00:00:00.000000000Z"),
    ),
    ("2030-01-01T00:00:00.-5Z", Rejects(Format)),
    // Dates.
    ("2030-13-0xT00:00:00Z", Rejects(Format)),
    ("2030-02-29T00:00:00Z", Rejects(Date)),
    ("2400-02-29T00:00:00Z", Accepts("2400-02-29T00:00:00Z")),
    ("2030-12-31T23:59:59Z", Accepts("2030-12-31T23:59:59Z")),
    ("2030-12-32T00:00:00Z", Rejects(Date)),
    ("2030-06-31T00:00:00Z", Rejects(Date)),
    ("2030-99-99T00:00:00Z", Rejects(Date)),
    ("1969-12-31T23:59:59Z", Accepts("1969-12-31T23:59:59Z")),
    ("2030-01-01T00:00:00", Rejects(MissingOffset)),
    ("2030", Rejects(Format)),
    ("2030-01-0", Rejects(Format)),
    ("-2030-01-01T00:00:00Z", Rejects(Format)),
    // The limits of the supported years.
    ("0000-01-01T00:00:00Z", Accepts("0000-01-01T00:00:00Z")),
    ("0000-01-01T00:00:00-00:01", Accepts("0000-01-01T00:01:00Z")),
    (
        "9999-12-31T23:59:59.999999999Z",
        Accepts("9999-12-31T23:59:59.999999999Z"),
    ),
    ("9999-12-31T23:59:59+00:01", Accepts("9999-12-31T23:58:59Z")),
    ("10000-01-01", Rejects(Format)),
    // Digits that are not ASCII: full-width, Arabic-Indic and Devanagari.
    ("２０３０-01-01T00:00:00Z", Rejects(Format)),
    ("٢٠٣٠-01-01T00:00:00Z", Rejects(Format)),
    ("2030-01-01T0०:00:00Z", Rejects(Format)),
    ("2030-01-01T00:00:00.５Z", Rejects(Format)),
    ("2030-01-01é00:00:00Z", Rejects(Format)),
];

fn check_table(table: &[(&str, Expect)]) {
    let mut failures = Vec::new();
    for &(input, expected) in table {
        let outcome = match (Timestamp::parse(input), expected) {
            (Ok(timestamp), Accepts(text)) if timestamp.as_str() == text => continue,
            (Err(error), Rejects(kind)) if error.kind() == kind => continue,
            (Ok(timestamp), _) => format!("accepted as {timestamp}"),
            (Err(error), _) => format!("rejected with {:?}: {error}", error.kind()),
        };
        failures.push(format!("{input:?}: expected {expected:?}, {outcome}"));
    }
    assert!(
        failures.is_empty(),
        "{} rows failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn parse_err(input: &str) -> TimestampError {
    match Timestamp::parse(input) {
        Ok(timestamp) => panic!("{input:?} parsed as {timestamp:?}"),
        Err(error) => error,
    }
}

fn parse_ok(input: &str) -> Timestamp {
    match Timestamp::parse(input) {
        Ok(timestamp) => timestamp,
        Err(error) => panic!("{input:?} was rejected: {error}"),
    }
}

#[test]
fn spec_table_rows() {
    check_table(SPEC_TABLE);
}

#[test]
fn edge_case_rows() {
    check_table(EDGE_CASES);
}

#[test]
fn error_positions_are_char_boundaries() {
    for &(input, expected) in SPEC_TABLE.iter().chain(EDGE_CASES) {
        if let Rejects(_) = expected {
            let position = parse_err(input).position();
            assert!(input.is_char_boundary(position), "{input:?} at {position}");
        }
    }
}

#[test]
fn ok_fields_and_display() {
    let timestamp = parse_ok("2030-01-01T00:00:00.000+05:30");
    assert_eq!(timestamp.as_str(), "2029-12-31T18:30:00.000Z");
    assert_eq!(timestamp.to_string(), "2029-12-31T18:30:00.000Z");
    assert_eq!(
        format!("{timestamp:?}"),
        "Timestamp(\"2029-12-31T18:30:00.000Z\")"
    );
    assert_eq!(timestamp.unix_seconds(), 1_893_436_200);
    assert_eq!(timestamp.subsec_nanos(), 0);
}

#[test]
fn ok_fraction_nanos() {
    assert_eq!(
        parse_ok("2030-01-01T00:00:00.5Z").subsec_nanos(),
        500_000_000
    );
    assert_eq!(parse_ok("2030-01-01T00:00:00.000000001Z").subsec_nanos(), 1);
    assert_eq!(
        parse_ok("2030-01-01T00:00:00.123456789Z").subsec_nanos(),
        123_456_789
    );
}

#[test]
fn ok_before_epoch() {
    let timestamp = parse_ok("1969-12-31T23:59:59.25Z");
    assert_eq!(timestamp.unix_seconds(), -1);
    assert_eq!(timestamp.subsec_nanos(), 250_000_000);
    assert_eq!(
        parse_ok("0000-01-01T00:00:00Z").unix_seconds(),
        -62_167_219_200
    );
    assert_eq!(
        parse_ok("9999-12-31T23:59:59Z").unix_seconds(),
        253_402_300_799
    );
}

#[test]
fn ok_from_str() {
    let timestamp: Timestamp = "2030-01-01 00:00:00z".parse().unwrap();
    assert_eq!(timestamp.as_str(), "2030-01-01T00:00:00Z");
    let error = "2030-01-01".parse::<Timestamp>().unwrap_err();
    assert_eq!(error.kind(), DateOnly);
}

#[test]
fn ok_order_by_instant() {
    let early = parse_ok("2030-01-01T00:00:00+01:00");
    let late = parse_ok("2030-01-01T00:00:00Z");
    let later = parse_ok("2030-01-01T00:00:00.000000001Z");
    assert!(early < late);
    assert!(late < later);
    assert!(parse_ok("1969-12-31T23:59:59.5Z") < parse_ok("1970-01-01T00:00:00Z"));
}

#[test]
fn ok_same_instant_other_text() {
    let short = parse_ok("2030-01-01T00:00:00.5Z");
    let long = parse_ok("2030-01-01T00:00:00.500Z");
    assert_ne!(short, long);
    assert_ne!(short.cmp(&long), std::cmp::Ordering::Equal);
    assert_eq!(short.unix_seconds(), long.unix_seconds());
    assert_eq!(short.subsec_nanos(), long.subsec_nanos());
    assert_eq!(
        parse_ok("2030-01-01T01:00:00+01:00"),
        parse_ok("2030-01-01T00:00:00Z")
    );
}

#[test]
fn ok_from_system_time() {
    let clock = UNIX_EPOCH + Duration::new(1_796_400_441, 999_999_999);
    let timestamp = Timestamp::from_system_time(clock).unwrap();
    assert_eq!(timestamp.as_str(), "2026-12-04T16:07:21Z");
    assert_eq!(timestamp.subsec_nanos(), 0);
    let epoch = Timestamp::from_system_time(UNIX_EPOCH).unwrap();
    assert_eq!(epoch.as_str(), "1970-01-01T00:00:00Z");
}

#[test]
fn ok_from_system_time_before_epoch() {
    let half_second_before = UNIX_EPOCH - Duration::from_millis(500);
    let timestamp = Timestamp::from_system_time(half_second_before).unwrap();
    assert_eq!(timestamp.as_str(), "1969-12-31T23:59:59Z");
    assert_eq!(timestamp.unix_seconds(), -1);
    let day_before = UNIX_EPOCH - Duration::from_secs(86_400);
    let timestamp = Timestamp::from_system_time(day_before).unwrap();
    assert_eq!(timestamp.as_str(), "1969-12-31T00:00:00Z");
}

#[test]
fn err_from_system_time_out_of_range() {
    let year_10000 = UNIX_EPOCH + Duration::from_secs(253_402_300_800);
    assert_eq!(Timestamp::from_system_time(year_10000), None);
    if let Some(far_future) = UNIX_EPOCH.checked_add(Duration::from_secs(i64::MAX as u64)) {
        assert_eq!(Timestamp::from_system_time(far_future), None);
    }
    if let Some(far_past) = UNIX_EPOCH.checked_sub(Duration::new(i64::MAX as u64, 1)) {
        assert_eq!(Timestamp::from_system_time(far_past), None);
    }
    let last_second = UNIX_EPOCH + Duration::from_secs(253_402_300_799);
    let timestamp = Timestamp::from_system_time(last_second).unwrap();
    assert_eq!(timestamp.as_str(), "9999-12-31T23:59:59Z");
}

#[test]
fn ok_to_system_time() {
    let cases = [
        (
            "2030-01-01T00:00:00.123456789Z",
            UNIX_EPOCH + Duration::new(1_893_456_000, 123_456_789),
        ),
        ("1970-01-01T00:00:00Z", UNIX_EPOCH),
        (
            "1969-12-31T23:59:59.5Z",
            UNIX_EPOCH - Duration::from_millis(500),
        ),
        (
            "1969-12-31T00:00:00Z",
            UNIX_EPOCH - Duration::from_secs(86_400),
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(parse_ok(input).to_system_time(), Some(expected), "{input}");
    }
}

#[test]
fn ok_system_time_round_trip() {
    for input in [
        "2030-01-01T00:00:00Z",
        "1969-12-31T23:59:59Z",
        "1900-03-01T12:00:00Z",
    ] {
        let clock: SystemTime = parse_ok(input).to_system_time().unwrap();
        let timestamp = Timestamp::from_system_time(clock).unwrap();
        assert_eq!(timestamp.as_str(), input);
    }
}

#[test]
fn err_message_missing_offset() {
    let error = parse_err("2030-01-01T00:00:00");
    assert_eq!(error.kind(), MissingOffset);
    assert_eq!(error.position(), 19);
    assert_eq!(
        error.to_string(),
        "expected 'Z' or an offset at byte 19, found end of input; \
         add \"Z\" for UTC or an offset such as \"+02:00\""
    );
}

#[test]
fn err_message_date_only() {
    let error = parse_err("2030-01-01");
    assert_eq!(error.kind(), DateOnly);
    assert_eq!(error.position(), 10);
    assert_eq!(
        error.to_string(),
        "expected a time of day at byte 10, found end of input; \
         write a time and offset such as \"T00:00:00Z\" after the date"
    );
}

#[test]
fn err_message_date_then_z() {
    let error = parse_err("2030-01-01z");
    assert_eq!(error.kind(), DateOnly);
    assert_eq!(
        error.to_string(),
        "expected a time of day at byte 10, found 'z'; \
         write a time and offset such as \"T00:00:00Z\" after the date"
    );
}

#[test]
fn err_message_trailing_newline() {
    let error = parse_err("2030-01-01T00:00:00Z\n");
    assert_eq!(error.kind(), Whitespace);
    assert_eq!(error.position(), 20);
    assert_eq!(
        error.to_string(),
        "unexpected whitespace or control character '\\n' at byte 20, expected end of input; remove it"
    );
}

#[test]
fn err_message_leading_space() {
    let error = parse_err(" 2030-01-01T00:00:00Z");
    assert_eq!(error.kind(), Whitespace);
    assert_eq!(error.position(), 0);
    assert_eq!(
        error.to_string(),
        "unexpected whitespace or control character ' ' at byte 0, expected a digit of the year; remove it"
    );
}

#[test]
fn err_message_tab_separator() {
    let error = parse_err("2030-01-01\t00:00:00Z");
    assert_eq!(error.kind(), Whitespace);
    assert_eq!(
        error.to_string(),
        "unexpected whitespace or control character '\\t' at byte 10, expected 'T' or a space between the date and the time; remove it"
    );
}

#[test]
fn err_message_day_past_month_end() {
    let error = parse_err("2030-02-30T24:00:00Z");
    assert_eq!(error.kind(), Date);
    assert_eq!(error.position(), 8);
    assert_eq!(error.to_string(), "day 30 does not exist in February 2030");
}

#[test]
fn err_message_day_zero() {
    let error = parse_err("0000-01-00T00:00:00Z");
    assert_eq!(error.to_string(), "day 00 does not exist in January 0000");
}

#[test]
fn err_message_month_thirteen() {
    let error = parse_err("2030-13-01T00:00:00Z");
    assert_eq!(error.kind(), Date);
    assert_eq!(error.position(), 5);
    assert_eq!(
        error.to_string(),
        "month 13 does not exist, expected 01 to 12"
    );
}

#[test]
fn err_message_hour_24() {
    let error = parse_err("2030-01-01T24:00:00Z");
    assert_eq!(error.kind(), Time);
    assert_eq!(error.position(), 11);
    assert_eq!(
        error.to_string(),
        "hour 24 is out of range, expected 00 to 23"
    );
}

#[test]
fn err_message_minute_60() {
    let error = parse_err("2030-01-01T23:60:00Z");
    assert_eq!(error.position(), 14);
    assert_eq!(
        error.to_string(),
        "minute 60 is out of range, expected 00 to 59"
    );
}

#[test]
fn err_message_second_61() {
    let error = parse_err("2030-01-01T23:59:61Z");
    assert_eq!(error.kind(), Time);
    assert_eq!(
        error.to_string(),
        "second 61 is out of range, expected 00 to 59"
    );
}

#[test]
fn err_message_leap_second() {
    let error = parse_err("2016-12-31T23:59:60Z");
    assert_eq!(error.kind(), LeapSecond);
    assert_eq!(error.position(), 17);
    assert_eq!(
        error.to_string(),
        "second 60 (a leap second) is not supported; use :59"
    );
}

#[test]
fn err_message_ten_fraction_digits() {
    let error = parse_err("2030-01-01T00:00:00.1234567891Z");
    assert_eq!(error.kind(), Fraction);
    assert_eq!(error.position(), 20);
    assert_eq!(
        error.to_string(),
        "expected at most nine fractional digits at byte 20, found 10"
    );
}

#[test]
fn err_message_offset_hour_24() {
    let error = parse_err("2030-01-01T00:00:00+24:00");
    assert_eq!(error.kind(), Offset);
    assert_eq!(error.position(), 20);
    assert_eq!(
        error.to_string(),
        "offset hour 24 is out of range, expected 00 to 23"
    );
}

#[test]
fn err_message_offset_minute_60() {
    let error = parse_err("2030-01-01T00:00:00+01:60");
    assert_eq!(error.position(), 23);
    assert_eq!(
        error.to_string(),
        "offset minute 60 is out of range, expected 00 to 59"
    );
}

#[test]
fn err_message_after_9999() {
    let error = parse_err("9999-12-31T23:59:59-01:00");
    assert_eq!(error.kind(), Range);
    assert_eq!(error.position(), 19);
    assert_eq!(
        error.to_string(),
        "the instant falls in year 10000 once converted to UTC, outside 0000 to 9999"
    );
}

#[test]
fn err_message_before_0000() {
    let error = parse_err("0000-01-01T00:00:00+00:01");
    assert_eq!(error.kind(), Range);
    assert_eq!(
        error.to_string(),
        "the instant falls in year -1 once converted to UTC, outside 0000 to 9999"
    );
}

#[test]
fn err_range_before_trailing_text() {
    let error = parse_err("9999-12-31T23:59:59-01:00 ");
    assert_eq!(error.kind(), Range);
}

#[test]
fn err_message_word() {
    let error = parse_err("tomorrow");
    assert_eq!(error.kind(), Format);
    assert_eq!(error.position(), 0);
    assert_eq!(
        error.to_string(),
        "expected a digit of the year at byte 0, found 't'; write an RFC 3339 date-time such as 2030-01-31T18:00:00Z"
    );
}

#[test]
fn err_message_empty() {
    let error = parse_err("");
    assert_eq!(error.kind(), Format);
    assert_eq!(
        error.to_string(),
        "the timestamp is empty; write an RFC 3339 date-time such as 2030-01-31T18:00:00Z"
    );
}

#[test]
fn err_message_five_digit_year() {
    let error = parse_err("10000-01-01T00:00:00Z");
    assert_eq!(error.position(), 4);
    assert_eq!(
        error.to_string(),
        "expected '-' after the four-digit year at byte 4, found '0'; write an RFC 3339 date-time such as 2030-01-31T18:00:00Z"
    );
}

#[test]
fn err_message_minutes_then_offset() {
    let error = parse_err("2030-01-01T00:00Z");
    assert_eq!(error.kind(), Format);
    assert_eq!(
        error.to_string(),
        "expected ':' after the minute at byte 16, found 'Z'; write an RFC 3339 date-time such as 2030-01-31T18:00:00Z"
    );
}

#[test]
fn err_message_comma_fraction() {
    let error = parse_err("2030-01-01T00:00:00,5Z");
    assert_eq!(
        error.to_string(),
        "expected 'Z' or an offset such as \"+02:00\" at byte 19, found ','; write an RFC 3339 date-time such as 2030-01-31T18:00:00Z"
    );
}

#[test]
fn err_message_dot_without_digits() {
    let error = parse_err("2030-01-01T00:00:00.Z");
    assert_eq!(error.kind(), Format);
    assert_eq!(error.position(), 20);
    assert_eq!(
        error.to_string(),
        "expected a digit after '.' at byte 20, found 'Z'; write an RFC 3339 date-time such as 2030-01-31T18:00:00Z"
    );
}

#[test]
fn err_message_offset_without_colon() {
    let error = parse_err("2030-01-01T00:00:00+0100");
    assert_eq!(
        error.to_string(),
        "expected ':' in the offset at byte 22, found '0'; write an RFC 3339 date-time such as 2030-01-31T18:00:00Z"
    );
}

#[test]
fn err_message_zone_suffix() {
    let error = parse_err("2030-01-01T00:00:00Z[UTC]");
    assert_eq!(
        error.to_string(),
        "expected end of input at byte 20, found '['; write an RFC 3339 date-time such as 2030-01-31T18:00:00Z"
    );
}

#[test]
fn err_message_full_width_digit() {
    let error = parse_err("２０３０-01-01T00:00:00Z");
    assert_eq!(error.kind(), Format);
    assert_eq!(error.position(), 0);
    assert_eq!(
        error.to_string(),
        "expected a digit of the year at byte 0, found '２'; write an RFC 3339 date-time such as 2030-01-31T18:00:00Z"
    );
}

#[test]
fn err_message_multibyte_after_ascii() {
    // "é" takes two bytes, so the message shows the whole character, never half of it.
    let error = parse_err("2030-01-01é00:00:00Z");
    assert_eq!(error.position(), 10);
    assert_eq!(
        error.to_string(),
        "expected 'T' or a space between the date and the time at byte 10, found 'é'; write an RFC 3339 date-time such as 2030-01-31T18:00:00Z"
    );
}

#[test]
fn err_message_multibyte_counts_bytes() {
    // The full-width digit takes three bytes, so the position is a byte index, not a
    // character index.
    let error = parse_err("2030-01-01T00:00:00.５Z");
    assert_eq!(error.position(), 20);
    let error = parse_err("2030-01-01T00:00:00Z€€");
    assert_eq!(error.position(), 20);
    assert_eq!(
        error.to_string(),
        "expected end of input at byte 20, found '€'; write an RFC 3339 date-time such as 2030-01-31T18:00:00Z"
    );
}

#[test]
fn err_message_no_break_space() {
    let error = parse_err("2030-01-01\u{a0}00:00:00Z");
    assert_eq!(error.kind(), Whitespace);
    assert_eq!(error.position(), 10);
    assert_eq!(
        error.to_string(),
        "unexpected whitespace or control character '\\u{a0}' at byte 10, expected 'T' or a space between the date and the time; remove it"
    );
}

#[test]
fn err_message_nul_escaped() {
    let error = parse_err("2030-01-01T00:00:00Z\0");
    assert_eq!(error.kind(), Whitespace);
    assert_eq!(
        error.to_string(),
        "unexpected whitespace or control character '\\0' at byte 20, expected end of input; remove it"
    );
}

#[test]
fn err_message_leaves_out_input() {
    let input = "2030-01-01T00:00:00Z[Europe/Paris]";
    let message = parse_err(input).to_string();
    assert!(!message.contains(input), "{message}");
    assert!(!message.contains("Europe"), "{message}");
}

#[test]
fn err_is_std_error() {
    let error: Box<dyn std::error::Error> = Box::new(parse_err("x"));
    assert!(error.source().is_none());
    assert_eq!(
        error.to_string(),
        "expected a digit of the year at byte 0, found 'x'; write an RFC 3339 date-time such as 2030-01-31T18:00:00Z"
    );
}

#[test]
fn err_no_panic_on_any_short_input() {
    // Every string of up to three bytes from an alphabet that reaches each branch.
    let alphabet = [
        "0", "9", "-", ":", ".", "T", "Z", "+", " ", "\n", "é", "５", "x",
    ];
    let mut inputs = vec![String::new()];
    for _ in 0..3 {
        let longer: Vec<String> = inputs
            .iter()
            .flat_map(|prefix| alphabet.iter().map(move |piece| format!("{prefix}{piece}")))
            .collect();
        inputs.extend(longer);
    }
    for input in &inputs {
        let error = parse_err(input);
        assert!(input.is_char_boundary(error.position()), "{input:?}");
        assert!(error.position() <= input.len(), "{input:?}");
    }
}

#[test]
fn err_no_panic_on_truncated_input() {
    let full = "2030-01-01T00:00:00.123456789+05:30";
    for end in 0..full.len() {
        let error = parse_err(&full[..end]);
        assert!(error.position() <= end, "{end}");
    }
}

#[cfg(feature = "time")]
mod time_conversion {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn ok_offset_date_time_to_utc() {
        let value = datetime!(2030-01-01 00:00:00 +05:30);
        let timestamp = Timestamp::try_from(value).unwrap();
        assert_eq!(timestamp.as_str(), "2029-12-31T18:30:00Z");
        assert_eq!(timestamp.unix_seconds(), value.unix_timestamp());
    }

    #[test]
    fn ok_offset_date_time_fraction_trimmed() {
        let value = datetime!(2030-01-01 00:00:00.120 UTC);
        let timestamp = Timestamp::try_from(value).unwrap();
        assert_eq!(timestamp.as_str(), "2030-01-01T00:00:00.12Z");
        assert_eq!(timestamp.subsec_nanos(), 120_000_000);
        let value = datetime!(2030-01-01 00:00:00.000000001 UTC);
        let timestamp = Timestamp::try_from(value).unwrap();
        assert_eq!(timestamp.as_str(), "2030-01-01T00:00:00.000000001Z");
    }

    #[test]
    fn err_offset_date_time_after_9999() {
        let error = Timestamp::try_from(datetime!(9999-12-31 23:59:59 -01:00)).unwrap_err();
        assert_eq!(error.kind(), Range);
        assert_eq!(
            error.to_string(),
            "the instant falls in year 10000 once converted to UTC, outside 0000 to 9999"
        );
    }

    #[test]
    fn err_offset_date_time_before_0000() {
        let error = Timestamp::try_from(datetime!(-0001-12-31 23:59:59 UTC)).unwrap_err();
        assert_eq!(error.kind(), Range);
        let timestamp = Timestamp::try_from(datetime!(-0001-12-31 23:59:59 -00:01)).unwrap();
        assert_eq!(timestamp.as_str(), "0000-01-01T00:00:59Z");
    }
}

#[cfg(feature = "serde")]
mod serde_impls {
    use super::*;
    use serde::Deserialize;
    use serde::de::IntoDeserializer;
    use serde::de::value::{Error as ValueError, StrDeserializer};

    fn deserialize(input: &str) -> Result<Timestamp, ValueError> {
        let deserializer: StrDeserializer<'_, ValueError> = input.into_deserializer();
        Timestamp::deserialize(deserializer)
    }

    #[test]
    fn ok_deserialize_normalises() {
        let timestamp = deserialize("2030-01-01T00:00:00+01:00").unwrap();
        assert_eq!(timestamp.as_str(), "2029-12-31T23:00:00Z");
    }

    #[test]
    fn err_deserialize_message() {
        let error = deserialize("2030-01-01").unwrap_err();
        assert_eq!(
            error.to_string(),
            "expected a time of day at byte 10, found end of input; \
             write a time and offset such as \"T00:00:00Z\" after the date"
        );
    }
}
