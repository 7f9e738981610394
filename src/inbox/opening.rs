//! Opening one envelope with the key its key id names, and checking that what is inside
//! belongs to the envelope: the case number's check symbol, the state, the key id and the
//! form version. A failure is a reason a clerk can read, never a panic and never a drop.

use crate::crypto::{CryptoError, Envelope, EnvelopeMetadata};
use crate::reports::case_number::CaseNumber;
use crate::reports::document::{self, ReportDocument};

use super::keyring::Keyring;

/// Why an envelope is "nicht lesbar" (German first, English after the slash).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Unreadable(pub String);

impl Unreadable {
    fn new(de: &str, en: &str) -> Unreadable {
        Unreadable(format!("{de} / {en}"))
    }
}

/// A report that was opened and checked against its envelope.
#[derive(Debug, Clone)]
pub struct OpenedReport {
    pub metadata: EnvelopeMetadata,
    pub document: ReportDocument,
}

/// Opens `envelope` with the matching key of `keyring` and checks its contents.
pub fn open(keyring: &Keyring, envelope: &Envelope) -> Result<OpenedReport, Unreadable> {
    let metadata = envelope.metadata().map_err(|e| {
        Unreadable::new(
            &format!("Metadaten unlesbar ({e})"),
            &format!("metadata unreadable ({e})"),
        )
    })?;
    check_metadata(&metadata)?;
    let key = keyring.get(&envelope.key_id).ok_or_else(|| {
        Unreadable::new(
            &format!("kein Schlüssel mit der Kennung {:?}", envelope.key_id),
            &format!("no key with id {:?}", envelope.key_id),
        )
    })?;
    if !key.state.eq_ignore_ascii_case(&metadata.state) {
        return Err(Unreadable::new(
            "der Schlüssel gehört zu einem anderen Land",
            "the key belongs to another state",
        ));
    }
    let plaintext = envelope.open_with(key).map_err(|e| match e {
        CryptoError::Open => Unreadable::new(
            "Entschlüsselung fehlgeschlagen: falscher Schlüssel oder veränderte Daten",
            "decryption failed: wrong key or altered data",
        ),
        other => Unreadable::new(
            &format!("Entschlüsselung fehlgeschlagen ({other})"),
            &format!("decryption failed ({other})"),
        ),
    })?;
    let document = ReportDocument::from_json_bytes(&plaintext).map_err(|_| {
        Unreadable::new(
            "der Inhalt ist kein Bericht im Format internetwache.report.v1",
            "the content is not an internetwache.report.v1 document",
        )
    })?;
    check_document(&metadata, &document)?;
    Ok(OpenedReport { metadata, document })
}

fn check_metadata(meta: &EnvelopeMetadata) -> Result<(), Unreadable> {
    // Deserialising already parsed the case number; parsing its text again checks the
    // check symbol of exactly what is stored.
    CaseNumber::parse(meta.case_number.as_str()).map_err(|e| {
        Unreadable::new(
            &format!("Vorgangsnummer ungültig ({e})"),
            &format!("invalid case number ({e})"),
        )
    })?;
    if !meta.case_number.state().eq_ignore_ascii_case(&meta.state) {
        return Err(Unreadable::new(
            "Vorgangsnummer und Land passen nicht zusammen",
            "case number and state do not match",
        ));
    }
    if meta.form_version == 0 {
        return Err(Unreadable::new(
            "Formularversion fehlt",
            "form version missing",
        ));
    }
    Ok(())
}

/// The sealed document must describe the same case as the authenticated metadata.
fn check_document(meta: &EnvelopeMetadata, doc: &ReportDocument) -> Result<(), Unreadable> {
    let mismatch = if doc.schema != document::SCHEMA {
        Some("schema")
    } else if doc.case_number != meta.case_number {
        Some("case_number")
    } else if !doc.state.eq_ignore_ascii_case(&meta.state) {
        Some("state")
    } else if doc.form.id != meta.form_id {
        Some("form.id")
    } else if doc.form.version != meta.form_version {
        Some("form.version")
    } else if doc.form.content_hash != meta.form_content_hash {
        Some("form.content_hash")
    } else {
        None
    };
    match mismatch {
        Some(field) => Err(Unreadable::new(
            &format!("Inhalt passt nicht zum Umschlag ({field})"),
            &format!("content does not match the envelope ({field})"),
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::hpke_open::generate_keypair;
    use crate::crypto::keys;
    use crate::reports::document::tests::sample;

    fn sealed(doc: &ReportDocument, key: &crate::crypto::PolicePrivateKey) -> Envelope {
        let meta = EnvelopeMetadata {
            case_number: doc.case_number.clone(),
            state: doc.state.clone(),
            recipient_key_id: key.key_id.clone(),
            form_id: doc.form.id.clone(),
            form_version: doc.form.version,
            form_content_hash: doc.form.content_hash.clone(),
            submitted_at: doc.submitted_at,
            office_id: None,
        };
        let bytes = doc.to_json_bytes().expect("json");
        Envelope::seal(&meta, &key.public_key(), &bytes).expect("seal")
    }

    fn key(dir: &std::path::Path) -> crate::crypto::PolicePrivateKey {
        let generated = keys::generate("be", dir).expect("key");
        keys::load_private_key(&generated.private_path).expect("load")
    }

    #[test]
    fn opens_with_the_named_key_among_several() {
        let dir = tempfile::tempdir().expect("tmp");
        let (old, new) = (key(&dir.path().join("a")), key(&dir.path().join("b")));
        let ring = Keyring::from_keys([old.clone(), new.clone()]);
        let doc = sample(CaseNumber::generate("be").expect("case"));
        for k in [&old, &new] {
            let opened = open(&ring, &sealed(&doc, k)).expect("opens");
            assert_eq!(opened.document, doc);
        }
        let only_new = Keyring::from_keys([new]);
        let reason = open(&only_new, &sealed(&doc, &old)).expect_err("no key");
        assert!(reason.0.contains("kein Schlüssel"), "{reason}");
    }

    #[test]
    fn a_key_with_the_right_id_but_wrong_secret_gives_a_reason() {
        let dir = tempfile::tempdir().expect("tmp");
        let real = key(dir.path());
        let doc = sample(CaseNumber::generate("be").expect("case"));
        let envelope = sealed(&doc, &real);
        let (_, other_public) = generate_keypair().expect("pair");
        let mut forged = envelope.clone();
        forged.enc = crate::crypto::b64url_encode(&other_public);
        let reason = open(&Keyring::from_keys([real]), &forged).expect_err("fails");
        assert!(
            reason.0.contains("Entschlüsselung fehlgeschlagen"),
            "{reason}"
        );
    }

    #[test]
    fn a_ciphertext_moved_under_other_metadata_is_refused() {
        let dir = tempfile::tempdir().expect("tmp");
        let k = key(dir.path());
        let mut doc = sample(CaseNumber::generate("be").expect("case"));
        let envelope_doc = doc.clone();
        doc.case_number = CaseNumber::generate("be").expect("case");
        // The ciphertext of one case under the metadata of another: the AEAD refuses it.
        let mut env = sealed(&envelope_doc, &k);
        let inner = sealed(&doc, &k);
        env.ciphertext = inner.ciphertext;
        env.enc = inner.enc;
        assert!(open(&Keyring::from_keys([k]), &env).is_err());
    }
}
