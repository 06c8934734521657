//! Writing query results in the chosen format, to standard output or a file.

use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::dataframe::DataFrame;
use datafusion::execution::context::SessionContext;
use futures::StreamExt;

use super::args::{Format, OutputArgs};
use super::describe;

/// Where results go, and in which format.
pub(super) struct Output {
    format: Format,
    sink: Box<dyn Write + Send>,
    to_terminal: bool,
    /// `-o FILE`: results go to a temporary beside it, renamed over it only when every
    /// statement succeeded, so a failing query never destroys the old file.
    file: Option<PendingFile>,
    /// Set when standard output's reader went away (`| head`): a normal end, not an error.
    pipe_closed: Arc<AtomicBool>,
}

struct PendingFile {
    temporary: PathBuf,
    target: PathBuf,
}

impl Drop for PendingFile {
    fn drop(&mut self) {
        // Still here: the output was not completed.
        let _ = std::fs::remove_file(&self.temporary);
    }
}

/// Standard output that notes a closed pipe.
struct Stdout {
    closed: Arc<AtomicBool>,
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        std::io::stdout().write(buf).inspect_err(|e| self.note(e))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stdout().flush().inspect_err(|e| self.note(e))
    }
}

impl Stdout {
    fn note(&self, e: &std::io::Error) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            self.closed.store(true, Ordering::Relaxed);
        }
    }
}

impl Output {
    pub(super) fn open(args: &OutputArgs, statements: usize) -> Result<Self, String> {
        let pipe_closed = Arc::new(AtomicBool::new(false));
        let mut pending = None;
        let (sink, to_terminal): (Box<dyn Write + Send>, bool) = match &args.output {
            Some(path) => {
                let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
                let name =
                    name.ok_or_else(|| format!("cannot write to {}: not a file name", path.display()))?;
                let nanos = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos());
                let temporary = path.with_file_name(format!(".{name}.tmp-{}-{nanos}", std::process::id()));
                let file =
                    File::create(&temporary).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
                pending = Some(PendingFile {
                    temporary,
                    target: path.clone(),
                });
                (Box::new(BufWriter::new(file)), false)
            }
            None => (
                Box::new(BufWriter::new(Stdout {
                    closed: pipe_closed.clone(),
                })),
                std::io::stdout().is_terminal(),
            ),
        };
        if args.format.is_binary() {
            if to_terminal {
                return Err(format!(
                    "refusing to write {:?} to a terminal: use -o FILE or redirect standard output",
                    args.format
                )
                .to_lowercase());
            }
            if statements > 1 {
                return Err("parquet and arrow output hold one result: give a single statement".into());
            }
        }
        Ok(Output {
            format: args.format,
            sink,
            to_terminal,
            file: pending,
            pipe_closed,
        })
    }

    /// Whether standard output's reader has gone (the rest of the output is not wanted).
    pub(super) fn pipe_closed(&self) -> bool {
        self.pipe_closed.load(Ordering::Relaxed)
    }

    /// Runs the query behind `df` and writes its rows.
    pub(super) async fn write(&mut self, df: DataFrame) -> Result<(), String> {
        let schema: SchemaRef = Arc::new(df.schema().as_arrow().clone());
        let stream = gitfleet::engine::execute_stream(df)
            .await
            .map_err(|e| describe(&e))?;
        // Scan bars while the result is awaited. Streamed rows end them unless they go to a file
        // (`-o`): on the terminal, or through a pager, bars and rows must not interleave.
        let bars = Arc::new(super::progress::ScanBars::start());
        let rows_to_terminal = self.file.is_none() && self.format != Format::Table;
        let first_rows = bars.clone();
        let mut stream = stream.inspect(move |_| {
            if rows_to_terminal {
                first_rows.stop();
            }
        });
        let err = |e: arrow::error::ArrowError| e.to_string();
        let io = |e: std::io::Error| format!("cannot write output: {e}");
        let started = std::time::Instant::now();
        let mut rows = 0usize;
        match self.format {
            Format::Table => {
                let mut batches = Vec::new();
                while let Some(batch) = stream.next().await {
                    let batch = batch.map_err(|e| describe(&e))?;
                    rows += batch.num_rows();
                    batches.push(batch);
                }
                bars.stop();
                if batches.is_empty() {
                    batches.push(RecordBatch::new_empty(schema.clone()));
                }
                let table = arrow::util::pretty::pretty_format_batches(&batches).map_err(err)?;
                writeln!(self.sink, "{table}").map_err(io)?;
            }
            Format::Csv | Format::Tsv => {
                let delimiter = if self.format == Format::Csv { b',' } else { b'\t' };
                let mut writer = arrow::csv::WriterBuilder::new()
                    .with_header(true)
                    .with_delimiter(delimiter)
                    .build(&mut self.sink);
                let mut wrote = false;
                while let Some(batch) = stream.next().await {
                    let batch = flatten_nested(&batch.map_err(|e| describe(&e))?)?;
                    rows += batch.num_rows();
                    writer.write(&batch).map_err(err)?;
                    wrote = true;
                }
                if !wrote {
                    writer
                        .write(&flatten_nested(&RecordBatch::new_empty(schema.clone()))?)
                        .map_err(err)?;
                }
            }
            Format::Json => {
                let mut writer = arrow::json::ArrayWriter::new(&mut self.sink);
                while let Some(batch) = stream.next().await {
                    let batch = batch.map_err(|e| describe(&e))?;
                    rows += batch.num_rows();
                    writer.write(&batch).map_err(err)?;
                }
                writer.finish().map_err(err)?;
                if rows == 0 {
                    write!(self.sink, "[]").map_err(io)?;
                }
                writeln!(self.sink).map_err(io)?;
            }
            Format::Ndjson => {
                let mut writer = arrow::json::LineDelimitedWriter::new(&mut self.sink);
                while let Some(batch) = stream.next().await {
                    let batch = batch.map_err(|e| describe(&e))?;
                    rows += batch.num_rows();
                    writer.write(&batch).map_err(err)?;
                }
                writer.finish().map_err(err)?;
            }
            Format::Parquet => {
                let mut writer = parquet::arrow::ArrowWriter::try_new(&mut self.sink, schema.clone(), None)
                    .map_err(|e| e.to_string())?;
                while let Some(batch) = stream.next().await {
                    let batch = batch.map_err(|e| describe(&e))?;
                    rows += batch.num_rows();
                    writer.write(&batch).map_err(|e| e.to_string())?;
                }
                writer.close().map_err(|e| e.to_string())?;
            }
            Format::Arrow => {
                let mut writer =
                    arrow::ipc::writer::FileWriter::try_new(&mut self.sink, &schema).map_err(err)?;
                while let Some(batch) = stream.next().await {
                    let batch = batch.map_err(|e| describe(&e))?;
                    rows += batch.num_rows();
                    writer.write(&batch).map_err(err)?;
                }
                writer.finish().map_err(err)?;
            }
        }
        bars.stop();
        self.sink.flush().map_err(io)?;
        if self.format == Format::Table && self.to_terminal && std::io::stderr().is_terminal() {
            eprintln!("{rows} row(s) in {:.3}s", started.elapsed().as_secs_f64());
        }
        Ok(())
    }

    /// Completes the output: flushed, and `-o FILE` renamed into place.
    pub(super) fn finish(mut self) -> Result<(), String> {
        if let Err(e) = self.sink.flush() {
            return if self.pipe_closed() {
                Ok(())
            } else {
                Err(format!("cannot write output: {e}"))
            };
        }
        drop(std::mem::replace(&mut self.sink, Box::new(std::io::sink())));
        if let Some(file) = self.file.take() {
            std::fs::rename(&file.temporary, &file.target)
                .map_err(|e| format!("cannot write {}: {e}", file.target.display()))?;
        }
        Ok(())
    }
}

/// CSV cannot hold lists or structs: render such columns as text (`[a, b]`).
fn flatten_nested(batch: &RecordBatch) -> Result<RecordBatch, String> {
    let nested = |dt: &DataType| dt.is_nested();
    if !batch.schema().fields().iter().any(|f| nested(f.data_type())) {
        return Ok(batch.clone());
    }
    let options = FormatOptions::default().with_null("");
    let mut fields = Vec::new();
    let mut columns: Vec<ArrayRef> = Vec::new();
    for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
        if nested(field.data_type()) {
            let formatter = ArrayFormatter::try_new(column.as_ref(), &options).map_err(|e| e.to_string())?;
            let text: StringArray = (0..column.len())
                .map(|i| (!column.is_null(i)).then(|| formatter.value(i).to_string()))
                .collect();
            fields.push(Field::new(field.name(), DataType::Utf8, true));
            columns.push(Arc::new(text));
        } else {
            fields.push(field.as_ref().clone());
            columns.push(column.clone());
        }
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).map_err(|e| e.to_string())
}

/// `gitfleet tables`: every table with its columns and types, then the table functions.
pub(super) async fn tables(ctx: &SessionContext) -> Result<(), String> {
    let sql = format!(
        "SELECT table_name, column_name, data_type FROM information_schema.columns \
         WHERE table_catalog = '{}' AND table_schema = '{}' ORDER BY table_name, ordinal_position",
        gitfleet::engine::CATALOG,
        gitfleet::engine::SCHEMA
    );
    let df = ctx.sql(&sql).await.map_err(|e| describe(&e))?;
    let batches = df.collect().await.map_err(|e| describe(&e))?;
    let mut out = std::io::stdout().lock();
    let mut current = String::new();
    for batch in &batches {
        let col = |i: usize| batch.column(i).as_any().downcast_ref::<StringArray>().cloned();
        let (Some(table), Some(column), Some(ty)) = (col(0), col(1), col(2)) else {
            continue;
        };
        for row in 0..batch.num_rows() {
            if table.value(row) != current {
                current = table.value(row).to_string();
                let _ = writeln!(out, "{current}");
            }
            let _ = writeln!(out, "  {:<24} {}", column.value(row), ty.value(row));
        }
    }
    let _ = writeln!(
        out,
        "\nTable functions: repos('/a', ...), commits('/repo' [, 'rev']), commit_files('/repo' [, 'rev']), \
         refs('/repo'), files('/repo' [, 'rev'])"
    );
    Ok(())
}
