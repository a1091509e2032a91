//! Seam's endpoints as the fake implements them: authentication, routing and handlers.

use miniserde::json::{self, Object, Value};

use super::datetime::{self, UnixTime};
use super::http::Reply;
use super::params::{self, UpdateParams, ValidationErrors};
use super::store::{
    API_KEY, FakeCredential, PERSONAL_ACCESS_TOKEN, RecordedRequest, Store, WORKSPACE_ID,
};

/// The endpoints the fake serves.
#[derive(Clone, Copy, Debug)]
enum Route {
    UpdateCredential,
    GetCredential,
    GetWorkspace,
}

impl Route {
    fn from_path(path: &str) -> Option<Route> {
        match path {
            "/acs/credentials/update" => Some(Route::UpdateCredential),
            "/acs/credentials/get" => Some(Route::GetCredential),
            "/workspaces/get" => Some(Route::GetWorkspace),
            _ => None,
        }
    }

    /// Methods the route accepts, as sent in the `allow` header of a 405.
    fn allowed_methods(self) -> &'static str {
        match self {
            Route::UpdateCredential => "PATCH, POST",
            Route::GetCredential => "GET, POST",
            Route::GetWorkspace => "GET",
        }
    }
}

/// Routes one request and returns the reply. An unknown path gets Seam's plain-text `404`
/// without an authentication check. A known path checks authentication before the method.
pub(crate) fn handle(store: &Store, request: &RecordedRequest) -> Reply {
    let Some(route) = Route::from_path(request.route()) else {
        return Reply::text(404, "404");
    };
    if let Err(reply) = authorize(request) {
        return reply;
    }

    match (route, request.method.as_str()) {
        (Route::UpdateCredential, "PATCH" | "POST") => update_credential(store, request),
        (Route::GetCredential, "GET") => get_credential_by_query(store, request),
        (Route::GetCredential, "POST") => get_credential_by_body(store, request),
        (Route::GetWorkspace, "GET") => get_workspace(),
        _ => Reply::error(405, "method_not_allowed", "Method not allowed")
            .with_header("allow", route.allowed_methods()),
    }
}

/// Checks `authorization: Bearer <token>`.
///
/// The API key is accepted alone. The personal access token also needs
/// `seam-workspace: <workspace id>` naming the fake's workspace. Without that header the
/// fake returns `access_token_used_for_api_key`, and with another workspace `unauthorized`.
fn authorize(request: &RecordedRequest) -> Result<(), Reply> {
    let token = request.header("authorization").and_then(bearer_token);
    match token {
        Some(API_KEY) => Ok(()),
        Some(PERSONAL_ACCESS_TOKEN) => match request.header("seam-workspace") {
            Some(WORKSPACE_ID) => Ok(()),
            // NOTE: Seam's own choice between these two types for a missing header was not
            // observed. Official clients map every 401 to the same error either way.
            None => Err(Reply::error(
                401,
                "access_token_used_for_api_key",
                "A personal access token needs the seam-workspace header",
            )),
            Some(_) => Err(unauthorized()),
        },
        _ => Err(unauthorized()),
    }
}

fn unauthorized() -> Reply {
    Reply::error(401, "unauthorized", "Unauthorized")
}

/// Returns the token of a `Bearer` credential. The scheme name is case-insensitive.
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

fn update_credential(store: &Store, request: &RecordedRequest) -> Reply {
    let body = match json_body(request) {
        Ok(body) => body,
        Err(reply) => return reply,
    };
    let params = match params::update_params(&body, UnixTime::now()) {
        Ok(params) => params,
        Err(errors) => return invalid_input(&errors),
    };

    // A credential of another workspace is reported as not found and left unchanged.
    let outcome = store.modify(&params.acs_credential_id, |credential| {
        in_workspace(credential).then(|| apply_update(credential, &params))
    });
    match outcome.flatten() {
        Some(Ok(credential)) => credential_reply(&credential),
        Some(Err(errors)) => invalid_input(&errors),
        None => not_found(),
    }
}

/// Changes the stored credential unless `ends_at` is not after its `starts_at`, and returns
/// the credential as stored.
fn apply_update(
    credential: &mut FakeCredential,
    params: &UpdateParams,
) -> Result<FakeCredential, ValidationErrors> {
    if let Some(ends_at) = &params.ends_at {
        let starts_at = credential.starts_at.as_deref();
        // A stored `starts_at` in another form is not compared.
        let start = starts_at.and_then(datetime::parse_utc);
        if let (Some(start), Some(text)) = (start, starts_at)
            && ends_at.instant <= start
        {
            let message = format!("ends_at must be after the credential's starts_at ({text})");
            return Err(ValidationErrors::for_parameter("ends_at", message));
        }
        credential.ends_at = Some(ends_at.text.clone());
    }
    if let Some(code) = &params.code {
        credential.code = Some(code.clone());
    }
    Ok(credential.clone())
}

fn get_credential_by_query(store: &Store, request: &RecordedRequest) -> Reply {
    let lookup = params::query_object(request.query().unwrap_or_default())
        .and_then(|query| params::get_params(&query));
    match lookup {
        Ok(id) => credential_lookup(store, &id),
        Err(errors) => invalid_input(&errors),
    }
}

fn get_credential_by_body(store: &Store, request: &RecordedRequest) -> Reply {
    let body = match json_body(request) {
        Ok(body) => body,
        Err(reply) => return reply,
    };
    match params::get_params(&body) {
        Ok(id) => credential_lookup(store, &id),
        Err(errors) => invalid_input(&errors),
    }
}

fn credential_lookup(store: &Store, acs_credential_id: &str) -> Reply {
    match store.credential(acs_credential_id) {
        Some(credential) if in_workspace(&credential) => credential_reply(&credential),
        _ => not_found(),
    }
}

fn get_workspace() -> Reply {
    let mut workspace = Object::new();
    let mut put = |key: &str, value: Value| workspace.insert(key.to_owned(), value);
    put("workspace_id", Value::String(WORKSPACE_ID.to_owned()));
    put("name", Value::String("Fake Workspace".to_owned()));
    put("company_name", Value::String("Fake Company".to_owned()));
    put("is_sandbox", Value::Bool(true));
    put("connect_partner_name", Value::Null);
    success("workspace", Value::Object(workspace))
}

/// Reads a JSON request body after checking its content type.
fn json_body(request: &RecordedRequest) -> Result<Value, Reply> {
    let media_type = request
        .header("content-type")
        .and_then(|value| value.split(';').next())
        .map(str::trim);
    if !media_type.is_some_and(|media| media.eq_ignore_ascii_case("application/json")) {
        return Err(Reply::error(
            400,
            "invalid_content_type",
            "Invalid content type: expected application/json",
        ));
    }

    // miniserde parses without recursion, so a deeply nested body cannot exhaust the stack.
    std::str::from_utf8(&request.body)
        .ok()
        .and_then(|text| json::from_str::<Value>(text).ok())
        .ok_or_else(|| Reply::text(400, "Invalid JSON"))
}

fn in_workspace(credential: &FakeCredential) -> bool {
    credential.workspace_id == WORKSPACE_ID
}

fn credential_reply(credential: &FakeCredential) -> Reply {
    success("acs_credential", credential.to_json())
}

/// Builds `{"<key>": value, "ok": true}` with status 200.
fn success(key: &str, value: Value) -> Reply {
    let mut body = Object::new();
    body.insert(key.to_owned(), value);
    body.insert("ok".to_owned(), Value::Bool(true));
    Reply::json(200, &Value::Object(body))
}

fn invalid_input(errors: &ValidationErrors) -> Reply {
    let mut extra = Object::new();
    extra.insert("validation_errors".to_owned(), errors.to_json());
    Reply::error_with(400, "invalid_input", "Invalid input", extra)
}

fn not_found() -> Reply {
    Reply::error(
        404,
        "acs_credential_not_found",
        "Access credential not found",
    )
}
