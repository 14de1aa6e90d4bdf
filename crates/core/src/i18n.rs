//! The languages Kererū answers in: a client's `Accept-Language` (or a
//! person's saved locale) picks one, and messages are translated by their
//! English text (gettext's way: the English sentence is the key, so a
//! message without a translation is still shown, in English).
//!
//! English and German today; another language is one more table.

/// A language messages can be shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Locale {
    #[default]
    En,
    De,
}

impl Locale {
    /// Every locale with its code, English first.
    pub const ALL: [Locale; 2] = [Locale::En, Locale::De];

    pub fn code(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::De => "de",
        }
    }

    /// A locale by its code or a tag of that language (`de`, `de-AT`, `DE_ch`).
    pub fn from_tag(tag: &str) -> Option<Locale> {
        let primary = tag.trim().split(['-', '_']).next().unwrap_or("");
        Locale::ALL.into_iter().find(|locale| locale.code().eq_ignore_ascii_case(primary))
    }

    /// The best locale for an `Accept-Language` header (RFC 9110 §12.5.4):
    /// the highest-weighted language we speak, the earlier one on a tie;
    /// English when nothing listed is spoken here (or the header is absent
    /// or malformed). `q=0` means "not this one".
    pub fn negotiate(accept_language: Option<&str>) -> Locale {
        let Some(header) = accept_language else { return Locale::En };
        let mut best: Option<(u16, Locale)> = None;
        for item in header.split(',').take(32) {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or("").trim();
            let weight = parts
                .find_map(|p| p.trim().strip_prefix("q=").or_else(|| p.trim().strip_prefix("Q=")))
                .map_or(Some(1000), quality);
            let (Some(weight), Some(locale)) = (weight, Locale::from_tag(tag)) else { continue };
            if weight > 0 && best.is_none_or(|(w, _)| weight > w) {
                best = Some((weight, locale));
            }
        }
        best.map_or(Locale::En, |(_, locale)| locale)
    }

    /// `english` in this locale, or `english` itself when there is no translation.
    pub fn text(self, english: &str) -> &str {
        let table: &[(&str, &str)] = match self {
            Locale::En => return english,
            Locale::De => GERMAN,
        };
        table.iter().find(|(en, _)| *en == english).map_or(english, |(_, translated)| translated)
    }

    /// `english` with `{name}` placeholders filled after translation.
    pub fn format(self, english: &str, args: &[(&str, &str)]) -> String {
        let mut out = self.text(english).to_string();
        for (name, value) in args {
            out = out.replace(&format!("{{{name}}}"), value);
        }
        out
    }

    /// A whole error message: one we have, or `Validation failed: …`
    /// (Rails' form) with its part translated when we have that.
    pub fn error_message(self, english: &str) -> String {
        if self == Locale::En {
            return english.to_string();
        }
        if let Some(rest) = english.strip_prefix("Validation failed: ") {
            return format!("{}: {}", self.text("Validation failed"), self.text(rest));
        }
        self.text(english).to_string()
    }
}

/// A quality value (`0`, `0.5`, `1.000`) in thousandths; None when malformed.
fn quality(value: &str) -> Option<u16> {
    let value = value.trim();
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = format!("{fraction:0<3}").parse::<u16>().ok()?;
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// German, by English text. Rails' (and so Mastodon's) German wording for
/// validation errors.
const GERMAN: &[(&str, &str)] = &[
    // Errors every endpoint may give.
    ("Record not found", "Datensatz nicht gefunden"),
    ("The access token is invalid", "Der Zugriffstoken ist ungültig"),
    ("Missing access token", "Zugriffstoken fehlt"),
    ("This API requires an authenticated user", "Diese Schnittstelle erfordert einen angemeldeten Benutzer"),
    ("This method requires an authenticated user", "Diese Methode erfordert einen angemeldeten Benutzer"),
    ("This action is outside the authorized scopes", "Diese Aktion liegt außerhalb der erlaubten Befugnisse"),
    ("Access token does not have the required scopes", "Der Zugriffstoken hat nicht die nötigen Befugnisse"),
    ("This action is not allowed", "Diese Aktion ist nicht erlaubt"),
    ("Too many requests", "Zu viele Anfragen"),
    ("the page you are looking for isn't here", "Die gesuchte Seite gibt es hier nicht"),
    ("Your login is missing a confirmed e-mail address", "Deinem Konto fehlt eine bestätigte E-Mail-Adresse"),
    ("Your login is currently pending approval", "Dein Konto wartet noch auf Freischaltung"),
    ("Your login is currently disabled", "Dein Konto ist derzeit deaktiviert"),
    ("You cannot follow yourself", "Du kannst dir nicht selbst folgen"),
    ("You cannot block yourself", "Du kannst dich nicht selbst blockieren"),
    ("You cannot mute yourself", "Du kannst dich nicht selbst stummschalten"),
    // Sign-up.
    ("Registrations are closed on this server", "Registrierungen sind auf diesem Server geschlossen"),
    (
        "Too many sign-ups from this address. Try again later.",
        "Zu viele Registrierungen von dieser Adresse. Versuche es später erneut.",
    ),
    ("Validation failed", "Validierung fehlgeschlagen"),
    ("Username", "Profilname"),
    ("Email", "E-Mail-Adresse"),
    ("Password", "Passwort"),
    ("Agreement", "Zustimmung"),
    ("Reason", "Grund"),
    ("Locale", "Sprache"),
    ("Invite", "Einladung"),
    ("Text", "Text"),
    ("can't be blank", "muss ausgefüllt werden"),
    ("is invalid", "ist nicht gültig"),
    ("has already been taken", "ist bereits vergeben"),
    ("is reserved", "ist reserviert"),
    ("must be accepted", "muss akzeptiert werden"),
    ("is not included in the list", "ist kein gültiger Wert"),
    ("uses a disallowed e-mail provider", "verwendet einen nicht erlaubten E-Mail-Anbieter"),
    ("is too short (minimum is {count} characters)", "ist zu kurz (mindestens {count} Zeichen)"),
    ("is too long (maximum is {count} characters)", "ist zu lang (höchstens {count} Zeichen)"),
    (
        "must contain only letters, numbers and underscores (dots and hyphens inside)",
        "darf nur Buchstaben, Ziffern und Unterstriche enthalten (Punkte und Bindestriche nur innen)",
    ),
    ("is invalid, expired or used up", "ist ungültig, abgelaufen oder aufgebraucht"),
    ("Text can't be blank", "Text muss ausgefüllt werden"),
    // Mails.
    ("Hello {name},", "Hallo {name},"),
    ("Or open this link: {url}", "Oder öffne diesen Link: {url}"),
    ("Confirm your e-mail address for {site}", "Bestätige deine E-Mail-Adresse für {site}"),
    (
        "Welcome to {site}! Please confirm that this is your e-mail address to finish signing up.",
        "Willkommen bei {site}! Bitte bestätige, dass dies deine E-Mail-Adresse ist, um die Registrierung \
         abzuschließen.",
    ),
    ("Confirm my address", "Meine Adresse bestätigen"),
    (
        "The link works for two days. If you did not sign up, ignore this mail: no account is made without it.",
        "Der Link gilt zwei Tage. Wenn du dich nicht registriert hast, ignoriere diese E-Mail: ohne Bestätigung \
         wird kein Konto angelegt.",
    ),
    ("Reset your password on {site}", "Setze dein Passwort auf {site} zurück"),
    (
        "Someone (we hope you) asked to reset the password of your account. Choose a new one here.",
        "Jemand (hoffentlich du) hat verlangt, das Passwort deines Kontos zurückzusetzen. Wähle hier ein neues.",
    ),
    ("Choose a new password", "Neues Passwort wählen"),
    (
        "The link works once, for one hour. If you did not ask, ignore this mail: your password stays as it is.",
        "Der Link gilt einmal, für eine Stunde. Wenn du das nicht verlangt hast, ignoriere diese E-Mail: dein \
         Passwort bleibt, wie es ist.",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_best_weighted_language_spoken_here() {
        for (header, want) in [
            (None, Locale::En),
            (Some(""), Locale::En),
            (Some("de"), Locale::De),
            (Some("de-AT"), Locale::De),
            (Some("fr-FR, de;q=0.8, en;q=0.5"), Locale::De),
            (Some("en-GB,en;q=0.9,de;q=0.8"), Locale::En),
            (Some("de;q=0, en"), Locale::En),
            (Some("de;q=0.5, en;q=0.9"), Locale::En),
            (Some("en;q=0.5, de;q=0.9"), Locale::De),
            (Some("fr, ja"), Locale::En),
            (Some("de;q=2"), Locale::En),
            (Some("de;q=0.5x, ;;, ,"), Locale::En),
            (Some("*"), Locale::En),
        ] {
            assert_eq!(Locale::negotiate(header), want, "{header:?}");
        }
    }

    #[test]
    fn messages_translate_by_their_english_text_and_fall_back_to_it() {
        assert_eq!(Locale::De.text("Record not found"), "Datensatz nicht gefunden");
        assert_eq!(Locale::En.text("Record not found"), "Record not found");
        assert_eq!(Locale::De.text("a sentence nobody translated"), "a sentence nobody translated");
        assert_eq!(
            Locale::De.error_message("Validation failed: Text can't be blank"),
            "Validierung fehlgeschlagen: Text muss ausgefüllt werden"
        );
        assert_eq!(
            Locale::De.format("is too short (minimum is {count} characters)", &[("count", "8")]),
            "ist zu kurz (mindestens 8 Zeichen)"
        );
        assert_eq!(Locale::from_tag("DE_ch"), Some(Locale::De));
        assert_eq!(Locale::from_tag("pt-BR"), None);
    }

    #[test]
    fn every_german_text_keeps_the_placeholders_of_its_english_one() {
        for (english, german) in GERMAN {
            let holes = |s: &str| {
                let mut names: Vec<String> =
                    s.split('{').skip(1).filter_map(|part| part.split_once('}')).map(|(n, _)| n.to_string()).collect();
                names.sort();
                names
            };
            assert_eq!(holes(english), holes(german), "{english:?}");
        }
    }
}
