//! JSON values between Python and the core: `dict`/`list`/`str`/`int`/`float`/`Decimal`/
//! `bool`/`None` to `serde_json::Value` and back, keeping key order and exact numbers.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyMapping, PyString, PyTuple, PyType};
use serde_json::{Map, Number, Value};

use super::{type_name, wrong_type, Fallible};
use doku::error::Error;

/// Deeper nesting than this is refused (it also stops a dict that contains itself).
const MAX_DEPTH: usize = 128;

static DECIMAL: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// Converts a Python JSON-like value. Errors are `invalid_input` naming the path inside
/// `root` (`body.order.line_items[0].price`), so a bad value is easy to find.
pub(crate) fn to_value(obj: &Bound<'_, PyAny>, root: &str) -> Fallible<Value> {
    let mut path = root.to_string();
    to_value_at(obj, &mut path, 0)
}

fn to_value_at(obj: &Bound<'_, PyAny>, path: &mut String, depth: usize) -> Fallible<Value> {
    if depth > MAX_DEPTH {
        return Err(Error::invalid_input(
            path.as_str(),
            format!("{path} is nested more than {MAX_DEPTH} levels deep"),
        )
        .into());
    }
    let bad = |path: &str, what: String| -> Fallible<Value> {
        Err(Error::invalid_input(path, format!("{path} {what}")).into())
    };
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return match s.to_cow() {
            Ok(s) => Ok(Value::String(s.to_string())),
            Err(_) => bad(path, "is not valid UTF-8 text (a lone surrogate)".into()),
        };
    }
    // bool before int: in Python, True is an int.
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if obj.is_instance_of::<PyInt>() {
        if let Ok(i) = obj.extract::<i64>() {
            return Ok(Value::Number(i.into()));
        }
        if let Ok(u) = obj.extract::<u64>() {
            return Ok(Value::Number(u.into()));
        }
        // A big integer: its decimal text is an exact JSON number (arbitrary_precision).
        return number_from_text(&obj.str()?.to_string(), path);
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return match Number::from_f64(f.value()) {
            Some(n) => Ok(Value::Number(n)),
            None => bad(
                path,
                "is not a finite number (JSON has no NaN or infinity)".into(),
            ),
        };
    }
    if let Ok(dict) = obj.cast::<PyDict>() {
        let mut map = Map::new();
        let len = path.len();
        for (k, v) in dict.iter() {
            let Ok(key) = k.cast::<PyString>() else {
                return Err(wrong_type(
                    path,
                    format!(
                        "{path} has a key of type {}; JSON keys are str",
                        type_name(&k)
                    ),
                ));
            };
            let Ok(key) = key.to_cow() else {
                return bad(path, "has a key that is not valid UTF-8 text".into());
            };
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(&key);
            let value = to_value_at(&v, path, depth + 1)?;
            path.truncate(len);
            map.insert(key.to_string(), value);
        }
        return Ok(Value::Object(map));
    }
    if let Ok(mapping) = obj.cast::<PyMapping>() {
        // Another Mapping (MappingProxyType, a custom class): as a dict of its items.
        let dict = PyDict::new(obj.py());
        dict.update(mapping)?;
        return to_value_at(dict.as_any(), path, depth);
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        let len = path.len();
        let mut items = Vec::new();
        for (i, item) in obj.try_iter()?.enumerate() {
            path.push_str(&format!("[{i}]"));
            items.push(to_value_at(&item?, path, depth + 1)?);
            path.truncate(len);
        }
        return Ok(Value::Array(items));
    }
    let decimal = DECIMAL.import(obj.py(), "decimal", "Decimal")?;
    if obj.is_instance(decimal)? {
        // str(Decimal) is exact: "150000.50", "1E+2"; NaN and Infinity are refused below.
        return number_from_text(&obj.str()?.to_string(), path);
    }
    Err(wrong_type(
        path,
        format!(
            "{path} has type {}; use dict, list, str, int, float, Decimal, bool or None",
            type_name(obj)
        ),
    ))
}

fn number_from_text(text: &str, path: &str) -> Fallible<Value> {
    match serde_json::from_str::<Number>(text) {
        Ok(n) => Ok(Value::Number(n)),
        Err(_) => Err(Error::invalid_input(
            path,
            format!("{path} is {text}, which is not a finite JSON number"),
        )
        .into()),
    }
}

/// Converts a core value to Python: objects to `dict` (key order kept), arrays to `list`,
/// integers to `int` (any size), other numbers to `float`, as `json.loads` does.
pub(crate) fn to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => number_to_py(py, n)?,
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
            for (k, v) in map {
                dict.set_item(k, to_py(py, v)?)?;
            }
            dict.into_any()
        }
    })
}

fn number_to_py<'py>(py: Python<'py>, n: &Number) -> PyResult<Bound<'py, PyAny>> {
    if let Some(i) = n.as_i64() {
        return Ok(i.into_pyobject(py)?.into_any());
    }
    if let Some(u) = n.as_u64() {
        return Ok(u.into_pyobject(py)?.into_any());
    }
    let text = n.to_string();
    if text.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
        return py.get_type::<PyInt>().call1((text,));
    }
    let f: f64 = text.parse().unwrap_or(f64::NAN);
    Ok(PyFloat::new(py, f).into_any())
}
