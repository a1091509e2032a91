//! Performing an [`Action`]: whole replies, and the faults that send slowly, send a lot, or
//! send nothing.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use super::fault::{Action, MAX_HOLD, PADDING_CLOSE, PADDING_OPEN};
use super::http::{HttpConnection, Reply};
use super::server::TlsStream;

/// Maximum length of one sleep while a fault waits, so that it notices a shutdown within this time.
const WAIT_SLICE: Duration = Duration::from_millis(50);

/// Size of each write of an [`Action::Stream`] body.
const STREAM_PIECE: usize = 64 * 1024;

/// The state of the connection after an action.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum After {
    /// Read the next request.
    KeepOpen,
    /// Close with TLS `close_notify`.
    Close,
    /// Close the TCP socket at once, without `close_notify`.
    Abort,
}

/// Performs an action, using `request_id` for `seam-request-id`, and returns what happens
/// to the connection next.
///
/// # Errors
///
/// Fails when a write fails or times out, usually because the client went away.
pub(crate) fn deliver(
    http: &mut HttpConnection<TlsStream>,
    action: Action,
    request_id: &str,
    stopping: &AtomicBool,
) -> io::Result<After> {
    match action {
        Action::Send(reply) => {
            http.write_reply(&reply, request_id)?;
            Ok(after(&reply))
        }
        Action::Reset => Ok(After::Abort),
        Action::Hold => {
            hold(&http.stream_mut().sock, stopping);
            Ok(After::Abort)
        }
        Action::Drip { reply, interval } => drip(http, &reply, interval, request_id, stopping),
        Action::Stream { reply, length } => stream(http, &reply, length, request_id, stopping),
    }
}

fn after(reply: &Reply) -> After {
    if reply.close {
        After::Close
    } else {
        After::KeepOpen
    }
}

/// Waits without sending until the client closes the connection, the fake shuts down or
/// [`MAX_HOLD`] passes. Bytes the client sends meanwhile are read and dropped, so the TLS
/// session is unusable afterwards and the caller must abort the connection.
fn hold(socket: &TcpStream, stopping: &AtomicBool) {
    let deadline = Instant::now() + MAX_HOLD;
    if socket.set_read_timeout(Some(WAIT_SLICE)).is_err() {
        return;
    }
    let mut reader = socket;
    let mut scratch = [0_u8; 1024];
    while !stopping.load(Ordering::SeqCst) && Instant::now() < deadline {
        match reader.read(&mut scratch) {
            // The client closed its side.
            Ok(0) => return,
            Ok(_) => {}
            Err(error) if is_timeout(&error) => {}
            Err(_) => return,
        }
    }
}

fn is_timeout(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
    )
}

/// Sends the head at once and the body one byte per `interval`.
fn drip(
    http: &mut HttpConnection<TlsStream>,
    reply: &Reply,
    interval: Duration,
    request_id: &str,
    stopping: &AtomicBool,
) -> io::Result<After> {
    if reply.head_only {
        http.write_reply(reply, request_id)?;
        return Ok(after(reply));
    }
    http.write_head(reply, request_id, reply.body.len() as u64)?;

    let deadline = Instant::now() + MAX_HOLD;
    let stream = http.stream_mut();
    for byte in &reply.body {
        if !pause(interval, deadline, stopping) {
            return Ok(After::Abort);
        }
        stream.write_all(std::slice::from_ref(byte))?;
        stream.flush()?;
    }
    Ok(after(reply))
}

/// Sleeps for `interval` in short slices. Returns `false`, possibly early, when the fake
/// shuts down or the sleep would end after `deadline`.
fn pause(interval: Duration, deadline: Instant, stopping: &AtomicBool) -> bool {
    let Some(end) = Instant::now().checked_add(interval) else {
        return false;
    };
    if end > deadline {
        return false;
    }
    loop {
        if stopping.load(Ordering::SeqCst) {
            return false;
        }
        let now = Instant::now();
        if now >= end {
            return true;
        }
        thread::sleep((end - now).min(WAIT_SLICE));
    }
}

/// Sends the head with `content-length: length`, then `{"padding":"xx…x"}` of that length
/// in pieces of [`STREAM_PIECE`] bytes. `length` is at least the size of the frame. Stops
/// mid-body when the fake shuts down or [`MAX_HOLD`] passes.
fn stream(
    http: &mut HttpConnection<TlsStream>,
    reply: &Reply,
    length: u64,
    request_id: &str,
    stopping: &AtomicBool,
) -> io::Result<After> {
    http.write_head(reply, request_id, length)?;
    if reply.head_only {
        return Ok(after(reply));
    }

    let frame = (PADDING_OPEN.len() + PADDING_CLOSE.len()) as u64;
    let filler = [b'x'; STREAM_PIECE];
    let mut remaining = length.saturating_sub(frame);
    let deadline = Instant::now() + MAX_HOLD;
    let stream = http.stream_mut();
    stream.write_all(PADDING_OPEN)?;
    while remaining > 0 {
        if stopping.load(Ordering::SeqCst) || Instant::now() > deadline {
            return Ok(After::Abort);
        }
        // The piece is at most STREAM_PIECE, so it fits a usize.
        let piece = remaining.min(STREAM_PIECE as u64) as usize;
        stream.write_all(&filler[..piece])?;
        remaining -= piece as u64;
    }
    stream.write_all(PADDING_CLOSE)?;
    stream.flush()?;
    Ok(after(reply))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pause_waits_the_interval() {
        let running = AtomicBool::new(false);
        let started = Instant::now();
        let deadline = started + Duration::from_secs(5);
        assert!(pause(Duration::from_millis(30), deadline, &running));
        assert!(started.elapsed() >= Duration::from_millis(30));
    }

    #[test]
    fn pause_stops_at_deadline_or_shutdown() {
        let running = AtomicBool::new(false);
        let deadline = Instant::now() + Duration::from_secs(1);
        assert!(!pause(Duration::from_secs(2), deadline, &running));
        assert!(!pause(Duration::MAX, deadline, &running));

        let stopping = AtomicBool::new(true);
        assert!(!pause(Duration::from_millis(10), deadline, &stopping));
    }
}
