use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TestApp, expect_json};

#[tokio::test]
async fn risks_are_the_31_of_appendix_a_in_order() {
    let app = TestApp::spawn().await;
    let risks = expect_json(app.get("/v1/risks").await, StatusCode::OK).await;
    let items = risks["items"].as_array().unwrap();
    assert_eq!(items.len(), 31);
    let codes: Vec<&str> = items.iter().map(|r| r["code"].as_str().unwrap()).collect();
    assert_eq!(codes[0], "A.1.a");
    assert_eq!(codes[8], "A.2.a");
    assert_eq!(codes[30], "A.5.b");
    let first = &items[0];
    assert_eq!(first["name_zh"], "煽动颠覆国家政权、推翻社会主义制度");
    assert_eq!(first["group_code"], "A.1");
    assert_eq!(first["group_name_zh"], "包含违反社会主义核心价值观的内容");
    assert!(first.get("position").is_none());
}

#[tokio::test]
async fn aspects_are_the_13_of_section_8_3() {
    let app = TestApp::spawn().await;
    let aspects = expect_json(app.get("/v1/aspects").await, StatusCode::OK).await;
    let names: Vec<&str> = aspects["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name_zh"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "我国制度",
            "信仰",
            "形象",
            "文化",
            "习俗",
            "民族",
            "地理",
            "历史",
            "英烈",
            "性别",
            "年龄",
            "职业",
            "健康"
        ]
    );
}

#[tokio::test]
async fn a_restart_reloads_the_seeds_without_touching_entries() {
    let app = TestApp::spawn().await;
    let keyword = app.create_keyword("词", "A.1.a").await;
    let (data_dir, database_url) = app.stop().await;
    let restarted = TestApp::spawn_on(data_dir, database_url).await;
    let risks = expect_json(restarted.get("/v1/risks").await, StatusCode::OK).await;
    assert_eq!(risks["items"].as_array().map(Vec::len), Some(31));
    let path = format!("/v1/keywords/{}", keyword["id"]);
    let fetched: Value = expect_json(restarted.get(&path).await, StatusCode::OK).await;
    assert_eq!(fetched, keyword);
}
