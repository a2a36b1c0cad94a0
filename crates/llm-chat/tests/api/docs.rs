use crate::helpers::{Engine, TestServer, read};
use reqwest::StatusCode;

/// Every `src`/`href` in an HTML page, to check nothing points off-site.
fn linked_urls(html: &str) -> Vec<String> {
    ["src=\"", "href=\""]
        .iter()
        .flat_map(|attr| {
            html.split(attr)
                .skip(1)
                .filter_map(|rest| rest.split('"').next())
                .map(str::to_owned)
        })
        .collect()
}

#[tokio::test]
async fn the_docs_page_and_its_assets_come_from_this_server_only() {
    let server = TestServer::start(Engine::Sqlite).await;
    let response = server.get("/docs/", None).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .starts_with("default-src 'self'")
    );
    let html = response.text().await.unwrap();
    let links = linked_urls(&html);
    assert!(!links.is_empty());
    for link in &links {
        assert!(!link.contains("//"), "the docs page links off-site: {link}");
        let asset = server
            .get(&format!("/docs/{}", link.trim_start_matches("./")), None)
            .await;
        assert_eq!(asset.status(), StatusCode::OK, "{link}");
    }
    let initializer = server
        .get("/docs/swagger-initializer.js", None)
        .await
        .text()
        .await
        .unwrap();
    assert!(initializer.contains("\"validatorUrl\": \"none\""), "{initializer}");
    assert!(initializer.contains("\"url\": \"/openapi.json\""), "{initializer}");
    assert!(
        !initializer.contains("http://") && !initializer.contains("https://"),
        "{initializer}"
    );
}

#[tokio::test]
async fn the_spec_describes_every_endpoint_errors_and_bearer_auth() {
    let server = TestServer::start(Engine::Sqlite).await;
    let (status, spec) = read(server.get("/openapi.json", None).await).await;
    assert_eq!(status, StatusCode::OK);
    for (path, method) in [
        ("/api/health", "get"),
        ("/api/ready", "get"),
        ("/api/auth/register", "post"),
        ("/api/auth/login", "post"),
        ("/api/auth/me", "get"),
        ("/api/auth/logout", "post"),
        ("/api/auth/password", "put"),
        ("/api/admin/settings", "get"),
        ("/api/admin/settings", "patch"),
        ("/api/admin/users", "get"),
        ("/api/admin/users", "post"),
        ("/api/admin/users/{id}", "patch"),
        ("/api/admin/users/{id}", "delete"),
        ("/api/admin/providers", "get"),
        ("/api/admin/providers/{name}/test", "post"),
        ("/api/keys", "get"),
        ("/api/keys", "post"),
        ("/api/keys/{id}", "delete"),
        ("/v1/models", "get"),
        ("/v1/chat/completions", "post"),
        ("/api/usage", "get"),
        ("/api/admin/usage", "get"),
        ("/api/admin/users/{id}/limits", "get"),
        ("/api/admin/users/{id}/limits", "put"),
        ("/metrics", "get"),
        ("/api/search", "get"),
        ("/api/conversations/{id}/export", "get"),
        ("/api/export", "get"),
        ("/api/admin/users/{id}/export", "get"),
        ("/api/import", "post"),
    ] {
        let operation = &spec["paths"][path][method];
        assert!(operation.is_object(), "{method} {path} is missing from the spec");
        let responses = operation["responses"].as_object().unwrap();
        if path != "/api/health" {
            assert!(
                responses
                    .keys()
                    .any(|code| code.starts_with('4') || code.starts_with('5')),
                "{method} {path} documents no error"
            );
        }
    }
    // Every schema the spec refers to is in it.
    let text = spec.to_string();
    for reference in text.split("\"#/components/schemas/").skip(1) {
        let name = reference.split('"').next().unwrap();
        assert!(
            spec["components"]["schemas"][name].is_object(),
            "the spec refers to a missing schema {name}"
        );
    }
    let schemes = &spec["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["api_key"]["scheme"], "bearer");
    assert_eq!(schemes["oauth2"]["flows"]["password"]["tokenUrl"], "/api/auth/login");
    assert!(spec["components"]["schemas"]["ErrorBody"].is_object());
    let login = &spec["paths"]["/api/auth/login"]["post"]["requestBody"]["content"];
    assert!(login["application/x-www-form-urlencoded"].is_object());
    assert!(!spec.to_string().contains("http://") && !spec.to_string().contains("https://"));
}
