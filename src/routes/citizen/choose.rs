//! Choosing the state (or finding it by postal code) and the category.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::app_state::AppState;
use crate::http::errors::PageError;
use crate::http::page::PageContext;
use crate::http::response::{html, see_other};
use crate::routes::landing::landing_page;
use crate::state_code::StateCode;

#[derive(Deserialize)]
pub struct ChooseQuery {
    state: Option<String>,
}

/// The landing page's state choice, sent as GET so it works without JavaScript.
/// Nothing (or nonsense) chosen: the landing page again, with an error summary.
#[tracing::instrument(skip_all)]
pub async fn choose(
    req: HttpRequest,
    app: web::Data<AppState>,
    query: web::Query<ChooseQuery>,
) -> Result<HttpResponse, PageError> {
    match query.state.as_deref() {
        Some("unknown") => Ok(see_other("/melden/bundesland")),
        Some(code) => match StateCode::parse(code) {
            Ok(code) => Ok(see_other(&format!("/{code}"))),
            Err(_) => landing_page(&app, &req, true),
        },
        None => landing_page(&app, &req, true),
    }
}

#[derive(Template)]
#[template(path = "citizen/find_state.html")]
struct FindStatePage {
    page: PageContext,
    csrf: String,
    postal_code: String,
    error: String,
    states: Vec<(String, String)>,
}

fn find_state_page(
    app: &AppState,
    req: &HttpRequest,
    postal_code: String,
    error: String,
) -> Result<HttpResponse, PageError> {
    let page = app.page(req);
    let (csrf, cookie) = app.csrf.issue(req, app.settings.secure_cookies());
    let states = app.state_names(page.lang);
    let body = FindStatePage {
        page,
        csrf,
        postal_code,
        error,
        states,
    }
    .render()?;
    Ok(html(body, cookie.into_iter().collect()))
}

#[tracing::instrument(skip_all)]
pub async fn find_state_form(
    req: HttpRequest,
    app: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    find_state_page(&app, &req, String::new(), String::new())
}

#[derive(Deserialize)]
pub struct FindStateForm {
    postal_code: String,
    csrf_token: Option<String>,
}

/// "I don't know": the crime scene's postal code decides; the home address's when the
/// scene is unknown, on the internet or abroad.
#[tracing::instrument(skip_all)]
pub async fn find_state(
    req: HttpRequest,
    app: web::Data<AppState>,
    form: web::Form<FindStateForm>,
) -> Result<HttpResponse, PageError> {
    if !app.csrf.verify(&req, form.csrf_token.as_deref()) {
        return Err(PageError::Forbidden);
    }
    let lang = crate::http::page::request_lang(&req);
    let code: String = form
        .postal_code
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if code.len() != 5 || !code.chars().all(|c| c.is_ascii_digit()) {
        let msg = lang.t(
            "Geben Sie eine Postleitzahl mit 5 Ziffern ein, zum Beispiel 10115",
            "Enter a postcode with 5 digits, for example 10115",
        );
        return find_state_page(&app, &req, form.postal_code.clone(), msg.to_owned());
    }
    match app.forms.catalog().state_for_postal_code(&code) {
        Some(state) => Ok(see_other(&format!("/{}", state.code))),
        None => {
            let msg = lang.t(
                "Für diese Postleitzahl bietet die Internetwache noch keine Online-Anzeige an. Wenden Sie sich an die Onlinewache Ihres Bundeslandes oder an jede Polizeidienststelle.",
                "The online police station does not yet serve this postcode. Please use your state's online police station or go to any police station.",
            );
            find_state_page(&app, &req, code, msg.to_owned())
        }
    }
}

#[derive(Template)]
#[template(path = "citizen/state.html")]
struct StatePage {
    page: PageContext,
    state_code: String,
    state_name: String,
    forms: Vec<FormChoice>,
    desk_name: String,
    desk_phone: String,
    privacy_url: String,
    accessibility_url: String,
}

struct FormChoice {
    id: String,
    title: String,
    help: String,
}

#[tracing::instrument(skip_all)]
pub async fn state_page(
    req: HttpRequest,
    app: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let code = StateCode::parse(&path).map_err(|_| PageError::NotFound)?;
    let info = app
        .forms
        .catalog()
        .state(&code)
        .ok_or(PageError::NotFound)?;
    let page = app.page(&req);
    let lang = page.lang;
    let forms = app
        .forms
        .live_for_state(&app.db, &code)
        .await?
        .iter()
        .map(|v| FormChoice {
            id: v.id.clone(),
            title: v.title.get(lang).to_owned(),
            help: v.help.get(lang).to_owned(),
        })
        .collect();
    let body = StatePage {
        page,
        state_code: code.to_string(),
        state_name: info.name.get(lang).to_owned(),
        forms,
        desk_name: info.central_office.name.clone(),
        desk_phone: info.central_office.phone.clone(),
        privacy_url: info.privacy_url.clone(),
        accessibility_url: info.accessibility_url.clone(),
    }
    .render()?;
    Ok(html(body, Vec::new()))
}
