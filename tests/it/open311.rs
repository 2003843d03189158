//! Open311 GeoReport v2 under `/open311/v2`, as an outside tool sees it: no
//! session, JSON and XML (parsed back with quick-xml), the standard's
//! parameters and error shape, nothing personal, and a setting that turns it off.

use std::collections::BTreeSet;

use gridsafe::domain::time::china_timestamp;
use gridsafe::service::open311::{self, RequestQuery};
use gridsafe::store::cases::CaseRow;
use quick_xml::Reader;
use quick_xml::events::Event;
use serde_json::Value;

use crate::helpers::{NOW, TestApp, TestResponse};

/// The demo town with 120 cases over the last half year, in every state.
async fn town() -> TestApp {
    let app = TestApp::demo().await;
    let maps = app.app.maps();
    app.app.store.write(move |c| gridsafe::demo::seed_cases(c, &maps, NOW, 120)).await.unwrap();
    app
}

async fn cases(app: &TestApp) -> Vec<CaseRow> {
    app.app.store.read(gridsafe::store::cases::list).await.unwrap()
}

async fn sql(app: &TestApp, statement: &'static str) {
    app.app.store.write(move |c| Ok(c.execute_batch(statement)?)).await.unwrap();
}

/// An element of a parsed XML document.
#[derive(Debug, Default)]
struct Node {
    name: String,
    text: String,
    children: Vec<Node>,
}

impl Node {
    #[track_caller]
    fn child(&self, name: &str) -> &Node {
        self.children.iter().find(|c| c.name == name).unwrap_or_else(|| panic!("no <{name}> in <{}>", self.name))
    }

    fn all(&self, name: &str) -> Vec<&Node> {
        self.children.iter().filter(|c| c.name == name).collect()
    }

    #[track_caller]
    fn text_of(&self, name: &str) -> &str {
        &self.child(name).text
    }
}

/// Every text in a tree, depth first.
fn texts<'a>(node: &'a Node, out: &mut Vec<&'a str>) {
    out.push(&node.text);
    node.children.iter().for_each(|c| texts(c, out));
}

/// Parses a whole XML document (declaration, one root, matching end tags,
/// references resolved) and returns its root; panics with the text if it is not well formed.
#[track_caller]
fn parse_xml(xml: &str) -> Node {
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"), "no declaration: {xml}");
    let mut reader = Reader::from_str(xml);
    let mut open = vec![Node::default()];
    loop {
        let event = reader.read_event().unwrap_or_else(|e| panic!("not well-formed XML ({e}): {xml}"));
        match event {
            Event::Start(e) => {
                open.push(Node { name: e.name().as_ref().to_owned(), ..Node::default() });
            }
            Event::Empty(e) => {
                let name = e.name().as_ref().to_owned();
                open.last_mut().unwrap().children.push(Node { name, ..Node::default() });
            }
            Event::End(_) => {
                let node = open.pop().unwrap();
                open.last_mut().expect("an end tag without a start").children.push(node);
            }
            Event::Text(t) => open.last_mut().unwrap().text.push_str(&t.xml10_content()),
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref().unwrap() {
                    Some(c) => c.to_string(),
                    None => quick_xml::escape::resolve_predefined_entity(&r.xml10_content())
                        .unwrap_or_else(|| panic!("an undefined entity in {xml}"))
                        .to_owned(),
                };
                open.last_mut().unwrap().text.push_str(&resolved);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(open.len(), 1, "unclosed elements: {xml}");
    let mut document = open.pop().unwrap();
    assert_eq!(document.children.len(), 1, "one root element: {xml}");
    let root = document.children.pop().unwrap();
    let legal = |c: char| matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}');
    let mut all = Vec::new();
    texts(&root, &mut all);
    assert!(all.iter().all(|t| t.chars().all(legal)), "a character XML 1.0 cannot carry: {xml}");
    root
}

/// Asserts an Open311 error: the status, the standard's JSON array of one
/// `{code, description}`, the description Chinese first; returns the description.
#[track_caller]
fn expect_json_error(response: &TestResponse, status: u16) -> String {
    let body = response.expect(status);
    let errors = body.as_array().unwrap_or_else(|| panic!("not an error array: {}", response.text));
    assert_eq!(errors.len(), 1, "{}", response.text);
    assert_eq!(errors[0]["code"], status, "{}", response.text);
    let description = errors[0]["description"].as_str().unwrap().to_owned();
    let (zh, en) = description.split_once(" (").unwrap_or_else(|| panic!("English in brackets: {description}"));
    assert!(zh.chars().any(|c| c > '\u{2E80}'), "Chinese first: {description}");
    assert!(en.ends_with(')') && en.is_ascii(), "then English: {description}");
    description
}

/// The same for `.xml`: `<errors><error><code/><description/></error></errors>`.
#[track_caller]
fn expect_xml_error(response: &TestResponse, status: u16) -> String {
    assert_eq!(response.status.as_u16(), status, "{}", response.text);
    assert!(response.content_type.starts_with("text/xml"), "{}", response.content_type);
    let root = parse_xml(&response.text);
    assert_eq!(root.name, "errors");
    let errors = root.all("error");
    assert_eq!(errors.len(), 1, "{}", response.text);
    assert_eq!(errors[0].text_of("code"), status.to_string());
    errors[0].text_of("description").to_owned()
}

const REQUEST_FIELDS: [&str; 14] = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "lat",
    "long",
];

fn ids(body: &Value) -> Vec<String> {
    body.as_array().unwrap().iter().map(|r| r["service_request_id"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn discovery_names_the_endpoint_and_both_formats() {
    let app = town().await;
    let json = app.get("/open311/v2/discovery.json").await;
    let body = json.expect(200);
    assert_eq!(json.headers["access-control-allow-origin"], "*");
    let endpoint = &body["endpoints"][0];
    assert_eq!(endpoint["specification"], "http://wiki.open311.org/GeoReport_v2");
    assert!(endpoint["url"].as_str().unwrap().ends_with("/open311/v2"), "{body}");
    assert_eq!(endpoint["type"], "production");
    assert_eq!(endpoint["formats"], serde_json::json!(["text/xml", "application/json"]));
    assert!(body["contact"].as_str().unwrap().contains("人民政府"), "{body}");

    let xml = app.get("/open311/v2/discovery.xml").await;
    assert_eq!(xml.status, 200);
    assert!(xml.content_type.starts_with("text/xml"), "{}", xml.content_type);
    let root = parse_xml(&xml.text);
    assert_eq!(root.name, "discovery");
    let endpoint = root.child("endpoints").child("endpoint");
    assert_eq!(endpoint.text_of("url"), body["endpoints"][0]["url"].as_str().unwrap());
    let formats: Vec<&str> = endpoint.child("formats").all("format").iter().map(|f| f.text.as_str()).collect();
    assert_eq!(formats, ["text/xml", "application/json"]);
}

#[tokio::test]
async fn services_are_the_leaf_categories_in_json_and_xml() {
    let app = town().await;
    // A retired category stays a service: the cases filed under it are still listed.
    app.app.store.write(|c| gridsafe::store::cases::update_category(c, "S-B03", None, Some(false))).await.unwrap();
    let leaves: Vec<(String, String)> = app
        .app
        .store
        .read(gridsafe::store::cases::categories_with_retired)
        .await
        .unwrap()
        .into_iter()
        .filter(|(c, _)| c.parent.is_some())
        .map(|(c, _)| (c.code, c.name))
        .collect();
    let body = app.get("/open311/v2/services.json").await.expect(200);
    let services = body.as_array().unwrap();
    let listed: Vec<(String, String)> = services
        .iter()
        .map(|s| (s["service_code"].as_str().unwrap().to_owned(), s["service_name"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(listed, leaves);
    let fire = services.iter().find(|s| s["service_code"] == "S-F09").unwrap();
    assert_eq!(fire["service_name"], "消防安全");
    assert_eq!(fire["group"], "现场管理类");
    assert_eq!(fire["metadata"], false);
    assert_eq!(fire["type"], "realtime");
    assert!(fire["keywords"].as_str().unwrap().contains("safety"));
    let retired = services.iter().find(|s| s["service_code"] == "S-B03").unwrap();
    assert!(retired["description"].as_str().unwrap().contains("已停用"), "{retired}");

    let xml = app.get("/open311/v2/services.xml").await;
    assert_eq!(xml.status, 200);
    let root = parse_xml(&xml.text);
    assert_eq!(root.name, "services");
    let xml_services = root.all("service");
    assert_eq!(xml_services.len(), services.len());
    for (x, j) in xml_services.iter().zip(services) {
        for field in ["service_code", "service_name", "description", "type", "keywords", "group"] {
            assert_eq!(x.text_of(field), j[field].as_str().unwrap(), "{field}");
        }
        assert_eq!(x.text_of("metadata"), "false");
    }
}

#[tokio::test]
async fn a_service_definition_has_no_attributes_and_an_unknown_code_is_404() {
    let app = town().await;
    let body = app.get("/open311/v2/services/S-F09.json").await.expect(200);
    assert_eq!(body, serde_json::json!({"service_code": "S-F09", "attributes": []}));
    let xml = app.get("/open311/v2/services/S-F09.xml").await;
    let root = parse_xml(&xml.text);
    assert_eq!(root.name, "service_definition");
    assert_eq!(root.text_of("service_code"), "S-F09");
    assert!(root.child("attributes").children.is_empty());
    // A first-level category is a group, not a service.
    let description = expect_json_error(&app.get("/open311/v2/services/S-F.json").await, 404);
    assert!(description.contains("S-F"), "{description}");
    expect_xml_error(&app.get("/open311/v2/services/NOPE.xml").await, 404);
    expect_json_error(&app.get("/open311/v2/services/S-F09").await, 404);
}

#[tokio::test]
async fn requests_default_to_the_last_90_days_newest_first() {
    let app = town().await;
    let since = china_timestamp(NOW - 90 * 86_400);
    let now = china_timestamp(NOW);
    let mut expected: Vec<CaseRow> =
        cases(&app).await.into_iter().filter(|c| c.reported_at >= since && c.reported_at <= now).collect();
    expected.sort_by(|a, b| b.reported_at.cmp(&a.reported_at));
    let older = cases(&app).await.iter().filter(|c| c.reported_at < since).count();
    assert!(expected.len() > 20 && older > 20, "the seed spans more than the window");

    let response = app.get("/open311/v2/requests.json").await;
    let body = response.expect(200);
    assert!(response.headers.get("x-more-results").is_none());
    let numbers: Vec<String> = expected.iter().map(|c| c.number.clone()).collect();
    assert_eq!(ids(&body), numbers);
    for request in body.as_array().unwrap() {
        let keys: Vec<&str> = request.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys.iter().copied().collect::<BTreeSet<_>>(), REQUEST_FIELDS.into_iter().collect());
        let requested = request["requested_datetime"].as_str().unwrap();
        assert!(requested.ends_with("+08:00") && requested >= since.as_str(), "{request}");
        assert!(request["updated_datetime"].as_str().unwrap() >= requested, "{request}");
    }

    // Explicit dates in any zone: the same instants.
    let start = "2026-11-01T00:00:00Z";
    let end = "2026-11-10T12:00:00-04:00";
    let body = app.get(&format!("/open311/v2/requests.json?start_date={start}&end_date={end}")).await.expect(200);
    let (from, to) = ("2026-11-01T08:00:00+08:00", "2026-11-11T00:00:00+08:00");
    let numbers: Vec<String> = expected
        .iter()
        .filter(|c| c.reported_at.as_str() >= from && c.reported_at.as_str() <= to)
        .map(|c| c.number.clone())
        .collect();
    assert!(!numbers.is_empty());
    assert_eq!(ids(&body), numbers);
    // One date alone reaches 90 days from it.
    let end = china_timestamp(NOW).replace('+', "%2B");
    let body = app.get(&format!("/open311/v2/requests.json?end_date={end}")).await.expect(200);
    assert_eq!(body.as_array().unwrap().len(), expected.len());
}

#[tokio::test]
async fn requests_filter_by_ids_service_code_and_status() {
    let app = town().await;
    let all = app.get("/open311/v2/requests.json").await.expect(200);
    let all = all.as_array().unwrap().clone();
    let closed: Vec<&Value> = all.iter().filter(|r| r["status"] == "closed").collect();
    let open: Vec<&Value> = all.iter().filter(|r| r["status"] == "open").collect();
    assert!(!closed.is_empty() && !open.is_empty());

    let body = app.get("/open311/v2/requests.json?status=closed").await.expect(200);
    assert_eq!(body.as_array().unwrap().len(), closed.len());
    assert!(body.as_array().unwrap().iter().all(|r| r["status"] == "closed"));
    let body = app.get("/open311/v2/requests.json?status=open").await.expect(200);
    assert_eq!(body.as_array().unwrap().len(), open.len());
    let body = app.get("/open311/v2/requests.json?status=open,closed").await.expect(200);
    assert_eq!(body.as_array().unwrap().len(), all.len());

    let code = all[0]["service_code"].as_str().unwrap().to_owned();
    let other = all.iter().map(|r| r["service_code"].as_str().unwrap()).find(|c| *c != code).unwrap().to_owned();
    let of = |codes: &[&str]| all.iter().filter(|r| codes.contains(&r["service_code"].as_str().unwrap())).count();
    let body = app.get(&format!("/open311/v2/requests.json?service_code={code}")).await.expect(200);
    assert_eq!(body.as_array().unwrap().len(), of(&[&code]));
    let body = app.get(&format!("/open311/v2/requests.json?service_code={code},{other}&status=open")).await.expect(200);
    let expected = all
        .iter()
        .filter(|r| {
            r["status"] == "open" && [code.as_str(), other.as_str()].contains(&r["service_code"].as_str().unwrap())
        })
        .count();
    assert_eq!(body.as_array().unwrap().len(), expected);
    // Unknown parameters of other tools (jurisdiction_id, api_key) are ignored.
    let body = app.get("/open311/v2/requests.json?jurisdiction_id=tanfang&api_key=x&extensions=true").await;
    assert_eq!(body.expect(200).as_array().unwrap().len(), all.len());

    // Ids override every other parameter, and reach cases older than the window.
    let oldest = cases(&app).await.into_iter().min_by(|a, b| a.reported_at.cmp(&b.reported_at)).unwrap().number;
    let first = all[0]["service_request_id"].as_str().unwrap();
    let uri =
        format!("/open311/v2/requests.json?service_request_id={oldest},{first},NOPE-1&status=open&service_code=X");
    let body = app.get(&uri).await.expect(200);
    assert_eq!(ids(&body), [oldest.clone(), first.to_owned()]);
    let xml = app.get(&format!("/open311/v2/requests.xml?service_request_id={oldest}")).await;
    let root = parse_xml(&xml.text);
    assert_eq!(root.name, "service_requests");
    assert_eq!(root.all("request").len(), 1);
    assert_eq!(root.child("request").text_of("service_request_id"), oldest);
}

#[tokio::test]
async fn the_fields_map_status_times_agency_and_place() {
    let app = town().await;
    let rows = cases(&app).await;
    let issuer = app.app.store.read(|c| gridsafe::store::documents::setting(c, "issuer")).await.unwrap().unwrap();
    let numbers: Vec<&str> = rows.iter().map(|c| c.number.as_str()).collect();
    let body = app.get(&format!("/open311/v2/requests.json?service_request_id={}", numbers.join(","))).await;
    let body = body.expect(200);
    assert_eq!(body.as_array().unwrap().len(), rows.len());
    let maps = app.app.maps();
    let mut transferred = 0;
    for (row, request) in rows.iter().zip(body.as_array().unwrap()) {
        assert_eq!(request["service_request_id"], row.number.as_str());
        let closed = row.status == "closed" || row.status == "cancelled";
        assert_eq!(request["status"], if closed { "closed" } else { "open" }, "{request}");
        assert_eq!(request["service_code"], row.category.as_str());
        assert_eq!(request["description"], row.description.as_str());
        assert_eq!(request["requested_datetime"], row.reported_at.as_str());
        match &row.deadline {
            Some(d) => assert_eq!(request["expected_datetime"], format!("{d}T23:59:59+08:00")),
            None => assert!(request["expected_datetime"].is_null()),
        }
        match &row.transferred_to {
            Some(department) => {
                transferred += 1;
                assert_eq!(request["agency_responsible"], department.as_str());
                assert!(request["status_notes"].as_str().unwrap().contains(department.as_str()));
            }
            None => assert_eq!(request["agency_responsible"], issuer.as_str()),
        }
        // serde_json parses floats to within an ulp (its writer is exact).
        assert!((request["lat"].as_f64().unwrap() - row.lat).abs() < 1e-9, "{request}");
        assert!((request["long"].as_f64().unwrap() - row.lon).abs() < 1e-9, "{request}");
        let village = &maps.grid(&row.grid_code).unwrap().grid.name;
        let address = request["address"].as_str().unwrap();
        assert!(address.starts_with("谭坊镇") && address.ends_with(village.as_str()), "{address}");
        if row.version > 1 {
            assert!(request["updated_datetime"].as_str().unwrap() > row.reported_at.as_str(), "{request}");
        }
    }
    assert!(transferred > 0, "the seed transfers some major hazards");
    let notes: BTreeSet<&str> = body.as_array().unwrap().iter().map(|r| r["status_notes"].as_str().unwrap()).collect();
    assert!(notes.iter().any(|n| n.starts_with("已验收销号 (signed off")), "{notes:?}");
    assert!(notes.iter().any(|n| n.contains("已超期") && n.contains("overdue")), "{notes:?}");
}

#[tokio::test]
async fn at_most_1000_requests_are_answered() {
    let app = town().await;
    // 1,100 more filings this morning, one a second from 08:00.
    sql(
        &app,
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1100)
         INSERT INTO cases (number, kind, category_code, grade, title, description, lon, lat, grid_code,
                            reporter_id, status, reported_at)
         SELECT printf('TF-2026-9%05d', i), kind, category_code, grade, title, description, lon, lat, grid_code,
                reporter_id, 'reported', strftime('%Y-%m-%dT%H:%M:%S+08:00', '2026-11-18 08:00:00', '+' || i || ' seconds')
         FROM n, (SELECT * FROM cases ORDER BY id LIMIT 1)",
    )
    .await;
    let response = app.get("/open311/v2/requests.json").await;
    let body = response.expect(200);
    assert_eq!(body.as_array().unwrap().len(), 1000);
    assert_eq!(response.headers["x-more-results"], "true");
    // Newest first: the last of the extra filings leads.
    assert_eq!(body[0]["service_request_id"], "TF-2026-901100");
    assert_eq!(body[999]["service_request_id"], "TF-2026-900101");
    let xml = app.get("/open311/v2/requests.xml").await;
    assert_eq!(parse_xml(&xml.text).all("request").len(), 1000);
    // A narrower window answers all of itself: 08:10:00 to 08:18:20.
    let response = app.get("/open311/v2/requests.json?start_date=2026-11-18T08:10:00%2B08:00").await;
    assert!(response.headers.get("x-more-results").is_none());
    assert_eq!(response.expect(200).as_array().unwrap().len(), 501);
}

#[tokio::test]
async fn bad_parameters_get_the_standards_error_array() {
    let app = town().await;
    for (query, field) in [
        ("start_date=2026-11-01", "start_date"),
        ("end_date=yesterday", "end_date"),
        ("start_date=2026-02-30T00:00:00Z", "start_date"),
        ("start_date=2026-01-01T00:00:00Z&end_date=2026-11-01T00:00:00Z", "start_date"),
        ("start_date=2026-11-02T00:00:00Z&end_date=2026-11-01T00:00:00Z", "end_date"),
        ("status=pending", "status"),
    ] {
        let description = expect_json_error(&app.get(&format!("/open311/v2/requests.json?{query}")).await, 400);
        assert!(description.contains(field), "{query}: {description}");
        let description = expect_xml_error(&app.get(&format!("/open311/v2/requests.xml?{query}")).await, 400);
        assert!(description.contains(field), "{query}: {description}");
    }
    let too_many: Vec<String> = (1..=1001).map(|i| format!("TF-2026-{i:06}")).collect();
    let too_many = too_many.join(",");
    expect_json_error(&app.get(&format!("/open311/v2/requests.json?service_request_id={too_many}")).await, 400);
}

#[tokio::test]
async fn one_request_is_an_array_of_one_and_an_unknown_id_is_404() {
    let app = town().await;
    let number = cases(&app).await[3].number.clone();
    let body = app.get(&format!("/open311/v2/requests/{number}.json")).await.expect(200);
    assert_eq!(ids(&body), std::slice::from_ref(&number));
    let xml = app.get(&format!("/open311/v2/requests/{number}.xml")).await;
    let root = parse_xml(&xml.text);
    assert_eq!(root.name, "service_requests");
    let requests = root.all("request");
    assert_eq!(requests.len(), 1);
    // The XML carries every field of the JSON, with the same values.
    let names: Vec<&str> = requests[0].children.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, REQUEST_FIELDS);
    for field in REQUEST_FIELDS {
        let (json, xml) = (&body[0][field], requests[0].text_of(field));
        match json {
            Value::Number(n) => assert!((xml.parse::<f64>().unwrap() - n.as_f64().unwrap()).abs() < 1e-9, "{field}"),
            Value::Null => assert_eq!(xml, "", "{field}"),
            _ => assert_eq!(xml, json.as_str().unwrap(), "{field}"),
        }
    }

    let description = expect_json_error(&app.get("/open311/v2/requests/TF-1999-000001.json").await, 404);
    assert!(description.contains("TF-1999-000001"), "{description}");
    expect_xml_error(&app.get("/open311/v2/requests/TF-1999-000001.xml").await, 404);
    expect_json_error(&app.get(&format!("/open311/v2/requests/{number}.csv")).await, 404);
    expect_json_error(&app.get("/open311/v2/nothing.json").await, 404);
    expect_xml_error(&app.get("/open311/v2/nothing.xml").await, 404);
}

#[tokio::test]
async fn xml_escapes_markup_and_drops_what_xml_cannot_carry() {
    let app = town().await;
    let number = cases(&app).await[0].number.clone();
    let description = "管道<阀门>&\"接头\"'漏 ]]> \u{1}结束\r\n第二行";
    let (n, d) = (number.clone(), description.to_owned());
    app.app
        .store
        .write(move |c| Ok(c.execute("UPDATE cases SET description = ?1 WHERE number = ?2", [&d, &n])?))
        .await
        .unwrap();
    let json = app.get(&format!("/open311/v2/requests/{number}.json")).await.expect(200);
    assert_eq!(json[0]["description"], description);
    let xml = app.get(&format!("/open311/v2/requests/{number}.xml")).await;
    assert!(!xml.text.contains("<阀门>"), "{}", xml.text);
    let root = parse_xml(&xml.text);
    assert_eq!(root.child("request").text_of("description"), description.replace('\u{1}', "\u{FFFD}"));
}

#[tokio::test]
async fn nothing_personal_is_shown() {
    let app = town().await;
    let (people, photos, responsible) = app
        .app
        .store
        .read(|c| {
            let strings = |sql: &str| -> gridsafe::error::Result<Vec<String>> {
                let mut stmt = c.prepare(sql)?;
                let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
                Ok(rows.collect::<rusqlite::Result<_>>()?)
            };
            Ok((
                strings(
                    "SELECT name FROM people UNION SELECT phone FROM people WHERE phone IS NOT NULL
                     UNION SELECT username FROM people UNION SELECT contact_phone FROM enterprises WHERE contact_phone IS NOT NULL",
                )?,
                strings("SELECT media_id FROM case_photos")?,
                strings("SELECT DISTINCT responsible FROM cases WHERE responsible IS NOT NULL")?,
            ))
        })
        .await
        .unwrap();
    assert!(people.len() > 50 && !photos.is_empty() && !responsible.is_empty());
    let numbers: Vec<String> = cases(&app).await.into_iter().map(|c| c.number).collect();
    let everything = format!("/open311/v2/requests.json?service_request_id={}", numbers.join(","));
    let json = app.get(&everything).await;
    assert_eq!(json.expect(200).as_array().unwrap().len(), numbers.len());
    let xml = app.get(&everything.replace(".json", ".xml")).await;
    let services = app.get("/open311/v2/services.json").await;
    let discovery = app.get("/open311/v2/discovery.json").await;
    for body in [&json.text, &xml.text, &services.text, &discovery.text] {
        for secret in people.iter().chain(&photos).chain(&responsible) {
            assert!(!body.contains(secret.as_str()), "{secret:?} is shown");
        }
        for word in ["media", "photo", "reporter", "phone", "track", "/api/v1"] {
            assert!(!body.contains(word), "{word:?} is shown");
        }
    }
}

#[tokio::test]
async fn turned_off_every_route_answers_404_in_the_open311_shape() {
    let app = town().await;
    let number = cases(&app).await[0].number.clone();
    app.app.store.write(|c| open311::set_enabled(c, false)).await.unwrap();
    let paths = [
        "discovery".to_owned(),
        "services".to_owned(),
        "services/S-F09".to_owned(),
        "requests".to_owned(),
        format!("requests/{number}"),
    ];
    for path in &paths {
        let description = expect_json_error(&app.get(&format!("/open311/v2/{path}.json")).await, 404);
        assert!(description.contains("Open311"), "{path}: {description}");
        expect_xml_error(&app.get(&format!("/open311/v2/{path}.xml")).await, 404);
    }
    // Even a bad query: the view does not exist, so nothing about its parameters is said.
    expect_json_error(&app.get("/open311/v2/requests.json?start_date=bad").await, 404);
    app.app.store.write(|c| open311::set_enabled(c, true)).await.unwrap();
    for path in &paths {
        assert_eq!(app.get(&format!("/open311/v2/{path}.json")).await.status, 200, "{path}");
    }
    // A value nobody can read turns it off, not on.
    sql(&app, "UPDATE settings SET value = 'disabled' WHERE key = 'open311_enabled'").await;
    expect_json_error(&app.get("/open311/v2/services.json").await, 404);
}

#[tokio::test]
async fn the_window_query_reads_an_index_range_and_never_the_table() {
    let app = town().await;
    let conn = gridsafe::store::open_migrated(&app.db_path()).unwrap();
    for query in [
        "",
        "status=open",
        "status=closed",
        "service_code=S-F09,E-A01",
        "service_code=R-P01&status=closed&start_date=2026-10-01T00:00:00Z&end_date=2026-11-01T00:00:00Z",
    ] {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap();
        let parsed = RequestQuery::parse(&pairs, NOW).unwrap();
        let plan = open311::window_plan(&conn, &parsed).unwrap().unwrap();
        assert!(!plan.contains("SCAN cases"), "{query}: a full scan: {plan}");
        assert!(!plan.contains("TEMP B-TREE"), "{query}: a sort: {plan}");
        assert!(
            plan.contains("SEARCH cases USING INDEX cases_kpi (reported_at>? AND reported_at<?)"),
            "{query}: {plan}"
        );
        assert!(plan.contains("audit_log_case"), "{query}: the last change by the case's audit entries: {plan}");
    }
}
