//! Every sandbox behaviour that is **our decision** rather than DOKU's documented behaviour,
//! in one place. Real DOKU may behave differently on any of these points; the README copies
//! this list.
//!
//! 1. **Error bodies** are `{"error": {"code": "<snake_case>", "message": "<what and which
//!    field>", "type": "invalid_request_error" | "authentication_error" | "api_error"}}`, plus
//!    `"field"` (the JSON path or header name) when one field is at fault. Status codes:
//!    400 invalid request, 401 authentication, 404 unknown path or order, 405 wrong method,
//!    409 idempotent replay, 413 body over [`doku::MAX_BODY_BYTES`].
//! 2. **Order of checks** on a DOKU path: route (404/405), body size (413), headers present (400
//!    `missing_header`; a Request-Id over 128 characters is 400 `invalid_header`), Client-Id
//!    known (401 `unknown_client_id`), Request-Timestamp well-formed (400 `invalid_timestamp`)
//!    and within [`DEFAULT_TIMESTAMP_WINDOW_SECS`] of now (401 `timestamp_out_of_window`),
//!    signature (401 `invalid_signature`), body is JSON (400 `invalid_json`, with line and
//!    column), body obeys the core field rules (400 `invalid_field`, with the field path),
//!    then under one lock: Request-Id replay (409) or reuse with another body or path (400
//!    `request_id_reused`), duplicate invoice number (400 `duplicate_invoice_number`),
//!    override notification URL path (400 `override_notification_url_path_mismatch`),
//!    merchant payment code rules (400 `invalid_payment_code` / `payment_code_in_use`).
//! 3. **Signed errors**: every response on a DOKU path is signed when the sandbox can: the
//!    Client-Id names a configured merchant and a usable Request-Id was sent. Otherwise
//!    (missing header, unknown Client-Id) there is no key or id to sign with and the error
//!    carries no `Signature` header.
//! 4. **Wrong signature message** shows the component the sandbox signed, line breaks
//!    written as the two characters `\n`, never the secret or the expected signature; when
//!    one of the common mistakes `doku explain` knows reproduces the signature (no Digest
//!    line, trailing newline, full URL as Request-Target, ...), it is named as the likely
//!    cause.
//! 5. **Idempotency** is per (Client-Id, Request-Id) and covers successful creations only:
//!    a request that failed validation can be sent again with the same Request-Id. A replay
//!    (same path, same body bytes) answers 409 with the original body, re-signed with a
//!    fresh Response-Timestamp. Another body or path is 400 `request_id_reused`.
//! 6. **Invoice numbers** are unique per Client-Id across all channels, for the sandbox's
//!    lifetime (or the state file's).
//! 7. **Payment codes**: DOKU-generated codes are the BIN followed by random digits up to
//!    [`DEFAULT_CODE_LENGTH`] digits in total (configurable). The BIN must fit one of
//!    PROTOCOL.md 6's rules: 1 digit (general, up to 19 more), 5 digits (direct, up to 20
//!    more) or 6+ digits (exclusive, up to 14 more); 2 to 4 digits is refused. The total is
//!    also capped by the core's Alfa rule (20 digits) so every channel accepts every code.
//!    A merchant code (`online_to_offline_info.payment_code`) must start with the BIN and
//!    fit the same rule. Codes are unique among live codes (pending, or reusable and not
//!    yet expired) across all merchants and both stores.
//! 8. **Time**: `time_scale` divides every duration (payment code and order expiry,
//!    notification retry delays); dates in bodies stay nominal (`expired_date` is
//!    `created_date` + `expired_time` minutes, as DOKU would show). Expiry is applied when a
//!    transaction is next looked at.
//! 9. **States**: PENDING -> SUCCESS | FAILED | EXPIRED. A reusable code accepts payments
//!    (each one a SUCCESS notification with its own Request-Id) until it expires; a
//!    non-reusable transaction accepts exactly one payment outcome. Paying an expired code
//!    is 400 `transaction_expired`; paying a settled one is 400 `transaction_closed`.
//! 10. **Notifications**: one new Request-Id (UUIDv4) per notification, the same on every
//!     retry; a fresh Request-Timestamp and signature per attempt; retries after a non-2xx
//!     answer or a connection error at 30 min, 6 h and 12 h after the first attempt (DOKU's
//!     documented schedule), each attempt with a [`NOTIFY_TIMEOUT`] limit. Retries still
//!     pending at shutdown are dropped. A merchant without a notification URL for the
//!     channel gets no notification; the attempt is recorded with an error.
//! 11. **Override notification URL**: only the host (and port) may differ from the
//!     configured URL; the path must be equal. A merchant with no configured URL for the
//!     channel may override freely (there is nothing to compare with); notifications are
//!     then signed with the override's path.
//! 12. **Check status** looks up the id as an invoice number first, then as the Request-Id
//!     of the creating request, within the caller's Client-Id. Its body has the
//!     notification shape with `transaction.status` PENDING, SUCCESS, FAILED or EXPIRED.
//! 13. **Pages**: `how_to_pay_page` and `how_to_pay_api` have the seeds' path shapes on the
//!     sandbox's host (unsigned GETs): Alfa's page `/how-to-pay/v2/alfa-online-to-offline/{code}`
//!     (Alfa seed), Indomaret's `/indomaret-online-to-offline/v2/how-to-pay-page/{code}`
//!     (Indomaret seed), the API `/{channel}/v2/how-to-pay-api/{code}` for both. Each
//!     store's page also answers at the other shape, so Alfa links in an older state file
//!     (`/alfa-online-to-offline/v2/how-to-pay-page/{code}`) keep working. The API answers
//!     `{"payment_instruction": [{"channel": "<store>", "step": ["...", ...]}, ...]}` (the
//!     keys DOKU's OpenCart, WooCommerce and Magento plugins read; one entry per store:
//!     Alfamart, Alfamidi, Dan+Dan for Alfa), plus the informational `payment_code`,
//!     `amount`, `status` and `expired_date`; the steps are in English and the HTML page
//!     shows the same entries. Indodana's `payment.url` is a sandbox page with
//!     approve/reject buttons.
//! 14. **Simulation API** lives under `/_sandbox/` only and is unauthenticated: `POST
//!     /_sandbox/pay`, `GET /_sandbox/notifications`, `GET /_sandbox/transactions`,
//!     `POST /_sandbox/scenario`, and the dashboard's form actions.
//! 15. **Store identifiers** in O2O notifications (`AGENT_ID`, `AGENT_STORE_ID`,
//!     `AGENT_TRX_ID`) are made up by the sandbox; see [`agent_id`].
//! 16. **Defaults**: a merchant [`DEFAULT_CLIENT_ID`] with secret [`DEFAULT_SECRET_KEY`]
//!     when none is configured; BIN [`DEFAULT_BIN`] (a 5-digit direct BIN, the prefix of
//!     the Indomaret seed's sample code); [`DEFAULT_CODE_LENGTH`] digits; Content-Type is
//!     not checked.
//! 17. **Serving** (hyper, HTTP/1.1): keep-alive; a request head must arrive within
//!     [`DEFAULT_READ_TIMEOUT`] (also the idle limit of a kept-alive connection) and its body
//!     within the same time after it, else the connection is closed; heads over 64 KiB are
//!     431; at most [`DEFAULT_MAX_CONNECTIONS`] connections at once (more are answered 503 and
//!     closed). A request with both `Transfer-Encoding: chunked` and `Content-Length` is read
//!     as chunked and its connection closed after the answer (RFC 9112 6.1: no second request
//!     is ever read after it); differing `Content-Length` values and a last transfer coding
//!     other than `chunked` are 400. Shutdown lets requests in progress finish for 2 s.
//! 18. **Notification delivery**: each notification is delivered by its own task, so a
//!     merchant that stalls (each attempt is cut at [`NOTIFY_TIMEOUT`]) delays no other
//!     merchant, and its retries stay on their schedule. Header names are written in DOKU's
//!     case (`Client-Id`, `Request-Id`, `Request-Timestamp`, `Signature`, `Content-Type`):
//!     PHP handlers read them with `getallheaders()` by exact name. The log of attempts
//!     (`GET /_sandbox/notifications`) keeps the newest [`NOTIFICATION_LOG_LIMIT`].
//! 19. **Numbers sent as strings** (`"amount":"150000"`, `"expired_time":"60"`, as DOKU's
//!     PrestaShop plugin sends them) pass the core's rules and are read with
//!     [`doku::validate::int_value`]. Every answer (the Indodana create response, check
//!     status, notifications, the how-to-pay API) gives `order.amount` as a JSON number,
//!     as every response sample in the seeds does, whichever form the request used. The
//!     request's bytes are kept as sent (the idempotency digest covers them).
//! 20. **Fault scenarios** ([`crate::scenario`]) are chosen by an invoice-number suffix
//!     (`-SBX-500`, ...; case-insensitive; an unknown `-SBX-` suffix is 400
//!     `invalid_scenario`), by a magic amount (9,900,000 plus an HTTP-like code), or armed
//!     with `POST /_sandbox/scenario` for the next create call of a Client-Id that passes
//!     authentication and the field rules. A scenario binds to the invoice number, so retries
//!     of the call see it too. 500 and 503 create nothing; stall, not-JSON and
//!     wrong-signature create the payment code and spoil only the first answer (a retry with
//!     the same Request-Id gets the normal 409 replay). A stall holds its answer until the
//!     client hangs up, a retry with the same Request-Id arrives, the sandbox stops or
//!     [`STALL_LIMIT`] passes (`--stall-limit`). A dropped notification answer is recorded
//!     with the merchant's status, not delivered, and retried on DOKU's schedule.
//! 21. **Dashboard** (`GET /`): the newest [`DASHBOARD_LIMIT`] transactions, with plain HTML
//!     forms (no JavaScript) posting to `/_sandbox/transactions/{pay,fail,expire,resend}`;
//!     a form post whose `Origin` is another site is refused (403), so a web page elsewhere
//!     cannot pay your sandbox's codes. "Resend" sends the latest payment's notification
//!     again with its original Request-Id and body; its attempts continue the numbering.
//!     Each attempt shows its latency and the first [`ANSWER_SNIPPET_BYTES`] bytes of the
//!     merchant's answer; a notification URL's `user:password@` is shown as `***@`.
//! 22. **`doku sandbox` listens on 127.0.0.1:[`DEFAULT_PORT`]** by default (`--port 0`: any
//!     free port), and `doku sandbox pay|list|notifications` talk to that address unless
//!     given `--url` or `DOKU_SANDBOX_URL`. `POST /_sandbox/pay` also takes `{"id": ...}`,
//!     an invoice number or a payment code (ambiguous: 400 `ambiguous_id`).

use std::time::Duration;

/// Client-Id of the merchant the sandbox serves when none is configured.
pub const DEFAULT_CLIENT_ID: &str = "MCH-SANDBOX-0001";
/// Secret key of the default merchant. Public on purpose: it only opens the local sandbox.
pub const DEFAULT_SECRET_KEY: &str = "SK-sandbox-0001-not-a-real-key";
/// Default BIN: 5 digits, DOKU's "direct" BIN shape.
pub const DEFAULT_BIN: &str = "88888";
/// Default total length of a DOKU-generated payment code, BIN included.
pub const DEFAULT_CODE_LENGTH: usize = 16;
/// Accepted distance between Request-Timestamp and the sandbox clock, in seconds.
pub const DEFAULT_TIMESTAMP_WINDOW_SECS: u64 = 300;
/// Payment code / order lifetime when the request gives no `expired_time` (DOKU's default).
pub const DEFAULT_EXPIRED_TIME_MINUTES: u64 = 60;
/// Retries after the first attempt, in seconds after the first attempt (DOKU's schedule).
pub const NOTIFY_RETRY_OFFSETS_SECS: [u64; 3] = [30 * 60, 6 * 3600, 12 * 3600];
/// Connect limit for one notification attempt.
pub const NOTIFY_CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// Total limit for one notification attempt.
pub const NOTIFY_TIMEOUT: Duration = Duration::from_secs(5);
/// Notification attempts kept for `GET /_sandbox/notifications` (the newest).
pub const NOTIFICATION_LOG_LIMIT: usize = 1000;
/// Most connections served at once; more are answered 503 and closed.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;
/// Deadline for a request head (and for the body after it); also the idle limit of a
/// kept-alive connection.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// The Alfa path one newer DOKU page uses; the sandbox serves it as an alias.
pub const ALFA_ALIAS_PATH: &str = "/alfa-virtual-account/v2/payment-code";
/// Prefix of the sandbox's own (non-DOKU) endpoints.
pub const SANDBOX_PREFIX: &str = "/_sandbox/";
/// Longest Request-Id accepted (DOKU: "max 128 characters"): the core's rule.
pub use doku::client::MAX_REQUEST_ID_CHARS;
/// The longest time a delivery waits before looking at its stop flag or at an injected
/// clock again.
pub const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// The longest a stalled answer is held (the stall scenario), unless the client hangs up
/// or retries first: longer than the client's default 30 s timeout.
pub const STALL_LIMIT: Duration = Duration::from_secs(120);
/// Scenarios armed at once per Client-Id with `POST /_sandbox/scenario`.
pub const ARMED_SCENARIO_LIMIT: usize = 100;
/// Bytes of a merchant's answer to a notification kept for the dashboard.
pub const ANSWER_SNIPPET_BYTES: usize = 200;
/// Transactions shown on the dashboard (the newest).
pub const DASHBOARD_LIMIT: usize = 500;
/// The port `doku sandbox` listens on by default ("DOKU" on a phone keypad).
pub const DEFAULT_PORT: u16 = 3658;
/// The address `doku sandbox pay|list|notifications` talk to by default.
pub const DEFAULT_URL: &str = "http://127.0.0.1:3658";

/// `AGENT_ID` reported for a store payment.
pub fn agent_id(acquirer: &str) -> String {
    format!("SANDBOX-{acquirer}")
}

/// `AGENT_STORE_ID` reported for a store payment.
pub const AGENT_STORE_ID: &str = "SANDBOX-STORE-0001";
