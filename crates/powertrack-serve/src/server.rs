//! The listener: plain HTTP/1.1 or TLS (rustls), a header read timeout, and a graceful
//! shutdown on SIGTERM or SIGINT that ends every stream with the operational-disconnect notice
//! and the chunked terminator.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::app::App;
use crate::hub::CloseReason;

/// How the listener behaves.
#[derive(Clone, Debug)]
pub struct ListenConfig {
    /// Time a client has to send its request headers.
    pub header_timeout: Duration,
    /// TLS, when configured.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// How long a shutdown waits for connections to finish.
    pub drain: Duration,
}

/// Loads a PEM certificate chain and private key into a rustls server configuration.
pub fn tls_config(
    cert: &std::path::Path,
    key: &std::path::Path,
) -> anyhow::Result<Arc<rustls::ServerConfig>> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| anyhow::anyhow!("{}: {e}", cert.display()))?
        .collect::<Result<_, _>>()
        .map_err(|e| anyhow::anyhow!("{}: {e}", cert.display()))?;
    let key =
        PrivateKeyDer::from_pem_file(key).map_err(|e| anyhow::anyhow!("{}: {e}", key.display()))?;
    // ring rather than aws-lc-rs: it builds with a C compiler alone (no cmake, no nasm).
    #[allow(deprecated)]
    let provider = rustls::crypto::ring::default_provider();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(provider))
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    Ok(Arc::new(config))
}

/// Serves `listener` until `stop` is cancelled, then shuts down gracefully.
pub async fn serve(
    app: Arc<App>,
    listener: TcpListener,
    config: ListenConfig,
    stop: CancellationToken,
) {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let acceptor = config.tls.clone().map(tokio_rustls::TlsAcceptor::from);
    loop {
        let (tcp, peer) = tokio::select! {
            () = stop.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = tcp.set_nodelay(true);
        let app = app.clone();
        let header_timeout = config.header_timeout;
        let watcher = graceful.watcher();
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let cut = CancellationToken::new();
            let service = {
                let cut = cut.clone();
                service_fn(move |req| {
                    let app = app.clone();
                    let cut = cut.clone();
                    async move {
                        let resp = app.handle(req, peer).await;
                        if let Some(token) = resp.extensions().get::<CancellationToken>() {
                            // A stream: dropping the connection cuts it.
                            let token = token.clone();
                            let cut = cut.clone();
                            tokio::spawn(async move {
                                token.cancelled().await;
                                cut.cancel();
                            });
                        }
                        Ok::<_, Infallible>(resp)
                    }
                })
            };
            let mut builder = http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .keep_alive(true);
            if let Some(acceptor) = acceptor {
                let Ok(Ok(tls)) = tokio::time::timeout(header_timeout, acceptor.accept(tcp)).await
                else {
                    return;
                };
                let conn = watcher.watch(builder.serve_connection(TokioIo::new(tls), service));
                tokio::select! {
                    _ = conn => {}
                    () = cut.cancelled() => {}
                }
            } else {
                let conn = watcher.watch(builder.serve_connection(TokioIo::new(tcp), service));
                tokio::select! {
                    _ = conn => {}
                    () = cut.cancelled() => {}
                }
            }
        });
    }
    drop(listener);
    app.shutting_down.store(true, Ordering::Release);
    app.hub.close_all(CloseReason::Shutdown);
    if tokio::time::timeout(config.drain, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open after the drain period; closing them");
    }
}
