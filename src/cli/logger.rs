//! A small stderr logger for the `log` facade, so the binary needs no logging crate.

use log::{Level, LevelFilter, Log, Metadata, Record};

use super::args::Verbosity;

struct StderrLogger {
    level: LevelFilter,
}

impl Log for StderrLogger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        // rustls explains handshake failures in its own debug lines. The error already
        // names what failed, so those lines would only repeat it.
        let noisy = metadata.target().starts_with("rustls") && metadata.level() > Level::Warn;
        metadata.level() <= self.level && !noisy
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let level = match record.level() {
            Level::Error => "error",
            Level::Warn => "warning",
            Level::Info => "info",
            Level::Debug => "debug",
            Level::Trace => "trace",
        };
        // A closed stderr must not turn a log line into a panic.
        let line = format!("seam-edge: {level}: {}\n", record.args());
        let _ = std::io::Write::write_all(&mut std::io::stderr().lock(), line.as_bytes());
    }

    fn flush(&self) {}
}

/// Installs the logger at the level that `verbosity` requests. Log lines of this crate and of
/// ureq never hold a token or a PIN: ureq redacts every header outside a short allow-list,
/// and this crate logs request bodies with the PIN masked.
pub fn install(verbosity: Verbosity) {
    let level = match verbosity {
        Verbosity::Quiet => LevelFilter::Error,
        Verbosity::Normal => LevelFilter::Warn,
        Verbosity::Verbose => LevelFilter::Info,
    };
    // Leaked once per process: the logger must live as long as the program.
    let logger: &'static StderrLogger = Box::leak(Box::new(StderrLogger { level }));
    if log::set_logger(logger).is_ok() {
        log::set_max_level(level);
    }
}
