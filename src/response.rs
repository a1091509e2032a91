//! Turning a server's reply into a value or an [`Error`], by Seam's rules: a response is a
//! Seam error only when it is JSON with a string `error.type` and `error.message`, and every
//! 401 is "unauthorized" whatever its body.

use miniserde::json::{self, Object, Value};

use crate::credential::AcsCredential;
use crate::error::{Error, ResponseError, SeamError, ValidationError, excerpt};

/// Characters of a non-Seam body kept in an error message.
const EXCERPT_CHARS: usize = 200;

/// A complete response, read with a size cap.
#[derive(Debug, Default)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) request_id: Option<String>,
    pub(crate) content_type: Option<String>,
    pub(crate) location: Option<String>,
    /// The `retry-after` header, as sent.
    pub(crate) retry_after: Option<String>,
    /// The `date` header, as sent.
    pub(crate) date: Option<String>,
    pub(crate) body: Vec<u8>,
    /// The body was longer than the cap and was cut.
    pub(crate) truncated: bool,
}

impl Reply {
    fn is_json(&self) -> bool {
        self.content_type.as_deref().is_some_and(is_json_media_type)
    }

    fn parse_json(&self) -> Option<Value> {
        if self.truncated {
            return None;
        }
        let text = std::str::from_utf8(&self.body).ok()?;
        json::from_str::<Value>(text).ok()
    }
}

/// Returns whether a content type is JSON: `application/json` or a `+json` type, with any
/// parameters.
fn is_json_media_type(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("application/json")
        || essence.to_ascii_lowercase().ends_with("+json")
}

/// Read access to the fields of a JSON object that tolerates missing keys, `null`s and
/// values of an unexpected type by treating them as absent.
pub(crate) struct Fields<'a>(&'a Object);

impl<'a> Fields<'a> {
    pub(crate) fn new(value: &'a Value) -> Option<Fields<'a>> {
        match value {
            Value::Object(object) => Some(Fields(object)),
            _ => None,
        }
    }

    pub(crate) fn get(&self, key: &str) -> Option<&'a Value> {
        self.0.get(key)
    }

    pub(crate) fn string(&self, key: &str) -> Option<String> {
        match self.0.get(key) {
            Some(Value::String(text)) => Some(text.clone()),
            _ => None,
        }
    }

    pub(crate) fn bool(&self, key: &str) -> Option<bool> {
        match self.0.get(key) {
            Some(Value::Bool(flag)) => Some(*flag),
            _ => None,
        }
    }

    fn strings(&self, key: &str) -> Vec<String> {
        match self.0.get(key) {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|item| match item {
                    Value::String(text) => Some(text.clone()),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// Returns the body of a success as JSON, `Ok(None)` for an empty body or a JSON body that
/// cannot be decoded (the request was applied; a warning is logged), and
/// an error for any other status or for a success whose body is not JSON.
pub(crate) fn success_json(reply: &Reply) -> Result<Option<Value>, Error> {
    if !(200..300).contains(&reply.status) {
        return Err(error_from_reply(reply));
    }
    if reply.body.iter().all(u8::is_ascii_whitespace) && !reply.truncated {
        return Ok(None);
    }
    if !reply.is_json() {
        return Err(Error::Http(Box::new(response_error(reply, None))));
    }
    let value = reply.parse_json();
    if value.is_none() {
        log::warn!(
            "http {} was success, but its JSON body could not be read{}",
            reply.status,
            request_id_suffix(reply)
        );
    }
    Ok(value)
}

/// Returns the `acs_credential` of a success, or `None` when the body has none.
pub(crate) fn optional_credential(reply: &Reply) -> Result<Option<AcsCredential>, Error> {
    let Some(value) = success_json(reply)? else {
        return Ok(None);
    };
    let Some(credential) = Fields::new(&value).and_then(|fields| fields.get("acs_credential"))
    else {
        return Ok(None);
    };
    if matches!(credential, Value::Null) {
        return Ok(None);
    }
    let parsed = AcsCredential::from_json(credential);
    if parsed.is_none() {
        log::warn!(
            "the acs_credential in the response could not be read{}",
            request_id_suffix(reply)
        );
    }
    Ok(parsed)
}

/// An error for a success whose body lacks what the call returns.
pub(crate) fn unreadable(reply: &Reply) -> Error {
    Error::Http(Box::new(response_error(reply, None)))
}

fn request_id_suffix(reply: &Reply) -> String {
    reply
        .request_id
        .as_deref()
        .map_or_else(String::new, |id| format!(" (request id {id})"))
}

/// Seam error types that mean the credentials were not accepted, whatever the status.
///
/// NOTE: Seam's fake (`@seamapi/fake-seam-connect` 1.86.0) returns 400 for an unknown API key on
/// `/workspaces/get`, type `missing_workspace_id`, because it reports the failure of the
/// last authentication method it tried. Mapping these types to [`Error::Unauthorized`]
/// keeps "wrong key" one error whichever method the server tried last.
const AUTH_ERROR_TYPES: [&str; 3] = [
    "unauthorized",
    "access_token_used_for_api_key",
    "missing_workspace_id",
];

/// Maps a response that is not a success to the matching [`Error`] variant.
pub(crate) fn error_from_reply(reply: &Reply) -> Error {
    let seam = if reply.is_json() {
        reply.parse_json().as_ref().and_then(seam_error)
    } else {
        None
    };
    let is_seam = seam.is_some();
    let is_auth_type = seam
        .as_ref()
        .is_some_and(|seam| AUTH_ERROR_TYPES.contains(&seam.error_type.as_str()));
    let response = Box::new(response_error(reply, seam));
    match reply.status {
        401 => Error::Unauthorized(response),
        403 => Error::Forbidden(response),
        400..=499 if is_auth_type => Error::Unauthorized(response),
        _ if is_seam => Error::Api(response),
        _ => Error::Http(response),
    }
}

fn response_error(reply: &Reply, seam: Option<SeamError>) -> ResponseError {
    // A byte order mark, which RFC 8259 section 8.1 lets a JSON parser skip, must not
    // make a JSON body look like text and reveal its PIN code.
    let body = reply
        .body
        .strip_prefix(b"\xef\xbb\xbf")
        .unwrap_or(&reply.body);
    let looks_like_json = body
        .iter()
        .find(|byte| !byte.is_ascii_whitespace())
        .is_some_and(|byte| matches!(byte, b'{' | b'['));
    let is_success = (200..300).contains(&reply.status);
    let mut text = if seam.is_some() {
        String::new()
    } else if is_success && looks_like_json {
        // A success body may hold the credential with its PIN code, so it is not shown.
        format!("{} bytes of JSON not shown", reply.body.len())
    } else {
        excerpt(&reply.body, EXCERPT_CHARS)
    };
    if reply.truncated && seam.is_none() {
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str("(body larger than the size cap)");
    }
    ResponseError {
        status: reply.status,
        request_id: reply.request_id.clone(),
        seam,
        excerpt: text,
        location: reply.location.clone(),
    }
}

/// Reads Seam's envelope `{"error": {"type", "message", "validation_errors"?}}`.
fn seam_error(value: &Value) -> Option<SeamError> {
    let error = Fields::new(Fields::new(value)?.get("error")?)?;
    let error_type = error.string("type")?;
    let message = error.string("message")?;
    let (validation_errors, errors) = match error.get("validation_errors") {
        Some(value) => validation_errors(value),
        None => (Vec::new(), Vec::new()),
    };
    Some(SeamError {
        error_type,
        message,
        validation_errors,
        errors,
    })
}

/// Reads `{"_errors": [...], "<parameter>": {"_errors": [...]}, ...}` into the per-parameter
/// messages and the request-wide ones. Nested objects deeper than one level are flattened
/// into dotted parameter names such as `device.name`.
fn validation_errors(value: &Value) -> (Vec<ValidationError>, Vec<String>) {
    let Some(fields) = Fields::new(value) else {
        return (Vec::new(), Vec::new());
    };
    let mut parameters = Vec::new();
    collect_parameters(fields.0, "", &mut parameters);
    (parameters, fields.strings("_errors"))
}

/// Deepest nesting of `validation_errors` read; Seam's parameters nest a few levels, and a
/// hostile body nested thousands deep must not exhaust the stack.
const MAX_VALIDATION_DEPTH: usize = 8;

fn collect_parameters(object: &Object, prefix: &str, out: &mut Vec<ValidationError>) {
    if prefix.split('.').count() > MAX_VALIDATION_DEPTH {
        return;
    }
    for (key, value) in object {
        if key == "_errors" {
            continue;
        }
        let Some(fields) = Fields::new(value) else {
            continue;
        };
        let name = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        let messages = fields.strings("_errors");
        if !messages.is_empty() {
            out.push(ValidationError {
                parameter: name.clone(),
                messages,
            });
        }
        collect_parameters(fields.0, &name, out);
    }
}
