//! The door of the staff pages of both sides (the intake's `/polizei` and `/verwaltung`, the
//! inbox's clerk pages): who is signed in, sign-in and sign-out against the side's own
//! accounts, the CSRF check of staff forms, paging links, and the bearer token of the APIs.
//! Each side builds a [`Door`] from its own database, audit key, policy and CSRF key.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use chrono::Utc;

use super::csrf::CsrfKey;
use super::errors::PageError;
use super::page::PageContext;
use super::staff_session::{
    client_ip, sign_in_page, signed_in, signed_out, SignInForm, SignOutForm, StaffError,
    SESSION_COOKIE,
};
use crate::crypto::audit_chain::AuditKey;
use crate::staff::sessions::{self, SessionPolicy, SignIn};
use crate::staff::{Principal, Role};
use crate::store::Db;

/// One side's staff accounts and sessions, as its pages reach them.
pub struct Door<'a> {
    pub db: &'a Db,
    pub audit_key: &'a AuditKey,
    pub policy: SessionPolicy,
    pub csrf: &'a CsrfKey,
    pub secure_cookies: bool,
}

impl Door<'_> {
    /// The signed-in staff member, if the session cookie names a live session of a role
    /// this side serves.
    pub async fn current(&self, req: &HttpRequest) -> Result<Option<Principal>, StaffError> {
        let Some(cookie) = req.cookie(SESSION_COOKIE) else {
            return Ok(None);
        };
        Ok(sessions::principal(self.db, &self.policy, cookie.value(), Utc::now()).await?)
    }

    /// The signed-in staff member; [`StaffError::SignIn`] (303 to sign-in) without one.
    pub async fn require(&self, req: &HttpRequest) -> Result<Principal, StaffError> {
        self.current(req).await?.ok_or(StaffError::SignIn)
    }

    /// Checks the CSRF field of a staff form (403 when it does not match).
    pub fn check_csrf(&self, req: &HttpRequest, token: Option<&str>) -> Result<(), StaffError> {
        if self.csrf.verify(req, token) {
            Ok(())
        } else {
            Err(PageError::Forbidden.into())
        }
    }

    /// The sign-in page; a signed-in visitor goes to their `home` instead.
    pub async fn sign_in_form(
        &self,
        page: PageContext,
        req: &HttpRequest,
        home: fn(Role) -> &'static str,
    ) -> Result<HttpResponse, StaffError> {
        match self.current(req).await? {
            Some(p) => Ok(super::response::see_other(home(p.role))),
            None => self.render(page, req, String::new(), String::new()),
        }
    }

    fn render(
        &self,
        page: PageContext,
        req: &HttpRequest,
        username: String,
        error: String,
    ) -> Result<HttpResponse, StaffError> {
        sign_in_page(page, self.csrf, self.secure_cookies, req, username, error)
    }

    /// Checks name and password: 303 to the role's `home` with a session cookie, or the
    /// sign-in page again with a message that never tells whether the name exists.
    pub async fn sign_in(
        &self,
        page: PageContext,
        req: &HttpRequest,
        form: SignInForm,
        home: fn(Role) -> &'static str,
    ) -> Result<HttpResponse, StaffError> {
        self.check_csrf(req, form.csrf_token.as_deref())?;
        let username = form.username.trim().to_owned();
        let outcome = sessions::sign_in(
            self.db,
            self.audit_key,
            &self.policy,
            &username,
            form.password,
            &client_ip(req),
            Utc::now(),
        )
        .await
        .map_err(PageError::internal)?;
        match outcome {
            SignIn::Accepted {
                session_token,
                role,
            } => signed_in(&session_token, home(role), self.secure_cookies),
            failed => {
                let message = failed.message(page.lang).to_owned();
                self.render(page, req, username, message)
            }
        }
    }

    /// Ends the session (audited) and sends the visitor to sign in.
    pub async fn sign_out(
        &self,
        req: &HttpRequest,
        form: SignOutForm,
    ) -> Result<HttpResponse, StaffError> {
        let Some(principal) = self.current(req).await? else {
            return signed_out(self.secure_cookies);
        };
        self.check_csrf(req, form.csrf_token.as_deref())?;
        let cookie = req
            .cookie(SESSION_COOKIE)
            .map(|c| c.value().to_owned())
            .unwrap_or_default();
        sessions::sign_out(self.db, self.audit_key, &principal, &cookie).await?;
        signed_out(self.secure_cookies)
    }
}

/// The links to the previous and next page of a list at `base` with the query `params`
/// (empty where there is no such page).
pub fn paging_links(
    base: &str,
    params: &[(&str, String)],
    page_number: i64,
    has_next: bool,
) -> (String, String) {
    let link = |n: i64| {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in params {
            q.append_pair(k, v);
        }
        q.append_pair("page", &n.to_string());
        format!("{base}?{}", q.finish())
    };
    let prev = if page_number > 1 {
        link(page_number - 1)
    } else {
        String::new()
    };
    let next = if has_next {
        link(page_number + 1)
    } else {
        String::new()
    };
    (prev, next)
}

/// The token of an `Authorization: Bearer <token>` header, if it has a plausible length.
pub fn bearer_token(req: &HttpRequest) -> Option<&str> {
    req.headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty() && t.len() <= 256)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_links_keep_the_query() {
        let params = [("status", "neu".to_owned()), ("q", "a b".to_owned())];
        let (prev, next) = paging_links("/liste", &params, 2, true);
        assert_eq!(prev, "/liste?status=neu&q=a+b&page=1");
        assert_eq!(next, "/liste?status=neu&q=a+b&page=3");
        let (prev, next) = paging_links("/liste", &[], 1, false);
        assert_eq!((prev.as_str(), next.as_str()), ("", ""));
    }
}
