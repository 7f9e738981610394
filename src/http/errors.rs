//! Error pages for people: a plain German/English page, never a stack trace.

use actix_web::http::header::ContentType;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use askama::Template;

use crate::http::page::request_lang;
use crate::i18n::Lang;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    lang: Lang,
    status: u16,
    title: &'a str,
    message: &'a str,
    /// On the inbox: its own footer links, not the citizen pages it does not serve.
    internal: bool,
}

/// Marks a response whose body is the error page, so the inbox can put its own in place.
#[derive(Debug, Clone, Copy)]
pub struct ErrorPageBody;

/// Renders the error page; falls back to plain text should the template itself fail.
pub fn error_page(lang: Lang, status: StatusCode) -> HttpResponse {
    render_error_page(lang, status, false)
}

/// The error page of the inbox (staff footer links).
pub fn inbox_error_page(lang: Lang, status: StatusCode) -> HttpResponse {
    render_error_page(lang, status, true)
}

fn render_error_page(lang: Lang, status: StatusCode, internal: bool) -> HttpResponse {
    let (title, message) = describe(lang, status);
    let page = ErrorPage {
        lang,
        status: status.as_u16(),
        title,
        message,
        internal,
    };
    let mut res = match page.render() {
        Ok(html) => HttpResponse::build(status)
            .content_type(ContentType::html())
            .body(html),
        Err(_) => HttpResponse::build(status)
            .content_type(ContentType::plaintext())
            .body(title.to_owned()),
    };
    res.extensions_mut().insert(ErrorPageBody);
    res
}

/// The title and message of an error page (German, English) for some statuses.
struct Described {
    statuses: &'static [u16],
    title: (&'static str, &'static str),
    message: (&'static str, &'static str),
}

const DESCRIBED: &[Described] = &[
    Described {
        statuses: &[404],
        title: ("Seite nicht gefunden", "Page not found"),
        message: (
            "Diese Seite gibt es nicht. Prüfen Sie die Adresse oder beginnen Sie auf der Startseite.",
            "This page does not exist. Check the address or start again on the home page.",
        ),
    },
    Described {
        statuses: &[403],
        title: ("Kein Zugriff", "Access denied"),
        message: (
            "Sie dürfen diese Seite nicht aufrufen.",
            "You are not allowed to view this page.",
        ),
    },
    Described {
        statuses: &[408],
        title: ("Zeitüberschreitung", "Request timed out"),
        message: (
            "Ihre Eingaben kamen nicht rechtzeitig an. Bitte gehen Sie zurück und senden Sie das Formular erneut.",
            "What you sent did not arrive in time. Please go back and send the form again.",
        ),
    },
    Described {
        statuses: &[413],
        title: ("Die Datei ist zu groß", "The file is too large"),
        message: (
            "Die gesendeten Daten sind größer als erlaubt. Bitte gehen Sie zurück und wählen Sie eine kleinere Datei.",
            "What you sent is larger than allowed. Please go back and choose a smaller file.",
        ),
    },
    Described {
        statuses: &[400, 415, 422],
        title: ("Die Anfrage war ungültig", "The request was not valid"),
        message: (
            "Bitte gehen Sie zurück und versuchen Sie es erneut.",
            "Please go back and try again.",
        ),
    },
    Described {
        statuses: &[429],
        title: ("Zu viele Anfragen", "Too many requests"),
        message: (
            "Von Ihrem Anschluss kamen in kurzer Zeit sehr viele Anfragen. Bitte warten Sie eine Minute und versuchen Sie es dann erneut. Ihre bisherigen Eingaben bleiben erhalten.",
            "There were very many requests from your connection in a short time. Please wait a minute and try again. What you have entered is kept.",
        ),
    },
    Described {
        statuses: &[503],
        title: ("Dienst vorübergehend nicht verfügbar", "Service temporarily unavailable"),
        message: (
            "Bitte versuchen Sie es in einigen Minuten erneut. In dringenden Fällen wählen Sie 110.",
            "Please try again in a few minutes. In an emergency call 110.",
        ),
    },
];

/// Any other status.
const OTHER: Described = Described {
    statuses: &[],
    title: ("Es ist ein Fehler aufgetreten", "Something went wrong"),
    message: (
        "Bitte versuchen Sie es später erneut. In dringenden Fällen wählen Sie 110.",
        "Please try again later. In an emergency call 110.",
    ),
};

fn describe(lang: Lang, status: StatusCode) -> (&'static str, &'static str) {
    let d = DESCRIBED
        .iter()
        .find(|d| d.statuses.contains(&status.as_u16()))
        .unwrap_or(&OTHER);
    (
        lang.t(d.title.0, d.title.1),
        lang.t(d.message.0, d.message.1),
    )
}

/// An RFC 9457 problem document, as the pull API answers errors.
pub fn problem_response(status: StatusCode, detail: &str) -> HttpResponse {
    let title = status.canonical_reason().unwrap_or("Error");
    HttpResponse::build(status)
        .content_type("application/problem+json")
        .body(
            serde_json::json!({
                "type": "about:blank",
                "title": title,
                "status": status.as_u16(),
                "detail": detail,
            })
            .to_string(),
        )
}

/// The branded answer for an error status: problem+json under `/api/`, else the page.
pub fn branded_error(req: &HttpRequest, status: StatusCode) -> HttpResponse {
    if req.path().starts_with("/api/") {
        let (_, message) = describe(Lang::En, status);
        problem_response(status, message)
    } else {
        error_page(request_lang(req), status)
    }
}

/// 404 for any path no route claims.
pub async fn not_found(req: HttpRequest) -> HttpResponse {
    error_page(request_lang(&req), StatusCode::NOT_FOUND)
}

/// An error in a page handler. Its Display is for logs and must not carry personal data.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    #[error("request body over the size limit")]
    TooLarge,
    #[error("request body not sent in time")]
    BodyDeadline,
    #[error("the database is unavailable")]
    Store(#[from] crate::store::StoreError),
    #[error("drafts are unavailable")]
    Draft(#[from] crate::drafts::DraftError),
    #[error("rendering the page failed")]
    Template(#[from] askama::Error),
    /// Something that should hold does not (e.g. a pinned form version is gone).
    #[error("broken invariant: {0}")]
    Invariant(&'static str),
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl PageError {
    /// The database (or the drafts kept in it) cannot be reached: worth sending again later.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, PageError::Store(_) | PageError::Draft(_))
    }
}

impl From<crate::http::form_body::BodyError> for PageError {
    fn from(e: crate::http::form_body::BodyError) -> Self {
        use crate::http::form_body::BodyError;
        match e {
            BodyError::TooLarge(_) => PageError::TooLarge,
            BodyError::Malformed => PageError::BadRequest("malformed form data"),
            BodyError::Deadline => PageError::BodyDeadline,
        }
    }
}

impl PageError {
    pub fn internal(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        PageError::Internal(Box::new(e))
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            PageError::NotFound => StatusCode::NOT_FOUND,
            PageError::Forbidden => StatusCode::FORBIDDEN,
            PageError::BadRequest(_) => StatusCode::BAD_REQUEST,
            PageError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            PageError::BodyDeadline => StatusCode::REQUEST_TIMEOUT,
            PageError::Store(_) | PageError::Draft(_) => StatusCode::SERVICE_UNAVAILABLE,
            PageError::Template(_) | PageError::Invariant(_) | PageError::Internal(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if status.is_server_error() {
            tracing::error!(error = %crate::telemetry::error_chain(self), "page failed");
        }
        // The language cookie is not reachable here; German is the safe default.
        error_page(Lang::De, status)
    }
}
