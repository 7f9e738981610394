//! Sign-in and sign-out of the inbox: the intake's staff door (`http::staff_door`, with
//! `staff::sessions`) against the inbox's own accounts (`internetwache inbox user add`).

use actix_web::{web, HttpRequest, HttpResponse};

use super::{door, page, INBOX_PATH};
use crate::http::staff_session::{SignInForm, SignOutForm, StaffError};
use crate::inbox::context::Inbox;
use crate::staff::Role;

/// Every role of the inbox starts at the Posteingang.
fn home(_: Role) -> &'static str {
    INBOX_PATH
}

#[tracing::instrument(skip_all)]
pub async fn form(req: HttpRequest, inbox: web::Data<Inbox>) -> Result<HttpResponse, StaffError> {
    door(&inbox)
        .sign_in_form(page(&inbox, &req), &req, home)
        .await
}

#[tracing::instrument(skip_all)]
pub async fn submit(
    req: HttpRequest,
    inbox: web::Data<Inbox>,
    form: web::Form<SignInForm>,
) -> Result<HttpResponse, StaffError> {
    door(&inbox)
        .sign_in(page(&inbox, &req), &req, form.into_inner(), home)
        .await
}

#[tracing::instrument(skip_all)]
pub async fn sign_out(
    req: HttpRequest,
    inbox: web::Data<Inbox>,
    form: web::Form<SignOutForm>,
) -> Result<HttpResponse, StaffError> {
    door(&inbox).sign_out(&req, form.into_inner()).await
}
