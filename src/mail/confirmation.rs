//! The citizen's confirmation: case number, police desk, responsible office, what happens
//! next, how to send evidence later. Never anything of the report itself.

use askama::Template;
use chrono::Utc;
use lettre::message::{Mailbox, MultiPart};
use lettre::Message;

use super::{mask_address, MailError, Mailer};
use crate::crypto::DraftKeyring;
use crate::form_registry::directory::{Contact, Directory};
use crate::i18n::Lang;
use crate::reports::submission::confirmation_aad;
use crate::store::{delivery as store, jobs::Job, reports, Db};

#[derive(Template)]
#[template(path = "mail/confirmation.txt")]
struct ConfirmationText<'a> {
    de: bool,
    case_number: &'a str,
    desk: &'a str,
    desk_contact: &'a [String],
    office: &'a str,
    state_name: &'a str,
}

#[derive(Template)]
#[template(path = "mail/confirmation.html")]
struct ConfirmationHtml<'a> {
    de: bool,
    subject: &'a str,
    case_number: &'a str,
    desk: &'a str,
    desk_contact: &'a [String],
    office: &'a str,
    state_name: &'a str,
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

pub fn render(
    directory: &dyn Directory,
    lang: Lang,
    case_number: &str,
    state: &str,
    office_id: Option<&str>,
) -> Result<ConfirmationContent, MailError> {
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
    let text = ConfirmationText {
        de,
        case_number,
        desk: &desk_name,
        desk_contact: &desk_contact,
        office: &office,
        state_name: &state_name,
    }
    .render()?;
    let html = ConfirmationHtml {
        de,
        subject: &subject,
        case_number,
        desk: &desk_name,
        desk_contact: &desk_contact,
        office: &office,
        state_name: &state_name,
    }
    .render()?;
    Ok(ConfirmationContent {
        lang,
        case_number: case_number.to_string(),
        subject,
        text,
        html,
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
    keyring: &DraftKeyring,
    from: &str,
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
    let address = keyring
        .open(&confirmation_aad(&report.case_number), sealed)
        .map_err(|_| MailError::Sealed)?;
    let address = String::from_utf8(address).map_err(|_| MailError::Address)?;
    let to: Mailbox = address.trim().parse().map_err(|_| MailError::Address)?;
    let lang = Lang::from_code(&outbox.language).unwrap_or_default();
    let content = render(
        directory,
        lang,
        report.case_number.as_str(),
        report.state.as_str(),
        report.office_id.as_deref(),
    )?;
    let from: Mailbox = from
        .parse()
        .map_err(|_| MailError::Setup("IW_MAIL_FROM is not a valid mailbox".into()))?;
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
            "BE-K7M3-Q9XD-R2HP-7",
            "be",
            Some("dir-3"),
        )
        .unwrap();
        assert!(c.subject.contains("BE-K7M3-Q9XD-R2HP-7"));
        assert!(c.text.contains("Internetwache der Polizei Berlin"));
        assert!(c.text.contains("internetwache@polizei.berlin.example"));
        assert!(c.text.contains("Polizeidirektion 3 <Mitte>"));
        assert!(c.text.contains("Vorgangsnummer BE-K7M3-Q9XD-R2HP-7 an"));
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
            "BE-K7M3-Q9XD-R2HP-7",
            "be",
            None,
        )
        .unwrap();
        assert!(c.text.contains("the online police desk of BE"));
        assert!(c.text.contains("to be determined by the police"));
        assert!(c.text.contains("Case number: BE-K7M3-Q9XD-R2HP-7"));
    }
}
