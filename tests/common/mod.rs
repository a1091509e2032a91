//! Shared by the integration tests: starting the built `seam-edge` binary and collecting
//! its output, its exit codes, temporary files, and a loopback CONNECT proxy.

// Each test file uses only some of these helpers, and an unused one is not a mistake there.
#![allow(dead_code)]

use std::fmt;
use std::fs::OpenOptions;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// Exit codes from `seam-edge --help`.
pub mod exit {
    pub const OK: i32 = 0;
    pub const USAGE: i32 = 64;
    pub const INVALID_INPUT: i32 = 65;
    pub const REJECTED: i32 = 69;
    pub const STORAGE: i32 = 74;
    pub const TEMPORARY: i32 = 75;
    pub const BAD_CREDENTIALS: i32 = 77;
    pub const CONFIG: i32 = 78;
}

/// The exit status and output of one run of the binary.
pub struct Output {
    pub status: ExitStatus,
    /// The exit code, `None` when a signal ended the run.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl fmt::Display for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "exit status {:?}", self.status)?;
        writeln!(f, "--- stdout ---\n{}", self.stdout)?;
        write!(f, "--- stderr ---\n{}", self.stderr)
    }
}

/// Waits at most `limit` for `child` and collects its output. Both pipes are read while
/// it runs, so a child that fills one cannot stall; past the limit it is killed and the
/// test fails.
pub fn finish(mut child: Child, limit: Duration) -> Output {
    let stdout = read_in_background(child.stdout.take());
    let stderr = read_in_background(child.stderr.take());
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for seam-edge") {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("seam-edge ran longer than {limit:?} and was killed");
        }
        thread::sleep(Duration::from_millis(10));
    };
    Output {
        status,
        code: status.code(),
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
    }
}

fn read_in_background(pipe: Option<impl Read + Send + 'static>) -> JoinHandle<String> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            pipe.read_to_end(&mut bytes).expect("read child output");
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// A file under the temporary directory with a unique name, removed when dropped.
pub struct TempFile {
    pub path: PathBuf,
}

impl TempFile {
    /// Creates the file with permission bits `mode`, which the umask cannot widen.
    pub fn with_mode(name: &str, contents: &[u8], mode: u32) -> TempFile {
        let file = TempFile::missing(name);
        let mut handle = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&file.path)
            .expect("create temporary file");
        handle.write_all(contents).expect("write temporary file");
        file
    }

    /// Creates a file that only its owner may read, as secrets and PINs should be stored.
    pub fn private(name: &str, contents: &[u8]) -> TempFile {
        TempFile::with_mode(name, contents, 0o600)
    }

    /// Returns a unique path without creating anything there.
    pub fn missing(name: &str) -> TempFile {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let number = NEXT.fetch_add(1, Ordering::Relaxed);
        let unique = format!("seam-edge-test-{}-{number}-{name}", std::process::id());
        TempFile {
            path: std::env::temp_dir().join(unique),
        }
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        // A path from `missing` may never have been created.
        let _ = std::fs::remove_file(&self.path);
    }
}

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

/// An HTTP CONNECT proxy on 127.0.0.1 that records each request head. It tunnels only to
/// the one address it was started for, and any other target gets 403.
pub struct TunnelProxy {
    pub addr: SocketAddr,
    request_lines: Arc<Mutex<Vec<String>>>,
}

impl TunnelProxy {
    pub fn start(allowed: SocketAddr) -> TunnelProxy {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let addr = listener.local_addr().unwrap();
        let request_lines = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&request_lines);
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let log = Arc::clone(&log);
                thread::spawn(move || serve_tunnel(stream, allowed, &log));
            }
        });
        TunnelProxy {
            addr,
            request_lines,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Returns the first line of every request received, in order.
    pub fn request_lines(&self) -> Vec<String> {
        self.heads()
            .iter()
            .map(|head| head.lines().next().unwrap_or_default().to_owned())
            .collect()
    }

    /// Returns every request head received, header fields included, in order.
    pub fn heads(&self) -> Vec<String> {
        self.request_lines.lock().unwrap().clone()
    }
}

fn serve_tunnel(mut client: TcpStream, allowed: SocketAddr, log: &Mutex<Vec<String>>) {
    let Some(head) = read_head(&mut client) else {
        return;
    };
    let line = head.lines().next().unwrap_or_default().to_owned();
    log.lock().unwrap().push(head.clone());

    // Only the address given at start is ever connected to.
    if !line.starts_with(&format!("CONNECT {allowed} ")) {
        let _ = client.write_all(b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n");
        return;
    }
    let Ok(server) = TcpStream::connect(allowed) else {
        return;
    };
    let _ = client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
    let (mut client_read, mut server_write) =
        (client.try_clone().unwrap(), server.try_clone().unwrap());
    let upstream = thread::spawn(move || std::io::copy(&mut client_read, &mut server_write));
    let (mut server_read, mut client_write) = (server, client);
    let _ = std::io::copy(&mut server_read, &mut client_write);
    let _ = upstream.join();
}

/// Reads a request head byte by byte, so nothing after the blank line is consumed.
pub fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).ok()? == 0 {
            return None;
        }
        head.push(byte[0]);
    }
    String::from_utf8(head).ok()
}
