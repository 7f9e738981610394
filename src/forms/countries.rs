//! The country catalogue used by `country` fields (ISO 3166-1 alpha-2, plus ZZ).

/// A country with its German and English name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Country {
    pub code: &'static str,
    pub de: &'static str,
    pub en: &'static str,
}

pub const COUNTRIES: &[Country] = &[
    Country {
        code: "DE",
        de: "Deutschland",
        en: "Germany",
    },
    Country {
        code: "AT",
        de: "Österreich",
        en: "Austria",
    },
    Country {
        code: "CH",
        de: "Schweiz",
        en: "Switzerland",
    },
    Country {
        code: "PL",
        de: "Polen",
        en: "Poland",
    },
    Country {
        code: "CZ",
        de: "Tschechien",
        en: "Czechia",
    },
    Country {
        code: "DK",
        de: "Dänemark",
        en: "Denmark",
    },
    Country {
        code: "NL",
        de: "Niederlande",
        en: "Netherlands",
    },
    Country {
        code: "BE",
        de: "Belgien",
        en: "Belgium",
    },
    Country {
        code: "LU",
        de: "Luxemburg",
        en: "Luxembourg",
    },
    Country {
        code: "FR",
        de: "Frankreich",
        en: "France",
    },
    Country {
        code: "IT",
        de: "Italien",
        en: "Italy",
    },
    Country {
        code: "ES",
        de: "Spanien",
        en: "Spain",
    },
    Country {
        code: "PT",
        de: "Portugal",
        en: "Portugal",
    },
    Country {
        code: "GB",
        de: "Vereinigtes Königreich",
        en: "United Kingdom",
    },
    Country {
        code: "IE",
        de: "Irland",
        en: "Ireland",
    },
    Country {
        code: "SE",
        de: "Schweden",
        en: "Sweden",
    },
    Country {
        code: "NO",
        de: "Norwegen",
        en: "Norway",
    },
    Country {
        code: "FI",
        de: "Finnland",
        en: "Finland",
    },
    Country {
        code: "EE",
        de: "Estland",
        en: "Estonia",
    },
    Country {
        code: "LV",
        de: "Lettland",
        en: "Latvia",
    },
    Country {
        code: "LT",
        de: "Litauen",
        en: "Lithuania",
    },
    Country {
        code: "SK",
        de: "Slowakei",
        en: "Slovakia",
    },
    Country {
        code: "HU",
        de: "Ungarn",
        en: "Hungary",
    },
    Country {
        code: "SI",
        de: "Slowenien",
        en: "Slovenia",
    },
    Country {
        code: "HR",
        de: "Kroatien",
        en: "Croatia",
    },
    Country {
        code: "RO",
        de: "Rumänien",
        en: "Romania",
    },
    Country {
        code: "BG",
        de: "Bulgarien",
        en: "Bulgaria",
    },
    Country {
        code: "GR",
        de: "Griechenland",
        en: "Greece",
    },
    Country {
        code: "CY",
        de: "Zypern",
        en: "Cyprus",
    },
    Country {
        code: "MT",
        de: "Malta",
        en: "Malta",
    },
    Country {
        code: "RS",
        de: "Serbien",
        en: "Serbia",
    },
    Country {
        code: "BA",
        de: "Bosnien und Herzegowina",
        en: "Bosnia and Herzegovina",
    },
    Country {
        code: "AL",
        de: "Albanien",
        en: "Albania",
    },
    Country {
        code: "MK",
        de: "Nordmazedonien",
        en: "North Macedonia",
    },
    Country {
        code: "XK",
        de: "Kosovo",
        en: "Kosovo",
    },
    Country {
        code: "UA",
        de: "Ukraine",
        en: "Ukraine",
    },
    Country {
        code: "MD",
        de: "Moldau",
        en: "Moldova",
    },
    Country {
        code: "BY",
        de: "Belarus",
        en: "Belarus",
    },
    Country {
        code: "RU",
        de: "Russland",
        en: "Russia",
    },
    Country {
        code: "TR",
        de: "Türkei",
        en: "Turkey",
    },
    Country {
        code: "GE",
        de: "Georgien",
        en: "Georgia",
    },
    Country {
        code: "AM",
        de: "Armenien",
        en: "Armenia",
    },
    Country {
        code: "SY",
        de: "Syrien",
        en: "Syria",
    },
    Country {
        code: "AF",
        de: "Afghanistan",
        en: "Afghanistan",
    },
    Country {
        code: "IQ",
        de: "Irak",
        en: "Iraq",
    },
    Country {
        code: "IR",
        de: "Iran",
        en: "Iran",
    },
    Country {
        code: "IL",
        de: "Israel",
        en: "Israel",
    },
    Country {
        code: "LB",
        de: "Libanon",
        en: "Lebanon",
    },
    Country {
        code: "EG",
        de: "Ägypten",
        en: "Egypt",
    },
    Country {
        code: "MA",
        de: "Marokko",
        en: "Morocco",
    },
    Country {
        code: "TN",
        de: "Tunesien",
        en: "Tunisia",
    },
    Country {
        code: "DZ",
        de: "Algerien",
        en: "Algeria",
    },
    Country {
        code: "NG",
        de: "Nigeria",
        en: "Nigeria",
    },
    Country {
        code: "ER",
        de: "Eritrea",
        en: "Eritrea",
    },
    Country {
        code: "IN",
        de: "Indien",
        en: "India",
    },
    Country {
        code: "PK",
        de: "Pakistan",
        en: "Pakistan",
    },
    Country {
        code: "VN",
        de: "Vietnam",
        en: "Vietnam",
    },
    Country {
        code: "CN",
        de: "China",
        en: "China",
    },
    Country {
        code: "JP",
        de: "Japan",
        en: "Japan",
    },
    Country {
        code: "KR",
        de: "Südkorea",
        en: "South Korea",
    },
    Country {
        code: "TH",
        de: "Thailand",
        en: "Thailand",
    },
    Country {
        code: "US",
        de: "Vereinigte Staaten",
        en: "United States",
    },
    Country {
        code: "CA",
        de: "Kanada",
        en: "Canada",
    },
    Country {
        code: "BR",
        de: "Brasilien",
        en: "Brazil",
    },
    Country {
        code: "AU",
        de: "Australien",
        en: "Australia",
    },
    Country {
        code: "ZZ",
        de: "Unbekannt / staatenlos",
        en: "Unknown / stateless",
    },
];

/// Looks a country up by its code, case-insensitively.
pub fn country(code: &str) -> Option<&'static Country> {
    let code = code.trim();
    COUNTRIES.iter().find(|c| c.code.eq_ignore_ascii_case(code))
}
