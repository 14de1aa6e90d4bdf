//! HTTP dates (RFC 9110 §5.6.7). IMF-fixdate, what every sender uses, is
//! parsed here without checking that the weekday matches the date: Ruby's
//! `Time.httpdate` (Mastodon) ignores it, and Mastodon's own test vectors
//! sign a wrong one. The obsolete RFC 850 and asctime forms go to httpdate.

use super::unix_seconds;

const DAY_NAMES: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MONTH_NAMES: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// Unix seconds of an HTTP date, or `None` if it is not one.
pub fn parse(value: &str) -> Option<i64> {
    parse_imf_fixdate(value.trim()).or_else(|| httpdate::parse_http_date(value.trim()).ok().map(unix_seconds))
}

/// `Sun, 06 Nov 1994 08:49:37 GMT`
fn parse_imf_fixdate(value: &str) -> Option<i64> {
    let (day_name, rest) = value.split_once(", ")?;
    if !DAY_NAMES.contains(&day_name) {
        return None;
    }
    let fields: Vec<&str> = rest.split(' ').collect();
    let [day, month, year, time, "GMT"] = fields.as_slice() else { return None };
    let [hour, minute, second] = time.split(':').collect::<Vec<_>>().try_into().ok()?;
    let day = two_digits(day)?;
    let month = MONTH_NAMES.iter().position(|name| name == month)? as i64 + 1;
    if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let year: i64 = year.parse().ok()?;
    let (hour, minute, second) = (two_digits(hour)?, two_digits(minute)?, two_digits(second)?);
    if day < 1 || day > days_in_month(year, month) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + hour * 3_600 + minute * 60 + second)
}

fn two_digits(text: &str) -> Option<i64> {
    if text.len() == 2 && text.bytes().all(|b| b.is_ascii_digit()) { text.parse().ok() } else { None }
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 in the proleptic Gregorian calendar, counting
/// years from March so that the leap day falls at the end of a year.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_imf_fixdate() {
        assert_eq!(parse("Sun, 06 Nov 1994 08:49:37 GMT"), Some(784_111_777));
        assert_eq!(parse("Wed, 20 Dec 2023 10:00:00 GMT"), Some(1_703_066_400));
        assert_eq!(parse("Thu, 29 Feb 2024 23:59:59 GMT"), Some(1_709_251_199));
        assert_eq!(parse("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
    }

    #[test]
    fn ignores_a_weekday_that_does_not_match() {
        // 18 Dec 2023 was a Monday; Mastodon's spec signs "Wed".
        assert_eq!(parse("Wed, 18 Dec 2023 10:00:00 GMT"), Some(1_702_893_600));
    }

    #[test]
    fn accepts_the_obsolete_forms() {
        assert_eq!(parse("Sunday, 06-Nov-94 08:49:37 GMT"), Some(784_111_777));
        assert_eq!(parse("Sun Nov  6 08:49:37 1994"), Some(784_111_777));
    }

    #[test]
    fn refuses_what_is_not_a_date() {
        for bad in [
            "wrong date",
            "Wed, 30 Feb 2023 10:00:00 GMT",
            "Wed, 20 Dec 2023 24:00:00 GMT",
            "Wed, 20 Dec 2023 10:00:00 UTC",
            "Xyz, 20 Dec 2023 10:00:00 GMT",
            "Wed, 2 Dec 2023 10:00:00 GMT",
            "",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
