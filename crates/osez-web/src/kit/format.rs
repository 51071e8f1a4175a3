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
