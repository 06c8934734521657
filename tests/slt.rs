//! SQL behaviour specs: every `tests/slt/*.slt` file runs against the engine, with `{{basic}}`,
//! `{{trailers}}`, `{{linguist}}` and `{{empty}}` replaced by the fixture repositories' paths.

mod common;

use std::path::Path;

use arrow::datatypes::DataType;
use async_trait::async_trait;
use datafusion::execution::context::SessionContext;
use sqllogictest::{DBOutput, DefaultColumnType};

struct Engine {
    ctx: SessionContext,
}

#[derive(Debug)]
struct SqlError(String);

impl std::fmt::Display for SqlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SqlError {}

#[async_trait]
impl sqllogictest::AsyncDB for Engine {
    type Error = SqlError;
    type ColumnType = DefaultColumnType;

    async fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, SqlError> {
        let err = |e: datafusion::error::DataFusionError| SqlError(e.to_string());
        let df = self.ctx.sql(sql).await.map_err(err)?;
        let types = df
            .schema()
            .fields()
            .iter()
            .map(|f| match f.data_type() {
                DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 | DataType::UInt64 => {
                    DefaultColumnType::Integer
                }
                DataType::Float32 | DataType::Float64 => DefaultColumnType::FloatingPoint,
                DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => DefaultColumnType::Text,
                _ => DefaultColumnType::Any,
            })
            .collect();
        let batches = df.collect().await.map_err(err)?;
        let mut rows: Vec<Vec<String>> = Vec::new();
        for row in common::rows(&batches) {
            // Empty strings need a visible marker; multi-line cells (plans) become one row per
            // line, as the expected output is written line by line.
            let cells: Vec<String> = row
                .into_iter()
                .map(|c| match c.trim_end() {
                    "" => "(empty)".to_string(),
                    t => t.to_string(),
                })
                .collect();
            let joined = cells.join(" ");
            if joined.contains('\n') {
                rows.extend(joined.lines().map(|l| vec![l.to_string()]));
            } else {
                rows.push(cells);
            }
        }
        Ok(DBOutput::Rows { types, rows })
    }

    async fn shutdown(&mut self) {}

    fn engine_name(&self) -> &str {
        "gitfleet"
    }
}

#[test]
fn slt_specs() {
    let basic = common::fixture("basic");
    let empty = common::empty_repo();
    let trailers = common::fixture("trailers");
    let linguist = common::fixture("linguist");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/slt");
    let out_dir = common::scratch_dir("slt");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let (mut passed, mut failed) = (0, 0);
    for file in files.iter().filter(|p| p.extension().is_some_and(|e| e == "slt")) {
        let text = std::fs::read_to_string(file)
            .unwrap()
            .replace("{{basic}}", &basic.display().to_string())
            .replace("{{empty}}", &empty.display().to_string())
            .replace("{{trailers}}", &trailers.display().to_string())
            .replace("{{linguist}}", &linguist.display().to_string());
        let target = out_dir.join(file.file_name().unwrap());
        std::fs::write(&target, text).unwrap();
        let basic = basic.clone();
        let mut runner = sqllogictest::Runner::new(move || {
            let basic = basic.clone();
            async move {
                let config = gitfleet::EngineConfig {
                    repos: vec![basic.display().to_string()],
                    cache_dir: Some(common::scratch_dir("cache")),
                    ..Default::default()
                };
                let ctx = gitfleet::session(&config).map_err(|e| SqlError(e.to_string()))?;
                Ok(Engine { ctx })
            }
        });
        match runtime.block_on(runner.run_file_async(&target)) {
            Ok(()) => passed += 1,
            Err(e) => {
                failed += 1;
                eprintln!("{}: {e}", file.display());
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    assert_eq!(failed, 0, "slt specs failed");
    assert!(passed > 0, "no slt file ran");
}
