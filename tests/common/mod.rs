//! Shared by the integration tests that run the built `seam-edge` binary.

use std::process::Command;

/// Returns a command that runs the built CLI, through the same runner as the tests when
/// cargo has one configured in the environment.
///
/// Cross-compiled tests run under qemu-user through `CARGO_TARGET_<TRIPLE>_RUNNER`. Where
/// binfmt_misc is not mounted, the kernel cannot start an ARM binary that a test spawns, so
/// the binary must be started through that runner as well.
pub fn seam_edge_command() -> Command {
    let binary = env!("CARGO_BIN_EXE_seam-edge");
    let Some(runner) = runner() else {
        return Command::new(binary);
    };
    let mut words = runner.split_whitespace();
    let program = words.next().expect("runner() returns only non-blank text");
    let mut command = Command::new(absolute(program));
    command.args(words).arg(binary);
    command
}

/// Returns the runner cargo uses for this target, from `CARGO_TARGET_<TRIPLE>_RUNNER`.
fn runner() -> Option<String> {
    let target = option_env!("SEAM_EDGE_TARGET")?;
    let variable = format!(
        "CARGO_TARGET_{}_RUNNER",
        target.to_ascii_uppercase().replace(['-', '.'], "_")
    );
    std::env::var(variable)
        .ok()
        .filter(|runner| !runner.trim().is_empty())
}

/// Resolves a program name through this process's `PATH`, so that tests that clear the
/// child's environment can still start the runner.
fn absolute(program: &str) -> std::path::PathBuf {
    if program.contains('/') {
        return program.into();
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| program.into())
}
