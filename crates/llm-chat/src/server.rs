//! Running the server: open storage, bind the port, serve until SIGTERM or
//! Ctrl-C, then finish in-flight requests and close the database cleanly.

use crate::auth::{AuthService, resolve_secret_key};
use crate::chat::ChatService;
use crate::cli::CliError;
use crate::compat::CompatService;
use crate::config::Config;
use crate::generation::GenerationManager;
use crate::http::metrics::{MetricsAccess, separate_app};
use crate::http::{AppState, build_app};
use crate::llm::{ClientTimeouts, ProviderRegistry, UpstreamClient, load_providers};
use crate::store::Store;
use crate::transfer::{ImportSettings, TransferService};
use crate::usage::UsageService;
use axum::serve::ListenerExt;
use std::future::IntoFuture;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// How often sessions that expired long ago are deleted.
const SESSION_SWEEP_EVERY: Duration = Duration::from_secs(3600);
/// Expired sessions are kept this long, so a late request is told "expired", not "unknown".
const SESSION_GRACE_MS: i64 = 24 * 3600 * 1000;
/// How often providers without a fixed model list are asked for their models.
const DISCOVER_EVERY: Duration = Duration::from_secs(300);
/// On shutdown, replies being written get this long to finish before they are
/// saved as interrupted (Docker waits 10 s before killing).
const FINISH_REPLIES_FOR: Duration = Duration::from_secs(5);
/// After this, connections still open are dropped and the process exits.
const SHUTDOWN_LIMIT: Duration = Duration::from_secs(8);

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
        crate::store::DatabaseLocation::Sqlite { path } => Some(crate::ops::lock::DatabaseLock::for_server(path)?),
        crate::store::DatabaseLocation::Postgres { .. } => None,
    };
    let schema = store.migrate().await?;
    tracing::info!(schema, engine = store.engine().name(), "database ready");
    let secret = resolve_secret_key(config.secret_key.as_ref(), &config.data_dir)?;

    let llm = &config.llm;
    let providers = load_providers(
        llm.api_url.as_deref(),
        llm.model.as_deref(),
        llm.api_key.as_ref(),
        llm.reasoning,
        llm.providers_file.as_deref(),
    )
    .map_err(CliError::Providers)?;
    let client = UpstreamClient::new(ClientTimeouts {
        connect: llm.connect_timeout,
        first_token: llm.first_token_timeout,
        idle: llm.idle_timeout,
        max_retries: llm.max_retries,
    })
    .map_err(CliError::Unhealthy)?;
    let registry = Arc::new(ProviderRegistry::new(providers));
    if registry.has_providers() {
        for provider in registry.providers() {
            tracing::info!(provider = %provider.name, base_url = %provider.base_url, "model server configured");
        }
    } else {
        tracing::warn!(
            "no model server configured (LLM_API_URL or LLM_PROVIDERS_FILE): offering the built-in demo model"
        );
    }
    let generations = GenerationManager::new(store.clone(), client.clone(), &config.chat);
    match generations.recover_interrupted(config.chat.generation_stale).await? {
        0 => {}
        n => tracing::warn!(
            replies = n,
            "replies left unfinished by the last run were marked interrupted"
        ),
    }
    let usage = Arc::new(UsageService::new(store.clone()));
    let chat = Arc::new(ChatService::new(
        store.clone(),
        client.clone(),
        registry.clone(),
        generations.clone(),
        usage.clone(),
        config.chat.clone(),
    ));
    let compat = Arc::new(CompatService::new(
        store.clone(),
        client.clone(),
        registry.clone(),
        usage.clone(),
    ));
    let transfer = Arc::new(TransferService::new(
        store.clone(),
        ImportSettings {
            spool_dir: config.data_dir.join("imports"),
            max_bytes: config.import_max_bytes,
        },
    ));
    transfer.remove_leftovers().await;
    let state = AppState {
        store: store.clone(),
        auth: AuthService::new(store.clone(), &config, &secret),
        chat,
        compat,
        usage,
        transfer: transfer.clone(),
        metrics: MetricsAccess::main(&config.metrics),
    };
    let app = build_app(state, config.max_body_bytes);
    let listener = bind(&config.host, config.port).await?;
    let addr = listener.local_addr().map_err(CliError::Io)?;
    tracing::info!("listening on http://{addr} (API docs at /docs)");

    if let Some(addr) = config.metrics.addr {
        let metrics_listener = TcpListener::bind(addr).await.map_err(|source| CliError::Bind {
            host: addr.ip().to_string(),
            port: addr.port(),
            source,
        })?;
        let bound = metrics_listener.local_addr().map_err(CliError::Io)?;
        tracing::info!("metrics on http://{bound}/metrics (METRICS_ADDR)");
        let app = separate_app(store.clone(), config.metrics.token.clone());
        tokio::spawn(async move {
            if let Err(err) = axum::serve(metrics_listener, app).await {
                tracing::error!(error = %err, "the metrics listener stopped");
            }
        });
    }
    let background = [
        tokio::spawn(sweep_sessions(store.clone())),
        tokio::spawn(discover_models(registry, client)),
        generations.spawn_persister(config.chat.generation_stale),
        tokio::spawn(crate::ops::backup::keep_schedule(store.clone(), config.clone())),
    ];
    let shutdown = CancellationToken::new();
    tokio::spawn({
        let shutdown = shutdown.clone();
        async move {
            shutdown_signal().await;
            shutdown.cancel();
        }
    });
    tokio::spawn({
        let shutdown = shutdown.clone();
        let generations = generations.clone();
        async move {
            shutdown.cancelled().await;
            generations.drain(FINISH_REPLIES_FOR).await;
            generations.interrupt_all();
        }
    });
    // Stream events are small writes; without TCP_NODELAY, Nagle's algorithm
    // holds each one back until the previous is acknowledged (up to 40 ms).
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let server = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown.clone().cancelled_owned())
        .into_future();
    let limit = async {
        shutdown.cancelled().await;
        tokio::time::sleep(SHUTDOWN_LIMIT).await;
    };
    let served = tokio::select! {
        served = server => served,
        () = limit => {
            tracing::warn!("connections were still open {} s after the stop signal; closing them", SHUTDOWN_LIMIT.as_secs());
            Ok(())
        }
    };
    // With no client connected the server ends at once; replies still get
    // their grace, then are saved as interrupted.
    generations.drain(FINISH_REPLIES_FOR).await;
    generations.interrupt_all();
    generations.drain(Duration::from_secs(2)).await;
    for task in background {
        task.abort();
    }
    store.close().await;
    tracing::info!("stopped");
    served.map_err(CliError::Io)
}

async fn discover_models(registry: Arc<ProviderRegistry>, client: UpstreamClient) {
    let mut tick = tokio::time::interval(DISCOVER_EVERY);
    loop {
        tick.tick().await;
        registry.discover(&client).await;
    }
}

/// Binds the port, turning "address in use" into advice.
pub async fn bind(host: &str, port: u16) -> Result<TcpListener, CliError> {
    TcpListener::bind((host, port)).await.map_err(|source| CliError::Bind {
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
