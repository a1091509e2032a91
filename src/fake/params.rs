//! Validation of request parameters, reported the way Seam reports them.
//!
//! Seam's `validation_errors` object nests one `{"_errors": [...]}` per parameter and keeps
//! problems with the request as a whole in the top-level `_errors`. The messages use the
//! wording of the zod schema library, for example `Required` and
//! `Expected string, received number`.
//!
//! NOTE: the nesting matches Seam's documented `validation_errors` shape, but the message
//! texts were not compared with Seam's own, so clients should not match on them.

use std::collections::BTreeMap;

use miniserde::json::{Array, Object, Value};

use super::datetime::{self, UnixTime};

/// Parameters of `/acs/credentials/update`.
#[derive(Debug)]
pub(crate) struct UpdateParams {
    pub(crate) acs_credential_id: String,
    pub(crate) code: Option<String>,
    pub(crate) ends_at: Option<EndsAt>,
}

/// The `ends_at` parameter as sent and as an instant.
#[derive(Debug)]
pub(crate) struct EndsAt {
    pub(crate) text: String,
    pub(crate) instant: UnixTime,
}

/// The problems found in one request.
#[derive(Debug, Default)]
pub(crate) struct ValidationErrors {
    request: Vec<String>,
    parameters: BTreeMap<String, Vec<String>>,
}

impl ValidationErrors {
    /// Creates a report with one problem about the request as a whole.
    pub(crate) fn for_request(message: String) -> ValidationErrors {
        let mut errors = ValidationErrors::default();
        errors.request.push(message);
        errors
    }

    /// Creates a report with one problem about a parameter.
    pub(crate) fn for_parameter(name: &str, message: String) -> ValidationErrors {
        let mut errors = ValidationErrors::default();
        errors.add(name, message);
        errors
    }

    fn add(&mut self, name: &str, message: String) {
        self.parameters
            .entry(name.to_owned())
            .or_default()
            .push(message);
    }

    fn is_empty(&self) -> bool {
        self.request.is_empty() && self.parameters.is_empty()
    }

    /// Builds `{"_errors": [...], "<parameter>": {"_errors": [...]}, ...}`.
    pub(crate) fn to_json(&self) -> Value {
        let mut object = Object::new();
        object.insert("_errors".to_owned(), messages(&self.request));
        for (name, list) in &self.parameters {
            let mut nested = Object::new();
            nested.insert("_errors".to_owned(), messages(list));
            object.insert(name.clone(), Value::Object(nested));
        }
        Value::Object(object)
    }
}

fn messages(list: &[String]) -> Value {
    Value::Array(list.iter().cloned().map(Value::String).collect::<Array>())
}

/// Validates the parameters of `/acs/credentials/update` against the fake's clock.
///
/// The check of `ends_at` against the credential's `starts_at` needs the stored credential,
/// so the route makes it after this one.
pub(crate) fn update_params(body: &Value, now: UnixTime) -> Result<UpdateParams, ValidationErrors> {
    let object = expect_object(body)?;
    let mut errors = ValidationErrors::default();
    reject_unknown_keys(
        object,
        &["acs_credential_id", "code", "ends_at"],
        &mut errors,
    );

    let acs_credential_id = required_string(object, "acs_credential_id", &mut errors);
    let code = optional_string(object, "code", &mut errors);
    if code.is_some_and(|code| code.is_empty() || !code.bytes().all(|b| b.is_ascii_digit())) {
        errors.add(
            "code",
            "Invalid: must match ^\\d+$, digits 0-9 only".to_owned(),
        );
    }
    let ends_at = optional_string(object, "ends_at", &mut errors)
        .and_then(|text| check_ends_at(text, now, &mut errors));

    match acs_credential_id {
        Some(id) if errors.is_empty() => Ok(UpdateParams {
            acs_credential_id: id.to_owned(),
            code: code.map(str::to_owned),
            ends_at,
        }),
        _ => Err(errors),
    }
}

/// Validates the parameters of `/acs/credentials/get` and returns the credential id.
pub(crate) fn get_params(body: &Value) -> Result<String, ValidationErrors> {
    let object = expect_object(body)?;
    let mut errors = ValidationErrors::default();
    reject_unknown_keys(object, &["acs_credential_id"], &mut errors);
    let id = required_string(object, "acs_credential_id", &mut errors);
    match id {
        Some(id) if errors.is_empty() => Ok(id.to_owned()),
        _ => Err(errors),
    }
}

/// Checks that `ends_at` is a UTC date-time ending in `Z` and lies in the future.
fn check_ends_at(text: &str, now: UnixTime, errors: &mut ValidationErrors) -> Option<EndsAt> {
    let Some(instant) = datetime::parse_utc(text) else {
        let message = "Invalid datetime: expected YYYY-MM-DDTHH:MM:SS[.fraction]Z in UTC";
        errors.add("ends_at", message.to_owned());
        return None;
    };
    if instant <= now {
        errors.add("ends_at", "ends_at must be in the future".to_owned());
        return None;
    }
    Some(EndsAt {
        text: text.to_owned(),
        instant,
    })
}

fn expect_object(body: &Value) -> Result<&Object, ValidationErrors> {
    match body {
        Value::Object(object) => Ok(object),
        other => Err(ValidationErrors::for_request(format!(
            "Expected object, received {}",
            type_name(other)
        ))),
    }
}

fn reject_unknown_keys(object: &Object, known: &[&str], errors: &mut ValidationErrors) {
    let unknown: Vec<String> = object
        .keys()
        .filter(|key| !known.contains(&key.as_str()))
        .map(|key| format!("'{key}'"))
        .collect();
    if !unknown.is_empty() {
        let message = format!("Unrecognized key(s) in object: {}", unknown.join(", "));
        errors.request.push(message);
    }
}

fn required_string<'a>(
    object: &'a Object,
    name: &str,
    errors: &mut ValidationErrors,
) -> Option<&'a str> {
    if !object.contains_key(name) {
        errors.add(name, "Required".to_owned());
        return None;
    }
    optional_string(object, name, errors)
}

/// Returns the parameter when it is a string. A value of another type, `null` included, is
/// recorded as an error.
fn optional_string<'a>(
    object: &'a Object,
    name: &str,
    errors: &mut ValidationErrors,
) -> Option<&'a str> {
    match object.get(name)? {
        Value::String(text) => Some(text),
        other => {
            errors.add(
                name,
                format!("Expected string, received {}", type_name(other)),
            );
            None
        }
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Turns a query string into a JSON object. A name given twice becomes an array, so that
/// it fails the string check as a JSON array would.
pub(crate) fn query_object(query: &str) -> Result<Value, ValidationErrors> {
    let mut object = Object::new();
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let (Some(name), Some(value)) = (percent_decode(name), percent_decode(value)) else {
            return Err(ValidationErrors::for_request(format!(
                "Invalid percent-encoding in query parameter {pair:?}"
            )));
        };
        append(&mut object, name, Value::String(value));
    }
    Ok(Value::Object(object))
}

fn append(object: &mut Object, name: String, value: Value) {
    match object.get_mut(&name) {
        None => {
            object.insert(name, value);
        }
        Some(Value::Array(values)) => values.push(value),
        Some(first) => {
            let first = std::mem::replace(first, Value::Null);
            let values: Array = [first, value].into_iter().collect();
            object.insert(name, Value::Array(values));
        }
    }
}

/// Decodes `%XX` escapes and `+` as space, as HTML forms encode queries. Returns `None`
/// for a malformed escape or a result that is not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        match byte {
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(index + 1..index + 3)?).ok()?;
                if !hex.bytes().all(|digit| digit.is_ascii_hexdigit()) {
                    return None;
                }
                decoded.push(u8::from_str_radix(hex, 16).ok()?);
                index += 3;
            }
            b'+' => {
                decoded.push(b' ');
                index += 1;
            }
            other => {
                decoded.push(other);
                index += 1;
            }
        }
    }
    String::from_utf8(decoded).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use miniserde::json;

    fn parse(text: &str) -> Value {
        json::from_str(text).unwrap()
    }

    fn errors_json(errors: &ValidationErrors) -> String {
        json::to_string(&errors.to_json())
    }

    fn now() -> UnixTime {
        datetime::parse_utc("2030-01-01T00:00:00Z").unwrap()
    }

    #[test]
    fn update_accepts_all_fields() {
        let body =
            parse(r#"{"acs_credential_id":"a","code":"0042","ends_at":"2031-01-01T00:00:00Z"}"#);
        let params = update_params(&body, now()).unwrap();
        assert_eq!(params.acs_credential_id, "a");
        assert_eq!(params.code.as_deref(), Some("0042"));
        assert_eq!(
            params.ends_at.map(|e| e.text).as_deref(),
            Some("2031-01-01T00:00:00Z")
        );
    }

    #[test]
    fn update_reports_each_parameter() {
        let cases = [
            (
                r#"{}"#,
                r#"{"_errors":[],"acs_credential_id":{"_errors":["Required"]}}"#,
            ),
            (
                r#"{"acs_credential_id":null}"#,
                r#"{"_errors":[],"acs_credential_id":{"_errors":["Expected string, received null"]}}"#,
            ),
            (
                r#"{"acs_credential_id":"a","code":12}"#,
                r#"{"_errors":[],"code":{"_errors":["Expected string, received number"]}}"#,
            ),
            (
                r#"{"acs_credential_id":"a","code":""}"#,
                r#"{"_errors":[],"code":{"_errors":["Invalid: must match ^\\d+$, digits 0-9 only"]}}"#,
            ),
            (
                r#"{"acs_credential_id":"a","ends_at":"2029-12-31T23:59:59Z"}"#,
                r#"{"_errors":[],"ends_at":{"_errors":["ends_at must be in the future"]}}"#,
            ),
            (
                r#"{"acs_credential_id":"a","extra":1,"more":2}"#,
                r#"{"_errors":["Unrecognized key(s) in object: 'extra', 'more'"]}"#,
            ),
            (
                r#"[]"#,
                r#"{"_errors":["Expected object, received array"]}"#,
            ),
        ];
        for (body, expected) in cases {
            let errors = update_params(&parse(body), now()).unwrap_err();
            assert_eq!(errors_json(&errors), expected, "{body}");
        }
    }

    #[test]
    fn update_rejects_offset_ends_at() {
        let body = parse(r#"{"acs_credential_id":"a","ends_at":"2031-01-01T00:00:00+00:00"}"#);
        let errors = update_params(&body, now()).unwrap_err();
        assert!(errors_json(&errors).contains("Invalid datetime"));
    }

    #[test]
    fn query_object_decodes_and_repeats() {
        let value = query_object("acs_credential_id=a%20b+c&x=1&x=2&&flag").unwrap();
        assert_eq!(
            json::to_string(&value),
            r#"{"acs_credential_id":"a b c","flag":"","x":["1","2"]}"#
        );
    }

    #[test]
    fn query_object_rejects_bad_escapes() {
        for query in ["a=%", "a=%4", "a=%zz", "a=%ff", "%c3=1"] {
            assert!(query_object(query).is_err(), "{query}");
        }
    }
}
