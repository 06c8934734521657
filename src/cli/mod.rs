//! The CLI front end: argument parsing, statement execution, output, REPL. It sees only the
//! engine (`gitfleet::session`), never git.

mod args;
mod logging;
mod memory;
mod print;
mod progress;
mod repl;

use std::io::{IsTerminal, Read};
use std::process::ExitCode;

use clap::Parser;
use datafusion::execution::context::SessionContext;
use datafusion::sql::parser::DFParser;

use args::{Cli, Command, OutputArgs};
use gitfleet::analyses;
use print::Output;

pub(crate) fn main() -> ExitCode {
    memory::tune_allocator();
    let cli = Cli::parse();
    logging::init(cli.quiet, cli.verbose);
    // Statements are planned on this thread: it gets the engine's deep stack, as do the
    // runtime's workers that run them.
    let outcome = gitfleet::engine::on_engine_stack(move || {
        let runtime = gitfleet::engine::runtime().map_err(|e| format!("cannot start the runtime: {e}"))?;
        runtime.block_on(run(cli))
    });
    match outcome {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(message)) => fail(&message),
        Err(e) => fail(&format!("cannot start the main thread: {e}")),
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("error: {}", message.trim().replace('\n', " "));
    ExitCode::FAILURE
}

async fn run(cli: Cli) -> Result<(), String> {
    if let Command::Serve {
        hash_password: true, ..
    } = &cli.command
    {
        return hash_password();
    }
    let mut config = gitfleet::EngineConfig {
        repos: cli.repos.clone(),
        cache_dir: cli.cache_dir.clone(),
        no_stats_cache: cli.no_stats_cache,
        clone_jobs: Some(usize::from(cli.clone_jobs)),
        refresh: cli.refresh,
        strict: cli.strict,
        github_no_wait: cli.no_wait,
        workers: cli.workers.clone(),
        workers_share_paths: cli.workers_share_paths,
        clone_observer: (std::io::stderr().is_terminal() && !cli.quiet)
            .then(|| std::sync::Arc::new(progress::Bars::new(cli.strict)) as _),
        ..Default::default()
    };
    if let Command::Worker { listen } = &cli.command {
        if !config.workers.is_empty() {
            return Err("a worker does not take --workers (only coordinators do)".into());
        }
        gitfleet::engine::check_worker_listen(listen)?;
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        eprintln!(
            "gitfleet worker listening on {addr} (cache {})",
            config.cache_dir().display()
        );
        return gitfleet::engine::serve_worker(&config, listener).await;
    }
    if !config.workers.is_empty() {
        gitfleet::engine::parse_workers(&config.workers)?;
    }
    if std::io::stderr().is_terminal() && !cli.quiet && !matches!(cli.command, Command::Serve { .. }) {
        progress::enable_scan_bars();
    }
    if let Command::Serve {
        memory_limit,
        query_threads,
        max_clone_size,
        allow_repo,
        allow_refresh,
        github,
        ..
    } = &cli.command
    {
        // The server's queries share one memory pool and spill under the cache directory;
        // its clients reach only what it serves.
        config.memory_limit = Some(*memory_limit);
        config.max_clone_size = Some(*max_clone_size);
        config.query_threads = Some(match query_threads {
            0 => std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1)),
            n => *n,
        });
        // A client does not see the server's warnings (pgwire cannot send a NOTICE while rows
        // stream), so a repository that cannot be cloned fails the query rather than being
        // skipped silently: never a partial result passed off as complete.
        config.strict = true;
        config.spill_dir = Some(config.cache_dir().join("spill"));
        config.access = Some(gitfleet::engine::AccessConfig {
            allow_repo: allow_repo.clone(),
            allow_refresh: *allow_refresh,
            github: *github,
        });
    }
    let ctx = gitfleet::session(&config).map_err(|e| describe(&e))?;
    match cli.command {
        Command::Sql {
            query,
            file,
            params,
            output,
        } => {
            let sql = match (query, file) {
                (Some(q), None) => q,
                (None, Some(path)) => std::fs::read_to_string(&path)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?,
                (Some(_), Some(_)) => return Err("give either a QUERY or -f FILE, not both".into()),
                (None, None) if std::io::stdin().is_terminal() => {
                    return repl::run(&ctx, &config, &output).await;
                }
                (None, None) => {
                    let mut sql = String::new();
                    std::io::stdin()
                        .read_to_string(&mut sql)
                        .map_err(|e| format!("cannot read standard input: {e}"))?;
                    sql
                }
            };
            execute_all(&ctx, &sql, &params, &output).await
        }
        Command::Run { name, params, output } => {
            let Some(name) = name else {
                for a in analyses::ANALYSES {
                    let params: String = a.params().iter().map(|p| format!(" --param {p}=...")).collect();
                    println!("{:<28} {}{params}", a.name, a.description());
                }
                return Ok(());
            };
            let analysis = analyses::find(&name).ok_or_else(|| {
                let names: Vec<&str> = analyses::ANALYSES.iter().map(|a| a.name).collect();
                format!("no analysis named '{name}'; available: {}", names.join(", "))
            })?;
            let params = analysis.bind(&params)?;
            execute_all(&ctx, analysis.sql, &params, &output).await
        }
        Command::Tables => print::tables(&ctx).await,
        Command::Report {
            output,
            since,
            github,
            title,
        } => {
            let options = gitfleet::report::ReportOptions { since, github, title };
            report(&ctx, &options, &output, config.strict, cli.quiet).await
        }
        // Served above, before a session is built.
        Command::Worker { .. } => Ok(()),
        Command::Serve {
            listen,
            password_file,
            users_file,
            tls_cert,
            tls_key,
            max_connections,
            statement_timeout,
            max_result_rows,
            memory_limit,
            query_memory_limit,
            ..
        } => {
            let password = match password_file {
                Some(path) => Some(
                    std::fs::read_to_string(&path)
                        .map_err(|e| format!("cannot read password file {}: {e}", path.display()))?
                        .trim_end_matches(['\r', '\n'])
                        .to_string(),
                ),
                None => std::env::var("GITFLEET_PASSWORD").ok(),
            }
            .filter(|p| !p.is_empty())
            // A users file replaces the shared password (GITFLEET_PASSWORD is then ignored).
            .filter(|_| users_file.is_none());
            let mut options = gitfleet::server::ServeOptions::new(listen);
            options.password = password;
            options.users_file = users_file;
            options.query_memory_limit =
                Some(query_memory_limit.map_or(memory_limit / 4, |n| n.min(memory_limit)));
            options.tls = tls_cert.zip(tls_key);
            options.max_connections = max_connections.max(1);
            options.statement_timeout = Some(statement_timeout).filter(|t| !t.is_zero());
            options.max_result_rows = Some(max_result_rows).filter(|n| *n > 0);
            gitfleet::server::serve(ctx, options).await
        }
    }
}

/// `gitfleet report`: the sections' progress on a terminal, over the scans' bars; the file is
/// written only once the report is whole. Under `--strict`, a repository that cannot be read or
/// a section that cannot be computed fails the command instead of being shown in the page.
async fn report(
    ctx: &SessionContext,
    options: &gitfleet::report::ReportOptions,
    output: &std::path::Path,
    strict: bool,
    quiet: bool,
) -> Result<(), String> {
    let headline = progress::Headline::default();
    let bars = progress::ScanBars::start_with(Some(headline.clone()));
    let built = gitfleet::report::build(ctx, options, &|step| {
        headline.set(step.index, step.total, &step.title);
    })
    .await;
    bars.stop();
    let report = built.map_err(|e| e.message)?;
    if strict {
        if let Some((repo, error)) = report.failed.first() {
            return Err(format!("cannot report on {repo}: {error}"));
        }
        if let Some(error) = report.section_errors.first() {
            return Err(format!("a report section failed: {error}"));
        }
    }
    gitfleet::report::write(output, &report.html)?;
    if !quiet {
        let failed = match report.failed.len() {
            0 => String::new(),
            n => format!("; {n} could not be read, listed in its header"),
        };
        let ready = report.repositories.len() - report.failed.len();
        let noun = if ready == 1 { "repository" } else { "repositories" };
        eprintln!("wrote {} ({ready} {noun}{failed})", output.display());
    }
    Ok(())
}

/// `serve --hash-password`: one password line from standard input, its verifier on stdout.
fn hash_password() -> Result<(), String> {
    if std::io::stdin().is_terminal() {
        eprintln!("password (input is shown; pipe it in to keep it off the screen):");
    }
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the password: {e}"))?;
    let password = line.trim_end_matches(['\r', '\n']);
    if password.is_empty() {
        return Err("empty password".into());
    }
    println!("{}", gitfleet::server::hash_password(password));
    Ok(())
}

/// Runs every statement of `sql` in order, printing each result; `params` are the values of
/// its named parameters (`$owner`).
pub(crate) async fn execute_all(
    ctx: &SessionContext,
    sql: &str,
    params: &[(String, String)],
    output: &OutputArgs,
) -> Result<(), String> {
    let generic = datafusion::sql::sqlparser::dialect::GenericDialect {};
    gitfleet::engine::check_text(sql, &generic).map_err(|e| e.message)?;
    let statements = DFParser::parse_sql(sql).map_err(|e| describe(&e))?;
    if statements.is_empty() {
        return Err("no SQL statement given".into());
    }
    let mut out = Output::open(output, statements.len())?;
    for mut statement in statements {
        gitfleet::engine::check_df_nesting(&mut statement).map_err(|e| e.message)?;
        let state = ctx.state();
        let plan = state
            .statement_to_plan(statement)
            .await
            .map_err(|e| describe(&e))?;
        let plan = if params.is_empty() {
            plan
        } else {
            let values: Vec<(String, datafusion::scalar::ScalarValue)> = params
                .iter()
                .map(|(k, v)| (k.clone(), datafusion::scalar::ScalarValue::Utf8(Some(v.clone()))))
                .collect();
            plan.with_param_values(values).map_err(|e| describe(&e))?
        };
        let df = ctx.execute_logical_plan(plan).await.map_err(|e| describe(&e))?;
        let written = out.write(df).await;
        // A reader that stopped early (`| head -1`) is a normal end, as for other CLIs.
        if out.pipe_closed() {
            return Ok(());
        }
        written?;
    }
    out.finish()
}

/// One readable line for an error: our own messages as they are, DataFusion's without the
/// wrapping it adds around errors that crossed a stream.
pub(crate) use gitfleet::engine::describe;
