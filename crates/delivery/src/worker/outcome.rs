//! What one delivery attempt came to, from the inbox's answer.

use crate::http::{FetchError, Posted};
use std::time::Duration;

/// What the worker made of one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Done(u16),
    Gone,
    Final { status: Option<u16>, reason: String },
    Retry { status: Option<u16>, after: Option<Duration>, error: String, host_failure: bool },
}

/// Classifies an inbox's answer (or the failure to get one).
pub fn classify(result: &Result<Posted, FetchError>) -> Outcome {
    match result {
        Ok(Posted { status, retry_after }) => {
            let status = *status;
            match status {
                200..=299 => Outcome::Done(status),
                410 => Outcome::Gone,
                429 => Outcome::Retry {
                    status: Some(status),
                    after: *retry_after,
                    error: "429 Too Many Requests".into(),
                    host_failure: false,
                },
                503 => Outcome::Retry {
                    status: Some(status),
                    after: *retry_after,
                    error: "503 Service Unavailable".into(),
                    host_failure: true,
                },
                408 | 500..=599 => Outcome::Retry {
                    status: Some(status),
                    after: None,
                    error: format!("the inbox answered {status}"),
                    host_failure: true,
                },
                300..=399 => Outcome::Final {
                    status: Some(status),
                    reason: format!("the inbox answered {status}; redirects are not followed for deliveries"),
                },
                400..=499 => Outcome::Final { status: Some(status), reason: format!("the inbox answered {status}") },
                _ => Outcome::Retry {
                    status: Some(status),
                    after: None,
                    error: format!("unexpected status {status}"),
                    host_failure: true,
                },
            }
        }
        Err(FetchError::Refused(refusal)) => Outcome::Final { status: None, reason: format!("refused: {refusal}") },
        Err(FetchError::Sign(error)) => Outcome::Final { status: None, reason: format!("cannot sign: {error}") },
        Err(error) => Outcome::Retry { status: None, after: None, error: error.to_string(), host_failure: true },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn posted(status: u16, retry_after: Option<u64>) -> Result<Posted, FetchError> {
        Ok(Posted { status, retry_after: retry_after.map(Duration::from_secs) })
    }

    #[test]
    fn answers_are_classified() {
        assert_eq!(classify(&posted(202, None)), Outcome::Done(202));
        assert_eq!(classify(&posted(410, None)), Outcome::Gone);
        assert!(matches!(classify(&posted(404, None)), Outcome::Final { status: Some(404), .. }));
        assert!(matches!(classify(&posted(401, None)), Outcome::Final { .. }));
        assert!(matches!(classify(&posted(302, None)), Outcome::Final { .. }));
        assert!(matches!(
            classify(&posted(429, Some(7))),
            Outcome::Retry { after: Some(d), host_failure: false, .. } if d == Duration::from_secs(7)
        ));
        assert!(matches!(classify(&posted(503, Some(9))), Outcome::Retry { after: Some(_), host_failure: true, .. }));
        assert!(matches!(classify(&posted(500, Some(9))), Outcome::Retry { after: None, host_failure: true, .. }));
        assert!(matches!(classify(&Err(FetchError::Timeout)), Outcome::Retry { host_failure: true, .. }));
        assert!(matches!(classify(&Err(FetchError::Connect("refused".into()))), Outcome::Retry { .. }));
        assert!(matches!(
            classify(&Err(FetchError::Refused(crate::http::Refusal::Scheme("ftp".into())))),
            Outcome::Final { .. }
        ));
    }
}
