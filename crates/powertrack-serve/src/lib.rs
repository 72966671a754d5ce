//! `powertrack serve`: the PowerTrack service over the engine's public API.
