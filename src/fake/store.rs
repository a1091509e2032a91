//! The fake's state: seeded secrets, credentials and the log of received requests.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use miniserde::json::{Array, Object, Value};

use super::fault::Fault;
use super::limit::TokenBucket;

/// API key that authorises [`WORKSPACE_ID`].
pub const API_KEY: &str = "seam_fakekey1_token";

/// Personal access token, a member of [`WORKSPACE_ID`] only.
pub const PERSONAL_ACCESS_TOKEN: &str = "seam_at1_faketoken";

/// Id of the one workspace the fake serves.
pub const WORKSPACE_ID: &str = "fake_workspace_1";

/// Access control system that the seeded credentials and [`FakeCredential::new`] belong to.
pub const ACS_SYSTEM_ID: &str = "fake_acs_system_1";

/// Ids of the credentials that every new fake holds, in the order of the table in the
/// module documentation.
pub const SEEDED_CREDENTIAL_IDS: [&str; 3] = [
    "66666666-6666-6666-6666-666666666666",
    "77777777-7777-7777-7777-777777777777",
    "88888888-8888-8888-8888-888888888888",
];

/// Creation time of the seeded credentials and default `starts_at` of [`FakeCredential::new`].
const SEED_INSTANT: &str = "2024-01-01T00:00:00.000Z";

/// An access credential as the fake stores it and returns it in `acs_credential`.
///
/// `None` fields are sent as JSON `null`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct FakeCredential {
    /// Id used in requests. Real ids are UUIDs, but the fake accepts any string.
    pub acs_credential_id: String,
    /// PIN code, ASCII digits.
    pub code: Option<String>,
    /// Start of validity, `YYYY-MM-DDTHH:MM:SS[.fraction]Z`. An update's `ends_at` must be
    /// after it, unless it has another form, which the fake does not compare.
    pub starts_at: Option<String>,
    /// End of validity, stored exactly as the last update sent it.
    pub ends_at: Option<String>,
    /// Name shown to people.
    pub display_name: String,
    /// Kind of credential, for example `code` or `card`.
    pub access_method: String,
    /// User the credential belongs to.
    pub acs_user_id: Option<String>,
    /// Access control system the credential belongs to.
    pub acs_system_id: String,
    /// Workspace the credential belongs to. The fake returns 404 for a credential of
    /// any workspace other than [`WORKSPACE_ID`].
    pub workspace_id: String,
    /// Creation time, RFC 3339.
    pub created_at: String,
    /// Whether the credential is a mobile key shared across phones.
    pub is_multi_phone_sync_credential: bool,
}

impl FakeCredential {
    /// Creates a PIN credential in the seeded workspace and access system.
    ///
    /// Defaults: `display_name` `"Front door PIN"`, `access_method` `"code"`, `starts_at` and
    /// `created_at` `"2024-01-01T00:00:00.000Z"`, `code`, `ends_at` and `acs_user_id` `None`,
    /// `is_multi_phone_sync_credential` `false`.
    pub fn new(acs_credential_id: impl Into<String>) -> FakeCredential {
        FakeCredential {
            acs_credential_id: acs_credential_id.into(),
            code: None,
            starts_at: Some(SEED_INSTANT.to_owned()),
            ends_at: None,
            display_name: "Front door PIN".to_owned(),
            access_method: "code".to_owned(),
            acs_user_id: None,
            acs_system_id: ACS_SYSTEM_ID.to_owned(),
            workspace_id: WORKSPACE_ID.to_owned(),
            created_at: SEED_INSTANT.to_owned(),
            is_multi_phone_sync_credential: false,
        }
    }

    /// Builds the JSON object Seam returns for a credential.
    pub(crate) fn to_json(&self) -> Value {
        let mut object = Object::new();
        let mut put = |key: &str, value: Value| object.insert(key.to_owned(), value);
        put("acs_credential_id", string(&self.acs_credential_id));
        put("acs_user_id", optional(&self.acs_user_id));
        put("acs_system_id", string(&self.acs_system_id));
        put("workspace_id", string(&self.workspace_id));
        put("display_name", string(&self.display_name));
        put("code", optional(&self.code));
        put("access_method", string(&self.access_method));
        put("starts_at", optional(&self.starts_at));
        put("ends_at", optional(&self.ends_at));
        put("created_at", string(&self.created_at));
        put(
            "is_multi_phone_sync_credential",
            Value::Bool(self.is_multi_phone_sync_credential),
        );
        put("errors", Value::Array(Array::new()));
        put("warnings", Value::Array(Array::new()));
        Value::Object(object)
    }
}

fn string(text: &str) -> Value {
    Value::String(text.to_owned())
}

fn optional(text: &Option<String>) -> Value {
    text.as_deref().map_or(Value::Null, string)
}

/// Builds the credentials every new fake holds, as listed in the module documentation.
fn seeded_credentials() -> [FakeCredential; 3] {
    let [front, back, garage] = SEEDED_CREDENTIAL_IDS;

    let mut front = FakeCredential::new(front);
    front.code = Some("1234".to_owned());
    front.acs_user_id = Some("fake_acs_user_1".to_owned());

    let mut back = FakeCredential::new(back);
    back.display_name = "Back door PIN".to_owned();
    back.code = Some("0042".to_owned());
    back.ends_at = Some("2099-12-31T23:59:59.000Z".to_owned());
    back.acs_user_id = Some("fake_acs_user_1".to_owned());

    let mut garage = FakeCredential::new(garage);
    garage.display_name = "Garage PIN".to_owned();
    garage.starts_at = Some("2090-01-01T00:00:00.000Z".to_owned());

    [front, back, garage]
}

/// One HTTP request as the fake received it.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RecordedRequest {
    /// Method as sent, for example `PATCH`.
    pub method: String,
    /// Request target: the path with its query string, for example
    /// `/acs/credentials/get?acs_credential_id=1`.
    pub path: String,
    /// Header fields in the order received, names in lower case. Values that are not UTF-8
    /// have their invalid bytes replaced by U+FFFD.
    pub headers: Vec<(String, String)>,
    /// Body after removing any chunked transfer coding. Empty for a body over the size limit.
    pub body: Vec<u8>,
    /// Number of the TCP connection that carried the request, counted from 1 in accept
    /// order. Equal numbers mean the client reused a connection.
    pub connection: u64,
}

impl RecordedRequest {
    /// Returns the value of the first header field called `name`, compared ignoring case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(field, _)| field.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// Returns the body as text, with invalid UTF-8 replaced by U+FFFD.
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Returns the path without the query string.
    pub(crate) fn route(&self) -> &str {
        self.path.split('?').next().unwrap_or_default()
    }

    /// Returns the query string after `?`, if any.
    pub(crate) fn query(&self) -> Option<&str> {
        self.path.split_once('?').map(|(_, query)| query)
    }
}

/// State shared by the connection threads and the [`FakeSeam`](super::FakeSeam) handle.
#[derive(Debug)]
pub(crate) struct Store {
    credentials: Mutex<BTreeMap<String, FakeCredential>>,
    requests: Mutex<Vec<RecordedRequest>>,
    /// Queued faults, each with the number of coming requests it is still sent to.
    faults: Mutex<VecDeque<(Fault, usize)>>,
    limit: Option<TokenBucket>,
    last_request_id: AtomicU64,
}

impl Store {
    /// Creates a store holding the seeded credentials and no requests, with an optional
    /// rate limit over all requests.
    pub(crate) fn seeded(limit: Option<TokenBucket>) -> Store {
        let credentials = seeded_credentials()
            .into_iter()
            .map(|credential| (credential.acs_credential_id.clone(), credential))
            .collect();
        Store {
            credentials: Mutex::new(credentials),
            requests: Mutex::new(Vec::new()),
            faults: Mutex::new(VecDeque::new()),
            limit,
            last_request_id: AtomicU64::new(0),
        }
    }

    /// Returns a new `seam-request-id` value, `req_1`, `req_2` and so on.
    pub(crate) fn next_request_id(&self) -> String {
        let number = self.last_request_id.fetch_add(1, Ordering::Relaxed) + 1;
        format!("req_{number}")
    }

    /// Inserts a credential, replacing one with the same id.
    pub(crate) fn insert(&self, credential: FakeCredential) {
        let id = credential.acs_credential_id.clone();
        lock(&self.credentials).insert(id, credential);
    }

    /// Returns a copy of the credential with this id.
    pub(crate) fn credential(&self, acs_credential_id: &str) -> Option<FakeCredential> {
        lock(&self.credentials).get(acs_credential_id).cloned()
    }

    /// Runs `change` on the stored credential and returns the result, or `None` when the id
    /// is unknown. The lock is held throughout, so concurrent updates do not interleave.
    pub(crate) fn modify<T>(
        &self,
        acs_credential_id: &str,
        change: impl FnOnce(&mut FakeCredential) -> T,
    ) -> Option<T> {
        lock(&self.credentials)
            .get_mut(acs_credential_id)
            .map(change)
    }

    /// Appends a request to the log.
    pub(crate) fn record(&self, request: RecordedRequest) {
        lock(&self.requests).push(request);
    }

    /// Returns a copy of the log.
    pub(crate) fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.requests).clone()
    }

    /// Empties the log.
    pub(crate) fn clear_requests(&self) {
        lock(&self.requests).clear();
    }

    /// Queues a fault for the next `times` requests after those already queued.
    pub(crate) fn push_fault(&self, fault: Fault, times: usize) {
        if times > 0 {
            lock(&self.faults).push_back((fault, times));
        }
    }

    /// Takes the fault for the next request, if any is queued.
    pub(crate) fn pop_fault(&self) -> Option<Fault> {
        let mut faults = lock(&self.faults);
        let (fault, times) = faults.front_mut()?;
        *times -= 1;
        if *times > 0 {
            return Some(fault.clone());
        }
        faults.pop_front().map(|(fault, _)| fault)
    }

    /// Returns how many coming requests will get a queued fault instead of their route.
    pub(crate) fn pending_faults(&self) -> usize {
        lock(&self.faults)
            .iter()
            .fold(0, |total, (_, times)| total.saturating_add(*times))
    }

    /// Takes a token from the rate limit at `now`. Returns the seconds to send in
    /// `retry-after` when the request is over the limit.
    pub(crate) fn take_token(&self, now: std::time::Instant) -> Result<(), u64> {
        self.limit.as_ref().map_or(Ok(()), |limit| limit.take(now))
    }

    /// Returns how many requests the rate limit rejected.
    pub(crate) fn rate_limited_count(&self) -> u64 {
        self.limit.as_ref().map_or(0, TokenBucket::rejected)
    }
}

/// A reply the fake sends instead of serving the route, to test how clients handle
/// statuses and bodies the routes never produce: outages, rate limits, redirects, portal
/// pages. The fake still records the request and adds `seam-request-id` and
/// `content-length`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CannedReply {
    /// HTTP status code.
    pub status: u16,
    /// Header fields, in order.
    pub headers: Vec<(String, String)>,
    /// The body, sent as is.
    pub body: Vec<u8>,
}

impl CannedReply {
    /// Creates a reply with this status, no header fields and an empty body.
    pub fn new(status: u16) -> CannedReply {
        CannedReply {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Creates a reply with a body of the given content type.
    pub fn with_body(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> CannedReply {
        CannedReply::new(status)
            .header("content-type", content_type)
            .body(body)
    }

    /// Creates a reply with a JSON body, `content-type: application/json; charset=utf-8`.
    pub fn json(status: u16, body: &str) -> CannedReply {
        CannedReply::with_body(status, "application/json; charset=utf-8", body)
    }

    /// Adds a header field.
    pub fn header(mut self, name: &str, value: &str) -> CannedReply {
        self.headers
            .push((name.to_ascii_lowercase(), value.to_owned()));
        self
    }

    /// Replaces the body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> CannedReply {
        self.body = body.into();
        self
    }
}

/// Locks a mutex. Poisoning is ignored because every critical section here leaves the data
/// consistent even if a thread panics inside it.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
