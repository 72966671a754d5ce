//! The `syntax` module (under construction).
