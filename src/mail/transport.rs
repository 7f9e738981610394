//! Where mail goes, chosen by `IW_MAIL_URL`:
//! - `file://DIR` (default) writes one `.eml` file per message;
//! - `smtp://[user:pass@]host[:587]` speaks SMTP and *requires* STARTTLS (no silent
//!   downgrade); `?tls=opportunistic` upgrades only when offered, `?tls=none` never
//!   (for a relay on loopback);
//! - `smtps://[user:pass@]host[:465]` uses implicit TLS.
//!
//! The credentials are optional; reserved characters in them are percent-encoded
//! (`@` as `%40`, `:` as `%3A`, `%` as `%25`), and `+` is a plain `+`.

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
    if let Some(credentials) = smtp_credentials(&url)? {
        builder = builder.credentials(credentials);
    }
    Ok(builder.build())
}

/// The optional `user:password` of an SMTP URL. Both are percent-decoded as RFC 3986 says
/// (not as form data, where `+` would become a space), so any byte can be written as `%XX`.
fn smtp_credentials(url: &url::Url) -> Result<Option<Credentials>, MailError> {
    if url.username().is_empty() {
        return Ok(None);
    }
    let decode = |part: &'static str, raw: &str| {
        percent_encoding::percent_decode_str(raw)
            .decode_utf8()
            .map(|s| s.into_owned())
            // The value itself stays out of the message: it is a secret.
            .map_err(|_| MailError::Setup(format!("IW_MAIL_URL: the {part} is not UTF-8")))
    };
    Ok(Some(Credentials::new(
        decode("user name", url.username())?,
        decode("password", url.password().unwrap_or(""))?,
    )))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn credentials(raw: &str) -> Option<Credentials> {
        smtp_credentials(&url::Url::parse(raw).unwrap()).unwrap()
    }

    #[test]
    fn credentials_are_percent_decoded_and_plus_stays_plus() {
        let found = credentials("smtp://relay%40example.org:a+b%40c%3Ad%25e@mail.example.org:587");
        let expected = Credentials::new("relay@example.org".into(), "a+b@c:d%e".into());
        assert!(found == Some(expected), "user or password decoded wrongly");
    }

    #[test]
    fn credentials_are_optional() {
        assert!(credentials("smtp://mail.example.org:587?tls=none").is_none());
        let transport = Mailer::from_url(
            &"smtps://mail.example.org".parse().unwrap(),
            Duration::from_secs(1),
        );
        assert!(matches!(transport, Ok(Mailer::Smtp(_))));
    }

    #[test]
    fn undecodable_password_is_refused_without_showing_it() {
        let url = url::Url::parse("smtp://user:s3cret%FF@mail.example.org").unwrap();
        let Err(MailError::Setup(message)) = smtp_credentials(&url) else {
            panic!("a password that is not UTF-8 must be refused");
        };
        assert!(!message.contains("s3cret"), "{message}");
    }
}
