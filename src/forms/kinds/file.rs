//! `file`: evidence uploads (`max_files`, `max_size_kb`, `accept`), checked by their
//! magic bytes. Input `name` = `id` = base (multiple); a kept file can be removed with the
//! checkbox `<base>-remove` (value: its SHA-256).

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use super::spec::{
    bad, error, field_template, int_key, mismatch, narrow_upper, quote, Checked, Input, Kind,
    Missing, ViewCtx,
};
use crate::forms::answers::{AnswerValue, FileContent, UploadedFile};
use crate::forms::raw::{Ctx, RawField, RawPatch};
use crate::forms::schema::{Field, FieldKind};
use crate::forms::values::{self as v, FileType};
use crate::forms::view::{FieldView, FileView, RenderFn};
use crate::i18n::Lang;

pub(crate) struct File;
pub(crate) const KIND: File = File;

/// The schema keys of a `file` field.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Params {
    pub max_files: u32,
    pub max_size_kb: u32,
    pub accept: Vec<FileType>,
}

impl FieldKind {
    /// Whether a field of this kind takes file uploads.
    pub fn takes_files(&self) -> bool {
        matches!(self, FieldKind::File(_))
    }
}

/// The keys of a file field.
fn params(field: &Field) -> Option<&Params> {
    match &field.kind {
        FieldKind::File(p) => Some(p),
        _ => None,
    }
}

fn accept_key(ctx: &mut Ctx, raw: &RawField) -> Vec<FileType> {
    let Some(a) = &raw.accept else {
        return vec![FileType::Jpeg, FileType::Png, FileType::Webp, FileType::Pdf];
    };
    let mut accept = Vec::new();
    for name in a.get_ref() {
        match FileType::parse(name) {
            Some(t) => accept.push(t),
            None => ctx.err(
                a.span(),
                format!("unknown file type `{name}` (known: jpeg, png, webp, pdf)"),
            ),
        }
    }
    if accept.is_empty() {
        ctx.err(a.span(), "`accept` must name at least one file type");
    }
    accept
}

/// The allowed types as people name them: "JPG, PNG, WEBP oder PDF".
fn type_names(types: &[FileType], lang: Lang) -> String {
    let names: Vec<&str> = types
        .iter()
        .map(|t| match t {
            FileType::Pdf => "PDF",
            FileType::Png => "PNG",
            FileType::Webp => "WEBP",
            FileType::Jpeg => "JPG",
        })
        .collect();
    let or = match lang {
        Lang::De => " oder ",
        Lang::En => " or ",
    };
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{}{or}{last}", rest.join(", ")),
        _ => names.concat(),
    }
}

/// The limits shown under the label: types, count and size.
fn limit_hint(max_files: u32, max_size_kb: u32, types: &[FileType], lang: Lang) -> String {
    let names = type_names(types, lang);
    let mb = f64::from(max_size_kb) / 1024.0;
    match lang {
        Lang::De => format!(
            "{names}; höchstens {max_files} Dateien, je bis {} MB.",
            format!("{mb:.1}").replace('.', ",")
        ),
        Lang::En => format!("{names}; at most {max_files} files, up to {mb:.1} MB each."),
    }
}

impl Kind for File {
    fn name(&self) -> &'static str {
        "file"
    }

    fn keys(&self) -> &'static [&'static str] {
        &["max_files", "max_size_kb", "accept"]
    }

    fn parse(&self, ctx: &mut Ctx, raw: &RawField, _in_group: bool) -> FieldKind {
        let max_files = int_key(ctx, &raw.max_files, "max_files", 1..=20, 5) as u32;
        let max_size_kb = int_key(ctx, &raw.max_size_kb, "max_size_kb", 1..=20_480, 10_240) as u32;
        FieldKind::File(Params {
            max_files,
            max_size_kb,
            accept: accept_key(ctx, raw),
        })
    }

    fn patch(&self, ctx: &mut Ctx, p: &RawPatch, field_id: &str, kind: &mut FieldKind) {
        let FieldKind::File(Params {
            max_files,
            max_size_kb,
            ..
        }) = kind
        else {
            return;
        };
        for (v, cur, name) in [
            (&p.max_files, max_files, "max_files"),
            (&p.max_size_kb, max_size_kb, "max_size_kb"),
        ] {
            let Some(v) = v else { continue };
            if *v.get_ref() >= 1 {
                narrow_upper(ctx, field_id, v, cur, name);
            } else {
                ctx.err(v.span(), format!("`{name}` must be at least 1"));
            }
        }
    }

    fn takes_plain_roles(&self) -> bool {
        false
    }

    fn missing(&self) -> Missing {
        Missing::Upload
    }

    fn read(&self, field: &Field, input: Input) -> AnswerValue {
        let Input {
            base,
            raw,
            prev,
            errors,
        } = input;
        let Some(p) = params(field) else {
            return AnswerValue::Files(Vec::new());
        };
        let (max_files, max_size_kb, accept) = (p.max_files, p.max_size_kb, &p.accept);
        let remove = raw.all(&format!("{base}-remove"));
        let mut files: Vec<UploadedFile> = match prev {
            Some(AnswerValue::Files(f)) => f
                .iter()
                .filter(|f| !remove.contains(&f.sha256.as_str()))
                .cloned()
                .collect(),
            _ => Vec::new(),
        };
        let (label_de, label_en) = quote(&field.label);
        for rf in raw.files.iter().filter(|f| f.input_name == base) {
            if rf.bytes.is_empty() {
                // Browsers send an empty part when no file was chosen.
                if !rf.file_name.is_empty() {
                    errors.push(error(
                        base.into(),
                        field,
                        format!("Die Datei „{}“ ist leer.", rf.file_name),
                        format!("The file “{}” is empty.", rf.file_name),
                    ));
                }
                continue;
            }
            let name: String = rf
                .file_name
                .rsplit(['/', '\\'])
                .next()
                .unwrap_or("")
                .chars()
                .filter(|c| !c.is_control())
                .take(200)
                .collect();
            let kind = v::sniff_file_type(&rf.bytes).filter(|t| accept.contains(t));
            let Some(kind) = kind else {
                errors.push(error(
                    base.into(),
                    field,
                    format!(
                        "Die Datei „{name}“ muss ein {} sein.",
                        type_names(accept, Lang::De)
                    ),
                    format!(
                        "The file “{name}” must be a {}.",
                        type_names(accept, Lang::En)
                    ),
                ));
                continue;
            };
            if rf.bytes.len() as u64 > u64::from(max_size_kb) * 1024 {
                errors.push(error(
                    base.into(),
                    field,
                    format!("Die Datei „{name}“ ist größer als {} KB.", max_size_kb),
                    format!("The file “{name}” is larger than {} KB.", max_size_kb),
                ));
                continue;
            }
            let sha256 = hex::encode(ring::digest::digest(&ring::digest::SHA256, &rf.bytes));
            if files.iter().any(|f| f.sha256 == sha256) {
                continue;
            }
            if files.len() >= max_files as usize {
                errors.push(error(
                    base.into(),
                    field,
                    format!("Bei {label_de} sind höchstens {max_files} Dateien möglich."),
                    format!("{label_en} takes at most {max_files} files."),
                ));
                break;
            }
            files.push(UploadedFile {
                file_name: if name.is_empty() {
                    "datei".into()
                } else {
                    name
                },
                mime_type: kind.mime().to_string(),
                size: rf.bytes.len() as u64,
                sha256,
                content: FileContent::Bytes(rf.bytes.clone()),
            });
        }
        AnswerValue::Files(files)
    }

    fn check(&self, field: &Field, value: &AnswerValue, _now: NaiveDateTime) -> Checked {
        let (Some(p), AnswerValue::Files(f)) = (params(field), value) else {
            return mismatch(field);
        };
        let max_files = p.max_files;
        if f.len() > max_files as usize {
            return bad(
                field,
                &format!("höchstens {max_files} Dateien."),
                &format!("at most {max_files} files."),
            );
        }
        Ok(Some(value.clone()))
    }

    fn display(&self, _field: &Field, value: &AnswerValue, _lang: Lang) -> String {
        match value {
            AnswerValue::Files(f) => f
                .iter()
                .map(|f| format!("{} ({} KB)", f.file_name, f.size.div_ceil(1024)))
                .collect::<Vec<_>>()
                .join("\n"),
            _ => super::spec::plain_display(value),
        }
    }

    fn template(&self) -> RenderFn {
        field_template!("forms/file.html")
    }

    fn view(&self, field: &Field, fv: &mut FieldView, cx: &ViewCtx) {
        let Some(p) = params(field) else {
            return;
        };
        let (max_files, max_size_kb, accept) = (p.max_files, p.max_size_kb, &p.accept);
        fv.accept = accept
            .iter()
            .map(|t| t.mime())
            .collect::<Vec<_>>()
            .join(",");
        fv.limit_hint = limit_hint(max_files, max_size_kb, accept, cx.lang);
        fv.multiple = max_files > 1;
        if let Some(AnswerValue::Files(list)) = cx.value {
            fv.files = list
                .iter()
                .enumerate()
                .map(|(k, u)| FileView {
                    name: u.file_name.clone(),
                    size_kb: u.size.div_ceil(1024),
                    sha256: u.sha256.clone(),
                    id: format!("{}-remove-{k}", cx.base),
                })
                .collect();
        }
    }
}
