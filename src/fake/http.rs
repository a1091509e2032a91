//! HTTP/1.1 over any byte stream: reading requests with `httparse`, writing [`Reply`] values.
//!
//! Request bodies come either with `content-length` or with `transfer-encoding: chunked`
//! (chunk extensions and trailer fields are read and dropped). A request with both, or with
//! a transfer coding other than `chunked` alone, is rejected, which closes the connection.

use std::io::{self, Read, Write};

use miniserde::json::{self, Object, Value};

use super::store::{CannedReply, RecordedRequest};

/// Maximum request body size the fake keeps, in bytes. A larger body gets 413.
pub(crate) const MAX_BODY: usize = 1024 * 1024;

/// Maximum body size, in bytes, that the fake reads and drops for a 413, so that a client
/// that is still sending receives the reply instead of a reset. Beyond it the fake replies
/// and closes the connection without reading the body.
const MAX_DISCARD: usize = 16 * 1024 * 1024;

/// Maximum size of the request line plus header fields, in bytes.
const MAX_HEAD: usize = 64 * 1024;

/// Maximum number of header fields in one request.
const MAX_HEADERS: usize = 100;

/// Maximum length of a chunk-size line, extensions included, in bytes.
const MAX_CHUNK_LINE: usize = 4096;

/// A response, built by the routes and sent by the connection thread.
///
/// The writer adds `seam-request-id`, `content-length`, `date` unless the reply or the
/// connection's settings leave it out, and, when the connection closes, `connection: close`.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
    /// Whether the connection closes after this reply.
    pub(crate) close: bool,
    /// Whether the reply is for a `HEAD` request, so that `content-length` is sent but the
    /// body is not.
    pub(crate) head_only: bool,
}

impl Reply {
    /// Builds a reply with a JSON body.
    pub(crate) fn json(status: u16, body: &Value) -> Reply {
        Reply {
            status,
            headers: vec![(
                "content-type".to_owned(),
                "application/json; charset=utf-8".to_owned(),
            )],
            body: json::to_string(body).into_bytes(),
            close: false,
            head_only: false,
        }
    }

    /// Builds a reply with no header fields and an empty body.
    pub(crate) fn empty(status: u16) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            close: false,
            head_only: false,
        }
    }

    /// Builds the reply a [`CannedReply`] describes.
    pub(crate) fn from_canned(canned: CannedReply) -> Reply {
        Reply {
            status: canned.status,
            headers: canned.headers,
            body: canned.body,
            close: false,
            head_only: false,
        }
    }

    /// Builds a reply with an HTML body.
    pub(crate) fn html(status: u16, page: &str) -> Reply {
        Reply::empty(status)
            .with_header("content-type", "text/html; charset=utf-8")
            .with_body(page.as_bytes())
    }

    /// Builds a reply with a plain-text body.
    pub(crate) fn text(status: u16, body: &str) -> Reply {
        Reply {
            status,
            headers: vec![(
                "content-type".to_owned(),
                "text/plain; charset=utf-8".to_owned(),
            )],
            body: body.as_bytes().to_vec(),
            close: false,
            head_only: false,
        }
    }

    /// Builds Seam's error envelope `{"error": {"type", "message"}, "ok": false}`.
    pub(crate) fn error(status: u16, error_type: &str, message: &str) -> Reply {
        Reply::error_with(status, error_type, message, Object::new())
    }

    /// Builds the error envelope with more members in `error`, such as `validation_errors`.
    pub(crate) fn error_with(status: u16, error_type: &str, message: &str, extra: Object) -> Reply {
        let mut error = extra;
        error.insert("type".to_owned(), Value::String(error_type.to_owned()));
        error.insert("message".to_owned(), Value::String(message.to_owned()));

        let mut envelope = Object::new();
        envelope.insert("error".to_owned(), Value::Object(error));
        envelope.insert("ok".to_owned(), Value::Bool(false));
        Reply::json(status, &Value::Object(envelope))
    }

    /// Adds a header field.
    pub(crate) fn with_header(mut self, name: &'static str, value: &str) -> Reply {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Replaces the body.
    pub(crate) fn with_body(mut self, body: &[u8]) -> Reply {
        self.body = body.to_vec();
        self
    }

    /// Marks the connection to close after this reply.
    fn closing(mut self) -> Reply {
        self.close = true;
        self
    }
}

/// Failure to read a request.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The peer closed the connection, or a read failed or timed out. Nothing is sent.
    Io(io::Error),
    /// The request was malformed or too large.
    Reject(Box<Rejection>),
}

/// The reply to a request that could not be read. The connection closes after it when
/// `reply.close` is set.
#[derive(Debug)]
pub(crate) struct Rejection {
    pub(crate) reply: Reply,
    /// Present when the head was read, so the request can be logged.
    pub(crate) request: Option<RecordedRequest>,
}

impl From<io::Error> for ReadError {
    fn from(error: io::Error) -> ReadError {
        ReadError::Io(error)
    }
}

fn reject(status: u16, message: &str) -> ReadError {
    ReadError::Reject(Box::new(Rejection {
        reply: Reply::text(status, message).closing(),
        request: None,
    }))
}

/// The request line and header fields.
struct Head {
    request: RecordedRequest,
    /// Whether the client wants the connection closed after the reply.
    close: bool,
}

/// Framing of a request body: a byte count or the chunked transfer coding.
enum Framing {
    Length(usize),
    Chunked,
}

/// One side of an HTTP/1.1 connection with the bytes received but not yet consumed.
pub(crate) struct HttpConnection<S> {
    stream: S,
    buffer: Vec<u8>,
    connection: u64,
    /// Seconds added to the real clock for the `date` header, or `None` to send no `date`.
    date_skew: Option<i64>,
}

impl<S: Read + Write> HttpConnection<S> {
    /// Wraps a stream. `connection` is stored in every [`RecordedRequest`] read from it.
    pub(crate) fn new(stream: S, connection: u64) -> HttpConnection<S> {
        HttpConnection {
            stream,
            buffer: Vec::new(),
            connection,
            date_skew: Some(0),
        }
    }

    /// Sets the seconds added to the real clock for the `date` header, or `None` to leave
    /// the header out. Default: `Some(0)`.
    pub(crate) fn set_date_skew(&mut self, skew: Option<i64>) {
        self.date_skew = skew;
    }

    /// Returns the `date` header's value, or `None` when it is left out.
    fn date(&self) -> Option<String> {
        let skew = self.date_skew?;
        let shift = std::time::Duration::from_secs(skew.unsigned_abs());
        let now = std::time::SystemTime::now();
        let shifted = if skew < 0 {
            now.checked_sub(shift)
        } else {
            now.checked_add(shift)
        };
        Some(super::datetime::http_date(shifted.unwrap_or(now)))
    }

    /// Returns the underlying stream.
    pub(crate) fn stream_mut(&mut self) -> &mut S {
        &mut self.stream
    }

    /// Reads the next request and returns it with whether the client asked to close, or
    /// `None` when the peer closed the connection between requests.
    pub(crate) fn read_request(&mut self) -> Result<Option<(RecordedRequest, bool)>, ReadError> {
        let Some(head) = self.read_head()? else {
            return Ok(None);
        };
        let Head { mut request, close } = head;

        let framing = match framing(&request) {
            Ok(framing) => framing,
            Err(message) => return Err(reject_with(Reply::text(400, message).closing(), request)),
        };
        if request
            .header("expect")
            .is_some_and(|value| value.eq_ignore_ascii_case("100-continue"))
        {
            // A client that waits for 100 Continue sends no body after a final status, so
            // an announced body over the limit is rejected before it is sent.
            if matches!(framing, Framing::Length(length) if length > MAX_BODY) {
                let reply = Reply::text(413, "Content Too Large").closing();
                return Err(reject_with(reply, request));
            }
            self.stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
            self.stream.flush()?;
        }

        match self.read_body(framing)? {
            Body::Kept(body) => request.body = body,
            Body::Dropped { closing } => {
                let mut reply = Reply::text(413, "Content Too Large");
                reply.close = closing;
                return Err(reject_with(reply, request));
            }
        }
        Ok(Some((request, close)))
    }

    /// Sends a reply with the given `seam-request-id`.
    pub(crate) fn write_reply(&mut self, reply: &Reply, request_id: &str) -> io::Result<()> {
        let date = self.date();
        let head = head(reply, request_id, date.as_deref(), reply.body.len() as u64);
        let mut bytes = head.into_bytes();
        if !reply.head_only {
            bytes.extend_from_slice(&reply.body);
        }
        self.stream.write_all(&bytes)?;
        self.stream.flush()
    }

    /// Sends only the status line and header fields of a reply, with
    /// `content-length: content_length`, for a body that the caller writes afterwards.
    pub(crate) fn write_head(
        &mut self,
        reply: &Reply,
        request_id: &str,
        content_length: u64,
    ) -> io::Result<()> {
        let date = self.date();
        let head = head(reply, request_id, date.as_deref(), content_length);
        self.stream.write_all(head.as_bytes())?;
        self.stream.flush()
    }

    /// Reads more bytes into the buffer. Fails with `UnexpectedEof` when the peer closed.
    fn fill(&mut self) -> io::Result<()> {
        let mut chunk = [0_u8; 16 * 1024];
        let read = self.stream.read(&mut chunk)?;
        if read == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        self.buffer.extend_from_slice(&chunk[..read]);
        Ok(())
    }

    /// Reads the request line and header fields, or `None` on a close before any byte.
    fn read_head(&mut self) -> Result<Option<Head>, ReadError> {
        loop {
            if let Some(head) = self.parse_head()? {
                return Ok(Some(head));
            }
            if self.buffer.len() > MAX_HEAD {
                return Err(reject(431, "Request Header Fields Too Large"));
            }
            match self.fill() {
                Ok(()) => {}
                Err(error) if self.buffer.is_empty() && is_closed(&error) => return Ok(None),
                Err(error) => return Err(error.into()),
            }
        }
    }

    /// Parses a complete head from the buffer and consumes it, or returns `None` when more
    /// bytes are needed.
    fn parse_head(&mut self) -> Result<Option<Head>, ReadError> {
        let mut fields = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut parsed = httparse::Request::new(&mut fields);
        let length = match parsed.parse(&self.buffer) {
            Ok(httparse::Status::Complete(length)) => length,
            Ok(httparse::Status::Partial) => return Ok(None),
            Err(httparse::Error::TooManyHeaders) => {
                return Err(reject(431, "Request Header Fields Too Large"));
            }
            Err(_) => return Err(reject(400, "Bad Request")),
        };

        // A complete parse always fills method, path and version.
        let (Some(method), Some(path), Some(version)) =
            (parsed.method, parsed.path, parsed.version)
        else {
            return Err(reject(400, "Bad Request"));
        };
        let headers: Vec<(String, String)> = parsed
            .headers
            .iter()
            .map(|field| {
                let value = String::from_utf8_lossy(field.value).into_owned();
                (field.name.to_ascii_lowercase(), value)
            })
            .collect();
        let request = RecordedRequest {
            method: method.to_owned(),
            path: path.to_owned(),
            headers,
            body: Vec::new(),
            connection: self.connection,
        };
        let close = wants_close(&request, version);

        self.buffer.drain(..length);
        Ok(Some(Head { request, close }))
    }

    fn read_body(&mut self, framing: Framing) -> Result<Body, ReadError> {
        match framing {
            Framing::Length(length) => self.read_sized_body(length),
            Framing::Chunked => self.read_chunked_body(),
        }
    }

    /// Reads a `content-length` body, or drops it when it is over [`MAX_BODY`].
    fn read_sized_body(&mut self, length: usize) -> Result<Body, ReadError> {
        if length > MAX_DISCARD {
            return Ok(Body::Dropped { closing: true });
        }
        let body = self.take(length)?;
        if length > MAX_BODY {
            return Ok(Body::Dropped { closing: false });
        }
        Ok(Body::Kept(body))
    }

    /// Reads a chunked body: `chunk-size [extensions] CRLF data CRLF`, repeated until a
    /// chunk of size 0, then trailer fields up to an empty line.
    fn read_chunked_body(&mut self) -> Result<Body, ReadError> {
        let mut body = Vec::new();
        let mut total = 0_usize;
        loop {
            let line = self.take_line()?;
            let size = chunk_size(&line).ok_or_else(|| reject(400, "Bad Request"))?;
            if size == 0 {
                break;
            }
            total = total.saturating_add(size);
            if total > MAX_DISCARD {
                return Ok(Body::Dropped { closing: true });
            }

            let data = self.take(size)?;
            if total <= MAX_BODY {
                body.extend_from_slice(&data);
            }
            if !self.take_line()?.is_empty() {
                return Err(reject(400, "Bad Request"));
            }
        }

        // Trailer fields end with an empty line.
        while !self.take_line()?.is_empty() {}
        if total > MAX_BODY {
            return Ok(Body::Dropped { closing: false });
        }
        Ok(Body::Kept(body))
    }

    /// Consumes exactly `length` bytes.
    fn take(&mut self, length: usize) -> Result<Vec<u8>, ReadError> {
        while self.buffer.len() < length {
            self.fill()?;
        }
        Ok(self.buffer.drain(..length).collect())
    }

    /// Consumes one line ending in CRLF and returns it without the CRLF.
    fn take_line(&mut self) -> Result<Vec<u8>, ReadError> {
        loop {
            if let Some(end) = self.buffer.windows(2).position(|pair| pair == b"\r\n") {
                let mut line: Vec<u8> = self.buffer.drain(..end + 2).collect();
                line.truncate(end);
                return Ok(line);
            }
            if self.buffer.len() > MAX_CHUNK_LINE {
                return Err(reject(400, "Bad Request"));
            }
            self.fill()?;
        }
    }
}

/// A request body, or the fact that it was too large and was dropped.
enum Body {
    Kept(Vec<u8>),
    /// `closing` is true when the fake stopped reading, so the connection must close.
    Dropped {
        closing: bool,
    },
}

fn reject_with(reply: Reply, request: RecordedRequest) -> ReadError {
    ReadError::Reject(Box::new(Rejection {
        reply,
        request: Some(request),
    }))
}

/// Formats the status line and header fields, ending with the empty line. `date` is
/// added unless the reply has its own `date` field.
fn head(reply: &Reply, request_id: &str, date: Option<&str>, content_length: u64) -> String {
    let mut head = format!("HTTP/1.1 {} {}\r\n", reply.status, reason(reply.status));
    for (name, value) in &reply.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    let has_date = reply
        .headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("date"));
    if let Some(date) = date
        && !has_date
    {
        head.push_str(&format!("date: {date}\r\n"));
    }
    head.push_str(&format!("seam-request-id: {request_id}\r\n"));
    head.push_str(&format!("content-length: {content_length}\r\n"));
    if reply.close {
        head.push_str("connection: close\r\n");
    }
    head.push_str("\r\n");
    head
}

/// Decides how the body is delimited, following RFC 9112 section 6.3.
fn framing(request: &RecordedRequest) -> Result<Framing, &'static str> {
    let encodings: Vec<&str> = values(request, "transfer-encoding").collect();
    let lengths: Vec<&str> = values(request, "content-length").collect();
    if !encodings.is_empty() {
        // Both headers together are how request smuggling works, so they are rejected.
        if !lengths.is_empty() {
            return Err("Bad Request: both transfer-encoding and content-length");
        }
        if encodings.len() == 1 && encodings[0].eq_ignore_ascii_case("chunked") {
            return Ok(Framing::Chunked);
        }
        return Err("Bad Request: only transfer-encoding chunked is supported");
    }

    // Repeated content-length fields, or one with a list, must all agree.
    let mut length = None;
    for text in lengths {
        let valid = !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit());
        let parsed = text.parse::<usize>().ok().filter(|_| valid);
        match (parsed, length) {
            (None, _) => return Err("Bad Request: invalid content-length"),
            (Some(value), Some(seen)) if value != seen => {
                return Err("Bad Request: conflicting content-length");
            }
            (Some(value), _) => length = Some(value),
        }
    }
    Ok(Framing::Length(length.unwrap_or(0)))
}

/// Returns the comma-separated elements of every field called `name`, trimmed.
fn values<'a>(request: &'a RecordedRequest, name: &'a str) -> impl Iterator<Item = &'a str> {
    request
        .headers
        .iter()
        .filter(move |(field, _)| field == name)
        .flat_map(|(_, value)| value.split(','))
        .map(str::trim)
}

/// Reads a chunk-size line: hexadecimal digits, then optional `;extension`s.
fn chunk_size(line: &[u8]) -> Option<usize> {
    let text = std::str::from_utf8(line).ok()?;
    let digits = text.split(';').next()?.trim_end_matches([' ', '\t']);
    if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        return None;
    }
    usize::from_str_radix(digits, 16).ok()
}

/// Returns whether the connection closes after this request: HTTP/1.0 closes unless
/// `connection: keep-alive`, HTTP/1.1 stays open unless `connection: close`.
fn wants_close(request: &RecordedRequest, version: u8) -> bool {
    let has = |option: &str| {
        values(request, "connection").any(|value| value.eq_ignore_ascii_case(option))
    };
    if version == 0 {
        !has("keep-alive")
    } else {
        has("close")
    }
}

/// Returns whether a read error means the peer went away, rather than a fault worth logging.
pub(crate) fn is_closed(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::UnexpectedEof
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
    )
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        302 => "Found",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Content Too Large",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// An in-memory stream: reads come from `input`, writes go to `output`.
    struct Duplex {
        input: Cursor<Vec<u8>>,
        output: Vec<u8>,
    }

    impl Read for Duplex {
        fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
            self.input.read(buffer)
        }
    }

    impl Write for Duplex {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.output.write(bytes)
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn connection(input: &[u8]) -> HttpConnection<Duplex> {
        let stream = Duplex {
            input: Cursor::new(input.to_vec()),
            output: Vec::new(),
        };
        HttpConnection::new(stream, 1)
    }

    fn rejected_status(result: Result<Option<(RecordedRequest, bool)>, ReadError>) -> u16 {
        match result {
            Err(ReadError::Reject(rejection)) => rejection.reply.status,
            other => panic!("expected a rejection, got {other:?}"),
        }
    }

    #[test]
    fn reads_two_pipelined_requests() {
        let input = b"POST /a HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcGET /b HTTP/1.1\r\n\r\n";
        let mut http = connection(input);

        let (first, close) = http.read_request().unwrap().unwrap();
        assert_eq!(first.body, b"abc");
        assert!(!close);
        let (second, _) = http.read_request().unwrap().unwrap();
        assert_eq!(second.path, "/b");
        assert!(http.read_request().unwrap().is_none());
    }

    #[test]
    fn reads_chunked_body_with_trailer() {
        let input = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n\
            3;name=value\r\nabc\r\n2\r\nde\r\n0\r\nx-trailer: 1\r\n\r\n";
        let (request, _) = connection(input).read_request().unwrap().unwrap();
        assert_eq!(request.body, b"abcde");
    }

    #[test]
    fn http10_closes_by_default() {
        let (_, close) = connection(b"GET / HTTP/1.0\r\n\r\n")
            .read_request()
            .unwrap()
            .unwrap();
        assert!(close);
    }

    #[test]
    fn rejects_bad_framing() {
        let cases: [&[u8]; 6] = [
            b"POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
            b"POST / HTTP/1.1\r\nContent-Length: +1\r\n\r\n",
            b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            b"NOT HTTP\r\n\r\n",
        ];
        for input in cases {
            let status = rejected_status(connection(input).read_request());
            assert_eq!(status, 400, "{}", String::from_utf8_lossy(input));
        }
    }

    #[test]
    fn drops_oversized_body_and_keeps_connection() {
        let mut input = format!(
            "POST / HTTP/1.1\r\nContent-Length: {}\r\n\r\n",
            MAX_BODY + 1
        )
        .into_bytes();
        input.resize(input.len() + MAX_BODY + 1, b'x');
        input.extend_from_slice(b"GET /next HTTP/1.1\r\n\r\n");
        let mut http = connection(&input);

        match http.read_request() {
            Err(ReadError::Reject(rejection)) => {
                assert_eq!(rejection.reply.status, 413);
                assert!(!rejection.reply.close);
                assert!(rejection.request.is_some());
            }
            other => panic!("expected 413, got {other:?}"),
        }
        let (next, _) = http.read_request().unwrap().unwrap();
        assert_eq!(next.path, "/next");
    }

    #[test]
    fn closes_after_huge_declared_length() {
        let input = format!("POST / HTTP/1.1\r\nContent-Length: {}\r\n\r\n", usize::MAX);
        match connection(input.as_bytes()).read_request() {
            Err(ReadError::Reject(rejection)) => {
                assert_eq!(rejection.reply.status, 413);
                assert!(rejection.reply.close);
            }
            other => panic!("expected 413, got {other:?}"),
        }
    }

    #[test]
    fn sends_100_continue_when_expected() {
        let input = b"POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx";
        let mut http = connection(input);
        http.read_request().unwrap().unwrap();
        assert_eq!(http.stream.output, b"HTTP/1.1 100 Continue\r\n\r\n");
    }

    /// Mutates a valid chunked request at random bytes, with a fixed-seed xorshift
    /// generator, and checks that reading 5000 such inputs neither panics nor hangs.
    #[test]
    fn survives_mutated_requests() {
        let valid = b"PATCH /acs/credentials/update?x=1 HTTP/1.1\r\nHost: a\r\n\
            Transfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n\
            4;e=1\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\nt: v\r\n\r\n";
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..5000 {
            let mut input = valid.to_vec();
            for _ in 0..(next() % 4 + 1) {
                let at = (next() % input.len() as u64) as usize;
                input[at] = next() as u8;
            }
            let mut http = connection(&input);
            for _ in 0..4 {
                if !matches!(http.read_request(), Ok(Some(_))) {
                    break;
                }
            }
        }
    }

    #[test]
    fn writes_request_id_and_length() {
        let mut http = connection(b"");
        http.write_reply(&Reply::text(404, "404"), "req_7").unwrap();
        let written = String::from_utf8(http.stream.output).unwrap();
        assert!(written.starts_with("HTTP/1.1 404 Not Found\r\n"));
        assert!(written.contains("seam-request-id: req_7\r\n"));
        assert!(written.contains("content-length: 3\r\n"));
        assert!(written.contains(" GMT\r\n"));
        assert!(written.ends_with("\r\n\r\n404"));
    }

    #[test]
    fn date_left_out_when_reply_has_one() {
        let mut http = connection(b"");
        let reply = Reply::text(200, "").with_header("Date", "Sun, 06 Nov 1994 08:49:37 GMT");
        http.write_reply(&reply, "req_1").unwrap();
        let written = String::from_utf8(http.stream.output).unwrap();
        assert_eq!(written.matches("ate: ").count(), 1, "{written}");
    }

    #[test]
    fn date_left_out_without_skew() {
        let mut http = connection(b"");
        http.set_date_skew(None);
        http.write_reply(&Reply::text(200, ""), "req_1").unwrap();
        let written = String::from_utf8(http.stream.output).unwrap();
        assert!(!written.contains("date:"), "{written}");
    }
}
