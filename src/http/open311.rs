//! Open311 GeoReport v2 under `/open311/v2` (SPEC §9): `discovery`,
//! `services`, `services/{code}`, `requests` and `requests/{id}`, each as
//! `.json` or `.xml` (the standard's required format), public (the `georeport`
//! client sends no credentials). What is shown, and whether the view is on, is
//! `service::open311`'s; this module only writes the answers.
//!
//! Errors have the standard's shape, not the JSON API's: `[{"code",
//! "description"}]` or `<errors><error><code/><description/></error></errors>`,
//! the description Chinese first with the English in brackets; 5xx
//! descriptions stay opaque and the error is logged by the request logger.

use std::convert::Infallible;
use std::io;
use std::sync::Arc;

use axum::Router;
use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequestParts, Path, RawQuery, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};
use serde::Serialize;

use crate::app::App;
use crate::error::{Error, Msg};
use crate::http::error::{LoggedError, status};
use crate::service::open311::{self, Discovery, Requests, Service, ServiceDefinition, ServiceRequest};

/// Routes under `/open311/v2`.
pub fn routes() -> Router<App> {
    Router::new()
        .route("/discovery.json", get(show_discovery))
        .route("/discovery.xml", get(show_discovery))
        .route("/services.json", get(list_services))
        .route("/services.xml", get(list_services))
        .route("/services/{file}", get(show_service))
        .route("/requests.json", get(list_requests))
        .route("/requests.xml", get(list_requests))
        .route("/requests/{file}", get(show_request))
        .fallback(no_such_path)
        .layer(axum::middleware::map_response(allow_any_origin))
}

/// The answer's format, from the path's extension (`.xml`, else JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `application/json`.
    Json,
    /// `text/xml`.
    Xml,
}

impl<S: Send + Sync> FromRequestParts<S> for Format {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let xml = std::path::Path::new(parts.uri.path()).extension().is_some_and(|e| e == "xml");
        Ok(if xml { Self::Xml } else { Self::Json })
    }
}

/// An error in the standard's shape and the request's format.
struct Failure(Format, Error);

type Answer = Result<Response, Failure>;

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let Self(format, error) = self;
        let code = status(&error);
        let description = match error.message() {
            Some(msg) if !code.is_server_error() => msg.to_string(),
            _ => Msg::new("服务器内部错误，已记录，请联系管理员", "internal server error; it has been logged")
                .to_string(),
        };
        let mut response = match format {
            Format::Json => {
                (code, axum::Json(serde_json::json!([{"code": code.as_u16(), "description": description}])))
                    .into_response()
            }
            Format::Xml => {
                let code_text = code.as_u16().to_string();
                let body = xml_document(|w| {
                    element(w, "errors", |w| {
                        element(w, "error", |w| {
                            text(w, "code", &code_text)?;
                            text(w, "description", &description)
                        })
                    })
                });
                xml_response(code, body)
            }
        };
        if matches!(error, Error::Busy(_)) {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        if code.is_server_error() {
            response.extensions_mut().insert(LoggedError(Arc::new(format!("{error:#}"))));
        }
        response
    }
}

fn failing(format: Format) -> impl Fn(Error) -> Failure {
    move |error| Failure(format, error)
}

/// The file part of `services/{file}` or `requests/{file}`: its stem, when it
/// ends in `.json` or `.xml`.
fn stem(file: Result<Path<String>, PathRejection>, format: Format) -> Result<String, Failure> {
    let unknown = || Failure(format, Error::not_found("没有这个地址", "no such path"));
    let Path(file) = file.map_err(|_| unknown())?;
    let stem = file.strip_suffix(".json").or_else(|| file.strip_suffix(".xml")).ok_or_else(unknown)?;
    Ok(stem.to_owned())
}

/// `GET /open311/v2/discovery.{json,xml}`: where the endpoint is and what it speaks.
async fn show_discovery(State(app): State<App>, format: Format) -> Answer {
    let discovery = app.store.read(open311::discovery).await.map_err(failing(format))?;
    Ok(answer(format, &discovery, xml_discovery))
}

/// `GET /open311/v2/services.{json,xml}`: one service per leaf case category.
async fn list_services(State(app): State<App>, format: Format) -> Answer {
    let services = app.store.read(open311::services).await.map_err(failing(format))?;
    Ok(answer(format, &services, |w, s| xml_services(w, s)))
}

/// `GET /open311/v2/services/{code}.{json,xml}`: a service's definition (no attributes).
async fn show_service(State(app): State<App>, format: Format, file: Result<Path<String>, PathRejection>) -> Answer {
    let code = stem(file, format)?;
    let definition = app.store.read(move |c| open311::service_definition(c, &code)).await.map_err(failing(format))?;
    Ok(answer(format, &definition, xml_definition))
}

/// `GET /open311/v2/requests.{json,xml}?service_request_id=&service_code=&status=&start_date=&end_date=`:
/// at most 1,000 cases, newest first; `X-More-Results: true` when the window held more.
async fn list_requests(State(app): State<App>, format: Format, RawQuery(query): RawQuery) -> Answer {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.as_deref().unwrap_or("")).map_err(|_| {
        Failure(format, Error::invalid("query", "查询参数无法解析", "the query string cannot be parsed"))
    })?;
    let (maps, now_s) = (app.maps(), app.now_s());
    let Requests { requests, more } =
        app.store.read(move |c| open311::requests(c, &maps, &pairs, now_s)).await.map_err(failing(format))?;
    let mut response = answer(format, &requests, |w, r| xml_requests(w, r));
    if more {
        response.headers_mut().insert("x-more-results", HeaderValue::from_static("true"));
    }
    Ok(response)
}

/// `GET /open311/v2/requests/{id}.{json,xml}`: one case, as an array of one.
async fn show_request(State(app): State<App>, format: Format, file: Result<Path<String>, PathRejection>) -> Answer {
    let number = stem(file, format)?;
    let (maps, now_s) = (app.maps(), app.now_s());
    let request = app.store.read(move |c| open311::request(c, &maps, &number, now_s)).await.map_err(failing(format))?;
    let one = [request];
    Ok(answer(format, &one[..], xml_requests))
}

async fn no_such_path(format: Format) -> Failure {
    Failure(format, Error::not_found("没有这个地址", "no such path"))
}

/// Outside tools may read the view from a browser page of their own: it is public and needs no credentials.
async fn allow_any_origin(mut response: Response) -> Response {
    response.headers_mut().insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    response
}

/// The value as JSON, or written by `xml`.
fn answer<T: Serialize + ?Sized>(
    format: Format,
    value: &T,
    xml: impl FnOnce(&mut Xml, &T) -> io::Result<()>,
) -> Response {
    match format {
        Format::Json => axum::Json(value).into_response(),
        Format::Xml => xml_response(StatusCode::OK, xml_document(|w| xml(w, value))),
    }
}

fn xml_response(code: StatusCode, body: Vec<u8>) -> Response {
    (code, [(header::CONTENT_TYPE, HeaderValue::from_static("text/xml; charset=utf-8"))], body).into_response()
}

type Xml = Writer<Vec<u8>>;

/// A whole XML document: the declaration, then what `body` writes.
fn xml_document(body: impl FnOnce(&mut Xml) -> io::Result<()>) -> Vec<u8> {
    let mut w = Writer::new(Vec::new());
    // Writing into a Vec cannot fail.
    let _ = w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None))).and_then(|()| body(&mut w));
    w.into_inner()
}

fn element(w: &mut Xml, name: &str, inner: impl FnOnce(&mut Xml) -> io::Result<()>) -> io::Result<()> {
    w.create_element(name).write_inner_content(inner).map(drop)
}

/// `<name>value</name>`, escaped; characters XML 1.0 cannot carry at all
/// (control characters, U+FFFE, U+FFFF) become U+FFFD.
fn text(w: &mut Xml, name: &str, value: &str) -> io::Result<()> {
    let allowed = |c: char| matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}');
    let clean: std::borrow::Cow<'_, str> = if value.chars().all(allowed) {
        value.into()
    } else {
        value.chars().map(|c| if allowed(c) { c } else { '\u{FFFD}' }).collect::<String>().into()
    };
    w.create_element(name).write_text_content(BytesText::new(&clean)).map(drop)
}

/// [`text`], or an empty element for a missing value.
fn optional(w: &mut Xml, name: &str, value: Option<&str>) -> io::Result<()> {
    match value {
        Some(v) => text(w, name, v),
        None => w.create_element(name).write_empty().map(drop),
    }
}

fn xml_discovery(w: &mut Xml, d: &Discovery) -> io::Result<()> {
    element(w, "discovery", |w| {
        text(w, "changeset", &d.changeset)?;
        text(w, "contact", &d.contact)?;
        text(w, "key_service", &d.key_service)?;
        element(w, "endpoints", |w| {
            for e in &d.endpoints {
                element(w, "endpoint", |w| {
                    text(w, "specification", &e.specification)?;
                    text(w, "url", &e.url)?;
                    text(w, "changeset", &e.changeset)?;
                    text(w, "type", &e.kind)?;
                    element(w, "formats", |w| e.formats.iter().try_for_each(|f| text(w, "format", f)))
                })?;
            }
            Ok(())
        })
    })
}

fn xml_services(w: &mut Xml, services: &[Service]) -> io::Result<()> {
    element(w, "services", |w| {
        for s in services {
            element(w, "service", |w| {
                text(w, "service_code", &s.service_code)?;
                text(w, "service_name", &s.service_name)?;
                text(w, "description", &s.description)?;
                text(w, "metadata", if s.metadata { "true" } else { "false" })?;
                text(w, "type", &s.kind)?;
                text(w, "keywords", &s.keywords)?;
                text(w, "group", &s.group)
            })?;
        }
        Ok(())
    })
}

fn xml_definition(w: &mut Xml, d: &ServiceDefinition) -> io::Result<()> {
    element(w, "service_definition", |w| {
        text(w, "service_code", &d.service_code)?;
        element(w, "attributes", |w| d.attributes.iter().try_for_each(|a| text(w, "attribute", a)))
    })
}

fn xml_requests(w: &mut Xml, requests: &[ServiceRequest]) -> io::Result<()> {
    element(w, "service_requests", |w| {
        for r in requests {
            element(w, "request", |w| {
                text(w, "service_request_id", &r.service_request_id)?;
                text(w, "status", &r.status)?;
                text(w, "status_notes", &r.status_notes)?;
                text(w, "service_name", &r.service_name)?;
                text(w, "service_code", &r.service_code)?;
                text(w, "description", &r.description)?;
                text(w, "agency_responsible", &r.agency_responsible)?;
                optional(w, "service_notice", r.service_notice.as_deref())?;
                text(w, "requested_datetime", &r.requested_datetime)?;
                text(w, "updated_datetime", &r.updated_datetime)?;
                optional(w, "expected_datetime", r.expected_datetime.as_deref())?;
                text(w, "address", &r.address)?;
                text(w, "lat", &r.lat.to_string())?;
                text(w, "long", &r.lon.to_string())
            })?;
        }
        Ok(())
    })
}
