//! Hand-checked views of chosen edge tweets.
