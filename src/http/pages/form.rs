//! A page form as posted, URL-encoded or multipart (with photos), read into
//! named text fields and photo files; and the photos saved through the media
//! service as the JSON API saves them.

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header;

use crate::app::App;
use crate::domain::time::china_timestamp;
use crate::error::{Error, Msg, Result};
use crate::service::accounts::Actor;
use crate::service::media;

/// Most photos one form may carry.
pub const MAX_PHOTOS: usize = 9;

/// The fields and files of a posted form.
#[derive(Debug, Default)]
pub struct FormData {
    /// Text fields in order (a name may repeat).
    pub fields: Vec<(String, String)>,
    /// Files of the `photos` field (empty file inputs left out).
    pub photos: Vec<Bytes>,
    /// Files of any other field, by field name (a patrol's track file; one
    /// photo per named item, e.g. each 两断三清 item of a closure).
    pub files: Vec<(String, Bytes)>,
}

impl FormData {
    /// The first value of `name`, trimmed; `None` when absent or blank.
    pub fn get(&self, name: &str) -> Option<String> {
        self.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_owned()).filter(|v| !v.is_empty())
    }

    /// The file sent in field `name`, if any.
    pub fn take_file(&mut self, name: &str) -> Option<Bytes> {
        let at = self.files.iter().position(|(k, _)| k == name)?;
        Some(self.files.remove(at).1)
    }

    /// The first value of `name` as typed (empty when absent), to show again.
    pub fn typed(&self, name: &str) -> &str {
        self.fields.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
    }
}

fn bad_upload(e: &axum::extract::multipart::MultipartError) -> Error {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        Error::TooLarge(Msg::new("上传内容过大（每张照片不超过 10 MB）", "the upload is too large (10 MB per photo)"))
    } else {
        Error::invalid("photos", format!("上传内容有误：{e}"), format!("bad upload: {e}"))
    }
}

impl<S: Send + Sync> FromRequest<S> for FormData {
    type Rejection = Error;

    async fn from_request(request: Request, state: &S) -> Result<Self> {
        let multipart = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"));
        let mut data = Self::default();
        if multipart {
            let mut form = Multipart::from_request(request, state)
                .await
                .map_err(|e| Error::invalid("photos", format!("表单有误：{e}"), format!("bad form: {e}")))?;
            while let Some(field) = form.next_field().await.map_err(|e| bad_upload(&e))? {
                let name = field.name().unwrap_or_default().to_owned();
                if field.file_name().is_some() {
                    let bytes = field.bytes().await.map_err(|e| bad_upload(&e))?;
                    if bytes.is_empty() {
                        continue;
                    }
                    if name == "photos" {
                        data.photos.push(bytes);
                    } else {
                        data.files.push((name, bytes));
                    }
                } else {
                    let text = field.text().await.map_err(|e| bad_upload(&e))?;
                    data.fields.push((name, text));
                }
            }
            if data.photos.len() + data.files.len() > MAX_PHOTOS {
                return Err(Error::invalid(
                    "photos",
                    format!("一次最多上传 {MAX_PHOTOS} 张照片"),
                    format!("at most {MAX_PHOTOS} photos at a time"),
                ));
            }
        } else {
            let bytes = Bytes::from_request(request, state)
                .await
                .map_err(|_| Error::TooLarge(Msg::new("表单内容过大", "the form is too large")))?;
            data.fields = serde_urlencoded::from_bytes(&bytes)
                .map_err(|e| Error::invalid("form", format!("表单有误：{e}"), format!("bad form: {e}")))?;
        }
        Ok(data)
    }
}

/// Runs a creating form's `work` on the writer once per the form's key (see
/// `Once::for_form`): a form sent again gets the first answer back and
/// nothing is written twice. A form whose key already created something
/// else (sent back after a change) is refused with a word saying so, and
/// loses its key, so the form drawn again can create a new one.
pub async fn create_once<F>(
    app: &App,
    person: i64,
    route: &str,
    form: &mut FormData,
    work: F,
) -> Result<serde_json::Value>
where
    F: FnMut(&rusqlite::Connection) -> Result<serde_json::Value> + Send + 'static,
{
    let once = crate::http::idempotency::Once::for_form(route, &form.fields);
    match once.create(app, person, work).await {
        Ok((_, axum::Json(body))) => Ok(body),
        Err(e) if crate::http::idempotency::is_key_reused(&e) => {
            form.fields.retain(|(k, _)| k != "key");
            Err(Error::Conflict(Msg::new(
                "此表单已经提交过一次；如需按修改后的内容再新建一条，请再次提交",
                "this form was sent before; send it again to create another one with these changes",
            )))
        }
        Err(e) => Err(e),
    }
}

/// The id a creating form's work answered in `field`.
pub fn created_id(body: &serde_json::Value, field: &str) -> Result<i64> {
    body[field].as_i64().ok_or_else(|| Error::Internal(anyhow::anyhow!("the stored answer has no {field}")))
}

/// Saves uploaded photos as the media API does (scaled, stripped of EXIF,
/// stored once per content) and returns their ids in order.
pub async fn save_photos(app: &App, actor: &Actor, photos: Vec<Bytes>) -> Result<Vec<String>> {
    let mut prepared = Vec::with_capacity(photos.len());
    for upload in photos {
        let photo = tokio::task::spawn_blocking(move || media::prepare(&upload))
            .await
            .map_err(|e| Error::Internal(anyhow::anyhow!("photo task failed: {e}")))?
            .map_err(|e| match e {
                Error::Invalid { reason, .. } => Error::Invalid { field: "photos".into(), reason },
                other => other,
            })?;
        prepared.push(photo);
    }
    let ids: Vec<String> = prepared.iter().map(|p| p.id.clone()).collect();
    let (by, now) = (actor.person.id, china_timestamp(app.now_s()));
    app.store
        .write(move |c| {
            for photo in &prepared {
                media::save(c, photo, by, &now)?;
            }
            Ok(())
        })
        .await?;
    Ok(ids)
}
