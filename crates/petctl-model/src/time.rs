//! Timestamps: API server times are RFC 3339, read with jiff only, and
//! printed as ages the way kubectl does.

use std::time::SystemTime;

pub use jiff::Timestamp;

use crate::duration::human_duration;

/// An RFC 3339 timestamp (`2026-11-26T01:17:02Z`).
pub fn parse(text: &str) -> Option<Timestamp> {
    text.parse().ok()
}

/// An RFC 3339 timestamp as a SystemTime.
pub fn parse_system(text: &str) -> Option<SystemTime> {
    parse(text).map(SystemTime::from)
}

/// The age of a timestamp at `now` (apimachinery's `HumanDuration`):
/// `<unknown>` when it is missing or unreadable, `<invalid>` when it is
/// more than a second in the future.
pub fn age(timestamp: Option<&str>, now: Timestamp) -> String {
    match timestamp.and_then(parse) {
        Some(then) => human_duration(now.as_second() - then.as_second()),
        None => "<unknown>".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_parse() {
        let second = |t: &str| parse(t).map(|t| t.as_second());
        assert_eq!(second("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(second("2000-02-29T00:00:00Z"), Some(951_782_400));
        assert_eq!(second("2026-12-26T01:27:02Z"), Some(1_798_248_422));
        assert_eq!(second("yesterday"), None);
    }

    #[test]
    fn ages_of_timestamps() {
        let now = parse("2026-11-26T01:00:00Z").unwrap();
        assert_eq!(age(Some("2026-11-26T00:57:30Z"), now), "2m30s");
        assert_eq!(age(Some("2026-11-26T01:00:01Z"), now), "0s");
        assert_eq!(age(Some("2026-11-26T01:00:05Z"), now), "<invalid>");
        assert_eq!(age(None, now), "<unknown>");
        assert_eq!(age(Some("garbage"), now), "<unknown>");
    }
}
