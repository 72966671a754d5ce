//! Rules API bodies: the request bodies PowerTrack's Rules API accepts
//! (`{"rules":[{"value","tag","id"?}]}` and `{"rule_ids":[…]}`) and the validation response.
//!
//! Rule ids are 64-bit JSON integers and are read straight into `u64`, never through `f64`
//! (real ids exceed 2^53). Tags are at most 255 UTF-16 code units.
//!
//! # Example
//!
//! ```
//! use powertrack::api::{Body, Limits, validate};
//!
//! let body = Body::parse(br#"{"rules":[{"value":"from:jack"},{"value":"fish AND bird","tag":"t"}]}"#,
//!                        &Limits::cli())?;
//! let Body::Rules(rules) = body else { unreachable!() };
//! let response = validate(&rules);
//! assert_eq!((response.valid(), response.not_valid()), (1, 1));
//! assert!(response.to_json("2017-03-16T02:33:01.827Z").starts_with(r#"{"summary":{"valid":1,"not_valid":1},"#));
//! # Ok::<(), powertrack::api::BodyError>(())
//! ```

mod body;
mod sent;
mod validation;

pub(crate) use body::json_string;
pub use body::{Body, BodyError, BodyErrorKind, Limits, MAX_BODY_BYTES, MAX_TAG_LEN, RuleEntry};
pub use sent::{now_rfc3339, parse_seconds_utc, rfc3339_millis};
pub use validation::{Detail, DetailError, ValidationResponse, validate};
