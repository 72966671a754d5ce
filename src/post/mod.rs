//! The `post` module (under construction).
