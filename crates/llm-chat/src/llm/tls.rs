//! TLS for https upstreams that works in a scratch container: Mozilla's roots
//! compiled in, plus the certificates in `SSL_CERT_FILE` when set (a company CA).

use rustls::RootCertStore;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use std::sync::Arc;

pub fn client_config() -> Result<rustls::ClientConfig, String> {
    let mut roots = RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = std::env::var_os("SSL_CERT_FILE") {
        let certs = CertificateDer::pem_file_iter(&path)
            .map_err(|err| format!("SSL_CERT_FILE={}: {err}", path.to_string_lossy()))?;
        for cert in certs {
            let cert = cert.map_err(|err| format!("SSL_CERT_FILE={}: {err}", path.to_string_lossy()))?;
            roots
                .add(cert)
                .map_err(|err| format!("SSL_CERT_FILE={}: {err}", path.to_string_lossy()))?;
        }
    }
    rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map(|builder| builder.with_root_certificates(roots).with_no_client_auth())
        .map_err(|err| err.to_string())
}

/// An HTTP client builder with this TLS setup. Every client of the process
/// starts here: reqwest's own default needs a system CA store, which a
/// scratch container does not have.
pub fn http_client_builder() -> Result<reqwest::ClientBuilder, String> {
    Ok(reqwest::Client::builder().tls_backend_preconfigured(client_config()?))
}
