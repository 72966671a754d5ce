//! Parsing Rules API request bodies.

use core::fmt;

use serde::Deserialize;

/// The Rules API's request body limit (rule-language §9, R5): 5 MB.
pub const MAX_BODY_BYTES: usize = 5_000_000;

/// The maximum tag length in UTF-16 code units (rule-language §9, R1).
pub const MAX_TAG_LEN: usize = 255;

/// PowerTrack's message for a body that is not one of the two accepted shapes (rule-language R2).
const INVALID_JSON: &str = "Invalid JSON. The body must be in the format \
{\"rules\":[{\"value\":\"rule1\", \"tag\":\"tag1\"}, {\"value\":\"rule2\"}]} or \
{\"rule_ids\": [rule_id1, rule_id2, rule_id3, rule_id4, rule_id5]}";

/// PowerTrack's message when a request would exceed the rule limit (rule-language §9, R3).
const RULE_LIMIT: &str = "Request exceeds account's Rule Limit. Delete rules or contact your \
account manager to proceed.";

/// Size limits applied while reading a body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Maximum body size in bytes (`None`: unlimited).
    pub max_bytes: Option<usize>,
    /// Maximum number of rules (or rule ids) in the body.
    pub max_rules: usize,
}

impl Limits {
    /// The Rules API's limits: 5 MB bodies, at most 250,000 rules.
    pub const fn api() -> Limits {
        Limits {
            max_bytes: Some(MAX_BODY_BYTES),
            max_rules: 250_000,
        }
    }

    /// Rule files given to the command-line tool: no size limit, at most 250,000 rules (the
    /// contractual maximum per stream; configurable).
    pub const fn cli() -> Limits {
        Limits {
            max_bytes: None,
            max_rules: 250_000,
        }
    }
}

/// One rule of a `{"rules":[…]}` body.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct RuleEntry {
    /// The rule text.
    pub value: String,
    /// The optional tag (`null` and absent are the same).
    #[serde(default)]
    pub tag: Option<String>,
    /// The rule id, when the body names existing rules.
    #[serde(default)]
    pub id: Option<u64>,
}

impl RuleEntry {
    /// A rule without an id.
    ///
    /// ```
    /// let r = powertrack::api::RuleEntry::new("from:jack", Some("t"));
    /// assert_eq!((r.value.as_str(), r.tag.as_deref(), r.id), ("from:jack", Some("t"), None));
    /// ```
    pub fn new(value: impl Into<String>, tag: Option<&str>) -> RuleEntry {
        RuleEntry {
            value: value.into(),
            tag: tag.map(String::from),
            id: None,
        }
    }
}

/// A Rules API request body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body {
    /// `{"rules":[{"value":…,"tag":…}, …]}`.
    Rules(Vec<RuleEntry>),
    /// `{"rule_ids":[…]}`.
    RuleIds(Vec<u64>),
}

#[derive(Deserialize)]
struct RawBody {
    #[serde(default)]
    rules: Option<Vec<RuleEntry>>,
    #[serde(default)]
    rule_ids: Option<Vec<u64>>,
}

/// Why a body was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BodyErrorKind {
    /// Not JSON, or not one of the two shapes.
    InvalidJson,
    /// Larger than [`Limits::max_bytes`].
    TooLarge,
    /// More rules than [`Limits::max_rules`].
    TooManyRules,
}

/// A body that could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BodyError {
    kind: BodyErrorKind,
    detail: String,
}

impl BodyError {
    /// A request that would take the rule set past its limit of `limit` rules: PowerTrack's
    /// "Request exceeds account's Rule Limit…" (422). For services that keep several rule
    /// sets over one store and enforce each one's limit themselves.
    ///
    /// ```
    /// let e = powertrack::api::BodyError::rule_limit(250_001, 250_000);
    /// assert_eq!(e.status(), 422);
    /// assert!(e.powertrack_message().starts_with("Request exceeds account's Rule Limit."));
    /// ```
    pub fn rule_limit(rules: usize, limit: usize) -> BodyError {
        BodyError::new(
            BodyErrorKind::TooManyRules,
            format!("the request would make {rules} rules; the limit is {limit}"),
        )
    }

    /// A body refused for its size, by a reader that stopped after `read` bytes (413): for
    /// servers that do not buffer a body past the limit.
    ///
    /// ```
    /// let e = powertrack::api::BodyError::too_large(5_000_001);
    /// assert_eq!(e.status(), 413);
    /// assert_eq!(
    ///     e.powertrack_message(),
    ///     "Request body exceeds the maximum size of 5000000 bytes (the body has more than 5000000 bytes)"
    /// );
    /// ```
    pub fn too_large(read: usize) -> BodyError {
        BodyError::new(
            BodyErrorKind::TooLarge,
            format!("the body has more than {} bytes", read.saturating_sub(1)),
        )
    }

    /// A body of the wrong shape for the request (`detail` says why): PowerTrack's "Invalid
    /// JSON…" (400). For services whose endpoints take only one of the two shapes.
    ///
    /// ```
    /// let e = powertrack::api::BodyError::invalid_json("rule ids where rules are expected");
    /// assert_eq!(e.status(), 400);
    /// assert!(e.powertrack_message().starts_with("Invalid JSON."));
    /// ```
    pub fn invalid_json(detail: &str) -> BodyError {
        BodyError::new(BodyErrorKind::InvalidJson, detail)
    }

    /// The HTTP status of the error response: 400 for a body that is not JSON of the right
    /// shape, 413 for one over the size limit, 422 past the rule limit.
    pub fn status(&self) -> u16 {
        match self.kind {
            BodyErrorKind::InvalidJson => 400,
            BodyErrorKind::TooLarge => 413,
            BodyErrorKind::TooManyRules => 422,
        }
    }

    fn new(kind: BodyErrorKind, detail: impl Into<String>) -> BodyError {
        BodyError {
            kind,
            detail: detail.into(),
        }
    }

    /// Why.
    pub fn kind(&self) -> BodyErrorKind {
        self.kind
    }

    /// The underlying reason, for humans (the JSON parser's message with line and column, or the
    /// sizes involved).
    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// The message as PowerTrack writes it in `{"error":{"message":…}}`.
    pub fn powertrack_message(&self) -> String {
        match self.kind {
            BodyErrorKind::InvalidJson => INVALID_JSON.to_string(),
            BodyErrorKind::TooLarge => format!(
                "Request body exceeds the maximum size of {MAX_BODY_BYTES} bytes ({})",
                self.detail
            ),
            BodyErrorKind::TooManyRules => RULE_LIMIT.to_string(),
        }
    }

    /// The error response body, `{"error":{"message":…,"sent":…}}`.
    pub fn to_json(&self, sent: &str) -> String {
        format!(
            "{{\"error\":{{\"message\":{},\"sent\":{}}}}}",
            json_string(&self.powertrack_message()),
            json_string(sent)
        )
    }
}

impl fmt::Display for BodyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.powertrack_message(), self.detail)
    }
}

impl std::error::Error for BodyError {}

pub(crate) fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| String::from("\"\""))
}

impl Body {
    /// Parses a request body.
    ///
    /// Exactly one of `rules` and `rule_ids` must be present; rules need a string `value`;
    /// `tag` is a string or `null`; ids are non-negative integers up to 2^64−1, read exactly.
    ///
    /// # Errors
    ///
    /// [`BodyErrorKind::InvalidJson`] when the bytes are not such a body,
    /// [`BodyErrorKind::TooLarge`] and [`BodyErrorKind::TooManyRules`] past `limits`.
    ///
    /// ```
    /// use powertrack::api::{Body, Limits};
    /// let b = Body::parse(br#"{"rule_ids":[734938587381145604,18446744073709551615]}"#, &Limits::api())?;
    /// assert_eq!(b, Body::RuleIds(vec![734938587381145604, u64::MAX]));
    /// assert!(Body::parse(br#"{"rule_ids":[7.3e17]}"#, &Limits::api()).is_err());
    /// # Ok::<(), powertrack::api::BodyError>(())
    /// ```
    pub fn parse(bytes: &[u8], limits: &Limits) -> Result<Body, BodyError> {
        if limits.max_bytes.is_some_and(|max| bytes.len() > max) {
            return Err(BodyError::new(
                BodyErrorKind::TooLarge,
                format!("the body has {} bytes", bytes.len()),
            ));
        }
        let raw: RawBody = serde_json::from_slice(bytes)
            .map_err(|e| BodyError::new(BodyErrorKind::InvalidJson, e.to_string()))?;
        let (body, n) = match (raw.rules, raw.rule_ids) {
            (Some(rules), None) => {
                let n = rules.len();
                (Body::Rules(rules), n)
            }
            (None, Some(ids)) => {
                let n = ids.len();
                (Body::RuleIds(ids), n)
            }
            (Some(_), Some(_)) => {
                return Err(BodyError::new(
                    BodyErrorKind::InvalidJson,
                    "the body has both \"rules\" and \"rule_ids\"",
                ));
            }
            (None, None) => {
                return Err(BodyError::new(
                    BodyErrorKind::InvalidJson,
                    "the body has neither \"rules\" nor \"rule_ids\"",
                ));
            }
        };
        if n > limits.max_rules {
            return Err(BodyError::new(
                BodyErrorKind::TooManyRules,
                format!("the body has {n} rules; the limit is {}", limits.max_rules),
            ));
        }
        Ok(body)
    }
}
