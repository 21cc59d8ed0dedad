//! `mock-realtime`: the loopback OpenAI Realtime server as a process, for Python and CLI
//! tests. Prints `listening ws://127.0.0.1:PORT/v1/realtime` on stdout, then serves until
//! killed.

use benchcore_tests::servers::{RealtimeScript, RealtimeServer};
use std::io::Write;
use std::process::ExitCode;

const USAGE: &str = "\
usage: mock-realtime [options]

  --reply TEXT          a reply, used in order by each session's responses (repeat); after
                        them, `You said: …` (default: only that)
  --ms-per-word N       milliseconds of synthetic voice per word (default 300)
  --require-api-key K   refuse the handshake (401) unless `Authorization: Bearer K`
  -h, --help            this help";

fn parse(args: &[String]) -> Result<RealtimeScript, String> {
    let mut script = RealtimeScript::default();
    let mut replies = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match arg.as_str() {
            "--reply" => replies.push(value("--reply")?),
            "--ms-per-word" => {
                let v = value("--ms-per-word")?;
                script = script.ms_per_word(
                    v.parse()
                        .map_err(|_| format!("--ms-per-word: `{v}` is not a number"))?,
                );
            }
            "--require-api-key" => script = script.api_key(value("--require-api-key")?),
            other => return Err(format!("unknown option `{other}`")),
        }
    }
    Ok(script.replies(replies))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let script = match parse(&args) {
        Ok(script) => script,
        Err(e) => {
            eprintln!("mock-realtime: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let server = match RealtimeServer::start(script).await {
        Ok(server) => server,
        Err(e) => {
            eprintln!("mock-realtime: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    let mut out = std::io::stdout();
    let _ = writeln!(out, "listening {}", server.url());
    let _ = out.flush();
    let _ = tokio::signal::ctrl_c().await;
    ExitCode::SUCCESS
}
