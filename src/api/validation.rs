//! The validation endpoint's response (docs/service.md, "Validate"; rule-language §10.1).

use crate::syntax::{Error, Rule, utf16_len};

use super::body::{MAX_TAG_LEN, RuleEntry, json_string};

/// The outcome for one rule.
#[derive(Clone, Debug, PartialEq)]
pub struct Detail {
    /// The rule as given.
    pub rule: RuleEntry,
    /// The parsed rule, or why it is invalid.
    pub result: Result<Rule, DetailError>,
}

/// Why a rule of a body is invalid.
#[derive(Clone, Debug, PartialEq)]
pub enum DetailError {
    /// The rule text is invalid.
    Rule(Error),
    /// The tag is longer than 255 UTF-16 code units (the rule text may be valid).
    TagTooLong(usize),
}

impl DetailError {
    /// The message of the response's `message` field.
    pub fn powertrack_message(&self) -> String {
        match self {
            DetailError::Rule(e) => e.powertrack_message(),
            DetailError::TagTooLong(n) => {
                format!(
                    "Rule tags must be at most {MAX_TAG_LEN} characters long; this tag has {n}\n"
                )
            }
        }
    }
}

impl Detail {
    /// True when the rule is valid.
    pub fn is_valid(&self) -> bool {
        self.result.is_ok()
    }
}

/// A validation response: one detail per rule, in input order.
#[derive(Clone, Debug, PartialEq)]
pub struct ValidationResponse {
    /// The rules' outcomes.
    pub detail: Vec<Detail>,
}

/// Validates every rule of a body, as `POST …/validation.json` does.
pub fn validate(rules: &[RuleEntry]) -> ValidationResponse {
    let detail = rules
        .iter()
        .map(|r| {
            let parsed = Rule::parse(&r.value).map_err(DetailError::Rule);
            let tag_len = r.tag.as_deref().map_or(0, utf16_len);
            let result = match parsed {
                Ok(_) if tag_len > MAX_TAG_LEN => Err(DetailError::TagTooLong(tag_len)),
                other => other,
            };
            Detail {
                rule: r.clone(),
                result,
            }
        })
        .collect();
    ValidationResponse { detail }
}

impl ValidationResponse {
    /// Number of valid rules.
    pub fn valid(&self) -> usize {
        self.detail.iter().filter(|d| d.is_valid()).count()
    }

    /// Number of invalid rules.
    pub fn not_valid(&self) -> usize {
        self.detail.len() - self.valid()
    }

    /// The response body: `{"summary":{"valid":N,"not_valid":M},"detail":[…],"sent":…}`, each
    /// detail `{"rule":{"value":…,"tag":…},"valid":true}` or with `"valid":false,"message":…`.
    pub fn to_json(&self, sent: &str) -> String {
        let mut out = format!(
            "{{\"summary\":{{\"valid\":{},\"not_valid\":{}}},\"detail\":[",
            self.valid(),
            self.not_valid()
        );
        for (i, d) in self.detail.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str("{\"rule\":{\"value\":");
            out.push_str(&json_string(&d.rule.value));
            out.push_str(",\"tag\":");
            match &d.rule.tag {
                Some(t) => out.push_str(&json_string(t)),
                None => out.push_str("null"),
            }
            out.push_str("},\"valid\":");
            match &d.result {
                Ok(_) => out.push_str("true}"),
                Err(e) => {
                    out.push_str("false,\"message\":");
                    out.push_str(&json_string(&e.powertrack_message()));
                    out.push('}');
                }
            }
        }
        out.push_str("],\"sent\":");
        out.push_str(&json_string(sent));
        out.push('}');
        out
    }
}
