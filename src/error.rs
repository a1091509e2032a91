//! The crate's one error type and the details each kind carries.

use std::error::Error as StdError;
use std::fmt;

use crate::timestamp::TimestampError;

/// Everything that can go wrong when building a client or updating a credential.
///
/// `Display` describes this layer only; the underlying cause, where there is one, is in
/// [`source()`](StdError::source), so printing the chain never repeats itself. No variant
/// ever contains the API key, the personal access token or a PIN code.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A value failed a local check, so nothing was sent.
    InvalidInput(InputError),
    /// The server returned 401, or another 4xx whose Seam error type is about
    /// authentication: the token is missing, wrong, revoked or lacks a workspace.
    Unauthorized(Box<ResponseError>),
    /// The server returned 403: the token is valid but not allowed to do this.
    Forbidden(Box<ResponseError>),
    /// The server returned Seam's JSON error envelope (any status but 401 and 403).
    Api(Box<ResponseError>),
    /// The server returned an HTTP error that is not a Seam error, an unexpected
    /// redirect, or a success whose body is not JSON (a captive portal or proxy page).
    Http(Box<ResponseError>),
    /// No complete response arrived: DNS, connect, TLS, timeout or a closed connection.
    Transport(Box<TransportError>),
    /// The client's configuration is unusable: no token, conflicting settings, a bad token
    /// prefix, an unreadable CA file or a malformed endpoint or proxy.
    Config(ConfigError),
    /// The outbox folder could not store, read or change an entry: it is full, its disk is
    /// full, it is not writable, its permissions are too wide, or another process holds
    /// its lock.
    Outbox(Box<OutboxError>),
}

impl Error {
    /// Returns whether the same request may succeed later without any change: transport
    /// failures and the statuses 408, 429, 500, 502, 503 and 504, and a success status whose
    /// body is not JSON.
    pub fn is_temporary(&self) -> bool {
        match self {
            Error::Transport(_) => true,
            Error::Outbox(error) => error.kind == OutboxErrorKind::Busy,
            Error::Api(response) | Error::Http(response) => response.is_temporary(),
            _ => false,
        }
    }

    /// Returns the HTTP status of the response that caused this error, if one arrived.
    pub fn status(&self) -> Option<u16> {
        self.response().map(ResponseError::status)
    }

    /// Returns the response details for the variants that carry them.
    pub fn response(&self) -> Option<&ResponseError> {
        match self {
            Error::Unauthorized(response)
            | Error::Forbidden(response)
            | Error::Api(response)
            | Error::Http(response) => Some(response),
            _ => None,
        }
    }

    /// Replaces every occurrence of the secrets (the token, a PIN code) in text that the
    /// server sent, so that a proxy, firewall or server that echoes the request cannot make
    /// an error show them. Secrets shorter than three characters are left alone, since
    /// masking them would garble the message without protecting anything.
    pub(crate) fn redact(mut self, secrets: &[&str]) -> Error {
        let secrets: Vec<&str> = secrets.iter().copied().filter(|s| s.len() >= 3).collect();
        let scrub = |text: &mut String| {
            for secret in &secrets {
                if text.contains(secret) {
                    *text = text.replace(secret, "***");
                }
            }
        };
        if let Error::Unauthorized(response)
        | Error::Forbidden(response)
        | Error::Api(response)
        | Error::Http(response) = &mut self
        {
            scrub(&mut response.excerpt);
            if let Some(location) = &mut response.location {
                scrub(location);
            }
            if let Some(seam) = &mut response.seam {
                scrub(&mut seam.message);
                seam.errors.iter_mut().for_each(&scrub);
                for parameter in &mut seam.validation_errors {
                    parameter.messages.iter_mut().for_each(&scrub);
                }
            }
        }
        self
    }

    pub(crate) fn config(message: impl Into<String>) -> Error {
        Error::Config(ConfigError {
            message: message.into(),
            source: None,
        })
    }

    pub(crate) fn config_with_source(
        message: impl Into<String>,
        source: impl StdError + Send + Sync + 'static,
    ) -> Error {
        Error::Config(ConfigError {
            message: message.into(),
            source: Some(Box::new(source)),
        })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidInput(error) => error.fmt(f),
            Error::Unauthorized(response) => {
                write!(f, "unauthorized")?;
                response.fmt_summary(f)?;
                write!(
                    f,
                    "; check the API key, or the personal access token and workspace id"
                )
            }
            Error::Forbidden(response) => {
                write!(f, "forbidden")?;
                response.fmt_summary(f)?;
                write!(f, "; the token is valid but may not make this request")
            }
            Error::Api(response) => {
                write!(f, "seam api error")?;
                response.fmt_summary(f)
            }
            Error::Http(response) => {
                write!(f, "unexpected http response")?;
                response.fmt_summary(f)
            }
            Error::Transport(error) => error.fmt(f),
            Error::Config(error) => error.fmt(f),
            Error::Outbox(error) => error.fmt(f),
        }
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match self {
            Error::InvalidInput(error) => error.source(),
            Error::Transport(error) => error.source(),
            Error::Config(error) => error.source(),
            Error::Outbox(error) => error.source(),
            _ => None,
        }
    }
}

/// A request field that failed a local check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub(crate) field: &'static str,
    pub(crate) value: Option<String>,
    pub(crate) problem: String,
    pub(crate) source: Option<TimestampError>,
}

impl InputError {
    pub(crate) fn new(field: &'static str, value: Option<&str>, problem: String) -> InputError {
        InputError {
            field,
            value: value.map(str::to_owned),
            problem,
            source: None,
        }
    }

    /// Returns the name of the field as Seam's API spells it, for example `ends_at`.
    pub fn field(&self) -> &str {
        self.field
    }

    /// Returns the rejected value, or `None` for a PIN code, which is never repeated.
    pub fn value(&self) -> Option<&str> {
        self.value.as_deref()
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid {}", self.field)?;
        if let Some(value) = &self.value {
            write!(f, " {}", Quoted(value))?;
        }
        if !self.problem.is_empty() {
            write!(f, ": {}", self.problem)?;
        }
        Ok(())
    }
}

impl StdError for InputError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_ref()
            .map(|error| error as &(dyn StdError + 'static))
    }
}

/// A response with a status that is not success, or a success response that
/// cannot be trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseError {
    pub(crate) status: u16,
    pub(crate) request_id: Option<String>,
    pub(crate) seam: Option<SeamError>,
    pub(crate) excerpt: String,
    pub(crate) location: Option<String>,
}

/// The parts of Seam's error envelope, `{"error": {"type", "message", "validation_errors"}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SeamError {
    pub(crate) error_type: String,
    pub(crate) message: String,
    pub(crate) validation_errors: Vec<ValidationError>,
    pub(crate) errors: Vec<String>,
}

/// The server's complaint about one request parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    /// The parameter's name, for example `code`.
    pub parameter: String,
    /// The server's messages about it, in the order sent.
    pub messages: Vec<String>,
}

impl ResponseError {
    /// Returns the HTTP status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// Returns the `seam-request-id` response header, which Seam's support requests when you report a problem.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// Returns Seam's error type, for example `invalid_input`, when the body was Seam's
    /// JSON error envelope.
    pub fn error_type(&self) -> Option<&str> {
        self.seam.as_ref().map(|seam| seam.error_type.as_str())
    }

    /// Returns Seam's error message, when the body was Seam's JSON error envelope.
    pub fn message(&self) -> Option<&str> {
        self.seam.as_ref().map(|seam| seam.message.as_str())
    }

    /// Returns the per-parameter messages of an `invalid_input` error.
    pub fn validation_errors(&self) -> &[ValidationError] {
        self.seam
            .as_ref()
            .map_or(&[], |seam| seam.validation_errors.as_slice())
    }

    /// Returns the messages about the request as a whole (`validation_errors._errors`).
    pub fn errors(&self) -> &[String] {
        self.seam
            .as_ref()
            .map_or(&[], |seam| seam.errors.as_slice())
    }

    /// Returns the start of the body, escaped and cut to a short length, for errors whose
    /// body is not Seam's envelope. Empty when the body was empty.
    pub fn body_excerpt(&self) -> &str {
        &self.excerpt
    }

    /// Returns the `location` header of a redirect, which was not followed.
    pub fn location(&self) -> Option<&str> {
        self.location.as_deref()
    }

    /// Returns whether the status means "try again later", or a success came with a body
    /// that is not JSON and so was probably sent by something other than Seam.
    pub fn is_temporary(&self) -> bool {
        matches!(self.status, 200..=299 | 408 | 429 | 500 | 502 | 503 | 504)
    }

    fn fmt_summary(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, " (http {}", self.status)?;
        if let Some(id) = &self.request_id {
            write!(f, ", request id {id}")?;
        }
        write!(f, ")")?;
        if let Some(seam) = &self.seam {
            let error_type = Escaped(&seam.error_type);
            write!(f, ": {error_type}: {}", Escaped(&seam.message))?;
            for error in &seam.errors {
                write!(f, "; {}", Escaped(error))?;
            }
            for parameter in &seam.validation_errors {
                let messages = parameter.messages.join(", ");
                write!(
                    f,
                    "; {}: {}",
                    Escaped(&parameter.parameter),
                    Escaped(&messages)
                )?;
            }
            return Ok(());
        }
        if let Some(location) = &self.location {
            write!(f, ": redirect to {} not followed", Quoted(location))?;
        } else if (200..300).contains(&self.status) {
            write!(f, ": the body is not JSON, so it did not come from Seam")?;
        }
        if self.excerpt.is_empty() {
            write!(f, ", empty body")
        } else {
            write!(f, ", body: {}", self.excerpt)
        }
    }
}

/// A request that got no complete response.
#[derive(Debug)]
pub struct TransportError {
    pub(crate) kind: TransportErrorKind,
    pub(crate) target: String,
    /// The proxy the request went through, password hidden.
    pub(crate) proxy: Option<String>,
    pub(crate) detail: Option<String>,
    pub(crate) source: Option<ureq::Error>,
}

/// The stage at which a request without a response failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// The host name did not resolve.
    Dns,
    /// The TCP connection, or the proxy's CONNECT, failed.
    Connect,
    /// The TLS handshake failed for a reason other than the clock, for example an unknown
    /// certificate authority or a certificate for another host name.
    Tls,
    /// The server's certificate is expired or not yet valid by this device's clock, which
    /// on devices without a real-time clock usually means the clock is wrong.
    TlsClock,
    /// The connect timeout or the per-attempt timeout ran out.
    Timeout,
    /// The connection closed, or the server broke HTTP, before a full response arrived.
    ClosedEarly,
}

impl TransportError {
    /// Returns where the request failed.
    pub fn kind(&self) -> TransportErrorKind {
        self.kind
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let target = &self.target;
        match self.kind {
            TransportErrorKind::Dns => write!(f, "could not resolve host {target}"),
            TransportErrorKind::Connect => write!(f, "could not connect to {target}"),
            TransportErrorKind::Tls => write!(f, "tls handshake with {target} failed"),
            TransportErrorKind::TlsClock => write!(
                f,
                "the tls certificate of {target} is not valid at this device's clock"
            ),
            TransportErrorKind::Timeout => write!(f, "request to {target} timed out"),
            TransportErrorKind::ClosedEarly => {
                write!(f, "connection to {target} ended before a full response")
            }
        }?;
        if let Some(proxy) = &self.proxy {
            write!(f, " through proxy {proxy}")?;
        }
        if let Some(detail) = &self.detail {
            write!(f, " ({detail})")?;
        }
        Ok(())
    }
}

impl StdError for TransportError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_ref()
            .map(|error| error as &(dyn StdError + 'static))
    }
}

/// A configuration that cannot work.
#[derive(Debug)]
pub struct ConfigError {
    message: String,
    source: Option<Box<dyn StdError + Send + Sync>>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl StdError for ConfigError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_ref()
            .map(|error| error.as_ref() as &(dyn StdError + 'static))
    }
}

/// A failure of the outbox folder, with a message that names the path and the fix.
#[derive(Debug)]
pub struct OutboxError {
    pub(crate) kind: OutboxErrorKind,
    pub(crate) message: String,
    pub(crate) source: Option<std::io::Error>,
}

/// The reason an [`OutboxError`] happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OutboxErrorKind {
    /// Storing the update would pass the folder's limit of entries or bytes.
    Full,
    /// Another process held the folder's lock for longer than this one waits.
    Busy,
    /// The folder's permissions let other users read it.
    Permissions,
    /// A file operation failed, for example because the disk is full or read-only.
    Io,
}

impl OutboxError {
    /// Returns the reason of the failure.
    pub fn kind(&self) -> OutboxErrorKind {
        self.kind
    }
}

impl fmt::Display for OutboxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl StdError for OutboxError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_ref()
            .map(|error| error as &(dyn StdError + 'static))
    }
}

/// Writes a value in double quotes with control characters, quotes and backslashes
/// escaped, so that a hostile value cannot forge extra lines in a log or terminal.
pub(crate) struct Quoted<'a>(pub(crate) &'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{}\"", self.0.escape_debug())
    }
}

/// Writes server-sent text with control characters escaped, so that a hostile server cannot
/// forge log lines or send terminal escape sequences.
pub(crate) struct Escaped<'a>(pub(crate) &'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            if c.is_control() {
                write!(f, "{}", c.escape_default())?;
            } else {
                write!(f, "{c}")?;
            }
        }
        Ok(())
    }
}

/// Returns at most `max_chars` characters of `body`, lossily decoded and escaped, with
/// `...` when it was cut.
pub(crate) fn excerpt(body: &[u8], max_chars: usize) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    let mut out: String = text.chars().take(max_chars).collect::<String>();
    let cut = out.len() < text.len();
    out = out.escape_debug().to_string();
    if cut {
        out.push_str("...");
    }
    out
}
