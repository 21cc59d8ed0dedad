//! The voice example through the `benchcore` binary: `run examples/voice` with a `realtime`
//! interviewer (over loopback WebSocket to a server speaking the Realtime API's events) and a
//! scripted participant; then `show`, `leaderboard --rank-by`, `export` and the viewer's
//! audio, hostile clip names included.

mod support;

use benchcore_tests::servers::{RealtimeScript, RealtimeServer};
use support::command::text;
use support::sandbox::Sandbox;
use support::{get, ViewServer};

fn example() -> String {
    format!("{}/../examples/voice", env!("CARGO_MANIFEST_DIR"))
}

/// Runs the voice example in `sandbox` against `server`; returns the run's id.
async fn run_example(sandbox: &Sandbox, server: &RealtimeServer) -> String {
    let interviewer = sandbox.write(
        "interviewer.json",
        &serde_json::json!({
            "kind": "realtime", "model": "gpt-realtime", "name": "voice-bot",
            "base_url": server.url(), "api_key_env": "VOICE_TEST_KEY",
        })
        .to_string(),
    );
    let user = sandbox.write(
        "user.json",
        &serde_json::json!({
            "kind": "scripted", "name": "sam",
            "lines": ["I get up at half past five.", "Coffee, then the dog.", "Goodbye!"],
        })
        .to_string(),
    );
    let out = sandbox
        .command(&[
            "run",
            &example(),
            "--agent",
            &interviewer,
            "--simulated-user",
            &user,
        ])
        .env("VOICE_TEST_KEY", "sk-voice")
        .output()
        .unwrap();
    if !out.status.success() {
        let attempts = sandbox.run(&["show", "latest", "--attempts", "--json"]);
        panic!(
            "{:?}\n{}\n{}\n{}",
            server.stats(),
            text(&out.stdout),
            text(&out.stderr),
            text(&attempts.stdout)
        );
    }
    let store = sandbox.store().await;
    store
        .list_runs(&benchcore::Workspace::default(), &Default::default())
        .await
        .unwrap()
        .remove(0)
        .id
}

// The server answers on the runtime's worker threads while the test blocks on the binary.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_voice_example_runs_and_shows_its_voice_metrics_everywhere() {
    let server = RealtimeServer::start(
        RealtimeScript::default()
            .api_key("sk-voice")
            .replies([
                "Hi, how do your mornings start?",
                "And then?",
                "Thank you, goodbye!",
            ])
            .ms_per_word(30),
    )
    .await
    .unwrap();
    let sandbox = Sandbox::new();
    let run = run_example(&sandbox, &server).await;
    assert_eq!(server.stats().sessions, 1);

    // `show`: the voice table beside the accuracy table, and in the JSON.
    let show = text(&sandbox.run(&["show", &run]).stdout);
    assert!(show.contains("Voice (means per conversation)"), "{show}");
    assert!(show.contains("first audio ms p50"), "{show}");
    assert!(show.contains("voice-bot"), "{show}");
    let json: serde_json::Value =
        serde_json::from_slice(&sandbox.run(&["show", &run, "--json"]).stdout).unwrap();
    assert_eq!(json["voice"][0]["agent"], "voice-bot");
    assert_eq!(json["voice"][0]["means"]["spoken_turns"], 3.0);

    // The leaderboard ranks on a voice metric.
    let board = sandbox.run(&[
        "leaderboard",
        "--rank-by",
        "Voice.first_audio_ms_p50",
        "--json",
    ]);
    let board: serde_json::Value = serde_json::from_slice(&board.stdout).unwrap();
    assert_eq!(board[0]["agent"], "voice-bot");
    assert!(board[0]["Voice.first_audio_ms_p50"].is_number(), "{board}");
    let bad = sandbox.run(&["leaderboard", "--rank-by", "first_audio"]);
    assert!(!bad.status.success());
    assert!(
        text(&bad.stderr).contains("REPORT.METRIC"),
        "{}",
        text(&bad.stderr)
    );

    // The export carries the reports, the recording's file and digest among them.
    let export = text(&sandbox.run(&["export", &run]).stdout);
    let row: serde_json::Value = serde_json::from_str(export.lines().next().unwrap()).unwrap();
    let voice = row["reports"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["title"] == "Voice")
        .unwrap();
    let recording = voice["variables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["metric"] == "recording")
        .unwrap();
    assert!(recording["value"]["digest"]
        .as_str()
        .unwrap()
        .starts_with("sha256:"));

    // The viewer serves the recording and the clips, and nothing else.
    let viewer = ViewServer::start(&sandbox.store_url(), 200);
    let case = "interview";
    let audio = |clip: &str| {
        format!(
            "{}/api/runs/{run}/audio?case={case}&agent=voice-bot&sample=0&clip={clip}",
            viewer.base
        )
    };
    let response = reqwest::get(audio("conversation.wav")).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "audio/wav");
    let bytes = response.bytes().await.unwrap();
    assert_eq!(&bytes[..4], b"RIFF");
    assert_eq!(get(&audio("turn-01-interviewer.wav")).await.0, 200);
    for hostile in ["..%2Fruns.db", "%2Fetc%2Fpasswd", "runs.db", ".hidden.wav"] {
        assert_eq!(get(&audio(hostile)).await.0, 400, "{hostile}");
    }
    assert_eq!(get(&audio("turn-99-interviewer.wav")).await.0, 404);
    let other_run = format!(
        "{}/api/runs/no-such-run/audio?case={case}&agent=voice-bot&sample=0&clip=conversation.wav",
        viewer.base
    );
    assert_eq!(get(&other_run).await.0, 404);
}

/// Plays the `audio` element `id` far enough to know its length: milliseconds, or -1 when the
/// browser cannot load it.
fn duration_of(selector: &str) -> String {
    format!(
        "new Promise(function (ok) {{ var a = document.querySelector('{selector}'); \
         a.preload = 'auto'; a.addEventListener('loadedmetadata', function () {{ ok(Math.round(a.duration * 1000)); }}); \
         a.addEventListener('error', function () {{ ok(-1); }}); a.load(); }})"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_viewer_and_the_report_play_the_recording_beside_the_transcript() {
    let Some(tools) = support::browser::tools() else {
        return;
    };
    let server = RealtimeServer::start(
        RealtimeScript::default()
            .replies([
                "Hi, how do your mornings start?",
                "And then?",
                "Thank you, goodbye!",
            ])
            .ms_per_word(60),
    )
    .await
    .unwrap();
    let sandbox = Sandbox::new();
    let run = run_example(&sandbox, &server).await;
    let report = sandbox.dir.path().join("voice.html");
    let out = sandbox
        .command(&["report", &run, "--out"])
        .arg(&report)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let viewer = ViewServer::start(&sandbox.store_url(), 200);
    let ready = support::browser::READY;
    let open = |page: String| {
        serde_json::json!([
            {"goto": page, "wait": format!("{ready} && document.getElementById('grid-table')")},
            {"click": "#grid-table button.sq"},
            {"wait": "document.getElementById('drill-recording')"},
        ])
    };
    let mut steps = open(format!("{}/runs/{run}", viewer.base));
    let more = serde_json::json!([
        {"eval": "document.querySelectorAll('#drill-transcript audio').length", "name": "clips"},
        {"eval": "fetch(document.getElementById('drill-recording').src).then(function (r) { return r.status + ' ' + r.headers.get('content-type'); })", "name": "served"},
        {"eval": duration_of("#drill-recording"), "name": "recording"},
        {"eval": duration_of("#drill-transcript audio"), "name": "first clip"},
        {"screenshot": "voice-attempt"},
    ]);
    steps
        .as_array_mut()
        .unwrap()
        .extend(more.as_array().unwrap().clone());
    steps.as_array_mut().unwrap().extend(
        open(format!("file://{}", report.display()))
            .as_array()
            .unwrap()
            .clone(),
    );
    steps.as_array_mut().unwrap().extend(
        serde_json::json!([{"eval": duration_of("#drill-recording"), "name": "report recording"}])
            .as_array()
            .unwrap()
            .clone(),
    );
    let drive = support::browser::drive(&tools, sandbox.dir.path(), steps, |_| {}).await;
    assert_eq!(
        drive.problems(),
        &serde_json::json!([]),
        "{:#?}",
        drive.problems()
    );
    assert_eq!(drive.eval("clips"), 3);
    assert_eq!(drive.eval("served"), "200 audio/wav");
    // The interviewer's three replies: 6 + 2 + 3 words of 60 ms, 100 ms after each.
    let first = drive.eval("first clip").as_i64().unwrap();
    assert!((first - (6 * 60 + 100)).abs() <= 5, "{first}");
    let recording = drive.eval("recording").as_i64().unwrap();
    assert!(recording >= (11 * 60 + 300), "{recording}");
    assert_eq!(drive.eval("report recording"), drive.eval("recording"));
}
