//! Corrections to datafusion-pg-catalog's emulated `pg_catalog` that clients need.
//!
//! Its `pg_index` keeps the vector columns (`indkey`, `indoption`: int2vector; `indclass`,
//! `indcollation`: oidvector) as text such as `"1 2"`, so `unnest(indkey)` — how SQLAlchemy's
//! inspector reads primary keys, unique constraints and indexes — cannot plan. Here they are
//! arrays, as in Postgres; everything else is the emulation's own.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::{Array, ArrayRef, AsArray, Int64Builder, ListBuilder};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::{SchemaProvider, TableProvider};
use datafusion::datasource::MemTable;
use datafusion::error::Result;
use datafusion::prelude::SessionContext;

/// Replaces `catalog`'s `pg_catalog` schema with one whose vector columns are arrays.
pub(super) async fn correct(ctx: &SessionContext, catalog: &str) -> std::result::Result<(), String> {
    let fail = |e: &dyn std::fmt::Display| format!("cannot prepare pg_catalog: {e}");
    let provider = ctx
        .catalog(catalog)
        .ok_or_else(|| fail(&format!("no catalog {catalog}")))?;
    let inner = provider
        .schema("pg_catalog")
        .ok_or_else(|| fail(&"pg_catalog is not set up"))?;
    let batches = ctx
        .sql("SELECT * FROM pg_catalog.pg_index")
        .await
        .map_err(|e| fail(&e))?
        .collect()
        .await
        .map_err(|e| fail(&e))?;
    let pg_index = vectors_as_arrays(&batches).map_err(|e| fail(&e))?;
    let mut tables: HashMap<String, Arc<dyn TableProvider>> = HashMap::new();
    tables.insert("pg_index".into(), Arc::new(pg_index));
    let pg_class = inner
        .table("pg_class")
        .await
        .map_err(|e| fail(&e))?
        .ok_or_else(|| fail(&"pg_class is missing"))?;
    tables.insert(
        "pg_class".into(),
        with_reloptions(pg_class).map_err(|e| fail(&e))?,
    );
    provider
        .register_schema("pg_catalog", Arc::new(Corrected { inner, tables }))
        .map_err(|e| fail(&e))?;
    Ok(())
}

/// `pg_class` plus `reloptions` (text[], NULL: no table has storage options), which
/// SQLAlchemy's get_indexes reads. A view over the emulation's own table, so it stays live.
fn with_reloptions(pg_class: Arc<dyn TableProvider>) -> Result<Arc<dyn TableProvider>> {
    use datafusion::datasource::{provider_as_source, ViewTable};
    use datafusion::logical_expr::{cast, col, lit, LogicalPlanBuilder};
    let columns = pg_class
        .schema()
        .fields()
        .iter()
        .map(|f| col(f.name()))
        .collect::<Vec<_>>();
    let plan = LogicalPlanBuilder::scan("pg_class", provider_as_source(pg_class), None)?
        .project(
            columns.into_iter().chain([cast(
                lit(datafusion::common::ScalarValue::Null),
                DataType::new_list(DataType::Utf8, true),
            )
            .alias("reloptions")]),
        )?
        .build()?;
    Ok(Arc::new(ViewTable::new(plan, None)))
}

/// The element type of each vector column of `pg_index`.
fn vector_element(column: &str) -> Option<DataType> {
    match column {
        "indkey" | "indoption" => Some(DataType::Int16),
        "indclass" | "indcollation" => Some(DataType::Int32),
        _ => None,
    }
}

fn vectors_as_arrays(batches: &[RecordBatch]) -> Result<MemTable> {
    let Some(first) = batches.first() else {
        return datafusion::common::plan_err!("pg_index is empty");
    };
    let fields: Vec<Field> = first
        .schema()
        .fields()
        .iter()
        .map(|f| match vector_element(f.name()) {
            Some(element) => Field::new(f.name(), DataType::new_list(element, true), true),
            None => f.as_ref().clone(),
        })
        .collect();
    let schema = Arc::new(Schema::new(fields));
    let mut out = Vec::with_capacity(batches.len());
    for batch in batches {
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(batch.num_columns());
        for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
            columns.push(match vector_element(field.name()) {
                Some(element) => parse_vectors(column, &element)?,
                None => column.clone(),
            });
        }
        out.push(RecordBatch::try_new(schema.clone(), columns)?);
    }
    MemTable::try_new(schema, vec![out])
}

/// `"1 2"` -> `[1, 2]`, per row, as a list of `element`; NULL stays NULL.
fn parse_vectors(column: &ArrayRef, element: &DataType) -> Result<ArrayRef> {
    let text = cast(column, &DataType::Utf8)?;
    let mut list = ListBuilder::new(Int64Builder::new());
    for row in text.as_string::<i32>().iter() {
        match row {
            Some(s) => {
                for n in s.split_whitespace().filter_map(|n| n.parse::<i64>().ok()) {
                    list.values().append_value(n);
                }
                list.append(true);
            }
            None => list.append(false),
        }
    }
    let parsed: ArrayRef = Arc::new(list.finish());
    Ok(cast(&parsed, &DataType::new_list(element.clone(), true))?)
}

/// The emulated `pg_catalog`, with some tables replaced.
#[derive(Debug)]
struct Corrected {
    inner: Arc<dyn SchemaProvider>,
    tables: HashMap<String, Arc<dyn TableProvider>>,
}

#[async_trait]
impl SchemaProvider for Corrected {
    fn table_names(&self) -> Vec<String> {
        self.inner.table_names()
    }

    async fn table(
        &self,
        name: &str,
    ) -> Result<Option<Arc<dyn TableProvider>>, datafusion::error::DataFusionError> {
        match self.tables.get(&name.to_ascii_lowercase()) {
            Some(table) => Ok(Some(table.clone())),
            None => self.inner.table(name).await,
        }
    }

    fn table_exist(&self, name: &str) -> bool {
        self.inner.table_exist(name)
    }
}

/// `to_regtype(text)` and `to_regclass(text)`: a name's oid from the emulated catalog, NULL when
/// there is no such type or relation (psycopg asks for `hstore` this way; SQLAlchemy binds
/// `CAST($1 AS REGCLASS)`, which `rewrite.rs` turns into `to_regclass($1)`). Also
/// `pg_get_indexdef`, NULL: gitfleet's tables have no indexes, and the emulated system catalog's
/// own index definitions are not known.
pub(super) async fn register_lookups(ctx: &SessionContext) -> std::result::Result<(), String> {
    let types = names_to_oids(ctx, "SELECT typname, 'pg_catalog', oid FROM pg_catalog.pg_type").await?;
    ctx.register_udf(lookup_udf("to_regtype", types, |name| {
        match name {
            "integer" | "int" => "int4",
            "bigint" => "int8",
            "smallint" => "int2",
            "boolean" => "bool",
            "real" => "float4",
            "double precision" => "float8",
            "character varying" => "varchar",
            "timestamp with time zone" => "timestamptz",
            "timestamp without time zone" => "timestamp",
            other => other,
        }
        .to_string()
    }));
    let relations = names_to_oids(
        ctx,
        "SELECT c.relname, n.nspname, c.oid FROM pg_catalog.pg_class c \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace",
    )
    .await?;
    ctx.register_udf(lookup_udf("to_regclass", relations, str::to_string));
    ctx.register_udf(datafusion::logical_expr::create_udf(
        "pg_get_indexdef",
        vec![DataType::Int64, DataType::Int64, DataType::Boolean],
        DataType::Utf8,
        datafusion::logical_expr::Volatility::Stable,
        Arc::new(|_| {
            Ok(datafusion::logical_expr::ColumnarValue::Scalar(
                datafusion::common::ScalarValue::Utf8(None),
            ))
        }),
    ));
    Ok(())
}

/// `name` and `schema.name` (schema `public` or `pg_catalog` implied when missing) -> oid.
async fn names_to_oids(ctx: &SessionContext, sql: &str) -> std::result::Result<HashMap<String, i32>, String> {
    let fail = |e: &dyn std::fmt::Display| format!("cannot read the catalog: {e}");
    let batches = ctx
        .sql(sql)
        .await
        .map_err(|e| fail(&e))?
        .collect()
        .await
        .map_err(|e| fail(&e))?;
    let mut oids = HashMap::new();
    for batch in &batches {
        let name = cast(batch.column(0), &DataType::Utf8).map_err(|e| fail(&e))?;
        let schema = cast(batch.column(1), &DataType::Utf8).map_err(|e| fail(&e))?;
        let oid = cast(batch.column(2), &DataType::Int32).map_err(|e| fail(&e))?;
        let (name, schema) = (name.as_string::<i32>(), schema.as_string::<i32>());
        let oid = oid.as_primitive::<datafusion::arrow::datatypes::Int32Type>();
        for i in 0..batch.num_rows() {
            if name.is_valid(i) && oid.is_valid(i) {
                oids.insert(format!("{}.{}", schema.value(i), name.value(i)), oid.value(i));
                oids.entry(name.value(i).to_string()).or_insert(oid.value(i));
            }
        }
    }
    Ok(oids)
}

fn lookup_udf(
    name: &str,
    oids: HashMap<String, i32>,
    alias: fn(&str) -> String,
) -> datafusion::logical_expr::ScalarUDF {
    use datafusion::arrow::array::Int32Array;
    use datafusion::logical_expr::ColumnarValue;
    let lookup = move |text: &str| -> Option<i32> {
        let name: String = text
            .trim()
            .split('.')
            .map(|part| part.trim_matches('"'))
            .collect::<Vec<_>>()
            .join(".")
            .to_ascii_lowercase();
        oids.get(&alias(&name)).copied()
    };
    datafusion::logical_expr::create_udf(
        name,
        vec![DataType::Utf8],
        DataType::Int32,
        datafusion::logical_expr::Volatility::Stable,
        Arc::new(move |args| {
            let arrays = ColumnarValue::values_to_arrays(args)?;
            let names = cast(&arrays[0], &DataType::Utf8)?;
            let out: Int32Array = names
                .as_string::<i32>()
                .iter()
                .map(|n| n.and_then(&lookup))
                .collect();
            Ok(ColumnarValue::Array(Arc::new(out)))
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::StringArray;

    #[test]
    fn int2vectors_become_arrays() {
        let column: ArrayRef = Arc::new(StringArray::from(vec![Some("1 2"), None, Some("")]));
        let parsed = parse_vectors(&column, &DataType::Int16).unwrap();
        let list = parsed.as_list::<i32>();
        assert_eq!(
            list.value(0)
                .as_primitive::<datafusion::arrow::datatypes::Int16Type>()
                .values(),
            &[1, 2]
        );
        assert!(list.is_null(1));
        assert_eq!(list.value(2).len(), 0);
    }
}
