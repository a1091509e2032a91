//! The `seam-edge` command: parse the arguments, build a client, run one command, and
//! map the outcome to an exit code. It uses only the library's public API.

mod args;
mod batch;
mod doctor;
mod exit;
mod files;
mod help;
mod logger;
mod outbox;
mod output;

use std::process::ExitCode;

use std::time::{Duration, SystemTime};

use miniserde::json::{Object, Value};
use seam_edge::{
    Auth, Client, Delivery, Error, Timestamp, UpdateCredentialParams, ValidUpdate, mask_code,
};

use args::{Args, CodeSource, Command, Verbosity};

/// A failure of one run, printed once and mapped to an exit code.
#[derive(Debug)]
pub enum CliError {
    /// A mistake on the command line.
    Usage(String),
    /// A condition that may clear by itself, such as a clock not yet set by NTP.
    Temporary(String),
    /// A configuration problem found by the CLI itself, such as an unreadable file.
    Config(String),
    /// An error of the library.
    Seam(Error),
}

impl CliError {
    fn config(message: String) -> CliError {
        CliError::Config(message)
    }

    fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) => exit::USAGE,
            CliError::Temporary(_) => exit::TEMPORARY,
            CliError::Config(_) => exit::CONFIG,
            CliError::Seam(error) => exit::code_for(error),
        }
    }

    fn message(&self) -> String {
        match self {
            CliError::Usage(message) | CliError::Temporary(message) | CliError::Config(message) => {
                message.clone()
            }
            CliError::Seam(error) => output::error_chain(error),
        }
    }
}

impl From<Error> for CliError {
    fn from(error: Error) -> CliError {
        CliError::Seam(error)
    }
}

/// Runs the command line and returns the exit code.
pub fn main() -> ExitCode {
    let arguments: Vec<_> = std::env::args_os().skip(1).collect();
    let args = match args::parse(arguments.iter().cloned()) {
        Ok(args) => args,
        Err(args::UsageError(message)) => {
            // The parse failed, so look for --json among the raw arguments.
            let json = arguments.iter().any(|argument| argument == "--json");
            return report(&CliError::Usage(message), json);
        }
    };
    logger::install(args.verbosity);
    match args.command {
        Command::Help => {
            output::print_stdout(help::HELP);
            return ExitCode::from(exit::OK);
        }
        Command::Version => {
            output::print_stdout(&help::version());
            return ExitCode::from(exit::OK);
        }
        Command::Doctor => return doctor::run(&args),
        Command::Outbox(command) => return outbox::run(&args, command),
        _ => {}
    }
    if args.batch.is_some() {
        return batch::main(&args);
    }
    match run(&args) {
        Ok(()) => ExitCode::from(exit::OK),
        Err(error) => report(&error, args.json),
    }
}

/// Prints an error once on stderr, and as JSON on stdout for `--json`, and returns its
/// exit code.
fn report(error: &CliError, json: bool) -> ExitCode {
    if json {
        output::print_json_error(error);
    }
    let hint = match error {
        CliError::Usage(_) => "\nRun 'seam-edge --help' for usage.",
        _ => "",
    };
    output::print_stderr(&format!("seam-edge: {}{hint}\n", error.message()));
    ExitCode::from(error.exit_code())
}

fn run(args: &Args) -> Result<(), CliError> {
    let client = build_client(args)?;
    match args.command {
        Command::Update => update(args, &client),
        Command::Get => {
            wait_jitter(args);
            get(args, &client)
        }
        Command::AuthCheck => {
            wait_jitter(args);
            auth_check(args, &client)
        }
        Command::Help | Command::Version | Command::Doctor | Command::Outbox(_) => Ok(()),
    }
}

fn update(args: &Args, client: &Client) -> Result<(), CliError> {
    let mut params =
        UpdateCredentialParams::new(args.acs_credential_id.clone().unwrap_or_default());
    params.code = match &args.code {
        Some(CodeSource::Literal(code)) => Some(code.clone()),
        Some(CodeSource::File(path)) => Some(files::read_secret(path, "PIN code file")?),
        None => None,
    };
    params.ends_at = match (&args.ends_at, args.ends_in) {
        (Some(ends_at), _) => Some(ends_at.clone()),
        (None, Some(duration)) => Some(ends_at_from_now(duration)?.to_string()),
        (None, None) => None,
    };
    // Check the input before the jitter wait, so a mistake fails at once.
    let valid = params.validate()?;
    valid.check_future(SystemTime::now())?;
    if args.dry_run {
        print_dry_run(args, client, &valid);
        return Ok(());
    }
    wait_jitter(args);
    let credential = match client.acs().credentials().submit(&valid)? {
        Delivery::Sent(credential) => credential,
        Delivery::Queued(entry) => {
            outbox::print_queued(args, &entry);
            return Ok(());
        }
        // `Delivery` is non-exhaustive; the library adds no outcome without this CLI.
        _ => None,
    };

    if args.json {
        outbox::print_sent_json(credential.as_ref());
    } else if args.verbosity == Verbosity::Verbose {
        let mut changed = Vec::new();
        if let Some(code) = &params.code {
            changed.push(format!("code {}", mask_code(code)));
        }
        if let Some(ends_at) = &params.ends_at {
            // Show the UTC text that was sent, not the text as typed.
            let sent =
                Timestamp::parse(ends_at).map_or_else(|_| ends_at.clone(), |t| t.to_string());
            changed.push(format!("ends_at {sent}"));
        }
        output::print_stdout(&format!(
            "updated credential {}: {}\n",
            params.acs_credential_id,
            changed.join(", ")
        ));
    }
    Ok(())
}

/// Returns the clock's reading plus `duration`, for `--ends-in`. A clock below the floor
/// compiled into this build is probably unset (no real-time clock, NTP not yet run), so the
/// result would be decades early: that is a temporary failure.
fn ends_at_from_now(duration: Duration) -> Result<Timestamp, CliError> {
    let now = SystemTime::now();
    let clock = Timestamp::from_system_time(now)
        .map_or_else(|| "out of range".to_owned(), |clock| clock.to_string());
    if !seam_edge::clock_is_set(now) {
        return Err(CliError::Temporary(format!(
            "--ends-in needs a set clock, but the system clock reads {clock}, before this \
             build's release; wait for NTP to set it, or give --ends-at"
        )));
    }
    now.checked_add(duration)
        .and_then(Timestamp::from_system_time)
        .ok_or_else(|| CliError::Usage(format!("--ends-in goes past year 9999 from {clock}")))
}

/// Prints the request an update would send, PIN masked, for `--dry-run`.
fn print_dry_run(args: &Args, client: &Client, update: &ValidUpdate) {
    let url = format!("{}/acs/credentials/update", client.endpoint());
    if args.json {
        let mut object = Object::new();
        output::put(&mut object, "dry_run", Value::Bool(true));
        output::put(&mut object, "ok", Value::Bool(true));
        output::put(&mut object, "request", request_json(url, update));
        output::print_object(&object);
    } else if args.verbosity != Verbosity::Quiet {
        output::print_stdout(&format!(
            "dry run, nothing sent:\nPATCH {url}\n{}\n",
            update.to_masked_json()
        ));
    }
}

/// Returns the request an update would send as `{"method", "url", "body"}`, PIN masked.
fn request_json(url: String, update: &ValidUpdate) -> Value {
    let body = miniserde::json::from_str(&update.to_masked_json()).unwrap_or(Value::Null);
    let mut request = Object::new();
    output::put(&mut request, "method", Value::String("PATCH".to_owned()));
    output::put(&mut request, "url", Value::String(url));
    output::put(&mut request, "body", body);
    Value::Object(request)
}

/// Waits a random time up to `--jitter`, outside the deadline, so that a fleet whose cron
/// jobs fire on the same minute does not reach the server at the same second.
fn wait_jitter(args: &Args) {
    let Some(bound) = args.jitter.filter(|bound| !bound.is_zero()) else {
        return;
    };
    let wait = seam_edge::random_duration_up_to(bound);
    log::info!(
        "waiting {} ms of jitter before the first attempt",
        millis(wait)
    );
    std::thread::sleep(wait);
}

/// Returns whole milliseconds, saturating at `u64::MAX`, for messages. `as_millis`
/// returns a `u128`, whose formatting code only these messages would compile in.
fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

fn get(args: &Args, client: &Client) -> Result<(), CliError> {
    let id = args.acs_credential_id.as_deref().unwrap_or_default();
    let credential = client.acs().credentials().get(id)?;
    if args.json {
        let value = output::credential_json(Some(&credential), args.show_code);
        output::print_json_success("acs_credential", value);
    } else if args.verbosity != Verbosity::Quiet {
        output::print_stdout(&output::credential_lines(&credential, args.show_code));
    }
    Ok(())
}

fn auth_check(args: &Args, client: &Client) -> Result<(), CliError> {
    let workspace = client.workspaces().get()?;
    if args.json {
        output::print_json_success("workspace", output::workspace_json(&workspace));
    } else if args.verbosity != Verbosity::Quiet {
        let name = workspace.name.as_deref().unwrap_or("unnamed");
        output::print_stdout(&format!(
            "ok: {} accepted for workspace {} ({name}) at {}\n",
            client.auth().kind_name(),
            workspace.workspace_id,
            client.endpoint()
        ));
    }
    Ok(())
}

/// Builds the client: flags first, then the environment for whatever the flags left unset.
fn build_client(args: &Args) -> Result<Client, CliError> {
    let env = env_var;
    let workspace_id = args
        .workspace_id
        .clone()
        .or_else(|| env("SEAM_WORKSPACE_ID"));

    let mut builder = Client::builder().allow_insecure_http(args.allow_insecure_http);
    if let Some(endpoint) = &args.endpoint {
        builder = builder.endpoint(endpoint);
    }
    if let Some(timeout) = args.timeout {
        builder = builder.timeout(timeout);
    }
    if let Some(timeout) = args.connect_timeout {
        builder = builder.connect_timeout(timeout);
    }
    if let Some(retries) = args.retries {
        builder = builder.retries(retries);
    }
    if let Some(deadline) = args.deadline {
        builder = builder.deadline(deadline);
    }
    if let Some(path) = &args.ca_file {
        builder = builder.root_certs_pem_file(path);
    }
    if args.no_proxy {
        builder = builder.proxy(None);
    }
    if let Some(dir) = &args.queue_dir {
        builder = builder.queue_dir(dir);
    }
    if let Some(auth) = auth_from_files(args, workspace_id.as_deref(), &env)? {
        builder = builder.auth(auth);
    }
    let builder = builder.fill_from_vars(|name| match name {
        "SEAM_WORKSPACE_ID" => workspace_id.clone(),
        _ => env(name),
    })?;
    Ok(builder.build()?)
}

/// Returns an environment variable's value, `None` when it is unset, blank or not UTF-8.
fn env_var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
}

/// Reads the credentials from `--api-key-file`, `--token-file` or `SEAM_API_KEY_FILE`, in
/// that order, or returns `None` when none is set.
fn auth_from_files(
    args: &Args,
    workspace_id: Option<&str>,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<Option<Auth>, CliError> {
    if let Some(path) = &args.api_key_file {
        return Ok(Some(Auth::api_key(files::read_secret(
            path,
            "API key file",
        )?)));
    }
    if let Some(path) = &args.token_file {
        let token = files::read_secret(path, "token file")?;
        let workspace_id = workspace_id.ok_or_else(|| {
            CliError::config(
                "--token-file needs a workspace id; pass --workspace-id or set SEAM_WORKSPACE_ID"
                    .to_owned(),
            )
        })?;
        return Ok(Some(Auth::personal_access_token(token, workspace_id)));
    }
    let Some(path) = env("SEAM_API_KEY_FILE") else {
        return Ok(None);
    };
    if env("SEAM_API_KEY").is_some() || env("SEAM_PERSONAL_ACCESS_TOKEN").is_some() {
        return Err(CliError::config(
            "SEAM_API_KEY_FILE is set together with SEAM_API_KEY or \
             SEAM_PERSONAL_ACCESS_TOKEN; unset all but one"
                .to_owned(),
        ));
    }
    let key = files::read_secret(path.as_ref(), "API key file (SEAM_API_KEY_FILE)")?;
    Ok(Some(Auth::api_key(key)))
}
