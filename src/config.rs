//! Every setting, declared once: its name, type, default, environment variable and meaning.
//!
//! Sources, later ones winning: the built-in default, the TOML file (`IW_CONFIG`, or
//! `internetwache.toml` when it exists), then `IW_*` environment variables.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;

use serde::Deserialize;

use crate::client_addr::TrustedProxies;

pub(crate) mod sources;

use sources::declare_settings;

/// A setting that could not be read. Its Display is the one-line message an operator sees.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{env}: {problem} (got {value:?})")]
    Invalid {
        env: &'static str,
        value: String,
        problem: String,
    },
    #[error("{path}: {problem}")]
    File { path: String, problem: String },
    #[error("{0}")]
    Inconsistent(String),
}

/// Documentation row for one setting, used by `--help` texts and the README table.
#[derive(Debug, Clone, Copy)]
pub struct SettingSpec {
    pub key: &'static str,
    pub env: &'static str,
    pub default: &'static str,
    pub doc: &'static str,
}

declare_settings! {
    /// The service's configuration after all sources were merged and parsed.
    pub struct Settings, listed in SETTINGS;
    file from "IW_CONFIG" or "internetwache.toml", variables "IW_";
    tables {
        /// Per-state police settings (keys, delivery); only from the file.
        police: PoliceSettings,
    };
    bind: SocketAddr = "127.0.0.1:8080", "IW_BIND",
        "Address and port the HTTP server listens on.";
    public_url: PublicUrl = "http://127.0.0.1:8080", "IW_PUBLIC_URL",
        "External base URL; `https://` turns on `Secure` cookies and is used in e-mails.";
    database_url: DatabaseUrl = "sqlite://{IW_DATA_DIR}/internetwache.db", "IW_DATABASE_URL",
        "`sqlite://PATH` (embedded, default; absolute: `sqlite:///srv/iw/internetwache.db`) or `postgres://USER[:PASSWORD]@HOST:PORT/DB`.";
    database_max_connections: u32 = "10", "IW_DATABASE_MAX_CONNECTIONS",
        "Size of the database connection pool (on SQLite: for reads; writes queue for one more connection of their own). On SQLite the hot reads of requests keep up to half of it between uses; the other half stays free for every other read.";
    data_dir: PathBuf = "var", "IW_DATA_DIR",
        "Run-time data: the default SQLite database and mail directory, demo keys, generated draft and audit keys.";
    forms_dir: PathBuf = "forms", "IW_FORMS_DIR",
        "Form schema files seeded into the database at start.";
    mail_url: MailUrl = "file://{IW_DATA_DIR}/mail", "IW_MAIL_URL",
        "`file://DIR` writes .eml files (absolute: `file:///srv/iw/mail`); `smtp://[user:pass@]host:587` (credentials optional, percent-encoded) requires STARTTLS (`?tls=opportunistic` or `?tls=none` to relax), `smtps://...:465` implicit TLS.";
    mail_from: String = "Internetwache <no-reply@internetwache.invalid>", "IW_MAIL_FROM",
        "Sender address of citizen e-mails.";
    log_format: LogFormat = "text", "IW_LOG_FORMAT",
        "`text` for people, `json` for log collectors.";
    log_level: String = "info", "IW_LOG_LEVEL",
        "tracing filter, e.g. `info` or `internetwache=debug,info`. The HTTP layer's \
         messages about malformed requests stay off unless it names `actix_http`.";
    draft_idle_minutes: u32 = "60", "IW_DRAFT_IDLE_MINUTES",
        "A draft expires after this many minutes without a step being saved.";
    draft_max_hours: u32 = "24", "IW_DRAFT_MAX_HOURS",
        "A draft expires this many hours after it was started, whatever happens.";
    draft_warning_minutes: u32 = "5", "IW_DRAFT_WARNING_MINUTES",
        "With JavaScript, step pages warn this many minutes before the draft expires and offer to extend it (0 = no dialog; the page always states the time).";
    draft_saved_days: u32 = "7", "IW_DRAFT_SAVED_DAYS",
        "A draft the citizen saves for later (resume link by e-mail) is kept this many days.";
    draft_keys: String = "", "IW_DRAFT_KEYS",
        "Keys that seal the confirmation e-mail address until it is sent, `id:BASE64,...` (newest first; historical name: drafts are sealed under the citizen's cookie secret); empty = generated under the data dir.";
    workers: u32 = "2", "IW_WORKERS",
        "Queue workers started inside `serve` (0 = run them as `internetwache worker`).";
    job_max_attempts: u32 = "25", "IW_JOB_MAX_ATTEMPTS",
        "Attempts before a job becomes a dead letter (backoff is capped at one hour).";
    escalate_after_minutes: u32 = "60", "IW_ESCALATE_AFTER_MINUTES",
        "A report not delivered after this age is escalated.";
    worker_poll_ms: u64 = "5000", "IW_WORKER_POLL_MS",
        "Workers look for due jobs at least this often (wake-ups make it faster).";
    job_lease_secs: u64 = "300", "IW_JOB_LEASE_SECS",
        "A claimed job is rescued for another worker when its claim is this old.";
    job_batch: u32 = "32", "IW_JOB_BATCH",
        "Jobs one worker claims and runs at a time (each holds its envelope in memory).";
    job_backoff_base_ms: u64 = "2000", "IW_JOB_BACKOFF_BASE_MS",
        "First retry delay; doubles per attempt, full jitter, capped by IW_JOB_BACKOFF_CAP_SECS.";
    job_backoff_cap_secs: u64 = "3600", "IW_JOB_BACKOFF_CAP_SECS",
        "Longest retry delay (at most one hour).";
    delivery_timeout_secs: u64 = "30", "IW_DELIVERY_TIMEOUT_SECS",
        "Time limit of one push delivery to a police endpoint.";
    smtp_timeout_secs: u64 = "30", "IW_SMTP_TIMEOUT_SECS",
        "Time limit of one SMTP conversation.";
    rate_limit_per_minute: u32 = "300", "IW_RATE_LIMIT_PER_MINUTE",
        "POST requests and API calls per client address and minute, per instance (0 = off).";
    status_attempts_per_hour: u32 = "30", "IW_STATUS_ATTEMPTS_PER_HOUR",
        "Status look-ups (case number + status code) per client address and hour, per instance (0 = off); then 429.";
    followups_per_day: u32 = "5", "IW_FOLLOWUPS_PER_DAY",
        "Follow-ups (Nachreichen) a citizen may add to one case within 24 hours; then a clear page, nothing lost.";
    max_upload_mb: u32 = "10", "IW_MAX_UPLOAD_MB",
        "Largest request body, in MiB, a citizen may upload in one step.";
    shutdown_timeout_secs: u64 = "30", "IW_SHUTDOWN_TIMEOUT_SECS",
        "How long in-flight requests may take to finish after SIGTERM.";
    staff_session_idle_minutes: u32 = "30", "IW_STAFF_SESSION_IDLE_MINUTES",
        "A staff sign-in ends after this many minutes without a request.";
    staff_session_max_hours: u32 = "10", "IW_STAFF_SESSION_MAX_HOURS",
        "A staff sign-in ends this many hours after it began, whatever happens.";
    sign_in_max_failures: u32 = "5", "IW_SIGN_IN_MAX_FAILURES",
        "Failed sign-ins per user name (four times as many per client address) before each further one makes the key wait: 4 s, doubling, at most 2 min.";
    sign_in_lockout_minutes: u32 = "15", "IW_SIGN_IN_LOCKOUT_MINUTES",
        "The window failed sign-ins are counted in.";
    audit_key: String = "", "IW_AUDIT_KEY",
        "Key of the audit log's HMAC chain (any long secret); empty = generated under the data dir.";
    // Issue 12: retention.
    retention_sweep_minutes: u32 = "60", "IW_RETENTION_SWEEP_MINUTES",
        "How often the workers delete what is past its retention time (per-state days: `[retention]` in state.toml, `[police.<state>.retention]` here). `0` turns the background sweep off on this instance: then run `internetwache retention run` from a scheduler.";
    mail_file_retention_days: u32 = "7", "IW_MAIL_FILE_RETENTION_DAYS",
        "The demo file mail transport's .eml files are deleted after this many days.";
    // Hostile-input limits (issue 11).
    body_deadline_secs: u64 = "30", "IW_BODY_DEADLINE_SECS",
        "Longest time a client may take to send a whole request body; then it is answered (408) or closed.";
    database_deadline_secs: u64 = "5", "IW_DATABASE_DEADLINE_SECS",
        "Longest time a request may spend after its body arrived (its database calls); then it gets the 503 page.";
    metrics_bind: MetricsBind = "", "IW_METRICS_BIND",
        "Address of the separate `/metrics` listener (e.g. `127.0.0.1:9100`); empty = no metrics endpoint. Never on the public port.";
    trusted_proxies: TrustedProxies = "", "IW_TRUSTED_PROXIES",
        "Reverse proxies (CIDRs, comma-separated) whose `Forwarded`/`X-Forwarded-For` name the client; empty = the peer is the client.";
}

impl Settings {
    /// Cross-field checks that no single setting can make.
    fn check(&self) -> Result<(), ConfigError> {
        if self.draft_idle_minutes == 0 || self.draft_max_hours == 0 {
            return Err(ConfigError::Inconsistent(
                "IW_DRAFT_IDLE_MINUTES and IW_DRAFT_MAX_HOURS must be at least 1".into(),
            ));
        }
        if u64::from(self.draft_idle_minutes) > u64::from(self.draft_max_hours) * 60 {
            return Err(ConfigError::Inconsistent(format!(
                "IW_DRAFT_IDLE_MINUTES ({}) is longer than IW_DRAFT_MAX_HOURS ({} h)",
                self.draft_idle_minutes, self.draft_max_hours
            )));
        }
        if self.draft_saved_days == 0 {
            return Err(ConfigError::Inconsistent(
                "IW_DRAFT_SAVED_DAYS must be at least 1".into(),
            ));
        }
        if self.database_max_connections == 0 {
            return Err(ConfigError::Inconsistent(
                "IW_DATABASE_MAX_CONNECTIONS must be at least 1".into(),
            ));
        }
        if self.staff_session_idle_minutes == 0
            || u64::from(self.staff_session_idle_minutes)
                > u64::from(self.staff_session_max_hours) * 60
        {
            return Err(ConfigError::Inconsistent(
                "IW_STAFF_SESSION_IDLE_MINUTES must be between 1 and IW_STAFF_SESSION_MAX_HOURS"
                    .into(),
            ));
        }
        if self.sign_in_max_failures == 0 || self.sign_in_lockout_minutes == 0 {
            return Err(ConfigError::Inconsistent(
                "IW_SIGN_IN_MAX_FAILURES and IW_SIGN_IN_LOCKOUT_MINUTES must be at least 1".into(),
            ));
        }
        if self.job_max_attempts == 0 {
            return Err(ConfigError::Inconsistent(
                "IW_JOB_MAX_ATTEMPTS must be at least 1".into(),
            ));
        }
        if self.job_batch == 0 || self.worker_poll_ms == 0 {
            return Err(ConfigError::Inconsistent(
                "IW_JOB_BATCH and IW_WORKER_POLL_MS must be at least 1".into(),
            ));
        }
        if self.job_backoff_cap_secs == 0 || self.job_backoff_cap_secs > 3600 {
            return Err(ConfigError::Inconsistent(
                "IW_JOB_BACKOFF_CAP_SECS must be between 1 and 3600".into(),
            ));
        }
        if self.workers >= self.database_max_connections {
            return Err(ConfigError::Inconsistent(format!(
                "IW_WORKERS ({}) must be below IW_DATABASE_MAX_CONNECTIONS ({}): on PostgreSQL \
                 each worker holds a connection for wake-ups",
                self.workers, self.database_max_connections
            )));
        }
        let slowest = self.delivery_timeout_secs.max(self.smtp_timeout_secs);
        if self.job_lease_secs <= slowest {
            return Err(ConfigError::Inconsistent(format!(
                "IW_JOB_LEASE_SECS ({}) must be longer than the delivery and SMTP timeouts ({slowest} s)",
                self.job_lease_secs
            )));
        }
        Ok(())
    }

    /// Settings for tests and tools: defaults, with the given overrides.
    pub fn with_overrides(overrides: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        Settings::from_parts(None, sources::overrides(overrides))
    }

    pub fn secure_cookies(&self) -> bool {
        self.public_url.is_https()
    }
}

/// How a state's police system is reached, and the keys its reports are sealed to.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoliceSettings {
    #[serde(default)]
    pub keys: Vec<PoliceKeySetting>,
    #[serde(default)]
    pub delivery: DeliverySetting,
    /// Where escalations about undelivered reports are e-mailed.
    pub ops_email: Option<String>,
    /// Overrides the state's `[retention]` from `state.toml`.
    #[serde(default)]
    pub retention: RetentionOverride,
    /// Overrides the state's `seal_client_address` from `state.toml`.
    pub seal_client_address: Option<bool>,
}

/// `[police.<state>.retention]`: days, each optional.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionOverride {
    pub envelope_days: Option<u32>,
    pub index_days: Option<u32>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoliceKeySetting {
    pub key_id: String,
    /// Base64 of the 32-byte X25519 public key.
    pub public_key: String,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields, tag = "mode", rename_all = "lowercase")]
pub enum DeliverySetting {
    /// The police system fetches reports through the pull API and acknowledges each with
    /// a receipt keyed with `receipt_secret` (empty: generated under `DATA_DIR/keys/`).
    Pull {
        #[serde(default)]
        receipt_secret: Option<String>,
    },
    /// Reports are POSTed to the police system's endpoint.
    Push { url: String, secret: String },
}

impl fmt::Debug for DeliverySetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeliverySetting::Pull { .. } => f.write_str("Pull"),
            DeliverySetting::Push { url, .. } => f
                .debug_struct("Push")
                .field("url", url)
                .field("secret", &"<redacted>")
                .finish(),
        }
    }
}

impl Default for DeliverySetting {
    fn default() -> Self {
        DeliverySetting::Pull {
            receipt_secret: None,
        }
    }
}

/// Which database engine to use, chosen by the URL scheme.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(String),
    Postgres(String),
}

impl DatabaseUrl {
    pub fn as_str(&self) -> &str {
        match self {
            DatabaseUrl::Sqlite(u) | DatabaseUrl::Postgres(u) => u,
        }
    }
}

impl FromStr for DatabaseUrl {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(path) = s.strip_prefix("sqlite://").or(s.strip_prefix("sqlite:")) {
            if path.is_empty() {
                return Err(
                    "a SQLite URL needs a file path, e.g. sqlite://var/internetwache.db".into(),
                );
            }
            return Ok(DatabaseUrl::Sqlite(s.to_string()));
        }
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            let url = url::Url::parse(s).map_err(|e| format!("not a valid PostgreSQL URL: {e}"))?;
            if url.host_str().unwrap_or("").is_empty() && !s.contains("host=") {
                return Err("a PostgreSQL URL needs a host".into());
            }
            return Ok(DatabaseUrl::Postgres(s.to_string()));
        }
        Err("expected a URL starting with sqlite:// or postgres://".into())
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact_url_password(self.as_str()))
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact_url_password(self.as_str()))
    }
}

/// Where citizen e-mail goes.
#[derive(Clone, PartialEq, Eq)]
pub enum MailUrl {
    File(PathBuf),
    Smtp(String),
}

impl FromStr for MailUrl {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(dir) = s.strip_prefix("file://") {
            if dir.is_empty() {
                return Err("a file mail URL needs a directory, e.g. file://var/mail".into());
            }
            return Ok(MailUrl::File(PathBuf::from(dir)));
        }
        if s.starts_with("smtp://") || s.starts_with("smtps://") {
            let url = url::Url::parse(s).map_err(|e| format!("not a valid SMTP URL: {e}"))?;
            if url.host_str().unwrap_or("").is_empty() {
                return Err("an SMTP URL needs a host".into());
            }
            return Ok(MailUrl::Smtp(s.to_string()));
        }
        Err("expected file://DIR, smtp://HOST:PORT or smtps://HOST:PORT".into())
    }
}

impl fmt::Debug for MailUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MailUrl::File(dir) => write!(f, "file://{}", dir.display()),
            MailUrl::Smtp(url) => f.write_str(&redact_url_password(url)),
        }
    }
}

/// The externally visible base URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl(url::Url);

impl PublicUrl {
    pub fn is_https(&self) -> bool {
        self.0.scheme() == "https"
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str().trim_end_matches('/')
    }
}

impl FromStr for PublicUrl {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let url = url::Url::parse(s).map_err(|e| format!("not a URL: {e}"))?;
        match url.scheme() {
            "http" | "https" => Ok(PublicUrl(url)),
            other => Err(format!("expected http or https, not {other}")),
        }
    }
}

/// Where `/metrics` is served, off the public port; `None` serves it nowhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricsBind(pub Option<SocketAddr>);

impl FromStr for MetricsBind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() {
            return Ok(MetricsBind(None));
        }
        s.parse()
            .map(|addr| MetricsBind(Some(addr)))
            .map_err(|e| format!("expected HOST:PORT such as 127.0.0.1:9100: {e}"))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl FromStr for LogFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            _ => Err("expected `text` or `json`".into()),
        }
    }
}

/// Hides the password of a URL such as `postgres://user:secret@host/db`.
pub fn redact_url_password(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("***"));
            url.to_string()
        }
        _ => raw.to_string(),
    }
}

/// The README's configuration table, generated from the declarations above.
pub fn markdown_table() -> String {
    let mut out = String::from("| Variable | File key | Default | Meaning |\n|---|---|---|---|\n");
    for s in SETTINGS {
        out.push_str(&format!(
            "| `{}` | `{}` | `{}` | {} |\n",
            s.env,
            s.key,
            if s.default.is_empty() {
                "(empty)"
            } else {
                s.default
            },
            s.doc
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn defaults_need_no_setup() {
        let s = Settings::with_overrides(&[]).unwrap();
        assert_eq!(s.bind.to_string(), "127.0.0.1:8080");
        assert!(matches!(s.database_url, DatabaseUrl::Sqlite(_)));
        assert_eq!(s.data_dir, PathBuf::from("var"));
        assert_eq!(s.database_url.as_str(), "sqlite://var/internetwache.db");
        assert_eq!(s.mail_url, MailUrl::File(PathBuf::from("var/mail")));
        assert!(!s.secure_cookies());
    }

    #[test]
    fn database_and_mail_follow_the_data_dir() {
        let s = Settings::with_overrides(&[("IW_DATA_DIR", "/srv/iw data/")]).unwrap();
        assert_eq!(s.data_dir, PathBuf::from("/srv/iw data/"));
        assert_eq!(
            s.database_url.as_str(),
            "sqlite:///srv/iw data/internetwache.db"
        );
        assert_eq!(
            s.mail_url,
            MailUrl::File(PathBuf::from("/srv/iw data/mail"))
        );
        let odd = Settings::with_overrides(&[("IW_DATA_DIR", "run?1%")]).unwrap();
        assert_eq!(
            odd.database_url.as_str(),
            "sqlite://run%3F1%25/internetwache.db"
        );
        let root = Settings::with_overrides(&[("IW_DATA_DIR", "/")]).unwrap();
        assert_eq!(root.database_url.as_str(), "sqlite:///internetwache.db");
    }

    #[test]
    fn explicit_database_and_mail_urls_win_over_the_data_dir() {
        let s = Settings::with_overrides(&[
            ("IW_DATA_DIR", "/srv/iw"),
            ("IW_DATABASE_URL", "sqlite:///var/lib/iw.db"),
            ("IW_MAIL_URL", "file:///var/spool/iw"),
        ])
        .unwrap();
        assert_eq!(s.database_url.as_str(), "sqlite:///var/lib/iw.db");
        assert_eq!(s.mail_url, MailUrl::File(PathBuf::from("/var/spool/iw")));
    }

    #[test]
    fn invalid_bind_names_the_variable() {
        let err = Settings::with_overrides(&[("IW_BIND", "nonsense")]).unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("IW_BIND:"), "{msg}");
        assert!(!msg.contains('\n'));
    }

    #[test]
    fn unknown_variable_is_refused() {
        let err = Settings::with_overrides(&[("IW_BINDD", "x")]).unwrap_err();
        assert!(err.to_string().contains("IW_BINDD"));
    }

    #[test]
    fn password_never_shown() {
        let err =
            Settings::with_overrides(&[("IW_DATABASE_URL", "mysql://u:hunter2@h/db")]).unwrap_err();
        assert!(!err.to_string().contains("hunter2"));
        let s =
            Settings::with_overrides(&[("IW_DATABASE_URL", "postgres://u:hunter2@h/db")]).unwrap();
        assert!(!format!("{s:?}").contains("hunter2"));
    }

    #[test]
    fn file_then_environment() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("iw.toml");
        std::fs::write(
            &path,
            "bind = \"0.0.0.0:9000\"\nworkers = 4\n[police.be]\nops_email = \"ops@example.org\"\n[police.be.delivery]\nmode = \"push\"\nurl = \"https://police.example/intake\"\nsecret = \"s3cret\"\n",
        )
        .unwrap();
        let env = BTreeMap::from([("IW_WORKERS".to_string(), "1".to_string())]);
        let s = Settings::from_parts(Some(&path), env).unwrap();
        assert_eq!(s.bind.port(), 9000);
        assert_eq!(s.workers, 1);
        assert!(matches!(
            s.police["be"].delivery,
            DeliverySetting::Push { .. }
        ));
        assert!(!format!("{s:?}").contains("s3cret"));
    }

    #[test]
    fn pull_receipt_secret_is_optional_and_redacted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("iw.toml");
        std::fs::write(
            &path,
            "[police.be.delivery]\nmode = \"pull\"\nreceipt_secret = \"r3ceipt\"\n[police.by]\n",
        )
        .unwrap();
        let s = Settings::from_parts(Some(&path), BTreeMap::new()).unwrap();
        assert!(matches!(
            &s.police["be"].delivery,
            DeliverySetting::Pull { receipt_secret: Some(r) } if r == "r3ceipt"
        ));
        assert!(matches!(
            s.police["by"].delivery,
            DeliverySetting::Pull {
                receipt_secret: None
            }
        ));
        assert!(!format!("{s:?}").contains("r3ceipt"));
    }

    #[test]
    fn lease_must_outlast_the_timeouts() {
        let err = Settings::with_overrides(&[("IW_JOB_LEASE_SECS", "30")]).unwrap_err();
        assert!(err.to_string().contains("IW_JOB_LEASE_SECS"));
        let err = Settings::with_overrides(&[("IW_JOB_BACKOFF_CAP_SECS", "7200")]).unwrap_err();
        assert!(err.to_string().contains("IW_JOB_BACKOFF_CAP_SECS"));
    }

    #[test]
    fn idle_longer_than_absolute_is_refused() {
        let err = Settings::with_overrides(&[
            ("IW_DRAFT_IDLE_MINUTES", "120"),
            ("IW_DRAFT_MAX_HOURS", "1"),
        ])
        .unwrap_err();
        assert!(err.to_string().contains("IW_DRAFT_IDLE_MINUTES"));
    }
}

#[cfg(test)]
mod readme {
    /// The README's configuration table is generated from the declarations; this keeps it true.
    #[test]
    fn readme_lists_every_setting() {
        let readme = include_str!("../README.md");
        let table = super::markdown_table();
        assert!(
            readme.contains(&table),
            "README.md's configuration table is stale; replace it with:\n{table}"
        );
    }
}

#[cfg(test)]
mod example_file {
    use std::collections::BTreeMap;
    use std::path::Path;

    /// The shipped example configuration must stay loadable.
    #[test]
    fn example_configuration_is_valid() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("internetwache.example.toml");
        let settings = super::Settings::from_parts(Some(&path), BTreeMap::new())
            .unwrap_or_else(|e| panic!("internetwache.example.toml: {e}"));
        assert_eq!(settings.workers, 4);
        assert_eq!(settings.police["be"].keys.len(), 1);
        let debug = format!("{settings:?}");
        for secret in [
            "CHANGE-ME: at least",
            "CHANGE-ME: shared",
            "intake:CHANGE-ME",
        ] {
            assert!(!debug.contains(secret), "{secret} is redacted");
        }
    }
}
