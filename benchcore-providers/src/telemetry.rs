//! Where a front end's traces go: spans of runs, attempts, requests and evaluations (the
//! engine emits them through `tracing`) printed to stderr at a chosen level, and, with the
//! `otlp` feature, exported to an OpenTelemetry collector over OTLP/HTTP.
//!
//! With nothing installed the engine's spans cost one relaxed atomic load each.

use benchcore::ConfigError;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// How traces are shown or exported.
///
/// ```
/// use benchcore_providers::telemetry::TraceOptions;
/// let options = TraceOptions::verbosity(2);
/// assert_eq!(options.filter(), "benchcore=debug,benchcore_providers=debug,benchcore_cli=debug");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TraceOptions {
    /// Print spans and events to stderr.
    pub stderr: bool,
    /// The `RUST_LOG`-style filter (`benchcore=debug`); it wins over the level.
    pub filter: Option<String>,
    /// `1` info, `2` debug, `3` and more trace; `0` warnings only.
    pub level: u8,
    /// An OTLP/HTTP collector's base address (`http://localhost:4318`): spans go to
    /// `<address>/v1/traces` as JSON. Needs the `otlp` feature.
    pub otlp_endpoint: Option<String>,
    /// The `service.name` of exported spans.
    pub service_name: Option<String>,
}

impl TraceOptions {
    /// Stderr output at `-v` count `level`.
    pub fn verbosity(level: u8) -> Self {
        Self {
            stderr: level > 0,
            level,
            ..Self::default()
        }
    }

    /// Sets the filter (usually `RUST_LOG`).
    pub fn with_filter(mut self, filter: Option<String>) -> Self {
        self.filter = filter.filter(|f| !f.trim().is_empty());
        if self.filter.is_some() {
            self.stderr = true;
        }
        self
    }

    /// Sets the OTLP collector's base address.
    pub fn with_otlp_endpoint(mut self, endpoint: Option<String>) -> Self {
        self.otlp_endpoint = endpoint.filter(|e| !e.trim().is_empty());
        self
    }

    /// The filter in effect.
    pub fn filter(&self) -> String {
        if let Some(filter) = &self.filter {
            return filter.clone();
        }
        let level = match self.level {
            0 => "warn",
            1 => "info",
            2 => "debug",
            _ => "trace",
        };
        ["benchcore", "benchcore_providers", "benchcore_cli"]
            .map(|target| format!("{target}={level}"))
            .join(",")
    }

    /// Whether anything would be shown or exported.
    pub fn is_enabled(&self) -> bool {
        self.stderr || self.otlp_endpoint.is_some()
    }
}

/// Keeps the export running; dropping it sends what is left.
#[derive(Debug, Default)]
#[must_use = "dropping the guard stops the export"]
pub struct TraceGuard {
    #[cfg(feature = "otlp")]
    provider: Option<opentelemetry_sdk::trace::SdkTracerProvider>,
}

impl TraceGuard {
    /// Sends the spans not yet exported. Blocks: call it off the async runtime's threads
    /// (`spawn_blocking`).
    pub fn flush(&self) {
        #[cfg(feature = "otlp")]
        if let Some(provider) = &self.provider {
            let _ = provider.force_flush();
        }
    }
}

impl Drop for TraceGuard {
    fn drop(&mut self) {
        #[cfg(feature = "otlp")]
        if let Some(provider) = self.provider.take() {
            let _ = provider.shutdown();
        }
    }
}

/// Installs the process's trace output. `runtime` is the Tokio runtime the exporter's HTTP
/// requests run on. A second call in the same process leaves the first in place.
///
/// # Errors
/// A filter that does not parse, an OTLP address that is not http(s), or an OTLP export
/// asked of a build without the `otlp` feature.
pub fn install(
    options: &TraceOptions,
    runtime: Option<tokio::runtime::Handle>,
) -> Result<TraceGuard, ConfigError> {
    if !options.is_enabled() {
        return Ok(TraceGuard::default());
    }
    let filter = EnvFilter::try_new(options.filter())
        .map_err(|e| ConfigError::field("trace.filter", format!("{}: {e}", options.filter())))?;
    let mut layers: Vec<BoxedLayer> = Vec::new();
    if options.stderr {
        layers.push(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                // Colours for a terminal only: a log file or a CI log gets plain text.
                .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
                .with_target(false)
                .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
                .with_filter(filter)
                .boxed(),
        );
    }
    let (otlp, guard) = otlp_layer(options, runtime)?;
    layers.extend(otlp);
    let installed = tracing_subscriber::registry().with(layers).try_init();
    // Already installed (a notebook calling it twice): the first stays, as documented.
    let _ = installed;
    Ok(guard)
}

type BoxedLayer = Box<dyn Layer<tracing_subscriber::Registry> + Send + Sync>;

#[cfg(not(feature = "otlp"))]
fn otlp_layer(
    options: &TraceOptions,
    _runtime: Option<tokio::runtime::Handle>,
) -> Result<(Option<BoxedLayer>, TraceGuard), ConfigError> {
    match &options.otlp_endpoint {
        Some(_) => Err(ConfigError::field(
            "trace.otlp_endpoint",
            "this build cannot export OTLP: build benchcore with the `otlp` feature",
        )),
        None => Ok((None, TraceGuard::default())),
    }
}

#[cfg(feature = "otlp")]
fn otlp_layer(
    options: &TraceOptions,
    runtime: Option<tokio::runtime::Handle>,
) -> Result<(Option<BoxedLayer>, TraceGuard), ConfigError> {
    let Some(endpoint) = &options.otlp_endpoint else {
        return Ok((None, TraceGuard::default()));
    };
    let provider = super::otlp::provider(endpoint, options.service_name.as_deref(), runtime)?;
    // Exported spans are at info level: an export asked without `-v` still gets them.
    let filter = match (&options.filter, options.level) {
        (None, 0) => TraceOptions::verbosity(1).filter(),
        _ => options.filter(),
    };
    let layer = super::otlp::layer(&provider, filter)?;
    Ok((
        Some(layer),
        TraceGuard {
            provider: Some(provider),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_map_to_filters_and_rust_log_wins() {
        assert!(!TraceOptions::default().is_enabled());
        assert_eq!(
            TraceOptions::verbosity(1).filter(),
            "benchcore=info,benchcore_providers=info,benchcore_cli=info"
        );
        let options = TraceOptions::verbosity(0).with_filter(Some("benchcore=trace".into()));
        assert!(options.is_enabled());
        assert_eq!(options.filter(), "benchcore=trace");
    }

    #[test]
    fn a_bad_filter_is_named() {
        let options = TraceOptions::verbosity(0).with_filter(Some("benchcore=[".into()));
        let err = install(&options, None).unwrap_err();
        assert!(err.to_string().contains("trace.filter"), "{err}");
    }
}
