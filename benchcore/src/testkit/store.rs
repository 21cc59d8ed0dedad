//! The `RunStore` behaviour suite.
