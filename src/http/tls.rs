//! The server certificate: the operator's, or a self-signed one made on first start.
//!
//! [`Tls::load_or_generate`] reads `cert.pem` (the chain, end-entity first) and `key.pem`
//! from the certificates directory. When neither file exists it generates a self-signed
//! certificate for this machine's names, writes both (the key readable by its owner only)
//! and says so in the log; when only one exists it refuses to guess. The result is a rustls
//! configuration limited to TLS 1.2 and 1.3 with the ring provider, offering `http/1.1`.

use std::error::Error;
use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{CertificateParams, DnType, ExtendedKeyUsagePurpose, KeyPair, KeyUsagePurpose};
use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, DnsName, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;
use tracing::{info, warn};

/// File name of the certificate chain inside the certificates directory.
pub const CERTIFICATE_FILE: &str = "cert.pem";
/// File name of the private key inside the certificates directory.
pub const KEY_FILE: &str = "key.pem";

/// Why the server certificate could not be loaded or made.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// One of the two files exists without the other.
    #[error(
        "{} exists but {} does not: provide both, or remove the first to have a self-signed \
         pair generated",
        present.display(),
        missing.display()
    )]
    Incomplete { present: PathBuf, missing: PathBuf },
    #[error("cannot read {}", path.display())]
    Read { path: PathBuf, source: io::Error },
    #[error("cannot write {}", path.display())]
    Write { path: PathBuf, source: io::Error },
    /// A file is not the PEM it should be.
    #[error("{}: {reason}", path.display())]
    Pem { path: PathBuf, reason: String },
    #[error("cannot generate a self-signed certificate")]
    Generate {
        source: Box<dyn Error + Send + Sync>,
    },
    /// rustls refused the pair (a key that does not match the certificate, say).
    #[error("the certificate and key in {} cannot be used", directory.display())]
    Unusable {
        directory: PathBuf,
        source: Box<dyn Error + Send + Sync>,
    },
}

/// A server TLS configuration and the certificate it presents. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Tls {
    config: Arc<ServerConfig>,
    /// The contents of `cert.pem`, for clients that must trust a self-signed server.
    certificate_pem: Arc<str>,
}

impl Tls {
    /// Loads `cert.pem` and `key.pem` from `directory`, generating a self-signed pair there
    /// first (creating the directory) when neither exists.
    pub fn load_or_generate(directory: &Path) -> Result<Tls, TlsError> {
        let certificate_path = directory.join(CERTIFICATE_FILE);
        let key_path = directory.join(KEY_FILE);
        match (certificate_path.exists(), key_path.exists()) {
            (false, false) => generate(directory, &certificate_path, &key_path)?,
            (true, false) => {
                return Err(TlsError::Incomplete {
                    present: certificate_path,
                    missing: key_path,
                });
            }
            (false, true) => {
                return Err(TlsError::Incomplete {
                    present: key_path,
                    missing: certificate_path,
                });
            }
            (true, true) => warn_if_key_is_exposed(&key_path),
        }
        let certificate_pem = read(&certificate_path)?;
        let chain = CertificateDer::pem_slice_iter(certificate_pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|error| TlsError::Pem {
                path: certificate_path.clone(),
                reason: error.to_string(),
            })?;
        if chain.is_empty() {
            return Err(TlsError::Pem {
                path: certificate_path,
                reason: "no CERTIFICATE block".to_owned(),
            });
        }
        let key = PrivateKeyDer::from_pem_slice(read(&key_path)?.as_bytes()).map_err(|error| {
            TlsError::Pem {
                path: key_path,
                reason: error.to_string(),
            }
        })?;
        let config = server_config(chain, key).map_err(|source| TlsError::Unusable {
            directory: directory.to_owned(),
            source: source.into(),
        })?;
        Ok(Tls {
            config: Arc::new(config),
            certificate_pem: certificate_pem.into(),
        })
    }

    /// The presented certificate chain as PEM: what a client adds to its trust store to talk
    /// to a server with a self-signed certificate.
    pub fn certificate_pem(&self) -> &str {
        &self.certificate_pem
    }

    pub(super) fn acceptor(&self) -> TlsAcceptor {
        TlsAcceptor::from(Arc::clone(&self.config))
    }
}

fn server_config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<ServerConfig, rustls::Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

fn read(path: &Path) -> Result<String, TlsError> {
    fs::read_to_string(path).map_err(|source| TlsError::Read {
        path: path.to_owned(),
        source,
    })
}

/// Makes a self-signed certificate for `localhost`, the loopback addresses and this
/// machine's host name, and writes it with its key into `directory`.
///
/// The validity is rcgen's default, 1975 to 4096, on purpose: phones often fetch their
/// configuration before NTP has set their clock, and a certificate "not yet valid" on a
/// phone that believes it is 1970 or its firmware's build date would lock it out.
fn generate(directory: &Path, certificate_path: &Path, key_path: &Path) -> Result<(), TlsError> {
    let mut names = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ];
    names.extend(machine_hostname());
    let generation_failed = |source: rcgen::Error| TlsError::Generate {
        source: source.into(),
    };
    let mut params = CertificateParams::new(names.clone()).map_err(generation_failed)?;
    params
        .distinguished_name
        .push(DnType::CommonName, "sipprov self-signed");
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let key = KeyPair::generate().map_err(generation_failed)?;
    let certificate = params.self_signed(&key).map_err(generation_failed)?;

    fs::create_dir_all(directory).map_err(|source| TlsError::Write {
        path: directory.to_owned(),
        source,
    })?;
    write_new(key_path, &key.serialize_pem(), 0o600)?;
    if let Err(error) = write_new(certificate_path, &certificate.pem(), 0o644) {
        // Leave neither file rather than one, which would block the next start.
        let _ = fs::remove_file(key_path);
        return Err(error);
    }
    info!(
        certificate = %certificate_path.display(),
        ?names,
        "generated a self-signed certificate; clients must be told to trust it"
    );
    Ok(())
}

/// This machine's host name, when it is one a certificate can name.
fn machine_hostname() -> Option<String> {
    let hostname = fs::read_to_string("/proc/sys/kernel/hostname").ok()?;
    let hostname = hostname.trim().to_ascii_lowercase();
    let usable = DnsName::try_from(hostname.as_str()).is_ok() && hostname != "localhost";
    usable.then_some(hostname)
}

/// Writes a file that must not exist yet, created with `mode` (so a key is never readable
/// by others, not even for a moment).
fn write_new(path: &Path, contents: &str, mode: u32) -> Result<(), TlsError> {
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .and_then(|mut file| file.write_all(contents.as_bytes()))
        .map_err(|source| TlsError::Write {
            path: path.to_owned(),
            source,
        })
}

fn warn_if_key_is_exposed(key_path: &Path) {
    if let Ok(metadata) = fs::metadata(key_path)
        && metadata.permissions().mode() & 0o077 != 0
    {
        warn!(key = %key_path.display(), "private key is readable by other users; chmod 600 it");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_pair_is_generated_with_a_private_key_then_reused() {
        let directory = tempfile::tempdir().unwrap();
        let certs = directory.path().join("certs");

        let first = Tls::load_or_generate(&certs).unwrap();
        let key_mode = fs::metadata(certs.join(KEY_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(key_mode & 0o777, 0o600);
        assert_eq!(
            fs::read_to_string(certs.join(CERTIFICATE_FILE)).unwrap(),
            first.certificate_pem()
        );
        assert!(
            first
                .certificate_pem()
                .starts_with("-----BEGIN CERTIFICATE-----")
        );

        let key_before = fs::read(certs.join(KEY_FILE)).unwrap();
        let second = Tls::load_or_generate(&certs).unwrap();
        assert_eq!(second.certificate_pem(), first.certificate_pem());
        assert_eq!(fs::read(certs.join(KEY_FILE)).unwrap(), key_before);
    }

    #[test]
    fn one_file_without_the_other_is_refused() {
        let directory = tempfile::tempdir().unwrap();
        Tls::load_or_generate(directory.path()).unwrap();

        fs::remove_file(directory.path().join(KEY_FILE)).unwrap();
        let error = Tls::load_or_generate(directory.path()).unwrap_err();
        assert!(
            matches!(&error, TlsError::Incomplete { missing, .. } if missing.ends_with(KEY_FILE))
        );
        assert!(error.to_string().contains("key.pem does not"), "{error}");

        fs::rename(
            directory.path().join(CERTIFICATE_FILE),
            directory.path().join(KEY_FILE),
        )
        .unwrap();
        let error = Tls::load_or_generate(directory.path()).unwrap_err();
        assert!(
            matches!(error, TlsError::Incomplete { missing, .. } if missing.ends_with(CERTIFICATE_FILE))
        );
    }

    #[test]
    fn a_key_that_does_not_match_the_certificate_is_refused() {
        let first = tempfile::tempdir().unwrap();
        let second = tempfile::tempdir().unwrap();
        Tls::load_or_generate(first.path()).unwrap();
        Tls::load_or_generate(second.path()).unwrap();
        fs::copy(second.path().join(KEY_FILE), first.path().join(KEY_FILE)).unwrap();

        let error = Tls::load_or_generate(first.path()).unwrap_err();
        assert!(matches!(error, TlsError::Unusable { .. }), "{error:?}");
    }

    #[test]
    fn a_file_that_is_not_pem_is_refused() {
        let directory = tempfile::tempdir().unwrap();
        Tls::load_or_generate(directory.path()).unwrap();
        fs::write(directory.path().join(CERTIFICATE_FILE), "not a certificate").unwrap();

        let error = Tls::load_or_generate(directory.path()).unwrap_err();
        assert!(matches!(error, TlsError::Pem { .. }), "{error:?}");
    }
}
