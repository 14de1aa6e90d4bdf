//! What a client may say about an attachment besides the file: its
//! description and its focal point. Errors read as Mastodon's 422 messages.

use crate::DESCRIPTION_LIMIT;
use kereru_core::media::Focus;

/// A refused value; the message is for the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidParam(pub String);

/// `Some(None)` clears (an empty description), `None` leaves it as it is.
pub fn description(value: Option<&str>) -> Result<Option<Option<String>>, InvalidParam> {
    let Some(text) = value else { return Ok(None) };
    if text.trim().is_empty() {
        return Ok(Some(None));
    }
    if text.chars().count() > DESCRIPTION_LIMIT {
        return Err(InvalidParam(format!(
            "Validation failed: Description is too long (maximum is {DESCRIPTION_LIMIT} characters)"
        )));
    }
    if text.contains('\0') {
        return Err(InvalidParam("Validation failed: Description contains a NUL character".into()));
    }
    Ok(Some(Some(text.to_string())))
}

/// `"x,y"`, each in [-1, 1]. A blank value changes nothing, as in Mastodon.
pub fn focus(value: Option<&str>) -> Result<Option<Focus>, InvalidParam> {
    let Some(text) = value.map(str::trim).filter(|t| !t.is_empty()) else { return Ok(None) };
    let invalid = || InvalidParam("focus must be two numbers from -1.0 to 1.0, as \"x,y\"".into());
    let (x, y) = text.split_once(',').ok_or_else(invalid)?;
    let x: f64 = x.trim().parse().map_err(|_| invalid())?;
    let y: f64 = y.trim().parse().map_err(|_| invalid())?;
    Focus::new(x, y).map(Some).ok_or_else(invalid)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn focus_is_two_numbers_within_bounds() {
        assert_eq!(focus(Some("-0.5,0.3")).unwrap(), Focus::new(-0.5, 0.3));
        assert_eq!(focus(Some(" 1 , -1 ")).unwrap(), Focus::new(1.0, -1.0));
        assert_eq!(focus(Some("")).unwrap(), None);
        assert_eq!(focus(None).unwrap(), None);
        for bad in ["1.5,0", "0", "a,b", "NaN,0", "inf,0", "0,0,0", "0;0"] {
            assert!(focus(Some(bad)).is_err(), "{bad}");
        }
    }
}
