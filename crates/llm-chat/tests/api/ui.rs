use crate::helpers::{Engine, TestServer, error_code, read};
use reqwest::StatusCode;

async fn get_html(server: &TestServer, path: &str) -> reqwest::Response {
    server
        .client
        .get(server.url(path))
        .header("accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_web_ui_is_served_at_the_root_and_revalidated_on_every_load() {
    let server = TestServer::start(Engine::Sqlite).await;
    let response = get_html(&server, "/").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-cache");
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(response.headers().contains_key("etag"));
    let html = response.text().await.unwrap();
    assert!(html.contains("<div id=\"app\">"), "{html}");
}

#[tokio::test]
async fn hashed_assets_are_cached_for_a_year_with_their_type() {
    let server = TestServer::start(Engine::Sqlite).await;
    let html = get_html(&server, "/").await.text().await.unwrap();
    let script = html
        .split("src=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .find(|src| src.starts_with("/assets/") && src.ends_with(".js"))
        .expect("index.html loads a script from /assets/");
    let response = server.get(script, None).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(response.headers()["content-type"], "text/javascript; charset=utf-8");
    let etag = response.headers()["etag"].clone();
    let again = server
        .client
        .get(server.url(script))
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
}

#[tokio::test]
async fn page_addresses_load_the_app_but_the_api_keeps_its_json_404() {
    let server = TestServer::start(Engine::Sqlite).await;
    for path in ["/c/0190f5a4-7c1e-7000-8000-000000000000", "/settings"] {
        let response = get_html(&server, path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert!(response.text().await.unwrap().contains("<div id=\"app\">"));
    }
    for path in ["/api/nothing-here", "/assets/missing.js", "/v1/nothing"] {
        let (status, body) = read(get_html(&server, path).await).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(error_code(&body), "not_found", "{path}");
    }
    // A program (no text/html in Accept) gets the JSON 404 everywhere.
    let (status, body) = read(server.get("/somewhere", None).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&body), "not_found");
}
