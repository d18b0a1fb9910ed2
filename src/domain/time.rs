//! Dates as French users read them: the legal time of metropolitan France
//! (Europe/Paris), computed from the EU rule in force since 1996 (summer time
//! from the last Sunday of March to the last Sunday of October, changing at
//! 01:00 UTC). Pure, so that the server and the browser write the same text.

const DAY_MS: i64 = 86_400_000;
const HOUR_MS: i64 = 3_600_000;

/// The civil date (year, month, day) of a day number since 1970-01-01
/// (Howard Hinnant's algorithm).
fn civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// The day number of a civil date (inverse of `civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The day number of the last Sunday of month `m` (March or October) of `y`.
fn last_sunday(y: i64, m: i64) -> i64 {
    let last = days_from_civil(y, m, 31);
    // 1970-01-01 was a Thursday: weekday 0 = Sunday.
    let weekday = (last + 4).rem_euclid(7);
    last - weekday
}

/// The offset of Paris time from UTC at `ms` (milliseconds since the epoch).
pub fn paris_offset_ms(ms: i64) -> i64 {
    let (y, _, _) = civil(ms.div_euclid(DAY_MS));
    let start = last_sunday(y, 3) * DAY_MS + HOUR_MS;
    let end = last_sunday(y, 10) * DAY_MS + HOUR_MS;
    if (start..end).contains(&ms) {
        2 * HOUR_MS
    } else {
        HOUR_MS
    }
}

/// "29/11/2026 à 23 h 57", in Paris time.
pub fn format_paris(ms: i64) -> String {
    let local = ms + paris_offset_ms(ms);
    let (y, m, d) = civil(local.div_euclid(DAY_MS));
    let minutes = local.rem_euclid(DAY_MS) / 60_000;
    format!("{d:02}/{m:02}/{y} à {} h {:02}", minutes / 60, minutes % 60)
}

/// "29 novembre 2026 à 23 h 57", in Paris time: a moment in a sentence.
pub fn format_paris_long(ms: i64) -> String {
    let local = ms + paris_offset_ms(ms);
    let (y, m, d) = civil(local.div_euclid(DAY_MS));
    format!("{} à {}", french_date(y, m, d), format_paris_time(ms))
}

/// "29 novembre 2026", in Paris time: a day in a sentence.
pub fn format_paris_date(ms: i64) -> String {
    let local = ms + paris_offset_ms(ms);
    let (y, m, d) = civil(local.div_euclid(DAY_MS));
    french_date(y, m, d)
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

/// "1er mars 2027": a calendar date as French prose writes it (the first of
/// the month is "1er").
pub fn french_date(y: i64, m: i64, d: i64) -> String {
    let month = usize::try_from(m - 1)
        .ok()
        .and_then(|i| MONTHS.get(i))
        .copied()
        .unwrap_or("?");
    if d == 1 {
        format!("1er {month} {y}")
    } else {
        format!("{d} {month} {y}")
    }
}

/// A date typed as `AAAA-MM-JJ` (the value of a date field), written in
/// French; any other text as it is.
pub fn french_date_of_iso(value: &str) -> String {
    match parse_date(value) {
        Some((y, m, d)) => french_date(y.into(), m.into(), d.into()),
        None => value.to_owned(),
    }
}

/// `YYYY-MM-DD` with a real calendar date (years 2000 to 2100).
pub fn parse_date(value: &str) -> Option<(u16, u8, u8)> {
    let mut parts = value.split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let (y, m, d): (u16, u8, u8) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    if !(2000..=2100).contains(&y) || !(1..=12).contains(&m) || d == 0 {
        return None;
    }
    let leap = (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400);
    let days = match m {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    (d <= days).then_some((y, m, d))
}

/// "23 h 57", in Paris time.
pub fn format_paris_time(ms: i64) -> String {
    let minutes = (ms + paris_offset_ms(ms)).rem_euclid(DAY_MS) / 60_000;
    format!("{} h {:02}", minutes / 60, minutes % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i64, m: i64, d: i64, h: i64, min: i64) -> i64 {
        days_from_civil(y, m, d) * DAY_MS + h * HOUR_MS + min * 60_000
    }

    #[test]
    fn civil_dates_round_trip() {
        for days in [-1, 0, 59, 60, 365, 10_957, 20_786, 40_000] {
            let (y, m, d) = civil(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(civil(0), (1970, 1, 1));
    }

    #[test]
    fn winter_and_summer_time() {
        // 2026: summer time from 29 March 01:00 UTC to 25 October 01:00 UTC.
        assert_eq!(
            format_paris(at(2026, 11, 29, 22, 57)),
            "29/11/2026 à 23 h 57"
        );
        assert_eq!(format_paris(at(2026, 7, 14, 10, 0)), "14/07/2026 à 12 h 00");
        assert_eq!(paris_offset_ms(at(2026, 3, 29, 0, 59)), HOUR_MS);
        assert_eq!(paris_offset_ms(at(2026, 3, 29, 1, 0)), 2 * HOUR_MS);
        assert_eq!(paris_offset_ms(at(2026, 10, 25, 0, 59)), 2 * HOUR_MS);
        assert_eq!(paris_offset_ms(at(2026, 10, 25, 1, 0)), HOUR_MS);
        // The day changes with the offset.
        assert_eq!(
            format_paris(at(2026, 12, 31, 23, 30)),
            "01/01/2027 à 0 h 30"
        );
        assert_eq!(format_paris_time(at(2027, 6, 1, 6, 5)), "8 h 05");
        assert_eq!(
            format_paris_long(at(2026, 12, 31, 23, 30)),
            "1er janvier 2027 à 0 h 30"
        );
        assert_eq!(
            format_paris_date(at(2026, 11, 29, 22, 57)),
            "29 novembre 2026"
        );
        // 2027: 28 March and 31 October.
        assert_eq!(paris_offset_ms(at(2027, 3, 28, 1, 0)), 2 * HOUR_MS);
        assert_eq!(paris_offset_ms(at(2027, 10, 31, 0, 59)), 2 * HOUR_MS);
    }

    #[test]
    fn dates_in_french_prose() {
        assert_eq!(french_date_of_iso("2027-03-01"), "1er mars 2027");
        assert_eq!(french_date_of_iso("2026-08-15"), "15 août 2026");
        assert_eq!(french_date_of_iso("2028-02-29"), "29 février 2028");
        // Not a date: shown as typed, never lost.
        assert_eq!(french_date_of_iso("2027-02-30"), "2027-02-30");
        assert_eq!(french_date_of_iso("bientôt"), "bientôt");
        assert_eq!(french_date(2026, 12, 2), "2 décembre 2026");
    }
}
