//! The command line: every flag defined once, parsed with `lexopt`.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use lexopt::Arg;
use seam_edge::Purge;

/// A usage mistake: exit code 64, message printed with a pointer to `--help`.
#[derive(Debug)]
pub struct UsageError(pub String);

/// The command the user requested.
#[derive(Debug, PartialEq)]
pub enum Command {
    /// `acs credentials update`
    Update,
    /// `acs credentials get`
    Get,
    /// `auth check`
    AuthCheck,
    /// `doctor`
    Doctor,
    /// `outbox flush`, `outbox list`, `outbox requeue`, `outbox purge`
    Outbox(OutboxCommand),
    /// `--help`
    Help,
    /// `--version`
    Version,
}

/// An `outbox` subcommand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxCommand {
    Flush,
    List,
    Requeue,
    Purge,
}

/// The source of the PIN code.
#[derive(Debug, PartialEq)]
pub enum CodeSource {
    /// `--code PIN`
    Literal(String),
    /// `--code-file FILE`, or `-` for standard input.
    File(PathBuf),
}

/// How much to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verbosity {
    /// `-q`: errors only.
    Quiet,
    /// Warnings and errors.
    Normal,
    /// `-v`: a summary on success and the request log on stderr.
    Verbose,
}

/// The parsed command line.
#[derive(Debug)]
pub struct Args {
    pub command: Command,
    pub acs_credential_id: Option<String>,
    pub code: Option<CodeSource>,
    pub ends_at: Option<String>,
    pub ends_in: Option<Duration>,
    pub dry_run: bool,
    /// `--batch FILE`: JSON Lines of updates, `-` for standard input.
    pub batch: Option<PathBuf>,
    pub show_code: bool,
    pub endpoint: Option<String>,
    pub workspace_id: Option<String>,
    pub api_key_file: Option<PathBuf>,
    pub token_file: Option<PathBuf>,
    pub ca_file: Option<PathBuf>,
    pub timeout: Option<Duration>,
    pub connect_timeout: Option<Duration>,
    pub retries: Option<u32>,
    pub deadline: Option<Duration>,
    pub jitter: Option<Duration>,
    pub no_proxy: bool,
    pub allow_insecure_http: bool,
    pub queue_dir: Option<PathBuf>,
    pub purge: Option<Purge>,
    pub json: bool,
    pub verbosity: Verbosity,
}

impl Args {
    fn empty() -> Args {
        Args {
            command: Command::Help,
            acs_credential_id: None,
            code: None,
            ends_at: None,
            ends_in: None,
            dry_run: false,
            batch: None,
            show_code: false,
            endpoint: None,
            workspace_id: None,
            api_key_file: None,
            token_file: None,
            ca_file: None,
            timeout: None,
            connect_timeout: None,
            retries: None,
            deadline: None,
            jitter: None,
            no_proxy: false,
            allow_insecure_http: false,
            queue_dir: None,
            purge: None,
            json: false,
            verbosity: Verbosity::Normal,
        }
    }
}

/// Parses the arguments after the program name.
pub fn parse(arguments: impl IntoIterator<Item = OsString>) -> Result<Args, UsageError> {
    let mut parser = lexopt::Parser::from_args(arguments);
    let mut args = Args::empty();
    let mut words = Vec::new();
    let mut help = false;
    let mut version = false;
    while let Some(arg) = parser.next().map_err(usage)? {
        match arg {
            Arg::Short('h') | Arg::Long("help") => help = true,
            Arg::Short('V') | Arg::Long("version") => version = true,
            Arg::Short('q') | Arg::Long("quiet") => args.verbosity = Verbosity::Quiet,
            Arg::Short('v') | Arg::Long("verbose") => args.verbosity = Verbosity::Verbose,
            Arg::Long(name) => {
                let name = name.replace('_', "-");
                parse_long(&name, &mut parser, &mut args)?;
            }
            Arg::Value(word) => words.push(text(word, "command")?),
            Arg::Short(_) => return Err(usage(arg.unexpected())),
        }
    }
    args.command = if help {
        Command::Help
    } else if version {
        Command::Version
    } else {
        command(&words)?
    };
    check(&args)?;
    Ok(args)
}

fn parse_long(name: &str, parser: &mut lexopt::Parser, args: &mut Args) -> Result<(), UsageError> {
    let flag = format!("--{name}");
    match name {
        "dry-run" => args.dry_run = true,
        "show-code" => args.show_code = true,
        "no-proxy" => args.no_proxy = true,
        "allow-insecure-http" => args.allow_insecure_http = true,
        "json" => args.json = true,
        "queue" => set_purge(args, Purge::Queue)?,
        "dead" => set_purge(args, Purge::Dead)?,
        "all" => set_purge(args, Purge::All)?,
        "code" => set_code(args, CodeSource::Literal(secret_value(parser, &flag)?))?,
        _ if VALUE_FLAGS.contains(&name) => {
            // One read of the value for every flag that takes one compiles smaller.
            let text = value(parser, &flag)?;
            parse_value(name, text, &flag, args)?;
        }
        _ => {
            return Err(UsageError(format!(
                "unknown option {flag}; see seam-edge --help for the options"
            )));
        }
    }
    Ok(())
}

/// The long flags that take a value, other than `--code`.
const VALUE_FLAGS: [&str; 16] = [
    "acs-credential-id",
    "code-file",
    "ends-at",
    "ends-in",
    "batch",
    "endpoint",
    "workspace-id",
    "api-key-file",
    "token-file",
    "ca-file",
    "timeout",
    "connect-timeout",
    "retries",
    "deadline",
    "jitter",
    "queue-dir",
];

/// Stores the value `text` of the flag `name`, one of [`VALUE_FLAGS`].
fn parse_value(name: &str, text: String, flag: &str, args: &mut Args) -> Result<(), UsageError> {
    let is_path = matches!(
        name,
        "code-file" | "batch" | "api-key-file" | "token-file" | "ca-file" | "queue-dir"
    );
    if is_path && text.is_empty() {
        return Err(UsageError(format!(
            "{flag} needs a path, not an empty value"
        )));
    }
    match name {
        "acs-credential-id" => args.acs_credential_id = Some(text),
        "code-file" => set_code(args, CodeSource::File(text.into()))?,
        "ends-at" => args.ends_at = Some(text),
        "ends-in" => args.ends_in = Some(ends_in(&text, flag)?),
        "batch" => args.batch = Some(text.into()),
        "endpoint" => args.endpoint = Some(text),
        "workspace-id" => args.workspace_id = Some(text),
        "api-key-file" => args.api_key_file = Some(text.into()),
        "token-file" => args.token_file = Some(text.into()),
        "ca-file" => args.ca_file = Some(text.into()),
        "timeout" => args.timeout = Some(seconds(&text, flag)?),
        "connect-timeout" => args.connect_timeout = Some(seconds(&text, flag)?),
        "retries" => args.retries = Some(retries(&text, flag)?),
        "deadline" => args.deadline = Some(seconds(&text, flag)?),
        "jitter" => args.jitter = Some(jitter(&text, flag)?),
        // "queue-dir", the last of `VALUE_FLAGS`.
        _ => args.queue_dir = Some(text.into()),
    }
    Ok(())
}

fn set_code(args: &mut Args, source: CodeSource) -> Result<(), UsageError> {
    if args.code.is_some() {
        return Err(UsageError(
            "give the PIN code once, with either --code or --code-file".to_owned(),
        ));
    }
    args.code = Some(source);
    Ok(())
}

fn set_purge(args: &mut Args, purge: Purge) -> Result<(), UsageError> {
    if args.purge.is_some() {
        return Err(UsageError(
            "give one of --queue, --dead and --all".to_owned(),
        ));
    }
    args.purge = Some(purge);
    Ok(())
}

fn value(parser: &mut lexopt::Parser, flag: &str) -> Result<String, UsageError> {
    let value = parser
        .value()
        .map_err(|_| UsageError(format!("{flag} needs a value")))?;
    text(value, flag)
}

/// Reads a flag's value without ever repeating it in a message, for the PIN code.
fn secret_value(parser: &mut lexopt::Parser, flag: &str) -> Result<String, UsageError> {
    let value = parser
        .value()
        .map_err(|_| UsageError(format!("{flag} needs a value")))?;
    value
        .into_string()
        .map_err(|_| UsageError(format!("{flag}: the value is not valid UTF-8")))
}

fn text(value: OsString, what: &str) -> Result<String, UsageError> {
    value
        .into_string()
        .map_err(|raw| UsageError(format!("{what}: {raw:?} is not valid UTF-8")))
}

/// Maximum duration a flag accepts, one day.
const MAX_SECONDS: u64 = 86_400;

/// Parses a positive number of seconds written as digits with an optional fraction of up
/// to three digits, such as `30` or `2.5`. Integer arithmetic only: no exponents, no `inf`.
fn seconds(text: &str, flag: &str) -> Result<Duration, UsageError> {
    let invalid = || {
        UsageError(format!(
            "invalid {flag} {text:?}: expected seconds above 0 and at most {MAX_SECONDS}, \
             such as 30 or 2.5"
        ))
    };
    let (whole, fraction) = text.split_once('.').unwrap_or((text, "0"));
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|byte| byte.is_ascii_digit());
    if !digits(whole) || !digits(fraction) || fraction.len() > 3 {
        return Err(invalid());
    }
    let whole: u64 = whole.parse().map_err(|_| invalid())?;
    let millis: u64 = format!("{fraction:0<3}").parse().map_err(|_| invalid())?;
    let duration = Duration::from_secs(whole) + Duration::from_millis(millis);
    if duration.is_zero() || duration > Duration::from_secs(MAX_SECONDS) {
        return Err(invalid());
    }
    Ok(duration)
}

/// Maximum `--ends-in` accepted, about ten years.
const MAX_ENDS_IN_DAYS: u64 = 3660;

/// Parses a whole number followed by a unit: `d` days, `h` hours, `m` minutes or `s`
/// seconds, such as `30d` or `90m`.
fn ends_in(text: &str, flag: &str) -> Result<Duration, UsageError> {
    let invalid = || {
        UsageError(format!(
            "invalid {flag} {text:?}: expected a whole number and a unit, d, h, m or s, \
             such as 30d, 12h or 90m, at most {MAX_ENDS_IN_DAYS}d"
        ))
    };
    let unit_at = text.len().checked_sub(1).ok_or_else(invalid)?;
    let (number, unit) = text.split_at(unit_at);
    let seconds_per_unit = match unit {
        "d" => 86_400,
        "h" => 3_600,
        "m" => 60,
        "s" => 1,
        _ => return Err(invalid()),
    };
    if number.is_empty() || !number.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(invalid());
    }
    let seconds = number
        .parse::<u64>()
        .ok()
        .and_then(|count| count.checked_mul(seconds_per_unit))
        .filter(|seconds| *seconds > 0 && *seconds <= MAX_ENDS_IN_DAYS * 86_400)
        .ok_or_else(invalid)?;
    Ok(Duration::from_secs(seconds))
}

/// Largest number of retries accepted; more would only wait out the deadline.
const MAX_RETRIES: u32 = 20;

fn retries(text: &str, flag: &str) -> Result<u32, UsageError> {
    text.parse::<u32>()
        .ok()
        .filter(|retries| *retries <= MAX_RETRIES)
        .ok_or_else(|| {
            UsageError(format!(
                "invalid {flag} {text:?}: expected a whole number from 0 to {MAX_RETRIES}"
            ))
        })
}

/// Parses the jitter bound, where `0` is allowed and means no wait.
fn jitter(text: &str, flag: &str) -> Result<Duration, UsageError> {
    if text == "0" {
        return Ok(Duration::ZERO);
    }
    seconds(text, flag).map_err(|_| {
        UsageError(format!(
            "invalid {flag} {text:?}: expected seconds from 0 to {MAX_SECONDS}, such as 30"
        ))
    })
}

fn command(words: &[String]) -> Result<Command, UsageError> {
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    match words.as_slice() {
        [] => Err(UsageError(
            "missing command: give \"acs credentials update\", \"acs credentials get\", \
             \"auth check\", \"doctor\" or \"outbox flush|list|requeue|purge\""
                .to_owned(),
        )),
        ["acs", "credentials", "update"] => Ok(Command::Update),
        ["acs", "credentials", "get"] => Ok(Command::Get),
        ["auth", "check"] => Ok(Command::AuthCheck),
        ["outbox", "flush"] => Ok(Command::Outbox(OutboxCommand::Flush)),
        ["outbox", "list"] => Ok(Command::Outbox(OutboxCommand::List)),
        ["outbox", "requeue"] => Ok(Command::Outbox(OutboxCommand::Requeue)),
        ["outbox", "purge"] => Ok(Command::Outbox(OutboxCommand::Purge)),
        ["doctor"] => Ok(Command::Doctor),
        _ => Err(UsageError(format!(
            "unknown command {:?}; the commands are \"acs credentials update\", \
             \"acs credentials get\", \"auth check\", \"doctor\" and \
             \"outbox flush|list|requeue|purge\"",
            words.join(" ")
        ))),
    }
}

/// Rejects flags that make no sense together or for the command.
fn check(args: &Args) -> Result<(), UsageError> {
    if args.api_key_file.is_some() && args.token_file.is_some() {
        return Err(UsageError(
            "--api-key-file and --token-file conflict; give one of them".to_owned(),
        ));
    }
    let stdin = std::path::Path::new("-");
    let secret_from_stdin = [&args.api_key_file, &args.token_file]
        .into_iter()
        .any(|path| path.as_deref() == Some(stdin));
    if secret_from_stdin && args.code == Some(CodeSource::File(stdin.to_path_buf())) {
        return Err(UsageError(
            "standard input can hold only one secret; read the PIN code or the token \
             from a file"
                .to_owned(),
        ));
    }
    if args.ends_at.is_some() && args.ends_in.is_some() {
        return Err(UsageError(
            "--ends-at and --ends-in conflict; give one of them".to_owned(),
        ));
    }
    check_applies(args)?;
    if args.batch.is_some() {
        return check_batch(args, secret_from_stdin);
    }
    let for_update = args.code.is_some() || args.ends_at.is_some() || args.ends_in.is_some();
    match args.command {
        Command::Update | Command::Get if args.acs_credential_id.is_none() => Err(UsageError(
            "missing --acs-credential-id ID: the id of the credential".to_owned(),
        )),
        Command::Update if !for_update => Err(UsageError(
            "nothing to change: give --code PIN, --code-file FILE, --ends-at TIME, \
             --ends-in DURATION or several"
                .to_owned(),
        )),
        _ if args.purge.is_some() && args.command != Command::Outbox(OutboxCommand::Purge) => Err(
            UsageError("--queue, --dead and --all only apply to \"outbox purge\"".to_owned()),
        ),
        Command::Outbox(OutboxCommand::Purge) if args.purge.is_none() => Err(UsageError(
            "outbox purge needs --queue (queued updates, never sent), --dead (dead letters \
             and corrupt files) or --all"
                .to_owned(),
        )),
        Command::Get | Command::AuthCheck | Command::Doctor | Command::Outbox(_) if for_update => {
            Err(UsageError(
                "--code, --code-file, --ends-at and --ends-in only apply to \
             \"acs credentials update\""
                    .to_owned(),
            ))
        }
        _ => Ok(()),
    }
}

/// Rejects a flag given to a command that would ignore it, such as `--dry-run` on
/// `outbox flush`, which would otherwise send while the user expects it not to.
fn check_applies(args: &Args) -> Result<(), UsageError> {
    let command = &args.command;
    if matches!(command, Command::Help | Command::Version) {
        return Ok(());
    }
    let update = *command == Command::Update;
    let get = *command == Command::Get;
    let flush = *command == Command::Outbox(OutboxCommand::Flush);
    let rules = [
        (
            args.dry_run,
            update,
            "--dry-run",
            "\"acs credentials update\"",
        ),
        (
            args.show_code,
            get,
            "--show-code",
            "\"acs credentials get\"",
        ),
        (
            args.acs_credential_id.is_some(),
            update || get,
            "--acs-credential-id",
            "\"acs credentials update\" and \"acs credentials get\"",
        ),
        (
            args.jitter.is_some(),
            update || get || flush || *command == Command::AuthCheck,
            "--jitter",
            "\"acs credentials update\", \"acs credentials get\", \"auth check\" and \
             \"outbox flush\"",
        ),
    ];
    match rules
        .into_iter()
        .find(|(given, applies, _, _)| *given && !applies)
    {
        Some((_, _, flag, commands)) => {
            Err(UsageError(format!("{flag} only applies to {commands}")))
        }
        None => Ok(()),
    }
}

/// Rejects the flags of a single update next to `--batch`, whose lines carry those values.
fn check_batch(args: &Args, secret_from_stdin: bool) -> Result<(), UsageError> {
    if args.command != Command::Update {
        return Err(UsageError(
            "--batch only applies to \"acs credentials update\"".to_owned(),
        ));
    }
    if secret_from_stdin && args.batch.as_deref() == Some(std::path::Path::new("-")) {
        return Err(UsageError(
            "--batch - and the key or token file both read standard input; \
             read the key or token from a file"
                .to_owned(),
        ));
    }
    let code_flag = match args.code {
        Some(CodeSource::Literal(_)) => Some("--code"),
        Some(CodeSource::File(_)) => Some("--code-file"),
        None => None,
    };
    let given = [
        args.acs_credential_id
            .is_some()
            .then_some("--acs-credential-id"),
        code_flag,
        args.ends_at.is_some().then_some("--ends-at"),
        args.ends_in.is_some().then_some("--ends-in"),
    ];
    match given.into_iter().flatten().next() {
        Some(flag) => Err(UsageError(format!(
            "--batch and {flag} conflict; put the values in the batch lines instead"
        ))),
        None => Ok(()),
    }
}

fn usage(error: lexopt::Error) -> UsageError {
    UsageError(error.to_string())
}
