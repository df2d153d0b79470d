//! Automatic persisted queries (Apollo APQ) over real HTTP: hash alone, then text and hash,
//! then hash alone again; a wrong hash; and a persisted document checked again for whoever
//! sends its hash (an anonymous client gets no further with a hash than with the text).

mod common;

use common::*;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

fn apq(hash: &str) -> Value {
    json!({"persistedQuery": {"version": 1, "sha256Hash": hash}})
}

async fn send(app: &TestApp, token: Option<&str>, body: Value) -> Value {
    let mut req = app.http.post(app.url("/graphql")).json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap().json().await.unwrap()
}

#[tokio::test]
async fn a_hash_stands_for_its_document_once_sent() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    let query = "{ me { username } plans { title } }";
    let hash = hex::encode(Sha256::digest(query.as_bytes()));
    // Unknown yet: the client is told to send the text.
    let r = send(&app, Some(&w.office), json!({"extensions": apq(&hash)})).await;
    assert_eq!(code(&r), "PERSISTED_QUERY_NOT_FOUND", "{r}");
    assert_eq!(r["errors"][0]["message"], "PersistedQueryNotFound");
    // Text and hash: answered and kept.
    let r = send(
        &app,
        Some(&w.office),
        json!({"query": query, "extensions": apq(&hash)}),
    )
    .await;
    assert_eq!(r["data"]["me"]["username"], "office", "{r}");
    // From now on the hash alone, over POST and over GET.
    let r = send(&app, Some(&w.leader), json!({"extensions": apq(&hash)})).await;
    assert_eq!(r["data"]["me"]["username"], "leader", "{r}");
    let r: Value = app
        .http
        .get(app.url("/graphql"))
        .bearer_auth(&w.leader)
        .query(&[("extensions", apq(&hash).to_string())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        r["data"]["plans"][0]["title"], "测试市碳达峰实施方案",
        "{r}"
    );
    // A hash that is not the text's is refused, and nothing is kept under it.
    let other = hex::encode(Sha256::digest(b"something else"));
    let r = send(
        &app,
        Some(&w.office),
        json!({"query": query, "extensions": apq(&other)}),
    )
    .await;
    assert_eq!(code(&r), "INVALID_INPUT", "{r}");
    let r = send(&app, Some(&w.office), json!({"extensions": apq(&other)})).await;
    assert_eq!(code(&r), "PERSISTED_QUERY_NOT_FOUND", "{r}");
    // An anonymous client with the hash of a signed-in document is refused as with its text.
    let r = send(&app, None, json!({"extensions": apq(&hash)})).await;
    assert_eq!(code(&r), "UNAUTHENTICATED", "{r}");
    // Other protocol versions are refused.
    let r = send(
        &app,
        Some(&w.office),
        json!({"extensions": {"persistedQuery": {"version": 2, "sha256Hash": hash}}}),
    )
    .await;
    assert_eq!(code(&r), "INVALID_INPUT", "{r}");
}
