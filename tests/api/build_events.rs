//! `GET /v1/builds/events`: published builds as Server-Sent Events, with the newest sent on
//! connecting and `Last-Event-ID` resuming after a dropped connection.

use std::time::Duration;

use reqwest::{Method, Response, StatusCode};
use serde_json::Value;

use crate::helpers::TestApp;

/// One event of the stream.
#[derive(Debug)]
struct Event {
    id: String,
    name: String,
    data: Value,
}

/// Reads a `text/event-stream` response event by event (comments and `retry:` skipped).
struct EventReader {
    response: Response,
    buffer: String,
}

impl EventReader {
    async fn open(app: &TestApp, last_event_id: Option<&str>) -> EventReader {
        let mut request = app.request(Method::GET, "/v1/builds/events");
        if let Some(id) = last_event_id {
            request = request.header("Last-Event-ID", id);
        }
        let response = request.send().await.expect("the stream opens");
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers()["content-type"].to_str().unwrap(),
            "text/event-stream"
        );
        EventReader {
            response,
            buffer: String::new(),
        }
    }

    /// The next event; panics if none comes within 20 s (a hang, not a timing target).
    async fn next(&mut self) -> Event {
        tokio::time::timeout(Duration::from_secs(20), self.read_event())
            .await
            .expect("an event arrives")
    }

    /// Whether the stream stays silent (but for comments) for `wait`.
    async fn silent_for(&mut self, wait: Duration) -> bool {
        tokio::time::timeout(wait, self.read_event()).await.is_err()
    }

    async fn read_event(&mut self) -> Event {
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let frame: String = self.buffer.drain(..end + 2).collect();
                let field = |name: &str| {
                    frame
                        .lines()
                        .find_map(|line| line.strip_prefix(name))
                        .map(|value| value.trim_start().to_owned())
                };
                if let Some(data) = field("data:") {
                    return Event {
                        id: field("id:").unwrap_or_default(),
                        name: field("event:").unwrap_or_default(),
                        data: serde_json::from_str(&data).expect("JSON data"),
                    };
                }
            }
            let chunk = self
                .response
                .chunk()
                .await
                .expect("the stream reads")
                .expect("the stream stays open");
            self.buffer.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    }
}

#[tokio::test]
async fn a_publication_is_announced_and_a_dropped_connection_resumes_where_it_left_off() {
    let app = TestApp::spawn().await;
    app.approved_keyword("法轮功", "A.1.a", "block").await;

    // No build yet: nothing to send until one is published.
    let mut events = EventReader::open(&app, None).await;
    assert!(events.silent_for(Duration::from_millis(600)).await);
    let first = app.build().await;
    let event = events.next().await;
    assert_eq!(event.name, "build.published");
    assert_eq!(event.id, first.to_string());
    assert_eq!(event.data["build"], first);
    let build = app.get(&format!("/v1/builds/{first}")).await;
    let build: Value = build.json().await.unwrap();
    assert_eq!(event.data["sha256"], build["sha256"]);
    assert!(event.data["manifest"]["payload"].is_string());
    drop(events);

    // Two builds published while the client is away; it comes back with the last id it saw.
    let second = app.build().await;
    let third = app.build().await;
    let mut events = EventReader::open(&app, Some(&first.to_string())).await;
    assert_eq!(events.next().await.id, second.to_string());
    assert_eq!(events.next().await.id, third.to_string());
    // Then live again.
    let fourth = app.build().await;
    assert_eq!(events.next().await.id, fourth.to_string());
    assert!(events.silent_for(Duration::from_millis(600)).await);

    // A client connecting fresh (or with an id that is not ours) is sent the newest build.
    let mut fresh = EventReader::open(&app, None).await;
    assert_eq!(fresh.next().await.id, fourth.to_string());
    let mut foreign = EventReader::open(&app, Some("not-a-build")).await;
    assert_eq!(foreign.next().await.id, fourth.to_string());
}

#[tokio::test]
async fn a_build_published_through_another_replica_is_announced_too() {
    let first = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let url = first.database_url.clone();
    if url.is_none() {
        // Replicas share a database: PostgreSQL only.
        return;
    }
    let second = TestApp::spawn_configured(dir, |settings| settings.database_url = url).await;
    first.approved_keyword("法轮功", "A.1.a", "block").await;
    let mut events = EventReader::open(&second, None).await;
    let number = first.build().await;
    assert_eq!(events.next().await.id, number.to_string());
}

#[tokio::test]
async fn stopping_the_server_ends_its_event_streams_at_once() {
    let app = TestApp::spawn().await;
    let mut events = EventReader::open(&app, None).await;
    let started = std::time::Instant::now();
    app.stop().await;
    // A graceful stop waits for open responses up to 30 s; the stream ended before that.
    assert!(started.elapsed() < Duration::from_secs(10));
    // What was sent before the stop (the retry interval), then the end.
    while let Ok(Some(chunk)) = events.response.chunk().await {
        assert!(
            !String::from_utf8_lossy(&chunk).contains("data:"),
            "{chunk:?}"
        );
    }
}
