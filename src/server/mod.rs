//! `gitfleet serve`: the engine over the Postgres wire protocol (datafusion-postgres + pgwire),
//! so `psql`, psycopg, SQLAlchemy and BI tools connect to it. A front end: it sees the engine's
//! session, never git.
//!
//! Safe by default: loopback only unless a password is set, read-only, TLS when given a
//! certificate and key, one log line per query on stderr.

mod catalog;
mod functions;
mod rewrite;
mod service;

use std::fmt::Debug;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::execution::context::SessionContext;
use datafusion::logical_expr::{create_udf, ColumnarValue, Volatility};
use datafusion_postgres::datafusion_pg_catalog::pg_catalog::context::EmptyContextProvider;
use datafusion_postgres::datafusion_pg_catalog::setup_pg_catalog;
use datafusion_postgres::hooks::cursor::CursorStatementHook;
use datafusion_postgres::hooks::set_show::SetShowHook;
use datafusion_postgres::hooks::transactions::TransactionStatementHook;
use datafusion_postgres::pgwire;
use datafusion_postgres::{DfSessionService, QueryHook};
use futures::Sink;
use pgwire::api::auth::cleartext::CleartextPasswordAuthStartupHandler;
use pgwire::api::auth::noop::NoopStartupHandler;
use pgwire::api::auth::{AuthSource, DefaultServerParameterProvider, LoginInfo, Password, StartupHandler};
use pgwire::api::cancel::DefaultCancelHandler;
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
    /// Clients must send this password (any user name). Required off loopback.
    pub password: Option<String>,
    /// PEM certificate chain and private key: TLS is offered when both are given.
    pub tls: Option<(PathBuf, PathBuf)>,
}

impl Debug for ServeOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServeOptions")
            .field("listen", &self.listen)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("tls", &self.tls)
            .finish()
    }
}

/// Serves `ctx` until the process ends. Errors (bad options, port in use, bad certificate)
/// come back as one line before anything is served.
pub async fn serve(ctx: SessionContext, options: ServeOptions) -> Result<(), String> {
    if !options.listen.ip().is_loopback() && options.password.is_none() {
        return Err(format!(
            "refusing to listen on {} without a password: set GITFLEET_PASSWORD or --password-file \
             (loopback addresses need none)",
            options.listen
        ));
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
    eprintln!(
        "gitfleet serve: listening on {local} (database {CATALOG}{}{}); one line per query follows",
        if tls.is_some() { ", TLS" } else { "" },
        if options.password.is_some() {
            ", password required"
        } else {
            ""
        },
    );
    let handlers = Arc::new(Handlers::new(Arc::new(ctx), options.password.clone()));
    loop {
        let (socket, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                eprintln!("gitfleet serve: accept failed: {e}");
                continue;
            }
        };
        let handlers = handlers.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            let (socket, watcher) = match split_watcher(socket) {
                Ok(pair) => pair,
                Err(e) => {
                    eprintln!("{peer} connection error: {e}");
                    return;
                }
            };
            let watching = handlers.disconnects.watch(peer, watcher);
            if let Err(e) = pgwire::tokio::process_socket(socket, tls, handlers).await {
                eprintln!("{peer} connection error: {e}");
            }
            // The watcher's handle would keep the socket open after pgwire is done with it.
            watching.abort();
        });
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
    for analysis in analyses::ANALYSES {
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

struct Handlers {
    service: Arc<service::Service>,
    disconnects: Arc<service::Disconnects>,
    startup: Arc<Startup>,
    cancel: Arc<DefaultCancelHandler>,
}

impl Handlers {
    fn new(ctx: Arc<SessionContext>, password: Option<String>) -> Self {
        let hooks: Vec<Arc<dyn QueryHook>> = vec![
            Arc::new(service::SavepointHook),
            Arc::new(CursorStatementHook),
            Arc::new(SetShowHook),
            Arc::new(TransactionStatementHook),
        ];
        let inner = Arc::new(DfSessionService::new_with_hooks(ctx, hooks));
        let connections = Arc::new(ConnectionManager::new());
        let startup = match password {
            None => Startup::Open(OpenStartup(connections.clone())),
            Some(password) => Startup::Password(Box::new(
                CleartextPasswordAuthStartupHandler::new(
                    PasswordSource(password),
                    DefaultServerParameterProvider::default(),
                )
                .with_connection_manager(connections.clone()),
            )),
        };
        let disconnects = Arc::new(service::Disconnects::default());
        Handlers {
            service: Arc::new(service::Service::new(inner, disconnects.clone())),
            disconnects,
            startup: Arc::new(startup),
            cancel: Arc::new(DefaultCancelHandler::new(connections)),
        }
    }
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

/// The configured password for whatever user name the client gives.
#[derive(Clone)]
struct PasswordSource(String);

impl Debug for PasswordSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordSource(***)")
    }
}

#[async_trait]
impl AuthSource for PasswordSource {
    async fn get_password(&self, _login: &LoginInfo) -> PgWireResult<Password> {
        Ok(Password::new(None, self.0.as_bytes().to_vec()))
    }
}

enum Startup {
    Open(OpenStartup),
    Password(Box<CleartextPasswordAuthStartupHandler<PasswordSource, DefaultServerParameterProvider>>),
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
