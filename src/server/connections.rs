//! What ends a client's query early: its cancel request, its statement timeout, or the client
//! going away.
//!
//! pgwire selects on a cancel receiver only while a handler *plans* a query; rows stream after
//! that, so the server keeps its own per-connection record. A cancel request bumps the
//! connection's counter (after pgwire has checked the request's secret key); a query's signal
//! fires when the counter moves after the query started. pgwire's own receiver is never
//! replaced (replacing it once made every cursor FETCH cancel itself).
//!
//! pgwire reads a connection only between queries, so a client that disconnects mid-query is
//! noticed by a watcher on a second handle of its socket.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use datafusion_postgres::pgwire;
use futures::future::{BoxFuture, FutureExt, Shared};
use pgwire::api::cancel::CancelHandler;
use pgwire::api::{ClientInfo, ConnectionManager};
use pgwire::error::PgWireError;
use pgwire::messages::cancel::CancelRequest;

/// Why a query was stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stop {
    Cancelled,
    TimedOut,
    ClientGone,
}

impl Stop {
    /// The error the client gets (SQLSTATE 57014, PostgreSQL's words).
    pub(super) fn error(self) -> PgWireError {
        let message = match self {
            Stop::TimedOut => "canceling statement due to statement timeout",
            Stop::Cancelled | Stop::ClientGone => "canceling statement due to user request",
        };
        super::guard::pg_error("57014", message)
    }

    /// How the query log records it.
    pub(super) fn outcome(self) -> &'static str {
        match self {
            Stop::Cancelled => "error=\"cancelled\"",
            Stop::TimedOut => "error=\"statement timeout\"",
            Stop::ClientGone => "error=\"client went away\"",
        }
    }
}

/// Resolves when the current query must stop; never resolves otherwise.
pub(super) type StopSignal = Shared<BoxFuture<'static, Stop>>;

struct Connection {
    gone: tokio::sync::watch::Receiver<bool>,
    cancels: tokio::sync::watch::Sender<u64>,
    /// The connection's (pid, secret key), learnt at its first query.
    key: Option<(i32, Vec<u8>)>,
}

/// Every open connection, by peer address.
#[derive(Default)]
pub(super) struct Connections(Mutex<HashMap<SocketAddr, Connection>>);

impl Connections {
    /// Watches `peer`'s socket (through `watcher`, a duplicate handle) until it closes or the
    /// returned task is aborted (the connection ended on the server's side).
    pub(super) fn watch(
        self: &Arc<Self>,
        peer: SocketAddr,
        watcher: tokio::net::TcpStream,
    ) -> tokio::task::JoinHandle<()> {
        let (tx, gone) = tokio::sync::watch::channel(false);
        self.0.lock().unwrap_or_else(|e| e.into_inner()).insert(
            peer,
            Connection {
                gone,
                cancels: tokio::sync::watch::Sender::new(0),
                key: None,
            },
        );
        let registry = self.clone();
        tokio::spawn(async move {
            let _forget = Forget(registry, peer);
            let mut byte = [0u8; 1];
            loop {
                match watcher.peek(&mut byte).await {
                    // Data waiting for pgwire: the client is there; look again later.
                    Ok(n) if n > 0 => tokio::time::sleep(Duration::from_millis(200)).await,
                    _ => {
                        let _ = tx.send(true);
                        return;
                    }
                }
            }
        })
    }

    /// Stops the running query of the connection with this (checked) key.
    fn cancel(&self, pid: i32, key: &[u8]) {
        let connections = self.0.lock().unwrap_or_else(|e| e.into_inner());
        for connection in connections.values() {
            if connection
                .key
                .as_ref()
                .is_some_and(|(p, k)| *p == pid && k.as_slice() == key)
            {
                connection.cancels.send_modify(|n| *n += 1);
            }
        }
    }

    /// The signal that stops `client`'s query starting now: a cancel request from now on, the
    /// statement timeout (the client's `SET statement_timeout`, never longer than the server's
    /// `max_timeout`), or the client going away.
    pub(super) fn stop_signal<C: ClientInfo + ?Sized>(
        &self,
        client: &C,
        max_timeout: Option<Duration>,
    ) -> StopSignal {
        let (pid, secret) = client.pid_and_secret_key();
        let (mut cancels, mut gone) = {
            let mut connections = self.0.lock().unwrap_or_else(|e| e.into_inner());
            match connections.get_mut(&client.socket_addr()) {
                Some(connection) => {
                    connection.key = Some((pid, secret.to_bytes().to_vec()));
                    (
                        Some(connection.cancels.subscribe()),
                        Some(connection.gone.clone()),
                    )
                }
                None => (None, None),
            }
        };
        // The operator's timeout is a ceiling a client may lower, not raise.
        let timeout = match (statement_timeout(client), max_timeout) {
            (Some(own), Some(max)) => Some(own.min(max)),
            (own, max) => own.or(max),
        };
        async move {
            // A closed channel (connection gone from the registry) never fires.
            let cancelled = async {
                let fired = match cancels.as_mut() {
                    Some(rx) => rx.changed().await.is_ok(),
                    None => false,
                };
                if !fired {
                    futures::future::pending::<()>().await;
                }
            };
            let disconnected = async {
                let fired = match gone.as_mut() {
                    Some(rx) => rx.wait_for(|gone| *gone).await.is_ok(),
                    None => false,
                };
                if !fired {
                    futures::future::pending::<()>().await;
                }
            };
            let expired = async {
                match timeout {
                    Some(t) => tokio::time::sleep(t).await,
                    None => futures::future::pending().await,
                }
            };
            tokio::select! {
                _ = cancelled => Stop::Cancelled,
                _ = disconnected => Stop::ClientGone,
                _ = expired => Stop::TimedOut,
            }
        }
        .boxed()
        .shared()
    }
}

/// The client's `SET statement_timeout`, as datafusion-postgres records it (0 or unset: none).
fn statement_timeout<C: ClientInfo + ?Sized>(client: &C) -> Option<Duration> {
    client
        .metadata()
        .get("statement_timeout_ms")
        .and_then(|ms| ms.parse::<u64>().ok())
        .filter(|ms| *ms > 0)
        .map(Duration::from_millis)
}

/// Removes a connection from the registry when its watcher ends.
struct Forget(Arc<Connections>, SocketAddr);

impl Drop for Forget {
    fn drop(&mut self) {
        self.0
             .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.1);
    }
}

/// Cancel requests: pgwire's manager checks the key and stops a query being planned; the
/// connection's counter stops one whose rows are streaming.
pub(super) struct Canceller {
    pub manager: Arc<ConnectionManager>,
    pub connections: Arc<Connections>,
}

#[async_trait]
impl CancelHandler for Canceller {
    async fn on_cancel_request(&self, request: CancelRequest) {
        if self.manager.cancel(request.pid, &request.secret_key).await {
            self.connections
                .cancel(request.pid, &request.secret_key.to_bytes());
        }
    }
}
