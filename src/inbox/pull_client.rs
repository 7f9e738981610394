//! The police side's client of the intake's pull API (token auth): list pending reports
//! page by page (`/api/v1/reports`) and undelivered follow-ups (`/api/v1/followups`), fetch
//! an envelope byte for byte, post its receipt. Used by `internetwache clerk pull` and by
//! the inbox's pull mode.

use std::time::Duration;

use anyhow::Context;
use serde::Deserialize;

/// One page of a pull-API list.
#[derive(Debug, Deserialize)]
struct Page<T> {
    items: Vec<T>,
    next_cursor: Option<String>,
}

/// A pending report in the list.
#[derive(Debug, Deserialize)]
pub struct Item {
    pub case_number: String,
}

/// An undelivered follow-up in the list.
#[derive(Debug, Deserialize)]
pub struct FollowupItem {
    pub case_number: String,
    pub seq: u32,
}

/// A pull-API list walked to its last page. The cursor is the last id handed out, so an
/// item left unconfirmed stays behind it, and one confirmed moves nothing.
pub struct Pages<'a, T> {
    client: &'a PullClient,
    list: &'static str,
    cursor: Option<String>,
    done: bool,
    items: std::marker::PhantomData<T>,
}

impl<'a, T: serde::de::DeserializeOwned> Pages<'a, T> {
    fn new(client: &'a PullClient, list: &'static str) -> Self {
        Pages {
            client,
            list,
            cursor: None,
            done: false,
            items: std::marker::PhantomData,
        }
    }

    /// The next page's items; `None` after the last page.
    pub async fn next(&mut self) -> anyhow::Result<Option<Vec<T>>> {
        if self.done {
            return Ok(None);
        }
        let client = self.client;
        let mut request = client
            .http
            .get(format!("{}/{}", client.base, self.list))
            .header(reqwest::header::AUTHORIZATION, &client.auth);
        if let Some(c) = &self.cursor {
            request = request.query(&[("cursor", c)]);
        }
        let body = client.send(request).await?;
        let page: Page<T> = serde_json::from_str(&body)
            .with_context(|| format!("unexpected response to {}", self.list))?;
        match page.next_cursor {
            Some(next) if !page.items.is_empty() => self.cursor = Some(next),
            _ => self.done = true,
        }
        Ok(Some(page.items))
    }
}

pub struct PullClient {
    http: reqwest::Client,
    base: String,
    auth: String,
}

impl PullClient {
    /// For the intake at `url` (its base URL) with a pull-API token.
    pub fn new(url: &str, token: &str) -> anyhow::Result<PullClient> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .context("cannot build the HTTP client")?;
        Ok(PullClient {
            http,
            base: format!("{}/api/v1", url.trim_end_matches('/')),
            auth: format!("Bearer {}", token.trim()),
        })
    }

    /// The pending reports, oldest first, page by page.
    pub fn pending(&self) -> Pages<'_, Item> {
        Pages::new(self, "reports?status=pending&limit=100")
    }

    /// The undelivered follow-ups, oldest first, page by page.
    pub fn pending_followups(&self) -> Pages<'_, FollowupItem> {
        Pages::new(self, "followups?limit=100")
    }

    /// The envelope exactly as the intake stored it.
    pub async fn envelope(&self, case_number: &str) -> anyhow::Result<String> {
        let request = self
            .http
            .get(format!("{}/reports/{case_number}", self.base))
            .header(reqwest::header::AUTHORIZATION, &self.auth);
        self.send(request)
            .await
            .with_context(|| format!("{case_number}: cannot fetch the envelope"))
    }

    /// Posts the receipt; the intake checks it against its stored envelope.
    pub async fn acknowledge(&self, case_number: &str, receipt: &str) -> anyhow::Result<()> {
        let request = self
            .http
            .post(format!("{}/reports/{case_number}/receipt", self.base))
            .header(reqwest::header::AUTHORIZATION, &self.auth)
            .json(&serde_json::json!({ "receipt": receipt }));
        self.send(request)
            .await
            .map(|_| ())
            .with_context(|| format!("{case_number}: receipt refused"))
    }

    /// A follow-up's envelope exactly as the intake stored it.
    pub async fn followup_envelope(&self, case_number: &str, seq: u32) -> anyhow::Result<String> {
        let request = self
            .http
            .get(format!("{}/followups/{case_number}/{seq}", self.base))
            .header(reqwest::header::AUTHORIZATION, &self.auth);
        self.send(request)
            .await
            .with_context(|| format!("{case_number}.{seq}: cannot fetch the follow-up"))
    }

    /// Posts a follow-up's receipt (keyed `<case number>.<seq>`).
    pub async fn acknowledge_followup(
        &self,
        case_number: &str,
        seq: u32,
        receipt: &str,
    ) -> anyhow::Result<()> {
        let request = self
            .http
            .post(format!(
                "{}/followups/{case_number}/{seq}/receipt",
                self.base
            ))
            .header(reqwest::header::AUTHORIZATION, &self.auth)
            .json(&serde_json::json!({ "receipt": receipt }));
        self.send(request)
            .await
            .map(|_| ())
            .with_context(|| format!("{case_number}.{seq}: follow-up receipt refused"))
    }

    /// Sends with a few retries for what passes (a dropped connection, 429, 502-504):
    /// every call is idempotent, and a busy intake should slow a pull down, not end it.
    async fn send(&self, request: reqwest::RequestBuilder) -> anyhow::Result<String> {
        let mut delay = Duration::from_millis(500);
        for _ in 1..TRIES {
            let retry = request.try_clone().context("request cannot be repeated")?;
            match Self::send_once(retry).await {
                Err(Failure::Transient(wait)) => {
                    tokio::time::sleep(wait.unwrap_or(delay).min(MAX_WAIT)).await;
                    delay *= 2;
                }
                done => return done.map_err(Failure::into_error),
            }
        }
        Self::send_once(request).await.map_err(Failure::into_error)
    }

    async fn send_once(request: reqwest::RequestBuilder) -> Result<String, Failure> {
        // Without the URL: a case number in a path stays out of error messages and logs.
        let res = match request.send().await {
            Ok(res) => res,
            Err(e) if e.is_connect() || e.is_timeout() || e.is_request() => {
                return Err(Failure::Transient(None))
            }
            Err(e) => return Err(Failure::Final(e.without_url().into())),
        };
        let status = res.status();
        let retry_after = res
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let body = res
            .text()
            .await
            .map_err(|e| Failure::Final(e.without_url().into()))?;
        match status.as_u16() {
            _ if status.is_success() => Ok(body),
            429 | 502..=504 => Err(Failure::Transient(retry_after)),
            _ => Err(Failure::Final(anyhow::anyhow!(problem(status, &body)))),
        }
    }
}

/// Attempts per call, and the longest wait between two.
const TRIES: u32 = 5;
const MAX_WAIT: Duration = Duration::from_secs(30);

enum Failure {
    /// Worth another try, after the server's `Retry-After` if it sent one.
    Transient(Option<Duration>),
    Final(anyhow::Error),
}

impl Failure {
    fn into_error(self) -> anyhow::Error {
        match self {
            Failure::Transient(_) => {
                anyhow::anyhow!("the intake stayed busy or unreachable after {TRIES} tries")
            }
            Failure::Final(e) => e,
        }
    }
}

fn problem(status: reqwest::StatusCode, body: &str) -> String {
    let detail = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("detail").and_then(|d| d.as_str()).map(str::to_owned))
        .unwrap_or_default();
    format!("the server answered {status}: {detail}")
}
