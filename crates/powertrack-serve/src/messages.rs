//! The texts the service answers with. PowerTrack's own where its documentation gives them; ours
//! in the same style where it gives none (each is pinned by a test).

/// `{"error":{"message":…,"sent":…}}\r\n`, PowerTrack's in-stream notice.
pub fn notice_line(message: &str, sent: &str) -> String {
    error_body(message, sent) + "\r\n"
}

/// `{"error":{"message":…,"sent":…}}`: the body of every error answer, and of in-stream notices.
pub fn error_body(message: &str, sent: &str) -> String {
    serde_json::json!({"error": {"message": message, "sent": sent}}).to_string()
}

/// 406 on a stream request without `Accept-Encoding: gzip` (PowerTrack's text).
pub const COMPRESSION_REQUIRED: &str = "This connection requires compression. To enable compression, send an 'Accept-Encoding: gzip' header in your request and be ready to uncompress the stream as it is read on the client end.";

/// 429 past 60 Rules API requests a minute on one stream (PowerTrack's text).
pub const RULES_RATE_LIMITED: &str =
    "Your app has exceeded the limit on requests to add, delete, or list rules for this stream.";

/// 429 past 60 connection requests a minute on one stream.
pub const CONNECTIONS_RATE_LIMITED: &str =
    "Your app has exceeded the limit of 60 connection requests per minute for this stream.";

/// In-stream, to a connection over the stream's connection limit (PowerTrack's text).
pub fn too_many_connections(allowed: usize) -> String {
    format!("Forced Disconnect: Too many connections. (Allowed Connections = {allowed})")
}

/// In-stream, to a connection whose buffer overflowed (PowerTrack's text).
pub const UNABLE_TO_KEEP_UP: &str =
    "This stream has been disconnected because your client was unable to keep up with us.";

/// In-stream, to every connection at a graceful shutdown (PowerTrack's text).
pub const OPERATIONAL_DISCONNECT: &str =
    "This stream has been disconnected for operational reasons.";

/// 401 without valid credentials.
pub const UNAUTHORIZED: &str =
    "Authentication failed. Send HTTP Basic credentials of an account that owns this stream.";

/// 429 after too many failed logins from one address.
pub const LOGIN_RATE_LIMITED: &str =
    "Too many failed authentication attempts from this address. Try again in a minute.";

/// 404 for a path that is no endpoint (or a stream the account does not have).
pub const NOT_FOUND: &str = "Not found. See the service documentation for the endpoints.";

/// 405 for a known path with a method it does not take.
pub const METHOD_NOT_ALLOWED: &str = "Method not allowed on this endpoint.";

/// 404 for `GET …/rules/{id}.json` of a rule the stream does not have.
pub const RULE_NOT_FOUND: &str = "Rule does not exist";

/// 400 for a request body that broke off before its end.
pub const BODY_UNREADABLE: &str = "The request body could not be read.";

/// 503 when a rule change could not be made durable.
pub const NOT_STORED: &str = "The rules could not be stored; nothing was changed. Try again later.";

/// 500 when a request failed inside the server (a bug: it is logged).
pub const INTERNAL: &str = "Internal error; the request may not have been carried out. Try again.";

/// 413 for a `POST /ingest` body over the limit.
pub fn ingest_too_large(limit: usize) -> String {
    format!("The ingest body exceeds {limit} bytes; send the posts in smaller pieces.")
}

/// 503 while the server shuts down.
pub const SHUTTING_DOWN: &str = "The service is shutting down. Reconnect shortly.";

/// 401 on `POST /ingest` without the producer token.
pub const INGEST_UNAUTHORIZED: &str =
    "Ingest needs 'Authorization: Bearer TOKEN' with the server's ingest token.";

/// 403 when the account has no credits left this hour.
pub fn out_of_credits(limit: u64, reset_secs: u64) -> String {
    format!(
        "This account has used all of its {limit} credits for this hour. Credits renew in {reset_secs} seconds."
    )
}

/// In-stream, once the account has been delivered its daily cap of posts.
pub fn daily_cap_reached(cap: u64, resume: &str) -> String {
    format!(
        "This account has reached its limit of {cap} posts delivered per day. Delivery resumes at {resume}."
    )
}

/// 400 for a `backfillMinutes` that is not a whole number from 1 to 5.
pub const BACKFILL_INVALID: &str = "Invalid value for query parameter 'backfillMinutes'. It must be a whole number of minutes from 1 to 5.";

/// 400 for a recovery time that is not `YYYY-MM-DDTHH:mm:ssZ`.
pub fn recovery_bad_format(param: &str) -> String {
    format!(
        "Invalid date format for query parameter '{param}'. Expected format is 'YYYY-MM-DDTHH:mm:ssZ'. For example, '2017-01-01T23:15:00Z' for January 1st, 11:15 pm 2017 UTC."
    )
}

/// 400 for a recovery with only one of its two times.
pub const RECOVERY_NEEDS_BOTH: &str = "A recovery needs both 'startTime' and 'endTime'.";

/// 400 for a recovery that starts before the log's reach.
pub fn recovery_too_old(hours: u64) -> String {
    format!(
        "Invalid date for query parameter 'startTime'. Recovery reaches back {hours} hours at most."
    )
}

/// 400 for a recovery that ends in the future.
pub const RECOVERY_IN_FUTURE: &str =
    "Invalid date for query parameter 'endTime'. It cannot be in the future.";

/// 400 for a recovery whose start is not before its end.
pub const RECOVERY_ORDER: &str = "Invalid dates: 'startTime' must be before 'endTime'.";

/// 400 for a recovery asked with a backfill.
pub const RECOVERY_WITH_BACKFILL: &str =
    "'backfillMinutes' cannot be combined with a recovery ('startTime' and 'endTime').";

/// 429 for a third recovery on a stream.
pub const RECOVERIES_RUNNING: &str =
    "This stream already has 2 recoveries running. Wait for one to complete.";

/// 503 for an ingest the log could not take (nothing of it was taken).
pub const INGEST_NOT_LOGGED: &str =
    "The posts could not be written to the log, so none of them was taken. Try again later.";

/// In-stream, when a replay could not read the log.
pub const REPLAY_FAILED: &str = "The log could not be read; the recovery stops here.";

/// The last line of a recovery (PowerTrack's form).
pub fn recovery_completed(sent: &str, activity_count: u64) -> String {
    let body = serde_json::json!({"info": {"message": "Recovery Request Completed", "sent": sent, "activity_count": activity_count}});
    format!("{body}\r\n")
}

/// A console asked for with the right credentials of another account.
pub const CONSOLE_FORBIDDEN: &str =
    "These credentials are for another account; each account sees only its own console.";

/// 503 for a rule change the cluster did not take or apply in time (a rule change is made
/// everywhere or answered with this; retrying it is safe: an add of an existing rule is
/// reported as a duplicate, a delete of a deleted one as not found).
pub const RULES_UNAVAILABLE: &str =
    "The rule change could not be confirmed by the cluster. Try again shortly.";

/// 503 for a stream request when the cluster's connection slots cannot be read.
pub const CLUSTER_UNAVAILABLE: &str =
    "The service cannot reach its cluster right now. Reconnect shortly.";
