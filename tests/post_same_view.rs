//! The same tweet in native and Activity Streams yields the same view.
