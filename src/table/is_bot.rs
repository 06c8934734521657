//! `is_bot(name, email)`: the bot rules of `source/git/bots.rs` as a SQL function, for any table
//! with people in it (`blame`, `commit_files` joined with `commits`, the GitHub tables'
//! logins); `commits.author_is_bot` is the same rule on the commit's author.

use std::sync::Arc;

use arrow::array::{Array, BooleanArray};
use arrow::datatypes::DataType;
use datafusion::common::cast::as_string_array;
use datafusion::common::ScalarValue;
use datafusion::logical_expr::{create_udf, ColumnarValue, ScalarUDF, Volatility};

use crate::source::git::bots::BotRules;

/// The function, with the session's bot patterns.
pub(crate) fn udf(patterns: Vec<String>) -> ScalarUDF {
    let rules = BotRules::new(patterns);
    create_udf(
        "is_bot",
        vec![DataType::Utf8, DataType::Utf8],
        DataType::Boolean,
        Volatility::Immutable,
        Arc::new(move |args: &[ColumnarValue]| {
            let scalar = args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_)));
            let arrays = ColumnarValue::values_to_arrays(args)?;
            let (names, emails) = (as_string_array(&arrays[0])?, as_string_array(&arrays[1])?);
            // Unknown when both are unknown; one missing part is read as empty.
            let out: BooleanArray = (0..names.len())
                .map(|i| {
                    let name = names.is_valid(i).then(|| names.value(i));
                    let email = emails.is_valid(i).then(|| emails.value(i));
                    (name.is_some() || email.is_some())
                        .then(|| rules.is_bot(name.unwrap_or_default(), email.unwrap_or_default()))
                })
                .collect();
            if scalar {
                return Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(&out, 0)?));
            }
            Ok(ColumnarValue::Array(Arc::new(out)))
        }),
    )
}
