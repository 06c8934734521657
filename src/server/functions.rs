//! Postgres functions that BI clients' catalog queries call and DataFusion lacks.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, StringBuilder};
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::common::{plan_err, Result};
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility};

/// `json_build_object(k1, v1, ...)` as JSON text (SQLAlchemy's get_columns builds identity
/// column options with it).
#[derive(Debug, PartialEq, Eq, Hash)]
pub(super) struct JsonBuildObject {
    signature: Signature,
}

impl JsonBuildObject {
    pub(super) fn new() -> Self {
        JsonBuildObject {
            signature: Signature::variadic_any(Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for JsonBuildObject {
    fn name(&self) -> &str {
        "json_build_object"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        if !arg_types.len().is_multiple_of(2) {
            return plan_err!("json_build_object() needs key/value pairs");
        }
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let arrays: Vec<ArrayRef> = args
            .args
            .iter()
            .map(|a| a.to_array(rows))
            .collect::<Result<_>>()?;
        let options = FormatOptions::default();
        let formatters = arrays
            .iter()
            .map(|a| ArrayFormatter::try_new(a.as_ref(), &options))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let mut out = StringBuilder::new();
        for row in 0..rows {
            let mut fields = Vec::new();
            for pair in 0..arrays.len() / 2 {
                let (k, v) = (2 * pair, 2 * pair + 1);
                let key = serde_json::Value::String(formatters[k].value(row).to_string());
                let value = if arrays[v].is_null(row) {
                    serde_json::Value::Null
                } else if arrays[v].data_type().is_numeric() || arrays[v].data_type() == &DataType::Boolean {
                    serde_json::from_str(&formatters[v].value(row).to_string())
                        .unwrap_or(serde_json::Value::Null)
                } else {
                    serde_json::Value::String(formatters[v].value(row).to_string())
                };
                fields.push(format!("{key}: {value}"));
            }
            out.append_value(format!("{{{}}}", fields.join(", ")));
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

/// A LIKE pattern written with escape character `escape`, rewritten for backslash escaping
/// (`rewrite.rs` turns `LIKE p ESCAPE '/'` into `LIKE gitfleet_like_escape(p, '/')`).
pub(super) fn like_with_backslash_escape(pattern: &str, escape: char) -> String {
    let mut out = String::with_capacity(pattern.len() + 4);
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c == escape {
            if let Some(next) = chars.next() {
                out.push('\\');
                out.push(next);
            }
        } else if c == '\\' {
            out.push_str("\\\\");
        } else {
            out.push(c);
        }
    }
    out
}

/// The `gitfleet_like_escape(pattern, escape)` UDF over [`like_with_backslash_escape`].
pub(super) fn like_escape_udf() -> datafusion::logical_expr::ScalarUDF {
    use datafusion::arrow::array::{AsArray, StringArray};
    use datafusion::arrow::compute::cast;
    use datafusion::common::exec_err;
    datafusion::logical_expr::create_udf(
        super::rewrite::LIKE_ESCAPE_UDF,
        vec![DataType::Utf8, DataType::Utf8],
        DataType::Utf8,
        Volatility::Immutable,
        Arc::new(|args| {
            let arrays = ColumnarValue::values_to_arrays(args)?;
            let patterns = cast(&arrays[0], &DataType::Utf8)?;
            let escapes = cast(&arrays[1], &DataType::Utf8)?;
            let (patterns, escapes) = (patterns.as_string::<i32>(), escapes.as_string::<i32>());
            let mut out = Vec::with_capacity(patterns.len());
            for (pattern, escape) in patterns.iter().zip(escapes.iter()) {
                out.push(match (pattern, escape) {
                    (Some(p), Some(e)) => {
                        let mut chars = e.chars();
                        match (chars.next(), chars.next()) {
                            (None, _) => Some(p.to_string()),
                            (Some(c), None) => Some(like_with_backslash_escape(p, c)),
                            _ => return exec_err!("invalid escape string {e:?}: it must be one character"),
                        }
                    }
                    _ => None,
                });
            }
            Ok(ColumnarValue::Array(Arc::new(StringArray::from(out))))
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::like_with_backslash_escape as convert;

    #[test]
    fn custom_escapes_become_backslashes() {
        assert_eq!(convert("pg/_%", '/'), "pg\\_%");
        assert_eq!(convert("a//b", '/'), "a\\/b");
        assert_eq!(convert("c:\\x_", '!'), "c:\\\\x_");
        assert_eq!(convert("100!%", '!'), "100\\%");
    }
}
