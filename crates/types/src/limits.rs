//! The documented limits and defaults, each written once.
//!
//! Lengths are counted in Unicode scalar values (`str::chars`), byte limits in UTF-8 bytes;
//! see [`char_len`].

use std::ops::RangeInclusive;

/// Seconds in a day.
pub const DAY_SECS: i64 = 86_400;

/// At most this many characters in a Contact Me `remark` or `state`, and in a Join Group
/// `remark` (truncated there) or `state`.
pub const MAX_REMARK_CHARS: usize = 30;
/// At most this many characters in a `state`.
pub const MAX_STATE_CHARS: usize = 30;
/// At most this many characters in a Join Group `room_base_name`.
pub const MAX_ROOM_BASE_NAME_CHARS: usize = 40;

/// Contact Me `style` values of a type-1 config (scene 1 only; 0 means "not given").
pub const SINGLE_STYLES: RangeInclusive<i32> = 1..=3;
/// Contact Me `style` values of a type-2 config.
pub const MULTI_STYLES: RangeInclusive<i32> = 1..=2;

/// Join Group `auto_create_room`: 0 (off) or 1 (on, the default).
pub const AUTO_CREATE_ROOM_VALUES: RangeInclusive<i32> = 0..=1;

/// Members per Contact Me config, counting the members of its departments.
pub const MAX_MEMBERS_PER_CONTACT_WAY: usize = 100;
/// Customer groups per Join Group config.
pub const MAX_CHATS_PER_JOIN_WAY: usize = 5;

/// The longest `expires_in` / `chat_expires_in`: 14 days.
pub const MAX_TEMP_EXPIRES_SECS: i64 = 14 * DAY_SECS;
/// `expires_in` of a temp QR code when none is given: 7 days.
pub const DEFAULT_TEMP_QR_EXPIRES_SECS: i64 = 7 * DAY_SECS;
/// `chat_expires_in` of a temp chat when none is given: 24 hours.
pub const DEFAULT_TEMP_CHAT_EXPIRES_SECS: i64 = DAY_SECS;

/// `list_contact_way` page size when none is given.
pub const DEFAULT_LIST_LIMIT: u32 = 100;
/// The largest `list_contact_way` page.
pub const MAX_LIST_LIMIT: u32 = 1000;
/// The `list_contact_way` window when no `start_time` is given: 90 days before `end_time`.
pub const DEFAULT_LIST_WINDOW_SECS: i64 = 90 * DAY_SECS;
/// Only Contact Me configs created at or after 2021-07-10 00:00 Beijing time are listed.
pub const LIST_CUTOFF_UNIX: i64 = 1_625_846_400;

/// Non-temp Contact Me plus Join Group configs per corp, created by API.
pub const CONTACT_WAY_QUOTA: u32 = 500_000;
/// Temp Contact Me configs created per Beijing calendar day.
pub const TEMP_DAILY_QUOTA: u32 = 100_000;

/// Lifetime of an access token.
pub const ACCESS_TOKEN_LIFETIME_SECS: i64 = 7200;

/// Byte limit of a conclusions text `content`.
pub const MAX_CONCLUSION_TEXT_BYTES: usize = 4000;
/// Byte limit of a conclusions link `title`.
pub const MAX_CONCLUSION_LINK_TITLE_BYTES: usize = 128;
/// Byte limit of a conclusions link `desc`.
pub const MAX_CONCLUSION_LINK_DESC_BYTES: usize = 512;
/// Byte limit of a conclusions mini-program `title`.
pub const MAX_CONCLUSION_MINIPROGRAM_TITLE_BYTES: usize = 64;

/// A welcome code is usable this many seconds after its add event (`event + 20` still works,
/// `event + 21` is 41050).
pub const WELCOME_CODE_LIFETIME_SECS: i64 = 20;
/// Byte limit of a welcome message's `text.content`.
pub const MAX_WELCOME_TEXT_BYTES: usize = 4000;
/// Attachments per welcome message.
pub const MAX_WELCOME_ATTACHMENTS: usize = 9;
/// Byte limit of a welcome link attachment's `title`.
pub const MAX_WELCOME_LINK_TITLE_BYTES: usize = 128;
/// Byte limit of a welcome link attachment's `desc`.
pub const MAX_WELCOME_LINK_DESC_BYTES: usize = 512;
/// Byte limit of a welcome mini-program attachment's `title`.
pub const MAX_WELCOME_MINIPROGRAM_TITLE_BYTES: usize = 64;

/// Beijing time is UTC+8 all year.
pub const BEIJING_OFFSET_SECS: i64 = 8 * 3600;

/// Characters as the limits count them: Unicode scalar values, not bytes.
pub fn char_len(s: &str) -> usize {
    s.chars().count()
}

/// The Beijing calendar day (days since 1970-01-01 in UTC+8) that `unix` falls on.
///
/// Defined for every `i64` (a virtual clock can be set anywhere): the offset is added to the
/// time of day, never to `unix` itself, so nothing overflows.
pub const fn beijing_day(unix: i64) -> i64 {
    unix.div_euclid(DAY_SECS) + (unix.rem_euclid(DAY_SECS) + BEIJING_OFFSET_SECS).div_euclid(DAY_SECS)
}

/// The unix time at which the Beijing day after the one containing `unix` starts (`i64::MAX`
/// when that is past the end of `i64`).
pub const fn next_beijing_midnight(unix: i64) -> i64 {
    match (beijing_day(unix) + 1).checked_mul(DAY_SECS) {
        Some(midnight_utc) => midnight_utc - BEIJING_OFFSET_SECS,
        None => i64::MAX,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_cutoff_is_beijing_midnight_of_2021_07_10() {
        // 2021-07-09T16:00:00Z is 2021-07-10T00:00:00+08:00.
        assert_eq!(next_beijing_midnight(LIST_CUTOFF_UNIX - 1), LIST_CUTOFF_UNIX);
        assert_eq!(beijing_day(LIST_CUTOFF_UNIX) - beijing_day(LIST_CUTOFF_UNIX - 1), 1);
    }

    #[test]
    fn beijing_days_are_defined_for_every_instant() {
        for unix in [i64::MIN, i64::MIN + 1, -1, 0, 1, LIST_CUTOFF_UNIX, i64::MAX - 1, i64::MAX] {
            let day = beijing_day(unix);
            let next = next_beijing_midnight(unix);
            assert!(next > unix || next == i64::MAX, "{unix}: {next}");
            assert!(day >= beijing_day(unix.saturating_sub(1)), "{unix}");
        }
        // 16:00 UTC is Beijing midnight.
        assert_eq!(beijing_day(16 * 3600 - 1), 0);
        assert_eq!(beijing_day(16 * 3600), 1);
        assert_eq!(beijing_day(-8 * 3600), 0);
        assert_eq!(beijing_day(-8 * 3600 - 1), -1);
    }

    #[test]
    fn fourteen_days_in_seconds() {
        assert_eq!(MAX_TEMP_EXPIRES_SECS, 1_209_600);
    }

    #[test]
    fn characters_are_scalar_values() {
        assert_eq!(char_len("销售群"), 3);
        assert_eq!("销售群".len(), 9);
        assert_eq!(char_len("👍🏽"), 2);
    }
}
