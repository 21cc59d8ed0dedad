//! The OTLP/HTTP export (feature `otlp`): spans sent as JSON to `<collector>/v1/traces` by
//! OpenTelemetry's batch exporter, over this crate's own HTTP client (one TLS stack).

use benchcore::ConfigError;
use bytes::Bytes;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_http::{HttpClient, HttpError, Request, Response};
use opentelemetry_otlp::{Protocol, WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::Resource;
use tracing_subscriber::{EnvFilter, Layer};

/// The exporter's HTTP client: reqwest, run on the front end's Tokio runtime. The batch
/// exporter calls it from its own thread, where no runtime is current, so every request is
/// spawned onto the runtime and awaited through its handle.
#[derive(Debug)]
struct ReqwestOnRuntime {
    client: reqwest::Client,
    runtime: tokio::runtime::Handle,
}

#[async_trait::async_trait]
impl HttpClient for ReqwestOnRuntime {
    async fn send_bytes(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        let client = self.client.clone();
        let (parts, body) = request.into_parts();
        let sent = async move {
            let reply = client
                .request(parts.method, parts.uri.to_string())
                .headers(parts.headers)
                .body(body)
                .send()
                .await?;
            let status = reply.status();
            let headers = reply.headers().clone();
            let body = reply.bytes().await?;
            let mut response = Response::builder().status(status).body(body)?;
            *response.headers_mut() = headers;
            Ok::<_, HttpError>(response)
        };
        self.runtime.spawn(sent).await?
    }
}

/// A tracer provider exporting to the collector at `endpoint` (its base address).
pub(crate) fn provider(
    endpoint: &str,
    service_name: Option<&str>,
    runtime: Option<tokio::runtime::Handle>,
) -> Result<SdkTracerProvider, ConfigError> {
    let base = endpoint.trim_end_matches('/');
    if !(base.starts_with("http://") || base.starts_with("https://")) {
        return Err(ConfigError::field(
            "trace.otlp_endpoint",
            format!(
                "{endpoint}: expected an http:// or https:// address of an OTLP/HTTP collector"
            ),
        ));
    }
    let runtime = match runtime {
        Some(handle) => handle,
        None => tokio::runtime::Handle::try_current().map_err(|_| {
            ConfigError::field(
                "trace.otlp_endpoint",
                "the OTLP export needs a Tokio runtime to send from",
            )
        })?,
    };
    let client = crate::http::client_builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .map_err(|e| ConfigError::field("trace.otlp_endpoint", e.to_string()))?;
    let client = ReqwestOnRuntime { client, runtime };
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpJson)
        .with_endpoint(format!("{base}/v1/traces"))
        .with_http_client(client)
        .build()
        .map_err(|e| ConfigError::field("trace.otlp_endpoint", e.to_string()))?;
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(
            Resource::builder()
                .with_service_name(service_name.unwrap_or("benchcore").to_owned())
                .build(),
        )
        .build())
}

/// The layer that turns the engine's spans into exported ones, filtered like stderr output.
pub(crate) fn layer(
    provider: &SdkTracerProvider,
    filter: String,
) -> Result<Box<dyn Layer<tracing_subscriber::Registry> + Send + Sync>, ConfigError> {
    let filter = EnvFilter::try_new(&filter)
        .map_err(|e| ConfigError::field("trace.filter", format!("{filter}: {e}")))?;
    Ok(tracing_opentelemetry::layer()
        .with_tracer(provider.tracer("benchcore"))
        .with_filter(filter)
        .boxed())
}
