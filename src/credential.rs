//! The credential types, the local checks on an update, and the `acs/credentials` calls.

use std::fmt;
use std::time::SystemTime;

use miniserde::json::{self, Object, Value};

use crate::client::Client;
use crate::error::{Error, InputError};
use crate::outbox::{Delivery, Entry};
use crate::response::{self, Fields};
use crate::timestamp::Timestamp;

/// The clock reading below which the clock is taken to be unset, as on a device without a
/// real-time clock before NTP has run: 2026-12-01T00:00:00Z, about this crate's release.
pub const CLOCK_FLOOR_UNIX_SECONDS: u64 = 1_796_083_200;

/// The parameters of `acs/credentials/update`, named as Seam's API names them.
///
/// Fields left `None` are not sent, so the server keeps their current values. `Debug` masks
/// the PIN code.
#[derive(Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct UpdateCredentialParams {
    /// The id of the credential to change.
    pub acs_credential_id: String,
    /// The new PIN code: ASCII digits only, leading zeros kept.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub code: Option<String>,
    /// The new end of validity, an RFC 3339 date-time in the future. Any offset is accepted
    /// and sent converted to UTC.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub ends_at: Option<String>,
}

impl UpdateCredentialParams {
    /// Starts an update of the credential `acs_credential_id` that changes nothing yet.
    pub fn new(acs_credential_id: impl Into<String>) -> UpdateCredentialParams {
        UpdateCredentialParams {
            acs_credential_id: acs_credential_id.into(),
            code: None,
            ends_at: None,
        }
    }

    /// Sets the new PIN code.
    pub fn code(mut self, code: impl Into<String>) -> UpdateCredentialParams {
        self.code = Some(code.into());
        self
    }

    /// Sets the new end of validity, as RFC 3339 text or a [`Timestamp`].
    pub fn ends_at(mut self, ends_at: impl fmt::Display) -> UpdateCredentialParams {
        self.ends_at = Some(ends_at.to_string());
        self
    }

    /// Checks every field as [`Credentials::update`] does, without the clock.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] naming the first field that fails.
    pub fn validate(&self) -> Result<ValidUpdate, Error> {
        validate_credential_id(&self.acs_credential_id)?;
        if let Some(code) = &self.code {
            validate_code(code)?;
        }
        let ends_at = match &self.ends_at {
            Some(text) => Some(parse_ends_at(text)?),
            None => None,
        };
        if self.code.is_none() && ends_at.is_none() {
            return Err(Error::InvalidInput(InputError::new(
                "update",
                None,
                "nothing to change; set code, ends_at or both".to_owned(),
            )));
        }
        Ok(ValidUpdate {
            acs_credential_id: self.acs_credential_id.clone(),
            code: self.code.clone(),
            ends_at,
        })
    }
}

impl fmt::Debug for UpdateCredentialParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UpdateCredentialParams")
            .field("acs_credential_id", &self.acs_credential_id)
            .field("code", &self.code.as_deref().map(mask_code))
            .field("ends_at", &self.ends_at)
            .finish()
    }
}

/// An update whose fields passed the local checks, with `ends_at` parsed.
#[derive(Clone, PartialEq, Eq)]
pub struct ValidUpdate {
    acs_credential_id: String,
    code: Option<String>,
    ends_at: Option<Timestamp>,
}

impl ValidUpdate {
    /// Returns the credential id.
    pub fn acs_credential_id(&self) -> &str {
        &self.acs_credential_id
    }

    /// Returns the new PIN code, if set.
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }

    /// Returns the new end of validity, if set.
    pub fn ends_at(&self) -> Option<&Timestamp> {
        self.ends_at.as_ref()
    }

    /// Returns the compact JSON body sent to the server, with only the set fields.
    pub fn to_json(&self) -> String {
        json::to_string(&self.to_object(false))
    }

    /// Returns the JSON body with the PIN code masked, for logs and dry runs.
    pub fn to_masked_json(&self) -> String {
        json::to_string(&self.to_object(true))
    }

    fn to_object(&self, mask: bool) -> Object {
        let mut body = Object::new();
        let id = Value::String(self.acs_credential_id.clone());
        body.insert("acs_credential_id".to_owned(), id);
        if let Some(code) = &self.code {
            let code = if mask { mask_code(code) } else { code.clone() };
            body.insert("code".to_owned(), Value::String(code));
        }
        if let Some(ends_at) = &self.ends_at {
            body.insert("ends_at".to_owned(), Value::String(ends_at.to_string()));
        }
        body
    }

    /// Rejects an `ends_at` that is not after `now`, unless `now` is below the clock floor,
    /// in which case the clock counts as unset and the server decides.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] naming `ends_at` and both instants.
    pub fn check_future(&self, now: SystemTime) -> Result<(), Error> {
        let Some(ends_at) = &self.ends_at else {
            return Ok(());
        };
        let clock = Timestamp::from_system_time(now);
        let clock_text = clock
            .as_ref()
            .map_or("out of range".to_owned(), Timestamp::to_string);
        if !clock_is_set(now) {
            log::warn!(
                "the system clock reads {clock_text}, before this build's release, so it is \
                 probably unset; not checking that ends_at is in the future and leaving that \
                 to the server"
            );
            return Ok(());
        }
        let in_future = clock.as_ref().is_none_or(|clock| ends_at > clock);
        if in_future {
            return Ok(());
        }
        Err(Error::InvalidInput(InputError::new(
            "ends_at",
            Some(ends_at.as_str()),
            format!(
                "must be in the future, but the system clock reads {clock_text}; \
                 choose a later time, or fix the clock if it is wrong"
            ),
        )))
    }
}

impl fmt::Debug for ValidUpdate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ValidUpdate")
            .field("acs_credential_id", &self.acs_credential_id)
            .field("code", &self.code.as_deref().map(mask_code))
            .field("ends_at", &self.ends_at)
            .finish()
    }
}

/// Returns whether `now` is at or past the clock floor.
pub fn clock_is_set(now: SystemTime) -> bool {
    now.duration_since(SystemTime::UNIX_EPOCH)
        .is_ok_and(|since| since.as_secs() >= CLOCK_FLOOR_UNIX_SECONDS)
}

/// Masks a PIN code as one `*` per character, so its length stays visible.
pub fn mask_code(code: &str) -> String {
    "*".repeat(code.chars().count())
}

fn validate_credential_id(id: &str) -> Result<(), Error> {
    let problem = if id.is_empty() {
        Some("must not be empty; pass the credential's id, for example a UUID".to_owned())
    } else {
        id.char_indices()
            .find(|(_, c)| c.is_whitespace() || c.is_control())
            .map(|(at, c)| {
                format!(
                    "must not contain whitespace or control characters, found {:?} at byte {at}",
                    c
                )
            })
    };
    match problem {
        Some(problem) => Err(Error::InvalidInput(InputError::new(
            "acs_credential_id",
            Some(id),
            problem,
        ))),
        None => Ok(()),
    }
}

/// Checks a PIN code without ever repeating its digits: the message names the position
/// and shows only the offending character, which cannot be part of a valid PIN.
fn validate_code(code: &str) -> Result<(), Error> {
    let problem = if code.is_empty() {
        Some("must not be empty; give at least one digit, or leave the code unchanged".to_owned())
    } else {
        code.chars()
            .enumerate()
            .find(|(_, c)| !c.is_ascii_digit())
            .map(|(index, c)| {
                format!(
                    "must be ASCII digits only, found {:?} at character {} of {}",
                    c,
                    index + 1,
                    code.chars().count()
                )
            })
    };
    match problem {
        Some(problem) => Err(Error::InvalidInput(InputError::new("code", None, problem))),
        None => Ok(()),
    }
}

fn parse_ends_at(text: &str) -> Result<Timestamp, Error> {
    Timestamp::parse(text).map_err(|error| {
        Error::InvalidInput(InputError {
            field: "ends_at",
            value: Some(text.to_owned()),
            problem: String::new(),
            source: Some(error),
        })
    })
}

/// The way a credential opens a door. Values this crate does not know are kept as
/// [`AccessMethod::Other`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(from = "String", into = "String")
)]
pub enum AccessMethod {
    /// A PIN code typed on a keypad.
    Code,
    /// A physical card or fob.
    Card,
    /// A key on a phone.
    MobileKey,
    /// A value added to Seam's API after this crate was released.
    Other(String),
}

impl From<String> for AccessMethod {
    fn from(value: String) -> AccessMethod {
        match value.as_str() {
            "code" => AccessMethod::Code,
            "card" => AccessMethod::Card,
            "mobile_key" => AccessMethod::MobileKey,
            _ => AccessMethod::Other(value),
        }
    }
}

impl From<AccessMethod> for String {
    fn from(value: AccessMethod) -> String {
        value.as_str().to_owned()
    }
}

impl AccessMethod {
    /// Returns the API's name for the method, for example `mobile_key`.
    pub fn as_str(&self) -> &str {
        match self {
            AccessMethod::Code => "code",
            AccessMethod::Card => "card",
            AccessMethod::MobileKey => "mobile_key",
            AccessMethod::Other(other) => other,
        }
    }
}

/// A credential as the server stores it after an update. Fields the server leaves out or
/// sends as `null` are `None`; fields this crate does not know are ignored. `Debug` masks
/// the PIN code.
#[derive(Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct AcsCredential {
    /// The credential's id.
    pub acs_credential_id: String,
    /// The user the credential belongs to.
    pub acs_user_id: Option<String>,
    /// The access system that contains the credential.
    pub acs_system_id: Option<String>,
    /// The workspace that owns the credential.
    pub workspace_id: Option<String>,
    /// The name shown in Seam's console.
    pub display_name: Option<String>,
    /// The PIN code, for code credentials.
    pub code: Option<String>,
    /// The way the credential opens a door.
    pub access_method: Option<AccessMethod>,
    /// Start of validity, as the server sent it.
    pub starts_at: Option<String>,
    /// End of validity, as the server sent it.
    pub ends_at: Option<String>,
    /// When the credential was created, as the server sent it.
    pub created_at: Option<String>,
    /// Whether the credential syncs to several phones.
    pub is_multi_phone_sync_credential: Option<bool>,
}

impl fmt::Debug for AcsCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AcsCredential")
            .field("acs_credential_id", &self.acs_credential_id)
            .field("acs_user_id", &self.acs_user_id)
            .field("acs_system_id", &self.acs_system_id)
            .field("workspace_id", &self.workspace_id)
            .field("display_name", &self.display_name)
            .field("code", &self.code.as_deref().map(mask_code))
            .field("access_method", &self.access_method)
            .field("starts_at", &self.starts_at)
            .field("ends_at", &self.ends_at)
            .field("created_at", &self.created_at)
            .field(
                "is_multi_phone_sync_credential",
                &self.is_multi_phone_sync_credential,
            )
            .finish()
    }
}

impl AcsCredential {
    /// Reads a credential from the JSON object the server sent. Returns `None` when the
    /// value is not an object with a string `acs_credential_id`.
    pub(crate) fn from_json(value: &Value) -> Option<AcsCredential> {
        let fields = Fields::new(value)?;
        Some(AcsCredential {
            acs_credential_id: fields.string("acs_credential_id")?,
            acs_user_id: fields.string("acs_user_id"),
            acs_system_id: fields.string("acs_system_id"),
            workspace_id: fields.string("workspace_id"),
            display_name: fields.string("display_name"),
            code: fields.string("code"),
            access_method: fields.string("access_method").map(AccessMethod::from),
            starts_at: fields.string("starts_at"),
            ends_at: fields.string("ends_at"),
            created_at: fields.string("created_at"),
            is_multi_phone_sync_credential: fields.bool("is_multi_phone_sync_credential"),
        })
    }

    /// Returns the credential as a JSON object, with the PIN code masked unless
    /// `show_code` is true.
    pub fn to_json_value(&self, show_code: bool) -> Value {
        let mut object = Object::new();
        let mut put = |key: &str, value: Option<&str>| {
            if let Some(value) = value {
                object.insert(key.to_owned(), Value::String(value.to_owned()));
            }
        };
        put("acs_credential_id", Some(&self.acs_credential_id));
        put("acs_user_id", self.acs_user_id.as_deref());
        put("acs_system_id", self.acs_system_id.as_deref());
        put("workspace_id", self.workspace_id.as_deref());
        put("display_name", self.display_name.as_deref());
        let code = match (&self.code, show_code) {
            (Some(code), false) => Some(mask_code(code)),
            (code, _) => code.clone(),
        };
        put("code", code.as_deref());
        put(
            "access_method",
            self.access_method.as_ref().map(AccessMethod::as_str),
        );
        put("starts_at", self.starts_at.as_deref());
        put("ends_at", self.ends_at.as_deref());
        put("created_at", self.created_at.as_deref());
        if let Some(multi) = self.is_multi_phone_sync_credential {
            object.insert(
                "is_multi_phone_sync_credential".to_owned(),
                Value::Bool(multi),
            );
        }
        Value::Object(object)
    }
}

/// The `acs/credentials` calls, from [`Acs::credentials`](crate::Acs::credentials).
#[derive(Debug, Clone, Copy)]
pub struct Credentials<'a> {
    pub(crate) client: &'a Client,
}

impl Credentials<'_> {
    /// Sends `PATCH /acs/credentials/update` with the fields that are set, after checking
    /// them locally, and returns the credential as stored after the update when the server
    /// sends it. A success with an empty body, `{}`, or a JSON body that cannot be read
    /// returns `Ok(None)`: the update was applied.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] before anything is sent, when a field fails its check or
    /// `ends_at` is not after the client's clock. Otherwise the errors of the request, see
    /// [`Error`].
    pub fn update(&self, params: &UpdateCredentialParams) -> Result<Option<AcsCredential>, Error> {
        let update = params.validate()?;
        self.update_valid(&update)
    }

    /// Sends an update that already passed [`UpdateCredentialParams::validate`]; only the
    /// clock check is done again.
    ///
    /// # Errors
    ///
    /// As [`Credentials::update`].
    pub fn update_valid(&self, update: &ValidUpdate) -> Result<Option<AcsCredential>, Error> {
        update.check_future(self.client.now())?;
        log::info!("update request body: {}", update.to_masked_json());
        self.client.call(
            "PATCH",
            "/acs/credentials/update",
            Some(update.to_json()),
            update.code(),
            response::optional_credential,
        )
    }

    /// Sends an update through the outbox set with
    /// [`ClientBuilder::queue_dir`](crate::ClientBuilder::queue_dir), or like
    /// [`update_valid`](Self::update_valid) when none is set.
    ///
    /// With an outbox, an update that fails for a temporary reason
    /// ([`Error::is_temporary`]) is stored and [`Delivery::Queued`] returned; a later
    /// [`Outbox::flush`](crate::Outbox::flush) sends it. When older entries for the same
    /// credential are waiting, the update is stored behind them and they are sent first,
    /// oldest first, so the server ends with the newest values. When another process is
    /// sending queued entries for longer than
    /// [`SEND_LOCK_WAIT`](crate::SEND_LOCK_WAIT), the update is stored without an attempt.
    /// An update that fails for another reason is not stored.
    ///
    /// # Errors
    ///
    /// As [`Credentials::update`] for a failure that is not temporary, and
    /// [`Error::Outbox`] when the update cannot be stored: the outbox is full, its disk is
    /// full, or its folder is unusable. The folder is opened before anything is sent, so a
    /// folder that cannot be used fails every call, not only those during an outage.
    pub fn submit(&self, update: &ValidUpdate) -> Result<Delivery, Error> {
        let Some(outbox) = self.client.outbox()? else {
            return self.update_valid(update).map(Delivery::Sent);
        };
        // Input that can never succeed is rejected before it could be stored.
        update.check_future(self.client.now())?;
        outbox.submit(self.client, update)
    }

    /// Stores an update in the outbox without trying to send it, behind every entry already
    /// queued, for a later [`Outbox::flush`](crate::Outbox::flush) to send. A batch uses
    /// it after a first temporary failure, when the link is most likely still down and each
    /// attempt would only wait out its timeouts.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the client has no queue folder, [`Error::InvalidInput`] for
    /// an `ends_at` already past by a set clock, and [`Error::Outbox`] when the update
    /// cannot be stored.
    pub fn queue(&self, update: &ValidUpdate) -> Result<Entry, Error> {
        let Some(outbox) = self.client.outbox()? else {
            return Err(Error::config(
                "queueing an update needs a queue folder; set ClientBuilder::queue_dir",
            ));
        };
        update.check_future(self.client.now())?;
        outbox.queue(self.client, update)
    }

    /// Fetches a credential with `POST /acs/credentials/get`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for an id that fails its check, [`Error::Api`] with status
    /// 404 for an unknown credential, and the other errors of a request.
    pub fn get(&self, acs_credential_id: &str) -> Result<AcsCredential, Error> {
        validate_credential_id(acs_credential_id)?;
        let mut body = Object::new();
        let id = Value::String(acs_credential_id.to_owned());
        body.insert("acs_credential_id".to_owned(), id);
        let body = Some(json::to_string(&body));
        self.client
            .call("POST", "/acs/credentials/get", body, None, |reply| {
                response::optional_credential(reply)?.ok_or_else(|| response::unreadable(reply))
            })
    }
}
