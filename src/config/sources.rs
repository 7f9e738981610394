//! Where a setting's value comes from, for both roles (`serve`/`worker` and `inbox`).
//!
//! Sources, later ones winning: the built-in default, the TOML file, then the environment
//! variables of the role's prefix. Each role declares its settings with [`declare_settings!`],
//! one line a setting.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::de::DeserializeOwned;

use super::{redact_url_password, ConfigError, SettingSpec};

/// What differs between the roles' configurations: names, not logic.
pub struct Layout {
    pub specs: &'static [SettingSpec],
    /// Every variable of this prefix is read, and refused when it is not a setting.
    pub env_prefix: &'static str,
    /// How an unknown variable is named in the error, e.g. `IW_*`.
    pub env_pattern: &'static str,
    /// The variable that names the file.
    pub file_env: &'static str,
    /// The file read when `file_env` is not set, if it exists.
    pub default_file: &'static str,
    /// The tables of the file that are not settings (per-state settings).
    pub sections: &'static [&'static str],
}

/// What a data directory in a SQLite URL must not contain as it is.
const SQLITE_PATH_RESERVED: &percent_encoding::AsciiSet =
    &percent_encoding::CONTROLS.add(b'%').add(b'?');

/// The process's variables of the layout's prefix and the file they (or the default) name.
pub fn from_process(layout: &Layout) -> (Option<PathBuf>, BTreeMap<String, String>) {
    let env: BTreeMap<String, String> = std::env::vars()
        .filter(|(k, _)| k.starts_with(layout.env_prefix))
        .collect();
    let file = match env.get(layout.file_env) {
        Some(path) => Some(PathBuf::from(path)),
        None => Some(PathBuf::from(layout.default_file)).filter(|p| p.exists()),
    };
    (file, env)
}

/// Explicit variables for tests and tools.
pub fn overrides(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub(crate) fn read_table(path: &Path) -> Result<toml::Table, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError::File {
        path: path.display().to_string(),
        problem: format!("cannot read the configuration file: {e}"),
    })?;
    text.parse::<toml::Table>().map_err(|e| ConfigError::File {
        path: path.display().to_string(),
        problem: e.message().to_string(),
    })
}

/// The file's table and the variables, checked against the layout's settings.
pub struct Sources {
    layout: &'static Layout,
    file: Option<String>,
    table: toml::Table,
    env: BTreeMap<String, String>,
}

impl Sources {
    /// Reads the file (if any) and refuses keys and variables that are no setting.
    pub fn new(
        layout: &'static Layout,
        file: Option<&Path>,
        env: BTreeMap<String, String>,
    ) -> Result<Sources, ConfigError> {
        let table = match file {
            Some(path) => read_table(path)?,
            None => toml::Table::new(),
        };
        let sources = Sources {
            layout,
            file: file.map(|p| p.display().to_string()),
            table,
            env,
        };
        sources.reject_unknown()?;
        Ok(sources)
    }

    fn reject_unknown(&self) -> Result<(), ConfigError> {
        let specs = self.layout.specs;
        for key in self.table.keys() {
            if !self.layout.sections.contains(&key.as_str()) && !specs.iter().any(|s| s.key == key)
            {
                return Err(ConfigError::File {
                    path: self.file.clone().unwrap_or_default(),
                    problem: format!("unknown setting `{key}`"),
                });
            }
        }
        for key in self.env.keys() {
            if key != self.layout.file_env && !specs.iter().any(|s| s.env == key) {
                return Err(ConfigError::Invalid {
                    env: self.layout.env_pattern,
                    value: key.clone(),
                    problem: "unknown environment setting".into(),
                });
            }
        }
        Ok(())
    }

    fn raw(&self, key: &str, env: &str, default: &str) -> String {
        if let Some(value) = self.env.get(env) {
            return value.clone();
        }
        match self.table.get(key) {
            Some(toml::Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => self.expand_default(default),
        }
    }

    /// A default's `{IW_DATA_DIR}` (the variable of the setting `data_dir`) becomes the
    /// configured data directory, so the database and mail files follow it unless they are
    /// set themselves.
    fn expand_default(&self, default: &str) -> String {
        let Some(spec) = self.layout.specs.iter().find(|s| s.key == "data_dir") else {
            return default.to_string();
        };
        let placeholder = format!("{{{}}}", spec.env);
        if !default.contains(&placeholder) {
            return default.to_string();
        }
        let raw = self.raw(spec.key, spec.env, spec.default);
        let dir = match raw.trim().trim_end_matches('/') {
            "" if raw.trim().starts_with('/') => "",
            "" => ".",
            dir => dir,
        };
        // sqlx percent-decodes a SQLite path and cuts it at `?`.
        let dir = if default.starts_with("sqlite:") {
            percent_encoding::utf8_percent_encode(dir, SQLITE_PATH_RESERVED).to_string()
        } else {
            dir.to_string()
        };
        default.replace(&placeholder, &dir)
    }

    /// One setting, from the first source that has it, parsed into its type.
    pub fn parse<T>(&self, key: &str, env: &'static str, default: &str) -> Result<T, ConfigError>
    where
        T: FromStr,
        T::Err: fmt::Display,
    {
        let raw = self.raw(key, env, default);
        raw.trim().parse::<T>().map_err(|e| ConfigError::Invalid {
            env,
            value: redact_url_password(&raw),
            problem: e.to_string(),
        })
    }

    /// One of the file's per-state tables (`[police.<xx>]`, `[states.<xx>]`); empty when
    /// absent.
    pub fn section<T: DeserializeOwned>(
        &self,
        section: &str,
    ) -> Result<BTreeMap<String, T>, ConfigError> {
        let Some(value) = self.table.get(section) else {
            return Ok(BTreeMap::new());
        };
        value
            .clone()
            .try_into::<BTreeMap<String, T>>()
            .map_err(|e| ConfigError::File {
                path: self.file.clone().unwrap_or_default(),
                problem: format!("[{section}]: {}", e.message()),
            })
    }
}

/// Declares a role's settings struct, its [`SettingSpec`] list and its loaders
/// (`load`, `from_parts`; the struct supplies `fn check(&self)`), one line a setting:
/// `name: Type = "default", "IW_VARIABLE", "Meaning.";`, after the file's per-state tables
/// (`tables { name: Type, … };`).
macro_rules! declare_settings {
    (
        $(#[$meta:meta])*
        pub struct $name:ident, listed in $specs:ident;
        file from $file_env:literal or $default_file:literal, variables $prefix:literal;
        tables { $( $(#[$section_meta:meta])* $section:ident : $section_ty:ty ),+ $(,)? };
        $( $field:ident : $ty:ty = $default:literal, $env:literal, $doc:literal; )*
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone)]
        pub struct $name {
            $( pub $field: $ty, )*
            $(
                $(#[$section_meta])*
                pub $section: ::std::collections::BTreeMap<String, $section_ty>,
            )+
        }

        pub const $specs: &[$crate::config::SettingSpec] = &[
            $( $crate::config::SettingSpec {
                key: stringify!($field), env: $env, default: $default, doc: $doc
            }, )*
        ];

        impl $name {
            const LAYOUT: $crate::config::sources::Layout = $crate::config::sources::Layout {
                specs: $specs,
                env_prefix: $prefix,
                env_pattern: concat!($prefix, "*"),
                file_env: $file_env,
                default_file: $default_file,
                sections: &[$( stringify!($section) ),+],
            };

            /// Reads the file (the variable's, or the default file if present) and the
            /// process environment.
            pub fn load() -> Result<$name, $crate::config::ConfigError> {
                let (file, env) = $crate::config::sources::from_process(&Self::LAYOUT);
                Self::from_parts(file.as_deref(), env)
            }

            /// Builds settings from an optional file and explicit variables (tests use this).
            pub fn from_parts(
                file: Option<&::std::path::Path>,
                env: ::std::collections::BTreeMap<String, String>,
            ) -> Result<$name, $crate::config::ConfigError> {
                let sources = $crate::config::sources::Sources::new(&Self::LAYOUT, file, env)?;
                let settings = $name {
                    $( $field: sources.parse::<$ty>(stringify!($field), $env, $default)?, )*
                    $( $section: sources.section(stringify!($section))?, )+
                };
                settings.check()?;
                Ok(settings)
            }
        }
    };
}

pub(crate) use declare_settings;
