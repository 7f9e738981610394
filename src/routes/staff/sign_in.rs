//! Sign-in and sign-out pages of the intake's staff: the shared staff door
//! (`http::staff_door`) against the intake's accounts. The message never tells whether
//! the user name exists.

use actix_web::{web, HttpRequest, HttpResponse};

use super::{door, StaffError};
use crate::app_state::AppState;
use crate::http::staff_session::{SignInForm, SignOutForm};
use crate::staff::Role;

fn home_of(role: Role) -> &'static str {
    match role {
        Role::Clerk | Role::Lead | Role::Operator => "/polizei/berichte",
        Role::Admin => "/verwaltung/formulare",
    }
}

#[tracing::instrument(skip_all)]
pub async fn form(req: HttpRequest, app: web::Data<AppState>) -> Result<HttpResponse, StaffError> {
    door(&app).sign_in_form(app.page(&req), &req, home_of).await
}

#[tracing::instrument(skip_all)]
pub async fn submit(
    req: HttpRequest,
    app: web::Data<AppState>,
    form: web::Form<SignInForm>,
) -> Result<HttpResponse, StaffError> {
    door(&app)
        .sign_in(app.page(&req), &req, form.into_inner(), home_of)
        .await
}

#[tracing::instrument(skip_all)]
pub async fn sign_out(
    req: HttpRequest,
    app: web::Data<AppState>,
    form: web::Form<SignOutForm>,
) -> Result<HttpResponse, StaffError> {
    door(&app).sign_out(&req, form.into_inner()).await
}
