//! Several replicas on one database: what one writes, the others see, search and build; build
//! numbers stay distinct under concurrency; tasks of a replica that stopped are failed.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, database_url_of, expect_error, expect_json, fresh_database};

/// A second replica: its own data directory (search index), `first`'s database.
async fn replica_of(first: &TestApp) -> TestApp {
    let url = database_url_of(first.data_dir(), &first.database_url);
    let dir = tempfile::tempdir().expect("temporary directory");
    TestApp::spawn_configured(dir, |settings| settings.database_url = Some(url)).await
}

#[tokio::test]
async fn an_entry_written_through_one_replica_is_seen_searched_and_built_through_another() {
    let a = TestApp::spawn().await;
    let b = replica_of(&a).await;
    let created = a.approved_keyword("法輪功", "A.1.a", "block").await;
    let id = created["id"].as_i64().expect("id");

    let seen = expect_json(b.get(&format!("/v1/keywords/{id}")).await, StatusCode::OK).await;
    assert_eq!(seen["term"], "法輪功");

    // B's search index catches up from the database it shares with A.
    let mut found = Value::Null;
    for _ in 0..100 {
        found = expect_json(b.get("/v1/search?q=法轮功").await, StatusCode::OK).await;
        if found["total"] == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(found["hits"][0]["id"], id, "{found}");

    // Built on B, downloaded and matched on A: the artefact lives in the database.
    let number = b.build().await;
    let artifact = a.get(&format!("/v1/builds/{number}/artifact")).await;
    assert_eq!(artifact.status(), StatusCode::OK);
    let build = expect_json(b.get(&format!("/v1/builds/{number}")).await, StatusCode::OK).await;
    let sha256 = build["sha256"].as_str().expect("sha256").to_owned();
    let bytes = artifact.bytes().await.expect("bytes");
    assert_eq!(lexset_filter::checksum::sha256_hex(&bytes), sha256);
    let matched = expect_json(
        a.post_json(
            &format!("/v1/builds/{number}/match"),
            &json!({"text": "讨论法轮功的书"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(matched["hits"][0]["term"], "法輪功", "{matched}");

    // An edit through A makes B's copy stale: B's edit is refused, not applied over A's.
    let path = format!("/v1/keywords/{id}");
    expect_json(
        a.patch_json(&path, 2, &json!({"note": "from A"})).await,
        StatusCode::OK,
    )
    .await;
    expect_error(
        b.patch_json(&path, 2, &json!({"note": "from B"})).await,
        StatusCode::PRECONDITION_FAILED,
        "precondition_failed",
        "3",
    )
    .await;
}

#[tokio::test]
async fn concurrent_builds_on_two_replicas_get_distinct_numbers() {
    let a = TestApp::spawn().await;
    let b = replica_of(&a).await;
    a.approved_keyword("法轮功", "A.1.a", "block").await;
    let (one, two, three, four) = tokio::join!(a.build(), b.build(), a.build(), b.build());
    let mut numbers = vec![one, two, three, four];
    numbers.sort();
    assert_eq!(numbers, [1, 2, 3, 4]);
    let listed = expect_json(b.get("/v1/builds").await, StatusCode::OK).await;
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(4));
}

#[tokio::test]
async fn a_build_left_by_a_stopped_replica_is_marked_failed() {
    use lexset::services::leases::{LEASE, Replica};
    use lexset::services::tasks;
    use lexset::store::entities::{build, task};
    use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

    let app = TestApp::spawn().await;
    let db = sea_orm::Database::connect(database_url_of(app.data_dir(), &app.database_url))
        .await
        .expect("database");
    // A replica that started a build and stopped answering long ago.
    let gone = Replica::new(Some("gone"), std::path::Path::new(".")).expect("replica");
    let stuck = tasks::create(&db, "build", "tester", 3, &gone)
        .await
        .expect("task");
    let past = chrono::Utc::now() - chrono::Duration::from_std(LEASE * 2).expect("duration");
    task::Entity::update_many()
        .col_expr(task::Column::HeartbeatAt, past.into())
        .filter(task::Column::Id.eq(stuck.id))
        .exec(&db)
        .await
        .expect("aged");
    let compiling = build::ActiveModel {
        status: Set("compiling".to_owned()),
        task_id: Set(stuck.id),
        created_by: Set("tester".to_owned()),
        created_at: Set(chrono::Utc::now()),
        fold_profile_id: Set("p".to_owned()),
        fold_profile_hash: Set("h".to_owned()),
        ..Default::default()
    }
    .insert(&db)
    .await
    .expect("build");
    db.close().await.expect("closes");

    // Any replica starting (here a second one) sweeps it.
    let other = replica_of(&app).await;
    let polled = expect_json(
        other.get(&format!("/v1/tasks/{}", stuck.id)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(polled["status"], "failed", "{polled}");
    assert!(polled["error"].as_str().unwrap().contains("replica"));
    let failed = expect_json(
        app.get(&format!("/v1/builds/{}", compiling.number)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(failed["status"], "failed");
}

#[tokio::test]
async fn filter_service_pulls_read_the_replica_and_fall_back_to_the_primary() {
    // A read replica that has not caught up at all: a migrated, empty database.
    let dir = tempfile::tempdir().expect("temporary directory");
    let lagging = match fresh_database().await {
        Some(url) => url,
        None => format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("replica.db").display()
        ),
    };
    lexset::store::connect_and_migrate(&lagging)
        .await
        .expect("replica schema")
        .close()
        .await
        .expect("closes");
    let app = TestApp::spawn_configured(tempfile::tempdir().expect("temporary directory"), |s| {
        s.read_database_url = Some(lagging)
    })
    .await;
    app.approved_keyword("法轮功", "A.1.a", "block").await;
    let number = app.build().await;

    // The list is the replica's view: nothing replicated yet.
    let listed = expect_json(app.get("/v1/builds").await, StatusCode::OK).await;
    assert_eq!(listed["items"], json!([]));
    // What the replica lacks comes from the primary.
    let latest = expect_json(app.get("/v1/builds/latest").await, StatusCode::OK).await;
    assert_eq!(latest["number"], number);
    expect_json(
        app.get(&format!("/v1/builds/{number}")).await,
        StatusCode::OK,
    )
    .await;
    let artifact = app.get(&format!("/v1/builds/{number}/artifact")).await;
    assert_eq!(artifact.status(), StatusCode::OK);
    expect_error(
        app.get("/v1/builds/99/artifact").await,
        StatusCode::NOT_FOUND,
        "build_not_found",
        "99",
    )
    .await;
}
