//! Driving Debian's headless Chromium through chromedriver (WebDriver) for the web page's
//! end-to-end tests.

use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use lexset::domain::role::Role;
use serde_json::json;

use crate::helpers::TestApp;

/// How long the page may take to show something: generous, CI machines are slow.
const PATIENCE: Duration = Duration::from_secs(20);

/// Browser tests run one at a time: two Chromiums on a two-core machine make each flaky.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A chromedriver process, stopped when dropped.
pub struct Driver {
    process: Child,
    url: String,
    _turn: tokio::sync::MutexGuard<'static, ()>,
}

impl Driver {
    /// Starts `chromedriver` on a free loopback port once it is this test's turn.
    pub async fn start() -> Driver {
        let turn = ONE_AT_A_TIME.lock().await;
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let process = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            // Its own process group, which the browsers it starts join: dropping the driver
            // ends them all, even after a test failed before closing its session.
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect(
                "chromedriver runs: install Debian's `chromium` and `chromium-driver` (README)",
            );
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < PATIENCE, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Driver {
            process,
            url: format!("http://127.0.0.1:{port}"),
            _turn: turn,
        }
    }

    /// A new browser session (its own profile, so its own sessionStorage) on the page at
    /// `address`.
    pub async fn session(&self, address: &str) -> Page {
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".to_owned(),
            json!({
                "binary": "/usr/bin/chromium",
                // The machine has no internet: background traffic would only fail and slow.
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                    "--disable-dev-shm-usage", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--disable-quic",
                    "--no-first-run", "--window-size=1280,1000", "--lang=zh-CN"],
            }),
        );
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&self.url)
            .await
            .expect("a chromium session");
        Page {
            client,
            address: address.to_owned(),
        }
    }
}

impl Driver {
    /// A new session on `app`'s page, signed in with the token of `role`, showing `#fragment`.
    pub async fn signed_in(&self, app: &TestApp, role: Role, fragment: &str) -> Page {
        let page = self.session(&app.address).await;
        page.sign_in(&app.secrets[&role]).await;
        page.visit(fragment).await;
        page
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // A negative pid names the process group: chromedriver and every browser it started.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.process.id())])
            .status();
        let _ = self.process.wait();
    }
}

/// One browser session on the lexset page.
pub struct Page {
    pub client: Client,
    address: String,
}

impl Page {
    /// Opens the page and signs in with `secret`.
    pub async fn sign_in(&self, secret: &str) {
        self.client
            .goto(&self.address)
            .await
            .expect("the page opens");
        self.fill("#token", secret).await;
        self.click("#sign-in button[type=submit]").await;
        self.wait("#nav-keywords").await;
    }

    /// Goes to `#/…` and waits until that screen has drawn.
    pub async fn visit(&self, fragment: &str) {
        self.client
            .execute(
                "const s = document.getElementById('screen'); if (s) s.removeAttribute('data-ready');",
                vec![],
            )
            .await
            .expect("script runs");
        let url = format!("{}/#{}", self.address, fragment);
        self.client.goto(&url).await.expect("navigation");
        self.wait("#screen[data-ready]").await;
    }

    /// Waits for the element `css` matches.
    pub async fn wait(&self, css: &str) -> Element {
        match self
            .client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await
        {
            Ok(element) => element,
            Err(error) => self.fail(format!("`{css}` did not appear: {error}")).await,
        }
    }

    /// Fails the test, leaving a screenshot of what the page showed (`failed.png`).
    async fn fail(&self, message: String) -> ! {
        self.screenshot("failed").await;
        panic!("{message}");
    }

    /// Waits until the text of `css` contains `needle`, and answers the text.
    pub async fn wait_text(&self, css: &str, needle: &str) -> String {
        let started = Instant::now();
        loop {
            if let Ok(element) = self.client.find(Locator::Css(css)).await
                && let Ok(text) = element.text().await
                && text.contains(needle)
            {
                return text;
            }
            if started.elapsed() > PATIENCE {
                self.fail(format!("`{css}` never contained `{needle}`"))
                    .await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn text(&self, css: &str) -> String {
        self.wait(css).await.text().await.expect("text")
    }

    pub async fn click(&self, css: &str) {
        self.wait(css).await.click().await.expect("click");
    }

    /// Replaces the value of the input `css` with `text`.
    pub async fn fill(&self, css: &str, text: &str) {
        let element = self.wait(css).await;
        element.clear().await.expect("clear");
        element.send_keys(text).await.expect("typing");
    }

    pub async fn select(&self, css: &str, value: &str) {
        self.wait(css)
            .await
            .select_by_value(value)
            .await
            .expect("select");
    }

    /// Presses `key` with the focus on the page body (a keyboard shortcut).
    pub async fn press(&self, key: &str) {
        self.wait("body")
            .await
            .send_keys(key)
            .await
            .expect("key press");
    }

    /// The fragment the address shows now, e.g. `/keywords?risk=A.1.a&new=1`.
    pub async fn fragment(&self) -> String {
        let url = self.client.current_url().await.expect("url");
        url.fragment().unwrap_or_default().to_owned()
    }

    /// Saves a screenshot as `<name>.png` in `LEXSET_UI_SCREENSHOTS` (default
    /// `target/ui-screenshots`; `docs/ui` refreshes the pictures of `docs/ui.md`).
    pub async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("screenshot");
        // Relative to the workspace, whatever directory the tests run in.
        let directory = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/..")).join(
            std::env::var_os("LEXSET_UI_SCREENSHOTS")
                .map_or_else(|| PathBuf::from("target/ui-screenshots"), PathBuf::from),
        );
        std::fs::create_dir_all(&directory).expect("screenshot directory");
        std::fs::write(directory.join(format!("{name}.png")), png).expect("screenshot saved");
    }

    pub async fn close(self) {
        self.client.close().await.expect("session closes");
    }
}
