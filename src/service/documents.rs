//! Issuing official documents (SPEC §8): the rectification notice at
//! dispatch and the re-inspection opinion at approval or return. Each is
//! numbered gap-free per kind and year, rendered once inside the action's
//! transaction, stored with its SHA-256 (which the issuing audit entry
//! records) and served byte for byte ever after. The audit chain head at
//! issue is printed in the footer, so a paper copy anchors the log.

use rusqlite::Connection;
use serde::Serialize;

use crate::docs::notice::{self, Addressee, Finding, Heading, NoticeView, PlanView, SignoffView, Verdict};
use crate::docs::pdf::Pdf;
use crate::domain::time::{china_date, china_timestamp};
use crate::error::{Error, Result};
use crate::service::accounts::Actor;
use crate::spatial::Maps;
use crate::store::cases::{self as case_store, CaseRow};
use crate::store::documents::{self as store, DocumentMeta, NewDocument};
use crate::store::{enterprises as enterprise_store, media as media_store, people as people_store};

/// Days after the latest deadline that the notice sets for re-inspection.
pub const RECHECK_AFTER_DAYS: i64 = 3;

/// The legal basis printed for a general finding, by case kind (a major
/// finding prints the criterion clause it was judged against).
fn basis(kind: &str) -> &'static str {
    match kind {
        "environment" => "《中华人民共和国环境保护法》第四十二条",
        "river" => "《中华人民共和国水法》第三十七条",
        _ => "《中华人民共和国安全生产法》第四十一条",
    }
}

fn setting(conn: &Connection, key: &str) -> Result<String> {
    store::setting(conn, key)?.ok_or_else(|| Error::Internal(anyhow::anyhow!("setting {key} is missing")))
}

/// The audit chain's head as printed on documents: `#seq` and the first 16 hex digits of its hash.
pub fn chain_anchor(conn: &Connection) -> Result<String> {
    let head: Option<(i64, String)> = rusqlite::OptionalExtension::optional(
        conn.prepare_cached("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")?
            .query_row([], |r| Ok((r.get(0)?, r.get(1)?))),
    )?;
    Ok(head.map_or_else(|| "#0 genesis".to_owned(), |(seq, hash)| format!("#{seq} {}", &hash[..16.min(hash.len())])))
}

/// The link base used when neither `--public-url` nor a server start left one.
pub const FALLBACK_BASE: &str = "http://127.0.0.1:8080";

/// The address printed in documents' QR codes: the `--public-url` the server
/// was given, else the address it last listened on (recorded at every start as
/// `server_url`), else [`FALLBACK_BASE`]. Kept in the database, so documents
/// the CLI issues link where the server's do. No trailing slash.
pub fn link_base(conn: &Connection) -> Result<String> {
    let base = match store::setting(conn, "public_url")? {
        Some(url) => url,
        None => store::setting(conn, "server_url")?.unwrap_or_else(|| FALLBACK_BASE.to_owned()),
    };
    Ok(base.trim_end_matches('/').to_owned())
}

/// Records the address the server listens on as the default link base (see [`link_base`]).
pub fn record_server_url(conn: &Connection, url: &str) -> Result<()> {
    store::set_setting(conn, "server_url", url.trim_end_matches('/'))
}

/// The public verification link of an issued document, as its QR code holds it.
pub fn verification_link(base: &str, code: &str) -> String {
    format!("{}/verify/{code}", base.trim_end_matches('/'))
}

/// A heading for a document printed on demand (patrol logs, monthly reports):
/// numbered by the record it prints, linking `path` under the public URL.
pub fn record_heading(conn: &Connection, number: String, path: &str, now_s: i64) -> Result<Heading> {
    let url = link_base(conn)?;
    Ok(Heading {
        issuer: setting(conn, "issuer")?,
        qr_payload: format!("{number} {url}{path}"),
        number,
        issued_on: china_date(now_s),
        chain_anchor: chain_anchor(conn)?,
        issued_at: now_s,
    })
}

/// Allocates the next number of `kind` and builds the heading; the QR code
/// links the document's public verification page.
fn heading(conn: &Connection, kind: &str, now_s: i64) -> Result<(String, Heading)> {
    let today = china_date(now_s);
    let year: i64 = today[..4].parse().map_err(|e| Error::Internal(anyhow::anyhow!("bad date {today}: {e}")))?;
    let seq = store::next_seq(conn, kind, year)?;
    let (letter, prefix) = if kind == "notice" { ("N", "notice_prefix") } else { ("R", "review_prefix") };
    let code = format!("{letter}-{year}-{seq:04}");
    let heading = Heading {
        issuer: setting(conn, "issuer")?,
        number: format!("{}〔{year}〕{seq:04}号", setting(conn, prefix)?),
        issued_on: today,
        chain_anchor: chain_anchor(conn)?,
        qr_payload: verification_link(&link_base(conn)?, &code),
        issued_at: now_s,
    };
    Ok((code, heading))
}

/// A grid as printed in an addressee block: its chain and code.
fn grid_label(maps: &Maps, code: &str) -> String {
    let chain: Vec<String> = maps.chain(code).into_iter().map(|g| g.name).collect();
    format!("{}（{code}）", chain.join(" / "))
}

/// The registered enterprise a case's documents are addressed to: the case's
/// own enterprise, else the one whose registered name the responsible party
/// gives exactly (a clerk dispatching to 世邦机械 means the registered 世邦机械).
fn registered_addressee(conn: &Connection, c: &CaseRow) -> Result<Option<enterprise_store::Enterprise>> {
    if let Some(id) = c.enterprise_id {
        return enterprise_store::get(conn, id);
    }
    let Some(name) = c.responsible.as_deref().map(str::trim).filter(|n| !n.is_empty()) else { return Ok(None) };
    let mut named = enterprise_store::by_name(conn, name)?.into_iter();
    // Two registrations under one name: the text alone cannot say which is meant.
    Ok(match (named.next(), named.next()) {
        (Some(e), None) => Some(e),
        _ => None,
    })
}

/// The addressee block: a registered enterprise prints its registered name,
/// USCC, address and grid; any other responsible party is printed as given,
/// with the case's grid.
fn addressee(conn: &Connection, maps: &Maps, c: &CaseRow) -> Result<Addressee> {
    Ok(match registered_addressee(conn, c)? {
        Some(e) => Addressee {
            name: e.name,
            uscc: e.uscc,
            address: Some(e.address).filter(|a| !a.trim().is_empty()),
            grid: grid_label(maps, &e.grid_code),
        },
        None => Addressee {
            name: c.responsible.clone().unwrap_or_else(|| "（未指定责任单位）".into()),
            uscc: None,
            address: None,
            grid: grid_label(maps, &c.grid_code),
        },
    })
}

fn thumbnails(conn: &Connection, case_id: i64, stage: &str) -> Result<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    for (s, id) in case_store::photos(conn, case_id)? {
        if s == stage
            && let Some(bytes) = media_store::bytes(conn, &id, true)?
        {
            out.push(bytes);
        }
    }
    Ok(out)
}

fn category_name(conn: &Connection, code: &str) -> Result<String> {
    Ok(case_store::category(conn, code)?.map_or_else(|| code.to_owned(), |(_, _, name)| name))
}

fn person_name(conn: &Connection, id: i64) -> Result<String> {
    Ok(people_store::get(conn, id)?.map_or_else(|| format!("#{id}"), |p| p.name))
}

/// Stores rendered bytes under the heading's number.
fn store_document(
    conn: &Connection,
    kind: &str,
    (code, heading): (&str, &Heading),
    pdf: &Pdf,
    actor: &Actor,
    (cases, supersedes): (&[i64], Option<i64>),
    now_s: i64,
) -> Result<DocumentMeta> {
    let bytes = &pdf.bytes;
    let sha256 = crate::domain::audit::sha256_hex(bytes);
    let pages = pdf.pages as i64;
    let id = store::insert(
        conn,
        &NewDocument {
            code,
            number: &heading.number,
            kind,
            issued_at: &china_timestamp(now_s),
            issued_by: actor.person.id,
            sha256: &sha256,
            pages,
            bytes,
            cases,
            supersedes,
        },
    )?;
    Ok(DocumentMeta {
        id,
        code: code.to_owned(),
        number: heading.number.clone(),
        kind: kind.to_owned(),
        issued_at: china_timestamp(now_s),
        issued_by: actor.person.id,
        sha256,
        pages,
        supersedes: supersedes.and_then(|id| store::code_of(conn, id).ok().flatten()),
    })
}

/// Issues one rectification notice for dispatched cases at one addressee
/// (call after the cases were dispatched, inside the same transaction).
pub fn issue_notice(
    conn: &Connection,
    maps: &Maps,
    actor: &Actor,
    cases: &[&CaseRow],
    now_s: i64,
) -> Result<DocumentMeta> {
    notice_for(conn, maps, actor, cases, None, now_s)
}

/// Corrects an issued notice (admin): a new notice with a new number, printed
/// from the cases as they stand now and naming the one it replaces. The old
/// document stays as it was; an audit entry records the new one's hash.
pub fn reissue_notice(
    conn: &Connection,
    maps: &Maps,
    actor: &Actor,
    code: &str,
    reason: &str,
    now_s: i64,
) -> Result<DocumentMeta> {
    actor.scope.require_admin()?;
    let old = store::by_code(conn, code)?
        .ok_or_else(|| Error::not_found(format!("没有文书 {code}"), format!("no document {code}")))?;
    if old.kind != "notice" {
        return Err(Error::invalid(
            "code",
            "只有整改通知书可以更正重发",
            "only rectification notices can be corrected",
        ));
    }
    let reason = crate::service::printable::printable("reason", reason)?;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 1000 {
        return Err(Error::invalid(
            "reason",
            "须填写更正原因（1000 字以内）",
            "a reason (up to 1000 characters) is required",
        ));
    }
    let mut rows = Vec::new();
    for id in store::cases_of(conn, old.id)? {
        rows.extend(case_store::by_id(conn, id)?);
    }
    let refs: Vec<&CaseRow> = rows.iter().collect();
    let new = notice_for(conn, maps, actor, &refs, Some((old.id, old.number.clone())), now_s)?;
    crate::store::audit::append_note(
        conn,
        actor.person.id,
        china_timestamp(now_s),
        crate::store::audit::Note {
            action: "reissue".into(),
            from: Some(old.code.clone()),
            to: Some(new.code.clone()),
            comment: format!("更正文书 {} → {}：{reason}", old.number, new.number),
            media: Vec::new(),
            document_sha256: Some(new.sha256.clone()),
        },
    )?;
    Ok(new)
}

fn notice_for(
    conn: &Connection,
    maps: &Maps,
    actor: &Actor,
    cases: &[&CaseRow],
    supersedes: Option<(i64, String)>,
    now_s: i64,
) -> Result<DocumentMeta> {
    let Some(first) = cases.first() else {
        return Err(Error::invalid("cases", "须至少指定一个案件", "at least one case is needed"));
    };
    let mut findings = Vec::with_capacity(cases.len());
    let mut inspectors: Vec<String> = Vec::new();
    for c in cases {
        for id in [c.reporter_id, actor.person.id] {
            let name = person_name(conn, id)?;
            if !inspectors.contains(&name) {
                inspectors.push(name);
            }
        }
        let plan = c.plan.as_ref().and_then(|p| serde_json::from_value::<crate::service::cases::Plan>(p.clone()).ok());
        let village = maps.grid(&c.grid_code).map_or_else(|| c.grid_code.clone(), |g| g.grid.name.clone());
        findings.push(Finding {
            case_number: c.number.clone(),
            place: format!("{village}\n{:.5}, {:.5}", c.lon, c.lat),
            description: format!("{}：{}", c.title, c.description),
            category: category_name(conn, &c.category)?,
            grade: if c.grade == "major" { "重大".into() } else { "一般".into() },
            basis: c.criterion.clone().unwrap_or_else(|| basis(&c.kind).to_owned()),
            measures: c.measures.clone().unwrap_or_default(),
            deadline: c.deadline.clone().unwrap_or_default(),
            photos: thumbnails(conn, c.id, "report")?,
            transfer_to: (c.grade == "major").then(|| c.transferred_to.clone()).flatten(),
            plan: plan.map(|p| PlanView {
                responsible_person: p.responsible_person,
                measures: p.measures,
                funds: p.funds,
                deadline: p.deadline,
                contingency: p.contingency,
            }),
        });
    }
    let latest = cases.iter().filter_map(|c| c.deadline.clone()).max().unwrap_or_else(|| china_date(now_s));
    let view = NoticeView {
        addressee: addressee(conn, maps, first)?,
        inspected_on: first.reported_at.get(..10).unwrap_or_default().to_owned(),
        inspectors,
        findings,
        recheck_on: crate::domain::time::add_days(&latest, RECHECK_AFTER_DAYS).unwrap_or(latest),
        grid_code: first.grid_code.clone(),
        reaches: cases.iter().filter_map(|c| c.reach_code.clone()).collect(),
        points: cases.iter().map(|c| (c.lon, c.lat)).collect(),
        corrects: supersedes.as_ref().map(|(_, number)| number.clone()),
    };
    let (code, heading) = heading(conn, "notice", now_s)?;
    let pdf = notice::render_notice(&view, &heading, maps)?;
    let ids: Vec<i64> = cases.iter().map(|c| c.id).collect();
    store_document(conn, "notice", (&code, &heading), &pdf, actor, (&ids, supersedes.map(|(id, _)| id)), now_s)
}

/// Issues the re-inspection opinion of an approval or a return (call after
/// the action was applied, inside the same transaction).
pub fn issue_review(
    conn: &Connection,
    maps: &Maps,
    actor: &Actor,
    c: &CaseRow,
    verdict: Verdict,
    opinion: &str,
    now_s: i64,
) -> Result<DocumentMeta> {
    let notice_number = store::for_case(conn, c.id)?.into_iter().rev().find(|d| d.kind == "notice").map(|d| d.number);
    let view = SignoffView {
        case_number: c.number.clone(),
        title: c.title.clone(),
        addressee: addressee(conn, maps, c)?,
        notice_number,
        measures: c.measures.clone().unwrap_or_default(),
        deadline: c.deadline.clone().unwrap_or_default(),
        fix: c.fix_description.clone().unwrap_or_default(),
        before: thumbnails(conn, c.id, "report")?,
        after: thumbnails(conn, c.id, "fix")?,
        opinion: opinion.to_owned(),
        reviewer: actor.person.name.clone(),
        reviewed_on: china_date(now_s),
        verdict,
    };
    let (code, heading) = heading(conn, "review", now_s)?;
    let pdf = notice::render_signoff(&view, &heading)?;
    store_document(conn, "review", (&code, &heading), &pdf, actor, (&[c.id], None), now_s)
}

/// The latest document of `kind` (`notice` or `review`) of a case the actor
/// may read: after a correction, the corrected notice. 404 otherwise.
pub fn latest_for_case(
    conn: &Connection,
    maps: &Maps,
    actor: &Actor,
    number: &str,
    kind: &str,
) -> Result<DocumentMeta> {
    let case = crate::service::cases::load_readable(conn, maps, actor, number)?;
    store::for_case(conn, case.id)?.into_iter().rev().find(|d| d.kind == kind).ok_or_else(|| {
        let (zh, en) = if kind == "notice" {
            ("整改通知书", "rectification notice")
        } else {
            ("整改复查意见书", "re-inspection opinion")
        };
        Error::not_found(format!("隐患 {number} 尚未出具{zh}"), format!("case {number} has no {en} yet"))
    })
}

/// A document the actor may read (they may read one of its cases), or 404.
pub fn readable(conn: &Connection, maps: &Maps, actor: &Actor, code: &str) -> Result<DocumentMeta> {
    let not_found = || Error::not_found(format!("没有文书 {code}"), format!("no document {code}"));
    let meta = store::by_code(conn, code)?.ok_or_else(not_found)?;
    for case_id in store::cases_of(conn, meta.id)? {
        if let Some(c) = case_store::by_id(conn, case_id)?
            && crate::service::cases::readable(&actor.scope, actor.person.id, &crate::service::cases::facts(maps, &c))
        {
            return Ok(meta);
        }
    }
    Err(not_found())
}

/// A document the actor may read (see [`readable`]) and how many cases it covers.
pub fn readable_with_count(conn: &Connection, maps: &Maps, actor: &Actor, code: &str) -> Result<(DocumentMeta, usize)> {
    let meta = readable(conn, maps, actor, code)?;
    let covered = store::cases_of(conn, meta.id)?.len();
    Ok((meta, covered))
}

/// A document as its public verification page shows it: what the paper
/// should say, the hash of the bytes issued and the audit entry that recorded
/// them, whether a correction replaced it, and whether a hash the holder
/// brings matches. Nothing about a person: no names, phones, case texts or photos.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    /// URL-safe code, e.g. `N-2026-0001` (what the QR link names).
    pub code: String,
    /// The printed number, e.g. 谭坊整改〔2026〕0001号.
    pub number: String,
    /// `notice` or `review`.
    pub kind: String,
    /// The kind in Chinese: 隐患整改通知书 or 整改复查意见书.
    pub kind_zh: &'static str,
    /// The kind in English.
    pub kind_en: &'static str,
    /// Issue date (YYYY-MM-DD, China time), as printed.
    pub issued_on: String,
    /// Issuing body (发文机关), as printed in the letterhead.
    pub issuer: String,
    /// The registered enterprise addressed (a public body), if the document names one.
    pub addressee: Option<String>,
    /// That enterprise's unified social credit code, if it has one.
    pub addressee_uscc: Option<String>,
    /// The case numbers the document covers.
    pub cases: Vec<String>,
    /// Page count.
    pub pages: i64,
    /// Hex SHA-256 of the PDF exactly as issued.
    pub sha256: String,
    /// The audit entry that recorded the issue and this hash.
    pub audit_entry: Option<AuditRef>,
    /// The document this one corrects, if it is a correction.
    pub supersedes: Option<DocumentRef>,
    /// The correction that replaced this document, if any: then it is no longer in force.
    pub superseded_by: Option<DocumentRef>,
    /// Whether the document is in force (not replaced by a correction).
    pub valid: bool,
    /// The SHA-256 the holder gave (normalised), if any.
    pub sha256_given: Option<String>,
    /// Whether it equals [`Self::sha256`]; `None` when none was given.
    pub sha256_matches: Option<bool>,
}

/// An audit entry named on a verification page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditRef {
    /// Sequence number in the hash chain.
    pub seq: i64,
    /// The entry's own hash (hex SHA-256).
    pub hash: String,
    /// When it was recorded (China time, RFC 3339).
    pub at: String,
}

/// Another document named on a verification page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DocumentRef {
    /// URL-safe code.
    pub code: String,
    /// Printed number.
    pub number: String,
    /// Issue date (YYYY-MM-DD).
    pub issued_on: String,
}

impl From<DocumentMeta> for DocumentRef {
    fn from(d: DocumentMeta) -> Self {
        Self { issued_on: d.issued_at.get(..10).unwrap_or_default().to_owned(), code: d.code, number: d.number }
    }
}

/// Checks a hash a holder brings: 64 hex digits, any case, surrounding blanks ignored.
fn given_sha256(text: &str) -> Result<String> {
    let hex = text.trim().to_ascii_lowercase();
    if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(hex)
    } else {
        Err(Error::invalid("sha256", "SHA-256 须为 64 位十六进制数字", "a SHA-256 is 64 hexadecimal digits"))
    }
}

/// The public verification of an issued document, by its code (`N-2026-0001`)
/// or printed number; with `sha256`, whether a copy's hash matches the stored
/// one. Anyone may ask: a holder of the paper, a county inspector. Unknown → 404.
pub fn verification(conn: &Connection, number: &str, sha256: Option<&str>) -> Result<Verification> {
    let given = sha256.map(given_sha256).transpose()?;
    let number = number.trim();
    let doc = store::by_code_or_number(conn, number)?
        .ok_or_else(|| Error::not_found(format!("没有文书 {number}"), format!("no document {number}")))?;
    let (kind_zh, kind_en) = match doc.kind.as_str() {
        "notice" => ("隐患整改通知书", "rectification notice"),
        _ => ("整改复查意见书", "re-inspection opinion"),
    };
    let mut cases = Vec::new();
    for id in store::cases_of(conn, doc.id)? {
        cases.extend(case_store::by_id(conn, id)?);
    }
    let addressee = match cases.first() {
        Some(c) => registered_addressee(conn, c)?,
        None => None,
    };
    let audit_entry =
        crate::store::audit::issued_under(conn, &doc.sha256)?.map(|(seq, hash, at)| AuditRef { seq, hash, at });
    let superseded_by = store::superseded_by(conn, doc.id)?.map(DocumentRef::from);
    let supersedes = match &doc.supersedes {
        Some(code) => store::by_code(conn, code)?.map(DocumentRef::from),
        None => None,
    };
    Ok(Verification {
        sha256_matches: given.as_ref().map(|g| *g == doc.sha256),
        sha256_given: given,
        valid: superseded_by.is_none(),
        superseded_by,
        supersedes,
        audit_entry,
        issuer: setting(conn, "issuer")?,
        addressee_uscc: addressee.as_ref().and_then(|e| e.uscc.clone()),
        addressee: addressee.map(|e| e.name),
        cases: cases.into_iter().map(|c| c.number).collect(),
        issued_on: doc.issued_at.get(..10).unwrap_or_default().to_owned(),
        kind_zh,
        kind_en,
        pages: doc.pages,
        sha256: doc.sha256,
        kind: doc.kind,
        number: doc.number,
        code: doc.code,
    })
}

/// One document of a month as the office lists it: issued notices and
/// opinions (stored bytes), and the patrol logs and monthly river reports
/// (printed from the stored records when asked for).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MonthDocument {
    /// `notice`, `review`, `patrol_log` or `report`.
    pub kind: &'static str,
    /// Its code: `N-2026-0001`, `R-2026-0001`, `XH-2026-000001`, or `<river>-<month>` for a report.
    pub code: String,
    /// The printed number (a patrol log's is its code).
    pub number: String,
    /// Issue date (a log's patrol date; a report's month).
    pub date: String,
    /// The cases it covers.
    pub cases: Vec<String>,
    /// The addressee (notice, opinion) or the chief and river (log, report).
    pub subject: String,
    /// Where its PDF is served.
    pub url: String,
    /// Its name inside the month's archive.
    pub file: String,
}

/// Most documents on one page of a month's list.
pub const MAX_DOCUMENT_PAGE: usize = 500;

/// The sections of a month's list, in order.
const SECTIONS: [&str; 4] = ["notice", "review", "log", "report"];

/// Where a page of a month's documents resumes: after the document, log or
/// river report a cursor names (`notice-12`, `review-3`, `log-55`, `report-mihe`).
fn parse_cursor(text: &str) -> Result<(usize, String)> {
    let bad = || Error::invalid("after", "查询参数 after 无效", "invalid query parameter after");
    let (section, key) = text.split_once('-').ok_or_else(bad)?;
    let at = SECTIONS.iter().position(|s| *s == section).ok_or_else(bad)?;
    if at < 3 && key.parse::<i64>().is_err() || key.is_empty() {
        return Err(bad());
    }
    Ok((at, key.to_owned()))
}

/// A notice or opinion as the month's list shows it: its cases and the parties addressed.
fn issued_entry(conn: &Connection, kind: &str, meta: store::DocumentMeta) -> Result<MonthDocument> {
    let mut cases = Vec::new();
    let mut parties: Vec<String> = Vec::new();
    for id in store::cases_of(conn, meta.id)? {
        let Some(case) = case_store::by_id(conn, id)? else { continue };
        let party = match case.enterprise_id {
            Some(e) => enterprise_store::get(conn, e)?.map(|e| e.name),
            None => None,
        }
        .or(case.responsible.clone());
        if let Some(party) = party.filter(|p| !parties.contains(p)) {
            parties.push(party);
        }
        cases.push(case.number);
    }
    Ok(MonthDocument {
        kind: if kind == "notice" { "notice" } else { "review" },
        url: format!("/api/v1/documents/{}", meta.code),
        file: format!("{kind}/{}.pdf", meta.code),
        date: meta.issued_at.get(..10).unwrap_or(&meta.issued_at).to_owned(),
        code: meta.code,
        number: meta.number,
        cases,
        subject: parties.join("、"),
    })
}

/// One page of the documents of `month` (YYYY-MM), the town office only:
/// notices and opinions in issue order, then patrol logs in patrol order,
/// then one monthly report per river patrolled that month; each section read
/// as a keyset page over its index. `after` is the previous page's `next`.
pub fn month_page(
    conn: &Connection,
    maps: &Maps,
    actor: &Actor,
    month: &str,
    after: Option<&str>,
    limit: usize,
) -> Result<(Vec<MonthDocument>, Option<String>)> {
    actor.scope.require_admin()?;
    let month = crate::domain::people::month("month", month)?;
    let after = after.map(parse_cursor).transpose()?;
    let want = limit.clamp(1, MAX_DOCUMENT_PAGE) + 1;
    let window = crate::service::patrols::month_window(&month)?;
    let mut out: Vec<(MonthDocument, String)> = Vec::new();
    for (section, name) in SECTIONS.iter().enumerate().skip(after.as_ref().map_or(0, |a| a.0)) {
        let room = want.saturating_sub(out.len());
        if room == 0 {
            break;
        }
        let resume = after.as_ref().filter(|a| a.0 == section).map(|a| a.1.as_str());
        let resume_id = resume.and_then(|k| k.parse::<i64>().ok());
        match section {
            0 | 1 => {
                for meta in store::in_month_after(conn, name, &month, resume_id, room)? {
                    let cursor = format!("{name}-{}", meta.id);
                    out.push((issued_entry(conn, name, meta)?, cursor));
                }
            }
            2 => {
                for p in crate::store::patrols::in_window_after(conn, window, resume_id, room)? {
                    let river =
                        maps.river(&p.river_code).map_or_else(|| p.river_code.clone(), |r| r.river.name.clone());
                    let chief =
                        people_store::get(conn, p.chief_id)?.map_or_else(|| format!("#{}", p.chief_id), |c| c.name);
                    let entry = MonthDocument {
                        kind: "patrol_log",
                        code: p.code.clone(),
                        number: p.code.clone(),
                        date: china_date(p.started_s),
                        cases: crate::store::patrols::case_numbers(conn, p.id)?,
                        subject: format!("{chief} · {river}"),
                        url: format!("/api/v1/patrols/{}/pdf", p.code),
                        file: format!("patrol_log/{}.pdf", p.code),
                    };
                    out.push((entry, format!("log-{}", p.id)));
                }
            }
            _ => {
                let mut rivers: Vec<(String, String)> =
                    maps.rivers().iter().map(|r| (r.river.code.to_string(), r.river.name.clone())).collect();
                rivers.sort();
                for (code, name) in rivers.into_iter().filter(|(c, _)| resume.is_none_or(|r| c.as_str() > r)) {
                    if out.len() >= want {
                        break;
                    }
                    if !crate::store::patrols::river_walked(conn, &code, window)? {
                        continue;
                    }
                    let entry = MonthDocument {
                        kind: "report",
                        code: format!("{code}-{month}"),
                        number: format!("{name}河长制月报〔{month}〕"),
                        date: month.clone(),
                        cases: Vec::new(),
                        subject: name,
                        url: format!("/api/v1/rivers/{code}/report.pdf?month={month}"),
                        file: format!("report/{code}-{month}.pdf"),
                    };
                    out.push((entry, format!("report-{code}")));
                }
            }
        }
    }
    let limit = want - 1;
    let next = (out.len() > limit).then(|| out[limit - 1].1.clone());
    out.truncate(limit);
    Ok((out.into_iter().map(|(d, _)| d).collect(), next))
}

/// How many documents `month` has (as [`month_page`] lists them), counted on the indexes.
pub fn month_count(conn: &Connection, maps: &Maps, actor: &Actor, month: &str) -> Result<i64> {
    actor.scope.require_admin()?;
    let month = crate::domain::people::month("month", month)?;
    let window = crate::service::patrols::month_window(&month)?;
    let mut count = store::count_in_month(conn, "notice", &month)? + store::count_in_month(conn, "review", &month)?;
    count += crate::store::patrols::count_in_window(conn, window)?;
    for river in maps.rivers() {
        count += i64::from(crate::store::patrols::river_walked(conn, river.river.code.as_str(), window)?);
    }
    Ok(count)
}

/// Every document of `month` (see [`month_page`]), page by page: what the
/// month's archive holds.
pub fn month_documents(conn: &Connection, maps: &Maps, actor: &Actor, month: &str) -> Result<Vec<MonthDocument>> {
    let (mut all, mut after) = (Vec::new(), None);
    loop {
        let (page, next) = month_page(conn, maps, actor, month, after.as_deref(), MAX_DOCUMENT_PAGE)?;
        all.extend(page);
        match next {
            Some(n) => after = Some(n),
            None => return Ok(all),
        }
    }
}

/// The PDF of one listed document: the stored bytes of a notice or opinion,
/// a log or report printed now.
pub fn month_document_pdf(conn: &Connection, maps: &Maps, d: &MonthDocument, now_s: i64) -> Result<Vec<u8>> {
    let gone = || Error::not_found(format!("没有文书 {}", d.code), format!("no document {}", d.code));
    match d.kind {
        "patrol_log" => {
            let p = crate::store::patrols::by_code(conn, &d.code)?.ok_or_else(gone)?;
            Ok(crate::service::patrols::log_pdf(conn, maps, &p, now_s)?.bytes)
        }
        "report" => {
            let (river, month) = d.code.split_at(d.code.len().saturating_sub(8));
            Ok(crate::service::patrols::report_pdf(conn, maps, river, &month[1..], now_s)?.bytes)
        }
        _ => store::bytes(conn, store::by_code(conn, &d.code)?.ok_or_else(gone)?.id),
    }
}

/// Writes every document of a month, each as issued, into one ZIP archive
/// (stored, not deflated: PDFs are compressed already) with a list
/// (`清单.csv`), into `out` one file after another: the archive is streamed,
/// the PDFs are never all in memory. The town office only; checked before
/// anything is written.
pub fn month_archive(
    conn: &Connection,
    maps: &Maps,
    actor: &Actor,
    month: &str,
    now_s: i64,
    out: impl std::io::Write,
) -> Result<()> {
    use std::io::Write;
    let docs = month_documents(conn, maps, actor, month)?;
    let zip_error = |e: zip::result::ZipError| Error::Internal(anyhow::Error::new(e).context("writing the archive"));
    let io_error = |e: std::io::Error| Error::Internal(anyhow::Error::new(e).context("writing the archive"));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let mut archive = zip::ZipWriter::new_stream(out);
    let csv_error = |e: csv::Error| Error::Internal(anyhow::Error::new(e).context("writing the list"));
    let mut list = csv::Writer::from_writer(Vec::new());
    list.write_record(["kind", "code", "number", "date", "cases", "subject", "file"]).map_err(csv_error)?;
    for d in &docs {
        let bytes = month_document_pdf(conn, maps, d, now_s)?;
        archive.start_file(d.file.as_str(), options).map_err(zip_error)?;
        archive.write_all(&bytes).map_err(io_error)?;
        list.write_record([d.kind, &d.code, &d.number, &d.date, &d.cases.join(" "), &d.subject, &d.file])
            .map_err(csv_error)?;
    }
    let list = list.into_inner().map_err(|e| Error::Internal(anyhow::anyhow!("writing the list: {e}")))?;
    archive.start_file("清单.csv", options).map_err(zip_error)?;
    archive.write_all(&list).map_err(io_error)?;
    archive.finish().map_err(zip_error)?.get_mut().flush().map_err(io_error)
}
