//! Running the server: open storage, bind the port, serve until SIGTERM or
//! Ctrl-C, then finish in-flight requests and close the database cleanly.

use crate::auth::{AuthService, resolve_secret_key};
use crate::cli::CliError;
use crate::config::Config;
use crate::http::{AppState, build_app};
use crate::store::Store;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;

/// How often sessions that expired long ago are deleted.
const SESSION_SWEEP_EVERY: Duration = Duration::from_secs(3600);
/// Expired sessions are kept this long, so a late request is told "expired", not "unknown".
const SESSION_GRACE_MS: i64 = 24 * 3600 * 1000;

pub async fn serve(config: Config) -> Result<(), CliError> {
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        database = %config.database,
        data_dir = %config.data_dir.display(),
        log_dir = %config.log_dir.display(),
        "starting llm-chat"
    );
    let store = Store::connect(&config.database).await?;
    // Held while serving, so that `llm-chat restore` never swaps files under this server.
    let _lock = match &config.database {
        crate::store::DatabaseLocation::Sqlite { path } => {
            Some(crate::ops::lock::DatabaseLock::for_server(path)?)
        }
        crate::store::DatabaseLocation::Postgres { .. } => None,
    };
    let schema = store.migrate().await?;
    tracing::info!(schema, engine = store.engine().name(), "database ready");
    let secret = resolve_secret_key(config.secret_key.as_ref(), &config.data_dir)?;
    let state = AppState {
        store: store.clone(),
        auth: AuthService::new(store.clone(), &config, &secret),
    };
    let app = build_app(state, config.max_body_bytes);
    let listener = bind(&config.host, config.port).await?;
    let addr = listener.local_addr().map_err(CliError::Io)?;
    tracing::info!("listening on http://{addr} (API docs at /docs)");

    let sweeper = tokio::spawn(sweep_sessions(store.clone()));
    let backups = tokio::spawn(crate::ops::backup::keep_schedule(
        store.clone(),
        config.clone(),
    ));
    let served = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await;
    sweeper.abort();
    backups.abort();
    store.close().await;
    tracing::info!("stopped");
    served.map_err(CliError::Io)
}

/// Binds the port, turning "address in use" into advice.
pub async fn bind(host: &str, port: u16) -> Result<TcpListener, CliError> {
    TcpListener::bind((host, port))
        .await
        .map_err(|source| CliError::Bind {
            host: host.to_owned(),
            port,
            source,
        })
}

async fn sweep_sessions(store: Store) {
    let mut tick = tokio::time::interval(SESSION_SWEEP_EVERY);
    loop {
        tick.tick().await;
        match store.delete_expired_sessions(SESSION_GRACE_MS).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(deleted = n, "forgot expired sessions"),
            Err(err) => tracing::warn!(error = %err, "could not delete expired sessions"),
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM (what `docker stop` sends).
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::warn!(error = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
