//! The police side's client of the intake's pull API (`/api/v1/reports`, token auth): list
//! pending reports page by page, fetch an envelope byte for byte, post its receipt. Used by
//! `internetwache clerk pull` and by the inbox's pull mode.

use std::time::Duration;

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
    pub fn new(url: &str, token: &str) -> Result<PullClient, String> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| e.to_string())?;
        Ok(PullClient {
            http,
            base: format!("{}/api/v1", url.trim_end_matches('/')),
            auth: format!("Bearer {}", token.trim()),
        })
    }

    /// Pending reports after `cursor` (100 at a time).
    pub async fn pending(&self, cursor: Option<&str>) -> Result<Page, String> {
        let mut request = self
            .http
            .get(format!("{}/reports", self.base))
            .header(reqwest::header::AUTHORIZATION, &self.auth)
            .query(&[("status", "pending"), ("limit", "100")]);
        if let Some(c) = cursor {
            request = request.query(&[("cursor", c)]);
        }
        let body = self.send(request).await?;
        serde_json::from_str(&body).map_err(|e| format!("unexpected list response: {e}"))
    }

    /// The envelope exactly as the intake stored it.
    pub async fn envelope(&self, case_number: &str) -> Result<String, String> {
        let request = self
            .http
            .get(format!("{}/reports/{case_number}", self.base))
            .header(reqwest::header::AUTHORIZATION, &self.auth);
        self.send(request)
            .await
            .map_err(|e| format!("{case_number}: {e}"))
    }

    /// Posts the receipt; the intake checks it against its stored envelope.
    pub async fn acknowledge(&self, case_number: &str, receipt: &str) -> Result<(), String> {
        let request = self
            .http
            .post(format!("{}/reports/{case_number}/receipt", self.base))
            .header(reqwest::header::AUTHORIZATION, &self.auth)
            .json(&serde_json::json!({ "receipt": receipt }));
        self.send(request)
            .await
            .map(|_| ())
            .map_err(|e| format!("{case_number}: receipt refused: {e}"))
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<String, String> {
        let res = request
            .send()
            .await
            .map_err(|e| e.without_url().to_string())?;
        let status = res.status();
        let body = res.text().await.map_err(|e| e.without_url().to_string())?;
        if status.is_success() {
            Ok(body)
        } else {
            Err(problem(status, &body))
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
