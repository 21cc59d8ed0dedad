//! `benchcore serve` as a child process over its own folder (store, suites, data, log), and
//! an API client that signs in with a session cookie or an API token.

use serde_json::Value;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The administrator every test server starts with.
pub const ADMIN_EMAIL: &str = "admin@example.test";
pub const ADMIN_PASSWORD: &str = "admin-password-123";
/// The vault key of every test server.
pub const VAULT_KEY: &str = "team-test-key-team-test-key-32by";

/// A running team server.
pub struct TeamServer {
    child: Option<Child>,
    pub base: String,
    pub dir: tempfile::TempDir,
    pub store: String,
    log: PathBuf,
    /// More `serve` arguments.
    extra: Vec<String>,
}

impl TeamServer {
    /// Starts a server over `store` (a SQLite file in its folder when `None`), with the
    /// question sets `suites` (name, JSONL) in its suites folder.
    pub fn start(store: Option<&str>, suites: &[(&str, &str)]) -> Self {
        Self::start_with(store, suites, &[])
    }

    /// [`start`](Self::start) with more `serve` arguments.
    pub fn start_with(store: Option<&str>, suites: &[(&str, &str)], extra: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = store.map_or_else(
            || format!("sqlite://{}", dir.path().join("team.db").display()),
            str::to_owned,
        );
        std::fs::create_dir_all(dir.path().join("suites")).unwrap();
        for (name, content) in suites {
            std::fs::write(dir.path().join("suites").join(name), content).unwrap();
        }
        let log = dir.path().join("server.log");
        let mut server = Self {
            child: None,
            base: String::new(),
            dir,
            store,
            log,
            extra: extra.iter().map(|a| (*a).to_owned()).collect(),
        };
        server.spawn();
        server
    }

    fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        let root = self.dir.path();
        let mut child = Command::new(env!("CARGO_BIN_EXE_benchcore"))
            .args(["--store", &self.store, "serve", "--listen", "127.0.0.1:0"])
            .arg("--suites")
            .arg(root.join("suites"))
            .arg("--data")
            .arg(root.join("data"))
            .args(["--poll-ms", "50"])
            .args(&self.extra)
            .current_dir(root)
            .env("BENCHCORE_ADMIN_EMAIL", ADMIN_EMAIL)
            .env("BENCHCORE_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("BENCHCORE_ENCRYPTION_KEY", VAULT_KEY)
            .env("RUST_LOG", "info")
            .env_remove("BENCHCORE_WORKSPACE")
            .env_remove("OPENAI_API_KEY")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let start = line
            .find("http://")
            .unwrap_or_else(|| panic!("no URL in {line:?}; log:\n{}", self.log_text()));
        self.base = line[start..].trim().trim_end_matches('/').to_owned();
        self.child = Some(child);
    }

    /// Stops it as a container runtime would (SIGTERM) and waits for it to exit.
    pub fn stop(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("running");
        let pid = child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        for _ in 0..600 {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        panic!("the server did not stop within 30 s of SIGTERM");
    }

    /// Kills it (SIGKILL): no graceful anything.
    pub fn kill(&mut self) {
        let mut child = self.child.take().expect("running");
        let _ = child.kill();
        let _ = child.wait();
    }

    /// Starts it again over the same folder and store (on a new port).
    pub fn restart(&mut self) {
        self.spawn();
    }

    /// Everything it logged so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Its folder.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for TeamServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A new HTTP client (its own connection pool).
pub fn new_client() -> reqwest::Client {
    benchcore_providers::http::client_builder().build().unwrap()
}

/// How a client proves who it is.
#[derive(Debug, Clone)]
pub enum Auth {
    None,
    Token(String),
    Session { cookie: String, csrf: String },
}

/// A client of one server, as one user.
#[derive(Debug, Clone)]
pub struct Api {
    pub base: String,
    pub auth: Auth,
    pub client: reqwest::Client,
}

impl Api {
    pub fn anonymous(base: &str) -> Self {
        Self {
            base: base.to_owned(),
            auth: Auth::None,
            client: new_client(),
        }
    }

    /// Signs in with a password; panics unless it works. Returns the client and the raw
    /// `Set-Cookie` header.
    pub async fn login(base: &str, email: &str, password: &str) -> (Self, String) {
        let api = Self::anonymous(base);
        let response = api
            .client
            .post(format!("{base}/api/login"))
            .json(&serde_json::json!({ "email": email, "password": password }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "sign-in of {email}");
        let set_cookie = response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .to_owned();
        let cookie = set_cookie.split(';').next().unwrap().to_owned();
        let body: Value = response.json().await.unwrap();
        let csrf = body["csrf"].as_str().unwrap().to_owned();
        (
            Self {
                auth: Auth::Session { cookie, csrf },
                ..api
            },
            set_cookie,
        )
    }

    /// The administrator's session.
    pub async fn admin(base: &str) -> Self {
        Self::login(base, ADMIN_EMAIL, ADMIN_PASSWORD).await.0
    }

    /// The same user through a new API token.
    pub async fn with_token(&self, name: &str) -> Self {
        let (status, body) = self
            .call(
                "POST",
                "/api/tokens",
                Some(serde_json::json!({ "name": name })),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        Self {
            auth: Auth::Token(body["token"].as_str().unwrap().to_owned()),
            ..self.clone()
        }
    }

    /// The request, with this client's credentials.
    pub fn request(&self, method: &str, path: &str) -> reqwest::RequestBuilder {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        match &self.auth {
            Auth::None => {}
            Auth::Token(token) => request = request.bearer_auth(token),
            Auth::Session { cookie, csrf } => {
                request = request
                    .header("cookie", cookie)
                    .header("x-csrf-token", csrf);
            }
        }
        request
    }

    /// A JSON call: its status and body (`null` when empty).
    pub async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self.request(method, path);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, value)
    }

    /// `GET`, asserting 200.
    pub async fn get(&self, path: &str) -> Value {
        let (status, body) = self.call("GET", path, None).await;
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    /// The id of the caller's first workspace.
    pub async fn first_workspace(&self) -> String {
        self.get("/api/me").await["workspaces"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Waits until the run is no longer running; returns it.
    pub async fn wait_for_run(&self, workspace: &str, run: &str) -> Value {
        for _ in 0..1200 {
            let body = self
                .get(&format!("/api/workspaces/{workspace}/runs/{run}"))
                .await;
            if body["status"] != "running" {
                return body;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("run {run} did not stop within 60 s");
    }
}

/// A question set of `n` cases whose target is its input: the echoing mock passes them all.
pub fn echo_suite(n: usize) -> String {
    (0..n)
        .map(|i| {
            format!("{{\"id\": \"c{i:03}\", \"input\": \"echo {i}\", \"target\": \"echo {i}\"}}\n")
        })
        .collect()
}

/// Reads server-sent events from a response until `stop` says so; returns (event, id, data).
pub async fn read_events(
    response: &mut reqwest::Response,
    mut stop: impl FnMut(&str, Option<&str>, &Value) -> bool,
) -> Vec<(String, Option<String>, Value)> {
    let mut buffer = String::new();
    let mut events = Vec::new();
    loop {
        let chunk = tokio::time::timeout(Duration::from_secs(30), response.chunk())
            .await
            .expect("an event within 30 s")
            .unwrap();
        let Some(chunk) = chunk else { return events };
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            let (mut name, mut id, mut data) = (String::from("message"), None, String::new());
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("event:") {
                    name = v.trim().to_owned();
                } else if let Some(v) = line.strip_prefix("id:") {
                    id = Some(v.trim().to_owned());
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push_str(v.trim_start());
                }
            }
            if data.is_empty() {
                continue; // a keep-alive comment
            }
            let value: Value = serde_json::from_str(&data).unwrap();
            let done = stop(&name, id.as_deref(), &value);
            events.push((name, id, value));
            if done {
                return events;
            }
        }
    }
}

/// A loopback OpenAI-compatible model server answering after `latency_ms`, only to `key`.
pub async fn keyed_model(latency_ms: u64, key: &str) -> benchcore_tests::servers::OpenAiServer {
    let config = benchcore_tests::servers::ServerConfig {
        latency: Duration::from_millis(latency_ms),
        require_api_key: Some(key.to_owned()),
        ..benchcore_tests::servers::ServerConfig::default()
    };
    benchcore_tests::servers::OpenAiServer::start(config)
        .await
        .unwrap()
}

/// Uploads `content` as suite `name` of `workspace`; the status and the answer.
pub async fn upload_suite(
    api: &Api,
    workspace: &str,
    name: &str,
    content_type: &str,
    content: impl Into<reqwest::Body>,
) -> (u16, Value) {
    let response = api
        .request(
            "POST",
            &format!("/api/workspaces/{workspace}/suites/{name}"),
        )
        .header("content-type", content_type)
        .body(content)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}
