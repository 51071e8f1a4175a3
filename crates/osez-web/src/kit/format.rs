//! Numbers and times written the French way, in Paris time.

use std::sync::OnceLock;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ZonedDateTime};

use crate::kit::tokens::now_ms;

/// A count written the French way: groups of three digits separated by a
/// no-break space ("4\u{a0}300").
pub fn format_count(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 * 2);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{a0}');
        }
        out.push(c);
    }
    out
}

fn paris() -> &'static TimeZone {
    static TZ: OnceLock<TimeZone> = OnceLock::new();
    TZ.get_or_init(|| TimeZone::get("Europe/Paris").unwrap_or(TimeZone::UTC))
}

pub(crate) fn zoned(ms: i64) -> ZonedDateTime {
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH).to_zoned_datetime(paris().clone())
}

/// "27/11/2026 à 15:30", Paris time.
pub(crate) fn format_time(ms: i64) -> String {
    zoned(ms).strftime("%d/%m/%Y à %H:%M").to_string()
}

/// Today in Paris.
pub(crate) fn today() -> Date {
    zoned(now_ms()).date()
}

/// Start of a day in Paris, as Unix milliseconds.
pub(crate) fn day_start_ms(day: Date) -> Option<i64> {
    day.to_zoned_datetime(paris().clone()).ok().map(|z| z.timestamp().as_millisecond())
}

const MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];
const WEEKDAYS: [&str; 7] = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"];

/// "12 mars 2026" ("1er mars 2026"), Paris time.
pub(crate) fn format_date_long(ms: i64) -> String {
    let z = zoned(ms);
    let day = if z.day() == 1 { "1er".to_string() } else { z.day().to_string() };
    format!("{day} {} {}", MONTHS[usize::from(z.month().unsigned_abs()) - 1], z.year())
}

/// "jeudi 17 septembre 2026 à 10 h 00", Paris time.
pub(crate) fn format_datetime_long(ms: i64) -> String {
    let z = zoned(ms);
    let weekday = WEEKDAYS[usize::from(z.weekday().to_monday_zero_offset().unsigned_abs())];
    format!("{weekday} {} à {} h {:02}", format_date_long(ms), z.hour(), z.minute())
}

/// A date and time as RFC 3339 in UTC, for the API.
pub(crate) fn rfc3339(ms: i64) -> String {
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH).to_string()
}

#[cfg(test)]
mod long_tests {
    use super::*;

    #[test]
    fn french_dates() {
        // 2026-09-17T08:00:00Z is 10:00 in Paris (summer time).
        let ms = 1_789_632_000_000;
        assert_eq!(format_date_long(ms), "17 septembre 2026");
        assert_eq!(format_datetime_long(ms), "jeudi 17 septembre 2026 à 10 h 00");
        assert_eq!(rfc3339(ms), "2026-09-17T08:00:00Z");
        assert_eq!(format_date_long(1_772_366_400_000), "1er mars 2026");
    }
}
