//! Tests of the library's outbox, `Credentials::submit` and `Outbox`, against the loopback
//! fake.
#![cfg(all(feature = "fake-server", unix))]

use std::fs;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use seam_edge::fake::{FakeSeam, Fault, SEEDED_CREDENTIAL_IDS};
use seam_edge::{
    Auth, Client, ClientBuilder, Delivery, Error, Outbox, OutboxErrorKind, Purge,
    UpdateCredentialParams, ValidUpdate,
};

const FRONT: &str = SEEDED_CREDENTIAL_IDS[0];
const BACK: &str = SEEDED_CREDENTIAL_IDS[1];
const PIN: &str = "918273";

/// A unique folder path under the temporary directory, removed when dropped.
struct Folder(PathBuf);

impl Folder {
    fn new() -> Folder {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let number = NEXT.fetch_add(1, Ordering::Relaxed);
        let name = format!("seam-edge-outbox-lib-{}-{number}", std::process::id());
        Folder(std::env::temp_dir().join(name))
    }
}

impl Drop for Folder {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn builder(fake: &FakeSeam) -> ClientBuilder {
    Client::builder()
        .endpoint(fake.endpoint())
        .root_certs_pem(fake.ca_pem())
        .auth(Auth::api_key(fake.api_key()))
        .timeout(Duration::from_secs(5))
        .retries(0)
}

fn queued_client(fake: &FakeSeam, folder: &Folder) -> Client {
    builder(fake).queue_dir(&folder.0).build().unwrap()
}

fn update(id: &str, code: &str) -> ValidUpdate {
    UpdateCredentialParams::new(id)
        .code(code)
        .validate()
        .unwrap()
}

fn submit(client: &Client, id: &str, code: &str) -> Delivery {
    client
        .acs()
        .credentials()
        .submit(&update(id, code))
        .unwrap()
}

#[test]
fn submit_without_folder_sends() {
    let fake = FakeSeam::start().unwrap();
    let client = builder(&fake).build().unwrap();
    fake.inject(Fault::ServiceUnavailable, 1);

    let error = client
        .acs()
        .credentials()
        .submit(&update(FRONT, PIN))
        .unwrap_err();

    assert!(error.is_temporary(), "{error:?}");
    assert_eq!(client.queue_dir(), None);
}

#[test]
fn submit_returns_sent_credential() {
    let fake = FakeSeam::start().unwrap();
    let folder = Folder::new();
    let client = queued_client(&fake, &folder);

    let Delivery::Sent(Some(credential)) = submit(&client, FRONT, PIN) else {
        panic!("not sent");
    };

    assert_eq!(credential.acs_credential_id, FRONT);
    assert!(
        Outbox::open(&folder.0)
            .unwrap()
            .list()
            .unwrap()
            .queued
            .is_empty()
    );
}

#[test]
fn submit_queues_temporary_failure() {
    let fake = FakeSeam::start().unwrap();
    let folder = Folder::new();
    let client = queued_client(&fake, &folder);
    fake.inject(Fault::ServiceUnavailable, 1);

    let Delivery::Queued(entry) = submit(&client, FRONT, PIN) else {
        panic!("not queued");
    };

    assert_eq!(entry.sequence, 1);
    assert_eq!(entry.endpoint, fake.endpoint());
    assert_eq!(entry.workspace_id, None);
    assert_eq!(entry.update, update(FRONT, PIN));
    assert_eq!(entry.path, folder.0.join("00000000000000000001.json"));
    assert!(!format!("{entry:?}").contains(PIN));
    let listing = Outbox::open(&folder.0).unwrap().list().unwrap();
    assert_eq!(listing.queued, [entry]);
}

#[test]
fn submit_rejects_invalid_input_unstored() {
    let fake = FakeSeam::start().unwrap();
    let folder = Folder::new();
    let client = queued_client(&fake, &folder);
    let past = UpdateCredentialParams::new(FRONT)
        .ends_at("2020-01-01T00:00:00Z")
        .validate()
        .unwrap();

    let error = client.acs().credentials().submit(&past).unwrap_err();

    assert!(matches!(error, Error::InvalidInput(_)), "{error:?}");
    assert!(fake.requests().is_empty());
}

#[test]
fn flush_reports_sent_entries() {
    let fake = FakeSeam::start().unwrap();
    let folder = Folder::new();
    let client = queued_client(&fake, &folder);
    fake.inject(Fault::ServiceUnavailable, 2);
    submit(&client, FRONT, "1111");
    submit(&client, BACK, "2222");

    let report = Outbox::open(&folder.0).unwrap().flush(&client).unwrap();

    let sent: Vec<u64> = report.sent.iter().map(|entry| entry.sequence).collect();
    assert_eq!(sent, [1, 2]);
    assert!(report.dead.is_empty());
    assert!(report.stopped.is_none());
    assert_eq!(report.remaining, 0);
}

#[test]
fn requeue_and_purge_dead_letters() {
    let fake = FakeSeam::start().unwrap();
    let folder = Folder::new();
    let client = queued_client(&fake, &folder);
    fake.inject(Fault::ServiceUnavailable, 1);
    submit(&client, "no-such-credential", PIN);
    let outbox = Outbox::open(&folder.0).unwrap();

    let report = outbox.flush(&client).unwrap();
    assert_eq!(report.dead.len(), 1);
    let letter = &report.dead[0];
    assert_eq!(letter.status, Some(404));
    assert_eq!(
        letter.error_type.as_deref(),
        Some("acs_credential_not_found")
    );
    assert_eq!(outbox.list().unwrap().dead, report.dead);

    let requeued = outbox.requeue().unwrap();
    assert_eq!(requeued.len(), 1);
    assert_eq!(requeued[0].sequence, 2);
    let listing = outbox.list().unwrap();
    assert_eq!(listing.queued, requeued);
    assert!(listing.dead.is_empty());

    assert_eq!(outbox.purge(Purge::Dead).unwrap(), 0);
    assert_eq!(outbox.purge(Purge::Queue).unwrap(), 1);
    assert!(outbox.list().unwrap().queued.is_empty());
}

#[test]
fn limits_reject_new_entry() {
    let fake = FakeSeam::start().unwrap();
    let folder = Folder::new();
    let client = builder(&fake)
        .queue_dir(&folder.0)
        .queue_limits(1, 1024)
        .build()
        .unwrap();
    fake.inject(Fault::ServiceUnavailable, 2);
    submit(&client, FRONT, "1111");

    let error = client
        .acs()
        .credentials()
        .submit(&update(BACK, PIN))
        .unwrap_err();

    let Error::Outbox(outbox_error) = &error else {
        panic!("{error:?}");
    };
    assert_eq!(outbox_error.kind(), OutboxErrorKind::Full);
    assert!(!error.is_temporary());
    assert!(!error.to_string().contains(PIN));
    assert_eq!(
        Outbox::open(&folder.0)
            .unwrap()
            .list()
            .unwrap()
            .queued
            .len(),
        1
    );
}

#[test]
fn busy_send_lock_stops_flush_and_requeue() {
    let fake = FakeSeam::start().unwrap();
    let folder = Folder::new();
    let client = queued_client(&fake, &folder);
    let outbox = Outbox::open(&folder.0).unwrap();
    let holder = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(folder.0.join(".send.lock"))
        .unwrap();
    holder.lock().unwrap();

    let delivery = submit(&client, FRONT, PIN);
    let error = outbox.flush(&client).unwrap_err();
    let requeue_error = outbox.requeue().unwrap_err();

    assert!(matches!(delivery, Delivery::Queued(_)), "{delivery:?}");
    assert!(fake.requests().is_empty());
    for error in [error, requeue_error] {
        assert!(error.is_temporary(), "{error:?}");
        assert!(
            error
                .to_string()
                .starts_with("another process is using queue folder"),
            "{error}"
        );
    }
}

#[test]
fn fill_from_vars_reads_queue_dir() {
    let fake = FakeSeam::start().unwrap();
    let client = builder(&fake)
        .fill_from_vars(|name| {
            (name == "SEAM_EDGE_QUEUE_DIR").then(|| "/var/spool/seam".to_owned())
        })
        .unwrap()
        .build()
        .unwrap();

    assert_eq!(
        client.queue_dir(),
        Some(std::path::Path::new("/var/spool/seam"))
    );
}
