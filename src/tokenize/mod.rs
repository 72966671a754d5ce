//! The `tokenize` module (under construction).
