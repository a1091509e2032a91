//! Diagnostics of a client's set-up: the roots it trusts, the proxy it uses, and a TLS
//! handshake with the endpoint that reports what was negotiated.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{CipherSuite, ClientConfig, ClientConnection, RootCertStore};
use ureq::tls::Certificate;

use crate::error::Error;
use crate::http;

/// The certificate authorities a client trusts, from [`Client::trusted_roots`].
///
/// [`Client::trusted_roots`]: crate::Client::trusted_roots
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TrustedRoots {
    /// The Mozilla roots of the `webpki-roots` crate compiled into the binary.
    WebPki {
        /// How many roots are compiled in.
        count: usize,
    },
    /// The certificates of a PEM file, from [`ClientBuilder::root_certs_pem_file`].
    ///
    /// [`ClientBuilder::root_certs_pem_file`]: crate::ClientBuilder::root_certs_pem_file
    PemFile {
        /// The file as given.
        path: PathBuf,
        /// How many certificates the file contained when the client was built.
        count: usize,
    },
    /// Certificates given as PEM data, from [`ClientBuilder::root_certs_pem`].
    ///
    /// [`ClientBuilder::root_certs_pem`]: crate::ClientBuilder::root_certs_pem
    Pem {
        /// How many certificates the data contained.
        count: usize,
    },
}

/// Whether a client's requests go through a proxy, and why, from [`Client::proxy_route`].
///
/// [`Client::proxy_route`]: crate::Client::proxy_route
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProxyRoute {
    /// No proxy is set, or it was turned off with `proxy(None)`.
    Direct,
    /// A proxy is set, but the endpoint's host is on the no-proxy list, so connections go
    /// directly.
    Bypassed {
        /// The proxy URL, password hidden.
        proxy: String,
        /// The variable or option that set the proxy, such as `https_proxy`.
        origin: String,
        /// The variable that contains the no-proxy list, `no_proxy` or `NO_PROXY`.
        no_proxy_origin: String,
    },
    /// Connections go through an HTTP CONNECT proxy.
    Proxy {
        /// The proxy URL, password hidden.
        url: String,
        /// The variable or option that set the proxy, such as `https_proxy`.
        origin: String,
        /// The proxy's host, without brackets for an IPv6 address.
        host: String,
        /// The proxy's port.
        port: u16,
    },
}

/// The protocol version and cipher suite a TLS handshake negotiated, from [`Client::probe_tls`].
///
/// [`Client::probe_tls`]: crate::Client::probe_tls
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TlsSummary {
    /// The protocol version, such as `TLSv1.3`.
    pub protocol: String,
    /// The cipher suite, such as `TLS13_AES_256_GCM_SHA384`.
    pub cipher_suite: String,
}

/// Largest response head read from a proxy's response to CONNECT.
const MAX_PROXY_HEAD: usize = 8 * 1024;

/// Settings of one TLS probe, borrowed from the client.
pub(crate) struct Probe<'a> {
    pub(crate) host: &'a str,
    /// `host:port` of the endpoint, for CONNECT and for error messages.
    pub(crate) target: &'a str,
    pub(crate) roots: Option<&'a Arc<Vec<Certificate<'static>>>>,
    pub(crate) proxy: Option<(&'a ureq::Proxy, &'a str)>,
    pub(crate) timeout: Duration,
    pub(crate) now: SystemTime,
}

/// Connects to `addr`, requests a tunnel from the proxy when one is set, and completes a TLS
/// handshake with the roots the client trusts.
pub(crate) fn probe_tls(probe: &Probe<'_>, addr: SocketAddr) -> Result<TlsSummary, Error> {
    let shown_proxy = probe.proxy.map(|(_, shown)| shown);
    let failed =
        |error: ureq::Error| http::transport_error_at(error, probe.target, shown_proxy, probe.now);

    if let Some((proxy, shown)) = probe.proxy
        && proxy.protocol() != ureq::ProxyProtocol::Http
    {
        return Err(Error::config(format!(
            "the TLS probe supports only http:// proxies, not {shown}"
        )));
    }
    let mut tcp = TcpStream::connect_timeout(&addr, probe.timeout).map_err(|e| failed(e.into()))?;
    tcp.set_read_timeout(Some(probe.timeout))
        .and_then(|()| tcp.set_write_timeout(Some(probe.timeout)))
        .map_err(|e| failed(e.into()))?;

    if let Some((proxy, _)) = probe.proxy {
        open_tunnel(&mut tcp, proxy, probe.target).map_err(failed)?;
    }
    let name = ServerName::try_from(probe.host.to_owned())
        .map_err(|_| Error::config(format!("{} is not a valid TLS server name", probe.host)))?;
    let mut tls = client_config(probe.roots)
        .and_then(|config| ClientConnection::new(config, name))
        .map_err(|error| failed(ureq::Error::Rustls(error)))?;
    handshake(&mut tls, &mut tcp).map_err(failed)?;

    let protocol = match tls.protocol_version() {
        Some(rustls::ProtocolVersion::TLSv1_3) => "TLSv1.3",
        Some(rustls::ProtocolVersion::TLSv1_2) => "TLSv1.2",
        _ => "unknown",
    };
    let suite = tls.negotiated_cipher_suite().map(|suite| suite.suite());
    Ok(TlsSummary {
        protocol: protocol.to_owned(),
        cipher_suite: suite_name(suite).to_owned(),
    })
}

/// Drives the handshake to its end. It uses the `dyn Read`/`dyn Write` methods of rustls
/// rather than the generic `complete_io`, whose copy for `TcpStream` would cost about 7 KB
/// of flash next to ureq's own.
fn handshake(tls: &mut ClientConnection, tcp: &mut TcpStream) -> Result<(), ureq::Error> {
    loop {
        while tls.wants_write() {
            tls.write_tls(tcp)?;
        }
        if !tls.is_handshaking() {
            return Ok(());
        }
        if tls.read_tls(tcp)? == 0 {
            let closed = "the server closed the connection during the handshake";
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, closed).into());
        }
        if let Err(error) = tls.process_new_packets() {
            // Send the alert that reports the failure to the server, as complete_io does.
            let _ = tls.write_tls(tcp);
            return Err(ureq::Error::Rustls(error));
        }
    }
}

/// Names the cipher suites of rustls's ring provider. `CipherSuite::as_str` would name
/// every registered suite, but its table of several hundred names costs flash.
fn suite_name(suite: Option<CipherSuite>) -> &'static str {
    match suite {
        Some(CipherSuite::TLS13_AES_256_GCM_SHA384) => "TLS13_AES_256_GCM_SHA384",
        Some(CipherSuite::TLS13_AES_128_GCM_SHA256) => "TLS13_AES_128_GCM_SHA256",
        Some(CipherSuite::TLS13_CHACHA20_POLY1305_SHA256) => "TLS13_CHACHA20_POLY1305_SHA256",
        Some(CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384) => {
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"
        }
        Some(CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256) => {
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"
        }
        Some(CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256) => {
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"
        }
        Some(CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) => {
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"
        }
        Some(CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256) => {
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
        }
        Some(CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256) => {
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"
        }
        _ => "unknown",
    }
}

/// Builds the rustls configuration that ureq 3.5 builds for the agent: the ring provider,
/// TLS 1.2 and 1.3, and the same roots.
fn client_config(
    roots: Option<&Arc<Vec<Certificate<'static>>>>,
) -> Result<Arc<ClientConfig>, rustls::Error> {
    let store = match roots {
        Some(certs) => {
            let mut store = RootCertStore::empty();
            store.add_parsable_certificates(
                certs.iter().map(|cert| CertificateDer::from(cert.der())),
            );
            store
        }
        None => RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        },
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(rustls::ALL_VERSIONS)?
        .with_root_certificates(store)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Asks an HTTP proxy for a tunnel to `target` with CONNECT, sending the same request
/// head as ureq 3.5 (user agent left out), and reads the response.
fn open_tunnel(tcp: &mut TcpStream, proxy: &ureq::Proxy, target: &str) -> Result<(), ureq::Error> {
    let mut head = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n");
    if proxy.username().is_some() || proxy.password().is_some() {
        let user = proxy.username().unwrap_or_default();
        let password = proxy.password().unwrap_or_default();
        let credentials = base64(format!("{user}:{password}").as_bytes());
        head.push_str(&format!("Proxy-Authorization: Basic {credentials}\r\n"));
    }
    head.push_str("\r\n");
    tcp.write_all(head.as_bytes())?;

    // The response is read one byte at a time, so no byte of the TLS handshake is consumed.
    let mut answer = Vec::new();
    let mut byte = [0_u8; 1];
    while !answer.ends_with(b"\r\n\r\n") {
        if answer.len() > MAX_PROXY_HEAD || tcp.read(&mut byte)? == 0 {
            return Err(ureq::Error::ConnectProxyFailed(
                "proxy server did not respond".to_owned(),
            ));
        }
        answer.push(byte[0]);
    }
    let status_line = String::from_utf8_lossy(&answer);
    let status = status_line.split(' ').nth(1).unwrap_or_default();
    if status == "200" {
        return Ok(());
    }
    Err(ureq::Error::ConnectProxyFailed(format!(
        "proxy server responded {status}"
    )))
}

/// Encodes bytes as standard base64 with padding, for the `Basic` scheme of RFC 7617.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut text = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let group = chunk.iter().enumerate().fold(0_u32, |group, (i, byte)| {
            group | u32::from(*byte) << (16 - 8 * i)
        });
        for i in 0..4 {
            if i <= chunk.len() {
                let index = (group >> (18 - 6 * i)) & 63;
                text.push(char::from(ALPHABET[index as usize]));
            } else {
                text.push('=');
            }
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::base64;

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        let vectors = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (input, expected) in vectors {
            assert_eq!(base64(input.as_bytes()), expected, "{input:?}");
        }
    }
}
