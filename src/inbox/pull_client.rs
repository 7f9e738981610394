//! The police side's client of the intake's pull API (`/api/v1/reports`, token auth): list
//! pending reports page by page, fetch an envelope byte for byte, post its receipt. Used by
//! `internetwache clerk pull` and by the inbox's pull mode.

use std::time::Duration;

use anyhow::Context;
use serde::Deserialize;

/// One page of pending reports.
#[derive(Debug, Deserialize)]
pub struct Page {
    pub items: Vec<Item>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Item {
    pub case_number: String,
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

    /// Pending reports after `cursor` (100 at a time).
    pub async fn pending(&self, cursor: Option<&str>) -> anyhow::Result<Page> {
        let mut request = self
            .http
            .get(format!("{}/reports", self.base))
            .header(reqwest::header::AUTHORIZATION, &self.auth)
            .query(&[("status", "pending"), ("limit", "100")]);
        if let Some(c) = cursor {
            request = request.query(&[("cursor", c)]);
        }
        let body = self.send(request).await?;
        serde_json::from_str(&body).context("unexpected list response")
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

    async fn send(&self, request: reqwest::RequestBuilder) -> anyhow::Result<String> {
        // Without the URL: a case number in a path stays out of error messages and logs.
        let res = request.send().await.map_err(|e| e.without_url())?;
        let status = res.status();
        let body = res.text().await.map_err(|e| e.without_url())?;
        if status.is_success() {
            Ok(body)
        } else {
            Err(anyhow::anyhow!(problem(status, &body)))
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
