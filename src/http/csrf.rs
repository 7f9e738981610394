//! CSRF protection for every POST: a random per-browser cookie (HttpOnly, SameSite=Strict)
//! and a hidden form field carrying its HMAC under a server key.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::HttpRequest;
use ring::hmac;

use crate::crypto::{constant_time_eq, generate_token};

pub const CSRF_COOKIE: &str = "iw_csrf";
pub const CSRF_FIELD: &str = "csrf_token";

pub struct CsrfKey(hmac::Key);

impl CsrfKey {
    /// Derived from a secret every instance shares, so any instance accepts any form.
    pub fn derive(shared_secret: &[u8]) -> CsrfKey {
        let base = hmac::Key::new(hmac::HMAC_SHA256, shared_secret);
        let derived = hmac::sign(&base, b"internetwache/csrf/v1");
        CsrfKey(hmac::Key::new(hmac::HMAC_SHA256, derived.as_ref()))
    }

    /// From its own secret under `DATA_DIR/keys/csrf.secret` (generated on first start,
    /// shared by every instance on that data dir). It opens nothing else.
    pub fn load(data_dir: &std::path::Path) -> Result<CsrfKey, crate::crypto::CryptoError> {
        let path = data_dir.join("keys").join("csrf.secret");
        Ok(CsrfKey::derive(
            &crate::crypto::secret_file::load_or_create(&path)?,
        ))
    }

    fn token_for(&self, browser_secret: &str) -> String {
        hex::encode(hmac::sign(&self.0, browser_secret.as_bytes()).as_ref())
    }

    /// The token to embed in forms, and the cookie to set when this browser had none.
    pub fn issue(&self, req: &HttpRequest, secure: bool) -> (String, Option<Cookie<'static>>) {
        if let Some(c) = req.cookie(CSRF_COOKIE) {
            if c.value().len() >= 32 {
                return (self.token_for(c.value()), None);
            }
        }
        let secret = generate_token().unwrap_or_else(|_| uuid::Uuid::new_v4().simple().to_string());
        let token = self.token_for(&secret);
        let cookie = Cookie::build(CSRF_COOKIE, secret)
            .path("/")
            .http_only(true)
            .secure(secure)
            .same_site(SameSite::Strict)
            .finish();
        (token, Some(cookie))
    }

    /// True when this browser holds a CSRF cookie at all; checked before reading a body.
    pub fn has_cookie(&self, req: &HttpRequest) -> bool {
        req.cookie(CSRF_COOKIE).is_some()
    }

    /// True when the submitted field matches this browser's cookie.
    pub fn verify(&self, req: &HttpRequest, submitted: Option<&str>) -> bool {
        match (req.cookie(CSRF_COOKIE), submitted) {
            (Some(cookie), Some(token)) => constant_time_eq(
                self.token_for(cookie.value()).as_bytes(),
                token.trim().as_bytes(),
            ),
            _ => false,
        }
    }
}
