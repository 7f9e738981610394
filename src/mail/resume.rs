//! The resume e-mail of "save and come back later": the link (secret in the fragment), the
//! same secret as a code to type, and until when the draft is kept. The address and the
//! secret wait sealed with the server's address key (as the confirmation's address does)
//! and the row is deleted once the mail is out, so afterwards the server holds no way to
//! open the draft.

use askama::Template;
use chrono::{DateTime, Utc};
use lettre::message::{header::ContentType, Mailbox};
use lettre::Message;
use serde::{Deserialize, Serialize};

use super::{mask_address, MailError, Mailer};
use crate::clock::local_display;
use crate::config::Settings;
use crate::crypto::{AddressKeyring, CryptoError, DraftSecret};
use crate::form_registry::directory::Directory;
use crate::i18n::Lang;
use crate::state_code::StateCode;
use crate::store::resume_mails::{self as store, NewResumeMail, ResumeMail};
use crate::store::{Db, StoreError};

/// What is sealed for the mail worker. Debug shows neither part.
#[derive(Serialize, Deserialize)]
struct Sealed {
    address: String,
    /// The draft secret in its cookie form.
    secret: String,
}

fn aad(id: &str) -> Vec<u8> {
    format!("internetwache/resume-mail/v1/{id}").into_bytes()
}

/// One citizen's request for a resume link.
pub struct ResumeRequest<'a> {
    pub state: &'a StateCode,
    pub lang: Lang,
    pub address: &'a str,
    pub secret: &'a DraftSecret,
    /// Until when the draft is kept (stated in the mail).
    pub expires_at: DateTime<Utc>,
}

/// Queues the resume e-mail: address and secret sealed for the worker, nothing in clear.
pub async fn enqueue(
    db: &Db,
    keyring: &AddressKeyring,
    request: &ResumeRequest<'_>,
    now: DateTime<Utc>,
) -> Result<(), EnqueueError> {
    let ResumeRequest {
        state,
        lang,
        address,
        secret,
        expires_at,
    } = *request;
    let id = crate::crypto::generate_token()?;
    let plain = serde_json::to_vec(&Sealed {
        address: address.to_owned(),
        secret: secret.encoded(),
    })
    .map_err(|_| EnqueueError::Crypto(CryptoError::Seal))?;
    let sealed = keyring.seal(&aad(&id), &plain)?;
    store::insert(
        db,
        &NewResumeMail {
            id: &id,
            state,
            language: lang.code(),
            sealed: &sealed,
            expires_at,
            now,
        },
    )
    .await?;
    crate::store::jobs::notify_local();
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum EnqueueError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot seal the resume e-mail")]
    Crypto(#[from] CryptoError),
}

#[derive(Template)]
#[template(path = "mail/resume.txt")]
struct ResumeText<'a> {
    de: bool,
    state_name: &'a str,
    link: &'a str,
    resume_url: &'a str,
    code: &'a str,
    until: &'a str,
}

/// Subject and text of the mail.
pub fn render(
    directory: &dyn Directory,
    lang: Lang,
    state: &StateCode,
    public_url: &str,
    secret: &DraftSecret,
    until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(String, String), MailError> {
    let state_name = directory
        .state_name(state.as_str(), lang)
        .unwrap_or_else(|| state.upper());
    let resume_url = format!("{public_url}/{}/fortsetzen", state.as_str());
    let link = format!("{resume_url}#{}", secret.encoded());
    let until = local_display(until, now - chrono::Duration::days(1), lang == Lang::De);
    let text = ResumeText {
        de: lang == Lang::De,
        state_name: &state_name,
        link: &link,
        resume_url: &resume_url,
        code: &secret.typeable(),
        until: &until,
    }
    .render()?;
    let subject = lang
        .t(
            "Ihre gespeicherte Online-Anzeige: Link zum Fortsetzen",
            "Your saved online report: link to continue",
        )
        .to_owned();
    Ok((subject, text))
}

/// Opens the sealed address and secret of `mail` and sends it. The caller deletes the row
/// on success (which erases both) and schedules a retry otherwise.
pub async fn send(
    mailer: &Mailer,
    directory: &dyn Directory,
    keyring: &AddressKeyring,
    settings: &Settings,
    mail: &ResumeMail,
    now: DateTime<Utc>,
) -> Result<(), MailError> {
    let opened = keyring
        .open(&aad(&mail.id), &mail.sealed)
        .map_err(|_| MailError::Sealed)?;
    let sealed: Sealed = serde_json::from_slice(&opened).map_err(|_| MailError::Sealed)?;
    let secret = DraftSecret::parse(&sealed.secret).ok_or(MailError::Sealed)?;
    let to: Mailbox = sealed
        .address
        .trim()
        .parse()
        .map_err(|_| MailError::Address)?;
    let lang = Lang::from_code(&mail.language).unwrap_or_default();
    let (subject, text) = render(
        directory,
        lang,
        &mail.state,
        settings.public_url.as_str(),
        &secret,
        mail.expires_at,
        now,
    )?;
    let from = super::sender(settings)?;
    let message = Message::builder()
        .from(from)
        .to(to)
        .subject(subject)
        .header(ContentType::TEXT_PLAIN)
        .body(text)?;
    mailer.send(message).await?;
    tracing::info!(state = %mail.state, to = %mask_address(&sealed.address), "resume e-mail sent");
    Ok(())
}
