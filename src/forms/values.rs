//! Parsers for the typed values a form field accepts. Each takes what the citizen typed
//! and returns the normalised value, or `None` if it is not one.

use chrono::{NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};

/// Euro amount in cents. Accepts "1.234,56", "1234.56", "12 €", "EUR 12,5".
pub fn parse_money_cents(input: &str) -> Option<i64> {
    let s: String = input
        .replace('€', "")
        .replace("EUR", "")
        .replace("eur", "")
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}')
        .collect();
    if s.is_empty()
        || !s
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
    {
        return None;
    }
    let last_sep = s.rfind(['.', ',']);
    let (int_part, frac_part) = match last_sep {
        None => (s.clone(), String::new()),
        Some(pos) => {
            let sep = s.as_bytes()[pos] as char;
            let other = if sep == '.' { ',' } else { '.' };
            let after = &s[pos + 1..];
            let before = &s[..pos];
            let decimal = if before.contains(other) {
                true
            } else if s.matches(sep).count() > 1 {
                false
            } else {
                after.len() != 3
            };
            if decimal {
                (before.to_string(), after.to_string())
            } else {
                (s.clone(), String::new())
            }
        }
    };
    if frac_part.len() > 2
        || (last_sep.is_some() && frac_part.is_empty() && !int_part.contains(['.', ',']))
    {
        return None;
    }
    // Thousands separators: groups of exactly three digits.
    let groups: Vec<&str> = int_part.split(['.', ',']).collect();
    if groups[0].is_empty() || groups[0].len() > 15 {
        return None;
    }
    if groups.len() > 1 && (groups[0].len() > 3 || groups[1..].iter().any(|g| g.len() != 3)) {
        return None;
    }
    let digits: String = groups.concat();
    let euros: i64 = digits.parse().ok()?;
    let cents: i64 = match frac_part.len() {
        0 => 0,
        1 => frac_part.parse::<i64>().ok()? * 10,
        _ => frac_part.parse().ok()?,
    };
    euros.checked_mul(100)?.checked_add(cents)
}

/// "1.234,56" (German) or "1,234.56" (English) from cents.
pub fn format_cents(cents: i64, german: bool) -> String {
    let (thousands, decimal) = if german { ('.', ',') } else { (',', '.') };
    let euros = (cents / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in euros.chars().enumerate() {
        if i > 0 && (euros.len() - i) % 3 == 0 {
            grouped.push(thousands);
        }
        grouped.push(c);
    }
    format!("{grouped}{decimal}{:02}", cents % 100)
}

/// IBAN with mod-97 checksum; returns it grouped in fours ("DE89 3704 ...").
pub fn parse_iban(input: &str) -> Option<String> {
    let s: String = input
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    if !(15..=34).contains(&s.len()) || !s.chars().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    let b = s.as_bytes();
    if !b[0].is_ascii_uppercase() || !b[1].is_ascii_uppercase() {
        return None;
    }
    if !b[2].is_ascii_digit() || !b[3].is_ascii_digit() {
        return None;
    }
    if &s[..2] == "DE" && s.len() != 22 {
        return None;
    }
    let rearranged = format!("{}{}", &s[4..], &s[..4]);
    let mut rem: u32 = 0;
    for c in rearranged.chars() {
        let v = c.to_digit(36)?;
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    if rem != 1 {
        return None;
    }
    let grouped: Vec<String> = s
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    Some(grouped.join(" "))
}

/// German licence plate: district (1–3 letters), letters (1–2), number (1–4), optional
/// E (electric) or H (historic). Returns "B-AB 1234E".
pub fn parse_licence_plate(input: &str) -> Option<String> {
    let s = input.trim().to_uppercase();
    let mut parts = s.splitn(2, ['-', ' ']);
    let district = parts.next()?.trim();
    let rest: String = parts
        .next()?
        .chars()
        .filter(|c| *c != ' ' && *c != '-')
        .collect();
    let district_ok = (1..=3).contains(&district.chars().count())
        && district
            .chars()
            .all(|c| c.is_ascii_uppercase() || "ÄÖÜ".contains(c));
    if !district_ok {
        return None;
    }
    let letters: String = rest
        .chars()
        .take_while(|c| c.is_ascii_uppercase())
        .collect();
    let tail = &rest[letters.len()..];
    let number: String = tail.chars().take_while(|c| c.is_ascii_digit()).collect();
    let suffix = &tail[number.len()..];
    if !(1..=2).contains(&letters.len())
        || !(1..=4).contains(&number.len())
        || number.starts_with('0')
        || !matches!(suffix, "" | "E" | "H")
    {
        return None;
    }
    if district.chars().count() + letters.len() + number.len() + suffix.len() > 9 {
        return None;
    }
    Some(format!("{district}-{letters} {number}{suffix}"))
}

/// Vehicle identification number: 17 characters, no I, O or Q.
pub fn parse_vin(input: &str) -> Option<String> {
    let s: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect::<String>()
        .to_ascii_uppercase();
    let ok = s.len() == 17
        && s.chars()
            .all(|c| c.is_ascii_digit() || (c.is_ascii_uppercase() && !"IOQ".contains(c)));
    ok.then_some(s)
}

/// Bicycle frame number: letters, digits, "-", "/", "." and spaces; 4–30 characters.
pub fn parse_frame_number(input: &str) -> Option<String> {
    let s = input.trim().to_uppercase();
    let n = s.chars().count();
    let ok = (4..=30).contains(&n)
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-/. ".contains(c))
        && s.chars().any(|c| c.is_ascii_alphanumeric());
    ok.then_some(s)
}

/// German postal code: exactly five digits.
pub fn parse_postal_code(input: &str) -> Option<String> {
    let s = input.trim();
    (s.len() == 5 && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.to_string())
}

pub fn parse_email(input: &str) -> Option<String> {
    use validator::ValidateEmail;
    let s = input.trim();
    (s.len() <= 254 && s.validate_email() && s.contains('.')).then(|| s.to_string())
}

/// Telephone number: digits with "+", spaces, "-", "/", "(", ")"; 5–20 digits.
pub fn parse_phone(input: &str) -> Option<String> {
    let s = input.trim();
    let digits = s.chars().filter(|c| c.is_ascii_digit()).count();
    let ok = s.len() <= 40
        && (5..=20).contains(&digits)
        && s.chars()
            .all(|c| c.is_ascii_digit() || " +-/()".contains(c));
    ok.then(|| s.to_string())
}

/// http or https URL with a host.
pub fn parse_url(input: &str) -> Option<String> {
    let s = input.trim();
    let url = url::Url::parse(s).ok()?;
    let ok = matches!(url.scheme(), "http" | "https") && url.host().is_some() && s.len() <= 2000;
    ok.then(|| url.to_string())
}

/// ISO "2026-11-28" or German "28.11.2026".
pub fn parse_date(input: &str) -> Option<NaiveDate> {
    let s = input.trim();
    let date = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%d.%m.%Y"))
        .ok()?;
    (1900..=2999)
        .contains(&chrono::Datelike::year(&date))
        .then_some(date)
}

/// "14:30", "14.30" or "14:30:00".
pub fn parse_time(input: &str) -> Option<NaiveTime> {
    let s = input.trim().replace('.', ":");
    NaiveTime::parse_from_str(&s, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(&s, "%H:%M:%S"))
        .ok()
}

pub fn parse_integer(input: &str) -> Option<i64> {
    let s: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    s.parse().ok()
}

/// A file type an upload may have, recognised by its magic bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileType {
    Jpeg,
    Png,
    Webp,
    Pdf,
}

impl FileType {
    pub fn mime(self) -> &'static str {
        match self {
            FileType::Jpeg => "image/jpeg",
            FileType::Png => "image/png",
            FileType::Webp => "image/webp",
            FileType::Pdf => "application/pdf",
        }
    }

    pub fn parse(name: &str) -> Option<FileType> {
        match name {
            "jpeg" => Some(FileType::Jpeg),
            "png" => Some(FileType::Png),
            "webp" => Some(FileType::Webp),
            "pdf" => Some(FileType::Pdf),
            _ => None,
        }
    }
}

/// What the magic bytes say a file is; the declared type is not trusted.
pub fn sniff_file_type(bytes: &[u8]) -> Option<FileType> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(FileType::Jpeg)
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some(FileType::Png)
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some(FileType::Webp)
    } else if bytes.starts_with(b"%PDF-") {
        Some(FileType::Pdf)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_formats() {
        assert_eq!(parse_money_cents("1.234,56"), Some(123_456));
        assert_eq!(parse_money_cents("1234.56"), Some(123_456));
        assert_eq!(parse_money_cents("12 €"), Some(1200));
        assert_eq!(parse_money_cents("12,5"), Some(1250));
        assert_eq!(parse_money_cents("1.234"), Some(123_400));
        assert_eq!(parse_money_cents("1,234.50"), Some(123_450));
        assert_eq!(parse_money_cents("EUR 1.000.000"), Some(100_000_000));
        assert_eq!(parse_money_cents("0,99"), Some(99));
        for bad in ["", "abc", "12,345,6", "1.2.3", "-5", "12,", "1,2345", "€"] {
            assert_eq!(parse_money_cents(bad), None, "{bad}");
        }
        assert_eq!(format_cents(123_456, true), "1.234,56");
        assert_eq!(format_cents(5, false), "0.05");
    }

    #[test]
    fn iban_checksum() {
        assert_eq!(
            parse_iban("de89 3704 0044 0532 0130 00").as_deref(),
            Some("DE89 3704 0044 0532 0130 00")
        );
        assert!(parse_iban("DE89370400440532013001").is_none());
        assert!(parse_iban("DE8937040044053201300").is_none());
        assert!(parse_iban("GB82WEST12345698765432").is_some());
        assert!(parse_iban("xx").is_none());
    }

    #[test]
    fn licence_plates() {
        assert_eq!(
            parse_licence_plate("B-AB 1234").as_deref(),
            Some("B-AB 1234")
        );
        assert_eq!(
            parse_licence_plate("b ab 1234e").as_deref(),
            Some("B-AB 1234E")
        );
        assert_eq!(parse_licence_plate("HRO-X 7").as_deref(), Some("HRO-X 7"));
        assert_eq!(
            parse_licence_plate("LDS-AB12H").as_deref(),
            Some("LDS-AB 12H")
        );
        for bad in [
            "BAB1234",
            "B-AB 12345",
            "B-ABC 1",
            "B-AB 0123",
            "ABCD-A 1",
            "B-AB 1X",
        ] {
            assert!(parse_licence_plate(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn vin_and_frame() {
        assert_eq!(
            parse_vin("wvw zzz1jz xw000001").as_deref(),
            Some("WVWZZZ1JZXW000001")
        );
        assert!(parse_vin("WVWZZZ1JZXW00000I").is_none());
        assert!(parse_vin("WVWZZZ1JZXW0001").is_none());
        assert_eq!(
            parse_frame_number(" wtu123/45.a ").as_deref(),
            Some("WTU123/45.A")
        );
        assert!(parse_frame_number("ab").is_none());
        assert!(parse_frame_number("abc#123").is_none());
    }

    #[test]
    fn dates_times_and_simple_types() {
        assert_eq!(
            parse_date("28.11.2026"),
            NaiveDate::from_ymd_opt(2026, 11, 28)
        );
        assert_eq!(
            parse_date("2026-11-28"),
            NaiveDate::from_ymd_opt(2026, 11, 28)
        );
        assert!(parse_date("31.02.2026").is_none());
        assert_eq!(parse_time("9.05"), NaiveTime::from_hms_opt(9, 5, 0));
        assert!(parse_time("25:00").is_none());
        assert!(parse_postal_code("10115").is_some());
        assert!(parse_postal_code("1011").is_none());
        assert!(parse_email("a@example.de").is_some());
        assert!(parse_email("a@@b").is_none());
        assert!(parse_phone("+49 30 1234567").is_some());
        assert!(parse_phone("call me").is_none());
        assert!(parse_url("https://example.org/x").is_some());
        assert!(parse_url("javascript:alert(1)").is_none());
        assert!(parse_url("ftp://example.org").is_none());
    }
}
