//! Time and request ids, injected so tests are deterministic, and DOKU's time formats:
//! `2020-08-11T08:45:42Z` (UTC, second precision) and `yyyyMMddHHmmss` in WIB (UTC+7).

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

use crate::error::{Error, Result};

/// A source of the current time: one trait for the client, the notification checks and the
/// sandbox. Implement at least one of the two methods; each defaults to the other.
pub trait Clock: Send + Sync {
    /// Whole seconds since the Unix epoch (DOKU's timestamps).
    fn now_unix(&self) -> i64 {
        self.now_millis().div_euclid(1000)
    }

    /// Milliseconds since the Unix epoch (the sandbox's scaled expiry and retry times).
    fn now_millis(&self) -> i64 {
        self.now_unix().saturating_mul(1000)
    }
}

/// The system clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_unix(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0)
    }

    fn now_millis(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0)
    }
}

/// A clock stuck at one instant (tests, replaying a signed message).
#[derive(Clone, Copy, Debug)]
pub struct FixedClock(pub i64);

impl Clock for FixedClock {
    fn now_unix(&self) -> i64 {
        self.0
    }
}

/// A source of fresh Request-Ids.
pub trait RequestIds: Send + Sync {
    fn next_id(&self) -> String;
}

/// Random UUIDv4 Request-Ids (the default).
#[derive(Clone, Copy, Debug, Default)]
pub struct UuidV4;

impl RequestIds for UuidV4 {
    fn next_id(&self) -> String {
        uuid::Uuid::new_v4().to_string()
    }
}

impl fmt::Debug for dyn Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Clock")
    }
}

impl fmt::Debug for dyn RequestIds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RequestIds")
    }
}

/// `2020-08-11T08:45:42Z` for `unix` seconds.
pub fn format_timestamp(unix: i64) -> String {
    let t = OffsetDateTime::from_unix_timestamp(unix).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    t.format(format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
    ))
    .unwrap_or_default()
}

/// Parses a DOKU timestamp (`2020-08-11T08:45:42Z`: UTC, `Z`, no fraction, no offset)
/// into Unix seconds; any other shape is an `invalid_input` error naming `field`.
/// An HTTP `Date` header (IMF-fixdate, `Sun, 29 Nov 2026 02:22:41 GMT`) as Unix seconds;
/// `None` when it is not one.
pub fn parse_http_date(s: &str) -> Option<i64> {
    let fmt = format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    PrimitiveDateTime::parse(s.trim(), fmt)
        .ok()
        .map(|t| t.assume_utc().unix_timestamp())
}

pub fn parse_timestamp(s: &str, field: &str) -> Result<i64> {
    timestamp_unix(s.as_bytes()).ok_or_else(|| {
        Error::invalid_input(
            field,
            format!(
                "{field} must be UTC ISO-8601 with second precision and a Z suffix, like 2020-08-11T08:45:42Z (got {s:?})"
            ),
        )
    })
}

/// `2020-08-11T08:45:42Z` as Unix seconds. It runs on every signature, so the fixed layout
/// is read directly (a format-description parse cost doku_sign a seventh of its time); the
/// calendar (month lengths, leap years, 00-23 / 00-59 ranges) is the `time` crate's.
fn timestamp_unix(b: &[u8]) -> Option<i64> {
    if b.len() != 20
        || [
            (4, b'-'),
            (7, b'-'),
            (10, b'T'),
            (13, b':'),
            (16, b':'),
            (19, b'Z'),
        ]
        .iter()
        .any(|&(i, c)| b[i] != c)
    {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<u16> {
        b[from..to].iter().try_fold(0u16, |n, &d| {
            d.is_ascii_digit().then(|| n * 10 + u16::from(d - b'0'))
        })
    };
    let month = time::Month::try_from(u8::try_from(num(5, 7)?).ok()?).ok()?;
    let date =
        time::Date::from_calendar_date(i32::from(num(0, 4)?), month, num(8, 10)? as u8).ok()?;
    let time =
        time::Time::from_hms(num(11, 13)? as u8, num(14, 16)? as u8, num(17, 19)? as u8).ok()?;
    Some(
        PrimitiveDateTime::new(date, time)
            .assume_utc()
            .unix_timestamp(),
    )
}

/// `yyyyMMddHHmmss` in WIB (UTC+7), as DOKU's `created_date` / `expired_date`.
pub fn format_wib(unix: i64) -> String {
    let wib = UtcOffset::from_hms(7, 0, 0).expect("UTC+7 is a valid offset");
    let t = OffsetDateTime::from_unix_timestamp(unix)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
        .to_offset(wib);
    t.format(format_description!(
        "[year][month][day][hour][minute][second]"
    ))
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_read_directly_agree_with_the_format_description() {
        let fmt = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
        let by_time = |s: &str| {
            PrimitiveDateTime::parse(s, fmt)
                .ok()
                .map(|t| t.assume_utc().unix_timestamp())
        };
        for s in [
            "2020-08-11T08:45:42Z",
            "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z",
            "2024-02-29T12:00:00Z",
            "2023-02-29T12:00:00Z",
            "2020-13-01T00:00:00Z",
            "2020-00-10T00:00:00Z",
            "2020-04-31T00:00:00Z",
            "2020-08-11T24:00:00Z",
            "2020-08-11T23:60:00Z",
            "2020-08-11T23:59:60Z",
            "2020-08-11 08:45:42Z",
            "2020-08-11T08:45:42z",
            "2020-08-11T08:45:42",
            "2020-08-11T08:45:42.1Z",
            "20-08-11T08:45:42Z",
            "2020-8-11T08:45:42Z",
            "+020-08-11T08:45:42Z",
            "2020-08-11T08:45:4ZZ",
            "not-a-time",
            "",
        ] {
            assert_eq!(timestamp_unix(s.as_bytes()), by_time(s), "{s:?}");
        }
    }

    #[test]
    fn http_dates() {
        assert_eq!(
            parse_http_date("Tue, 11 Aug 2020 08:45:42 GMT"),
            Some(1597135542)
        );
        assert_eq!(parse_http_date("2020-08-11T08:45:42Z"), None);
        assert_eq!(parse_http_date("Tue, 11 Aug 2020 08:45:42 PST"), None);
    }

    #[test]
    fn formats_and_parses() {
        assert_eq!(format_timestamp(1597135542), "2020-08-11T08:45:42Z");
        assert_eq!(
            parse_timestamp("2020-08-11T08:45:42Z", "t").unwrap(),
            1597135542
        );
        // 2021-06-24T07:10:49Z is 14:10:49 WIB (the Indomaret seed response).
        let t = parse_timestamp("2021-06-24T07:10:49Z", "t").unwrap();
        assert_eq!(format_wib(t), "20210624141049");
        for bad in [
            "2020-08-11T08:45:42.123Z",
            "2020-08-11T08:45:42+07:00",
            "2020-08-11 08:45:42Z",
            "",
        ] {
            assert_eq!(
                parse_timestamp(bad, "timestamp").unwrap_err().field(),
                Some("timestamp")
            );
        }
    }

    #[test]
    fn request_ids_are_uuid_v4() {
        let id = UuidV4.next_id();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert_ne!(id, UuidV4.next_id());
    }
}
