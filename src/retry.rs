//! When to try a request again and how long to wait: exponential backoff with full jitter,
//! `Retry-After` honoured, and everything bounded by the deadline.
//!
//! An update sets absolute values, so sending it twice leaves the same state as once. That
//! is why even `PATCH` is retried here, although Seam's official clients do not retry it.

use std::time::{Duration, SystemTime};

use crate::error::{Error, TransportErrorKind};
use crate::response::Reply;
use crate::timestamp::Timestamp;

/// Maximum wait between two attempts that backoff alone produces.
const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// Maximum `Retry-After` honoured; a longer one ends the retries.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);

/// Statuses that mean "try again later" and are retried.
const RETRY_STATUSES: [u16; 6] = [408, 429, 500, 502, 503, 504];

/// Returns why the outcome of an attempt is worth another try, or `None` when it is final.
/// Certificate and other TLS failures are final within a run: trying again in a second
/// cannot fix a clock or a CA.
pub(crate) fn retry_reason(outcome: &Result<Reply, Error>) -> Option<String> {
    match outcome {
        Ok(reply) if RETRY_STATUSES.contains(&reply.status) => {
            Some(format!("http {}", reply.status))
        }
        Ok(_) => None,
        Err(Error::Transport(error)) => match error.kind() {
            TransportErrorKind::Tls | TransportErrorKind::TlsClock => None,
            _ => Some(error.to_string()),
        },
        Err(_) => None,
    }
}

/// Returns the wait before attempt `next_attempt` (2 for the first retry): a random time
/// up to `base * 2^(next_attempt - 2)`, capped at [`MAX_BACKOFF`], but at least what the
/// server requested in `Retry-After`. Returns `None` when `Retry-After` requests more than
/// [`MAX_RETRY_AFTER`].
pub(crate) fn delay(
    next_attempt: u32,
    base: Duration,
    retry_after: Option<Duration>,
) -> Option<Duration> {
    let exponent = next_attempt.saturating_sub(2).min(16);
    let ceiling = base.saturating_mul(1 << exponent).min(MAX_BACKOFF);
    let jittered = random_duration_up_to(ceiling);
    match retry_after {
        Some(wait) if wait > MAX_RETRY_AFTER => None,
        Some(wait) => Some(wait.max(jittered)),
        None => Some(jittered),
    }
}

/// Returns a uniformly random duration from zero to `ceiling`, from the operating system's
/// random source. Falls back to `ceiling` if that source fails, which only makes the wait
/// longer, never shorter. Used for retry backoff and for spreading a fleet's start times.
pub fn random_duration_up_to(ceiling: Duration) -> Duration {
    let mut bytes = [0_u8; 8];
    if getrandom::getrandom(&mut bytes).is_err() {
        return ceiling;
    }
    let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
    let random = u64::from_le_bytes(bytes);
    Duration::from_nanos(random % nanos.saturating_add(1))
}

/// Reads `Retry-After` as delta-seconds (`120`) or an HTTP date
/// (`Sun, 06 Nov 1994 08:49:37 GMT`), the two forms of RFC 9110 section 10.2.3. A date in
/// the past means no wait. Returns `None` for anything else.
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|byte| byte.is_ascii_digit()) {
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    let at = parse_http_date(value)?.to_system_time()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Parses the preferred HTTP date format, IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`.
///
/// NOTE: RFC 9110 requires recipients to accept two obsolete formats too, RFC 850 and
/// asctime dates. They are not read here, so such a `Retry-After` falls back to backoff.
pub(crate) fn parse_http_date(value: &str) -> Option<Timestamp> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let mut words = value.split(' ');
    let _weekday = words
        .next()
        .filter(|day| day.len() == 4 && day.ends_with(','))?;
    let day = words.next().filter(|day| day.len() == 2)?;
    let month = words.next()?;
    let month = MONTHS.iter().position(|name| *name == month)? + 1;
    let year = words.next().filter(|year| year.len() == 4)?;
    let time = words.next().filter(|time| time.len() == 8)?;
    if words.next() != Some("GMT") || words.next().is_some() {
        return None;
    }
    Timestamp::parse(&format!("{year}-{month:02}-{day}T{time}Z")).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_900_000_000;

    fn now() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(NOW)
    }

    #[test]
    fn retry_after_delta_seconds() {
        assert_eq!(
            parse_retry_after("120", now()),
            Some(Duration::from_secs(120))
        );
        assert_eq!(parse_retry_after(" 0 ", now()), Some(Duration::ZERO));
    }

    #[test]
    fn retry_after_http_date() {
        // 2030-03-17T17:46:40Z is NOW; the header requests a wait until 30 seconds later.
        let wait = parse_retry_after("Sun, 17 Mar 2030 17:47:10 GMT", now());
        assert_eq!(wait, Some(Duration::from_secs(30)));
    }

    #[test]
    fn retry_after_date_in_past_is_no_wait() {
        let wait = parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now());
        assert_eq!(wait, Some(Duration::ZERO));
    }

    #[test]
    fn retry_after_rejects_other_forms() {
        for value in [
            "",
            "-1",
            "1.5",
            "soon",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 31 Feb 2030 00:00:00 GMT",
        ] {
            assert_eq!(parse_retry_after(value, now()), None, "{value:?}");
        }
    }

    #[test]
    fn delay_stays_within_doubling_ceiling() {
        let base = Duration::from_millis(100);
        for _ in 0..200 {
            assert!(delay(2, base, None).unwrap() <= base);
            assert!(delay(3, base, None).unwrap() <= base * 2);
            assert!(delay(30, base, None).unwrap() <= MAX_BACKOFF);
        }
    }

    #[test]
    fn delay_honours_retry_after_up_to_cap() {
        let base = Duration::from_millis(100);
        let requested = Duration::from_secs(3);
        assert_eq!(delay(2, base, Some(requested)), Some(requested));
        assert_eq!(
            delay(2, base, Some(MAX_RETRY_AFTER + Duration::from_secs(1))),
            None
        );
    }

    #[test]
    fn random_duration_covers_its_range() {
        let ceiling = Duration::from_millis(10);
        let samples: Vec<Duration> = (0..200).map(|_| random_duration_up_to(ceiling)).collect();
        assert!(samples.iter().all(|sample| *sample <= ceiling));
        assert!(samples.iter().any(|sample| *sample < ceiling / 2));
        assert!(samples.iter().any(|sample| *sample > ceiling / 2));
    }
}
