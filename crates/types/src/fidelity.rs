//! The fidelity table: every behaviour the spec marks as *assumed*, in one place.
//!
//! Each row is a constant that the code reads (an errcode, a number, a pattern) or, where the
//! choice is a behaviour rather than a value, a short statement of it that the code's comments
//! point to. Correcting an assumption is a one-line change here. The README's "Fidelity"
//! section lists every row by name (a test keeps the two in step).

use crate::endpoint::Api;
use crate::errcode::ErrCode;

/// One assumed behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Assumption {
    /// The constant's name.
    pub name: &'static str,
    /// Where in the spec the rule lives.
    pub spec: &'static str,
    /// The chosen value, as written in the source.
    pub choice: &'static str,
    /// What is assumed, and why.
    pub what: &'static str,
}

macro_rules! fidelity_table {
    ($( $(#[doc = $doc:literal])* $name:ident : $ty:ty = $value:expr, spec $spec:literal; )*) => {
        $( $(#[doc = $doc])* pub const $name: $ty = $value; )*

        /// Every assumption, in spec order.
        pub const FIDELITY_TABLE: &[Assumption] = &[
            $( Assumption {
                name: stringify!($name),
                spec: $spec,
                choice: stringify!($value),
                what: concat!($($doc, " "),*),
            }, )*
        ];
    };
}

fidelity_table! {
    /// Unknown fields in a request body are ignored, as the real service does.
    IGNORE_UNKNOWN_REQUEST_FIELDS: bool = true, spec "§1";
    /// On add and list an optional field that is `null`, `0`, `""`, `[]` or `{}` means "not
    /// given" (real SDKs send every field). A required field (`type`, `scene`) that is `0` is
    /// present and invalid, not missing.
    EMPTY_MEANS_NOT_GIVEN_ON_ADD: bool = true, spec "§1";
    /// A field that is only effective under a condition (party without type 2, style without
    /// scene 1, temp-only fields without is_temp) is neither validated nor stored.
    IGNORED_FIELDS_ARE_NOT_VALIDATED: bool = true, spec "§1";
    /// gettoken within a token's validity returns the same token with `expires_in` = the
    /// seconds it has left.
    TOKEN_EXPIRES_IN_IS_REMAINING: bool = true, spec "§2";
    /// The code for an expired token; the real service has also been seen sending 40014.
    /// Per corp in the mock (`expired_token_errcode`); this is the default.
    DEFAULT_EXPIRED_TOKEN_ERRCODE: ErrCode = ErrCode::ACCESS_TOKEN_EXPIRED, spec "§2";
    /// remark or state over 30 characters on Contact Me.
    CONTACT_WAY_TEXT_TOO_LONG: ErrCode = ErrCode::INVALID_PARAMETER, spec "C1";
    /// type 1 with zero or several users.
    SINGLE_NEEDS_ONE_USER: ErrCode = ErrCode::INVALID_PARAMETER, spec "C1";
    /// type 2 with neither user nor party.
    MULTI_NEEDS_USER_OR_PARTY: ErrCode = ErrCode::INVALID_PARAMETER, spec "C1";
    /// expires_in or chat_expires_in over 14 days, or negative.
    TEMP_EXPIRES_OUT_OF_RANGE: ErrCode = ErrCode::INVALID_PARAMETER, spec "C1";
    /// is_temp with type 2.
    TEMP_NEEDS_SINGLE: ErrCode = ErrCode::INVALID_PARAMETER, spec "C1 / §3.8";
    /// Conclusions whose given parts are all empty, a given part without its required
    /// sub-fields, or a part over its byte limit.
    INVALID_CONCLUSIONS: ErrCode = ErrCode::INVALID_PARAMETER, spec "§3.7";
    /// Which check answers first: the order of `errcodes.md` ("Order of checks").
    CHECK_ORDER: &str = "size, path, fault, token, permission, rate, json, required, values, corp, config, directory, temp state, quota", spec "errcodes.md";
    /// The errcode for an unknown (or deleted, or other app's) config_id.
    UNKNOWN_CONFIG_ID: ErrCode = ErrCode::INVALID_CONFIG_ID, spec "C2-C5, J2-J4";
    /// Temp daily quota of 100 000 reached.
    TEMP_QUOTA_EXCEEDED: ErrCode = ErrCode::CONTACT_WAY_QUOTA_EXCEEDED, spec "§3.8";
    /// Deleting a temp config does not give back a unit of that day's count.
    TEMP_DELETE_KEEPS_DAILY_COUNT: bool = true, spec "§3.8";
    /// list: start_time after end_time, a limit over 1000 or negative, or an unknown cursor.
    INVALID_LIST_PARAMETER: ErrCode = ErrCode::INVALID_PARAMETER, spec "C3";
    /// list: the cursor encodes a position only; the window and filters apply on every call.
    LIST_CURSOR_IS_POSITION_ONLY: bool = true, spec "C3";
    /// list: ids come in ascending (create_time, config_id) order, and next_cursor is `""` on
    /// the last page.
    LIST_ORDER: &str = "ascending (create_time, config_id); last page has next_cursor \"\"", spec "C3";
    /// list: the seed's userid and skip_verify filters are kept though the official parameter
    /// list has neither.
    LIST_SEED_FILTERS: bool = true, spec "C3";
    /// list: a config is listed as soon as its add has been answered (no replication delay):
    /// `wecom verify`'s Contact Me lifecycle lists its own config in the run's time window.
    LIST_SHOWS_NEW_CONFIG_AT_ONCE: bool = true, spec "C3";
    /// update: an absent field keeps its value; a present null / 0 / "" / [] / {} resets it.
    UPDATE_ABSENT_KEEPS: bool = true, spec "C4";
    /// update: a result that is no longer a valid config (type 1 without exactly one user,
    /// type 2 with neither user nor party).
    UPDATE_RESULT_INVALID: ErrCode = ErrCode::INVALID_PARAMETER, spec "C4";
    /// update of a temp config whose code was used or has expired.
    TEMP_CONFIG_NO_LONGER_EDITABLE: ErrCode = ErrCode::INVALID_PARAMETER, spec "C4";
    /// Setting expires_in on update restarts the QR code's validity from the update.
    UPDATE_EXPIRES_RESTARTS_VALIDITY: bool = true, spec "C4";
    /// close_temp_chat on a relationship that is not a temp chat.
    CLOSE_NON_TEMP_CHAT: ErrCode = ErrCode::NOT_EXTERNAL_CONTACT, spec "C6";
    /// The shape of an external_userid: this prefix, then 4 to 62 of `[A-Za-z0-9_-]`.
    EXTERNAL_USERID_PREFIXES: [&str; 2] = ["wm", "wo"], spec "C6";
    /// Shortest tail of an external_userid after its prefix.
    EXTERNAL_USERID_MIN_TAIL: usize = 4, spec "C6";
    /// Longest tail of an external_userid after its prefix.
    EXTERNAL_USERID_MAX_TAIL: usize = 62, spec "C6";
    /// The shape of a customer group chat id: this prefix, then 4 to 62 of `[A-Za-z0-9_-]`;
    /// anything else is 86001.
    CHAT_ID_PREFIX: &str = "wr", spec "J1 / §7";
    /// Join Group: scene missing or not 1 / 2, chat_id_list missing or empty,
    /// auto_create_room not 0 / 1, a negative room_base_id.
    INVALID_JOIN_WAY_PARAMETER: ErrCode = ErrCode::INVALID_PARAMETER, spec "J1";
    /// Join Group: state over 30 or room_base_name over 40 characters.
    JOIN_WAY_TEXT_TOO_LONG: ErrCode = ErrCode::INVALID_PARAMETER, spec "J1";
    /// A Join Group config created by another app of the corp.
    JOIN_WAY_OF_ANOTHER_APP: ErrCode = ErrCode::INVALID_CONFIG_ID, spec "J3";
    /// Join Group configs count against the shared quota and get this code when it is full.
    JOIN_WAY_QUOTA_EXCEEDED: ErrCode = ErrCode::CONTACT_WAY_QUOTA_EXCEEDED, spec "§5";
    /// Default member_limit of a customer group in fixtures.
    DEFAULT_GROUP_MEMBER_LIMIT: u32 = 200, spec "§5";
    /// follow_user add_way of a customer added by a QR code (scene 2).
    ADD_WAY_QR_CODE: i32 = 1, spec "§7";
    /// follow_user add_way of a customer added any other way (scene 1) in the mock.
    ADD_WAY_OTHER: i32 = 0, spec "§7";
    /// Rate limits when enabled: calls per corp and API per minute (45009).
    RATE_LIMIT_PER_MINUTE: u32 = 10_000, spec "mock-server.md";
    /// Rate limits when enabled: calls per corp and API per hour (45009).
    RATE_LIMIT_PER_HOUR: u32 = 150_000, spec "mock-server.md";
    /// Rate limits when enabled: calls of one API in flight at once per corp (45033).
    RATE_LIMIT_CONCURRENT: u32 = 32, spec "mock-server.md";
    /// The frequency limits count calls in fixed windows aligned to the minute and the hour of
    /// unix time on the corp's virtual clock (the real service's windows are not documented): a
    /// frozen clock stays in its window, and moving it past the boundary starts a new one.
    RATE_LIMIT_WINDOWS: &str = "fixed minute and hour of the virtual clock", spec "mock-server.md";
    /// A call answered 45009 or 45033 counts against neither limit, so a client that backs off
    /// gets through as soon as the window turns.
    RATE_LIMIT_REFUSED_CALLS_COUNT: bool = false, spec "mock-server.md";
    /// The limits are per corp and API, shared by the corp's apps; gettoken is not limited (the
    /// real gettoken has limits of its own, not modelled).
    RATE_LIMIT_SCOPE: &str = "per corp and API; gettoken not limited", spec "mock-server.md";
    /// A call is in flight (45033) from the rate-limit check until its answer is sent, a journal
    /// wait and an injected delay included; the concurrency limit is checked before the
    /// frequency limits.
    RATE_LIMIT_IN_FLIGHT: &str = "from the rate-limit check until the answer is sent", spec "mock-server.md";
    /// An injected errcode (`/__admin/faults`) is answered as the real service answers errors:
    /// HTTP 200, errmsg with phrase, hint, from ip and more-info link; the call has no effect.
    FAULT_ERRCODE_ENVELOPE: &str = "HTTP 200, the real errmsg shape, no effect", spec "mock-server.md";
    /// A `delay_ms` fault serves the call at once (it takes effect) and sends its answer late, as
    /// a slow real server does: a client that gives up first cannot tell whether it happened.
    FAULT_DELAY_SERVES_FIRST: bool = true, spec "mock-server.md";
    /// A `drop` fault closes the connection without an answer before the call is served:
    /// nothing changes.
    FAULT_DROP_BEFORE_SERVING: bool = true, spec "mock-server.md";
    /// Fault rules are tried in the order they were added and the first that matches and fires
    /// applies; a rule with a probability draws once per matching call from its own generator
    /// seeded by `seed`, so the same calls made one after the other meet the same faults.
    FAULT_DRAWS: &str = "n-th matching call, n-th draw of the rule's seeded generator", spec "mock-server.md";
    /// The mock's answer for an unknown path: HTTP 404 with errcode 404.
    UNKNOWN_PATH: ErrCode = ErrCode::API_NOT_FOUND, spec "errcodes.md";
    /// The mock's answer for a body over the size limit: HTTP 413 with errcode 40058.
    BODY_TOO_LARGE: ErrCode = ErrCode::INVALID_PARAMETER, spec "errcodes.md";
    /// The mock's answer for a request body that has not all arrived within `--body-timeout`
    /// of its head: HTTP 408 with errcode 40058, the errmsg naming the timeout, then the
    /// connection is closed; nothing changes. What the real service does with a trickling body
    /// is unknown (its front end most likely cuts the connection).
    BODY_TIMEOUT: ErrCode = ErrCode::INVALID_PARAMETER, spec "mock-server.md";
    /// Inside a body, an empty JSON array where an object is expected reads as an empty
    /// object (PHP SDKs encode an empty map as `[]`); any other array there is a wrong type
    /// (40058). The body itself must be an object.
    EMPTY_ARRAY_IS_EMPTY_OBJECT: bool = true, spec "§1";
    /// A Join Group remark over 30 characters is truncated to 30, not rejected (doc 99547).
    JOIN_WAY_REMARK_TRUNCATED: bool = true, spec "J1";
    /// For type 2, a member or department listed twice counts once and the first position is
    /// kept; type 1 must list exactly one entry, so `["a","a"]` is 40058.
    DUPLICATE_MEMBERS_COLLAPSED: bool = true, spec "C1";
    /// A department in `party` (and in an app's visible range) includes its sub-departments
    /// when members are expanded and counted.
    DEPARTMENTS_INCLUDE_SUBDEPARTMENTS: bool = true, spec "C1 / 41041";
    /// On update, the directory (60111, 41054, …) is checked only for the lists present in the
    /// update; members kept from before are not re-checked.
    UPDATE_CHECKS_ONLY_PRESENT_LISTS: bool = true, spec "C4";
    /// list: the seed's userid filter matches configs that list the member in `user` (not via a
    /// department); an unknown userid matches nothing.
    LIST_USERID_FILTER_MATCHES_LISTED_USERS: bool = true, spec "C3";
    /// Conclusions are stored and read back as given, minus empty parts; what is sent when the
    /// chat ends is the text plus the first of image > link > miniprogram.
    CONCLUSIONS_STORED_AS_GIVEN: bool = true, spec "§3.7";
    /// An auto-created group takes the first group's owner and member limit.
    AUTO_ROOM_INHERITS_MEMBER_LIMIT: bool = true, spec "J1 / mock-server.md";
    /// A config id is 32 lowercase hex characters; any other string is an unknown id (41044).
    CONFIG_ID_SHAPE: &str = "32 lowercase hex characters", spec "C1";
    /// A token past its expiry answers the corp's expired-token code; within one run, one that
    /// gettoken replaced after it expired keeps answering it when the clock moves back. 40014
    /// is for an unknown or revoked token, or while no corp with its corpid has its app with
    /// the secret it was issued for; a corp replaced or re-created with that app keeps its
    /// tokens. A restart forgets which tokens were replaced: moving the clock back before a
    /// token's expiry after a restart makes it valid again (a mock limit).
    TOKEN_ROTATION: &str = "expired or replaced after expiry: expired code; 40014: unknown, revoked, app gone", spec "§2";
    /// `tokens/revoke` ends every token of the corp issued before it, of every app, for good:
    /// the revocation is kept per corpid (journaled with a data dir), so a reset, a PUT, a
    /// DELETE + PUT and a restore keep it; a restart in memory forgets it (a mock limit).
    TOKEN_REVOCATION_SCOPE: &str = "every app's tokens issued before it; kept per corpid", spec "§2";
    /// An access token is 64 characters of `[A-Za-z0-9_-]`, whatever the corpid: the claims
    /// and a 96-bit HMAC-SHA256 in 48 bytes. The real service's tokens are longer and of no
    /// stated length (clients should store them whole, as opaque strings, and not check their
    /// length); the mock keeps its own short, since every call carries the token and the
    /// server reads, hashes and compares all of it.
    ACCESS_TOKEN_CHARS: usize = 64, spec "§2";
    /// With `--trust-forwarded-for`, an `X-Forwarded-For` whose last entry is not an IP address
    /// (or a request without the header) is judged by the TCP peer's address.
    FORWARDED_FOR_MALFORMED: &str = "the TCP peer's address", spec "§2";
    /// `externalcontact/groupchat/get` of a group that is not a customer group.
    GROUP_DETAIL_NOT_CUSTOMER_GROUP: ErrCode = ErrCode::NOT_CUSTOMER_GROUP, spec "§7";
    /// A config with no style given stores none and returns none (no default style exists in
    /// the docs).
    STYLE_HAS_NO_DEFAULT: bool = true, spec "C1 / C4";
    /// get_follow_user_list: the members with customer contact inside the calling app's
    /// visible range, activated or not, in fixture order; none is an empty list with errcode 0.
    FOLLOW_USER_LIST: &str = "customer_contact members in the visible range, fixture order", spec "§8";
    /// externalcontact/list without a userid (or with `""`); close_temp_chat answers 41009 for
    /// the same mistake, not observed here.
    CUSTOMER_LIST_USERID_MISSING: ErrCode = ErrCode::INVALID_PARAMETER, spec "§8";
    /// externalcontact/list of a member outside the calling app's visible range (the rule is
    /// documented, the code is not).
    CUSTOMER_LIST_OUTSIDE_VISIBLE_RANGE: ErrCode = ErrCode::NO_PRIVILEGE_TO_ACCESS, spec "§8";
    /// externalcontact/list of a member without customer contact (the doc's wording suggests
    /// 84061).
    CUSTOMER_LIST_NOT_CUSTOMER_CONTACT: ErrCode = ErrCode::NOT_CUSTOMER_CONTACT_USER, spec "§8";
    /// externalcontact/list lists a member's customers oldest add first, adds at the same
    /// instant in the order they happened, temp-chat customers while their chat is open.
    CUSTOMER_LIST_ORDER: &str = "oldest add first, then add order; open temp chats included", spec "§8";
    /// send_welcome_msg: text and attachments both empty, text over 4000 bytes, a tenth
    /// attachment, an unknown msgtype, the msgtype's object missing or lacking a required
    /// field, a field over its byte limit.
    INVALID_WELCOME_MESSAGE: ErrCode = ErrCode::INVALID_PARAMETER, spec "§8";
    /// send_welcome_msg when the calling app's visible range excludes the code's member (the
    /// rule is documented, the code is not).
    WELCOME_OUTSIDE_VISIBLE_RANGE: ErrCode = ErrCode::NO_PRIVILEGE_TO_ACCESS, spec "§8";
    /// send_welcome_msg with a code whose relationship has ended (temp chat closed or expired).
    WELCOME_RELATIONSHIP_ENDED: ErrCode = ErrCode::NOT_EXTERNAL_CONTACT, spec "§8";
    /// Every add that creates a relationship issues one welcome code, temp-chat adds included;
    /// its 20 s count from the add's instant (the event's CreateTime) on the corp's virtual
    /// clock, not from the callback's receipt; a clock moved back before the add leaves it valid.
    WELCOME_CODE_FROM_ADD: &str = "one per add, temp included; 20 s from the add's instant", spec "§8";
    /// Any app of the corp with customer contact whose visible range holds the member may
    /// redeem a code, whether or not it received the callback; the first successful send uses
    /// it for every app.
    WELCOME_CODE_ANY_APP: &str = "any app whose visible range holds the member; once per corp", spec "§8";
    /// Media ids in welcome attachments are not checked against uploads: any non-empty string.
    WELCOME_MEDIA_IDS_UNCHECKED: bool = true, spec "§8";
    /// A member with `welcome_message_configured` gets no welcome code: the callback omits
    /// WelcomeCode and `/__admin/scan` answers `""` (the key stays a string).
    WELCOME_CODE_WHEN_CONFIGURED: &str = "none: WelcomeCode omitted, scan answers \"\"", spec "§8 / mock-server.md";
    /// A welcome message is recorded in `/__admin/messages` as one `welcome` message per part:
    /// the text first, then each attachment in the order given.
    WELCOME_MESSAGES_RECORDED: &str = "one per part, text first", spec "§8 / mock-server.md";
    /// A callback is posted at most this many times: once, then three retries (WeCom "retries
    /// three times in all") while the answer is not 2xx or does not come.
    CALLBACK_MAX_ATTEMPTS: u32 = 4, spec "§7 / mock-server.md";
    /// An attempt with no answer within this many seconds has failed (WeCom drops the
    /// connection after five seconds).
    CALLBACK_TIMEOUT_SECS: u64 = 5, spec "§7 / mock-server.md";
    /// The wait before the first retry, doubled before each next one; the docs give no
    /// schedule.
    CALLBACK_BACKOFF_MS: u64 = 500, spec "§7 / mock-server.md";
    /// A delivery succeeded when the answer is any 2xx; its body is not read (an event needs
    /// no reply). The body is posted as `text/xml`; a retry resends the same cipher text,
    /// timestamp, nonce and signature.
    CALLBACK_SUCCESS: &str = "any 2xx; retries resend the same bytes", spec "§7 / mock-server.md";
    /// CreateTime and the query's `timestamp` are the corp's virtual clock at the scan or join,
    /// so tests see the instants they set.
    CALLBACK_TIMESTAMP_CLOCK: &str = "virtual", spec "§7";
    /// Only a scan that creates a relationship sends `add_external_contact`; scanning again as a
    /// customer who already follows the member sends nothing.
    CALLBACK_ONLY_NEW_RELATIONSHIPS: bool = true, spec "§7";
    /// A join that makes the mock create a group (auto_create_room) sends
    /// `change_external_chat` / `create` for the new group, then `update` / `add_member`.
    CALLBACK_AUTO_ROOM_EVENTS: &str = "create, then update/add_member", spec "§7 / J1";
    /// The join event's LastMemVer / CurMemVer are the group's `member_version` (as
    /// `groupchat/get` returns it) before and after the join.
    CALLBACK_MEMBER_VERSIONS: &str = "groupchat/get member_version before and after", spec "§7";
    /// The URL verification's `echostr` encrypts a random decimal number (as in the official
    /// example); the answer must be exactly that text, without quotes or a newline.
    CALLBACK_ECHOSTR: &str = "random decimal u64; exact answer", spec "§7";
    /// The callback goes to the app that created the config (when it has a callback URL),
    /// not to every app of the corp.
    CALLBACK_RECEIVER: &str = "the app that created the config", spec "§7";
    /// Callback URLs must be `http://`: the mock has no TLS client.
    CALLBACK_URL_SCHEME: &str = "http", spec "mock-server.md";
    /// The picture at a config's `qr_code` URL is a PNG QR code encoding that same URL (the
    /// real one encodes a WeCom link that opens the add page).
    QR_CODE_CONTENT: &str = "the qr_code URL itself, as a PNG", spec "C1 / J1";
    /// `/media/{media_id}` (a conclusions image's `pic_url`) serves one placeholder PNG, whatever
    /// the id.
    MEDIA_PLACEHOLDER: &str = "one placeholder PNG", spec "§3.7";
    /// An add refused because the mock server holds its `--max-total-configs` (all corps
    /// together) answers like a full quota, with an errmsg naming the limit: a client treats it
    /// as a quota to free, not as something to retry.
    SERVER_CONFIG_LIMIT: ErrCode = ErrCode::CONTACT_WAY_QUOTA_EXCEEDED, spec "mock-server.md";
    /// What `--max-total-configs` counts: every Contact Me config (temp ones included, they take
    /// memory too) and every Join Group config, of every corp.
    SERVER_CONFIG_LIMIT_COUNTS: &str = "Contact Me (temp included) + Join Group, all corps", spec "mock-server.md";
    /// A tenant's corpid is the mock's (`ww` + 16 hex digits); a `corpid` in the fixture given
    /// to `POST /__admin/tenants` is replaced.
    TENANT_CORPID: &str = "chosen by the mock; a fixture's corpid is replaced", spec "mock-server.md";
    /// Without `--admin-token` the control surface is open: no token, or a token that is not a
    /// tenant's, opens everything (as before tenants existed); a tenant's token still limits
    /// the caller to its corp.
    OPEN_ADMIN_WITHOUT_TOKEN: &str = "no token or an unknown one: everything; a tenant's: its corp", spec "mock-server.md";
    /// The real service answers every API call with HTTP 200 and the outcome in the envelope:
    /// an HTTP 5xx on a WeCom path comes from something in between (a gateway, a load
    /// balancer), so the drift proxy counts it as could not check, like a transport error.
    DRIFT_UPSTREAM_5XX_UNCHECKED: bool = true, spec "verify.md";
    /// Pure-input errcodes the real service, like the mock, also gives from stored state: on
    /// update the stored config's type decides the style's range (41042), its temp state and
    /// the merged members decide 40058, its departments count towards 41041; on list an
    /// unknown cursor or a window against the clock is 40058. The drift proxy does not judge
    /// them when the request passes the checks that need no state.
    DRIFT_STATEFUL_ERRCODES: &[(Api, ErrCode)] = &[(Api::UpdateContactWay, ErrCode::INVALID_PARAMETER), (Api::UpdateContactWay, ErrCode::INVALID_CONTACT_WAY_STYLE), (Api::UpdateContactWay, ErrCode::CONTACT_WAY_TOO_MANY_USERS), (Api::ListContactWay, ErrCode::INVALID_PARAMETER)], spec "verify.md";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_assumption_says_what_it_assumes() {
        for row in FIDELITY_TABLE {
            assert!(!row.what.trim().is_empty(), "{} has no description", row.name);
            assert!(!row.spec.is_empty());
        }
    }

    #[test]
    fn names_are_unique() {
        for (i, a) in FIDELITY_TABLE.iter().enumerate() {
            assert!(FIDELITY_TABLE[i + 1..].iter().all(|b| b.name != a.name), "{}", a.name);
        }
    }
}
