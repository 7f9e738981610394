//! Every setting of `internetwache inbox`, declared once, in the style of `config.rs`.
//!
//! Sources, later ones winning: the built-in default, the TOML file (`IW_INBOX_CONFIG`, or
//! `inbox.toml` when it exists), then `IW_INBOX_*` environment variables. The defaults run
//! the demo with no setup: SQLite under `var/inbox/`, the demo keys the intake generated
//! under `var/keys/`, push for every state that has a key.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::Deserialize;

use crate::config::sources::{self, declare_settings};
use crate::config::{redact_url_password, ConfigError, DatabaseUrl, RetentionOverride};
use crate::forms::Retention;
use crate::staff::sessions::SessionPolicy;
use crate::staff::Role;

declare_settings! {
    /// The inbox's configuration after all sources were merged and parsed.
    pub struct InboxSettings, listed in INBOX_SETTINGS;
    file from "IW_INBOX_CONFIG" or "inbox.toml", variables "IW_INBOX_";
    tables {
        /// Per state: how reports arrive and where status goes (`[states.<xx>]`, file only).
        states: StateSettings,
        /// Per state: retention days overriding `IW_INBOX_RETENTION_*` (`[retention.<xx>]`,
        /// file only).
        retention: RetentionOverride,
    };
    bind: SocketAddr = "127.0.0.1:8090", "IW_INBOX_BIND",
        "Address of the inbox's push endpoint and export API (inside the police network).";
    data_dir: PathBuf = "var/inbox", "IW_INBOX_DATA_DIR",
        "The inbox's own data: its SQLite database, audit key, export drop folder.";
    database_url: String = "", "IW_INBOX_DATABASE_URL",
        "`sqlite://PATH` or `postgres://...`; empty = `sqlite://<data dir>/inbox.db`.";
    key_dirs: String = "var/keys", "IW_INBOX_KEY_DIRS",
        "Comma-separated directories holding the states' `*.private.json` key files (mode 0600).";
    audit_key: String = "", "IW_INBOX_AUDIT_KEY",
        "Key of the inbox's audit chain; empty = generated under `<data dir>/keys/audit.key`.";
    log_level: String = "info", "IW_INBOX_LOG_LEVEL",
        "tracing filter, e.g. `info`.";
    pull_interval_secs: u64 = "30", "IW_INBOX_PULL_INTERVAL_SECS",
        "How often pull-mode states fetch new reports from the intake.";
    intake_url: String = "http://127.0.0.1:8080", "IW_INBOX_INTAKE_URL",
        "The intake's base URL for status messages of states without their own `intake_url`; empty = none.";
    secure_cookies: bool = "false", "IW_INBOX_SECURE_COOKIES",
        "Mark the clerk pages' cookies `Secure`; set `true` when the inbox is served over HTTPS.";
    session_idle_minutes: u32 = "30", "IW_INBOX_SESSION_IDLE_MINUTES",
        "A clerk's session ends after this long without a request.";
    session_max_hours: u32 = "10", "IW_INBOX_SESSION_MAX_HOURS",
        "A clerk's session ends this long after sign-in, however active.";
    sign_in_max_failures: u32 = "5", "IW_INBOX_SIGN_IN_MAX_FAILURES",
        "Failed sign-ins per user name before it is locked for a while (4× per address).";
    sign_in_lockout_minutes: u32 = "15", "IW_INBOX_SIGN_IN_LOCKOUT_MINUTES",
        "How long a locked user name or address waits.";
    retention_envelope_days: u32 = "180", "IW_INBOX_RETENTION_ENVELOPE_DAYS",
        "Days after receipt until the sealed envelope (with its attachments) and the VBS export file of a report the inbox is done with (abgegeben, abgeschlossen, zurückgewiesen) are deleted; the index stays. Per state: `[retention.<xx>] envelope_days`.";
    retention_index_days: u32 = "730", "IW_INBOX_RETENTION_INDEX_DAYS",
        "Days after receipt until such a report's index row, notes and status events are deleted. Per state: `[retention.<xx>] index_days`.";
    retention_sweep_minutes: u32 = "60", "IW_INBOX_RETENTION_SWEEP_MINUTES",
        "How often the running inbox deletes what is past its retention time (`inbox retention run` does it once).";
}

/// How one state's reports reach this inbox.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields, tag = "mode", rename_all = "lowercase")]
pub enum StateSettings {
    /// The intake POSTs to `/api/v1/push`; `secret` is the state's shared delivery secret.
    Push {
        secret: String,
        /// Where status changes go (the intake's base URL); none = status is not sent.
        #[serde(default)]
        intake_url: Option<String>,
    },
    /// The inbox fetches from the intake's pull API with `token` and acknowledges with
    /// receipts keyed with `receipt_secret` (which also signs status changes).
    Pull {
        intake_url: String,
        token: String,
        receipt_secret: String,
    },
}

impl StateSettings {
    /// The shared secret: keys receipts and, under its own label, status messages.
    pub fn secret(&self) -> &str {
        match self {
            StateSettings::Push { secret, .. } => secret,
            StateSettings::Pull { receipt_secret, .. } => receipt_secret,
        }
    }

    pub fn intake_url(&self) -> Option<&str> {
        match self {
            StateSettings::Push { intake_url, .. } => intake_url.as_deref(),
            StateSettings::Pull { intake_url, .. } => Some(intake_url),
        }
    }
}

impl fmt::Debug for StateSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StateSettings::Push { intake_url, .. } => f
                .debug_struct("Push")
                .field("intake_url", intake_url)
                .field("secret", &"<redacted>")
                .finish(),
            StateSettings::Pull { intake_url, .. } => f
                .debug_struct("Pull")
                .field("intake_url", intake_url)
                .field("token", &"<redacted>")
                .finish(),
        }
    }
}

impl InboxSettings {
    /// Cross-field checks that no single setting can make.
    fn check(&self) -> Result<(), ConfigError> {
        if !self.database_url.trim().is_empty() {
            DatabaseUrl::from_str(self.database_url.trim()).map_err(|problem| {
                ConfigError::Invalid {
                    env: "IW_INBOX_DATABASE_URL",
                    value: redact_url_password(&self.database_url),
                    problem,
                }
            })?;
        }
        if self.key_dirs().is_empty() {
            return Err(ConfigError::Inconsistent(
                "IW_INBOX_KEY_DIRS names no directory: the inbox needs its private keys".into(),
            ));
        }
        if self.session_idle_minutes == 0
            || self.session_max_hours == 0
            || self.sign_in_max_failures == 0
            || self.sign_in_lockout_minutes == 0
        {
            return Err(ConfigError::Inconsistent(
                "IW_INBOX_SESSION_* and IW_INBOX_SIGN_IN_* must be at least 1".into(),
            ));
        }
        if self.pull_interval_secs == 0 {
            return Err(ConfigError::Inconsistent(
                "IW_INBOX_PULL_INTERVAL_SECS must be at least 1".into(),
            ));
        }
        for (state, s) in &self.states {
            if state.len() != 2 || !state.bytes().all(|b| b.is_ascii_lowercase()) {
                return Err(ConfigError::Inconsistent(format!(
                    "[states.{state}]: a state is two lower-case letters, e.g. [states.be]"
                )));
            }
            if s.secret().trim().len() < 16 {
                return Err(ConfigError::Inconsistent(format!(
                    "[states.{state}]: the shared secret must be at least 16 characters"
                )));
            }
            if let Some(url) = s.intake_url() {
                url::Url::parse(url).map_err(|e| {
                    ConfigError::Inconsistent(format!(
                        "[states.{state}] intake_url {url:?} is not a URL: {e}"
                    ))
                })?;
            }
        }
        self.check_retention()?;
        Ok(())
    }

    /// The database: the configured URL, or SQLite under the data dir.
    pub fn database(&self) -> DatabaseUrl {
        let raw = self.database_url.trim();
        if raw.is_empty() {
            DatabaseUrl::Sqlite(format!(
                "sqlite://{}",
                self.data_dir.join("inbox.db").display()
            ))
        } else {
            // Checked in `check`.
            DatabaseUrl::from_str(raw).unwrap_or_else(|_| DatabaseUrl::Sqlite(raw.to_owned()))
        }
    }

    /// Sign-in limits of the clerk pages; the inbox serves clerks and admins.
    pub fn session_policy(&self) -> SessionPolicy {
        SessionPolicy {
            max_failures: self.sign_in_max_failures,
            lockout_minutes: self.sign_in_lockout_minutes,
            session_max_hours: self.session_max_hours,
            session_idle_minutes: self.session_idle_minutes,
            roles: &[Role::Clerk, Role::Lead, Role::Admin],
        }
    }

    pub fn key_dirs(&self) -> Vec<PathBuf> {
        self.key_dirs
            .split(',')
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .collect()
    }

    /// Envelopes go before (or with) the index, and a sweep runs at least once a minute.
    fn check_retention(&self) -> Result<(), ConfigError> {
        if self.retention_sweep_minutes == 0 {
            return Err(ConfigError::Inconsistent(
                "IW_INBOX_RETENTION_SWEEP_MINUTES must be at least 1".into(),
            ));
        }
        let states = self.retention.keys().map(String::as_str);
        for state in std::iter::once("").chain(states) {
            let days = self.retention_for(state);
            if days.index_days < days.envelope_days {
                return Err(ConfigError::Inconsistent(format!(
                    "inbox retention{}: index_days ({}) must not be less than envelope_days ({})",
                    if state.is_empty() {
                        String::new()
                    } else {
                        format!(" [retention.{state}]")
                    },
                    days.index_days,
                    days.envelope_days
                )));
            }
        }
        Ok(())
    }

    /// The retention days of `state`: `[retention.<state>]` over `IW_INBOX_RETENTION_*`.
    pub fn retention_for(&self, state: &str) -> Retention {
        let over = self
            .retention
            .get(&state.to_ascii_lowercase())
            .copied()
            .unwrap_or_default();
        Retention {
            envelope_days: over.envelope_days.unwrap_or(self.retention_envelope_days),
            index_days: over.index_days.unwrap_or(self.retention_index_days),
        }
    }
    /// The drop folder of VBS exports.
    pub fn export_dir(&self) -> PathBuf {
        self.data_dir.join("export")
    }

    /// Settings for tests and tools: defaults, with the given overrides.
    pub fn with_overrides(
        file: Option<&Path>,
        overrides: &[(&str, &str)],
    ) -> Result<InboxSettings, ConfigError> {
        InboxSettings::from_parts(file, sources::overrides(overrides))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_need_no_setup() {
        let s = InboxSettings::with_overrides(None, &[]).expect("defaults");
        assert_eq!(s.database().as_str(), "sqlite://var/inbox/inbox.db");
        assert_eq!(s.key_dirs(), vec![PathBuf::from("var/keys")]);
        assert!(s.states.is_empty());
    }

    #[test]
    fn states_come_from_the_file_and_are_checked() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("inbox.toml");
        std::fs::write(
            &path,
            "[states.be]\nmode = \"push\"\nsecret = \"a-long-shared-secret-1234\"\n\
             [states.bb]\nmode = \"pull\"\nintake_url = \"http://intake\"\ntoken = \"t\"\n\
             receipt_secret = \"another-long-secret-5678\"\n",
        )
        .expect("write");
        let s = InboxSettings::with_overrides(Some(&path), &[]).expect("valid");
        assert_eq!(s.states["bb"].intake_url(), Some("http://intake"));
        assert!(!format!("{s:?}").contains("a-long-shared-secret"));

        std::fs::write(&path, "[states.be]\nmode = \"push\"\nsecret = \"short\"\n").expect("w");
        let err = InboxSettings::with_overrides(Some(&path), &[]).expect_err("short secret");
        assert!(err.to_string().contains("at least 16"), "{err}");
    }

    #[test]
    fn readme_lists_every_inbox_setting() {
        let readme = include_str!("../../README.md");
        for spec in INBOX_SETTINGS {
            assert!(readme.contains(spec.env), "README lacks {}", spec.env);
        }
    }

    #[test]
    fn unknown_variables_are_refused_with_their_name() {
        let err = InboxSettings::with_overrides(None, &[("IW_INBOX_BINDD", "x")]).expect_err("x");
        assert!(err.to_string().contains("IW_INBOX_BINDD"), "{err}");
    }

    #[test]
    fn retention_days_per_state_override_the_defaults() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("inbox.toml");
        std::fs::write(&path, "[retention.be]\nenvelope_days = 7\n").expect("write");
        let s =
            InboxSettings::with_overrides(Some(&path), &[("IW_INBOX_RETENTION_INDEX_DAYS", "200")])
                .expect("valid");
        assert_eq!(s.retention_for("be").envelope_days, 7);
        assert_eq!(s.retention_for("BE").index_days, 200);
        assert_eq!(s.retention_for("bb").envelope_days, 180);

        std::fs::write(&path, "[retention.be]\nindex_days = 3\n").expect("write");
        let err = InboxSettings::with_overrides(Some(&path), &[]).expect_err("index < envelope");
        assert!(err.to_string().contains("[retention.be]"), "{err}");
    }
}
