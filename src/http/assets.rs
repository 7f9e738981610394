//! Static assets, embedded in the binary and served under content-hashed URLs so they
//! can be cached for a year.

use actix_web::http::header;
use actix_web::HttpResponse;

const STYLESHEET: &str = include_str!("../../templates/static/app.css");
/// One file for the browser; the time-limit warning is kept in its own source file.
const SCRIPT: &str = concat!(
    include_str!("../../templates/static/app.js"),
    include_str!("../../templates/static/timelimits.js"),
);

#[derive(Debug, Clone)]
pub struct Assets {
    css_version: String,
    js_version: String,
}

impl Assets {
    pub fn new() -> Self {
        Assets {
            css_version: short_hash(STYLESHEET),
            js_version: short_hash(SCRIPT),
        }
    }

    pub fn stylesheet_url(&self) -> String {
        format!("/static/app.css?v={}", self.css_version)
    }

    pub fn script_url(&self) -> String {
        format!("/static/app.js?v={}", self.js_version)
    }
}

impl Default for Assets {
    fn default() -> Self {
        Assets::new()
    }
}

fn short_hash(content: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, content.as_bytes());
    hex::encode(&digest.as_ref()[..6])
}

fn cached(content_type: &'static str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .body(body)
}

pub async fn stylesheet() -> HttpResponse {
    cached("text/css; charset=utf-8", STYLESHEET)
}

pub async fn script() -> HttpResponse {
    cached("text/javascript; charset=utf-8", SCRIPT)
}
