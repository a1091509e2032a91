//! The `ends_at` timestamp: a strict RFC 3339 parser that converts the instant to UTC.
//!
//! The parser is a cursor over the input's bytes with one method per rule of the grammar
//! in RFC 3339 section 5.6, each rule quoted above its method. Every byte the cursor
//! consumes is ASCII, so its position is always a `char` boundary of the input.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const SECONDS_PER_DAY: i64 = 86_400;
const DAYS_PER_400_YEARS: i64 = 146_097;
/// The fix suggested for a timestamp of another shape.
const SHAPE_HINT: &str = "write an RFC 3339 date-time such as 2030-01-31T18:00:00Z";

/// Days from 0000-01-01 to the Unix epoch, 1970-01-01.
const UNIX_EPOCH_DAY: i64 = days_before_year(1970);
const MONTH_NAMES: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// An RFC 3339 instant, normalised to UTC.
///
/// Equality and hashing compare the text too, so `00:00:00.5Z` and `00:00:00.500Z` are
/// different values for the same instant. Ordering is by instant, then by text, which
/// keeps it consistent with equality.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Timestamp {
    seconds: i64,
    nanos: u32,
    text: String,
}

/// The reason a timestamp was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimestampError {
    kind: TimestampErrorKind,
    position: usize,
    detail: String,
}

/// The class of a timestamp's first mistake, reading from the left.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TimestampErrorKind {
    /// The time of day ends without `Z` or a numeric offset.
    MissingOffset,
    /// The input is a date alone, or a date followed directly by `Z`.
    DateOnly,
    /// Whitespace or a control character where none is allowed, such as at either end.
    Whitespace,
    /// A month or a day of the month that does not exist in the proleptic Gregorian
    /// calendar.
    Date,
    /// An hour over 23, or a minute or second over 59.
    Time,
    /// Second 60, a leap second, which is not supported.
    LeapSecond,
    /// A fraction of a second with more than nine digits.
    Fraction,
    /// An offset hour over 23 or an offset minute over 59.
    Offset,
    /// An instant outside the years 0000 to 9999 once converted to UTC.
    Range,
    /// Any other shape: other ISO 8601 forms, missing separators or digits, a non-ASCII
    /// digit, trailing text, or an empty input.
    Format,
}

impl Timestamp {
    /// Parses an RFC 3339 date-time and converts it to UTC.
    ///
    /// The accepted form is `YYYY-MM-DDThh:mm:ss`, an optional fraction of one to nine
    /// digits, then `Z` or an offset `+hh:mm` or `-hh:mm`. The separator may also be `t`
    /// or one space, and `Z` may be `z`. The fraction's digits are kept as written.
    ///
    /// ```
    /// use seam_edge::{Timestamp, TimestampErrorKind};
    ///
    /// let ends_at = Timestamp::parse("2030-01-01T00:00:00.000+05:30")?;
    /// assert_eq!(ends_at.as_str(), "2029-12-31T18:30:00.000Z");
    ///
    /// let error = Timestamp::parse("2030-01-01T00:00:00").unwrap_err();
    /// assert_eq!(error.kind(), TimestampErrorKind::MissingOffset);
    /// # Ok::<(), seam_edge::TimestampError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// Returns a [`TimestampError`] for the first mistake from the left. The day of the
    /// month is checked once the whole date has been read, so a day that does not exist
    /// is reported before an invalid time. An instant that leaves the years 0000 to 9999
    /// once converted to UTC is rejected with [`TimestampErrorKind::Range`].
    pub fn parse(input: &str) -> Result<Timestamp, TimestampError> {
        Cursor { input, position: 0 }.date_time()
    }

    /// Returns the normalised UTC text sent on the wire, `YYYY-MM-DDThh:mm:ss[.digits]Z`.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Returns the whole seconds since 1970-01-01T00:00:00Z, negative before then.
    pub fn unix_seconds(&self) -> i64 {
        self.seconds
    }

    /// Returns the nanoseconds past [`unix_seconds`](Self::unix_seconds).
    pub fn subsec_nanos(&self) -> u32 {
        self.nanos
    }

    /// Converts a clock reading, dropping the fraction of a second, such as
    /// `2026-12-04T16:07:21Z`. Returns `None` outside the years 0000 to 9999.
    pub fn from_system_time(time: SystemTime) -> Option<Timestamp> {
        let seconds = match time.duration_since(UNIX_EPOCH) {
            Ok(after) => i64::try_from(after.as_secs()).ok()?,
            // Round towards the past, as dropping the fraction does after the epoch.
            Err(before) => {
                let before = before.duration();
                let whole = i64::try_from(before.as_secs()).ok()?;
                if before.subsec_nanos() > 0 {
                    -whole - 1
                } else {
                    -whole
                }
            }
        };
        Timestamp::from_unix(seconds, 0, "")
    }

    /// Converts to a [`SystemTime`], or `None` where the platform's clock type cannot
    /// represent the instant.
    pub fn to_system_time(&self) -> Option<SystemTime> {
        let whole = Duration::from_secs(self.seconds.unsigned_abs());
        let base = if self.seconds >= 0 {
            UNIX_EPOCH.checked_add(whole)
        } else {
            UNIX_EPOCH.checked_sub(whole)
        };
        base?.checked_add(Duration::from_nanos(u64::from(self.nanos)))
    }

    /// Builds the value for a UTC instant, or `None` outside the years 0000 to 9999.
    /// `fraction` contains the digits to print after the seconds, possibly none.
    fn from_unix(seconds: i64, nanos: u32, fraction: &str) -> Option<Timestamp> {
        let (year, month, day) = civil_from_days(seconds.div_euclid(SECONDS_PER_DAY));
        if !(0..=9999).contains(&year) {
            return None;
        }
        let time = seconds.rem_euclid(SECONDS_PER_DAY);
        let (hour, minute, second) = (time / 3600, time / 60 % 60, time % 60);
        let mut text = format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}");
        if !fraction.is_empty() {
            text.push('.');
            text.push_str(fraction);
        }
        text.push('Z');
        Some(Timestamp {
            seconds,
            nanos,
            text,
        })
    }
}

impl PartialOrd for Timestamp {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Timestamp {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.seconds, self.nanos, &self.text).cmp(&(other.seconds, other.nanos, &other.text))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Timestamp").field(&self.text).finish()
    }
}

impl FromStr for Timestamp {
    type Err = TimestampError;

    fn from_str(input: &str) -> Result<Timestamp, TimestampError> {
        Timestamp::parse(input)
    }
}

#[cfg(feature = "time")]
impl TryFrom<time::OffsetDateTime> for Timestamp {
    type Error = TimestampError;

    /// Converts to UTC. The text has the nanoseconds without trailing zeros, or no
    /// fraction when they are zero. Fails with [`TimestampErrorKind::Range`], at
    /// position 0, outside the years 0000 to 9999 in UTC.
    fn try_from(value: time::OffsetDateTime) -> Result<Timestamp, TimestampError> {
        let (seconds, nanos) = (value.unix_timestamp(), value.nanosecond());
        let digits = format!("{nanos:09}");
        let fraction = if nanos == 0 {
            ""
        } else {
            digits.trim_end_matches('0')
        };
        Timestamp::from_unix(seconds, nanos, fraction).ok_or_else(|| out_of_range(0, seconds))
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <String as serde::Deserialize>::deserialize(deserializer)?;
        Timestamp::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl TimestampError {
    /// Returns the class of the mistake.
    pub fn kind(&self) -> TimestampErrorKind {
        self.kind
    }

    /// Returns the byte offset in the input where the mistake was found: the offending
    /// byte, or the first byte of a value that is out of range.
    pub fn position(&self) -> usize {
        self.position
    }
}

impl fmt::Display for TimestampError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.detail)
    }
}

impl std::error::Error for TimestampError {}

fn error(kind: TimestampErrorKind, position: usize, detail: String) -> TimestampError {
    TimestampError {
        kind,
        position,
        detail,
    }
}

fn out_of_range(position: usize, seconds: i64) -> TimestampError {
    let (year, _, _) = civil_from_days(seconds.div_euclid(SECONDS_PER_DAY));
    let detail =
        format!("the instant falls in year {year} once converted to UTC, outside 0000 to 9999");
    error(TimestampErrorKind::Range, position, detail)
}

/// The fields of a time of day, with the fraction's digits as written.
struct TimeOfDay<'a> {
    hour: u32,
    minute: u32,
    second: u32,
    fraction: &'a str,
}

struct Cursor<'a> {
    input: &'a str,
    position: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.input.as_bytes().get(self.position).copied()
    }

    /// Consumes the next byte if it is one of `accepted`.
    fn eat(&mut self, accepted: &[u8]) -> Option<u8> {
        let byte = self.peek().filter(|byte| accepted.contains(byte))?;
        self.position += 1;
        Some(byte)
    }

    fn expect(&mut self, byte: u8, expected: &str) -> Result<(), TimestampError> {
        match self.eat(&[byte]) {
            Some(_) => Ok(()),
            None => Err(self.unexpected(expected)),
        }
    }

    /// Reads exactly `count` ASCII digits as a number.
    fn digits(&mut self, count: usize, field: &str) -> Result<u32, TimestampError> {
        let mut value = 0;
        for _ in 0..count {
            let Some(digit) = self.eat(b"0123456789") else {
                return Err(self.unexpected(&format!("a digit of the {field}")));
            };
            value = value * 10 + u32::from(digit - b'0');
        }
        Ok(value)
    }

    /// Reads two digits and rejects a value over `max` with `kind`.
    fn bounded(
        &mut self,
        field: &str,
        max: u32,
        kind: TimestampErrorKind,
    ) -> Result<u32, TimestampError> {
        let start = self.position;
        let value = self.digits(2, field)?;
        if value > max {
            let detail = format!("{field} {value:02} is out of range, expected 00 to {max}");
            return Err(error(kind, start, detail));
        }
        Ok(value)
    }

    /// Describes the character at the cursor, which the grammar does not allow here, and
    /// names the kind of mistake with a fix.
    fn unexpected(&self, expected: &str) -> TimestampError {
        let position = self.position;
        if self.input.is_empty() {
            let detail = format!("the timestamp is empty; {SHAPE_HINT}");
            return error(TimestampErrorKind::Format, position, detail);
        }
        let Some(found) = self
            .input
            .get(position..)
            .and_then(|rest| rest.chars().next())
        else {
            let detail = format!("expected {expected} at byte {position}, found end of input");
            return error(TimestampErrorKind::Format, position, detail);
        };
        let found_text = found.escape_debug();
        if found.is_whitespace() || found.is_control() {
            let detail = format!(
                "unexpected whitespace or control character '{found_text}' at byte {position}, \
                 expected {expected}; remove it"
            );
            return error(TimestampErrorKind::Whitespace, position, detail);
        }
        let detail =
            format!("expected {expected} at byte {position}, found '{found_text}'; {SHAPE_HINT}");
        error(TimestampErrorKind::Format, position, detail)
    }

    // date-fullyear   = 4DIGIT
    fn date_fullyear(&mut self) -> Result<i64, TimestampError> {
        self.digits(4, "year").map(i64::from)
    }

    // date-month      = 2DIGIT  ; 01-12
    fn date_month(&mut self) -> Result<u32, TimestampError> {
        self.digits(2, "month")
    }

    // date-mday       = 2DIGIT  ; 01-28, 01-29, 01-30, 01-31 based on
    //                           ; month/year
    fn date_mday(&mut self) -> Result<u32, TimestampError> {
        self.digits(2, "day")
    }

    // full-date       = date-fullyear "-" date-month "-" date-mday
    //
    // The month and the day are checked once the whole date has been read, so that
    // "2030-001" is reported as a wrong shape and not as month 00.
    fn full_date(&mut self) -> Result<(i64, u32, u32), TimestampError> {
        let year = self.date_fullyear()?;
        self.expect(b'-', "'-' after the four-digit year")?;
        let month_start = self.position;
        let month = self.date_month()?;
        self.expect(b'-', "'-' after the month")?;
        let day_start = self.position;
        let day = self.date_mday()?;

        if !(1..=12).contains(&month) {
            let detail = format!("month {month:02} does not exist, expected 01 to 12");
            return Err(error(TimestampErrorKind::Date, month_start, detail));
        }
        if day == 0 || i64::from(day) > days_in_month(year, month) {
            let name = MONTH_NAMES[month as usize - 1];
            let detail = format!("day {day:02} does not exist in {name} {year:04}");
            return Err(error(TimestampErrorKind::Date, day_start, detail));
        }
        Ok((year, month, day))
    }

    // time-hour       = 2DIGIT  ; 00-23
    fn time_hour(&mut self) -> Result<u32, TimestampError> {
        self.bounded("hour", 23, TimestampErrorKind::Time)
    }

    // time-minute     = 2DIGIT  ; 00-59
    fn time_minute(&mut self) -> Result<u32, TimestampError> {
        self.bounded("minute", 59, TimestampErrorKind::Time)
    }

    // time-second     = 2DIGIT  ; 00-58, 00-59, 00-60 based on leap second
    //                           ; rules
    //
    // Second 60 is rejected because the Unix time scale has no leap seconds, so the
    // instant could not be stored.
    fn time_second(&mut self) -> Result<u32, TimestampError> {
        let start = self.position;
        let second = self.digits(2, "second")?;
        match second {
            0..=59 => Ok(second),
            60 => {
                let detail = "second 60 (a leap second) is not supported; use :59".to_string();
                Err(error(TimestampErrorKind::LeapSecond, start, detail))
            }
            _ => {
                let detail = format!("second {second} is out of range, expected 00 to 59");
                Err(error(TimestampErrorKind::Time, start, detail))
            }
        }
    }

    // time-secfrac    = "." 1*DIGIT
    //
    // At most nine digits are accepted, the precision of a nanosecond, so that no digit
    // of the text is lost in the stored instant.
    fn time_secfrac(&mut self) -> Result<&'a str, TimestampError> {
        if self.eat(b".").is_none() {
            return Ok("");
        }
        let start = self.position;
        while self.eat(b"0123456789").is_some() {}
        let digits = self.input.get(start..self.position).unwrap_or_default();
        match digits.len() {
            0 => Err(self.unexpected("a digit after '.'")),
            1..=9 => Ok(digits),
            count => {
                let detail = format!(
                    "expected at most nine fractional digits at byte {start}, found {count}"
                );
                Err(error(TimestampErrorKind::Fraction, start, detail))
            }
        }
    }

    // time-numoffset  = ("+" / "-") time-hour ":" time-minute
    //
    // Returns the offset in seconds east of UTC. "-00:00" is accepted as UTC.
    fn time_numoffset(&mut self) -> Result<i64, TimestampError> {
        let sign = match self.eat(b"+-") {
            Some(b'-') => -1,
            Some(_) => 1,
            None => return Err(self.unexpected("'+' or '-'")),
        };
        let hour = self.bounded("offset hour", 23, TimestampErrorKind::Offset)?;
        self.expect(b':', "':' in the offset")?;
        let minute = self.bounded("offset minute", 59, TimestampErrorKind::Offset)?;
        Ok(sign * i64::from(hour * 3600 + minute * 60))
    }

    // time-offset     = "Z" / time-numoffset
    //
    // Lower-case "z" is accepted, as the NOTE in RFC 3339 section 5.6 allows.
    fn time_offset(&mut self) -> Result<i64, TimestampError> {
        match self.peek() {
            Some(b'Z' | b'z') => {
                self.position += 1;
                Ok(0)
            }
            Some(b'+' | b'-') => self.time_numoffset(),
            Some(_) => Err(self.unexpected("'Z' or an offset such as \"+02:00\"")),
            None => {
                let detail = format!(
                    "expected 'Z' or an offset at byte {}, found end of input; \
                     add \"Z\" for UTC or an offset such as \"+02:00\"",
                    self.position
                );
                Err(error(
                    TimestampErrorKind::MissingOffset,
                    self.position,
                    detail,
                ))
            }
        }
    }

    // partial-time    = time-hour ":" time-minute ":" time-second
    //                   [time-secfrac]
    fn partial_time(&mut self) -> Result<TimeOfDay<'a>, TimestampError> {
        let hour = self.time_hour()?;
        self.expect(b':', "':' after the hour")?;
        let minute = self.time_minute()?;
        self.expect(b':', "':' after the minute")?;
        let second = self.time_second()?;
        let fraction = self.time_secfrac()?;
        Ok(TimeOfDay {
            hour,
            minute,
            second,
            fraction,
        })
    }

    // full-time       = partial-time time-offset
    //
    // Returns the time of day, the byte offset where the offset starts, and the offset.
    fn full_time(&mut self) -> Result<(TimeOfDay<'a>, usize, i64), TimestampError> {
        let time = self.partial_time()?;
        let offset_start = self.position;
        let offset = self.time_offset()?;
        Ok((time, offset_start, offset))
    }

    // date-time       = full-date "T" full-time
    fn date_time(&mut self) -> Result<Timestamp, TimestampError> {
        let (year, month, day) = self.full_date()?;
        self.separator()?;
        let (time, offset_start, offset) = self.full_time()?;

        // Convert to UTC before looking for trailing bytes, because the offset that moves
        // the instant out of range comes first in reading order.
        let local_day = days_from_civil(year, month, day) * SECONDS_PER_DAY;
        let local_time = i64::from(time.hour * 3600 + time.minute * 60 + time.second);
        let seconds = local_day + local_time - offset;
        let nanos = fraction_nanos(time.fraction);
        let timestamp = Timestamp::from_unix(seconds, nanos, time.fraction)
            .ok_or_else(|| out_of_range(offset_start, seconds))?;

        if self.position < self.input.len() {
            return Err(self.unexpected("end of input"));
        }
        Ok(timestamp)
    }

    // RFC 3339 requires "T". Its NOTE in section 5.6 lets applications accept a space for
    // readability, and lower-case "t". Exactly one of "T", "t" and " " is accepted here.
    fn separator(&mut self) -> Result<(), TimestampError> {
        if self.eat(b"Tt ").is_some() {
            return Ok(());
        }
        if let found @ (None | Some(b'Z' | b'z')) = self.peek() {
            let found = match found {
                Some(letter) => format!("'{}'", char::from(letter)),
                None => "end of input".to_string(),
            };
            let detail = format!(
                "expected a time of day at byte {}, found {found}; \
                 write a time and offset such as \"T00:00:00Z\" after the date",
                self.position
            );
            return Err(error(TimestampErrorKind::DateOnly, self.position, detail));
        }
        Err(self.unexpected("'T' or a space between the date and the time"))
    }
}

/// Converts up to nine fractional digits to nanoseconds.
fn fraction_nanos(digits: &str) -> u32 {
    let mut nanos = 0;
    for (index, digit) in digits.bytes().enumerate() {
        let place = 10_u32.pow(8_u32.saturating_sub(index as u32));
        nanos += u32::from(digit - b'0') * place;
    }
    nanos
}

fn is_leap_year(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: u32) -> i64 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Counts the days from 0000-01-01 to the first day of `year` in the proleptic Gregorian
/// calendar, where year 0000 is a leap year.
const fn days_before_year(year: i64) -> i64 {
    // The leap years before `year` are the multiples of 4 in 0..year, less the multiples
    // of 100, plus the multiples of 400. The divisions count multiples from 1 up, and
    // year 0, a multiple of all three, adds the `+ 1`. Euclidean division keeps the
    // count right for years before 0000.
    let last = year - 1;
    365 * year + last.div_euclid(4) - last.div_euclid(100) + last.div_euclid(400) + 1
}

/// Counts the days from the Unix epoch to a valid date, negative before it.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let mut days = days_before_year(year) - UNIX_EPOCH_DAY;
    for earlier in 1..month {
        days += days_in_month(year, earlier);
    }
    days + i64::from(day) - 1
}

/// Finds the date `days` after the Unix epoch: year, month (1 to 12), day (from 1).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    // The calendar repeats every 400 years, and each cycle starts on a leap year like
    // 0000, so the year within a cycle can be found from the day within it.
    let days = days + UNIX_EPOCH_DAY;
    let cycle = days.div_euclid(DAYS_PER_400_YEARS);
    let day_of_cycle = days.rem_euclid(DAYS_PER_400_YEARS);

    // Dividing by the average year length gives the year or one next to it, and the
    // loops correct it.
    let mut year_of_cycle = day_of_cycle * 400 / DAYS_PER_400_YEARS;
    while days_before_year(year_of_cycle + 1) <= day_of_cycle {
        year_of_cycle += 1;
    }
    while days_before_year(year_of_cycle) > day_of_cycle {
        year_of_cycle -= 1;
    }
    let year = cycle * 400 + year_of_cycle;

    let mut day_of_year = day_of_cycle - days_before_year(year_of_cycle);
    let mut month = 1;
    while month < 12 && day_of_year >= days_in_month(year, month) {
        day_of_year -= days_in_month(year, month);
        month += 1;
    }
    (year, month, day_of_year as u32 + 1)
}
