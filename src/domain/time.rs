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
        // 2027: 28 March and 31 October.
        assert_eq!(paris_offset_ms(at(2027, 3, 28, 1, 0)), 2 * HOUR_MS);
        assert_eq!(paris_offset_ms(at(2027, 10, 31, 0, 59)), 2 * HOUR_MS);
    }
}
