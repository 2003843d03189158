//! The OpenAPI document at `/api/v1/openapi.json` against the routes: every
//! documented operation is routed, no route is left out, the declared
//! security is what the handlers enforce, and the document stands alone.

use axum::body::Body;
use axum::http::Request;
use serde_json::Value;

use crate::helpers::TestApp;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

async fn document(app: &TestApp) -> Value {
    let response = app.get("/api/v1/openapi.json").await;
    assert!(response.content_type.starts_with("application/json"), "{}", response.content_type);
    response.expect(200)
}

/// A concrete URI for a templated path: every `{param}` becomes `1`.
fn concrete(path: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').expect("closed parameter") + start;
        out.push('1');
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    format!("/api/v1{out}")
}

async fn call(app: &TestApp, method: &str, uri: &str, token: Option<&str>) -> crate::helpers::TestResponse {
    let mut request =
        Request::builder().method(method.to_uppercase().as_str()).uri(uri).header("content-type", "application/json");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    app.send(request.body(Body::from("{}")).expect("valid request")).await
}

/// The router's own "no such path" answer, as opposed to a handler's 404.
fn unrouted(response: &crate::helpers::TestResponse) -> bool {
    response.status == 405
        || (response.status == 404
            && response.json()["error"]["message_en"].as_str().is_some_and(|m| m == "no such path"))
}

#[tokio::test]
async fn the_document_is_openapi_3_1_and_self_contained() {
    let app = TestApp::demo().await;
    let doc = document(&app).await;
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.1")), "{}", doc["openapi"]);
    assert_eq!(doc["servers"][0]["url"], "/api/v1");
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    // Every $ref points inside the document, at something that is there.
    let text = doc.to_string();
    for piece in text.split("\"$ref\":\"").skip(1) {
        let target = &piece[..piece.find('"').expect("closed")];
        let name =
            target.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("remote or odd $ref {target}"));
        assert!(doc["components"]["schemas"][name].is_object(), "dangling $ref {target}");
    }
    for name in ["ErrorBody", "Geometry", "CaseInput", "PatrolInput", "ActionInput"] {
        assert!(doc["components"]["schemas"][name].is_object(), "schema {name} missing");
    }
}

#[tokio::test]
async fn every_operation_declares_its_errors_in_the_error_shape() {
    let app = TestApp::demo().await;
    let doc = document(&app).await;
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            operations += 1;
            let responses = op["responses"].as_object().expect("responses");
            assert!(responses.keys().any(|s| s.starts_with('2')), "{method} {path}: no success answer");
            assert!(responses.contains_key("503"), "{method} {path}: no 503");
            for (status, response) in responses {
                if status.starts_with('4') || status.starts_with('5') {
                    let schema = &response["content"]["application/json"]["schema"]["$ref"];
                    assert_eq!(schema, "#/components/schemas/ErrorBody", "{method} {path} {status}");
                }
            }
            let takes_input = op.get("requestBody").is_some()
                || op["parameters"].as_array().is_some_and(|p| p.iter().any(|p| p["in"] != "header"));
            assert_eq!(takes_input, responses.contains_key("400"), "{method} {path}: 400 iff it takes input");
            if op.get("requestBody").is_some() {
                assert!(responses.contains_key("413") && responses.contains_key("415"), "{method} {path}");
            }
        }
    }
    assert!(operations >= 55, "only {operations} operations");
}

#[tokio::test]
async fn every_documented_operation_is_routed_and_no_other_method_is() {
    let app = TestApp::demo().await;
    let doc = document(&app).await;
    let token = app.login("admin").await;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        if path == "/logout" {
            continue; // it would end the session the others use; routed below
        }
        let uri = concrete(path);
        for method in METHODS {
            let response = call(&app, method, &uri, Some(&token)).await;
            if item.get(method).is_some() {
                assert!(!unrouted(&response), "documented {method} {path} is not routed: {}", response.text);
            } else {
                assert_eq!(response.status, 405, "undocumented {method} {path} answers: {}", response.text);
            }
        }
    }
    let response = call(&app, "post", "/api/v1/logout", Some(&token)).await;
    assert_eq!(response.status, 204, "{}", response.text);
}

#[tokio::test]
async fn declared_security_is_what_the_handlers_enforce() {
    let app = TestApp::demo().await;
    let doc = document(&app).await;
    let global = doc["security"].as_array().is_some_and(|s| !s.is_empty());
    let mut public = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let secured = op.get("security").map_or(global, |s| {
                s.as_array().is_some_and(|a| a.iter().any(|r| r.as_object().is_some_and(|o| !o.is_empty())))
            });
            let response = call(&app, method, &concrete(path), None).await;
            if secured {
                response.expect_error(401, "unauthenticated");
                assert!(op["responses"].get("401").is_some(), "{method} {path}");
            } else {
                assert_ne!(response.status, 401, "public {method} {path} asks for a session: {}", response.text);
                public.push(format!("{method} {path}"));
            }
        }
    }
    public.sort();
    let expected = [
        "get /categories",
        "get /grids",
        "get /grids/{code}",
        "get /locate",
        "get /openapi.json",
        "get /rivers",
        "get /rivers/{code}",
        "get /verify/{number}",
        "post /login",
    ];
    assert_eq!(public, expected);
}

#[test]
fn no_route_of_the_api_bypasses_the_document() {
    // Routes of /api/v1 come only from `routes!(..)` in `documented()`, which
    // adds each to the document; a plain `.route`, `.nest` or `.merge` there,
    // or another /api/v1 route beside the nest, would add one it lacks.
    let api = include_str!("../../src/http/api/mod.rs");
    let body = api.split("fn documented()").nth(1).expect("fn documented").split("\n}\n").next().expect("its body");
    for bypass in [".route(", ".route_service(", ".nest(", ".nest_service(", ".merge(", ".fallback("] {
        assert!(!body.contains(bypass), "documented() uses {bypass}");
    }
    let routers = include_str!("../../src/http/mod.rs");
    let api_lines: Vec<&str> = routers.lines().filter(|l| l.contains("\"/api")).collect();
    assert_eq!(api_lines, ["        .nest(\"/api/v1\", api::routes())"]);
}

#[tokio::test]
async fn a_body_that_is_not_json_is_415_in_the_error_shape() {
    let app = TestApp::demo().await;
    let inspector = app.login("tf0101.safety").await;
    let before = crate::cases::count(&app, "cases");
    // Routes that parse through the JSON extractor and routes that hash the raw bytes alike.
    for (uri, body) in [
        ("/api/v1/cases", "{}"),
        ("/api/v1/patrols", "{}"),
        ("/api/v1/categories", "{}"),
        ("/api/v1/cases/TF-2026-000001/actions", "{}"),
    ] {
        for content_type in [None, Some("text/plain"), Some("application/x-www-form-urlencoded")] {
            let mut request = Request::post(uri).header("authorization", format!("Bearer {inspector}"));
            if let Some(content_type) = content_type {
                request = request.header("content-type", content_type);
            }
            let response = app.send(request.body(Body::from(body)).expect("valid request")).await;
            response.expect_error(415, "unsupported_media_type");
        }
    }
    assert_eq!(crate::cases::count(&app, "cases"), before);
    let media = Request::post("/api/v1/media")
        .header("authorization", format!("Bearer {inspector}"))
        .header("content-type", "image/jpeg")
        .body(Body::from(vec![0xFF, 0xD8, 0xFF]))
        .expect("valid request");
    app.send(media).await.expect_error(415, "unsupported_media_type");
}
