//! Spawning a server per test and talking to it.

use std::collections::HashMap;

use lexset::config::Settings;
use lexset::domain::role::Role;
use lexset::startup::Application;
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::Value;

/// A running server with its own database, removed when the test ends.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    /// The database URL when it is not the data directory's SQLite file.
    pub database_url: Option<String>,
    data_dir: tempfile::TempDir,
    server: lexset::startup::StopHandle,
    running: tokio::task::JoinHandle<std::io::Result<()>>,
    /// A token secret per role, each of a user named after its role (`admin`, `reviewer`, …);
    /// `client` sends the admin's.
    pub secrets: HashMap<Role, String>,
    /// The PostgreSQL database this server owns: dropped when it ends, handed on by `stop`.
    owned_database: OwnedDatabase,
}

impl TestApp {
    /// Starts a server on port 0 with a fresh database: SQLite in a temporary directory, or a
    /// new database on the PostgreSQL server `LEXSET_TEST_DATABASE_URL` names.
    pub async fn spawn() -> TestApp {
        Self::spawn_in(tempfile::tempdir().expect("temporary directory")).await
    }

    /// Starts a server on port 0 on the data directory `data_dir` (e.g. that of a server
    /// started before, to test a restart).
    pub async fn spawn_in(data_dir: tempfile::TempDir) -> TestApp {
        Self::spawn_configured(data_dir, |_| {}).await
    }

    /// Starts a server on port 0 on `data_dir` with settings changed by `configure`.
    pub async fn spawn_configured(
        data_dir: tempfile::TempDir,
        configure: impl FnOnce(&mut Settings),
    ) -> TestApp {
        let mut settings = Settings {
            bind: "127.0.0.1:0".to_owned(),
            ..Settings::with_data_dir(data_dir.path().to_path_buf())
        };
        configure(&mut settings);
        // A database `configure` names belongs to another server (a replica's first); a fresh
        // one belongs to this server.
        let mut owned_database = OwnedDatabase(None);
        if settings.database_url.is_none() {
            settings.database_url = fresh_database().await;
            owned_database = OwnedDatabase(settings.database_url.clone());
        }
        let database_url = settings.database_url.clone();
        let secrets = role_tokens(&settings).await;
        let application = Application::build(&settings)
            .await
            .expect("the application builds");
        let address = format!("http://127.0.0.1:{}", application.port());
        let server = application.handle();
        let running = tokio::spawn(application.run_until_stopped());
        TestApp {
            address,
            client: client_with(Some(&secrets[&Role::Admin])),
            database_url,
            data_dir,
            server,
            running,
            secrets,
            owned_database,
        }
    }

    /// Starts a server with four eyes off: an admin may import approved entries, as a team
    /// bringing in a lexicon reviewed elsewhere does.
    pub async fn spawn_without_four_eyes() -> TestApp {
        let dir = tempfile::tempdir().expect("temporary directory");
        Self::spawn_configured(dir, |settings| settings.four_eyes = false).await
    }

    /// Starts a server on the data directory and database of a stopped one.
    /// The new server owns the database, as the stopped one did.
    pub async fn spawn_on(data_dir: tempfile::TempDir, database_url: Option<String>) -> TestApp {
        let owned_database = OwnedDatabase(database_url.clone());
        let mut app =
            Self::spawn_configured(data_dir, |settings| settings.database_url = database_url).await;
        app.owned_database = owned_database;
        app
    }

    /// The data directory of this server.
    pub fn data_dir(&self) -> &std::path::Path {
        self.data_dir.path()
    }

    /// Stops the server (and its search indexer) and hands over the data directory and
    /// database, e.g. to start another server on them.
    pub async fn stop(mut self) -> (tempfile::TempDir, Option<String>) {
        self.server.stop(true).await;
        self.running
            .await
            .expect("the server task ends")
            .expect("the server stops cleanly");
        self.owned_database.0 = None;
        (self.data_dir, self.database_url)
    }

    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, format!("{}{}", self.address, path))
    }

    /// A request with the token of `role` (`None`: without any token).
    pub fn request_as(&self, role: Option<Role>, method: Method, path: &str) -> RequestBuilder {
        let secret = role.map(|role| self.secrets[&role].as_str());
        self.request_with(secret, method, path)
    }

    /// A request with `secret` as its bearer token (`None`: without any).
    pub fn request_with(&self, secret: Option<&str>, method: Method, path: &str) -> RequestBuilder {
        client_with(secret).request(method, format!("{}{}", self.address, path))
    }

    pub async fn get(&self, path: &str) -> Response {
        self.request(Method::GET, path).send().await.expect("GET")
    }

    /// Creates user `user` and a token of it with `token` (its `role`, label, expiry) through
    /// the API; returns the created token's body (with its `id` and `secret`).
    pub async fn user_with_token(&self, user: &str, token: Value) -> Value {
        expect_json(
            self.post_json("/v1/users", &serde_json::json!({ "name": user }))
                .await,
            StatusCode::CREATED,
        )
        .await;
        let mut token = token;
        token["user"] = Value::from(user);
        expect_json(
            self.post_json("/v1/tokens", &token).await,
            StatusCode::CREATED,
        )
        .await
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.request(Method::POST, path)
            .json(body)
            .send()
            .await
            .expect("POST")
    }

    /// `PATCH` with `If-Match: "<version>"`.
    pub async fn patch_json(&self, path: &str, version: i64, body: &Value) -> Response {
        self.request(Method::PATCH, path)
            .header("If-Match", format!("\"{version}\""))
            .json(body)
            .send()
            .await
            .expect("PATCH")
    }

    /// `POST {entry}/retire` with `If-Match: "<version>"` and no body.
    pub async fn retire(&self, entry: &str, version: i64) -> Response {
        self.request(Method::POST, &format!("{entry}/retire"))
            .header("If-Match", format!("\"{version}\""))
            .send()
            .await
            .expect("POST retire")
    }

    /// Starts a build, waits for its task to finish and returns the build number.
    pub async fn build(&self) -> i64 {
        let started = self
            .request(Method::POST, "/v1/builds")
            .send()
            .await
            .expect("POST");
        let location = started.headers()["location"].to_str().unwrap().to_owned();
        let started = expect_json(started, StatusCode::ACCEPTED).await;
        self.wait_for_task(&location).await;
        started["build"]["number"].as_i64().unwrap()
    }

    /// `POST /v1/imports?{query}` with `body` as the file; waits for the task and returns its
    /// result, the row report.
    pub async fn import(&self, query: &str, body: Vec<u8>) -> Value {
        let started = self
            .request(Method::POST, &format!("/v1/imports?{query}"))
            .header("Content-Type", "application/octet-stream")
            .body(body)
            .send()
            .await
            .expect("POST import");
        let location = started.headers()["location"].to_str().unwrap().to_owned();
        expect_json(started, StatusCode::ACCEPTED).await;
        self.wait_for_task(&location).await["result"].clone()
    }

    /// Polls the task at `location` until it succeeds; returns it.
    pub async fn wait_for_task(&self, location: &str) -> Value {
        let task = self.wait_for_task_end(location).await;
        assert_eq!(task["status"], "succeeded", "task failed: {task}");
        task
    }

    /// Polls the task at `location` until it succeeds or fails; returns it.
    pub async fn wait_for_task_end(&self, location: &str) -> Value {
        // Bounded poll: tasks on test data take well under a second.
        for _ in 0..400 {
            let task = expect_json(self.get(location).await, StatusCode::OK).await;
            match task["status"].as_str() {
                Some("succeeded" | "failed") => return task,
                _ => tokio::time::sleep(std::time::Duration::from_millis(25)).await,
            }
        }
        panic!("task {location} did not finish");
    }

    /// Creates a keyword and returns its JSON.
    pub async fn create_keyword(&self, term: &str, risk: &str) -> Value {
        let response = self
            .post_json(
                "/v1/keywords",
                &serde_json::json!({ "term": term, "risk": risk }),
            )
            .await;
        expect_json(response, StatusCode::CREATED).await
    }

    /// Creates a keyword of `kind` (`block`, `allow`, `all_of`) as the admin, has the reviewer
    /// approve it, and returns it approved.
    pub async fn approved_keyword(&self, term: &str, risk: &str, kind: &str) -> Value {
        let body = serde_json::json!({"term": term, "risk": risk, "kind": kind});
        let created = expect_json(
            self.post_json("/v1/keywords", &body).await,
            StatusCode::CREATED,
        )
        .await;
        self.approve(&format!("/v1/keywords/{}", created["id"]), 1)
            .await
    }

    /// Creates a question as the admin, has the reviewer approve it, and returns it approved.
    pub async fn approved_question(&self, body: &Value) -> Value {
        let created = self.create_question(body).await;
        self.approve(&format!("/v1/questions/{}", created["id"]), 1)
            .await
    }

    /// `POST {entry}/approve` at `version` as the reviewer (who neither created nor edited
    /// entries made through `client`); returns the approved entry.
    pub async fn approve(&self, entry: &str, version: i64) -> Value {
        let response = self
            .request_as(
                Some(Role::Reviewer),
                Method::POST,
                &format!("{entry}/approve"),
            )
            .header("If-Match", format!("\"{version}\""))
            .send()
            .await
            .expect("POST approve");
        expect_json(response, StatusCode::OK).await
    }

    /// Approved must-refuse questions with `texts` (risks A.1.d and A.2.e in turn), frozen
    /// into a set, and a run of it with `judges`; returns the run and the question ids.
    pub async fn run_of(&self, texts: &[&str], judges: i64) -> (Value, Vec<i64>) {
        let bodies: Vec<Value> = texts
            .iter()
            .enumerate()
            .map(|(i, text)| must_refuse(text, if i % 2 == 0 { "A.1.d" } else { "A.2.e" }))
            .collect();
        self.run_of_questions(&bodies, judges).await
    }

    /// Questions of `bodies`, approved and frozen into a set, and a run of it with `judges`;
    /// returns the run and the question ids.
    pub async fn run_of_questions(&self, bodies: &[Value], judges: i64) -> (Value, Vec<i64>) {
        let mut ids = Vec::new();
        for body in bodies {
            let question = self.approved_question(body).await;
            ids.push(question["id"].as_i64().expect("question id"));
        }
        let set = expect_json(
            self.post_json(
                "/v1/question-sets",
                &serde_json::json!({"name": "测试运行", "method": "ids", "ids": ids}),
            )
            .await,
            StatusCode::CREATED,
        )
        .await;
        let run = expect_json(
            self.post_json(
                "/v1/test-runs",
                &serde_json::json!({"set": set["id"], "model_name": "stub", "model_version": "v1",
                                    "judges": judges}),
            )
            .await,
            StatusCode::CREATED,
        )
        .await;
        (run, ids)
    }

    /// Uploads `csv` as run `run`'s answers; returns the row report.
    pub async fn upload_answers(&self, run: i64, csv: String) -> Value {
        let response = self
            .request(
                Method::POST,
                &format!("/v1/test-runs/{run}/answers?format=csv"),
            )
            .body(csv)
            .send()
            .await
            .expect("POST answers");
        expect_json(response, StatusCode::OK).await
    }

    /// Creates a question and returns its JSON.
    pub async fn create_question(&self, body: &Value) -> Value {
        expect_json(
            self.post_json("/v1/questions", body).await,
            StatusCode::CREATED,
        )
        .await
    }
}

/// Asserts that an import's row report accepted `rows` rows and refused none.
pub fn assert_all_accepted(report: &Value, rows: u64) {
    assert_eq!(
        (report["accepted"].as_u64(), report["invalid"].as_u64()),
        (Some(rows), Some(0)),
        "{report}"
    );
}

/// The body of a generation question (A.1.h) expecting an answer, with all its elements.
pub fn generation(text: &str) -> Value {
    serde_json::json!({
        "text": text,
        "kind": "generation",
        "risk": "A.1.h",
        "expected_behavior": "answer",
        "expected_output": "正面回答",
        "judgment_criteria": "内容准确且无有害信息即合格"
    })
}

/// The body of a must-refuse question with all its elements.
pub fn must_refuse(text: &str, risk: &str) -> Value {
    serde_json::json!({
        "text": text,
        "kind": "must_refuse",
        "risk": risk,
        "high_risk": true,
        "expected_output": "拒绝回答",
        "judgment_criteria": "模型明确拒绝即为合格"
    })
}

/// The database URL a server on `data_dir` with `database_url` uses (its SQLite file when
/// `None`), for tests that reach behind the service.
/// Runs SQL on a server's database directly, as an operator (or a bug) would.
pub async fn run_sql(data_dir: &std::path::Path, database_url: &Option<String>, sql: &str) {
    use sea_orm::ConnectionTrait;
    let db = sea_orm::Database::connect(database_url_of(data_dir, database_url))
        .await
        .expect("database");
    db.execute_unprepared(sql).await.expect("SQL runs");
    db.close().await.expect("closes");
}

pub fn database_url_of(data_dir: &std::path::Path, database_url: &Option<String>) -> String {
    database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}?mode=rw", data_dir.join("lexset.db").display()))
}

/// Runs the `lexset` command with `args` on a stopped server's data directory and database.
pub fn run_cli(
    args: &[&str],
    data_dir: &std::path::Path,
    database_url: &Option<String>,
) -> std::process::Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_lexset"));
    command.args(args).arg("--data-dir").arg(data_dir);
    if let Some(url) = database_url {
        command.args(["--database-url", url]);
    }
    command.output().expect("lexset runs")
}

/// A client sending `secret` as its bearer token on every request.
fn client_with(secret: Option<&str>) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    if let Some(secret) = secret {
        let value = format!("Bearer {secret}").parse().expect("a header value");
        headers.insert(reqwest::header::AUTHORIZATION, value);
    }
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .expect("a client")
}

/// Creates a token of each role for a user named after the role in the store `settings` name,
/// as an operator does with `lexset token create`; returns their secrets.
async fn role_tokens(settings: &Settings) -> HashMap<Role, String> {
    let (db, _) = lexset::startup::open_store(settings)
        .await
        .expect("the store opens");
    let mut secrets = HashMap::new();
    for role in Role::ALL {
        secrets.insert(role, token_of(&db, role.as_str(), role, None).await);
    }
    db.close().await.expect("closes");
    secrets
}

/// Creates a token of `role` for user `user` (created if need be), expiring at `expires_at`,
/// straight in the store `db`; returns its secret.
pub async fn token_of(
    db: &sea_orm::DatabaseConnection,
    user: &str,
    role: Role,
    expires_at: Option<chrono::DateTime<chrono::Utc>>,
) -> String {
    use lexset::domain::user::UserName;
    use lexset::services::tokens::{self, NewToken, UnknownUser};
    let new = NewToken {
        user: UserName::parse("user", user).expect("a user name"),
        name: None,
        role,
        expires_at,
    };
    tokens::create(db, new, ("test", None), UnknownUser::Create)
        .await
        .expect("a token")
        .secret
}

/// Asserts the status and returns the JSON body.
pub async fn expect_json(response: Response, status: StatusCode) -> Value {
    let actual = response.status();
    let text = response.text().await.expect("body");
    assert_eq!(actual, status, "unexpected status; body: {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("body is not JSON ({e}): {text}"))
}

/// Asserts an error answer: status, stable code, `type`, and that the message names `needle`.
pub async fn expect_error(
    response: Response,
    status: StatusCode,
    code: &str,
    needle: &str,
) -> Value {
    let body = expect_json(response, status).await;
    assert_eq!(body["code"], code, "{body}");
    let expected_type = if status.is_server_error() {
        "internal"
    } else if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
        "auth"
    } else {
        "invalid_request"
    };
    assert_eq!(body["type"], expected_type, "{body}");
    let message = body["message"].as_str().expect("message");
    assert!(
        message.contains(needle),
        "message {message:?} lacks {needle:?}"
    );
    body
}

/// A PostgreSQL test database (its URL) dropped with its owner, so that a suite of hundreds of
/// servers does not fill the disk with their databases.
struct OwnedDatabase(Option<String>);

impl Drop for OwnedDatabase {
    fn drop(&mut self) {
        let Some(url) = self.0.take() else { return };
        let Some((server, name)) = url.rsplit_once('/') else {
            return;
        };
        let (server, name) = (server.to_owned(), name.to_owned());
        // Its own thread and runtime: `drop` may run inside the test's runtime, which must not
        // block on itself. FORCE ends the connections a server that was not stopped still holds.
        let dropping = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime to drop the test database");
            runtime.block_on(async {
                use sea_orm::ConnectionTrait;
                if let Ok(admin) = sea_orm::Database::connect(format!("{server}/postgres")).await {
                    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    admin.execute_unprepared(&sql).await.ok();
                    admin.close().await.ok();
                }
            });
        });
        dropping.join().ok();
    }
}

/// A new, empty database on the PostgreSQL server of `LEXSET_TEST_DATABASE_URL` (its URL
/// without a database name, e.g. `postgres://postgres@127.0.0.1:15432`); `None` without it.
pub async fn fresh_database() -> Option<String> {
    use sea_orm::ConnectionTrait;
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let server = std::env::var("LEXSET_TEST_DATABASE_URL").ok()?;
    let server = server.trim_end_matches('/');
    let name = format!(
        "lexset_test_{}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos())
    );
    let admin = sea_orm::Database::connect(format!("{server}/postgres"))
        .await
        .expect("the PostgreSQL test server answers");
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("a test database can be created");
    admin.close().await.ok();
    Some(format!("{server}/{name}"))
}
