//! Descriptions of a client's set-up for diagnostics: the roots it trusts and the proxy
//! it uses.

use std::path::PathBuf;

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
