//! Column and schema builders shared by the table files.
//!
//! Every column is nullable so that columns a scan does not compute can be left null before
//! projection removes them.

use std::sync::Arc;

use arrow::array::{ArrayRef, StringArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};

pub(crate) fn utf8(name: &str) -> Field {
    Field::new(name, DataType::Utf8, true)
}

pub(crate) fn int64(name: &str) -> Field {
    Field::new(name, DataType::Int64, true)
}

pub(crate) fn int32(name: &str) -> Field {
    Field::new(name, DataType::Int32, true)
}

pub(crate) fn boolean(name: &str) -> Field {
    Field::new(name, DataType::Boolean, true)
}

pub(crate) fn timestamp(name: &str) -> Field {
    Field::new(
        name,
        DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
        true,
    )
}

pub(crate) fn utf8_list(name: &str) -> Field {
    Field::new(
        name,
        DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
        true,
    )
}

pub(crate) fn schema_of(fields: Vec<Field>) -> SchemaRef {
    Arc::new(Schema::new(fields))
}

/// The `repo` column of a batch: the same name on every row.
pub(crate) fn repeated(value: &str, len: usize) -> ArrayRef {
    Arc::new(StringArray::from_iter_values(std::iter::repeat_n(value, len)))
}
