//! Line classification, malformed lines and their offsets.
