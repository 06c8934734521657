//! The interactive shell: multi-line statements ending in ';', history, `\d`, `\q`, Ctrl-C
//! cancels a running query.

use datafusion::execution::context::SessionContext;
use rustyline::error::ReadlineError;
use rustyline::DefaultEditor;

use super::args::OutputArgs;
use super::{describe, execute_all};

const HELP: &str = "\\d            list tables\n\\d TABLE      columns of TABLE\n\\q            quit\n\
statements end with ';' and may span lines; Ctrl-C cancels a running query";

pub(super) async fn run(
    ctx: &SessionContext,
    config: &gitfleet::EngineConfig,
    output: &OutputArgs,
) -> Result<(), String> {
    let mut editor = DefaultEditor::new().map_err(|e| format!("cannot start the shell: {e}"))?;
    let history = config.cache_dir().join("history.txt");
    let _ = std::fs::create_dir_all(config.cache_dir());
    let _ = editor.load_history(&history);
    eprintln!(
        "gitfleet {} — SQL over git. \\? for help, \\q to quit.",
        env!("CARGO_PKG_VERSION")
    );
    let mut buffer = String::new();
    loop {
        let prompt = if buffer.is_empty() {
            "gitfleet> "
        } else {
            "      -> "
        };
        let line = match editor.readline(prompt) {
            Ok(line) => line,
            Err(ReadlineError::Interrupted) => {
                buffer.clear();
                continue;
            }
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(format!("cannot read input: {e}")),
        };
        let trimmed = line.trim();
        if buffer.is_empty() && trimmed.starts_with('\\') {
            let _ = editor.add_history_entry(gitfleet::engine::mask_credentials(trimmed));
            if !backslash(ctx, trimmed, output).await {
                break;
            }
            continue;
        }
        if trimmed.is_empty() && buffer.is_empty() {
            continue;
        }
        buffer.push_str(&line);
        buffer.push('\n');
        if !trimmed.ends_with(';') {
            continue;
        }
        let sql = std::mem::take(&mut buffer);
        // The history file keeps no URL credentials.
        let _ = editor.add_history_entry(gitfleet::engine::mask_credentials(sql.trim()));
        tokio::select! {
            result = execute_all(ctx, &sql, &[], output) => {
                if let Err(message) = result {
                    eprintln!("error: {}", message.replace('\n', " "));
                }
            }
            _ = tokio::signal::ctrl_c() => eprintln!("query cancelled"),
        }
    }
    let _ = editor.save_history(&history);
    Ok(())
}

/// Handles a backslash command; returns false to quit.
async fn backslash(ctx: &SessionContext, command: &str, output: &OutputArgs) -> bool {
    let mut parts = command.split_whitespace();
    match (parts.next(), parts.next()) {
        (Some("\\q"), _) => return false,
        (Some("\\?") | Some("\\h"), _) => eprintln!("{HELP}"),
        (Some("\\d"), None) => {
            if let Err(e) = super::print::tables(ctx).await {
                eprintln!("error: {e}");
            }
        }
        (Some("\\d"), Some(table)) => {
            let sql = format!(
                "SELECT column_name, data_type FROM information_schema.columns \
                 WHERE table_name = '{}' ORDER BY ordinal_position",
                table.replace('\'', "''")
            );
            match ctx.sql(&sql).await.map_err(|e| describe(&e)) {
                Ok(df) => match df.clone().count().await {
                    Ok(0) => eprintln!("error: no table named '{table}'"),
                    _ => {
                        if let Err(e) = execute_all(ctx, &sql, &[], output).await {
                            eprintln!("error: {e}");
                        }
                    }
                },
                Err(e) => eprintln!("error: {e}"),
            }
        }
        _ => eprintln!("unknown command {command}; \\? for help"),
    }
    true
}
