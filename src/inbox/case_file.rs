//! The report as a PDF for the case file: every answer with its label in step order, the
//! form version and hash, the times, and the attachments' names and SHA-256. Made with
//! `printpdf` and its built-in Helvetica (WinAnsi encoding, so umlauts, ß and € print),
//! so nothing is fetched or installed at run time.

use printpdf::{
    BuiltinFont, IndirectFontRef, Mm, PdfDocument, PdfDocumentReference, PdfLayerReference,
};

use crate::reports::document::ReportDocument;

#[derive(Debug, thiserror::Error)]
#[error("cannot write the PDF: {0}")]
pub struct CaseFileError(#[from] printpdf::Error);

const PAGE_W: f32 = 210.0;
const PAGE_H: f32 = 297.0;
const MARGIN: f32 = 20.0;
const LINE: f32 = 5.0;
/// Characters per line at 10 pt Helvetica within the margins (an estimate on the safe side).
const WRAP: usize = 95;

/// Writes lines top to bottom, starting a new page when one is full.
struct Writer {
    doc: PdfDocumentReference,
    layer: PdfLayerReference,
    y: f32,
    regular: IndirectFontRef,
    bold: IndirectFontRef,
}

impl Writer {
    fn line(&mut self, text: &str, size: f32, bold: bool) {
        for chunk in wrap(text, WRAP) {
            if self.y < MARGIN {
                let (page, layer) = self.doc.add_page(Mm(PAGE_W), Mm(PAGE_H), "text");
                self.layer = self.doc.get_page(page).get_layer(layer);
                self.y = PAGE_H - MARGIN;
            }
            let font = if bold { &self.bold } else { &self.regular };
            self.layer
                .use_text(chunk, size, Mm(MARGIN), Mm(self.y), font);
            self.y -= LINE * size / 10.0;
        }
    }

    fn gap(&mut self) {
        self.y -= LINE / 2.0;
    }
}

/// Splits `text` into lines of at most `width` characters, at spaces where possible.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.lines() {
        let mut current = String::new();
        for word in paragraph.split(' ') {
            let mut word = word.to_owned();
            while word.chars().count() > width {
                let head: String = word.chars().take(width).collect();
                word = word.chars().skip(width).collect();
                if !current.is_empty() {
                    lines.push(std::mem::take(&mut current));
                }
                lines.push(head);
            }
            if !current.is_empty() && current.chars().count() + 1 + word.chars().count() > width {
                lines.push(std::mem::take(&mut current));
            }
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(&word);
        }
        lines.push(current);
    }
    if lines.is_empty() {
        lines.push(String::new());
    }
    lines
}

/// The case-file PDF of `doc`; `received` and `status` as the clerk's page shows them.
pub fn pdf(doc: &ReportDocument, received: &str, status: &str) -> Result<Vec<u8>, CaseFileError> {
    let title = format!("Bericht {}", doc.case_number);
    let (pdf, page, layer) = PdfDocument::new(&title, Mm(PAGE_W), Mm(PAGE_H), "text");
    let regular = pdf.add_builtin_font(BuiltinFont::Helvetica)?;
    let bold = pdf.add_builtin_font(BuiltinFont::HelveticaBold)?;
    let layer = pdf.get_page(page).get_layer(layer);
    let mut w = Writer {
        doc: pdf,
        layer,
        y: PAGE_H - MARGIN,
        regular,
        bold,
    };
    w.line(
        &format!("Internetwache – Bericht {}", doc.case_number),
        14.0,
        true,
    );
    w.gap();
    let form = &doc.form;
    w.line(
        &format!(
            "Formular: {} ({}, Version {})",
            form.title, form.id, form.version
        ),
        10.0,
        false,
    );
    w.line(&format!("Inhalts-Hash: {}", form.content_hash), 10.0, false);
    let submitted = doc
        .submitted_at
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    w.line(&format!("Abgeschickt: {submitted}"), 10.0, false);
    w.line(&format!("Eingang im Posteingang: {received}"), 10.0, false);
    w.line(&format!("Status: {status}"), 10.0, false);
    if let Some(office) = &doc.office {
        w.line(
            &format!("Dienststelle: {} ({})", office.name, office.id),
            10.0,
            false,
        );
    }
    let mut step: Option<&str> = None;
    for a in &doc.answers {
        if step != Some(a.step_id.as_str()) {
            w.gap();
            w.line(&a.step_title, 12.0, true);
            step = Some(a.step_id.as_str());
        }
        w.line(&format!("{}: {}", a.label, a.display), 10.0, false);
    }
    if !doc.attachments.is_empty() {
        w.gap();
        w.line("Anhänge", 12.0, true);
        for f in &doc.attachments {
            w.line(
                &format!(
                    "{} ({}, {} Bytes), SHA-256 {}",
                    f.filename, f.mime_type, f.size, f.sha256
                ),
                10.0,
                false,
            );
        }
    }
    Ok(w.doc.save_to_bytes()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_wrap_at_spaces_and_long_words_are_cut() {
        assert_eq!(wrap("ab cd ef", 5), vec!["ab cd", "ef"]);
        assert_eq!(wrap("abcdefgh", 3), vec!["abc", "def", "gh"]);
        assert_eq!(wrap("", 5), vec![""]);
    }
}
