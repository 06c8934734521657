//! Each connection's share of the server's memory: a pool of its own (`--query-memory-limit`,
//! default a quarter of `--memory-limit`) whose every byte is also reserved from the server's
//! pool. Measured (benches/README.md, serve soak): with one shared pool, a client's
//! `array_agg` over 100M rows took all of it and 200 of the other clients' small GROUP BYs
//! failed with "Resources exhausted". Now such a query fails alone at its own limit, and
//! the others keep the rest of the server's pool.

use std::fmt;
use std::sync::{Arc, Mutex};

use datafusion::common::DataFusionError;
use datafusion::error::Result;
use datafusion::execution::memory_pool::{MemoryConsumer, MemoryLimit, MemoryPool, MemoryReservation};

/// A connection's memory pool, layered over the server's.
pub(super) struct ConnectionPool {
    limit: usize,
    /// What this connection holds, reserved from the server's pool as one consumer.
    server: Mutex<MemoryReservation>,
}

impl ConnectionPool {
    pub(super) fn new(server_pool: &Arc<dyn MemoryPool>, limit: usize, peer: &str) -> Self {
        ConnectionPool {
            limit,
            server: Mutex::new(MemoryConsumer::new(format!("connection {peer}")).register(server_pool)),
        }
    }

    fn held(&self) -> std::sync::MutexGuard<'_, MemoryReservation> {
        self.server.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl fmt::Debug for ConnectionPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ConnectionPool(limit {}, reserved {})",
            self.limit,
            self.reserved()
        )
    }
}

impl fmt::Display for ConnectionPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

impl MemoryPool for ConnectionPool {
    fn name(&self) -> &str {
        "connection"
    }

    fn grow(&self, _reservation: &MemoryReservation, additional: usize) {
        self.held().grow(additional);
    }

    fn shrink(&self, _reservation: &MemoryReservation, shrink: usize) {
        let held = self.held();
        held.shrink(shrink.min(held.size()));
    }

    fn try_grow(&self, reservation: &MemoryReservation, additional: usize) -> Result<()> {
        let held = self.held();
        if held.size().saturating_add(additional) > self.limit {
            return Err(DataFusionError::ResourcesExhausted(format!(
                "Failed to allocate additional {additional} bytes for {}: this query would use more \
                 than the server's per-query memory limit ({} MB, --query-memory-limit)",
                reservation.consumer().name(),
                self.limit >> 20
            )));
        }
        held.try_grow(additional)
    }

    fn reserved(&self) -> usize {
        self.held().size()
    }

    fn memory_limit(&self) -> MemoryLimit {
        MemoryLimit::Finite(self.limit)
    }
}

#[cfg(test)]
mod tests {
    use datafusion::execution::memory_pool::GreedyMemoryPool;

    use super::*;

    #[test]
    fn a_connection_is_bounded_by_its_limit_and_the_servers_pool() {
        let server: Arc<dyn MemoryPool> = Arc::new(GreedyMemoryPool::new(100));
        let a: Arc<dyn MemoryPool> = Arc::new(ConnectionPool::new(&server, 60, "a"));
        let b: Arc<dyn MemoryPool> = Arc::new(ConnectionPool::new(&server, 60, "b"));
        let ra = MemoryConsumer::new("agg").register(&a);
        ra.try_grow(60).unwrap();
        let err = ra.try_grow(1).unwrap_err().to_string();
        assert!(err.contains("per-query memory limit"), "{err}");
        let rb = MemoryConsumer::new("sort").register(&b);
        rb.try_grow(40).unwrap();
        // The server's pool is full (60 + 40): b fails there, not at its own limit.
        let err = rb.try_grow(1).unwrap_err().to_string();
        assert!(!err.contains("per-query"), "{err}");
        assert_eq!(server.reserved(), 100);
        drop(ra);
        assert_eq!((a.reserved(), server.reserved()), (0, 40));
        rb.try_grow(20).unwrap();
        rb.shrink(60);
        assert_eq!((b.reserved(), server.reserved()), (0, 0));
    }
}
