//! The durable outbox: updates that failed for a temporary reason, stored one JSON file
//! each in a folder and sent later in the order they were accepted.
//!
//! Layout of the folder (mode 0700, files 0600):
//!
//! - `00000000000000000042.json`: a queued entry, named by its sequence number;
//! - `counter`: the next sequence number;
//! - `dead/`: entries the server rejected for good, each with its error;
//! - `corrupt/`: files that could not be read as entries, moved aside unopened when they
//!   are not regular files (a FIFO, a symbolic link);
//! - `.lock`: held while the folder's contents change, for milliseconds;
//! - `.send.lock`: held by the process that sends queued entries;
//! - `*.tmp`: a file being written, deleted at the next open when a crash left it.
//!
//! A folder named like an entry is moved to `corrupt/`; other folders, which the outbox
//! never makes, are left in place with a warning.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use miniserde::json::{self, Number, Object, Value};

use crate::client::Client;
use crate::credential::{AcsCredential, UpdateCredentialParams, ValidUpdate};
use crate::error::{Error, OutboxError, OutboxErrorKind, Quoted};

/// Default maximum number of files in an outbox, queued entries and dead letters together.
pub const DEFAULT_QUEUE_MAX_ENTRIES: usize = 1_000;
/// Default maximum size of an outbox in bytes, queued entries and dead letters together.
pub const DEFAULT_QUEUE_MAX_BYTES: u64 = 1024 * 1024;
/// Maximum time a flush or an update waits for another process that is sending queued
/// entries: a flush then fails as busy, and an update is queued behind it.
pub const SEND_LOCK_WAIT: Duration = Duration::from_secs(5);

/// Maximum time to wait for the lock that guards the folder's contents, which a process
/// holds only while it writes, renames or removes a few small files.
const CONTENTS_LOCK_WAIT: Duration = Duration::from_secs(10);
/// Format version written into every entry; files of another version are moved aside.
const ENTRY_VERSION: u64 = 1;
/// Largest entry file read; entries are a few hundred bytes. A new entry may take at most
/// half, so the error a dead letter adds still fits.
const MAX_ENTRY_BYTES: u64 = 64 * 1024;

/// An update stored in the outbox, or a dead letter's update.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Entry {
    /// Position in the queue: entries are sent in increasing order. Devices without a
    /// real-time clock cannot order by time, so the outbox keeps a counter.
    pub sequence: u64,
    /// Base URL of the client that stored the entry.
    pub endpoint: String,
    /// Workspace of the personal access token that stored the entry, `None` for an API key.
    pub workspace_id: Option<String>,
    /// The update to send; its `Debug` output masks the PIN code.
    pub update: ValidUpdate,
    /// The entry's file.
    pub path: PathBuf,
}

impl Entry {
    /// Returns whether `client` sends to the endpoint and workspace that stored the entry.
    /// Endpoints compare as URLs: the case of the scheme and host, the scheme's default port
    /// and a trailing slash make no difference.
    pub fn belongs_to(&self, client: &Client) -> bool {
        same_endpoint(&self.endpoint, client.endpoint())
            && self.workspace_id.as_deref() == client.auth().workspace_id()
    }
}

/// Returns whether two endpoint URLs name the same base URL.
fn same_endpoint(a: &str, b: &str) -> bool {
    normalized_endpoint(a) == normalized_endpoint(b)
}

/// Returns `endpoint` with its scheme and host in lower case, without the scheme's default
/// port and without a trailing slash. The path keeps its case, as URLs do.
fn normalized_endpoint(endpoint: &str) -> String {
    let endpoint = endpoint.trim_end_matches('/');
    let (scheme, rest) = endpoint.split_once("://").unwrap_or(("", endpoint));
    let scheme = scheme.to_ascii_lowercase();
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let mut authority = authority.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "https" => ":443",
        "http" => ":80",
        _ => "",
    };
    if !default_port.is_empty() && authority.ends_with(default_port) {
        authority.truncate(authority.len() - default_port.len());
    }
    format!("{scheme}://{authority}/{path}")
}

#[cfg(test)]
mod tests {
    use super::same_endpoint;

    #[test]
    fn endpoints_compare_as_urls() {
        let same = [
            ("https://127.0.0.1:8443", "HTTPS://127.0.0.1:8443/"),
            (
                "https://Connect.GetSeam.com",
                "https://connect.getseam.com:443",
            ),
            ("https://[::1]:443/api", "https://[::1]/api/"),
            ("http://localhost:80", "http://LOCALHOST"),
        ];
        for (a, b) in same {
            assert!(same_endpoint(a, b), "{a} and {b}");
        }
        let different = [
            ("https://127.0.0.1:8443", "https://127.0.0.1:8444"),
            ("https://127.0.0.1", "http://127.0.0.1"),
            ("https://example.test/API", "https://example.test/api"),
            ("https://[::443]", "https://[::]"),
        ];
        for (a, b) in different {
            assert!(!same_endpoint(a, b), "{a} and {b}");
        }
    }
}

/// An entry that the server rejected for good, kept in `dead/` with the error.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeadLetter {
    /// The rejected entry; `path` is its file under `dead/`.
    pub entry: Entry,
    /// The HTTP status, or `None` when the update failed a local check.
    pub status: Option<u16>,
    /// Seam's error type, for example `acs_credential_not_found`.
    pub error_type: Option<String>,
    /// The error message, which never contains the token or the PIN code.
    pub message: String,
}

/// The outcome of [`Credentials::submit`](crate::Credentials::submit).
#[derive(Debug)]
#[non_exhaustive]
pub enum Delivery {
    /// The server accepted the update and returned the credential, when it sent one.
    Sent(Option<AcsCredential>),
    /// The update is stored in the outbox and will be sent by a later flush.
    Queued(Entry),
}

/// The outcome of [`Outbox::flush`].
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct FlushReport {
    /// Entries the server accepted, now removed, oldest first.
    pub sent: Vec<Entry>,
    /// Entries rejected for good and moved to `dead/`.
    pub dead: Vec<DeadLetter>,
    /// Corrupt files moved to `corrupt/`, with their new paths.
    pub corrupt: Vec<PathBuf>,
    /// Entries stored for another endpoint or workspace, left in the queue unsent.
    pub foreign: Vec<Entry>,
    /// The failure that stopped the flush: a temporary one, or 401 or 403. Every entry
    /// not yet sent stays queued.
    pub stopped: Option<Error>,
    /// Entries left in the queue.
    pub remaining: usize,
}

/// The contents of an outbox, from [`Outbox::list`].
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct Listing {
    /// Queued entries, oldest first.
    pub queued: Vec<Entry>,
    /// Dead letters, by their original sequence number.
    pub dead: Vec<DeadLetter>,
    /// Files in `corrupt/`.
    pub corrupt: Vec<PathBuf>,
}

/// The files [`Outbox::purge`] removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Purge {
    /// Queued entries, which are then never sent.
    Queue,
    /// Dead letters and the files in `corrupt/`.
    Dead,
    /// Queued entries, dead letters and the files in `corrupt/`.
    All,
}

/// An outbox folder; the crate docs describe its layout. Every change is written to a
/// temporary file, synced, renamed into place, and the folder synced, so a power cut leaves
/// either the old or the new file.
#[derive(Debug, Clone)]
pub struct Outbox {
    dir: PathBuf,
    max_entries: usize,
    max_bytes: u64,
}

/// The outcome of sending one entry.
enum Sent {
    Accepted(Option<AcsCredential>),
    Rejected(Error),
    Stopped(Error),
}

impl Outbox {
    /// Opens the outbox folder, creating it with mode 0700 when missing (its parent must
    /// exist), and deletes the temporary files a crash left behind. The limits are the defaults.
    ///
    /// The folder contains PIN codes, so a folder that other users may read is rejected
    /// rather than changed, because it could be a shared folder such as `/tmp`.
    ///
    /// # Errors
    ///
    /// [`Error::Outbox`] when the folder cannot be created or read, is not a folder, or its
    /// permissions let other users in.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Outbox, Error> {
        let outbox = Outbox {
            dir: dir.into(),
            max_entries: DEFAULT_QUEUE_MAX_ENTRIES,
            max_bytes: DEFAULT_QUEUE_MAX_BYTES,
        };
        create_private_dir(&outbox.dir).map_err(|e| outbox.io("creating", &outbox.dir, e))?;
        outbox.check_permissions()?;
        let _lock = outbox.lock(".lock", CONTENTS_LOCK_WAIT)?;
        for dir in [outbox.dir.clone(), outbox.dir.join("dead")] {
            outbox.remove_temp_files(&dir)?;
        }
        Ok(outbox)
    }

    /// Sets the limits: at most `max_entries` files and `max_bytes` bytes, queued entries
    /// and dead letters together. Default: [`DEFAULT_QUEUE_MAX_ENTRIES`] and
    /// [`DEFAULT_QUEUE_MAX_BYTES`].
    pub fn limits(mut self, max_entries: usize, max_bytes: u64) -> Outbox {
        self.max_entries = max_entries;
        self.max_bytes = max_bytes;
        self
    }

    /// Returns the folder.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Reads the queued entries, the dead letters and the names in `corrupt/`. Corrupt
    /// entries are moved to `corrupt/` first, with a warning in the log.
    ///
    /// # Errors
    ///
    /// [`Error::Outbox`] when a file cannot be read or moved.
    pub fn list(&self) -> Result<Listing, Error> {
        let mut listing = Listing::default();
        for (entry, _) in self.load_all("", false)? {
            listing.queued.push(entry);
        }
        for (_, letter) in self.load_all("dead", false)? {
            listing.dead.extend(letter);
        }
        listing.corrupt = self.files(&self.dir.join("corrupt"))?;
        Ok(listing)
    }

    /// Moves every dead letter back into the queue, behind the entries already waiting,
    /// under new sequence numbers, oldest first. Returns the requeued entries. It waits for
    /// the send lock, so no update is being delivered meanwhile whose dead letters it would
    /// supersede.
    ///
    /// NOTE: a crash between writing the new entry and removing the dead letter leaves the
    /// update in both places. The queued copy is sent and the dead copy stays visible.
    ///
    /// # Errors
    ///
    /// [`Error::Outbox`] when a file cannot be read, written or removed, or another process
    /// keeps sending.
    pub fn requeue(&self) -> Result<Vec<Entry>, Error> {
        let _send = self.send_lock()?.ok_or_else(|| self.busy())?;
        let _lock = self.lock(".lock", CONTENTS_LOCK_WAIT)?;
        let mut requeued = Vec::new();
        for (entry, _) in self.load_all("dead", true)? {
            let sequence = self.reserve()?;
            let (endpoint, workspace) = (&entry.endpoint, entry.workspace_id.as_deref());
            let text = entry_text(sequence, endpoint, workspace, &entry.update, None);
            requeued.push(self.write_entry(sequence, &entry, text, "requeue")?);
            self.remove(&entry.path)?;
        }
        Ok(requeued)
    }

    /// Removes the files that `which` names and returns how many were removed. Purging the
    /// queue waits for the send lock, so no entry is removed while it is being sent. A
    /// folder, which the outbox never makes, is left with a warning.
    ///
    /// # Errors
    ///
    /// [`Error::Outbox`] when a file cannot be removed, or another process keeps sending.
    pub fn purge(&self, which: Purge) -> Result<usize, Error> {
        let _send = match which {
            Purge::Dead => None,
            _ => Some(self.send_lock()?.ok_or_else(|| self.busy())?),
        };
        let _lock = self.lock(".lock", CONTENTS_LOCK_WAIT)?;
        let mut paths = Vec::new();
        if which != Purge::Dead {
            paths.extend(
                self.entry_files(&self.dir)?
                    .into_iter()
                    .map(|(_, path)| path),
            );
        }
        if which != Purge::Queue {
            let dead = self.entry_files(&self.dir.join("dead"))?;
            paths.extend(dead.into_iter().map(|(_, path)| path));
            paths.extend(self.files(&self.dir.join("corrupt"))?);
        }
        let mut removed = 0;
        for path in &paths {
            if !skipped_folder(path) {
                self.remove(path)?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Sends the queued entries oldest first with `client`, rereading the folder after each,
    /// until none is left or a failure stops the flush. A success removes the entry. A
    /// permanent rejection (invalid input, 404, another 4xx, `ends_at` already past by a set
    /// clock) moves it to `dead/`. A temporary failure, 401 or 403 stops the flush and keeps
    /// the entries. Entries stored for another endpoint or workspace are never sent with
    /// this client's credentials: they stay and are reported in [`FlushReport::foreign`].
    ///
    /// # Errors
    ///
    /// [`Error::Outbox`] when another process is sending (kind `Busy`, temporary), or a file
    /// cannot be read, moved or removed.
    pub fn flush(&self, client: &Client) -> Result<FlushReport, Error> {
        let _send = self.send_lock()?.ok_or_else(|| self.busy())?;
        let mut report = FlushReport::default();
        let mut last = 0;
        while let Some((sequence, path)) = self.next_entry(last)? {
            last = sequence;
            let Some((entry, _)) = self.load(sequence, &path, &mut report.corrupt)? else {
                continue;
            };
            if !entry.belongs_to(client) {
                report.foreign.push(entry);
                continue;
            }
            match self.send(client, &entry, &mut report, true)? {
                Sent::Stopped(error) => {
                    report.stopped = Some(error);
                    break;
                }
                Sent::Accepted(_) | Sent::Rejected(_) => {}
            }
        }
        report.remaining = self.entry_files(&self.dir)?.len();
        Ok(report)
    }

    /// Sends `update`, or stores it when it cannot be sent now; see
    /// [`Credentials::submit`](crate::Credentials::submit).
    pub(crate) fn submit(&self, client: &Client, update: &ValidUpdate) -> Result<Delivery, Error> {
        let Some(_send) = self.send_lock()? else {
            // Another process is sending. A running flush rereads the folder and sends this
            // entry after the others; otherwise the next flush does.
            return self.enqueue(client, update, None).map(Delivery::Queued);
        };

        // Reserved before sending, so an update queued meanwhile by another process gets a
        // later number and is sent after this one.
        let reserved = self.locked(|outbox| outbox.reserve());
        // NOTE: this reads every queued entry, and `reserve` rewrites and syncs the counter,
        // on every call. A batch of N lines over a queue of M entries does N × M reads
        // (about 5 s for 200 lines over 999 entries on x86_64) and N counter syncs.
        let waiting = self.waiting_for(client, update.acs_credential_id())?;
        let sequence = match reserved {
            Ok(sequence) => sequence,
            // With no older entry to keep the order of, the update may still get through.
            Err(error) if waiting.is_empty() => return send_unstored(client, update, error),
            Err(error) => return Err(error),
        };

        if waiting.is_empty() {
            return match client.acs().credentials().update_valid(update) {
                Ok(credential) => {
                    self.supersede(client, update, sequence)?;
                    Ok(Delivery::Sent(credential))
                }
                Err(error) if error.is_temporary() => {
                    let entry = self.enqueue(client, update, Some(sequence))?;
                    Ok(Delivery::Queued(entry))
                }
                Err(error) => Err(error),
            };
        }

        let own = self.enqueue(client, update, Some(sequence))?;
        self.send_behind(client, waiting, own)
    }

    /// Stores `update` behind every queued entry without sending it; see
    /// [`Credentials::queue`](crate::Credentials::queue).
    pub(crate) fn queue(&self, client: &Client, update: &ValidUpdate) -> Result<Entry, Error> {
        self.enqueue(client, update, None)
    }

    /// Sends the entries `waiting` for a credential, then its newest entry `own`, oldest
    /// first, with a warning for each older entry moved to dead letters. `own` is never
    /// moved there, because the caller gets its error.
    fn send_behind(
        &self,
        client: &Client,
        waiting: Vec<Entry>,
        own: Entry,
    ) -> Result<Delivery, Error> {
        let mut report = FlushReport::default();
        for entry in waiting {
            match self.send(client, &entry, &mut report, true)? {
                Sent::Stopped(error) => return self.stop_behind(own, error),
                // The caller gets only its own update's outcome, so this one is logged.
                Sent::Rejected(error) => log::warn!(
                    "moved queued update {} for credential {} to dead letters: {error}",
                    entry.sequence,
                    entry.update.acs_credential_id()
                ),
                Sent::Accepted(_) => {}
            }
        }
        match self.send(client, &own, &mut report, false)? {
            Sent::Accepted(credential) => Ok(Delivery::Sent(credential)),
            Sent::Stopped(error) => self.stop_behind(own, error),
            Sent::Rejected(error) => {
                self.locked(|outbox| outbox.remove(&own.path))?;
                Err(error)
            }
        }
    }

    /// Keeps `own` queued after a temporary failure, or removes it and returns a 401 or
    /// 403, so an update is stored only when trying again later can help.
    fn stop_behind(&self, own: Entry, error: Error) -> Result<Delivery, Error> {
        if error.is_temporary() {
            return Ok(Delivery::Queued(own));
        }
        self.locked(|outbox| outbox.remove(&own.path))?;
        Err(error)
    }

    /// Sends one entry; removes it after a success and, when `bury` is set, moves it to
    /// dead letters after a permanent rejection.
    fn send(
        &self,
        client: &Client,
        entry: &Entry,
        report: &mut FlushReport,
        bury: bool,
    ) -> Result<Sent, Error> {
        crash_point("flush", "before-send");
        match client.acs().credentials().update_valid(&entry.update) {
            Ok(credential) => {
                crash_point("flush", "after-send");
                self.locked(|outbox| outbox.remove(&entry.path))?;
                crash_point("flush", "after-remove");
                self.supersede(client, &entry.update, entry.sequence)?;
                report.sent.push(entry.clone());
                Ok(Sent::Accepted(credential))
            }
            Err(error) if stops_flush(&error) => Ok(Sent::Stopped(error)),
            Err(error) if bury => {
                let letter = self.locked(|outbox| outbox.bury(entry, &error))?;
                report.dead.push(letter);
                Ok(Sent::Rejected(error))
            }
            Err(error) => Ok(Sent::Rejected(error)),
        }
    }

    /// Removes the dead letters of `client` older than `sequence` whose every field the
    /// delivered `update` sets for the same credential, so that requeueing one cannot bring
    /// back an older value, such as a revoked PIN code. Holds the send lock.
    fn supersede(&self, client: &Client, update: &ValidUpdate, sequence: u64) -> Result<(), Error> {
        let _lock = self.lock(".lock", CONTENTS_LOCK_WAIT)?;
        for (letter, _) in self.load_all("dead", true)? {
            let old = &letter.update;
            if letter.sequence < sequence
                && letter.belongs_to(client)
                && old.acs_credential_id() == update.acs_credential_id()
                && (old.code().is_none() || update.code().is_some())
                && (old.ends_at().is_none() || update.ends_at().is_some())
            {
                self.remove(&letter.path)?;
                log::warn!(
                    "removed dead letter {} for credential {}: a newer update that sets its \
                     fields was delivered",
                    letter.sequence,
                    update.acs_credential_id()
                );
            }
        }
        Ok(())
    }

    /// Moves an entry to `dead/` with its error. Holds the contents lock.
    fn bury(&self, entry: &Entry, error: &Error) -> Result<DeadLetter, Error> {
        let response = error.response();
        let mut letter = DeadLetter {
            entry: entry.clone(),
            status: error.status(),
            error_type: response.and_then(|r| r.error_type()).map(str::to_owned),
            // Entries were checked when read, so no local error here has a cause to add.
            message: error.to_string(),
        };
        let dead = self.dir.join("dead");
        create_private_dir(&dead).map_err(|e| self.io("creating", &dead, e))?;
        let workspace = entry.workspace_id.as_deref();
        let text = entry_text(
            entry.sequence,
            &entry.endpoint,
            workspace,
            &entry.update,
            Some(&letter),
        );
        let name = entry_name(entry.sequence);
        let path = dead.join(&name);
        write_atomic(&dead, &name, text.as_bytes(), "dead")
            .map_err(|e| self.io("writing", &path, e))?;
        crash_point("flush", "during-dead-move");
        self.remove(&entry.path)?;
        letter.entry.path = path;
        Ok(letter)
    }

    /// Returns the entries of `client` for the credential `id`, oldest first.
    fn waiting_for(&self, client: &Client, id: &str) -> Result<Vec<Entry>, Error> {
        let mut waiting = Vec::new();
        for (entry, _) in self.load_all("", false)? {
            if entry.belongs_to(client) && entry.update.acs_credential_id() == id {
                waiting.push(entry);
            }
        }
        Ok(waiting)
    }

    /// Stores `update` under `sequence`, or under a new number when `None`.
    fn enqueue(
        &self,
        client: &Client,
        update: &ValidUpdate,
        sequence: Option<u64>,
    ) -> Result<Entry, Error> {
        self.locked(|outbox| {
            let sequence = match sequence {
                Some(sequence) => sequence,
                None => outbox.reserve()?,
            };
            let workspace = client.auth().workspace_id();
            let text = entry_text(sequence, client.endpoint(), workspace, update, None);
            let size = text.len() as u64;
            if size > MAX_ENTRY_BYTES / 2 {
                let message = format!(
                    "update for credential {} is too large to store: {size} bytes as an \
                     entry, at most {}; the update was not stored",
                    update.acs_credential_id(),
                    MAX_ENTRY_BYTES / 2
                );
                return Err(failure(OutboxErrorKind::Full, message, None));
            }
            outbox.check_room(size)?;
            let entry = Entry {
                sequence,
                endpoint: client.endpoint().to_owned(),
                workspace_id: workspace.map(str::to_owned),
                update: update.clone(),
                path: PathBuf::new(),
            };
            outbox.write_entry(sequence, &entry, text, "enqueue")
        })
    }

    /// Writes an entry file and returns the entry with its path. Holds the contents lock.
    fn write_entry(
        &self,
        sequence: u64,
        entry: &Entry,
        text: String,
        step: &str,
    ) -> Result<Entry, Error> {
        let name = entry_name(sequence);
        let path = self.dir.join(&name);
        if fs::symlink_metadata(&path).is_ok() {
            // Never reached while the counter works, but a rename would replace the entry.
            return Err(self.io("writing", &path, io::ErrorKind::AlreadyExists.into()));
        }
        write_atomic(&self.dir, &name, text.as_bytes(), step)
            .map_err(|e| self.io("writing", &path, e))?;
        let mut entry = entry.clone();
        entry.sequence = sequence;
        entry.path = path;
        Ok(entry)
    }

    /// Rejects a new entry of `size` bytes that would pass a limit.
    fn check_room(&self, size: u64) -> Result<(), Error> {
        let mut count = 0;
        let mut bytes = size;
        for sub in ["", "dead"] {
            for (_, path) in self.entry_files(&self.dir.join(sub))? {
                count += 1;
                bytes += fs::metadata(&path).map_or(0, |metadata| metadata.len());
            }
        }
        if count < self.max_entries && bytes <= self.max_bytes {
            return Ok(());
        }
        Err(failure(
            OutboxErrorKind::Full,
            format!(
                "queue folder {} is full: {count} entries and dead letters of at most {}, \
                 {bytes} bytes with this update of at most {}; the update was not stored; \
                 flush the queue when the network is back, or purge the dead letters",
                self.shown(),
                self.max_entries,
                self.max_bytes
            ),
            None,
        ))
    }

    /// Returns the next sequence number and stores the one after it. Holds the contents
    /// lock. The number is also kept above every entry's, so a lost counter cannot reuse one.
    fn reserve(&self) -> Result<u64, Error> {
        let path = self.dir.join("counter");
        let stored = read_text(&path)
            .ok()
            .and_then(|text| text.trim().parse::<u64>().ok())
            .unwrap_or(1);
        let mut next = stored.max(1);
        for sub in ["", "dead"] {
            if let Some((highest, _)) = self.entry_files(&self.dir.join(sub))?.last() {
                next = next.max(highest.saturating_add(1));
            }
        }
        // The last number is never used, so no entry and no counter can repeat one.
        if next == u64::MAX {
            let message = format!(
                "queue folder {} has no sequence number left; flush or purge it, then \
                 delete its counter file",
                self.shown()
            );
            return Err(failure(OutboxErrorKind::Io, message, None));
        }
        let text = format!("{}\n", next + 1);
        write_atomic(&self.dir, "counter", text.as_bytes(), "counter")
            .map_err(|e| self.io("writing", &path, e))?;
        Ok(next)
    }

    /// Reads the entries of the queue, or of its folder `sub`, oldest first, and moves the
    /// corrupt ones aside. `locked` is set when the caller holds the contents lock.
    fn load_all(&self, sub: &str, locked: bool) -> Result<Vec<(Entry, Option<DeadLetter>)>, Error> {
        let mut moved = Vec::new();
        let mut loaded = Vec::new();
        for (sequence, path) in self.entry_files(&self.dir.join(sub))? {
            loaded.extend(if locked {
                self.load_locked(sequence, &path, &mut moved)?
            } else {
                self.load(sequence, &path, &mut moved)?
            });
        }
        Ok(loaded)
    }

    /// Returns the first queued entry file after `last`.
    fn next_entry(&self, last: u64) -> Result<Option<(u64, PathBuf)>, Error> {
        let files = self.entry_files(&self.dir)?;
        Ok(files.into_iter().find(|(sequence, _)| *sequence > last))
    }

    /// Reads an entry, taking the contents lock to move it aside when it is unreadable.
    fn load(
        &self,
        sequence: u64,
        path: &Path,
        moved: &mut Vec<PathBuf>,
    ) -> Result<Option<(Entry, Option<DeadLetter>)>, Error> {
        match read_entry(path, sequence) {
            Ok(loaded) => Ok(loaded),
            // Read again under the lock, which also reports a failing read.
            Err(_) => self.locked(|outbox| outbox.load_locked(sequence, path, moved)),
        }
    }

    /// Reads an entry while holding the contents lock, and moves a corrupt one to
    /// `corrupt/`. Returns `None` for a file that is gone or was moved; a file the system
    /// fails to read is an error and stays.
    fn load_locked(
        &self,
        sequence: u64,
        path: &Path,
        moved: &mut Vec<PathBuf>,
    ) -> Result<Option<(Entry, Option<DeadLetter>)>, Error> {
        let problem = match read_entry(path, sequence) {
            Err(error) if error.kind() == io::ErrorKind::InvalidData => error,
            read => return read.map_err(|e| self.io("reading", path, e)),
        };
        let corrupt = self.dir.join("corrupt");
        create_private_dir(&corrupt).map_err(|e| self.io("creating", &corrupt, e))?;
        let parent = path.parent().unwrap_or(&self.dir);
        let prefix = if parent == self.dir { "" } else { "dead-" };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        let target = corrupt.join(format!("{prefix}{name}"));
        fs::rename(path, &target)
            .and_then(|()| sync_dir(&corrupt))
            .and_then(|()| sync_dir(parent))
            .map_err(|e| self.io("moving", path, e))?;
        log::warn!(
            "moved unreadable queue file {} to {}: {problem}",
            quoted(path),
            quoted(&target)
        );
        moved.push(target);
        Ok(None)
    }

    /// Removes a file and syncs its folder; a file already gone counts as removed.
    fn remove(&self, path: &Path) -> Result<(), Error> {
        match fs::remove_file(path) {
            Err(error) if error.kind() != io::ErrorKind::NotFound => {
                return Err(self.io("removing", path, error));
            }
            _ => {}
        }
        let parent = path.parent().unwrap_or(&self.dir);
        sync_dir(parent).map_err(|e| self.io("syncing", parent, e))
    }

    /// Returns the entry files of `dir` by sequence number; none when `dir` is missing.
    fn entry_files(&self, dir: &Path) -> Result<Vec<(u64, PathBuf)>, Error> {
        let mut files: Vec<(u64, PathBuf)> = Vec::new();
        for path in self.files(dir)? {
            let name = path.file_name().and_then(|name| name.to_str());
            if let Some(sequence) = name.and_then(sequence_of) {
                // Kept sorted by inserting in place, which compiles smaller than a sort.
                let at = files.partition_point(|(other, _)| *other < sequence);
                files.insert(at, (sequence, path));
            }
        }
        Ok(files)
    }

    /// Returns the paths in `dir`, in no order; none when `dir` is missing.
    fn files(&self, dir: &Path) -> Result<Vec<PathBuf>, Error> {
        // Folders are listed too: one named like an entry is moved aside as corrupt.
        let listed = fs::read_dir(dir).and_then(|read| read.map(|item| Ok(item?.path())).collect());
        match listed {
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
            listed => listed.map_err(|e| self.io("reading", dir, e)),
        }
    }

    fn remove_temp_files(&self, dir: &Path) -> Result<(), Error> {
        for path in self.files(dir)? {
            if path.extension().is_none_or(|extension| extension != "tmp") {
                continue;
            }
            if !skipped_folder(&path) {
                self.remove(&path)?;
            }
        }
        Ok(())
    }

    // NOTE: only the mode bits are checked, not the owner, because std has no call for the
    // process's user id.
    fn check_permissions(&self) -> Result<(), Error> {
        let metadata = fs::metadata(&self.dir).map_err(|e| self.io("reading", &self.dir, e))?;
        let mode = permission_bits(&metadata);
        if !metadata.is_dir() || mode & 0o077 != 0 {
            let found = if metadata.is_dir() {
                format!("has mode {mode:04o}")
            } else {
                "is not a folder".to_owned()
            };
            let shown = self.shown();
            return Err(failure(
                OutboxErrorKind::Permissions,
                format!(
                    "queue folder {shown} {found}, but it holds PIN codes and must be a \
                     folder only its owner can open; run chmod 700 {shown}, or choose a \
                     new folder, which is created with mode 0700"
                ),
                None,
            ));
        }
        Ok(())
    }

    /// Runs `change` while holding the lock that guards the folder's contents.
    fn locked<T>(&self, change: impl FnOnce(&Outbox) -> Result<T, Error>) -> Result<T, Error> {
        let _lock = self.lock(".lock", CONTENTS_LOCK_WAIT)?;
        change(self)
    }

    /// Takes the send lock, or returns `None` when another process keeps it past
    /// [`SEND_LOCK_WAIT`].
    fn send_lock(&self) -> Result<Option<File>, Error> {
        match self.lock(".send.lock", SEND_LOCK_WAIT) {
            Err(Error::Outbox(error)) if error.kind == OutboxErrorKind::Busy => Ok(None),
            other => other.map(Some),
        }
    }

    /// Locks the file `name`, polling until `wait` passes. The lock ends when the returned
    /// file is closed, also when the process dies.
    fn lock(&self, name: &str, wait: Duration) -> Result<File, Error> {
        let path = self.dir.join(name);
        let file = private_options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| self.io("opening", &path, e))?;
        let started = Instant::now();
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(file),
                Err(fs::TryLockError::WouldBlock) if started.elapsed() < wait => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(fs::TryLockError::WouldBlock) => return Err(self.busy()),
                Err(fs::TryLockError::Error(error)) => return Err(self.io("locking", &path, error)),
            }
        }
    }

    fn busy(&self) -> Error {
        failure(
            OutboxErrorKind::Busy,
            format!(
                "another process is using queue folder {}, most likely flushing it; try \
                 again later",
                self.shown()
            ),
            None,
        )
    }

    fn io(&self, action: &str, path: &Path, error: io::Error) -> Error {
        let shown = self.shown();
        // Most often a file that root made while running seam-edge by hand.
        let hint = if error.kind() == io::ErrorKind::PermissionDenied && path != self.dir {
            format!(
                "it may belong to another user: seam-edge must run as the owner of queue \
                 folder {shown}, for example after chown -R USER {shown}"
            )
        } else {
            format!("check that queue folder {shown} is writable and its disk has free space")
        };
        let path = quoted(path);
        failure(
            OutboxErrorKind::Io,
            format!("{action} {path} failed; {hint}"),
            Some(error),
        )
    }

    fn shown(&self) -> String {
        quoted(&self.dir)
    }
}

/// Sends an update that the outbox cannot store, because its folder failed with
/// `storage_error`; a temporary failure then returns that error.
fn send_unstored(
    client: &Client,
    update: &ValidUpdate,
    storage_error: Error,
) -> Result<Delivery, Error> {
    match client.acs().credentials().update_valid(update) {
        Ok(credential) => Ok(Delivery::Sent(credential)),
        Err(error) if error.is_temporary() => Err(storage_error),
        Err(error) => Err(error),
    }
}

/// Returns whether `path` is a folder, after a warning. The outbox never makes one named
/// like a file of its own, so it is not the outbox's to delete.
fn skipped_folder(path: &Path) -> bool {
    let folder = path.is_dir();
    if folder {
        log::warn!(
            "skipped folder {}, which is not an outbox file; remove it by hand",
            quoted(path)
        );
    }
    folder
}

/// Returns a path in quotes, escaped.
fn quoted(path: &Path) -> String {
    Quoted(&path.display().to_string()).to_string()
}

fn failure(kind: OutboxErrorKind, message: String, source: Option<io::Error>) -> Error {
    Error::Outbox(Box::new(OutboxError {
        kind,
        message,
        source,
    }))
}

/// Returns whether a failure stops a flush with every entry kept: trying later may help,
/// or the credentials are wrong, which no entry can be blamed for.
fn stops_flush(error: &Error) -> bool {
    error.is_temporary()
        || matches!(
            error,
            Error::Unauthorized(_) | Error::Forbidden(_) | Error::Config(_) | Error::Outbox(_)
        )
}

fn entry_name(sequence: u64) -> String {
    format!("{sequence:020}.json")
}

/// Returns the sequence number of an entry file name: 20 digits and `.json`.
fn sequence_of(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(".json")?;
    if digits.len() != 20 || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Returns the JSON text of an entry, with the error of a dead letter.
fn entry_text(
    sequence: u64,
    endpoint: &str,
    workspace_id: Option<&str>,
    update: &ValidUpdate,
    letter: Option<&DeadLetter>,
) -> String {
    let text = |value: Option<&str>| value.map_or(Value::Null, |v| Value::String(v.to_owned()));
    let ends_at = update.ends_at().map(ToString::to_string);
    let mut members = vec![
        ("version", Value::Number(Number::U64(ENTRY_VERSION))),
        ("sequence", Value::Number(Number::U64(sequence))),
        ("endpoint", text(Some(endpoint))),
        ("workspace_id", text(workspace_id)),
        ("acs_credential_id", text(Some(update.acs_credential_id()))),
        ("code", text(update.code())),
        ("ends_at", text(ends_at.as_deref())),
    ];
    if let Some(letter) = letter {
        let status = letter
            .status
            .map_or(Value::Null, |s| Value::Number(Number::U64(s.into())));
        let error = vec![
            ("status", status),
            ("type", text(letter.error_type.as_deref())),
            ("message", text(Some(&letter.message))),
        ];
        members.push(("error", Value::Object(object(error))));
    }
    json::to_string(&object(members))
}

/// Builds a JSON object from its members; one loop compiles smaller than many inserts.
fn object(members: Vec<(&str, Value)>) -> Object {
    let mut object = Object::new();
    for (key, value) in members {
        object.insert(key.to_owned(), value);
    }
    object
}

/// Reads an entry file. `Ok(None)` when it is gone. A corrupt file, one that is not a
/// regular file, not UTF-8 or not an entry of this version, is an error of kind
/// `InvalidData` with the reason. Any other error is the system's, and the file stays.
fn read_entry(path: &Path, sequence: u64) -> io::Result<Option<(Entry, Option<DeadLetter>)>> {
    let text = match read_text(path) {
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        read => read?,
    };
    let Ok(Value::Object(object)) = json::from_str::<Value>(&text) else {
        return Err(invalid("not a JSON object".into()));
    };
    parse_entry(&object, sequence, path)
        .map(Some)
        .map_err(invalid)
}

/// Reads a regular file of at most [`MAX_ENTRY_BYTES`] as text. Anything else, a symbolic
/// link or a FIFO included, is rejected as `InvalidData` before it is opened.
fn read_text(path: &Path) -> io::Result<String> {
    // NOTE: a file swapped for a FIFO between this check and the open would still block,
    // but only the folder's owner can write in it.
    if !fs::symlink_metadata(path)?.is_file() {
        return Err(invalid("not a regular file".into()));
    }
    let bytes = crate::http::read_limited(File::open(path)?, MAX_ENTRY_BYTES)?;
    // The same error, and so the same reason for a corrupt file, as `read_to_string`'s.
    String::from_utf8(bytes).map_err(|_| invalid("stream did not contain valid UTF-8".into()))
}

fn invalid(reason: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, reason)
}

fn parse_entry(
    object: &Object,
    sequence: u64,
    path: &Path,
) -> Result<(Entry, Option<DeadLetter>), String> {
    let number = |key: &str| match object.get(key) {
        Some(Value::Number(Number::U64(number))) => Some(*number),
        _ => None,
    };
    match number("version") {
        Some(ENTRY_VERSION) => {}
        Some(other) => return Err(format!("unknown version {other}, expected {ENTRY_VERSION}")),
        None => return Err("missing version".to_owned()),
    }
    if number("sequence") != Some(sequence) {
        return Err(format!(
            "missing sequence, or one other than the file name's {sequence}"
        ));
    }
    let endpoint = optional(object, "endpoint")?.ok_or("missing endpoint")?;
    let workspace_id = optional(object, "workspace_id")?;
    let id = optional(object, "acs_credential_id")?.ok_or("missing acs_credential_id")?;
    let mut params = UpdateCredentialParams::new(id);
    params.code = optional(object, "code")?;
    params.ends_at = optional(object, "ends_at")?;
    // The message of a rejected code never repeats the code.
    let update = params.validate().map_err(|error| error.to_string())?;
    let entry = Entry {
        sequence,
        endpoint,
        workspace_id,
        update,
        path: path.to_owned(),
    };
    let letter = match object.get("error") {
        Some(Value::Object(error)) => Some(DeadLetter {
            entry: entry.clone(),
            status: match error.get("status") {
                Some(Value::Number(Number::U64(status))) => u16::try_from(*status).ok(),
                _ => None,
            },
            error_type: optional(error, "type")?,
            message: optional(error, "message")?.unwrap_or_default(),
        }),
        _ => None,
    };
    Ok((entry, letter))
}

/// Reads a member that is a string, `null` or missing; any other type is an error.
fn optional(object: &Object, key: &str) -> Result<Option<String>, String> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(format!("{key} is not a string")),
    }
}

/// Writes `bytes` to `dir/name` so that a crash leaves the old file or the new one: write a
/// temporary file, sync it, rename it into place, sync the folder.
fn write_atomic(dir: &Path, name: &str, bytes: &[u8], step: &str) -> io::Result<()> {
    let temp = dir.join(format!("{name}.tmp"));
    let written: io::Result<()> = (|| {
        let mut file = private_options()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&temp)?;
        file.write_all(bytes)?;
        crash_point(step, "after-temp-write");
        file.sync_all()?;
        crash_point(step, "after-sync");
        fs::rename(&temp, dir.join(name))?;
        crash_point(step, "after-rename");
        Ok(())
    })();
    if written.is_err() {
        // A partly written file would only take space on a disk that may be full.
        let _ = fs::remove_file(&temp);
    }
    written?;
    crash_point(step, "before-dir-sync");
    sync_dir(dir)
}

/// Stops the process at a named step, for the crash tests, when `SEAM_EDGE_ABORT_AT` is
/// `step:point`. Compiled only with the hidden `fault-injection` feature.
#[cfg(feature = "fault-injection")]
fn crash_point(step: &str, point: &str) {
    // NOTE: the only place outside `from_env` that reads the environment, in a test build.
    if let Ok(target) = std::env::var("SEAM_EDGE_ABORT_AT")
        && target.split_once(':') == Some((step, point))
    {
        std::process::abort();
    }
}

#[cfg(not(feature = "fault-injection"))]
#[inline(always)]
fn crash_point(_step: &str, _point: &str) {}

#[cfg(unix)]
fn private_options() -> OpenOptions {
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = OpenOptions::new();
    options.mode(0o600);
    options
}

#[cfg(not(unix))]
fn private_options() -> OpenOptions {
    OpenOptions::new()
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    match fs::DirBuilder::new().mode(0o700).create(dir) {
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        created => created,
    }
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> io::Result<()> {
    match fs::create_dir(dir) {
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        created => created,
    }
}

#[cfg(unix)]
fn permission_bits(metadata: &fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    metadata.permissions().mode() & 0o7777
}

#[cfg(not(unix))]
fn permission_bits(_metadata: &fs::Metadata) -> u32 {
    0o700
}

/// Syncs a folder, so that a rename or removal in it survives a power cut.
#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}
