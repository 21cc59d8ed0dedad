//! The `Agent` behaviour suite.
