//! The citizen's confirmation: case number, police desk, responsible office, what happens
//! next, how to send evidence later. Never anything of the report itself.

use askama::Template;
use chrono::Utc;
use lettre::message::{Mailbox, MultiPart};
use lettre::Message;

use super::{mask_address, MailError, Mailer};
use crate::config::Settings;
use crate::crypto::AddressKeyring;
use crate::form_registry::directory::{Contact, Directory};
use crate::i18n::Lang;
use crate::reports::submission::{confirmation_aad, SealedMail};
use crate::store::{delivery as store, jobs::Job, reports, Db};

/// The text part; the HTML part shows the same fields (and the subject as its title).
#[derive(Template)]
#[template(path = "mail/confirmation.txt")]
struct ConfirmationText<'a> {
    de: bool,
    subject: &'a str,
    case_number: &'a str,
    desk: &'a str,
    desk_contact: &'a [String],
    office: &'a str,
    state_name: &'a str,
    /// Empty for a mail rendered without one (the code is never stored readable).
    status_code: &'a str,
    status_url: &'a str,
}

/// The HTML part: the template finds the text part's fields through `Deref`.
#[derive(Template)]
#[template(path = "mail/confirmation.html")]
struct ConfirmationHtml<'a>(&'a ConfirmationText<'a>);

impl<'a> std::ops::Deref for ConfirmationHtml<'a> {
    type Target = ConfirmationText<'a>;
    fn deref(&self) -> &Self::Target {
        self.0
    }
}

/// What the mail says, with fallbacks where the directory knows nothing.
#[derive(Debug, Clone)]
pub struct ConfirmationContent {
    pub lang: Lang,
    pub case_number: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The report the mail confirms: what the plaintext index says, and the status code.
pub struct Confirmed<'a> {
    pub case_number: &'a str,
    pub state: &'a str,
    pub office_id: Option<&'a str>,
    pub status_code: &'a str,
    /// Where the status page is, e.g. `https://internetwache.example/status`.
    pub status_url: &'a str,
}

pub fn render(
    directory: &dyn Directory,
    lang: Lang,
    confirmed: &Confirmed<'_>,
) -> Result<ConfirmationContent, MailError> {
    let Confirmed {
        case_number,
        state,
        office_id,
        ..
    } = *confirmed;
    let upper = state.to_ascii_uppercase();
    let state_name = directory.state_name(state, lang).unwrap_or(upper.clone());
    let desk = directory.desk(state);
    let desk_name = desk.as_ref().map(|c| c.name.clone()).unwrap_or_else(|| {
        lang.t(
            "der Internetwache der Polizei ",
            "the online police desk of ",
        )
        .to_string()
            + &state_name
    });
    let desk_contact = desk.as_ref().map(contact_lines).unwrap_or_default();
    let office = match office_id {
        Some(id) => directory
            .office(state, id)
            .map(|c| c.name)
            .unwrap_or_else(|| format!("{} {id}", lang.t("Dienststelle", "Office"))),
        None => lang
            .t(
                "wird von der Polizei festgelegt",
                "to be determined by the police",
            )
            .to_string(),
    };
    let subject = format!(
        "{} {case_number}",
        lang.t(
            "Eingangsbestätigung Ihrer Online-Anzeige",
            "Your online report has been received:"
        )
    );
    let de = lang == Lang::De;
    let fields = ConfirmationText {
        de,
        subject: &subject,
        case_number,
        desk: &desk_name,
        desk_contact: &desk_contact,
        office: &office,
        state_name: &state_name,
        status_code: confirmed.status_code,
        status_url: confirmed.status_url,
    };
    let text = fields.render()?;
    let html = ConfirmationHtml(&fields).render()?;
    Ok(ConfirmationContent {
        lang,
        case_number: case_number.to_string(),
        subject,
        text,
        html,
    })
}

/// The sealed address and status code; a blob sealed before status codes existed holds
/// the bare address.
fn open_sealed_mail(opened: Vec<u8>) -> Result<SealedMail, MailError> {
    if let Ok(mail) = serde_json::from_slice::<SealedMail>(&opened) {
        return Ok(mail);
    }
    Ok(SealedMail {
        address: String::from_utf8(opened).map_err(|_| MailError::Address)?,
        status_code: String::new(),
    })
}

fn contact_lines(c: &Contact) -> Vec<String> {
    [&c.email, &c.phone, &c.url]
        .into_iter()
        .flatten()
        .cloned()
        .collect()
}

/// What a confirmation job did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    /// Sent now; address erased, job done.
    Sent,
    /// Nothing (left) to send.
    Nothing,
}

/// Runs one `email` job: opens the sealed address, sends, then erases the address and
/// completes the job in one transaction.
#[tracing::instrument(skip_all, fields(job_id = job.id, report_id = job.report_id))]
pub async fn run(
    db: &Db,
    mailer: &Mailer,
    directory: &dyn Directory,
    keyring: &AddressKeyring,
    settings: &Settings,
    job: &Job,
    worker: &str,
) -> Result<Sent, MailError> {
    let Some(outbox) = store::outbox(db, job.report_id).await? else {
        return Ok(Sent::Nothing);
    };
    let Some(sealed) = outbox
        .sealed_address
        .as_deref()
        .filter(|_| outbox.sent_at.is_none())
    else {
        return Ok(Sent::Nothing);
    };
    let report = reports::get_by_id(db, job.report_id)
        .await?
        .ok_or(MailError::UnknownReport(job.report_id))?;
    let opened = keyring
        .open(&confirmation_aad(&report.case_number), sealed)
        .map_err(|_| MailError::Sealed)?;
    let SealedMail {
        address,
        status_code,
    } = open_sealed_mail(opened)?;
    let to: Mailbox = address.trim().parse().map_err(|_| MailError::Address)?;
    let lang = Lang::from_code(&outbox.language).unwrap_or_default();
    let status_url = format!("{}/status", settings.public_url.as_str());
    let content = render(
        directory,
        lang,
        &Confirmed {
            case_number: report.case_number.as_str(),
            state: report.state.as_str(),
            office_id: report.office_id.as_deref(),
            status_code: &status_code,
            status_url: &status_url,
        },
    )?;
    let from = super::sender(settings)?;
    let message = Message::builder()
        .from(from)
        .to(to)
        .subject(content.subject)
        .multipart(MultiPart::alternative_plain_html(
            content.text,
            content.html,
        ))?;
    mailer.send(message).await?;
    store::mark_mail_sent(db, job, worker, Utc::now()).await?;
    tracing::info!(
        report_id = job.report_id,
        to = %mask_address(&address),
        "confirmation e-mail sent"
    );
    Ok(Sent::Sent)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::form_registry::directory::FallbackDirectory;

    struct Berlin;

    impl Directory for Berlin {
        fn desk(&self, _state: &str) -> Option<Contact> {
            Some(Contact {
                name: "Internetwache der Polizei Berlin".into(),
                email: Some("internetwache@polizei.berlin.example".into()),
                phone: None,
                url: None,
            })
        }
        fn office(&self, _state: &str, office_id: &str) -> Option<Contact> {
            (office_id == "dir-3").then(|| Contact {
                name: "Polizeidirektion 3 <Mitte>".into(),
                ..Contact::default()
            })
        }
        fn state_name(&self, _state: &str, _lang: Lang) -> Option<String> {
            Some("Berlin".into())
        }
    }

    #[test]
    fn names_desk_office_and_case_number() {
        let c = render(
            &Berlin,
            Lang::De,
            &Confirmed {
                case_number: "BE-K7M3-Q9XD-R2HP-7",
                state: "be",
                office_id: Some("dir-3"),
                status_code: "K7M3-Q9XD-R2HP-W4ZT-8NB5",
                status_url: "https://iw.example/status",
            },
        )
        .unwrap();
        assert!(c.text.contains("Statuscode: K7M3-Q9XD-R2HP-W4ZT-8NB5"));
        assert!(c.text.contains("https://iw.example/status"));
        assert!(c.html.contains("K7M3-Q9XD-R2HP-W4ZT-8NB5"));
        assert!(c.subject.contains("BE-K7M3-Q9XD-R2HP-7"));
        assert!(c.text.contains("Internetwache der Polizei Berlin"));
        assert!(c.text.contains("Polizeidirektion 3 <Mitte>"));
        // Evidence found later goes through the status page, sealed, not by e-mail.
        assert!(c.text.contains("„Informationen nachreichen“"));
        assert!(c.html.contains("„Informationen nachreichen“"));
        assert!(!c.text.contains("Vorgangsnummer BE-K7M3-Q9XD-R2HP-7 an"));
        // HTML escapes directory values.
        assert!(
            c.html.contains("Polizeidirektion 3 &#60;Mitte&#62;")
                || c.html.contains("&lt;Mitte&gt;")
        );
        assert!(c.html.contains("lang=\"de\""));
    }

    #[test]
    fn falls_back_when_the_directory_knows_nothing() {
        let c = render(
            &FallbackDirectory,
            Lang::En,
            &Confirmed {
                case_number: "BE-K7M3-Q9XD-R2HP-7",
                state: "be",
                office_id: None,
                status_code: "",
                status_url: "https://iw.example/status",
            },
        )
        .unwrap();
        assert!(!c.text.contains("Status code"));
        assert!(c.text.contains("the online police desk of BE"));
        assert!(c.text.contains("to be determined by the police"));
        assert!(c.text.contains("Case number: BE-K7M3-Q9XD-R2HP-7"));
    }
}
