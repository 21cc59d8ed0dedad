//! The bundled tool environments.

mod airline;
mod units;

pub use airline::Airline;
pub use units::Units;
