//! The global tracing options: `-v` and `--otlp-endpoint`.

use benchcore_providers::telemetry::{install, TraceGuard, TraceOptions};

/// Where the spans of runs, attempts, requests and evaluations go.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct TraceArgs {
    /// Print the spans of runs, attempts, requests and evaluations to stderr: `-v` info,
    /// `-vv` debug, `-vvv` trace (`RUST_LOG` sets a filter of its own).
    #[arg(short, long = "verbose", global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Export traces over OTLP/HTTP (JSON) to this collector (`http://localhost:4318`);
    /// needs a build with the `otlp` feature.
    #[arg(
        long,
        global = true,
        env = "OTEL_EXPORTER_OTLP_ENDPOINT",
        value_name = "URL"
    )]
    pub otlp_endpoint: Option<String>,
}

impl TraceArgs {
    /// Installs the trace output these options ask for (with `RUST_LOG`).
    pub(crate) fn install(&self) -> anyhow::Result<TraceGuard> {
        let options = TraceOptions::verbosity(self.verbose)
            .with_filter(std::env::var("RUST_LOG").ok())
            .with_otlp_endpoint(self.otlp_endpoint.clone());
        Ok(install(
            &options,
            tokio::runtime::Handle::try_current().ok(),
        )?)
    }
}
