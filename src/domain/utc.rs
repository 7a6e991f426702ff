//! Unix seconds and the UTC dates people type and read (`2026-12-02`, `2026-12-02T06:30`,
//! `2026-12-02T06:30:00Z`): the console's and the CLI's time filters and columns. Days to
//! civil dates and back by H. Hinnant's algorithms (no calendar crate for two functions).
use super::DomainError;

/// `2026-11-27T14:02:11Z`.
pub fn format(t: i64) -> String {
    let (year, month, day, secs) = civil(t);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// `2026-11-27 14:02 UTC`: the minute, as the console's tables show times.
pub fn format_minutes(t: i64) -> String {
    let (year, month, day, secs) = civil(t);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        secs / 3600,
        secs % 3600 / 60
    )
}

/// Unix seconds as (year, month, day, seconds into the day), UTC.
fn civil(t: i64) -> (i64, i64, i64, i64) {
    let (days, secs) = (t.div_euclid(86400), t.rem_euclid(86400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day, secs)
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

const REFUSED: DomainError =
    DomainError("use a UTC date and time like 2026-12-02, 2026-12-02T06:30 or unix seconds");

/// A UTC date (midnight), date and time (`T` or a space, minutes or seconds, an optional
/// `Z`), or unix seconds.
pub fn parse(raw: &str) -> Result<i64, DomainError> {
    let raw = raw.trim();
    if !raw.is_empty() && raw.len() <= 12 && raw.bytes().all(|b| b.is_ascii_digit()) {
        return raw.parse().map_err(|_| REFUSED);
    }
    let raw = raw.strip_suffix('Z').unwrap_or(raw);
    let (date, time) = match raw.split_once(['T', ' ']) {
        Some((date, time)) => (date, Some(time)),
        None => (raw, None),
    };
    let number = |s: &str, len: usize| -> Result<i64, DomainError> {
        if s.len() == len && s.bytes().all(|b| b.is_ascii_digit()) {
            s.parse().map_err(|_| REFUSED)
        } else {
            Err(REFUSED)
        }
    };
    let mut parts = date.split('-');
    let (Some(y), Some(m), Some(d), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(REFUSED);
    };
    let (year, month, day) = (number(y, 4)?, number(m, 2)?, number(d, 2)?);
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&month) || day < 1 || day > month_days[(month - 1) as usize] {
        return Err(REFUSED);
    }
    let seconds = match time {
        None => 0,
        Some(time) => {
            let parts: Vec<&str> = time.split(':').collect();
            let (h, min, s) = match parts.as_slice() {
                [h, m] => (number(h, 2)?, number(m, 2)?, 0),
                [h, m, s] => (number(h, 2)?, number(m, 2)?, number(s, 2)?),
                _ => return Err(REFUSED),
            };
            if h > 23 || min > 59 || s > 59 {
                return Err(REFUSED);
            }
            h * 3600 + min * 60 + s
        }
    };
    Ok(days_from_civil(year, month, day) * 86400 + seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_dates() {
        assert_eq!(format(0), "1970-01-01T00:00:00Z");
        assert_eq!(format(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(format(1_795_788_458), "2026-11-27T14:07:38Z");
    }

    #[test]
    fn parses_what_it_formats_and_what_people_type() {
        for t in [0, 951_782_400, 1_795_788_458, 4_102_444_799] {
            assert_eq!(parse(&format(t)), Ok(t));
        }
        assert_eq!(
            parse("2026-11-27"),
            Ok(1_795_788_458 - 14 * 3600 - 7 * 60 - 38)
        );
        assert_eq!(parse("2026-11-27T14:07"), Ok(1_795_788_458 - 38));
        assert_eq!(parse("2026-11-27 14:07:38"), Ok(1_795_788_458));
        assert_eq!(parse(" 1795788458 "), Ok(1_795_788_458));
        for bad in [
            "",
            "2026-13-01",
            "2026-02-29",
            "2026-1-01",
            "2026-11-27T24:00",
            "27/11/2026",
            "2026-11-27T14",
            "2026-11-27-01",
            "-5",
            "1e9",
            "2026-11-27T14:07:38+02:00",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}
