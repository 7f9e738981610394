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
    #[error("the body was not sent in time")]
    Deadline,
}

/// What was read. A file over the size limit is skipped, not kept: the fields around it
/// still arrive, so the step can be shown again with them and a message naming the limit.
#[derive(Debug, Default)]
pub struct FormBody {
    pub input: RawStepInput,
    /// Input name of the file part that went over the limit.
    pub oversized_file: Option<String>,
}

const MAX_TEXT_FIELD: usize = 64 * 1024;

/// Reads the body within `deadline`. The payload carries the same deadline (see
/// `deadlines`); this one also ends a parser that waits without polling.
pub async fn read(
    req: &HttpRequest,
    payload: web::Payload,
    max_mb: u32,
    deadline: std::time::Duration,
) -> Result<FormBody, BodyError> {
    tokio::time::timeout(deadline, read_all(req, payload, max_mb))
        .await
        .map_err(|_| BodyError::Deadline)?
}

async fn read_all(
    req: &HttpRequest,
    payload: web::Payload,
    max_mb: u32,
) -> Result<FormBody, BodyError> {
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
            let chunk = chunk.map_err(payload_error)?;
            if body.len() + chunk.len() > limit {
                return Err(BodyError::TooLarge(max_mb));
            }
            body.extend_from_slice(&chunk);
        }
        let pairs = url::form_urlencoded::parse(&body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        Ok(FormBody {
            input: RawStepInput {
                pairs,
                files: Vec::new(),
            },
            oversized_file: None,
        })
    }
}

fn payload_error(e: actix_web::error::PayloadError) -> BodyError {
    match e {
        actix_web::error::PayloadError::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => {
            BodyError::Deadline
        }
        _ => BodyError::Malformed,
    }
}

fn multipart_error(e: actix_multipart::MultipartError) -> BodyError {
    match e {
        actix_multipart::MultipartError::Payload(p) => payload_error(p),
        _ => BodyError::Malformed,
    }
}

async fn read_multipart(
    mut multipart: Multipart,
    limit: usize,
    max_mb: u32,
) -> Result<FormBody, BodyError> {
    let mut body = FormBody::default();
    let mut total = 0usize;
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(multipart_error)?;
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
        let mut skipped = false;
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(multipart_error)?;
            if skipped {
                continue; // read to the part's end, keep nothing
            }
            total += chunk.len();
            if total > limit {
                if file_name.is_none() {
                    return Err(BodyError::TooLarge(max_mb));
                }
                skipped = true;
                total -= bytes.len() + chunk.len();
                bytes = Vec::new();
                body.oversized_file.get_or_insert_with(|| name.clone());
                continue;
            }
            bytes.extend_from_slice(&chunk);
        }
        if skipped {
            continue;
        }
        let input = &mut body.input;
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
    Ok(body)
}
