//! Faults that replace a route's reply: statuses and bodies that Seam's routes never
//! produce, broken connections, slow bodies and oversized bodies.

use std::time::{Duration, SystemTime};

use super::datetime;
use super::http::Reply;
use super::store::CannedReply;

/// Body length of [`Fault::large_body`]: 20 MiB, twice the 10 MB that ureq 3's
/// `read_to_string` and `read_json` accept by default.
pub const LARGE_BODY_LENGTH: u64 = 20 * 1024 * 1024;

/// Host that [`Fault::RedirectElsewhere`] points to. Names under `.invalid` never resolve
/// (RFC 6761 section 6.4), so a client that follows the redirect fails at DNS and reaches
/// no other host.
pub const REDIRECT_LOCATION: &str = "https://elsewhere.invalid/acs/credentials/update";

/// Maximum time [`Fault::NoAnswer`] keeps a connection open and [`Fault::Drip`] spends on
/// one body: 120 seconds, so that a forgotten fault cannot keep a thread alive for long.
pub const MAX_HOLD: Duration = Duration::from_secs(120);

/// A failure sent in place of a route's reply, queued with
/// [`FakeSeam::inject`](super::FakeSeam::inject).
///
/// Every fault records the request in the log before it acts. Unless a variant's
/// documentation states otherwise, the route does not run, so an update is not applied, and
/// the connection stays open for the next request. Replies get `seam-request-id` and `content-length` like any
/// other.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Sends this reply, as [`FakeSeam::reply_next`](super::FakeSeam::reply_next) does.
    Reply(CannedReply),
    /// 503 with an empty body and no `content-type`, as a load balancer sends when no
    /// backend is up.
    ServiceUnavailable,
    /// 502 with an HTML page (`text/html; charset=utf-8`), as a reverse proxy sends when
    /// its upstream fails.
    BadGatewayHtml,
    /// 429 with `retry-after: <seconds>` and Seam's error envelope of type `rate_limited`.
    RetryAfterSeconds(u32),
    /// 429 with `retry-after` set to this time as an HTTP date (IMF-fixdate, whole seconds,
    /// times before 1970 sent as 1970-01-01), and the envelope of
    /// [`RetryAfterSeconds`](Fault::RetryAfterSeconds).
    RetryAfterDate(SystemTime),
    /// Closes the connection once the request is read, without a reply.
    ///
    /// The fake shuts the TCP socket down in both directions and sends no TLS
    /// `close_notify`, so the client reads a TCP FIN where it expects the status line. It
    /// is an orderly FIN rather than an RST because stable Rust cannot set `SO_LINGER` to
    /// zero, but to a TLS client both mean that the stream ended without a reply.
    Reset,
    /// Reads the request and sends nothing, holding the connection open until the client
    /// closes it, the fake shuts down, or [`MAX_HOLD`] passes. Then it closes the connection
    /// as [`Reset`](Fault::Reset) does.
    NoAnswer,
    /// Serves the route, so an update is applied, then sends the reply's head at once and
    /// its body one byte per interval.
    ///
    /// The dripping stops early when a write fails, the fake shuts down, or [`MAX_HOLD`]
    /// passes after the head was sent, and the connection then closes mid-body.
    Drip(Duration),
    /// Sends this status with a JSON body of `length` bytes, `{"padding":"xx…x"}`, written
    /// in 64 KiB pieces without building the body in memory. A `length` under 14, the size
    /// of the empty object with its `padding` member, is raised to 14.
    ///
    /// The body stops early, and the connection closes, when a write fails, the fake shuts
    /// down or [`MAX_HOLD`] passes.
    LargeBody {
        /// Status code, such as 200 or 500.
        status: u16,
        /// Body length in bytes, as sent in `content-length`.
        length: u64,
    },
    /// 200 with `content-type: application/json` and the truncated body `{"acs_credential": `.
    MalformedJson,
    /// 200 with an HTML login page, as a captive portal sends in place of any HTTPS reply
    /// that it can forge.
    CaptivePortal,
    /// 302 with `location: https://elsewhere.invalid/acs/credentials/update`
    /// ([`REDIRECT_LOCATION`]) and an empty body.
    RedirectElsewhere,
    /// 401 with `text/plain` body `Unauthorized`, as a proxy in front of the API sends,
    /// rather than Seam's JSON envelope.
    PlainUnauthorized,
}

impl Fault {
    /// Returns [`Fault::LargeBody`] with this status and [`LARGE_BODY_LENGTH`] bytes.
    pub fn large_body(status: u16) -> Fault {
        Fault::LargeBody {
            status,
            length: LARGE_BODY_LENGTH,
        }
    }

    /// Returns the action that sends this fault. `route` serves the request normally and
    /// runs only for [`Fault::Drip`].
    pub(crate) fn action(self, route: impl FnOnce() -> Reply) -> Action {
        let reply = match self {
            Fault::Reset => return Action::Reset,
            Fault::NoAnswer => return Action::Hold,
            Fault::Drip(interval) => {
                let reply = route();
                return Action::Drip { reply, interval };
            }
            Fault::LargeBody { status, length } => return large_body(status, length),
            Fault::Reply(canned) => Reply::from_canned(canned),
            Fault::ServiceUnavailable => Reply::empty(503),
            Fault::BadGatewayHtml => Reply::html(502, BAD_GATEWAY_PAGE),
            Fault::RetryAfterSeconds(seconds) => rate_limited(&seconds.to_string()),
            Fault::RetryAfterDate(time) => rate_limited(&datetime::http_date(time)),
            Fault::MalformedJson => Reply::empty(200)
                .with_header("content-type", "application/json")
                .with_body(b"{\"acs_credential\": "),
            Fault::CaptivePortal => Reply::html(200, CAPTIVE_PORTAL_PAGE),
            Fault::RedirectElsewhere => {
                Reply::empty(302).with_header("location", REDIRECT_LOCATION)
            }
            Fault::PlainUnauthorized => Reply::text(401, "Unauthorized"),
        };
        Action::Send(reply)
    }
}

/// A connection thread's response to one request: a reply, or a fault that is more than a
/// reply.
#[derive(Debug)]
pub(crate) enum Action {
    /// Sends the reply whole.
    Send(Reply),
    /// Closes the connection without a reply.
    Reset,
    /// Sends nothing until the client leaves, then closes like [`Action::Reset`].
    Hold,
    /// Sends the head, then the body one byte per `interval`.
    Drip { reply: Reply, interval: Duration },
    /// Sends the head of `reply`, whose body is empty, with `content-length: length`, then
    /// a generated JSON body of that length.
    Stream { reply: Reply, length: u64 },
}

impl Action {
    /// Returns the reply to send, if the action has one.
    pub(crate) fn reply_mut(&mut self) -> Option<&mut Reply> {
        match self {
            Action::Send(reply) | Action::Drip { reply, .. } | Action::Stream { reply, .. } => {
                Some(reply)
            }
            Action::Reset | Action::Hold => None,
        }
    }

    /// Describes the action for the debug log: the status, and how it is sent when that is
    /// unusual.
    pub(crate) fn summary(&self) -> String {
        match self {
            Action::Send(reply) => reply.status.to_string(),
            Action::Reset => "closed without a reply".to_owned(),
            Action::Hold => "no answer".to_owned(),
            Action::Drip { reply, interval } => {
                format!("{} dripped one byte per {interval:?}", reply.status)
            }
            Action::Stream { reply, length } => format!("{} with {length} bytes", reply.status),
        }
    }
}

/// Start and end of the body of [`Fault::LargeBody`]. The letter `x` fills the space between
/// them.
pub(crate) const PADDING_OPEN: &[u8] = b"{\"padding\":\"";
pub(crate) const PADDING_CLOSE: &[u8] = b"\"}";

fn large_body(status: u16, length: u64) -> Action {
    let frame = (PADDING_OPEN.len() + PADDING_CLOSE.len()) as u64;
    let reply = Reply::empty(status).with_header("content-type", "application/json");
    Action::Stream {
        reply,
        length: length.max(frame),
    }
}

/// Builds the 429 that the rate limit and the `RetryAfter` faults send.
pub(crate) fn rate_limited(retry_after: &str) -> Reply {
    Reply::error(429, "rate_limited", "Too many requests").with_header("retry-after", retry_after)
}

const BAD_GATEWAY_PAGE: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n\
    <body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n";

const CAPTIVE_PORTAL_PAGE: &str = "<!DOCTYPE html>\n<html><head><title>Guest Wi-Fi</title>\
    </head>\n<body><h1>Welcome</h1><p>Accept the terms of use to continue.</p>\n\
    <form method=\"post\" action=\"/login\"><button>Accept</button></form></body></html>\n";
