//! The `api` module (under construction).
