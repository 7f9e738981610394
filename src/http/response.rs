//! The two plain responses every page handler builds: a rendered page and a redirect.

use actix_web::cookie::Cookie;
use actix_web::http::header;
use actix_web::HttpResponse;

/// 303 to `location` (after a POST, or to send a visitor where they belong).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.to_owned()))
        .finish()
}

/// 200 with a rendered HTML page, setting `cookies`.
pub fn html(body: String, cookies: Vec<Cookie<'static>>) -> HttpResponse {
    let mut res = HttpResponse::Ok();
    res.content_type("text/html; charset=utf-8");
    for c in cookies {
        res.cookie(c);
    }
    res.body(body)
}
