//! The `units` environment: unit conversion and arithmetic, with no state to change. Its
//! tasks are scored on the calls made and the answer given.

use crate::tools::environment::{number_arg, text_arg, Environment, Session};
use crate::tools::{FnTool, ToolError, Toolbox};
use crate::Case;
use serde_json::{json, Value};

/// Conversion and arithmetic tools.
#[derive(Debug, Clone, Copy, Default)]
pub struct Units;

/// A unit's dimension and its factor to the dimension's base unit.
fn unit(name: &str) -> Option<(&'static str, f64)> {
    Some(match name.to_ascii_lowercase().as_str() {
        "m" | "meter" | "meters" => ("length", 1.0),
        "km" | "kilometer" | "kilometers" => ("length", 1000.0),
        "cm" => ("length", 0.01),
        "mi" | "mile" | "miles" => ("length", 1609.344),
        "ft" | "foot" | "feet" => ("length", 0.3048),
        "in" | "inch" | "inches" => ("length", 0.0254),
        "kg" => ("mass", 1.0),
        "g" => ("mass", 0.001),
        "lb" | "lbs" | "pound" | "pounds" => ("mass", 0.453_592_37),
        "oz" | "ounce" | "ounces" => ("mass", 0.028_349_523_125),
        "l" | "liter" | "liters" => ("volume", 1.0),
        "ml" => ("volume", 0.001),
        "gal" | "gallon" | "gallons" => ("volume", 3.785_411_784),
        "c" | "celsius" | "f" | "fahrenheit" | "k" | "kelvin" => ("temperature", 1.0),
        _ => return None,
    })
}

/// Degrees to kelvin and back.
fn to_kelvin(value: f64, from: &str) -> f64 {
    match from.chars().next().unwrap_or('k').to_ascii_lowercase() {
        'c' => value + 273.15,
        'f' => (value - 32.0) * 5.0 / 9.0 + 273.15,
        _ => value,
    }
}

fn from_kelvin(kelvin: f64, to: &str) -> f64 {
    match to.chars().next().unwrap_or('k').to_ascii_lowercase() {
        'c' => kelvin - 273.15,
        'f' => (kelvin - 273.15) * 9.0 / 5.0 + 32.0,
        _ => kelvin,
    }
}

/// A number as the tools print it: at most four decimals, no trailing zeros.
pub(crate) fn shown(value: f64) -> String {
    let text = format!("{value:.4}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

fn convert(args: &Value) -> Result<String, ToolError> {
    let value = number_arg(args, "value")?;
    let (from, to) = (text_arg(args, "from")?, text_arg(args, "to")?);
    let unknown = |u: &str| ToolError::new(format!("unknown unit `{u}`"));
    let (from_dim, from_factor) = unit(from).ok_or_else(|| unknown(from))?;
    let (to_dim, to_factor) = unit(to).ok_or_else(|| unknown(to))?;
    if from_dim != to_dim {
        return Err(ToolError::new(format!(
            "cannot convert {from_dim} ({from}) to {to_dim} ({to})"
        )));
    }
    let result = if from_dim == "temperature" {
        from_kelvin(to_kelvin(value, from), to)
    } else {
        value * from_factor / to_factor
    };
    Ok(shown(result))
}

fn calculate(args: &Value) -> Result<String, ToolError> {
    let (a, b) = (number_arg(args, "a")?, number_arg(args, "b")?);
    let result = match text_arg(args, "op")? {
        "+" | "add" => a + b,
        "-" | "subtract" => a - b,
        "*" | "multiply" => a * b,
        "/" | "divide" if b == 0.0 => return Err(ToolError::new("division by zero")),
        "/" | "divide" => a / b,
        "^" | "power" => a.powf(b),
        op => {
            return Err(ToolError::new(format!(
                "unknown operation `{op}` (+ - * / ^)"
            )))
        }
    };
    Ok(shown(result))
}

impl Environment for Units {
    fn name(&self) -> &str {
        "units"
    }

    fn session(&self, _case: &Case) -> Result<Session, String> {
        Ok(Session::new(json!({}), |_| {
            Toolbox::new()
                .with(FnTool::new(
                    "convert",
                    "Converts a value between units of length (m, km, cm, mi, ft, in), mass (kg, g, lb, oz), volume (l, ml, gal) or temperature (c, f, k).",
                    json!({"type": "object", "properties": {
                        "value": {"type": "number"}, "from": {"type": "string"}, "to": {"type": "string"}},
                        "required": ["value", "from", "to"]}),
                    convert,
                ))
                .with(FnTool::new(
                    "calculate",
                    "Computes a op b, where op is one of + - * / ^.",
                    json!({"type": "object", "properties": {
                        "a": {"type": "number"}, "op": {"type": "string"}, "b": {"type": "number"}},
                        "required": ["a", "op", "b"]}),
                    calculate,
                ))
        }))
    }
}
