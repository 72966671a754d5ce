//! The Rules API response bodies of the live store's operations (docs/service.md, "Endpoints").

use crate::api::{RuleEntry, json_string};

/// PowerTrack's message for an add of a value that is already a rule (rule-language R4).
pub const ALREADY_EXISTS: &str = "A rule with this value already exists";

/// PowerTrack's message for a delete of a rule that is not there (rule-language R6).
pub const DOES_NOT_EXIST: &str = "Rule does not exist";

/// The outcome of one rule of an add request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddDetail {
    /// The rule: its value and tag as given, and its id when it was created or already
    /// existed (then the existing rule's id).
    pub rule: RuleEntry,
    /// Whether this request created the rule.
    pub created: bool,
    /// Why not: PowerTrack's validation message, or [`ALREADY_EXISTS`]. `None` for a created
    /// rule, and for a valid rule of a request refused because another rule is invalid.
    pub message: Option<String>,
}

/// The response to an add request: `201 Created` with one detail per rule, or `422` when a
/// rule is invalid and nothing was added.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddResponse {
    /// One detail per rule of the request, in request order.
    pub detail: Vec<AddDetail>,
    /// The generation of the rule set once the request was applied (unchanged when nothing
    /// was created).
    pub generation: u64,
    pub(crate) invalid: bool,
}

impl AddResponse {
    /// A response of these details: `invalid` when the request was refused because a rule is
    /// invalid (status 422, nothing added). For services that keep several rule sets over one
    /// store and answer each one's requests themselves.
    ///
    /// ```
    /// use powertrack::api::RuleEntry;
    /// use powertrack::live::{AddDetail, AddResponse};
    ///
    /// let detail = vec![AddDetail { rule: RuleEntry::new("from:jack", None), created: false, message: None }];
    /// let refused = AddResponse::new(detail, 7, true);
    /// assert_eq!((refused.status(), refused.created()), (422, 0));
    /// ```
    pub fn new(detail: Vec<AddDetail>, generation: u64, invalid: bool) -> AddResponse {
        AddResponse {
            detail,
            generation,
            invalid,
        }
    }

    /// Rules created.
    pub fn created(&self) -> usize {
        self.detail.iter().filter(|d| d.created).count()
    }

    /// Rules not created.
    pub fn not_created(&self) -> usize {
        self.detail.len() - self.created()
    }

    /// Whether the request was refused because a rule is invalid (nothing was added).
    pub fn is_invalid(&self) -> bool {
        self.invalid
    }

    /// The HTTP status PowerTrack answers with: 201, or 422 when a rule is invalid.
    pub fn status(&self) -> u16 {
        if self.invalid { 422 } else { 201 }
    }

    /// The response body:
    /// `{"summary":{"created":N,"not_created":M},"detail":[…],"sent":…}`.
    pub fn to_json(&self, sent: &str) -> String {
        let mut out = format!(
            "{{\"summary\":{{\"created\":{},\"not_created\":{}}},\"detail\":[",
            self.created(),
            self.not_created()
        );
        for (i, d) in self.detail.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str("{\"rule\":");
            rule_json(&d.rule, &mut out);
            out.push_str(if d.created {
                ",\"created\":true"
            } else {
                ",\"created\":false"
            });
            if let Some(m) = &d.message {
                out.push_str(",\"message\":");
                out.push_str(&json_string(m));
            }
            out.push('}');
        }
        finish(&mut out, sent);
        out
    }
}

/// A rule a delete request named that was not deleted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeleteDetail {
    /// The rule as named: by value (with the tag as given) or by id.
    pub rule: RuleEntry,
    /// Always [`DOES_NOT_EXIST`].
    pub message: String,
}

/// The response to a delete request (always `200 OK`): how many rules were deleted, and a
/// detail for each rule named that does not exist.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeleteResponse {
    /// Rules deleted.
    pub deleted: usize,
    /// The rules not deleted, in request order.
    pub detail: Vec<DeleteDetail>,
    /// The generation of the rule set once the request was applied.
    pub generation: u64,
}

impl DeleteResponse {
    /// Rules named but not deleted.
    pub fn not_deleted(&self) -> usize {
        self.detail.len()
    }

    /// The response body:
    /// `{"summary":{"deleted":N,"not_deleted":M},"detail":[…],"sent":…}`.
    pub fn to_json(&self, sent: &str) -> String {
        let mut out = format!(
            "{{\"summary\":{{\"deleted\":{},\"not_deleted\":{}}},\"detail\":[",
            self.deleted,
            self.not_deleted()
        );
        for (i, d) in self.detail.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str("{\"rule\":");
            rule_json(&d.rule, &mut out);
            out.push_str(",\"deleted\":false,\"message\":");
            out.push_str(&json_string(&d.message));
            out.push('}');
        }
        finish(&mut out, sent);
        out
    }
}

/// The response to a list or get request (`200 OK`): rules in creation order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListResponse {
    /// The rules, each with its id.
    pub rules: Vec<RuleEntry>,
    /// The generation the listing was taken at.
    pub generation: u64,
}

impl ListResponse {
    /// The response body: `{"rules":[{"value":…,"tag":…,"id":N,"id_str":"N"},…],"sent":…}`.
    pub fn to_json(&self, sent: &str) -> String {
        let mut out = String::from("{\"rules\":[");
        for (i, r) in self.rules.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            rule_json(r, &mut out);
        }
        finish(&mut out, sent);
        out
    }
}

/// `{"value":…,"tag":…}` plus `"id":N,"id_str":"N"` when the id is known. Ids are written as
/// exact integers and as strings, since JSON readers that use doubles lose digits past 2^53.
fn rule_json(rule: &RuleEntry, out: &mut String) {
    use std::fmt::Write as _;
    out.push_str("{\"value\":");
    out.push_str(&json_string(&rule.value));
    out.push_str(",\"tag\":");
    match &rule.tag {
        Some(t) => out.push_str(&json_string(t)),
        None => out.push_str("null"),
    }
    if let Some(id) = rule.id {
        let _ = write!(out, ",\"id\":{id},\"id_str\":\"{id}\"");
    }
    out.push('}');
}

fn finish(out: &mut String, sent: &str) {
    out.push_str("],\"sent\":");
    out.push_str(&json_string(sent));
    out.push('}');
}
