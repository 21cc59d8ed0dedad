//! Python objects to JSON values and back: how dicts, lists and scalars cross the boundary.

use benchcore::Case;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde_json::{Map, Number, Value};

/// How deep nested containers may go before the value is refused (a guard against cycles).
const MAX_DEPTH: usize = 200;

/// Reads a Python value made of dicts (string keys), lists, tuples, strings, numbers, bools
/// and `None` as JSON. `what` names the value in errors (`agents[0]`, `cases[3].target`).
pub(crate) fn to_json(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Value> {
    to_json_at(obj, what, 0)
}

fn to_json_at(obj: &Bound<'_, PyAny>, what: &str, depth: usize) -> PyResult<Value> {
    if depth > MAX_DEPTH {
        return Err(PyValueError::new_err(format!(
            "{what}: nested deeper than {MAX_DEPTH} levels (a cycle?)"
        )));
    }
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if obj.is_instance_of::<PyInt>() {
        if let Ok(i) = obj.extract::<i64>() {
            return Ok(Value::from(i));
        }
        if let Ok(u) = obj.extract::<u64>() {
            return Ok(Value::from(u));
        }
        let f: f64 = obj.extract()?;
        return finite(f, what);
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return finite(f.value(), what);
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Value::String(s.to_str()?.to_owned()));
    }
    if let Ok(dict) = obj.cast::<PyDict>() {
        let mut map = Map::with_capacity(dict.len());
        for (key, value) in dict.iter() {
            let key: String = key.extract().map_err(|_| {
                PyTypeError::new_err(format!(
                    "{what}: dict keys must be strings, not {}",
                    type_name(&key)
                ))
            })?;
            let inner = format!("{what}.{key}");
            let value = to_json_at(&value, &inner, depth + 1)?;
            map.insert(key, value);
        }
        return Ok(Value::Object(map));
    }
    if let Ok(list) = obj.cast::<PyList>() {
        return list
            .iter()
            .enumerate()
            .map(|(i, item)| to_json_at(&item, &format!("{what}[{i}]"), depth + 1))
            .collect::<PyResult<Vec<_>>>()
            .map(Value::Array);
    }
    if let Ok(tuple) = obj.cast::<PyTuple>() {
        return tuple
            .iter()
            .enumerate()
            .map(|(i, item)| to_json_at(&item, &format!("{what}[{i}]"), depth + 1))
            .collect::<PyResult<Vec<_>>>()
            .map(Value::Array);
    }
    // Scalars of other libraries (numpy, pandas) offer `.item()` for the Python value.
    if let Ok(item) = obj.call_method0("item") {
        if !item.is(obj) {
            return to_json_at(&item, what, depth + 1);
        }
    }
    Err(PyTypeError::new_err(format!(
        "{what}: {} cannot be read as JSON (use dict, list, str, int, float, bool or None)",
        type_name(obj)
    )))
}

fn finite(f: f64, what: &str) -> PyResult<Value> {
    Number::from_f64(f)
        .map(Value::Number)
        .ok_or_else(|| PyValueError::new_err(format!("{what}: {f} is not a finite number")))
}

/// The name of a value's type, for error messages.
pub(crate) fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".to_owned())
}

/// Builds the Python value of a JSON value: dicts, lists, str, int, float, bool and `None`.
pub(crate) fn to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any()
            } else if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any()
            } else {
                n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any()
            }
        }
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(to_py(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (key, item) in map {
                dict.set_item(key, to_py(py, item)?)?;
            }
            dict.into_any()
        }
    })
}

/// Serializes a value and builds its Python form.
pub(crate) fn to_py_ser<'py, T: serde::Serialize>(
    py: Python<'py>,
    value: &T,
) -> PyResult<Bound<'py, PyAny>> {
    let json = serde_json::to_value(value)
        .map_err(|e| PyValueError::new_err(format!("cannot convert a result: {e}")))?;
    to_py(py, &json)
}

/// The dict a callable evaluator (or transcript test) receives for a case.
pub(crate) fn case_dict<'py>(py: Python<'py>, case: &Case) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    dict.set_item("id", &case.id)?;
    dict.set_item("input", case.input_text())?;
    dict.set_item("messages", to_py_ser(py, &case.messages)?)?;
    dict.set_item(
        "target",
        to_py(py, case.target.as_ref().unwrap_or(&Value::Null))?,
    )?;
    dict.set_item("targets", case.targets())?;
    dict.set_item("metadata", to_py(py, &case.metadata)?)?;
    Ok(dict)
}
