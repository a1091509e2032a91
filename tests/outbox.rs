//! Runs the built `seam-edge` binary with an outbox folder against the loopback fake: queueing
//! on temporary failures, flushing, dead letters, limits, corrupt files, crashes at every
//! step of a write, and concurrent runs.
//!
//! Every run clears the environment and passes `--endpoint` with the fake's loopback URL.
//! Unix only, because the tests check permission bits and signals.
#![cfg(all(feature = "fake-server", unix))]

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::Duration;

use miniserde::json::{self, Object, Value};
use seam_edge::fake::{CannedReply, FakeSeam, Fault, SEEDED_CREDENTIAL_IDS};

use common::Output;
use common::exit::{
    BAD_CREDENTIALS, CONFIG, INVALID_INPUT, OK, REJECTED, STORAGE, TEMPORARY, USAGE,
};

const FRONT: &str = SEEDED_CREDENTIAL_IDS[0];
const BACK: &str = SEEDED_CREDENTIAL_IDS[1];

/// A PIN distinctive enough that finding it in any output means it leaked.
const PIN: &str = "918273";

/// An id the fake does not know, so an update of it gets 404.
const UNKNOWN: &str = "no-such-credential";

/// Maximum time one run may take before the test kills it.
const RUN_LIMIT: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------------------
// Runner
// ---------------------------------------------------------------------------------------

/// A temporary folder with the fake's CA file and a `queue` folder path, removed when
/// dropped.
struct Scratch {
    root: PathBuf,
    queue: PathBuf,
    ca: PathBuf,
}

impl Scratch {
    fn new(fake: &FakeSeam) -> Scratch {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let number = NEXT.fetch_add(1, Ordering::Relaxed);
        let root =
            std::env::temp_dir().join(format!("seam-edge-outbox-{}-{number}", std::process::id()));
        fs::create_dir_all(&root).unwrap();
        let ca = root.join("ca.pem");
        fs::write(&ca, fake.ca_pem()).unwrap();
        Scratch {
            queue: root.join("queue"),
            root,
            ca,
        }
    }

    /// Returns the entry files of the queue, or of `dead/` or `corrupt/`, sorted.
    fn files(&self, sub: &str) -> Vec<PathBuf> {
        let dir = self.queue.join(sub);
        let Ok(read) = fs::read_dir(&dir) else {
            return Vec::new();
        };
        let mut files: Vec<PathBuf> = read
            .map(|item| item.unwrap().path())
            .filter(|path| path.is_file() && path.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        files
    }

    fn queued(&self) -> Vec<PathBuf> {
        self.files("")
    }

    fn dead(&self) -> Vec<PathBuf> {
        self.files("dead")
    }

    /// Returns every file whose name ends in `.tmp`, in the queue and below.
    fn temp_files(&self) -> Vec<PathBuf> {
        let mut found = Vec::new();
        for dir in [self.queue.clone(), self.queue.join("dead")] {
            if let Ok(read) = fs::read_dir(dir) {
                for item in read {
                    let path = item.unwrap().path();
                    if path.extension().is_some_and(|e| e == "tmp") {
                        found.push(path);
                    }
                }
            }
        }
        found
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.root);
    }
}

/// Returns a command aimed at `fake` with its API key, one attempt per call, and the
/// scratch queue folder.
fn cmd(fake: &FakeSeam, scratch: &Scratch) -> Command {
    let mut command = common::seam_edge_command();
    command
        .env_clear()
        .env("SEAM_API_KEY", fake.api_key())
        .arg("--endpoint")
        .arg(fake.endpoint())
        .arg("--ca-file")
        .arg(&scratch.ca)
        .args(["--retries", "0", "--queue-dir"])
        .arg(&scratch.queue);
    command
}

fn spawn(command: &mut Command) -> Child {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start seam-edge")
}

/// Waits at most [`RUN_LIMIT`] for a child and collects its output.
fn finish(child: Child) -> Output {
    common::finish(child, RUN_LIMIT)
}

fn run(mut command: Command) -> Output {
    finish(spawn(&mut command))
}

fn update_args(id: &str, code: Option<&str>, ends_at: Option<&str>) -> Vec<String> {
    let mut args: Vec<String> = ["acs", "credentials", "update", "--acs-credential-id", id]
        .iter()
        .map(|word| word.to_string())
        .collect();
    if let Some(code) = code {
        args.extend(["--code".to_owned(), code.to_owned()]);
    }
    if let Some(ends_at) = ends_at {
        args.extend(["--ends-at".to_owned(), ends_at.to_owned()]);
    }
    args
}

/// Runs an update that gets 503 from the fake, so it is queued.
fn queue_update(
    fake: &FakeSeam,
    scratch: &Scratch,
    id: &str,
    code: Option<&str>,
    ends_at: Option<&str>,
) -> Output {
    fake.inject(Fault::ServiceUnavailable, 1);
    let mut command = cmd(fake, scratch);
    command.args(update_args(id, code, ends_at));
    let out = run(command);
    assert_eq!(out.code, Some(OK), "{out}");
    assert_eq!(
        fake.pending_faults(),
        0,
        "the update never reached the fake: {out}"
    );
    out
}

fn outbox(fake: &FakeSeam, scratch: &Scratch, words: &[&str]) -> Output {
    let mut command = cmd(fake, scratch);
    command.arg("outbox").args(words);
    run(command)
}

fn parse_object(text: &str) -> Object {
    match json::from_str::<Value>(text.trim()) {
        Ok(Value::Object(object)) => object,
        _ => panic!("expected a JSON object, found {text:?}"),
    }
}

fn string_field<'a>(object: &'a Object, key: &str) -> Option<&'a str> {
    match object.get(key) {
        Some(Value::String(text)) => Some(text),
        _ => None,
    }
}

fn array_field<'a>(object: &'a Object, key: &str) -> &'a [Value] {
    match object.get(key) {
        Some(Value::Array(items)) => items,
        other => panic!("expected an array at {key:?}, found {other:?}"),
    }
}

/// Returns the bodies of the update requests the fake received, in order, as objects.
fn update_bodies(fake: &FakeSeam) -> Vec<Object> {
    fake.requests()
        .iter()
        .filter(|request| request.path == "/acs/credentials/update")
        .map(|request| parse_object(&request.body_text()))
        .collect()
}

/// Returns the codes of the update requests for `id`, in order.
fn codes_sent(fake: &FakeSeam, id: &str) -> Vec<String> {
    update_bodies(fake)
        .iter()
        .filter(|body| string_field(body, "acs_credential_id") == Some(id))
        .filter_map(|body| string_field(body, "code").map(str::to_owned))
        .collect()
}

fn stored(fake: &FakeSeam, id: &str) -> (Option<String>, Option<String>) {
    let credential = fake.credential(id).expect("seeded credential");
    (credential.code, credential.ends_at)
}

/// Writes a valid entry file directly, as an earlier run would have.
fn write_entry(scratch: &Scratch, fake: &FakeSeam, sequence: u64, id: &str, code: &str) {
    fs::create_dir_all(&scratch.queue).unwrap();
    fs::set_permissions(&scratch.queue, fs::Permissions::from_mode(0o700)).unwrap();
    let text = format!(
        "{{\"version\":1,\"sequence\":{sequence},\"endpoint\":\"{}\",\"workspace_id\":null,\
         \"acs_credential_id\":\"{id}\",\"code\":\"{code}\",\"ends_at\":null}}",
        fake.endpoint()
    );
    fs::write(scratch.queue.join(format!("{sequence:020}.json")), text).unwrap();
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

// ---------------------------------------------------------------------------------------
// Queueing and flushing
// ---------------------------------------------------------------------------------------

#[test]
fn temporary_failure_queues_privately() {
    let fake = FakeSeam::start().unwrap();
    let scratch = Scratch::new(&fake);
    let out = queue_update(&fake, &scratch, FRONT, Some(PIN), None);

    assert!(
        out.stderr
            .contains(&format!("queued update 1 for credential {FRONT}")),
        "{out}"
    );
    assert!(!out.stderr.contains(PIN), "{out}");
    assert_eq!(mode(&scratch.queue), 0o700);
    let files = scratch.queued();
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(mode(&files[0]), 0o600);
    let text = fs::read_to_string(&files[0]).unwrap();
    assert!(!text.contains(fake.api_key()), "{text}");
    let entry = parse_object(&text);
    assert_eq!(string_field(&entry, "acs_credential_id"), Some(FRONT));
    assert_eq!(string_field(&entry, "code"), Some(PIN));
    assert_eq!(
        string_field(&entry, "endpoint"),
        Some(fake.endpoint().as_str())
    );
    assert!(matches!(entry.get("workspace_id"), Some(Value::Null)));
    assert_ne!(stored(&fake, FRONT).0.as_deref(), Some(PIN));
}

#[test]
fn flush_delivers_and_removes() {
    let fake = FakeSeam::start().unwrap();
    let scratch = Scratch::new(&fake);
    queue_update(
        &fake,
        &scratch,
        FRONT,
        Some(PIN),
        Some("2031-01-01T00:00:00Z"),
    );

    let out = outbox(&fake, &scratch, &["flush"]);

    assert_eq!(out.code, Some(OK), "{out}");
    assert_eq!(out.stdout, "", "{out}");
    assert_eq!(out.stderr, "", "{out}");
    let (code, ends_at) = stored(&fake, FRONT);
    assert_eq!(code.as_deref(), Some(PIN));
    assert_eq!(ends_at.as_deref(), Some("2031-01-01T00:00:00Z"));
    assert!(scratch.queued().is_empty());
}

#[test]
fn flush_of_empty_queue_succeeds() {
    let fake = FakeSeam::start().unwrap();
    let scratch = Scratch::new(&fake);
    let out = outbox(&fake, &scratch, &["flush", "-v"]);

    assert_eq!(out.code, Some(OK), "{out}");
    assert_eq!(out.stdout, "sent 0, dead letters 0, remaining 0\n", "{out}");
    assert!(fake.requests().is_empty());
}

#[test]
fn queued_update_json_reports_entry() {
    let fake = FakeSeam::start().unwrap();
    let scratch = Scratch::new(&fake);
    fake.inject(Fault::ServiceUnavailable, 1);
    let mut command = cmd(&fake, &scratch);
    command
        .args(update_args(FRONT, Some(PIN), None))
        .arg("--json");
    let out = run(command);

    assert_eq!(out.code, Some(OK), "{out}");
    let object = parse_object(&out.stdout);
    assert!(matches!(object.get("ok"), Some(Value::Bool(true))), "{out}");
    assert_eq!(string_field(&object, "status"), Some("queued"));
    let Some(Value::Object(entry)) = object.get("entry") else {
        panic!("no entry: {out}");
    };
    assert_eq!(string_field(entry, "acs_credential_id"), Some(FRONT));
    assert_eq!(string_field(entry, "code"), Some("******"));
    assert!(!out.stdout.contains(PIN), "{out}");
}

#[test]
fn sent_update_json_says_sent() {
    let fake = FakeSeam::start().unwrap();
    let scratch = Scratch::new(&fake);
    let mut command = cmd(&fake, &scratch);
    command
        .args(update_args(FRONT, Some(PIN), None))
        .arg("--json");
    let out = run(command);

    assert_eq!(out.code, Some(OK), "{out}");
    let object = parse_object(&out.stdout);
    assert_eq!(string_field(&object, "status"), Some("sent"));
    assert!(scratch.queued().is_empty());
}

#[test]
fn permanent_failure_is_not_queued() {
    let fake = FakeSeam::start().unwrap();
    let scratch = Scratch::new(&fake);
    let mut command = cmd(&fake, &scratch);
    command.args(update_args(UNKNOWN, Some(PIN), None));
    let out = run(command);

    assert_eq!(out.code, Some(REJECTED), "{out}");
    assert!(scratch.queued().is_empty());
    assert!(scratch.dead().is_empty());
}

#[test]
fn flush_sends_oldest_first() {
    let fake = FakeSeam::start().unwrap();
    let scratch = Scratch::new(&fake);
    queue_update(&fake, &scratch, FRONT, Some("1111"), None);
    queue_update(&fake, &scratch, BACK, Some("2222"), None);
    queue_update(&fake, &scratch, FRONT, Some("3333"), None);
    fake.clear_requests();

    let out = outbox(&fake, &scratch, &["flush"]);

    assert_eq!(out.code, Some(OK), "{out}");
    let codes: Vec<String> = update_bodies(&fake)
        .iter()
        .map(|body| string_field(body, "code").unwrap().to_owned())
        .collect();
    assert_eq!(codes, ["1111", "2222", "3333"]);
    assert_eq!(stored(&fake, FRONT).0.as_deref(), Some("3333"));
    assert_eq!(stored(&fake, BACK).0.as_deref(), Some("2222"));
    assert!(scratch.queued().is_empty());
}

#[test]
fn flush_moves_not_found_to_dead_letters() {
    let fake = FakeSeam::start().unwrap();
    let scratch = Scratch::new(&fake);
    queue_update(&fake, &scratch, UNKNOWN, Some(PIN), None);
    queue_update(&fake, &scratch, FRONT, Some("4444"), None);

    let out = outbox(&fake, &scratch, &["flush"]);

    assert_eq!(out.code, Some(REJECTED), "{out}");
    assert!(
        out.stderr.contains(&format!(
            "seam-edge: queued update 1 {UNKNOWN} code ****** moved to dead letters: seam api \
             error (http 404"
        )),
        "{out}"
    );
    assert!(out.stderr.contains("acs_credential_not_found"), "{out}");
    assert!(!out.stderr.contains(PIN), "{out}");
    assert_eq!(stored(&fake, FRONT).0.as_deref(), Some("4444"));
    assert!(scratch.queued().is_empty());
    let dead = scratch.dead();
    assert_eq!(dead.len(), 1);
    let letter = parse_object(&fs::read_to_string(&dead[0]).unwrap());
    let Some(Value::Object(error)) = letter.get("error") else {
        panic!("no error in {letter:?}");
    };
    assert_eq!(
        error.get("status").map(json::to_string),
        Some("404".to_owned())
    );
    assert_eq!(
        string_field(error, "type"),
        Some("acs_credential_not_found")
    );
}

#[test]
fn flush_moves_invalid_input_to_dead_letters() {
    let fake = FakeSeam::start().unwrap();
    let scratch = Scratch::new(&fake);
    queue_update(&fake, &scratch, FRONT, Some(PIN), None);
    fake.reply_next(CannedReply::json(
        400,
        r#"{"error":{"type":"invalid_input","message":"code is too long"}}"#,
    ));

    let out = outbox(&fake, &scratch, &["flush", "--json"]);

    assert_eq!(out.code, Some(INVALID_INPUT), "{out}");
    let object = parse_object(&out.stdout);
    assert!(
        matches!(object.get("ok"), Some(Value::Bool(false))),
        "{out}"
    );
    let dead = array_field(&object, "dead_letters");
    assert_eq!(dead.len(), 1, "{out}");
    assert!(out.stdout.contains("code is too long"), "{out}");
    assert!(!out.stdout.contains(PIN), "{out}");
    assert_eq!(scratch.dead().len(), 1);
}

#[test]
fn flush_with_past_ends_at_dead_letters_it() {
    let fake = FakeSeam::start().unwrap();
    let scratch = Scratch::new(&fake);
    // An entry a device stored long ago, whose end of validity has passed since.
    write_entry(&scratch, &fake, 1, FRONT, PIN);
    let path = scratch.queue.join(format!("{:020}.json", 1));
    let text = fs::read_to_string(&path).unwrap();
    fs::write(
        &path,
        text.replace("\"ends_at\":null", "\"ends_at\":\"2020-01-01T00:00:00Z\""),
    )
    .unwrap();

    let out = outbox(&fake, &scratch, &["flush"]);

    assert_eq!(out.code, Some(INVALID_INPUT), "{out}");
    assert!(out.stderr.contains("must be in the future"), "{out}");
    assert!(fake.requests().is_empty());
    assert_eq!(scratch.dead().len(), 1);
}

#[test]
fn flush_unauthorized_keeps_every_entry() {
    let fake = FakeSeam::start().unwrap();
    let scratch = Scratch::new(&fake);
    queue_update(&fake, &scratch, FRONT, Some("1111"), None);
    queue_update(&fake, &scratch, BACK, Some("2222"), None);

    let mut command = cmd(&fake, &scratch);
    command
        .env("SEAM_API_KEY", "seam_wrongkey_Q4xT9")
        .args(["outbox", "flush"]);
    let out = run(command);

    assert_eq!(out.code, Some(BAD_CREDENTIALS), "{out}");
    assert!(
        out.stderr
            .contains("flush stopped, 2 entries kept: unauthorized"),
        "{out}"
    );
    assert_eq!(scratch.queued().len(), 2);
    assert!(scratch.dead().is_empty());
}

#[test]
fn flush_forbidden_keeps_every_entry() {
    let fake = FakeSeam::start().unwrap();
    let scratch = Scratch::new(&fake);
    queue_update(&fake, &scratch, FRONT, Some("1111"), None);
    fake.reply_next(CannedReply::new(403));

    let out = outbox(&fake, &scratch, &["flush"]);

    assert_eq!(out.code, Some(BAD_CREDENTIALS), "{out}");
    assert_eq!(scratch.queued().len(), 1);
}

#[test]
fn flush_temporary_failure_stops_and_keeps() {
    let fake = FakeSeam::start().unwrap();
    let scratch = Scratch::new(&fake);
    queue_update(&fake, &scratch, FRONT, Some("1111"), None);
    queue_update(&fake, &scratch, BACK, Some("2222"), None);
    fake.clear_requests();
    fake.inject(Fault::ServiceUnavailable, 1);

    let out = outbox(&fake, &scratch, &["flush"]);

    assert_eq!(out.code, Some(TEMPORARY), "{out}");
    assert_eq!(
        fake.requests().len(),
        1,
        "the flush went on after the failure"
    );
    assert_eq!(scratch.queued().len(), 2);
}

#[test]
fn flush_keeps_entries_of_another_endpoint() {
    let fake = FakeSeam::start().unwrap();
    let other = FakeSeam::start().unwrap();
    let scratch = Scratch::new(&fake);
    queue_update(&fake, &scratch, FRONT, Some(PIN), None);

    let mut command = common::seam_edge_command();
    let other_ca = scratch.root.join("other.pem");
    fs::write(&other_ca, other.ca_pem()).unwrap();
    command
        .env_clear()
        .env("SEAM_API_KEY", other.api_key())
        .env("SEAM_EDGE_QUEUE_DIR", &scratch.queue)
        .arg("--endpoint")
        .arg(other.endpoint())
        .arg("--ca-file")
        .arg(&other_ca)
        .args(["outbox", "flush"]);
    let out = run(command);

    assert_eq!(out.code, Some(CONFIG), "{out}");
    assert!(
        out.stderr.contains(&format!(
            "was stored for endpoint {} and workspace none (api key), not this client's; \
             kept unsent",
            fake.endpoint()
        )),
        "{out}"
    );
    assert!(other.requests().is_empty());
    assert_eq!(scratch.queued().len(), 1);
}

// ---------------------------------------------------------------------------------------
// Order per credential
// ---------------------------------------------------------------------------------------

#[test]
fn new_update_waits_behind_queued_ones() {
    let fake = FakeSeam::start().unwrap();
    let scratch = Scratch::new(&fake);
    queue_update(&fake, &scratch, FRONT, Some("1111"), None);
    queue_update(&fake, &scratch, FRONT, None, Some("2031-01-01T00:00:00Z"));
    queue_update(
        &fake,
        &scratch,
        FRONT,
        Some("2222"),
        Some("2032-01-01T00:00:00Z"),
    );
    fake.clear_requests();

    // The uplink is back: this update sends the three waiting ones first.
    let mut command = cmd(&fake, &scratch);
    command.args(update_args(FRONT, None, Some("2033-01-01T00:00:00Z")));
    let out = run(command);

    assert_eq!(out.code, Some(OK), "{out}");
    let bodies: Vec<String> = update_bodies(&fake).iter().map(json::to_string).collect();
    assert_eq!(
        bodies,
        [
            format!(r#"{{"acs_credential_id":"{FRONT}","code":"1111"}}"#),
            format!(r#"{{"acs_credential_id":"{FRONT}","ends_at":"2031-01-01T00:00:00Z"}}"#),
            format!(
                r#"{{"acs_credential_id":"{FRONT}","code":"2222","ends_at":"2032-01-01T00:00:00Z"}}"#
            ),
            format!(r#"{{"acs_credential_id":"{FRONT}","ends_at":"2033-01-01T00:00:00Z"}}"#),
        ]
    );
    let (code, ends_at) = stored(&fake, FRONT);
    assert_eq!(code.as_deref(), Some("2222"));
    assert_eq!(ends_at.as_deref(), Some("2033-01-01T00:00:00Z"));
    assert!(scratch.queued().is_empty());
}

#[test]
fn new_update_queues_when_older_one_still_fails() {
    let fake = FakeSeam::start().unwrap();
    let scratch = Scratch::new(&fake);
    queue_update(&fake, &scratch, FRONT, Some("1111"), None);
    fake.clear_requests();
    fake.inject(Fault::ServiceUnavailable, 1);

    let mut command = cmd(&fake, &scratch);
    command.args(update_args(FRONT, Some("2222"), None));
    let out = run(command);

    assert_eq!(out.code, Some(OK), "{out}");
    assert!(out.stderr.contains("queued update 2"), "{out}");
    assert_eq!(
        codes_sent(&fake, FRONT),
        ["1111"],
        "the new code went ahead"
    );
    assert_eq!(scratch.queued().len(), 2);

    let out = outbox(&fake, &scratch, &["flush"]);
    assert_eq!(out.code, Some(OK), "{out}");
    assert_eq!(codes_sent(&fake, FRONT), ["1111", "1111", "2222"]);
    assert_eq!(stored(&fake, FRONT).0.as_deref(), Some("2222"));
}

// ---------------------------------------------------------------------------------------
// list, requeue, purge
// ---------------------------------------------------------------------------------------

#[test]
fn list_masks_the_pin() {
    let fake = FakeSeam::start().unwrap();
    let scratch = Scratch::new(&fake);
    queue_update(
        &fake,
        &scratch,
        FRONT,
        Some(PIN),
        Some("2031-01-01T00:00:00Z"),
    );
    queue_update(&fake, &scratch, UNKNOWN, Some(PIN), None);
    outbox(&fake, &scratch, &["flush"]);
    // The first entry was sent; queue it again and bury the unknown one.
    queue_update(
        &fake,
        &scratch,
        FRONT,
        Some(PIN),
        Some("2031-01-01T00:00:00Z"),
    );

    let out = outbox(&fake, &scratch, &["list"]);
    assert_eq!(out.code, Some(OK), "{out}");
    assert_eq!(
        out.stdout,
        format!(
            "queued 3 {FRONT} code ****** ends_at 2031-01-01T00:00:00Z\n\
             dead 2 {UNKNOWN} code ******: seam api error (http 404, request id {}): \
             acs_credential_not_found: {}\n\
             1 queued, 1 dead letters, 0 corrupt files in {}\n",
            request_id_of_404(&out.stdout),
            message_of_404(&out.stdout),
            scratch.queue.display()
        )
    );

    let out = outbox(&fake, &scratch, &["list", "--json"]);
    assert_eq!(out.code, Some(OK), "{out}");
    assert!(!out.stdout.contains(PIN), "{out}");
    let object = parse_object(&out.stdout);
    let queued = array_field(&object, "queued");
    assert_eq!(queued.len(), 1);
    let Value::Object(entry) = &queued[0] else {
        panic!("{out}");
    };
    assert_eq!(string_field(entry, "code"), Some("******"));
    let dead = array_field(&object, "dead_letters");
    let Value::Object(letter) = &dead[0] else {
        panic!("{out}");
    };
    let Some(Value::Object(error)) = letter.get("error") else {
        panic!("{out}");
    };
    assert_eq!(
        string_field(error, "type"),
        Some("acs_credential_not_found")
    );
}

/// Returns the request id the list line shows, which the fake makes up per request.
fn request_id_of_404(stdout: &str) -> String {
    let start = stdout.find("request id ").expect("request id") + "request id ".len();
    stdout[start..].split(')').next().unwrap().to_owned()
}

fn message_of_404(stdout: &str) -> String {
    let start = stdout.find("acs_credential_not_found: ").unwrap() + 26;
    stdout[start..].lines().next().unwrap().to_owned()
}

#[test]
fn requeue_puts_dead_letters_behind_queue() {
    let fake = FakeSeam::start().unwrap();
    let scratch = Scratch::new(&fake);
    queue_update(&fake, &scratch, UNKNOWN, Some(PIN), None);
    outbox(&fake, &scratch, &["flush"]);
    queue_update(&fake, &scratch, FRONT, Some("1111"), None);

    let out = outbox(&fake, &scratch, &["requeue"]);

    assert_eq!(out.code, Some(OK), "{out}");
    assert_eq!(out.stdout, "1 dead letters moved back into the queue\n");
    assert!(scratch.dead().is_empty());
    let names: Vec<String> = scratch
        .queued()
        .iter()
        .map(|path| fs::read_to_string(path).unwrap())
        .collect();
    assert_eq!(names.len(), 2);
    assert!(names[0].contains(FRONT), "{names:?}");
    assert!(names[1].contains(UNKNOWN), "{names:?}");
    assert!(names[1].contains("\"sequence\":3"), "{names:?}");
    assert!(!names[1].contains("\"error\""), "{names:?}");
}

#[test]
fn purge_needs_an_explicit_choice() {
    let fake = FakeSeam::start().unwrap();
    let scratch = Scratch::new(&fake);
    let out = outbox(&fake, &scratch, &["purge"]);

    assert_eq!(out.code, Some(USAGE), "{out}");
    assert!(
        out.stderr.contains(
            "outbox purge needs --queue (queued updates, never sent), --dead (dead letters \
             and corrupt files) or --all"
        ),
        "{out}"
    );
}

#[test]
fn purge_removes_what_it_names() {
    let fake = FakeSeam::start().unwrap();
    let scratch = Scratch::new(&fake);
    queue_update(&fake, &scratch, UNKNOWN, Some(PIN), None);
    outbox(&fake, &scratch, &["flush"]);
    queue_update(&fake, &scratch, FRONT, Some("1111"), None);

    let out = outbox(&fake, &scratch, &["purge", "--dead"]);
    assert_eq!(out.code, Some(OK), "{out}");
    assert_eq!(out.stdout, "1 files removed\n");
    assert!(scratch.dead().is_empty());
    assert_eq!(scratch.queued().len(), 1);

    let out = outbox(&fake, &scratch, &["purge", "--all", "--json"]);
    assert_eq!(out.code, Some(OK), "{out}");
    assert_eq!(out.stdout, "{\"ok\":true,\"purged\":1}\n");
    assert!(scratch.queued().is_empty());
}

#[test]
fn outbox_without_folder_is_usage_error() {
    let fake = FakeSeam::start().unwrap();
    let mut command = common::seam_edge_command();
    command
        .env_clear()
        .arg("--endpoint")
        .arg(fake.endpoint())
        .args(["outbox", "list"]);
    let out = run(command);

    assert_eq!(out.code, Some(USAGE), "{out}");
    assert!(
        out.stderr.contains(
            "the outbox commands need a queue folder: pass --queue-dir DIR or set \
             SEAM_EDGE_QUEUE_DIR"
        ),
        "{out}"
    );
}

#[test]
fn open_folder_is_rejected() {
    let fake = FakeSeam::start().unwrap();
    let scratch = Scratch::new(&fake);
    fs::create_dir_all(&scratch.queue).unwrap();
    fs::set_permissions(&scratch.queue, fs::Permissions::from_mode(0o755)).unwrap();

    let out = outbox(&fake, &scratch, &["list"]);

    assert_eq!(out.code, Some(STORAGE), "{out}");
    assert!(
        out.stderr.contains(&format!(
            "queue folder \"{}\" has mode 0755, but it holds PIN codes",
            scratch.queue.display()
        )),
        "{out}"
    );
    assert_eq!(mode(&scratch.queue), 0o755, "the folder was changed");
}

// ---------------------------------------------------------------------------------------
// Limits, full disk, corrupt files
// ---------------------------------------------------------------------------------------

#[test]
fn full_queue_rejects_new_update() {
    let fake = FakeSeam::start().unwrap();
    let scratch = Scratch::new(&fake);
    for sequence in 1..=1000 {
        write_entry(&scratch, &fake, sequence, BACK, "1111");
    }
    let first = fs::read_to_string(&scratch.queued()[0]).unwrap();

    fake.inject(Fault::ServiceUnavailable, 1);
    let mut command = cmd(&fake, &scratch);
    command.args(update_args(FRONT, Some(PIN), None));
    let out = run(command);

    assert_eq!(out.code, Some(STORAGE), "{out}");
    assert!(
        out.stderr.contains(&format!(
            "queue folder \"{}\" is full: 1000 entries and dead letters of at most 1000",
            scratch.queue.display()
        )),
        "{out}"
    );
    assert!(out.stderr.contains("the update was not stored"), "{out}");
    assert_eq!(scratch.queued().len(), 1000);
    assert_eq!(fs::read_to_string(&scratch.queued()[0]).unwrap(), first);
}

#[test]
fn corrupt_entries_move_aside() {
    let fake = FakeSeam::start().unwrap();
    let scratch = Scratch::new(&fake);
    queue_update(&fake, &scratch, FRONT, Some(PIN), None);
    fs::write(
        scratch.queue.join(format!("{:020}.json", 7)),
        "{\"version\":1,",
    )
    .unwrap();
    fs::write(
        scratch.queue.join(format!("{:020}.json", 8)),
        "{\"version\":2,\"sequence\":8}",
    )
    .unwrap();

    let out = outbox(&fake, &scratch, &["flush"]);

    assert_eq!(out.code, Some(INVALID_INPUT), "{out}");
    let corrupt = scratch.queue.join("corrupt");
    assert!(
        out.stderr.contains(&format!(
            "moved unreadable queue file \"{}\" to \"{}\": not a JSON object",
            scratch.queue.join(format!("{:020}.json", 7)).display(),
            corrupt.join(format!("{:020}.json", 7)).display()
        )),
        "{out}"
    );
    assert!(
        out.stderr.contains("unknown version 2, expected 1"),
        "{out}"
    );
    assert_eq!(stored(&fake, FRONT).0.as_deref(), Some(PIN));
    assert!(corrupt.join(format!("{:020}.json", 8)).is_file());
    assert!(scratch.queued().is_empty());

    let out = outbox(&fake, &scratch, &["list"]);
    assert!(
        out.stdout
            .contains("0 queued, 0 dead letters, 2 corrupt files"),
        "{out}"
    );
}

/// Returns whether this process runs as root: `/proc/self` belongs to the process's user.
fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    fs::metadata("/proc/self").is_ok_and(|metadata| metadata.uid() == 0)
}

#[test]
fn full_disk_keeps_older_entries() {
    if !is_root() {
        eprintln!("skipped: mounting a small tmpfs needs root");
        return;
    }
    let fake = FakeSeam::start().unwrap();
    let scratch = Scratch::new(&fake);
    let mount = scratch.root.join("disk");
    fs::create_dir_all(&mount).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs"])
        .arg(&mount)
        .status();
    if !mounted.is_ok_and(|status| status.success()) {
        eprintln!("skipped: mount -t tmpfs failed");
        return;
    }
    let scratch_on_disk = Scratch {
        root: scratch.root.join("unused"),
        queue: mount.join("queue"),
        ca: scratch.ca.clone(),
    };
    queue_update(&fake, &scratch_on_disk, FRONT, Some("1111"), None);
    let first = fs::read_to_string(&scratch_on_disk.queued()[0]).unwrap();
    // Fill the rest of the disk.
    let filler = vec![b'x'; 4096];
    let mut file = fs::File::create(mount.join("filler")).unwrap();
    while std::io::Write::write_all(&mut file, &filler).is_ok() {}
    drop(file);

    fake.inject(Fault::ServiceUnavailable, 1);
    let mut command = cmd(&fake, &scratch_on_disk);
    command.args(update_args(FRONT, Some(PIN), None));
    let out = run(command);
    let queued = scratch_on_disk.queued();
    let kept = queued.first().map(|path| fs::read_to_string(path).unwrap());
    let _ = Command::new("umount").arg(&mount).status();

    assert_eq!(out.code, Some(STORAGE), "{out}");
    assert!(out.stderr.contains("has free space"), "{out}");
    assert!(out.stderr.contains("No space left on device"), "{out}");
    assert!(!out.stderr.contains(PIN), "{out}");
    assert_eq!(queued.len(), 1, "{queued:?}");
    assert_eq!(kept, Some(first));
}

// ---------------------------------------------------------------------------------------
// Crashes
// ---------------------------------------------------------------------------------------

/// Sends harmless requests until the faults a killed run did not reach are used up.
fn drain_faults(fake: &FakeSeam, scratch: &Scratch) {
    while fake.pending_faults() > 0 {
        let mut command = cmd(fake, scratch);
        command.args(["acs", "credentials", "get", "--acs-credential-id", FRONT]);
        run(command);
    }
}

/// Runs `command` with the crash hook set to `step` and checks that it aborted there.
#[cfg(feature = "fault-injection")]
fn run_aborting(mut command: Command, step: &str) -> Output {
    command.env("SEAM_EDGE_ABORT_AT", step);
    let out = run(command);
    assert_eq!(
        out.status.signal(),
        Some(6),
        "did not abort at {step}: {out}"
    );
    out
}

/// Checks after a crash that no temporary file is left once the folder is opened, that a
/// flush succeeds, and that every update that reached the fake had all its fields.
#[cfg(feature = "fault-injection")]
fn recover(fake: &FakeSeam, scratch: &Scratch, step: &str) {
    let out = outbox(fake, scratch, &["list"]);
    assert_eq!(out.code, Some(OK), "{step}: {out}");
    assert!(
        scratch.temp_files().is_empty(),
        "{step}: {:?}",
        scratch.temp_files()
    );
    let out = outbox(fake, scratch, &["flush"]);
    assert_eq!(out.code, Some(OK), "{step}: {out}");
    for body in update_bodies(fake) {
        assert_eq!(string_field(&body, "code"), Some(PIN), "{step}: {body:?}");
        assert_eq!(
            string_field(&body, "ends_at"),
            Some("2031-01-01T00:00:00Z"),
            "{step}: {body:?}"
        );
    }
}

#[cfg(feature = "fault-injection")]
#[test]
fn crash_while_enqueueing_loses_nothing_accepted() {
    let steps = [
        ("enqueue:after-temp-write", false),
        ("enqueue:after-sync", false),
        ("enqueue:after-rename", true),
        ("enqueue:before-dir-sync", true),
        ("counter:after-temp-write", false),
        ("counter:after-sync", false),
        ("counter:after-rename", false),
    ];
    for (step, stored_before_crash) in steps {
        let fake = FakeSeam::start().unwrap();
        let scratch = Scratch::new(&fake);
        fake.inject(Fault::ServiceUnavailable, 1);
        let mut command = cmd(&fake, &scratch);
        command.args(update_args(FRONT, Some(PIN), Some("2031-01-01T00:00:00Z")));
        run_aborting(command, step);
        // The counter steps abort before the update is sent.
        drain_faults(&fake, &scratch);

        recover(&fake, &scratch, step);
        let delivered = stored(&fake, FRONT).0.as_deref() == Some(PIN);
        assert_eq!(delivered, stored_before_crash, "{step}");
        assert!(scratch.queued().is_empty(), "{step}");

        // The folder still works: a new update is queued and delivered.
        queue_update(
            &fake,
            &scratch,
            FRONT,
            Some(PIN),
            Some("2031-01-01T00:00:00Z"),
        );
        recover(&fake, &scratch, step);
        assert_eq!(stored(&fake, FRONT).0.as_deref(), Some(PIN), "{step}");
    }
}

#[cfg(feature = "fault-injection")]
#[test]
fn crash_while_flushing_loses_nothing() {
    // The step, and how many times the update is sent: once more after a crash between
    // the send and the removal, which sets the same values again.
    for (step, sends) in [
        ("flush:before-send", 1),
        ("flush:after-send", 2),
        ("flush:after-remove", 1),
    ] {
        let fake = FakeSeam::start().unwrap();
        let scratch = Scratch::new(&fake);
        queue_update(
            &fake,
            &scratch,
            FRONT,
            Some(PIN),
            Some("2031-01-01T00:00:00Z"),
        );
        fake.clear_requests();
        let mut command = cmd(&fake, &scratch);
        command.args(["outbox", "flush"]);
        run_aborting(command, step);

        recover(&fake, &scratch, step);
        assert_eq!(stored(&fake, FRONT).0.as_deref(), Some(PIN), "{step}");
        assert!(scratch.queued().is_empty(), "{step}");
        assert_eq!(update_bodies(&fake).len(), sends, "{step}");
    }
}

#[cfg(feature = "fault-injection")]
#[test]
fn crash_while_burying_keeps_the_letter() {
    let fake = FakeSeam::start().unwrap();
    let scratch = Scratch::new(&fake);
    queue_update(&fake, &scratch, UNKNOWN, Some(PIN), None);
    let mut command = cmd(&fake, &scratch);
    command.args(["outbox", "flush"]);
    run_aborting(command, "flush:during-dead-move");
    assert_eq!(scratch.dead().len(), 1);
    assert_eq!(scratch.queued().len(), 1);

    let out = outbox(&fake, &scratch, &["flush"]);

    assert_eq!(out.code, Some(REJECTED), "{out}");
    assert_eq!(scratch.dead().len(), 1);
    assert!(scratch.queued().is_empty());
    assert!(scratch.temp_files().is_empty());
}

/// Kills enqueue and flush runs with SIGKILL after random delays and checks that every
/// update whose run exited 0 reaches the fake in the end.
#[test]
fn sigkill_at_random_points_loses_nothing_accepted() {
    let fake = FakeSeam::start().unwrap();
    let scratch = Scratch::new(&fake);
    let mut accepted = Vec::new();
    for round in 0..12u32 {
        let code = format!("{}", 500_000 + round);
        fake.inject(Fault::ServiceUnavailable, 1);
        let mut command = cmd(&fake, &scratch);
        command.args(update_args(FRONT, Some(&code), None));
        let mut child = spawn(&mut command);
        thread::sleep(seam_edge::random_duration_up_to(Duration::from_millis(60)));
        let _ = child.kill();
        let out = finish(child);
        if out.code == Some(OK) {
            accepted.push(code);
        }
        drain_faults(&fake, &scratch);
        let mut flush = cmd(&fake, &scratch);
        flush.args(["outbox", "flush"]);
        let mut child = spawn(&mut flush);
        thread::sleep(Duration::from_millis(u64::from(round % 4) * 10));
        let _ = child.kill();
        let _ = finish(child);
    }
    let out = outbox(&fake, &scratch, &["flush"]);
    assert_eq!(out.code, Some(OK), "{out}");
    assert!(scratch.queued().is_empty());
    assert!(
        scratch.temp_files().is_empty(),
        "{:?}",
        scratch.temp_files()
    );
    let sent = codes_sent(&fake, FRONT);
    for code in &accepted {
        assert!(
            sent.contains(code),
            "accepted code {code} never sent: {sent:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Concurrency
// ---------------------------------------------------------------------------------------

#[test]
fn concurrent_flushes_send_each_entry_once() {
    let fake = FakeSeam::start().unwrap();
    let scratch = Scratch::new(&fake);
    let ids = SEEDED_CREDENTIAL_IDS;
    for sequence in 1..=60u64 {
        let id = ids[(sequence % 3) as usize];
        write_entry(
            &scratch,
            &fake,
            sequence,
            id,
            &format!("{}", 100_000 + sequence),
        );
    }

    let mut first = cmd(&fake, &scratch);
    first.args(["outbox", "flush"]);
    let mut second = cmd(&fake, &scratch);
    second.args(["outbox", "flush"]);
    let mut update = cmd(&fake, &scratch);
    update.args(update_args(ids[1], Some("999999"), None));
    let children = [spawn(&mut first), spawn(&mut second), spawn(&mut update)];
    let outs: Vec<Output> = children.into_iter().map(finish).collect();

    for out in &outs[..2] {
        assert!(matches!(out.code, Some(OK | TEMPORARY)), "{out}");
    }
    assert_eq!(outs[2].code, Some(OK), "{}", outs[2]);
    // Whatever a busy flush left is sent now.
    let out = outbox(&fake, &scratch, &["flush"]);
    assert_eq!(out.code, Some(OK), "{out}");
    assert!(scratch.queued().is_empty());

    for (index, id) in ids.iter().enumerate() {
        let sent = codes_sent(&fake, id);
        let mut expected: Vec<String> = (1..=60u64)
            .filter(|sequence| (sequence % 3) as usize == index)
            .map(|sequence| format!("{}", 100_000 + sequence))
            .collect();
        if index == 1 {
            expected.push("999999".to_owned());
        }
        assert_eq!(sent, expected, "credential {id}");
    }
    assert_eq!(stored(&fake, ids[1]).0.as_deref(), Some("999999"));
}

#[test]
fn help_lists_outbox_flags() {
    let fake = FakeSeam::start().unwrap();
    let scratch = Scratch::new(&fake);
    let mut command = cmd(&fake, &scratch);
    command.arg("--help");
    let out = run(command);

    assert_eq!(out.code, Some(OK), "{out}");
    for word in [
        "--queue-dir DIR",
        "outbox flush",
        "outbox list",
        "outbox requeue",
        "outbox purge --queue|--dead|--all",
        "SEAM_EDGE_QUEUE_DIR",
        "\n    74 ",
    ] {
        assert!(out.stdout.contains(word), "{word} missing\n{out}");
    }
}

/// One sequence of updates for one credential: `(code, ends_at)` of each, oldest first.
/// The test delivers it twice: all queued and then flushed, and all but the last queued,
/// the last sent by a new update, which must send the queued ones first.
type Sequence = &'static [Fields];

/// The `code` and `ends_at` of one update, `None` where it leaves the field unchanged.
type Fields = (Option<&'static str>, Option<&'static str>);

#[test]
fn order_kept_for_each_kind_of_sequence() {
    const A: Option<&str> = Some("2031-01-01T00:00:00Z");
    const B: Option<&str> = Some("2032-01-01T00:00:00Z");
    const C: Option<&str> = Some("2033-01-01T00:00:00Z");
    let cases: [(&str, Sequence, Fields); 3] = [
        (
            "code only",
            &[
                (Some("1111"), None),
                (Some("2222"), None),
                (Some("3333"), None),
            ],
            (Some("3333"), None),
        ),
        (
            "ends_at only",
            &[(None, A), (None, B), (None, C)],
            (None, C),
        ),
        (
            "mixed",
            &[(Some("1111"), B), (None, A), (Some("3333"), None)],
            (Some("3333"), A),
        ),
    ];
    for (case, sequence, (code, ends_at)) in cases {
        for (deliver_by, last_is_direct) in [("flush", false), ("new update", true)] {
            let fake = FakeSeam::start().unwrap();
            let scratch = Scratch::new(&fake);
            let (queued, last) = sequence.split_at(sequence.len() - 1);
            let queued = if last_is_direct { queued } else { sequence };
            for (code, ends_at) in queued {
                queue_update(&fake, &scratch, FRONT, *code, *ends_at);
            }
            fake.clear_requests();

            let out = if last_is_direct {
                let (code, ends_at) = last[0];
                let mut command = cmd(&fake, &scratch);
                command.args(update_args(FRONT, code, ends_at));
                run(command)
            } else {
                outbox(&fake, &scratch, &["flush"])
            };

            assert_eq!(out.code, Some(OK), "{case} by {deliver_by}\n{out}");
            let sent: Vec<(Option<String>, Option<String>)> = update_bodies(&fake)
                .iter()
                .map(|body| {
                    let field = |key| string_field(body, key).map(str::to_owned);
                    (field("code"), field("ends_at"))
                })
                .collect();
            let expected: Vec<(Option<String>, Option<String>)> = sequence
                .iter()
                .map(|(code, ends_at)| (code.map(str::to_owned), ends_at.map(str::to_owned)))
                .collect();
            assert_eq!(sent, expected, "{case} by {deliver_by}");
            // A field the sequence never sets keeps the seeded value, which is not checked.
            let (stored_code, stored_ends_at) = stored(&fake, FRONT);
            if code.is_some() {
                assert_eq!(stored_code.as_deref(), code, "{case} by {deliver_by}");
            }
            if ends_at.is_some() {
                assert_eq!(stored_ends_at.as_deref(), ends_at, "{case} by {deliver_by}");
            }
            assert!(scratch.queued().is_empty(), "{case} by {deliver_by}");
        }
    }
}

// ---------------------------------------------------------------------------------------
// Files that are not entries
// ---------------------------------------------------------------------------------------

fn entry_path(dir: &Path, sequence: u64) -> PathBuf {
    dir.join(format!("{sequence:020}.json"))
}

#[test]
fn fifo_and_symlink_entries_move_aside_unopened() {
    let fake = FakeSeam::start().unwrap();
    let scratch = Scratch::new(&fake);
    queue_update(&fake, &scratch, FRONT, Some(PIN), None);
    let fifo = entry_path(&scratch.queue, 3);
    let made = Command::new("mkfifo")
        .args(["-m", "600"])
        .arg(&fifo)
        .status();
    assert!(made.unwrap().success());
    let link = entry_path(&scratch.queue, 4);
    std::os::unix::fs::symlink(&fifo, &link).unwrap();

    let out = outbox(&fake, &scratch, &["flush"]);

    assert_eq!(out.code, Some(INVALID_INPUT), "{out}");
    let corrupt = scratch.queue.join("corrupt");
    for sequence in [3, 4] {
        let line = format!(
            "moved unreadable queue file \"{}\" to \"{}\": not a regular file",
            entry_path(&scratch.queue, sequence).display(),
            entry_path(&corrupt, sequence).display()
        );
        assert!(out.stderr.contains(&line), "{line}\n{out}");
    }
    assert_eq!(stored(&fake, FRONT).0.as_deref(), Some(PIN));
    let out = outbox(&fake, &scratch, &["purge", "--dead"]);
    assert_eq!(out.stdout, "2 files removed\n", "{out}");
    assert_eq!(fs::read_dir(&corrupt).unwrap().count(), 0);
}

/// Runs `command` as uid 65534, owner of the queue folder, when the tests run as root,
/// because root can open any file. Otherwise it runs as the current user.
fn run_unprivileged(scratch: &Scratch, mut command: Command) -> Output {
    if is_root() {
        use std::os::unix::process::CommandExt;
        let owner = Command::new("chown")
            .args(["-R", "65534:65534"])
            .arg(&scratch.queue)
            .status();
        assert!(owner.unwrap().success());
        command.uid(65534).gid(65534);
    }
    run(command)
}

#[test]
fn unreadable_entry_stops_and_stays_queued() {
    let fake = FakeSeam::start().unwrap();
    let scratch = Scratch::new(&fake);
    queue_update(&fake, &scratch, FRONT, Some(PIN), None);
    let entry = entry_path(&scratch.queue, 1);
    fs::set_permissions(&entry, fs::Permissions::from_mode(0o000)).unwrap();
    let mut command = cmd(&fake, &scratch);
    command.args(["outbox", "flush"]);

    let out = run_unprivileged(&scratch, command);

    assert_eq!(out.code, Some(STORAGE), "{out}");
    let reading = format!("reading \"{}\" failed", entry.display());
    assert!(out.stderr.contains(&reading), "{out}");
    assert!(out.stderr.contains("Permission denied"), "{out}");
    assert_eq!(scratch.queued(), vec![entry.clone()]);
    assert!(!scratch.queue.join("corrupt").exists());
    fs::set_permissions(&entry, fs::Permissions::from_mode(0o600)).unwrap();
    let mut command = cmd(&fake, &scratch);
    command.args(["outbox", "flush"]);
    assert_eq!(run_unprivileged(&scratch, command).code, Some(OK));
    assert_eq!(stored(&fake, FRONT).0.as_deref(), Some(PIN));
}

/// Writes a dead letter for `id` directly, as a flush that got 409 would have.
fn write_dead_letter(scratch: &Scratch, fake: &FakeSeam, sequence: u64, id: &str, ends_at: &str) {
    write_entry(scratch, fake, sequence, id, "1111");
    let queued = entry_path(&scratch.queue, sequence);
    let text = fs::read_to_string(&queued).unwrap().replace(
        "\"ends_at\":null}",
        &format!("{ends_at},\"error\":{{\"status\":409,\"type\":null,\"message\":\"m\"}}}}"),
    );
    fs::create_dir_all(scratch.queue.join("dead")).unwrap();
    fs::write(entry_path(&scratch.queue.join("dead"), sequence), text).unwrap();
    fs::remove_file(queued).unwrap();
}

#[test]
fn supersede_removes_overridden_letter() {
    let fake = FakeSeam::start().unwrap();
    let scratch = Scratch::new(&fake);
    write_dead_letter(&scratch, &fake, 1, FRONT, "\"ends_at\":null");
    let mut command = cmd(&fake, &scratch);
    command.args(update_args(FRONT, Some("2222"), None));

    let out = run(command);

    assert_eq!(out.code, Some(OK), "{out}");
    let line = format!(
        "removed dead letter 1 for credential {FRONT}: a newer update that sets its fields \
         was delivered"
    );
    assert!(out.stderr.contains(&line), "{line}\n{out}");
    assert_eq!(
        outbox(&fake, &scratch, &["requeue"]).stdout,
        "0 dead letters moved back into the queue\n"
    );
    assert_eq!(outbox(&fake, &scratch, &["flush"]).code, Some(OK));
    assert_eq!(stored(&fake, FRONT).0.as_deref(), Some("2222"));
}

#[test]
fn supersede_keeps_letter_with_unset_field() {
    let fake = FakeSeam::start().unwrap();
    let scratch = Scratch::new(&fake);
    let ends_at = "\"ends_at\":\"2030-01-01T00:00:00Z\"";
    write_dead_letter(&scratch, &fake, 1, FRONT, ends_at);
    write_dead_letter(&scratch, &fake, 2, BACK, "\"ends_at\":null");
    let mut command = cmd(&fake, &scratch);
    command.args(update_args(FRONT, Some("2222"), None));
    assert_eq!(run(command).code, Some(OK));
    assert_eq!(scratch.dead().len(), 2);

    queue_update(
        &fake,
        &scratch,
        FRONT,
        Some("3333"),
        Some("2031-01-01T00:00:00Z"),
    );
    let out = outbox(&fake, &scratch, &["flush"]);

    assert_eq!(out.code, Some(OK), "{out}");
    assert!(out.stderr.contains("removed dead letter"), "{out}");
    assert_eq!(
        scratch.dead(),
        vec![entry_path(&scratch.queue.join("dead"), 2)]
    );
}

#[test]
fn exhausted_sequence_numbers_refuse_new_updates() {
    let fake = FakeSeam::start().unwrap();
    let scratch = Scratch::new(&fake);
    queue_update(&fake, &scratch, FRONT, Some(PIN), None);
    let first = fs::read_to_string(entry_path(&scratch.queue, 1)).unwrap();
    let message = format!(
        "queue folder \"{}\" has no sequence number left; flush or purge it, then delete \
         its counter file",
        scratch.queue.display()
    );
    for last in ["counter", "entry"] {
        if last == "counter" {
            fs::write(scratch.queue.join("counter"), "18446744073709551615\n").unwrap();
        } else {
            fs::remove_file(scratch.queue.join("counter")).unwrap();
            write_entry(&scratch, &fake, u64::MAX, BACK, "4444");
        }
        fake.inject(Fault::ServiceUnavailable, 1);
        let mut command = cmd(&fake, &scratch);
        command.args(update_args(FRONT, Some("2222"), None));

        let out = run(command);

        assert_eq!(out.code, Some(STORAGE), "{last}: {out}");
        assert!(out.stderr.contains(&message), "{out}");
        assert_eq!(
            fs::read_to_string(entry_path(&scratch.queue, 1)).unwrap(),
            first
        );
    }
    let newest = fs::read_to_string(entry_path(&scratch.queue, u64::MAX)).unwrap();
    assert!(newest.contains("4444"), "{newest}");
}

#[test]
fn update_warns_about_older_entries_it_buries() {
    let fake = FakeSeam::start().unwrap();
    let scratch = Scratch::new(&fake);
    write_entry(&scratch, &fake, 1, FRONT, PIN);
    let path = entry_path(&scratch.queue, 1);
    let text = fs::read_to_string(&path).unwrap();
    let past = "\"ends_at\":\"2020-01-01T00:00:00Z\"";
    fs::write(&path, text.replace("\"ends_at\":null", past)).unwrap();
    let mut command = cmd(&fake, &scratch);
    command.args(update_args(FRONT, Some("2222"), None));

    let out = run(command);

    assert_eq!(out.code, Some(OK), "{out}");
    let line = format!(
        "seam-edge: warning: moved queued update 1 for credential {FRONT} to dead letters: "
    );
    let start = out.stderr.find(&line).unwrap_or_else(|| panic!("{out}"));
    assert!(
        out.stderr[start..]
            .lines()
            .next()
            .unwrap()
            .contains("must be in the future"),
        "{out}"
    );
    assert!(!out.stderr.contains(PIN), "{out}");
    assert_eq!(scratch.dead().len(), 1);
    assert_eq!(stored(&fake, FRONT).0.as_deref(), Some("2222"));
}

#[test]
fn enqueue_refuses_entry_past_reader_cap() {
    let fake = FakeSeam::start().unwrap();
    let scratch = Scratch::new(&fake);
    let code = scratch.root.join("code");
    fs::write(&code, "7".repeat(65_500)).unwrap();
    fs::set_permissions(&code, fs::Permissions::from_mode(0o600)).unwrap();
    fake.inject(Fault::ServiceUnavailable, 1);
    let mut command = cmd(&fake, &scratch);
    command.args(update_args(FRONT, None, None));
    command.arg("--code-file").arg(&code);

    let out = run(command);

    assert_eq!(out.code, Some(STORAGE), "{out}");
    let message = format!(
        "update for credential {FRONT} is too large to store: 65667 bytes as an entry, at \
         most 32768; the update was not stored"
    );
    assert!(out.stderr.contains(&message), "{out}");
    assert!(scratch.queued().is_empty());
}

#[test]
fn folders_named_like_queue_files_do_not_block() {
    let fake = FakeSeam::start().unwrap();
    let scratch = Scratch::new(&fake);
    queue_update(&fake, &scratch, FRONT, Some(PIN), None);
    let entry_like = entry_path(&scratch.queue, 3);
    fs::create_dir_all(entry_like.join("inside")).unwrap();
    fs::create_dir_all(entry_path(&scratch.queue.join("dead"), 2)).unwrap();
    let temp = scratch.queue.join("x.tmp");
    fs::create_dir(&temp).unwrap();

    let out = outbox(&fake, &scratch, &["flush"]);

    assert_eq!(out.code, Some(INVALID_INPUT), "{out}");
    let skipped = format!(
        "skipped folder \"{}\", which is not an outbox file; remove it by hand",
        temp.display()
    );
    assert!(out.stderr.contains(&skipped), "{out}");
    assert_eq!(
        out.stderr.matches(": not a regular file").count(),
        2,
        "{out}"
    );
    assert_eq!(stored(&fake, FRONT).0.as_deref(), Some(PIN));
    let moved = entry_path(&scratch.queue.join("corrupt"), 3);
    fs::write(scratch.queue.join("corrupt").join("other"), "").unwrap();
    let out = outbox(&fake, &scratch, &["purge", "--all"]);
    assert_eq!(out.code, Some(OK), "{out}");
    assert_eq!(out.stdout, "1 files removed\n", "{out}");
    let skipped = format!("skipped folder \"{}\"", moved.display());
    assert!(out.stderr.contains(&skipped), "{out}");
    assert!(moved.join("inside").is_dir());
    assert!(temp.is_dir());
}

#[test]
fn lock_of_another_user_names_the_owner_fix() {
    if !is_root() {
        eprintln!("skipped: making a file of another user needs root");
        return;
    }
    use std::os::unix::process::CommandExt;
    let fake = FakeSeam::start().unwrap();
    let scratch = Scratch::new(&fake);
    fs::create_dir(&scratch.queue).unwrap();
    fs::set_permissions(&scratch.queue, fs::Permissions::from_mode(0o700)).unwrap();
    std::os::unix::fs::chown(&scratch.queue, Some(65534), Some(65534)).unwrap();
    let lock = scratch.queue.join(".lock");
    fs::write(&lock, "").unwrap();
    let mut command = cmd(&fake, &scratch);
    command.args(["outbox", "list"]).uid(65534).gid(65534);

    let out = run(command);

    assert_eq!(out.code, Some(STORAGE), "{out}");
    let shown = format!("\"{}\"", scratch.queue.display());
    let message = format!(
        "opening \"{}\" failed; it may belong to another user: seam-edge must run as the \
         owner of queue folder {shown}, for example after chown -R USER {shown}: \
         Permission denied",
        lock.display()
    );
    assert!(out.stderr.contains(&message), "{message}\n{out}");
}
