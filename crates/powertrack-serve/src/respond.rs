//! Building responses: whole and JSON bodies, PowerTrack's error body, the rate-limit headers.

use std::convert::Infallible;

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Response, StatusCode};
use http_body_util::BodyExt;
use http_body_util::Full;
use http_body_util::combinators::UnsyncBoxBody;

use crate::limits::Quota;
use crate::messages as msg;

/// A response body: a whole one, or a stream.
pub type ResponseBody = UnsyncBoxBody<Bytes, Infallible>;

/// A response.
pub(crate) type Resp = Response<ResponseBody>;

/// A whole body.
pub(crate) fn full(body: impl Into<Bytes>) -> ResponseBody {
    Full::new(body.into()).boxed_unsync()
}

/// A JSON answer.
pub(crate) fn json(status: StatusCode, body: impl Into<Bytes>) -> Resp {
    let mut r = Response::new(full(body));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    r
}

/// `{"error":{"message":…,"sent":…}}` with `status`.
pub(crate) fn error(status: StatusCode, message: &str, sent: &str) -> Resp {
    json(status, msg::error_body(message, sent))
}

/// `r` with the account's `X-RateLimit-*` headers.
pub(crate) fn with_quota(mut r: Resp, q: &Quota) -> Resp {
    let h = r.headers_mut();
    for (name, v) in [
        ("x-ratelimit-limit", q.limit),
        ("x-ratelimit-remaining", q.remaining),
        ("x-ratelimit-cost", q.cost),
        ("x-ratelimit-reset", q.reset_secs),
    ] {
        h.insert(name, HeaderValue::from(v));
    }
    r
}
