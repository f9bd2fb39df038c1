//! Ages the way kubectl prints them: the time since a timestamp, as a
//! human duration (`45s`, `3m20s`, `2h5m`, `3d4h`).

use crate::duration::human_duration;

/// The age of an RFC 3339 timestamp at `now`; `<unknown>` when it is
/// missing or unreadable, as kubectl prints it.
pub fn age(timestamp: Option<&str>, now: jiff::Timestamp) -> String {
    match timestamp.and_then(|t| t.parse::<jiff::Timestamp>().ok()) {
        Some(then) => human_duration(now.as_second() - then.as_second()),
        None => "<unknown>".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_of_timestamps() {
        let now: jiff::Timestamp = "2026-11-26T01:00:00Z".parse().unwrap();
        assert_eq!(age(Some("2026-11-26T00:57:30Z"), now), "2m30s");
        assert_eq!(age(None, now), "<unknown>");
        assert_eq!(age(Some("garbage"), now), "<unknown>");
    }
}
