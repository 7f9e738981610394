//! What every HTML page needs: language, the current path for the language switch,
//! the demo warning, and the stylesheet URL.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::HttpRequest;

use crate::i18n::Lang;

pub const LANG_COOKIE: &str = "iw_lang";

/// Context shared by all pages, read by `templates/layout.html`.
#[derive(Debug, Clone)]
pub struct PageContext {
    pub lang: Lang,
    /// Path (without query) of this page, for the language switch to come back to.
    pub path: String,
    pub demo_mode: bool,
    /// A page of the police-internal inbox: its footer links to the inbox's own
    /// statement and notice, not to the citizen service's pages.
    pub internal: bool,
    pub stylesheet: String,
    pub script: String,
}

impl PageContext {
    pub fn new(req: &HttpRequest, assets: &crate::http::assets::Assets, demo_mode: bool) -> Self {
        PageContext {
            lang: request_lang(req),
            path: req.path().to_owned(),
            demo_mode,
            internal: false,
            stylesheet: assets.stylesheet_url(),
            script: assets.script_url(),
        }
    }

    pub fn t<'a>(&self, de: &'a str, en: &'a str) -> &'a str {
        self.lang.t(de, en)
    }

    pub fn other_lang(&self) -> Lang {
        self.lang.other()
    }

    /// Link that switches the language and returns to this page.
    pub fn switch_url(&self) -> String {
        let next: String = url::form_urlencoded::byte_serialize(self.path.as_bytes()).collect();
        format!("/sprache/{}?next={next}", self.lang.other().code())
    }
}

/// The language the citizen chose (cookie), German otherwise.
pub fn request_lang(req: &HttpRequest) -> Lang {
    req.cookie(LANG_COOKIE)
        .and_then(|c| Lang::from_code(c.value()))
        .unwrap_or_default()
}

pub fn lang_cookie(lang: Lang, secure: bool) -> Cookie<'static> {
    Cookie::build(LANG_COOKIE, lang.code())
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .max_age(actix_web::cookie::time::Duration::days(365))
        .finish()
}

/// Only same-site paths are followed, so the switch cannot become an open redirect.
pub fn safe_local_path(next: Option<&str>) -> String {
    match next {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') => p.to_owned(),
        _ => "/".to_owned(),
    }
}

/// `GET /sprache/{code}?next=...` on either side: remember the language, go back.
pub fn switch_language(code: &str, next: Option<&str>, secure: bool) -> actix_web::HttpResponse {
    let lang = Lang::from_code(code).unwrap_or_default();
    actix_web::HttpResponse::SeeOther()
        .cookie(lang_cookie(lang, secure))
        .insert_header((actix_web::http::header::LOCATION, safe_local_path(next)))
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(safe_local_path(Some("/be/betrug")), "/be/betrug");
        assert_eq!(safe_local_path(Some("//evil.example")), "/");
        assert_eq!(safe_local_path(Some("https://evil.example")), "/");
        assert_eq!(safe_local_path(Some("/\\evil.example")), "/");
        assert_eq!(safe_local_path(None), "/");
    }
}
