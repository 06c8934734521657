//! `gitfleet serve`: the engine over the Postgres wire protocol (datafusion-postgres + pgwire),
//! so `psql`, psycopg, SQLAlchemy and BI tools connect to it. A front end: it sees the engine's
//! session, never git.
//!
//! Safe by default: loopback only unless a password is set, read-only, TLS when given a
//! certificate and key, one log line per query on stderr. Each connection has its own session
//! (its `SET`s are its own) over the shared tables, views and memory pool; connections, statement
//! time and result rows are limited by the operator's options.

/// One line on the server's stderr. A log that cannot be written (the operator's terminal or
/// log pipe went away) must not take a client's query down with it: `eprintln!` would panic.
macro_rules! log_line {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}
pub(crate) use log_line;

mod auth;
mod catalog;
mod connections;
mod cursors;
mod functions;
mod guard;
mod memory;
mod query_log;
mod rewrite;
mod service;

use std::fmt::Debug;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::execution::context::SessionContext;
use datafusion::logical_expr::{create_udf, ColumnarValue, Volatility};
use datafusion_postgres::datafusion_pg_catalog::pg_catalog::context::EmptyContextProvider;
use datafusion_postgres::datafusion_pg_catalog::setup_pg_catalog;
use datafusion_postgres::hooks::set_show::SetShowHook;
use datafusion_postgres::hooks::transactions::TransactionStatementHook;
use datafusion_postgres::pgwire;
use datafusion_postgres::{DfSessionService, QueryHook};
use futures::Sink;
use pgwire::api::auth::noop::NoopStartupHandler;
use pgwire::api::auth::sasl::scram::ScramAuth;
use pgwire::api::auth::sasl::SASLAuthStartupHandler;
use pgwire::api::auth::{DefaultServerParameterProvider, StartupHandler};
use pgwire::api::query::{ExtendedQueryHandler, SimpleQueryHandler};
use pgwire::api::{ClientInfo, ConnectionManager, ErrorHandler, PgWireServerHandlers};
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};
use pgwire::tokio::tokio_rustls::rustls;
use pgwire::tokio::TlsAcceptor;

use crate::analyses;
use crate::engine::CATALOG;

/// How to serve.
#[derive(Clone)]
pub struct ServeOptions {
    pub listen: SocketAddr,
    /// Clients must send this password (any user name). Required off loopback (or `users`).
    pub password: Option<String>,
    /// A users file (`user:SCRAM-SHA-256$...` lines) instead of one shared password.
    pub users_file: Option<PathBuf>,
    /// PEM certificate chain and private key: TLS is offered when both are given.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Clients connected at once; the next one gets SQLSTATE 53300.
    pub max_connections: usize,
    /// Statement timeout of clients that set none.
    pub statement_timeout: Option<Duration>,
    /// Most rows one result may have.
    pub max_result_rows: Option<usize>,
    /// Memory one connection's queries may hold, within the server's pool (None: only the
    /// server's pool bounds it).
    pub query_memory_limit: Option<u64>,
}

impl ServeOptions {
    /// Serve on `listen` with the defaults: no password, no TLS, 64 connections, no timeout
    /// and no row limit.
    pub fn new(listen: SocketAddr) -> Self {
        ServeOptions {
            listen,
            password: None,
            users_file: None,
            tls: None,
            max_connections: 64,
            statement_timeout: None,
            max_result_rows: None,
            query_memory_limit: None,
        }
    }
}

impl Debug for ServeOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServeOptions")
            .field("listen", &self.listen)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("users_file", &self.users_file)
            .field("tls", &self.tls)
            .field("max_connections", &self.max_connections)
            .field("statement_timeout", &self.statement_timeout)
            .field("max_result_rows", &self.max_result_rows)
            .field("query_memory_limit", &self.query_memory_limit)
            .finish()
    }
}

/// A users-file line's verifier for `password` (`gitfleet serve --hash-password`).
pub fn hash_password(password: &str) -> String {
    auth::hash_password(password)
}

/// Serves `ctx` until the process ends. Errors (bad options, port in use, bad certificate)
/// come back as one line before anything is served.
pub async fn serve(ctx: SessionContext, options: ServeOptions) -> Result<(), String> {
    let accounts = match (&options.users_file, &options.password) {
        (Some(_), Some(_)) => {
            return Err(
                "give either a users file or a password (GITFLEET_PASSWORD, --password-file), not both"
                    .into(),
            )
        }
        (Some(path), None) => Some(auth::Accounts::load(path)?),
        (None, Some(password)) => Some(auth::Accounts::shared(password)),
        (None, None) => None,
    };
    if !options.listen.ip().is_loopback() && accounts.is_none() {
        return Err(format!(
            "refusing to listen on {} without a password: set GITFLEET_PASSWORD, --password-file \
             or --users-file (loopback addresses need none)",
            options.listen
        ));
    }
    if !options.listen.ip().is_loopback() && options.tls.is_none() {
        log_line!(
            "gitfleet serve: warning: listening on {} without TLS: passwords are safe (SCRAM), \
             query text and results are not; give --tls-cert and --tls-key",
            options.listen
        );
    }
    let tls = match &options.tls {
        Some((cert, key)) => Some(tls_acceptor(cert, key)?),
        None => None,
    };
    prepare(&ctx).await?;
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", options.listen))?;
    let local = listener
        .local_addr()
        .map_err(|e| format!("cannot listen on {}: {e}", options.listen))?;
    log_line!(
        "gitfleet serve: listening on {local} (database {CATALOG}{}{}); one line per query follows",
        if tls.is_some() { ", TLS" } else { "" },
        match &accounts {
            Some(auth::Accounts::Users(users)) => format!(", SCRAM-SHA-256 for {} users", users.len()),
            Some(auth::Accounts::Shared(_)) => ", SCRAM-SHA-256 password required".to_string(),
            None => String::new(),
        },
    );
    if matches!(accounts, Some(auth::Accounts::Users(_))) {
        // Per-user grants: a connection's session reads nothing until its user has logged in.
        ctx.state_ref()
            .write()
            .config_mut()
            .set_extension(Arc::new(crate::engine::UserGrant::Pending));
    }
    let server = Arc::new(Server {
        base: ctx,
        connections: Arc::new(connections::Connections::default()),
        manager: Arc::new(ConnectionManager::new()),
        accounts: accounts.map(Arc::new),
        limits: service::QueryLimits {
            statement_timeout: options.statement_timeout,
            max_result_rows: options.max_result_rows,
        },
        max_connections: options.max_connections,
        active: AtomicUsize::new(0),
        query_memory_limit: options
            .query_memory_limit
            .map(|l| usize::try_from(l).unwrap_or(usize::MAX)),
    });
    loop {
        let (socket, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                log_line!("gitfleet serve: accept failed: {e}");
                continue;
            }
        };
        let server = server.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            // Counted from accept to close; over the limit, the startup handler refuses it.
            let over_limit = server.active.fetch_add(1, Ordering::SeqCst) >= server.max_connections;
            let _active = Active(&server.active);
            let (socket, watcher) = match split_watcher(socket) {
                Ok(pair) => pair,
                Err(e) => {
                    log_line!("{peer} connection error: {e}");
                    return;
                }
            };
            let watching = server.connections.watch(peer, watcher);
            let handlers = Arc::new(server.handlers(peer, over_limit));
            if let Err(e) = pgwire::tokio::process_socket(socket, tls, handlers).await {
                log_line!("{peer} connection error: {e}");
            }
            // The watcher's handle would keep the socket open after pgwire is done with it.
            watching.abort();
        });
    }
}

/// Decrements the open-connection count when a connection's task ends.
struct Active<'a>(&'a AtomicUsize);

impl Drop for Active<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The socket, and a second handle on it for the disconnect watcher.
fn split_watcher(
    socket: tokio::net::TcpStream,
) -> std::io::Result<(tokio::net::TcpStream, tokio::net::TcpStream)> {
    let std_socket = socket.into_std()?;
    let watcher = std_socket.try_clone()?;
    Ok((
        tokio::net::TcpStream::from_std(std_socket)?,
        tokio::net::TcpStream::from_std(watcher)?,
    ))
}

/// pg_catalog for client introspection, and every `sql/` analysis as a view.
async fn prepare(ctx: &SessionContext) -> Result<(), String> {
    setup_pg_catalog(ctx, CATALOG, EmptyContextProvider)
        .map_err(|e| format!("cannot set up pg_catalog: {e}"))?;
    catalog::correct(ctx, CATALOG).await?;
    // Clients parse version() (SQLAlchemy: "PostgreSQL X.Y"); DataFusion's says "Apache DataFusion".
    let version = format!(
        "PostgreSQL 16.6 (GitFleet {} on Apache DataFusion, read-only)",
        env!("CARGO_PKG_VERSION")
    );
    ctx.register_udf(create_udf(
        "version",
        vec![],
        DataType::Utf8,
        Volatility::Stable,
        Arc::new(move |_| Ok(ColumnarValue::Scalar(ScalarValue::Utf8(Some(version.clone()))))),
    ));
    // Every collation is in the search path (there is only the default one).
    ctx.register_udf(create_udf(
        "pg_collation_is_visible",
        vec![DataType::Int32],
        DataType::Boolean,
        Volatility::Stable,
        Arc::new(|_| Ok(ColumnarValue::Scalar(ScalarValue::Boolean(Some(true))))),
    ));
    ctx.register_udf(datafusion::logical_expr::ScalarUDF::new_from_impl(
        functions::JsonBuildObject::new(),
    ));
    ctx.register_udf(functions::like_escape_udf());
    // No table has a serial column, so no column has a sequence (SQLAlchemy's get_columns asks).
    ctx.register_udf(create_udf(
        "pg_get_serial_sequence",
        vec![DataType::Utf8, DataType::Utf8],
        DataType::Utf8,
        Volatility::Stable,
        Arc::new(|_| Ok(ColumnarValue::Scalar(ScalarValue::Utf8(None)))),
    ));
    // An analysis with parameters (the GitHub ones: which repository) cannot be a view.
    for analysis in analyses::ANALYSES.iter().filter(|a| a.params().is_empty()) {
        let body = analysis.sql.trim().trim_end_matches(';');
        ctx.sql(&format!("CREATE VIEW {} AS {body}", analysis.name))
            .await
            .map_err(|e| format!("cannot create view {}: {e}", analysis.name))?;
    }
    // After the views: to_regclass() knows them too.
    catalog::register_lookups(ctx).await?;
    Ok(())
}

fn tls_acceptor(cert: &PathBuf, key: &PathBuf) -> Result<TlsAcceptor, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let _ = rustls::crypto::ring::default_provider().install_default();
    let certs = CertificateDer::pem_file_iter(cert)
        .and_then(|i| i.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("cannot read TLS certificate {}: {e}", cert.display()))?;
    if certs.is_empty() {
        return Err(format!("no certificate in {}", cert.display()));
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| format!("cannot read TLS private key {}: {e}", key.display()))?;
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| format!("bad TLS certificate or key: {e}"))?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// What every connection shares.
struct Server {
    /// The session every connection's own session is copied from: tables, views, functions,
    /// settings and the runtime (memory pool, spill directory).
    base: SessionContext,
    connections: Arc<connections::Connections>,
    manager: Arc<ConnectionManager>,
    accounts: Option<Arc<auth::Accounts>>,
    limits: service::QueryLimits,
    max_connections: usize,
    active: AtomicUsize,
    query_memory_limit: Option<usize>,
}

impl Server {
    /// A connection's session state: the base session's, with a memory pool of its own
    /// (`--query-memory-limit`) layered over the server's.
    fn connection_state(&self, peer: SocketAddr) -> datafusion::execution::SessionState {
        let base = self.base.state();
        let Some(limit) = self.query_memory_limit else {
            return base;
        };
        let server_pool = base.runtime_env().memory_pool.clone();
        let pool = Arc::new(memory::ConnectionPool::new(
            &server_pool,
            limit,
            &peer.to_string(),
        ));
        match datafusion::execution::runtime_env::RuntimeEnvBuilder::from_runtime_env(base.runtime_env())
            .with_memory_pool(pool)
            .build_arc()
        {
            Ok(runtime) => datafusion::execution::SessionStateBuilder::new_from_existing(base)
                .with_runtime_env(runtime)
                .build(),
            Err(e) => {
                log_line!("{peer} connection memory pool not set up ({e}); the server's pool bounds it");
                base
            }
        }
    }

    /// One connection's handlers, over a session of its own: its `SET`s change only its
    /// settings. The copy shares the catalog, so tables are the server's; its memory pool is
    /// its own share of the server's (`connection_state`).
    fn handlers(&self, peer: SocketAddr, over_limit: bool) -> Handlers {
        let ctx = Arc::new(SessionContext::new_with_state(self.connection_state(peer)));
        let cursors = Arc::new(cursors::DescribedCursors::default());
        let hooks: Vec<Arc<dyn QueryHook>> = vec![
            Arc::new(service::SavepointHook),
            cursors.clone(),
            Arc::new(SetShowHook),
            Arc::new(TransactionStatementHook),
        ];
        let inner = Arc::new(DfSessionService::new_with_hooks(ctx.clone(), hooks));
        let startup = match &self.accounts {
            None => Startup::Open(OpenStartup(self.manager.clone())),
            Some(accounts) => Startup::Password(Box::new(
                SASLAuthStartupHandler::new(Arc::new(DefaultServerParameterProvider::default()))
                    .with_scram(ScramAuth::new(accounts.clone()))
                    .with_connection_manager(self.manager.clone()),
            )),
        };
        Handlers {
            service: Arc::new(service::Service::new(
                inner,
                cursors,
                self.connections.clone(),
                self.limits,
            )),
            startup: Arc::new(Gate {
                inner: startup,
                peer,
                over_limit,
                max_connections: self.max_connections,
                session: ctx,
                accounts: self.accounts.clone(),
            }),
            cancel: Arc::new(connections::Canceller {
                manager: self.manager.clone(),
                connections: self.connections.clone(),
            }),
        }
    }
}

struct Handlers {
    service: Arc<service::Service>,
    startup: Arc<Gate>,
    cancel: Arc<connections::Canceller>,
}

impl PgWireServerHandlers for Handlers {
    fn simple_query_handler(&self) -> Arc<impl SimpleQueryHandler> {
        self.service.clone()
    }

    fn extended_query_handler(&self) -> Arc<impl ExtendedQueryHandler> {
        self.service.clone()
    }

    fn startup_handler(&self) -> Arc<impl StartupHandler> {
        self.startup.clone()
    }

    fn error_handler(&self) -> Arc<impl ErrorHandler> {
        Arc::new(QuietErrors)
    }

    fn cancel_handler(&self) -> Arc<impl pgwire::api::cancel::CancelHandler> {
        self.cancel.clone()
    }
}

/// Query errors are logged by the query log; nothing more to say here.
struct QuietErrors;

impl ErrorHandler for QuietErrors {}

/// No authentication (loopback without a password), but cancel requests still work.
struct OpenStartup(Arc<ConnectionManager>);

impl NoopStartupHandler for OpenStartup {
    fn connection_manager(&self) -> Option<Arc<ConnectionManager>> {
        Some(self.0.clone())
    }
}

/// Before authentication: the connection limit and the database name; after a failed password,
/// a log line (user and address, never the password) and a pause that slows guessing down.
struct Gate {
    inner: Startup,
    peer: SocketAddr,
    over_limit: bool,
    max_connections: usize,
    /// The connection's own session, which gets the user's grant once they have logged in.
    session: Arc<SessionContext>,
    accounts: Option<Arc<auth::Accounts>>,
}

/// A startup error: FATAL, so pgwire closes the connection after sending it.
fn fatal(code: &str, message: String) -> PgWireError {
    PgWireError::UserError(Box::new(pgwire::error::ErrorInfo::new(
        "FATAL".to_string(),
        code.to_string(),
        message,
    )))
}

#[async_trait]
impl StartupHandler for Gate {
    async fn on_startup<C>(&self, client: &mut C, message: PgWireFrontendMessage) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        if let PgWireFrontendMessage::Startup(startup) = &message {
            let user = startup.parameters.get("user").map_or("", String::as_str);
            if self.over_limit {
                log_line!(
                    "{} user={} refused: too many connections (--max-connections {})",
                    self.peer,
                    query_log::quoted(user),
                    self.max_connections
                );
                return Err(fatal("53300", "sorry, too many clients already".into()));
            }
            // libpq's default database is the user name; only `gitfleet` exists here.
            let database = startup.parameters.get("database").map_or(user, String::as_str);
            if database != CATALOG {
                return Err(fatal(
                    "3D000",
                    format!(
                        "database {} does not exist (connect to database {CATALOG})",
                        query_log::quoted(database)
                    ),
                ));
            }
        }
        let password = matches!(message, PgWireFrontendMessage::PasswordMessageFamily(_));
        let result = self.inner.on_startup(client, message).await;
        if result.is_ok() && matches!(client.state(), pgwire::api::PgWireConnectionState::ReadyForQuery) {
            // Logged in: the user (now proven) gets their grant. Until then the session reads
            // nothing (`UserGrant::Pending`, set on the server's base session).
            let user = client.metadata().get("user").cloned().unwrap_or_default();
            if let Some(grant) = self.accounts.as_ref().and_then(|a| a.grant(&user)) {
                self.session
                    .state_ref()
                    .write()
                    .config_mut()
                    .set_extension(Arc::new(grant));
            }
        }
        if result.is_err() && password {
            let user = client.metadata().get("user").cloned().unwrap_or_default();
            log_line!("{} user={} failed login", self.peer, query_log::quoted(&user));
            // One guess per second per connection, and connections are limited.
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        result
    }
}

enum Startup {
    Open(OpenStartup),
    Password(Box<SASLAuthStartupHandler<DefaultServerParameterProvider>>),
}

#[async_trait]
impl StartupHandler for Startup {
    async fn on_startup<C>(&self, client: &mut C, message: PgWireFrontendMessage) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        match self {
            Startup::Open(h) => h.on_startup(client, message).await,
            Startup::Password(h) => h.on_startup(client, message).await,
        }
    }
}
