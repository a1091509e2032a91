//! The fake's certificates, made fresh at every start, and its rustls server configuration.

use std::io;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// Common name of the certificate authority that signs the server certificate.
pub(crate) const CA_NAME: &str = "seam-edge fake CA";

/// Validity of the CA certificate: one day back, to tolerate a client clock that is
/// slightly behind, and ten years ahead.
const CA_BACK: Duration = Duration::from_secs(24 * 3600);
const CA_AHEAD: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

/// Validity of the server certificate unless the builder sets it: one day back and one
/// year ahead.
pub(crate) const LEAF_BACK: Duration = Duration::from_secs(24 * 3600);
pub(crate) const LEAF_AHEAD: Duration = Duration::from_secs(365 * 24 * 3600);

/// Settings for the server certificate and the TLS versions offered.
#[derive(Clone, Debug)]
pub(crate) struct TlsOptions {
    pub(crate) leaf_names: Vec<String>,
    pub(crate) not_before: SystemTime,
    pub(crate) not_after: SystemTime,
    pub(crate) tls12_only: bool,
}

/// The generated CA and the server configuration that presents a leaf signed by it.
pub(crate) struct TlsSetup {
    pub(crate) ca_pem: String,
    pub(crate) config: Arc<ServerConfig>,
}

/// Generates the CA and the server certificate and builds the rustls configuration.
///
/// # Errors
///
/// `InvalidInput` when a host name is not a valid DNS name or IP address, or a validity
/// bound lies outside the years 1 to 9999. `Other` when key generation or TLS setup fails.
pub(crate) fn setup(options: &TlsOptions) -> io::Result<TlsSetup> {
    let now = SystemTime::now();
    let ca_key = KeyPair::generate().map_err(other)?;
    let ca_params = ca_params(now - CA_BACK, now + CA_AHEAD)?;
    let ca_cert = ca_params.self_signed(&ca_key).map_err(other)?;
    let issuer = Issuer::new(ca_params, ca_key);

    let leaf_key = KeyPair::generate().map_err(other)?;
    let leaf_params = leaf_params(options)?;
    let leaf_cert = leaf_params.signed_by(&leaf_key, &issuer).map_err(other)?;

    let key_der = PrivatePkcs8KeyDer::from(leaf_key.serialize_der());
    let chain = vec![CertificateDer::from(leaf_cert.der().to_vec())];
    let config = server_config(chain, key_der.into(), options.tls12_only)?;
    Ok(TlsSetup {
        ca_pem: ca_cert.pem(),
        config,
    })
}

fn ca_params(not_before: SystemTime, not_after: SystemTime) -> io::Result<CertificateParams> {
    let mut params = CertificateParams::default();
    params.distinguished_name = distinguished_name(CA_NAME);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    set_validity(&mut params, not_before, not_after)?;
    Ok(params)
}

fn leaf_params(options: &TlsOptions) -> io::Result<CertificateParams> {
    let mut params = CertificateParams::new(options.leaf_names.clone()).map_err(invalid_input)?;
    params.distinguished_name = distinguished_name("seam-edge fake server");
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    set_validity(&mut params, options.not_before, options.not_after)?;
    Ok(params)
}

fn distinguished_name(common_name: &str) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, common_name);
    name
}

/// Sets the validity window of a certificate.
///
/// The conversion goes through rcgen's epoch value so that the `time` crate, whose date type
/// rcgen uses, need not be named here. The bound check keeps the addition from overflowing,
/// which would panic.
fn set_validity(
    params: &mut CertificateParams,
    not_before: SystemTime,
    not_after: SystemTime,
) -> io::Result<()> {
    // 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z in seconds from the Unix epoch.
    const EARLIEST: u64 = 62_135_596_800;
    const LATEST: u64 = 253_402_300_799;

    let epoch = rcgen::date_time_ymd(1970, 1, 1);
    let convert = |instant: SystemTime| match instant.duration_since(UNIX_EPOCH) {
        Ok(after) if after.as_secs() <= LATEST => Some(epoch + after),
        Err(before) if before.duration().as_secs() <= EARLIEST => Some(epoch - before.duration()),
        _ => None,
    };
    let (Some(start), Some(end)) = (convert(not_before), convert(not_after)) else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "certificate validity bound outside the years 1 to 9999",
        ));
    };
    params.not_before = start;
    params.not_after = end;
    Ok(())
}

/// Builds the rustls configuration with the ring provider, leaving the process-wide
/// default provider alone.
fn server_config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    tls12_only: bool,
) -> io::Result<Arc<ServerConfig>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let versions: &[&rustls::SupportedProtocolVersion] = if tls12_only {
        &[&rustls::version::TLS12]
    } else {
        &[&rustls::version::TLS13, &rustls::version::TLS12]
    };
    let config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .map_err(other)?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(other)?;
    Ok(Arc::new(config))
}

fn other(error: impl std::error::Error + Send + Sync + 'static) -> io::Error {
    io::Error::other(error)
}

fn invalid_input(error: rcgen::Error) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("invalid certificate host name: {error}"),
    )
}
