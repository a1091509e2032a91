//! The fake's own reading of `ends_at` and `starts_at`, independent of the crate's validator.
//!
//! The fake accepts one shape only, `YYYY-MM-DDTHH:MM:SS[.fraction]Z`, because Seam's fake
//! server accepts only UTC timestamps that end in `Z`. It rejects lower-case `t` and `z`,
//! numeric offsets, a space separator and the leap second `:60`.

use std::time::{SystemTime, UNIX_EPOCH};

/// A point in time as seconds since the Unix epoch plus nanoseconds, ordered as a tuple.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct UnixTime {
    seconds: i64,
    nanos: u32,
}

impl UnixTime {
    /// Reads the system clock. A clock set before 1970 gives a negative second count.
    pub(crate) fn now() -> UnixTime {
        match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(since) => UnixTime::from_offset(since, 1),
            Err(error) => UnixTime::from_offset(error.duration(), -1),
        }
    }

    /// Converts a distance from the epoch and its direction (`1` or `-1`).
    fn from_offset(distance: std::time::Duration, sign: i64) -> UnixTime {
        // Whole seconds of any `SystemTime` fit an i64 on every supported platform, so the
        // saturation only matters for a clock that is off by billions of years.
        let whole = i64::try_from(distance.as_secs()).unwrap_or(i64::MAX);
        let nanos = distance.subsec_nanos();
        if sign > 0 || nanos == 0 {
            return UnixTime {
                seconds: sign * whole,
                nanos,
            };
        }
        UnixTime {
            seconds: -whole - 1,
            nanos: 1_000_000_000 - nanos,
        }
    }
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.fraction]Z` with 1 to 9 fraction digits, or returns `None`.
pub(crate) fn parse_utc(text: &str) -> Option<UnixTime> {
    let bytes = text.as_bytes();
    if bytes.len() < 20 || bytes.last() != Some(&b'Z') {
        return None;
    }

    // Fixed positions of the separators in the date and time part.
    let separators = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')];
    if separators.iter().any(|&(at, byte)| bytes[at] != byte) {
        return None;
    }

    let year = digits(&bytes[0..4])?;
    let month = digits(&bytes[5..7])?;
    let day = digits(&bytes[8..10])?;
    let hour = digits(&bytes[11..13])?;
    let minute = digits(&bytes[14..16])?;
    let second = digits(&bytes[17..19])?;
    let nanos = fraction(&bytes[19..bytes.len() - 1])?;

    let date_ok = (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month);
    if !date_ok || hour > 23 || minute > 59 || second > 59 {
        return None;
    }

    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second;
    Some(UnixTime { seconds, nanos })
}

/// Reads a run of ASCII digits as a number. The callers pass at most four digits.
fn digits(bytes: &[u8]) -> Option<i64> {
    bytes.iter().try_fold(0_i64, |value, &byte| {
        byte.is_ascii_digit()
            .then(|| value * 10 + i64::from(byte - b'0'))
    })
}

/// Reads the optional `.fraction` before the `Z` as nanoseconds.
fn fraction(bytes: &[u8]) -> Option<u32> {
    let Some((&b'.', digits)) = bytes.split_first() else {
        return bytes.is_empty().then_some(0);
    };
    if digits.is_empty() || digits.len() > 9 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }

    // Pad to nine digits, so ".5" reads as 500 000 000 ns.
    let mut nanos = 0_u32;
    for index in 0..9 {
        let digit = digits.get(index).map_or(0, |byte| u32::from(byte - b'0'));
        nanos = nanos * 10 + digit;
    }
    Some(nanos)
}

fn is_leap_year(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Counts days from 1970-01-01 to a proleptic Gregorian date.
///
/// The calendar is shifted to start in March, so the leap day is the last day of its year,
/// and then counted in 400-year eras of 146 097 days each.
pub(crate) fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let shifted_month = (month + 9) % 12;
    let day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;

    // 719 468 is the day count from 0000-03-01 to 1970-01-01.
    era * 146_097 + day_of_era - 719_468
}

/// Formats a time as an HTTP date in the IMF-fixdate form of RFC 9110 section 5.6.7, for
/// example `Sun, 06 Nov 1994 08:49:37 GMT`. Sub-second parts are dropped and times before
/// 1970 are sent as 1970-01-01.
pub(crate) fn http_date(time: SystemTime) -> String {
    let seconds = time.duration_since(UNIX_EPOCH).map_or(0, |since| {
        i64::try_from(since.as_secs()).unwrap_or(i64::MAX)
    });
    let days = seconds.div_euclid(86_400);
    let second_of_day = seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);

    // 1970-01-01 was a Thursday.
    let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][days.rem_euclid(7) as usize];
    let month_name = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ][(month - 1) as usize];
    format!(
        "{weekday}, {day:02} {month_name} {year:04} {:02}:{:02}:{:02} GMT",
        second_of_day / 3_600,
        second_of_day % 3_600 / 60,
        second_of_day % 60,
    )
}

/// Converts a day count from 1970-01-01 into a proleptic Gregorian year, month and day,
/// the inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    // Dividing by 365 overestimates the year by about one year in 1500, so the loops below
    // run a few times at most for any year up to 9999.
    let mut year = 1970 + days.div_euclid(365);
    while days_from_civil(year, 1, 1) > days {
        year -= 1;
    }
    while days_from_civil(year + 1, 1, 1) <= days {
        year += 1;
    }

    let mut day_of_year = days - days_from_civil(year, 1, 1);
    let mut month = 1;
    while day_of_year >= days_in_month(year, month) {
        day_of_year -= days_in_month(year, month);
        month += 1;
    }
    (year, month, day_of_year + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_from_civil_matches_known_dates() {
        let cases = [
            ((1970, 1, 1), 0),
            ((1969, 12, 31), -1),
            ((2000, 2, 29), 11_016),
            ((2000, 3, 1), 11_017),
            ((2024, 1, 1), 19_723),
            ((1900, 3, 1), -25_508),
            ((9999, 12, 31), 2_932_896),
        ];
        for ((year, month, day), expected) in cases {
            assert_eq!(
                days_from_civil(year, month, day),
                expected,
                "{year}-{month}-{day}"
            );
        }
    }

    #[test]
    fn days_from_civil_is_consecutive() {
        let mut expected = days_from_civil(1899, 1, 1);
        for year in 1899..=2101 {
            for month in 1..=12 {
                for day in 1..=days_in_month(year, month) {
                    assert_eq!(days_from_civil(year, month, day), expected);
                    expected += 1;
                }
            }
        }
    }

    #[test]
    fn civil_from_days_inverts_days_from_civil() {
        for days in days_from_civil(1899, 1, 1)..=days_from_civil(2101, 12, 31) {
            let (year, month, day) = civil_from_days(days);
            assert_eq!(days_from_civil(year, month, day), days, "{days}");
            assert!((1..=days_in_month(year, month)).contains(&day), "{days}");
        }
        assert_eq!(civil_from_days(2_932_896), (9999, 12, 31));
    }

    #[test]
    fn http_date_uses_imf_fixdate() {
        let cases = [
            (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
            (784_111_777, "Sun, 06 Nov 1994 08:49:37 GMT"),
            (951_782_400, "Tue, 29 Feb 2000 00:00:00 GMT"),
            (4_102_444_799, "Thu, 31 Dec 2099 23:59:59 GMT"),
        ];
        for (seconds, expected) in cases {
            let time = UNIX_EPOCH + std::time::Duration::from_secs(seconds);
            assert_eq!(http_date(time), expected, "{seconds}");
        }
        let before_epoch = UNIX_EPOCH - std::time::Duration::from_secs(1);
        assert_eq!(http_date(before_epoch), "Thu, 01 Jan 1970 00:00:00 GMT");
    }

    #[test]
    fn parse_utc_accepts_z_forms() {
        let whole = parse_utc("2030-01-02T03:04:05Z");
        let fractional = parse_utc("2030-01-02T03:04:05.5Z");
        assert!(whole.is_some());
        assert!(fractional > whole);
        assert_eq!(
            parse_utc("1970-01-01T00:00:01.000000001Z").map(|i| i.nanos),
            Some(1)
        );
    }

    #[test]
    fn parse_utc_rejects_other_forms() {
        let rejected = [
            "2030-01-02T03:04:05+00:00",
            "2030-01-02T03:04:05",
            "2030-01-02 03:04:05Z",
            "2030-01-02t03:04:05z",
            "2030-02-30T00:00:00Z",
            "2030-13-01T00:00:00Z",
            "2030-01-01T24:00:00Z",
            "2030-01-01T00:00:60Z",
            "2030-01-01T00:00:00.Z",
            "2030-01-01T00:00:00.1234567890Z",
            "+030-01-01T00:00:00Z",
            "2030-01-01T00:00:00ZZ",
            "",
        ];
        for text in rejected {
            assert_eq!(parse_utc(text), None, "{text}");
        }
    }

    #[test]
    fn instant_now_is_after_2024() {
        assert!(UnixTime::now() > parse_utc("2024-01-01T00:00:00Z").unwrap());
    }
}
