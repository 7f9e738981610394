//! Reads a POSTed form, urlencoded or multipart, into name/value pairs and files.

use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{web, HttpRequest};
use futures_util::{FutureExt, StreamExt};

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
        // actix-multipart 0.7.2 panics on some lines shorter than `--` plus the boundary
        // (a one-character boundary and a one-byte line will do): the connection then
        // died without an answer. Such a body is malformed: it gets the 400.
        let parsed = read_multipart(Multipart::new(req.headers(), payload), limit, max_mb);
        std::panic::AssertUnwindSafe(parsed)
            .catch_unwind()
            .await
            .unwrap_or_else(|_| {
                tracing::warn!("the multipart parser panicked on a malformed body; answered 400");
                Err(BodyError::Malformed)
            })
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

#[cfg(test)]
mod tests {
    use actix_web::{test as actix_test, web, App, HttpRequest, HttpResponse};
    use proptest::prelude::*;

    use super::*;

    /// Runs the reader behind a real actix service, as a step POST does.
    async fn outcome(content_type: &str, body: Vec<u8>) -> u16 {
        let app = actix_test::init_service(App::new().route(
            "/",
            web::post().to(|req: HttpRequest, payload: web::Payload| async move {
                match read(&req, payload, 1, std::time::Duration::from_secs(5)).await {
                    Ok(_) => HttpResponse::Ok().finish(),
                    Err(BodyError::TooLarge(_)) => HttpResponse::PayloadTooLarge().finish(),
                    Err(_) => HttpResponse::BadRequest().finish(),
                }
            }),
        ))
        .await;
        let req = actix_test::TestRequest::post()
            .uri("/")
            .insert_header((header::CONTENT_TYPE, content_type))
            .set_payload(body)
            .to_request();
        actix_test::call_service(&app, req).await.status().as_u16()
    }

    fn run(content_type: &str, body: Vec<u8>) -> u16 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async {
                let local = tokio::task::LocalSet::new();
                local.run_until(outcome(content_type, body)).await
            })
    }

    /// Multipart-looking bytes: boundaries, headers and junk in any order.
    fn multipart_body() -> impl Strategy<Value = Vec<u8>> {
        let piece = prop_oneof![
            Just(b"--X\r\n".to_vec()),
            Just(b"--X--\r\n".to_vec()),
            Just(b"Content-Disposition: form-data; name=\"f-a\"\r\n\r\n".to_vec()),
            Just(b"Content-Disposition: form-data; name=\"f\"; filename=\"a.png\"\r\n".to_vec()),
            Just(b"Content-Type: image/png\r\n\r\n".to_vec()),
            Just(b"\r\n".to_vec()),
            proptest::collection::vec(any::<u8>(), 0..64),
        ];
        proptest::collection::vec(piece, 0..12).prop_map(|p| p.concat())
    }

    /// The minimal inputs that made actix-multipart 0.7.2 panic (found by the property
    /// test below): a one-character boundary and a line shorter than `--X`.
    #[test]
    fn a_short_boundary_and_a_short_line_is_a_bad_request() {
        for line in [&b"\n"[..], b"--\n"] {
            assert_eq!(
                run("multipart/form-data; boundary=X", line.to_vec()),
                400,
                "{line:?}"
            );
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        #[test]
        fn urlencoded_bodies_never_fail_the_server(body in proptest::collection::vec(any::<u8>(), 0..512)) {
            let status = run("application/x-www-form-urlencoded", body);
            prop_assert!(status < 500, "status {status}");
        }

        #[test]
        fn multipart_bodies_never_fail_the_server(body in multipart_body(), boundary in "[A-Za-z0-9]{0,3}") {
            let status = run(&format!("multipart/form-data; boundary={boundary}X"), body);
            prop_assert!(status < 500, "status {status}");
        }

        #[test]
        fn oversized_files_are_skipped_not_fatal(extra in 1usize..4096) {
            let mut body = b"--X\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a\"\r\n\r\n".to_vec();
            body.extend(std::iter::repeat_n(b'A', (1 << 20) + extra));
            body.extend_from_slice(b"\r\n--X\r\nContent-Disposition: form-data; name=\"t\"\r\n\r\nok\r\n--X--\r\n");
            prop_assert_eq!(run("multipart/form-data; boundary=X", body), 200);
        }
    }
}
