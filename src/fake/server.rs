//! Threads: one accepts connections, one serves each connection.

use std::io;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use rustls::{ServerConfig, ServerConnection, StreamOwned};

use super::deliver::{self, After};
use super::fault::{self, Action};
use super::http::{self, HttpConnection, ReadError, Rejection};
use super::routes;
use super::store::{RecordedRequest, Store};

/// The TLS stream of one connection.
pub(crate) type TlsStream = StreamOwned<ServerConnection, TcpStream>;

/// How long a connection may stay silent, between or inside requests, before the fake
/// closes it. It bounds how long a thread lingers after a client vanishes without closing.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// How long a write may block, for a client that stops reading.
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// Pause after a failed `accept`, so that a persistent error such as running out of file
/// descriptors does not spin a core.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(20);

/// The running accept thread and what stops it.
#[derive(Debug)]
pub(crate) struct Server {
    addr: SocketAddr,
    stopping: Arc<AtomicBool>,
    accept_thread: Option<JoinHandle<()>>,
}

/// Configuration and state shared by every connection thread.
struct Shared {
    config: Arc<ServerConfig>,
    store: Arc<Store>,
    /// Set when the server shuts down, so that faults that wait stop waiting.
    stopping: Arc<AtomicBool>,
    /// Seconds added to the real clock for the `date` header, or `None` for no `date`.
    date_skew: Option<i64>,
}

/// A connection thread and a second handle to its socket, used to unblock it at shutdown.
struct Worker {
    socket: TcpStream,
    thread: JoinHandle<()>,
}

impl Server {
    /// Starts the accept thread on a bound listener.
    pub(crate) fn spawn(
        listener: TcpListener,
        config: Arc<ServerConfig>,
        store: Arc<Store>,
        date_skew: Option<i64>,
    ) -> io::Result<Server> {
        let addr = listener.local_addr()?;
        let stopping = Arc::new(AtomicBool::new(false));
        let shared = Arc::new(Shared {
            config,
            store,
            stopping: Arc::clone(&stopping),
            date_skew,
        });
        let flag = Arc::clone(&stopping);
        let accept_thread = thread::Builder::new()
            .name("fake-seam-accept".to_owned())
            .spawn(move || accept_loop(&listener, &shared, &flag))?;
        log::debug!("fake Seam listening on {addr}");
        Ok(Server {
            addr,
            stopping,
            accept_thread: Some(accept_thread),
        })
    }

    /// Returns the bound address.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, closes every open connection and joins all threads. Calling it
    /// again does nothing.
    pub(crate) fn shutdown(&mut self) {
        let Some(accept_thread) = self.accept_thread.take() else {
            return;
        };
        self.stopping.store(true, Ordering::SeqCst);

        // `accept` blocks until a connection arrives, so connect once to wake it.
        match TcpStream::connect_timeout(&self.addr, Duration::from_secs(1)) {
            Ok(_) => {
                if accept_thread.join().is_err() {
                    log::warn!("fake Seam accept thread panicked");
                }
            }
            Err(error) => {
                // Joining now could block forever, so the thread is left to end with the
                // process.
                log::warn!("fake Seam could not wake its accept thread: {error}");
            }
        }
        log::debug!("fake Seam on {} stopped", self.addr);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>, stopping: &AtomicBool) {
    let mut workers: Vec<Worker> = Vec::new();
    let mut last_connection = 0_u64;
    for incoming in listener.incoming() {
        if stopping.load(Ordering::SeqCst) {
            break;
        }
        let tcp = match incoming {
            Ok(tcp) => tcp,
            Err(error) => {
                log::warn!("fake Seam accept failed: {error}");
                thread::sleep(ACCEPT_BACKOFF);
                continue;
            }
        };

        workers.retain(|worker| !worker.thread.is_finished());
        last_connection += 1;
        match start_worker(tcp, Arc::clone(shared), last_connection) {
            Ok(worker) => workers.push(worker),
            Err(error) => log::warn!("fake Seam connection {last_connection} failed: {error}"),
        }
    }

    // Shutting the sockets down makes blocked reads and writes return, so the joins end.
    for worker in workers {
        let _ = worker.socket.shutdown(Shutdown::Both);
        if worker.thread.join().is_err() {
            log::warn!("fake Seam connection thread panicked");
        }
    }
}

fn start_worker(tcp: TcpStream, shared: Arc<Shared>, connection: u64) -> io::Result<Worker> {
    tcp.set_read_timeout(Some(IDLE_TIMEOUT))?;
    tcp.set_write_timeout(Some(WRITE_TIMEOUT))?;
    tcp.set_nodelay(true)?;
    let socket = tcp.try_clone()?;
    let thread = thread::Builder::new()
        .name(format!("fake-seam-conn-{connection}"))
        .spawn(move || serve_connection(tcp, &shared, connection))?;
    Ok(Worker { socket, thread })
}

/// Serves requests on one connection until the client closes it, a request carries
/// `connection: close`, or an error occurs.
fn serve_connection(tcp: TcpStream, shared: &Shared, connection: u64) {
    let peer = tcp.peer_addr().ok();
    log::debug!("fake Seam connection {connection} from {peer:?}");
    let tls = match ServerConnection::new(Arc::clone(&shared.config)) {
        Ok(tls) => tls,
        Err(error) => {
            log::warn!("fake Seam connection {connection}: TLS setup failed: {error}");
            return;
        }
    };
    let mut http = HttpConnection::new(StreamOwned::new(tls, tcp), connection);
    http.set_date_skew(shared.date_skew);

    while let Some(action) = next_action(&mut http, &shared.store, connection) {
        let request_id = shared.store.next_request_id();
        match deliver::deliver(&mut http, action, &request_id, &shared.stopping) {
            Ok(After::KeepOpen) => {}
            Ok(After::Close) => break,
            Ok(After::Abort) => {
                // No close_notify, so the client sees the stream end without a reply.
                log::debug!("fake Seam connection {connection}: closed without a reply");
                let _ = http.stream_mut().sock.shutdown(Shutdown::Both);
                return;
            }
            Err(error) => {
                log::debug!("fake Seam connection {connection}: write failed: {error}");
                return;
            }
        }
    }

    // Tell the client the stream ends on purpose rather than by truncation. Only writes are
    // attempted, because waiting for the client's reply could block until the idle timeout.
    let stream = http.stream_mut();
    stream.conn.send_close_notify();
    while stream.conn.wants_write() {
        match stream.conn.write_tls(&mut stream.sock) {
            Ok(written) if written > 0 => {}
            _ => break,
        }
    }
}

/// Reads the next request, records it and returns how to respond, or `None` when the
/// connection is finished.
fn next_action(
    http: &mut HttpConnection<TlsStream>,
    store: &Store,
    connection: u64,
) -> Option<Action> {
    match http.read_request() {
        Ok(Some((request, close))) => {
            let mut action = respond(store, request);
            if let Some(reply) = action.reply_mut() {
                reply.close |= close;
            }
            Some(action)
        }
        Ok(None) => None,
        Err(ReadError::Reject(rejection)) => {
            let Rejection { reply, request } = *rejection;
            if let Some(request) = request {
                store.record(request);
            }
            log::debug!(
                "fake Seam connection {connection}: rejected with {}",
                reply.status
            );
            Some(Action::Send(reply))
        }
        Err(ReadError::Io(error)) => {
            if !http::is_closed(&error) {
                log::debug!("fake Seam connection {connection}: read failed: {error}");
            }
            None
        }
    }
}

/// Decides how to respond to a request and records it, so the record is in the log before
/// anything is sent. The rate limit comes first, then any queued fault, then the route.
fn respond(store: &Store, request: RecordedRequest) -> Action {
    let mut action = if let Err(seconds) = store.take_token(Instant::now()) {
        Action::Send(fault::rate_limited(&seconds.to_string()))
    } else if let Some(fault) = store.pop_fault() {
        fault.action(|| routes::handle(store, &request))
    } else {
        Action::Send(routes::handle(store, &request))
    };
    if let Some(reply) = action.reply_mut() {
        reply.head_only = request.method == "HEAD";
    }
    log::debug!(
        "fake Seam {} {} -> {}",
        request.method,
        request.route(),
        action.summary()
    );
    store.record(request);
    action
}
