//! Seam's two ways to authenticate, the token-prefix checks and the secret wrapper.

use std::fmt;

use crate::error::{Error, Quoted};

/// A secret string whose `Debug` and `Display` never show its value.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Secret(String);

impl Secret {
    pub(crate) fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"<redacted>\"")
    }
}

/// The credentials the client authenticates with: an API key, or a personal access token plus the
/// workspace it acts in.
///
/// `Debug` shows the kind of credential and the workspace id, never the token.
#[derive(Clone, Debug)]
pub struct Auth(AuthKind);

#[derive(Clone, Debug)]
enum AuthKind {
    ApiKey(Secret),
    PersonalAccessToken { token: Secret, workspace_id: String },
}

impl Auth {
    /// Creates a workspace API key credential, sent as `authorization: Bearer seam_...`.
    pub fn api_key(key: impl Into<String>) -> Auth {
        Auth(AuthKind::ApiKey(Secret::new(key)))
    }

    /// Creates a personal access token credential (`seam_at...`) acting in `workspace_id`, sent as
    /// `authorization: Bearer seam_at...` plus `seam-workspace: <workspace_id>`.
    pub fn personal_access_token(
        token: impl Into<String>,
        workspace_id: impl Into<String>,
    ) -> Auth {
        Auth(AuthKind::PersonalAccessToken {
            token: Secret::new(token),
            workspace_id: workspace_id.into(),
        })
    }

    /// Checks the token's prefix the way Seam's official clients do, so a wrong kind of
    /// token fails before it is sent. The client builder calls this.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the token is empty, is of another kind (an access token used
    /// as an API key, a client session token, a publishable key, a console session JWT), or
    /// the workspace id is empty or contains whitespace.
    pub fn validate(&self) -> Result<(), Error> {
        match &self.0 {
            AuthKind::ApiKey(key) => validate_api_key(key.expose()),
            AuthKind::PersonalAccessToken {
                token,
                workspace_id,
            } => {
                validate_access_token(token.expose())?;
                validate_workspace_id(workspace_id)
            }
        }
    }

    pub(crate) fn token(&self) -> &str {
        match &self.0 {
            AuthKind::ApiKey(key) => key.expose(),
            AuthKind::PersonalAccessToken { token, .. } => token.expose(),
        }
    }

    /// Returns the workspace id sent with a personal access token, or `None` for an API key.
    pub fn workspace_id(&self) -> Option<&str> {
        match &self.0 {
            AuthKind::ApiKey(_) => None,
            AuthKind::PersonalAccessToken { workspace_id, .. } => Some(workspace_id),
        }
    }

    /// Returns the kind of credential, `"api key"` or `"personal access token"`.
    pub fn kind_name(&self) -> &'static str {
        match &self.0 {
            AuthKind::ApiKey(_) => "api key",
            AuthKind::PersonalAccessToken { .. } => "personal access token",
        }
    }
}

/// Names the kind of a token from its prefix, for error messages. Never returns the token.
fn other_kind(token: &str) -> Option<&'static str> {
    if token.starts_with("seam_at") {
        Some("a personal access token")
    } else if token.starts_with("seam_cst") {
        Some("a client session token, which this endpoint does not accept")
    } else if token.starts_with("seam_pk") {
        Some("a publishable key, which is meant for browsers")
    } else if token.starts_with("ey") {
        Some("a console session token (a JWT)")
    } else {
        None
    }
}

fn validate_token_text(token: &str, what: &str) -> Result<(), Error> {
    if token.is_empty() {
        return Err(Error::config(format!("the {what} is empty")));
    }
    if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::config(format!(
            "the {what} contains whitespace or a control character; \
             check the variable or file it came from"
        )));
    }
    Ok(())
}

fn validate_api_key(key: &str) -> Result<(), Error> {
    validate_token_text(key, "API key")?;
    if let Some(kind) = other_kind(key) {
        let hint = if key.starts_with("seam_at") {
            "; set it as a personal access token together with a workspace id"
        } else {
            ""
        };
        return Err(Error::config(format!(
            "the API key is {kind}, not an API key{hint}"
        )));
    }
    if !key.starts_with("seam_") {
        return Err(Error::config(
            "the API key does not start with \"seam_\"; copy it again from Seam's console",
        ));
    }
    Ok(())
}

fn validate_access_token(token: &str) -> Result<(), Error> {
    validate_token_text(token, "personal access token")?;
    if token.starts_with("seam_at") {
        return Ok(());
    }
    match other_kind(token) {
        Some(kind) => Err(Error::config(format!(
            "the personal access token is {kind}, not a personal access token"
        ))),
        None if token.starts_with("seam_") => Err(Error::config(
            "the personal access token looks like an API key; set it as an API key \
             and drop the workspace id",
        )),
        None => Err(Error::config(
            "the personal access token does not start with \"seam_at\"; \
             copy it again from Seam's console",
        )),
    }
}

fn validate_workspace_id(workspace_id: &str) -> Result<(), Error> {
    if workspace_id.is_empty() {
        return Err(Error::config(
            "a personal access token needs the id of the workspace it acts in (SEAM_WORKSPACE_ID)",
        ));
    }
    if workspace_id
        .chars()
        .any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(Error::config(format!(
            "invalid workspace id {}: it must not contain whitespace",
            Quoted(workspace_id)
        )));
    }
    Ok(())
}
