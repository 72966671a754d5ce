//! The `sent` timestamps of responses (RFC 3339, UTC, milliseconds), and the
//! `YYYY-MM-DDTHH:mm:ssZ` times of stream requests.

use std::time::{SystemTime, UNIX_EPOCH};

/// The current time as PowerTrack writes `sent`, e.g. `2017-03-16T02:33:01.827Z`.
pub fn now_rfc3339() -> String {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    rfc3339_millis(ms)
}

/// Milliseconds since the Unix epoch as RFC 3339 UTC with milliseconds.
///
/// ```
/// assert_eq!(powertrack::api::rfc3339_millis(1_489_631_581_827), "2017-03-16T02:33:01.827Z");
/// ```
pub fn rfc3339_millis(ms: u64) -> String {
    let secs = ms / 1000;
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60,
        ms % 1000
    )
}

/// A time as PowerTrack's stream requests give it (`startTime`, `endTime`),
/// `YYYY-MM-DDTHH:mm:ssZ`, as milliseconds since the Unix epoch; `None` when it is not exactly
/// that or not a real date (1970 to 9999).
///
/// ```
/// use powertrack::api::{parse_seconds_utc, rfc3339_millis};
///
/// let ms = parse_seconds_utc("2017-03-16T02:33:01Z").unwrap();
/// assert_eq!(rfc3339_millis(ms), "2017-03-16T02:33:01.000Z");
/// assert_eq!(parse_seconds_utc("2017-02-29T00:00:00Z"), None);
/// assert_eq!(parse_seconds_utc("2017-03-16 02:33:01Z"), None);
/// ```
pub fn parse_seconds_utc(text: &str) -> Option<u64> {
    let bytes = text.as_bytes();
    if bytes.len() != 20
        || bytes[4] != b'-'
        || bytes[7] != b'-'
        || bytes[10] != b'T'
        || bytes[13] != b':'
        || bytes[16] != b':'
        || bytes[19] != b'Z'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u64> {
        let digits = &text[r];
        digits
            .bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| digits.parse().ok())?
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1970..=9999).contains(&year)
        || !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let days = days_from_civil(year, month, day)?;
    Some(((days * 24 + hour) * 60 + minute) * 60_000 + second * 1_000)
}

fn days_in_month(year: u64, month: u64) -> u64 {
    let leap = (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Howard Hinnant's days-from-civil algorithm (the inverse of [`civil_from_days`]): days since
/// 1970-01-01 of a date in or after 1970.
fn days_from_civil(year: u64, month: u64, day: u64) -> Option<u64> {
    let (y, m) = if month <= 2 {
        (year - 1, month + 9)
    } else {
        (year, month - 3)
    };
    let era = y / 400;
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe).checked_sub(719_468)
}

/// Howard Hinnant's days-to-civil algorithm, for days since 1970-01-01.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_times_parse_strictly() {
        assert_eq!(parse_seconds_utc("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_seconds_utc("2017-01-01T23:15:00Z"),
            Some(1_483_312_500_000)
        );
        assert_eq!(
            parse_seconds_utc("2024-02-29T12:00:01Z"),
            Some(1_709_208_001_000)
        );
        for bad in [
            "2023-02-29T00:00:00Z",
            "2017-01-01 23:15:00Z",
            "2017-01-01T23:15:00",
            "2017-13-01T00:00:00Z",
            "2017-01-01T24:00:00Z",
            "201701012315",
            "+017-01-01T00:00:00Z",
            "",
        ] {
            assert_eq!(parse_seconds_utc(bad), None, "{bad}");
        }
    }
}
