//! Differential test of `Timestamp::parse` against the RFC 3339 parser of `time` 0.3
//! (`OffsetDateTime::parse` with `well_known::Rfc3339`).
//!
//! Deliberate differences, each first_failures by its own `difference_*` test below and allowed
//! only where `explain_difference` recognises it:
//!
//! | input                                   | `time` 0.3                      | `Timestamp::parse`     |
//! |-----------------------------------------|---------------------------------|------------------------|
//! | any byte but `T`, `t` or space between  | accepts                         | rejects: `Format`, or  |
//! | date and time, such as `X` or `_`       |                                 | `Whitespace` for a tab |
//! | more than nine fractional digits        | accepts, drops digits past nine | rejects: `Fraction`    |
//! | second 60 at the end of a UTC month     | accepts as 23:59:59.999999999   | rejects: `LeapSecond`  |
//! | an offset that moves the instant out of | accepts                         | rejects: `Range`       |
//! | years 0000 to 9999 once in UTC          |                                 |                        |
//!
//! RFC 3339 names "T" and, in a NOTE, allows lower-case letters and a space, but no other
//! separator. Extra fractional digits would be kept in the text sent on the wire while the
//! instant drops them. The Unix time scale has no leap seconds. The wire format has four
//! year digits, so an instant in year -1 or 10000 cannot be written in UTC.

use std::env;

use seam_edge::{Timestamp, TimestampErrorKind};
use time::format_description::well_known::Rfc3339;
use time::{Date, Month, OffsetDateTime, UtcOffset};

/// Parses with the oracle and returns the instant converted to UTC. The inner `None`
/// means the oracle accepted the input but cannot convert it to UTC.
fn oracle(input: &str) -> Option<Option<OffsetDateTime>> {
    let value = OffsetDateTime::parse(input, &Rfc3339).ok()?;
    Some(value.checked_to_offset(UtcOffset::UTC))
}

fn instant(value: OffsetDateTime) -> (i64, u32) {
    (value.unix_timestamp(), value.nanosecond())
}

/// Compares both parsers on one input and describes any disagreement that is not a
/// listed difference.
fn compare(input: &str) -> Result<Verdict, String> {
    let ours = Timestamp::parse(input);
    let theirs = oracle(input);
    match (ours, theirs) {
        (Err(_), None) => Ok(Verdict::BothReject),
        (Ok(timestamp), Some(Some(utc))) => {
            let ours = (timestamp.unix_seconds(), timestamp.subsec_nanos());
            if ours != instant(utc) {
                return Err(format!(
                    "{input:?}: instant {ours:?}, oracle {:?}",
                    instant(utc)
                ));
            }
            let expected = expected_text(utc, written_fraction(input));
            if timestamp.as_str() != expected {
                return Err(format!("{input:?}: text {timestamp}, expected {expected}"));
            }
            Ok(Verdict::BothAccept)
        }
        (Ok(timestamp), _) => Err(format!(
            "{input:?}: accepted as {timestamp}, oracle rejects"
        )),
        (Err(error), Some(utc)) => explain_difference(input, error.kind(), utc).ok_or_else(|| {
            format!(
                "{input:?}: rejected ({:?}: {error}), oracle accepts",
                error.kind()
            )
        }),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Verdict {
    BothAccept,
    BothReject,
    Separator,
    Fraction,
    LeapSecond,
    Range,
}

/// Recognises a listed difference where only the oracle accepts `input`.
fn explain_difference(
    input: &str,
    kind: TimestampErrorKind,
    utc: Option<OffsetDateTime>,
) -> Option<Verdict> {
    let separator = *input.as_bytes().get(10)?;
    if !matches!(separator, b'T' | b't' | b' ') {
        // Once the separator is "T", both sides must agree or differ in a listed way.
        let mut fixed = input.as_bytes().to_vec();
        fixed[10] = b'T';
        let fixed = String::from_utf8(fixed).ok()?;
        return compare(&fixed).ok().map(|_| Verdict::Separator);
    }
    match kind {
        TimestampErrorKind::Fraction => {
            let dot = input.find('.')?;
            let digits = input[dot + 1..]
                .bytes()
                .take_while(u8::is_ascii_digit)
                .count();
            let trimmed = format!("{}{}", &input[..dot + 10], &input[dot + 1 + digits..]);
            compare(&trimmed).ok().map(|_| Verdict::Fraction)
        }
        TimestampErrorKind::LeapSecond => {
            let utc = utc?;
            let stand_in = (utc.hour(), utc.minute(), utc.second(), utc.nanosecond());
            (stand_in == (23, 59, 59, 999_999_999)).then_some(Verdict::LeapSecond)
        }
        TimestampErrorKind::Range => match utc {
            None => Some(Verdict::Range),
            Some(utc) if !(0..=9999).contains(&utc.year()) => Some(Verdict::Range),
            Some(_) => None,
        },
        _ => None,
    }
}

/// Formats the expected UTC text: the date and time from the oracle, the fraction as
/// written in the input.
fn expected_text(utc: OffsetDateTime, fraction: &str) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{fraction}Z",
        utc.year(),
        u8::from(utc.month()),
        utc.day(),
        utc.hour(),
        utc.minute(),
        utc.second()
    )
}

/// Returns the fraction of an accepted input, from its '.' to the last digit, or "".
fn written_fraction(input: &str) -> &str {
    let Some(dot) = input.find('.') else {
        return "";
    };
    let digits = input[dot + 1..]
        .bytes()
        .take_while(u8::is_ascii_digit)
        .count();
    &input[dot..dot + 1 + digits]
}

fn format_date(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// Checks that both parsers accept `input` with the same instant and that the text is
/// the oracle's UTC date and time with the input's fraction.
fn check_accepted(input: &str, fraction: &str) -> Result<(), String> {
    let timestamp = Timestamp::parse(input).map_err(|error| format!("{input:?}: {error}"))?;
    let utc = oracle(input)
        .flatten()
        .ok_or_else(|| format!("{input:?}: the oracle rejects"))?;
    let ours = (timestamp.unix_seconds(), timestamp.subsec_nanos());
    if ours != instant(utc) {
        return Err(format!(
            "{input:?}: instant {ours:?}, oracle {:?}",
            instant(utc)
        ));
    }
    let expected = expected_text(utc, fraction);
    if timestamp.as_str() != expected {
        return Err(format!("{input:?}: text {timestamp}, expected {expected}"));
    }
    Ok(())
}

fn assert_no_failures(failures: &[String]) {
    let first_failures: Vec<&str> = failures.iter().take(20).map(String::as_str).collect();
    assert!(
        failures.is_empty(),
        "{} failures, first:\n{}",
        failures.len(),
        first_failures.join("\n")
    );
}

#[test]
fn every_day_1970_to_2100() {
    let times = [
        ("00:00:00", ""),
        ("12:34:56.789", ".789"),
        ("23:59:59.999999999", ".999999999"),
    ];
    let offsets = [
        "Z", "+00:00", "-00:00", "+05:30", "-08:00", "+23:59", "-23:59",
    ];
    let last = Date::from_calendar_date(2100, Month::December, 31).unwrap();
    let mut date = Date::from_calendar_date(1970, Month::January, 1).unwrap();
    let mut failures = Vec::new();
    let mut checked = 0;
    loop {
        for (time, fraction) in times {
            for offset in offsets {
                let input = format!("{}T{time}{offset}", format_date(date));
                failures.extend(check_accepted(&input, fraction).err());
                checked += 1;
            }
        }
        if date == last {
            break;
        }
        date = date.next_day().unwrap();
    }
    assert_no_failures(&failures);
    assert_eq!(checked, 47_847 * 3 * 7);
}

#[test]
fn month_ends_0000_to_9999() {
    let mut failures = Vec::new();
    for year in 0..=9999 {
        for month in 1..=12_u8 {
            let month = Month::try_from(month).unwrap();
            let first = Date::from_calendar_date(year, month, 1).unwrap();
            let end = Date::from_calendar_date(year, month, month.length(year)).unwrap();
            failures.extend(check_accepted(&format!("{}T00:00:00Z", format_date(first)), "").err());
            failures.extend(check_accepted(&format!("{}T23:59:59Z", format_date(end)), "").err());
            let past_end = format!(
                "{}-{:02}-{:02}T00:00:00Z",
                year,
                u8::from(month),
                end.day() + 1
            );
            failures.extend(compare(&past_end).err());
        }
    }
    assert_no_failures(&failures);
}

/// A xorshift64 generator, so that the samples are the same on every run.
struct Xorshift(u64);

impl Xorshift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Returns a number in `0..bound`.
    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// Builds a valid timestamp from random fields, with every accepted separator and offset.
///
/// One sample in eight falls in the first or last year, at the end of a month and at
/// 23:59:59 or 23:59:60, so that offsets leave the supported years and leap seconds at
/// month ends occur often enough to test. The fraction sometimes has more than nine digits.
fn random_valid(rng: &mut Xorshift) -> String {
    let edge = rng.below(8) == 0;
    let year = if edge {
        *rng.pick(&[0, 9999])
    } else {
        rng.below(10_000) as i32
    };
    let month = Month::try_from(rng.below(12) as u8 + 1).unwrap();
    let day = match edge {
        true => u64::from(month.length(year)),
        false => rng.below(u64::from(month.length(year))) + 1,
    };
    let separator = rng.pick(&['T', 't', ' ']);
    let (hour, minute, second) = match edge {
        true => (23, 59, 59 + rng.below(2)),
        false => (rng.below(24), rng.below(60), rng.below(60)),
    };
    let fraction = match rng.below(3) {
        0 => String::new(),
        _ => {
            let digits = rng.below(11) + 1;
            let value = rng.next() % 10_u64.pow(digits as u32);
            format!(".{value:0width$}", width = digits as usize)
        }
    };
    let offset = match rng.below(4) {
        0 => "Z".to_string(),
        1 => "z".to_string(),
        _ => {
            let sign = rng.pick(&['+', '-']);
            format!("{sign}{:02}:{:02}", rng.below(24), rng.below(60))
        }
    };
    format!(
        "{year:04}-{:02}-{day:02}{separator}{hour:02}:{minute:02}:{second:02}{fraction}{offset}",
        u8::from(month)
    )
}

/// Applies up to four random replacements, insertions and deletions.
fn mutate(rng: &mut Xorshift, valid: &str) -> String {
    const ALPHABET: &[char] = &[
        '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '-', ':', '.', 'T', 't', 'Z', 'z', '+',
        ' ', 'W', 'x', 'e', ',', '\n', 'é', '٣',
    ];
    let mut chars: Vec<char> = valid.chars().collect();
    for _ in 0..rng.below(5) {
        let at = rng.below(chars.len() as u64 + 1) as usize;
        match rng.below(3) {
            0 if at < chars.len() => chars[at] = *rng.pick(ALPHABET),
            1 => chars.insert(at, *rng.pick(ALPHABET)),
            _ if at < chars.len() => {
                chars.remove(at);
            }
            _ => {}
        }
    }
    chars.into_iter().collect()
}

fn sample_count() -> usize {
    let default = if cfg!(target_arch = "x86_64") {
        200_000
    } else {
        20_000
    };
    match env::var("SEAM_EDGE_ORACLE_SAMPLES") {
        Ok(text) => text
            .parse()
            .expect("SEAM_EDGE_ORACLE_SAMPLES must be a whole number"),
        Err(_) => default,
    }
}

#[test]
fn random_mutations_agree() {
    let mut rng = Xorshift(0x5EA3_ED6E_0000_0001);
    let mut failures = Vec::new();
    let mut counts = std::collections::HashMap::new();
    for _ in 0..sample_count() {
        let valid = random_valid(&mut rng);
        let input = mutate(&mut rng, &valid);
        match compare(&input) {
            Ok(verdict) => *counts.entry(verdict).or_insert(0_usize) += 1,
            Err(failure) => failures.push(failure),
        }
    }
    eprintln!("verdicts: {counts:?}");
    assert_no_failures(&failures);

    // With the default sample count, every verdict must have occurred, so that each
    // listed difference was actually met.
    if sample_count() >= 20_000 {
        assert_eq!(counts.len(), 6, "{counts:?}");
    }
}

fn kind_of(input: &str) -> TimestampErrorKind {
    Timestamp::parse(input).unwrap_err().kind()
}

#[test]
fn difference_separator_any_byte() {
    for input in [
        "2030-01-01X00:00:00Z",
        "2030-01-01_00:00:00Z",
        "2030-01-01\t00:00:00Z",
    ] {
        let utc = oracle(input).flatten().unwrap();
        assert_eq!(utc.unix_timestamp(), 1_893_456_000, "{input:?}");
    }
    assert_eq!(kind_of("2030-01-01X00:00:00Z"), TimestampErrorKind::Format);
    assert_eq!(kind_of("2030-01-01_00:00:00Z"), TimestampErrorKind::Format);
    assert_eq!(
        kind_of("2030-01-01\t00:00:00Z"),
        TimestampErrorKind::Whitespace
    );
}

#[test]
fn difference_fraction_truncated() {
    let input = "2030-01-01T00:00:00.1234567891Z";
    let utc = oracle(input).flatten().unwrap();
    assert_eq!(instant(utc), (1_893_456_000, 123_456_789));
    assert_eq!(kind_of(input), TimestampErrorKind::Fraction);
}

#[test]
fn difference_leap_second_at_month_end() {
    let input = "2016-12-31T23:59:60Z";
    let utc = oracle(input).flatten().unwrap();
    assert_eq!(instant(utc), (1_483_228_799, 999_999_999));
    assert_eq!(kind_of(input), TimestampErrorKind::LeapSecond);
}

#[test]
fn leap_second_mid_month_both_reject() {
    let input = "2030-01-15T23:59:60Z";
    assert!(oracle(input).is_none());
    assert_eq!(kind_of(input), TimestampErrorKind::LeapSecond);
}

#[test]
fn difference_range_after_9999() {
    let input = "9999-12-31T23:59:59-01:00";
    assert_eq!(oracle(input), Some(None));
    assert_eq!(kind_of(input), TimestampErrorKind::Range);
}

#[test]
fn difference_range_before_0000() {
    let input = "0000-01-01T00:00:00+00:01";
    let utc = oracle(input).flatten().unwrap();
    assert_eq!(utc.year(), -1);
    assert_eq!(kind_of(input), TimestampErrorKind::Range);
}

#[test]
fn spec_rejects_agree_with_oracle() {
    let inputs = [
        "2023-02-29T00:00:00Z",
        "2030-13-01T00:00:00Z",
        "2030-01-00T00:00:00Z",
        "2030-01-01T24:00:00Z",
        "2030-01-01T23:60:00Z",
        "2030-01-01T00:00:00+24:00",
        "2030-01-01T00:00:00+01:60",
        "2030-01-01T00:00:00",
        "2030-01-01",
        "2030-01-01Z",
        "2030-W01-2T00:00:00Z",
        "2030-001T00:00:00Z",
        "20300101T000000Z",
        "2030-01-01T00:00Z",
        "2030-01-01T00:00:00,5Z",
        "2030-01-01T00:00:00.Z",
        "2030-01-01T00:00:00+0100",
        "2030-01-01T00:00:00+01",
        "2030-01-01T00:00:00Z[UTC]",
        " 2030-01-01T00:00:00Z",
        "2030-01-01T00:00:00Z\n",
        "+002030-01-01T00:00:00Z",
        "10000-01-01T00:00:00Z",
        "2030-1-1T00:00:00Z",
        "tomorrow",
        "",
        "２０３０-01-01T00:00:00Z",
    ];
    for input in inputs {
        assert_eq!(compare(input), Ok(Verdict::BothReject), "{input:?}");
    }
}
