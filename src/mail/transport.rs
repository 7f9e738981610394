//! Where mail goes, chosen by `IW_MAIL_URL`:
//! - `file://DIR` (default) writes one `.eml` file per message;
//! - `smtp://[user:pass@]host[:587]` speaks SMTP and *requires* STARTTLS (no silent
//!   downgrade); `?tls=opportunistic` upgrades only when offered, `?tls=none` never
//!   (for a relay on loopback);
//! - `smtps://[user:pass@]host[:465]` uses implicit TLS.

use std::time::Duration;

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::MailError;
use crate::config::MailUrl;

#[derive(Clone)]
pub enum Mailer {
    File(AsyncFileTransport<Tokio1Executor>),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Mailer::File(_) => "Mailer::File",
            Mailer::Smtp(_) => "Mailer::Smtp",
        })
    }
}

impl Mailer {
    pub fn from_url(url: &MailUrl, timeout: Duration) -> Result<Mailer, MailError> {
        match url {
            MailUrl::File(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| {
                    MailError::Setup(format!("cannot create {}: {e}", dir.display()))
                })?;
                Ok(Mailer::File(AsyncFileTransport::new(dir)))
            }
            MailUrl::Smtp(raw) => smtp(raw, timeout).map(Mailer::Smtp),
        }
    }

    pub async fn send(&self, message: Message) -> Result<(), MailError> {
        match self {
            Mailer::File(t) => t
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| MailError::File(e.to_string())),
            Mailer::Smtp(t) => t
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| MailError::Smtp(describe_smtp_error(&e))),
        }
    }
}

fn smtp(raw: &str, timeout: Duration) -> Result<AsyncSmtpTransport<Tokio1Executor>, MailError> {
    let url = url::Url::parse(raw).map_err(|e| MailError::Setup(format!("IW_MAIL_URL: {e}")))?;
    let host = url
        .host_str()
        .ok_or_else(|| MailError::Setup("IW_MAIL_URL: no host".into()))?
        .to_string();
    let implicit = url.scheme() == "smtps";
    let mode = url
        .query_pairs()
        .find(|(k, _)| k == "tls")
        .map(|(_, v)| v.into_owned());
    let params = || {
        TlsParameters::new(host.clone())
            .map_err(|e| MailError::Setup(format!("IW_MAIL_URL: TLS setup failed: {e}")))
    };
    let tls = match (implicit, mode.as_deref()) {
        (true, None | Some("implicit")) => Tls::Wrapper(params()?),
        (false, None | Some("required")) => Tls::Required(params()?),
        (false, Some("opportunistic")) => Tls::Opportunistic(params()?),
        (false, Some("none")) => Tls::None,
        (_, Some(other)) => {
            return Err(MailError::Setup(format!(
                "IW_MAIL_URL: unknown tls={other:?} for {}://",
                url.scheme()
            )))
        }
    };
    let port = url.port().unwrap_or(if implicit { 465 } else { 587 });
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
        .port(port)
        .tls(tls)
        .timeout(Some(timeout));
    if !url.username().is_empty() {
        let decode = |s: &str| {
            url::form_urlencoded::parse(format!("x={s}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        };
        builder = builder.credentials(Credentials::new(
            decode(url.username()),
            decode(url.password().unwrap_or("")),
        ));
    }
    Ok(builder.build())
}

/// The kind and status code of an SMTP failure. The server's text is left out: it may
/// quote the recipient's address.
fn describe_smtp_error(e: &lettre::transport::smtp::Error) -> String {
    let kind = if e.is_timeout() {
        "timeout"
    } else if e.is_tls() {
        "TLS failure"
    } else if e.is_transient() {
        "temporary rejection"
    } else if e.is_permanent() {
        "permanent rejection"
    } else {
        "connection failure"
    };
    match e.status() {
        Some(code) => format!("{kind} (code {code})"),
        None => kind.to_string(),
    }
}
