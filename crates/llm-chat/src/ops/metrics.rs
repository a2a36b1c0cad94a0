//! Prometheus metrics of this process: HTTP requests by route template and
//! status with their latency, generations running, upstream errors by kind,
//! tokens streamed and database connections. One registry per process, as
//! Prometheus scrapes a process.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::sync::LazyLock;
use std::time::Duration;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SourceLabels {
    source: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    state: &'static str,
}

/// Where a generation was asked for, as a label.
#[derive(Debug, Clone, Copy)]
pub enum Source {
    Chat,
    Api,
}

impl Source {
    fn label(self) -> &'static str {
        match self {
            Source::Chat => "chat",
            Source::Api => "api",
        }
    }
}

type LatencyFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: LatencyFamily,
    active: Family<SourceLabels, Gauge>,
    upstream_errors: Family<KindLabels, Counter>,
    tokens: Family<SourceLabels, Counter>,
    pool: Family<PoolLabels, Gauge>,
}

fn latency_histogram() -> Histogram {
    // 1 ms to about 33 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

/// The process's metrics.
pub fn metrics() -> &'static Metrics {
    &METRICS
}

impl Metrics {
    fn new() -> Metrics {
        let mut registry = Registry::with_prefix("llmchat");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route template and status",
            requests.clone(),
        );
        let latency: LatencyFamily = Family::new_with_constructor(latency_histogram);
        registry.register(
            "http_request_duration_seconds",
            "Time to the response head (for streams: until the stream starts), by route template",
            latency.clone(),
        );
        let active = Family::<SourceLabels, Gauge>::default();
        registry.register(
            "generations_active",
            "Generations being written now, by source (chat or api)",
            active.clone(),
        );
        let upstream_errors = Family::<KindLabels, Counter>::default();
        registry.register(
            "upstream_errors",
            "Generations that failed because of the model server, by kind",
            upstream_errors.clone(),
        );
        let tokens = Family::<SourceLabels, Counter>::default();
        registry.register(
            "tokens_streamed",
            "Text and reasoning chunks received from model servers",
            tokens.clone(),
        );
        let pool = Family::<PoolLabels, Gauge>::default();
        registry.register(
            "db_pool_connections",
            "Database connections, by state (in_use or idle)",
            pool.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            active,
            upstream_errors,
            tokens,
            pool,
        }
    }

    pub fn http_request(&self, method: &str, route: &str, status: u16, took: Duration) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_owned(),
                route: route.to_owned(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                method: method.to_owned(),
                route: route.to_owned(),
            })
            .observe(took.as_secs_f64());
    }

    /// Counts a generation as running until the guard is dropped.
    pub fn generation_started(&self, source: Source) -> ActiveGuard {
        let gauge = self
            .active
            .get_or_create(&SourceLabels { source: source.label() })
            .clone();
        gauge.inc();
        ActiveGuard(gauge)
    }

    pub fn upstream_error(&self, kind: &'static str) {
        self.upstream_errors.get_or_create(&KindLabels { kind }).inc();
    }

    pub fn token_streamed(&self, source: Source) {
        self.tokens
            .get_or_create(&SourceLabels { source: source.label() })
            .inc();
    }

    /// The text exposition, with the pool gauges set to `in_use` and `idle` first.
    pub fn render(&self, in_use: u32, idle: u32) -> String {
        self.pool
            .get_or_create(&PoolLabels { state: "in_use" })
            .set(i64::from(in_use));
        self.pool
            .get_or_create(&PoolLabels { state: "idle" })
            .set(i64::from(idle));
        let mut text = String::new();
        if let Err(err) = prometheus_client::encoding::text::encode(&mut text, &self.registry) {
            tracing::warn!(error = %err, "could not encode the metrics");
        }
        text
    }
}

/// Decrements the active-generations gauge when dropped.
pub struct ActiveGuard(Gauge);

impl Drop for ActiveGuard {
    fn drop(&mut self) {
        self.0.dec();
    }
}
