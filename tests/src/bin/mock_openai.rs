//! `mock-openai`: the loopback OpenAI Chat Completions server as a process, for CLI tests and
//! benchmarks. Prints `listening http://127.0.0.1:PORT/v1` on stdout, then serves until
//! killed (on Ctrl-C or SIGTERM it prints its stats to stderr first).

use benchcore_tests::servers::{
    BatchBehaviour, OpenAiBatchServer, OpenAiServer, Scripted, ScriptedCall, ServerConfig,
};
use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

const USAGE: &str = "\
usage: mock-openai [options]

  --port N              port on 127.0.0.1 (default 0: any free port)
  --latency-ms N        delay before every answer (default 0)
  --rate-429 X          share of requests answered 429 (default 0)
  --rate-500 X          share answered 500 (default 0)
  --rate-hang X         share never answered (default 0)
  --rate-malformed X    share answered 200 with a body that is not JSON (default 0)
  --retry-after-secs N  Retry-After of the 429s (default 1)
  --seed N              seed of the fault draws (default 0)
  --require-api-key K   answer 401 unless `Authorization: Bearer K`
  --record-requests     keep every request in memory (for debugging)
  --script FILE         answers served in order before the default echo, one JSON object
                        a line: {\"text\": T} replies T; {\"text\": T, \"tool_calls\":
                        [{\"name\": N, \"arguments\": {…}}, …]} calls tools (ids call_…)
  --threads N           runtime worker threads (default: one per core)
  --batch               serve OpenAI's Batch API (files, batches; one state per status
                        check) and echoing Chat Completions instead; other options unused
  -h, --help            this help";

struct Args {
    config: ServerConfig,
    batch: bool,
    threads: Option<usize>,
    script: Vec<Scripted>,
}

/// The answers of a `--script` file: one JSON object a line, blank lines skipped.
fn read_script(path: &str) -> Result<Vec<Scripted>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("--script {path}: {e}"))?;
    let mut script = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let at = format!("--script {path}:{}", index + 1);
        let step: serde_json::Value =
            serde_json::from_str(line).map_err(|e| format!("{at}: not JSON: {e}"))?;
        let text = step["text"].as_str().unwrap_or_default().to_owned();
        let Some(calls) = step.get("tool_calls") else {
            script.push(Scripted::reply(text));
            continue;
        };
        let calls = calls
            .as_array()
            .ok_or_else(|| format!("{at}: tool_calls: expected a list"))?
            .iter()
            .enumerate()
            .map(|(n, call)| {
                let name = call["name"]
                    .as_str()
                    .ok_or_else(|| format!("{at}: tool_calls[{n}].name: expected a string"))?;
                let arguments = match &call["arguments"] {
                    serde_json::Value::String(text) => text.clone(),
                    serde_json::Value::Null => "{}".to_owned(),
                    value => value.to_string(),
                };
                let id = call["id"]
                    .as_str()
                    .map_or_else(|| format!("call_{}_{n}", script.len()), str::to_owned);
                Ok(ScriptedCall::new(id, name, arguments))
            })
            .collect::<Result<Vec<_>, String>>()?;
        script.push(Scripted::ToolCalls { text, calls });
    }
    Ok(script)
}

fn parse(args: impl IntoIterator<Item = String>) -> Result<Option<Args>, String> {
    let mut config = ServerConfig::default();
    let mut threads = None;
    let mut batch = false;
    let mut script = Vec::new();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_owned(), Some(value.to_owned()))
            }
            _ => (arg.clone(), None),
        };
        if matches!(flag.as_str(), "-h" | "--help") {
            return Ok(None);
        }
        if flag == "--batch" {
            batch = true;
            continue;
        }
        if flag == "--record-requests" {
            config.record_requests = true;
            continue;
        }
        let value = match inline {
            Some(value) => value,
            None => args.next().ok_or_else(|| format!("{flag} needs a value"))?,
        };
        let bad = |what: &str| format!("{flag}: `{value}` is not {what}");
        let rate = || {
            value
                .parse::<f64>()
                .ok()
                .filter(|r| (0.0..=1.0).contains(r))
                .ok_or_else(|| bad("a share between 0 and 1"))
        };
        let number = || value.parse::<u64>().map_err(|_| bad("a whole number"));
        match flag.as_str() {
            "--port" => config.port = value.parse().map_err(|_| bad("a port"))?,
            "--latency-ms" => config.latency = Duration::from_millis(number()?),
            "--rate-429" => config.rate_429 = rate()?,
            "--rate-500" => config.rate_500 = rate()?,
            "--rate-hang" => config.rate_hang = rate()?,
            "--rate-malformed" => config.rate_malformed = rate()?,
            "--retry-after-secs" => config.retry_after_secs = number()?,
            "--seed" => config.seed = number()?,
            "--require-api-key" => config.require_api_key = Some(value),
            "--script" => script = read_script(&value)?,
            "--threads" => {
                threads = Some(
                    value
                        .parse()
                        .ok()
                        .filter(|t| *t > 0)
                        .ok_or_else(|| bad("a thread count"))?,
                )
            }
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    Ok(Some(Args {
        config,
        batch,
        threads,
        script,
    }))
}

fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(err) => {
            eprintln!("mock-openai: {err}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if let Some(threads) = args.threads {
        runtime.worker_threads(threads);
    }
    let runtime = match runtime.enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("mock-openai: cannot start the runtime: {err}");
            return ExitCode::from(2);
        }
    };
    let result = runtime.block_on(async {
        if args.batch {
            let server = OpenAiBatchServer::start(BatchBehaviour::default()).await?;
            println!("listening {}", server.base_url());
            std::io::stdout().flush()?;
            stopped().await;
            eprintln!("mock-openai: {:?}", server.stats());
            return anyhow::Ok(());
        }
        let server = OpenAiServer::start(args.config).await?;
        server.push_script(args.script);
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "listening {}", server.base_url())?;
        stdout.flush()?;
        drop(stdout);
        stopped().await;
        eprintln!("mock-openai: {:?}", server.stats());
        anyhow::Ok(())
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("mock-openai: {err:#}");
            ExitCode::from(2)
        }
    }
}

/// Waits for Ctrl-C or, on Unix, SIGTERM.
async fn stopped() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
