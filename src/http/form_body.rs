//! Reads a POSTed form, urlencoded or multipart, into name/value pairs and files.

use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{web, HttpRequest};
use futures_util::StreamExt;

use crate::forms::{RawFile, RawStepInput};

#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error("the upload is larger than {0} MiB")]
    TooLarge(u32),
    #[error("the form data could not be read")]
    Malformed,
}

const MAX_TEXT_FIELD: usize = 64 * 1024;

pub async fn read(
    req: &HttpRequest,
    payload: web::Payload,
    max_mb: u32,
) -> Result<RawStepInput, BodyError> {
    let limit = max_mb as usize * 1024 * 1024;
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if is_multipart {
        read_multipart(Multipart::new(req.headers(), payload), limit, max_mb).await
    } else {
        let mut payload = payload;
        let mut body = web::BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk = chunk.map_err(|_| BodyError::Malformed)?;
            if body.len() + chunk.len() > limit {
                return Err(BodyError::TooLarge(max_mb));
            }
            body.extend_from_slice(&chunk);
        }
        let pairs = url::form_urlencoded::parse(&body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        Ok(RawStepInput {
            pairs,
            files: Vec::new(),
        })
    }
}

async fn read_multipart(
    mut multipart: Multipart,
    limit: usize,
    max_mb: u32,
) -> Result<RawStepInput, BodyError> {
    let mut input = RawStepInput::default();
    let mut total = 0usize;
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(|_| BodyError::Malformed)?;
        let Some(name) = field
            .content_disposition()
            .and_then(|cd| cd.get_name())
            .map(str::to_owned)
        else {
            continue;
        };
        let file_name = field
            .content_disposition()
            .and_then(|cd| cd.get_filename())
            .map(str::to_owned);
        let declared_type = field
            .content_type()
            .map(|m| m.essence_str().to_owned())
            .unwrap_or_default();
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|_| BodyError::Malformed)?;
            total += chunk.len();
            if total > limit {
                return Err(BodyError::TooLarge(max_mb));
            }
            bytes.extend_from_slice(&chunk);
        }
        match file_name {
            // An empty file input is sent with an empty name and no content.
            Some(file_name) if file_name.is_empty() && bytes.is_empty() => {}
            Some(file_name) => input.files.push(RawFile {
                input_name: name,
                file_name,
                declared_type,
                bytes,
            }),
            None => {
                if bytes.len() > MAX_TEXT_FIELD {
                    return Err(BodyError::Malformed);
                }
                let value = String::from_utf8(bytes).map_err(|_| BodyError::Malformed)?;
                input.pairs.push((name, value));
            }
        }
    }
    Ok(input)
}
