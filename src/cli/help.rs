//! The text of `--help` and `--version`.

/// Everything `--help` prints: commands, every flag with its default and unit, the
/// environment variables and the exit codes.
pub const HELP: &str = "\
seam-edge: update a Seam access credential from a gateway or a cron job

USAGE:
    seam-edge acs credentials update --acs-credential-id ID [--code PIN | --code-file FILE]
        [--ends-at TIME | --ends-in DURATION] [--dry-run]
    seam-edge acs credentials update --batch FILE [--dry-run]
    seam-edge acs credentials get --acs-credential-id ID [--show-code]
    seam-edge auth check
    seam-edge doctor [--json]
    seam-edge outbox flush|list|requeue --queue-dir DIR
    seam-edge outbox purge --queue|--dead|--all --queue-dir DIR

An update prints nothing on success unless -v or --json is given,
so cron mails only failures. Errors always go to stderr, also with --json.
Flags may also be spelled with underscores, as in Seam's docs: --acs_credential_id.

UPDATE:
    --acs-credential-id ID   Credential to change (required)
    --code PIN               New PIN code, ASCII digits; visible to other users in `ps`,
                             so prefer --code-file
    --code-file FILE         Read the new PIN from FILE, or from standard input with `-`;
                             one trailing newline is removed
    --ends-at TIME           New end of validity, RFC 3339 such as 2030-01-31T18:00:00Z
                             or 2030-01-31T19:00:00+01:00; sent in UTC; must be in the future
    --ends-in DURATION       Set ends_at to the clock's time plus DURATION: a whole number and
                             d, h, m or s, such as 30d, 12h or 90m; refused (exit 75) while the
                             clock reads before this build's release, as an unset clock does
    --dry-run                Check everything and print the request, PIN masked; send nothing
    --batch FILE             Read updates as JSON Lines from FILE, or standard input with `-`:
                             one object a line with the string keys acs_credential_id, code
                             and ends_at; at most 4096 bytes a line and 1 MiB in all. Checks
                             every line, then sends the valid ones in order over one
                             connection and prints one result a line. A 401, 403, configuration
                             error or temporary failure skips the rest; with --queue-dir, a
                             temporary failure queues that line and the rest. Exit code: the most
                             serious line's, in the order 78, 77, 64, 74, 65, 69, 75

GET:
    --acs-credential-id ID   Credential to show
    --show-code              Show the PIN instead of masking it

DOCTOR:
    Checks the set-up and prints one line per check, each ok, warning, error, or skipped
    when another check's failure leaves it undecided: configuration (each value and where
    it came from), dns, tcp, tls (roots in use, proxy tunnel), proxy, credentials (GET
    /workspaces/get, whose response also decides tls), clock (offset from the server's
    Date: ok up to 5 s, warning up to 1 hour, error beyond or while the clock reads before
    this build's release), outbox (whether the --queue-dir folder can be used, and what it
    holds). Exits with the code of the first error, or 0 when there is none, warnings
    included. -q prints only warnings and errors.

OUTBOX:
    --queue-dir DIR          Store an update that fails for a temporary reason in DIR and exit
                             0; the folder is created with mode 0700, and one that other users
                             may open is rejected [default: SEAM_EDGE_QUEUE_DIR, else none]
    outbox flush             Send the queued updates oldest first; a success removes one, a
                             permanent rejection moves it to DIR/dead, and 401, 403 or a
                             temporary failure stops the flush and keeps the rest
    outbox list              Show queued updates, dead letters with their errors, and corrupt
                             files moved to DIR/corrupt; PIN masked
    outbox requeue           Move the dead letters back into the queue, behind the waiting ones
    outbox purge --queue|--dead|--all
                             Delete the queued updates (never sent), the dead letters and
                             corrupt files, or everything
    DIR holds at most 1000 files and 1 MiB, queued and dead together; past that an update
    is rejected with exit 74 and the older entries stay.

CONNECTION:
    --endpoint URL           API base URL [default: SEAM_ENDPOINT, else https://connect.getseam.com]
    --api-key-file FILE      Read the API key from FILE [default: SEAM_API_KEY_FILE or
                             SEAM_API_KEY; setting both is an error]
    --token-file FILE        Read a personal access token from FILE; needs a workspace id
                             [default: SEAM_PERSONAL_ACCESS_TOKEN]
    --workspace-id ID        Workspace for a personal access token [default: SEAM_WORKSPACE_ID]
    --ca-file PEM            Trust only the CA certificates in this PEM file
                             [default: the Mozilla roots compiled into the binary]
    --timeout SECONDS        Time allowed for one attempt, response body included; digits with
                             up to three decimals, such as 2.5 [default: 30]
    --connect-timeout SECONDS
                             Time allowed for TCP connect and TLS handshake [default: 10]
    --retries N              Retries after a temporary failure (connect, closed connection,
                             timeout, 408, 429, 500, 502, 503, 504), with random exponential
                             backoff and the server's Retry-After honoured; TLS failures are
                             not retried; 0 to 20 [default: 2]
    --deadline SECONDS       Time allowed for the whole call, every attempt and wait included
                             [default: 60]
    --jitter SECONDS         Wait a random time up to SECONDS before the first attempt, outside
                             the deadline, to spread a fleet's cron jobs; for update, get,
                             auth check and outbox flush [default: 0]
    --no-proxy               Ignore the proxy variables and connect directly
    --allow-insecure-http    Allow an http:// endpoint that is not loopback (sends the token
                             unencrypted) [default: off]

OUTPUT:
    --json                   Print {\"ok\": true, ...} or {\"ok\": false, \"error\": ...} on stdout
    -q, --quiet              Print errors only
    -v, --verbose            Print a summary on stdout and the request log on stderr,
                             token and PIN redacted
    -h, --help               Print this help
    -V, --version            Print version, target, features and TLS roots

ENVIRONMENT:
    SEAM_API_KEY                   API key (starts with seam_)
    SEAM_API_KEY_FILE              File holding the API key
    SEAM_PERSONAL_ACCESS_TOKEN     Personal access token (starts with seam_at); needs
    SEAM_WORKSPACE_ID              the id of the workspace it acts in
    SEAM_ENDPOINT                  API base URL (SEAM_API_URL is read too, deprecated)
    https_proxy, HTTPS_PROXY, all_proxy, ALL_PROXY
                                   HTTP CONNECT proxy, first one set wins
    no_proxy, NO_PROXY             Hosts reached without the proxy, comma-separated
    SEAM_EDGE_QUEUE_DIR            Outbox folder, as --queue-dir
    Flags beat the environment. Setting both SEAM_API_KEY and SEAM_PERSONAL_ACCESS_TOKEN
    is an error. Blank variables count as unset.

EXIT CODES:
    0    success
    64   usage: unknown flag, missing or conflicting arguments
    65   invalid input, found locally or reported by the API as invalid_input
    69   rejected by the API for another reason: 404, 405, 409, other 4xx, 501, a redirect
    74   storage: the outbox could not store an update: full, disk full, not writable,
         or open to other users
    75   temporary, retry later: DNS, connect, TLS handshake (a wrong clock included),
         timeouts, connection closed early, 408, 429, 500, 502, 503, 504, a success
         whose body is not JSON (a captive portal)
    77   bad credentials: 401, 403, or a Seam error type about authentication
    78   configuration: no token, conflicting variables, bad token prefix, unreadable CA,
         key, token or PIN file, malformed endpoint or proxy, proxy credentials rejected
    outbox flush exits 65 when an entry moved to dead letters as invalid or a corrupt
    file was moved aside, 69 for another rejection, 74 when the folder cannot be used,
    75 for a temporary failure or when another process is flushing, 77 for a 401 or 403,
    78 for entries stored for another endpoint or workspace (kept unsent); the most
    serious outcome wins.
    SIGTERM or SIGINT end the run at once; the shell reports 143 or 130 (128 plus the
    signal). seam-edge writes files only in the outbox, each to a temporary file renamed
    into place, so nothing is left half-written.
";

/// Returns what `--version` prints.
pub fn version() -> String {
    let mut features = String::new();
    for (name, on) in [
        ("serde", cfg!(feature = "serde")),
        ("time", cfg!(feature = "time")),
        ("fake-server", cfg!(feature = "fake-server")),
        ("lean-log", cfg!(feature = "lean-log")),
    ] {
        if on {
            if !features.is_empty() {
                features.push_str(", ");
            }
            features.push_str(name);
        }
    }
    if features.is_empty() {
        features.push_str("none");
    }
    format!(
        "seam-edge {}\ntarget: {}\nfeatures: {features}\ntls: rustls with ring; roots: {} \
         Mozilla roots from webpki-roots compiled in, or --ca-file\n",
        env!("CARGO_PKG_VERSION"),
        env!("SEAM_EDGE_TARGET"),
        webpki_roots::TLS_SERVER_ROOTS.len(),
    )
}
