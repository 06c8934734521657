//! Where a partition's producer sends its batches: projection and limit are applied here, the
//! plan's metrics are kept up to date, and waiting for the consumer gives the CPU slot back.

use std::sync::Arc;

use arrow::array::RecordBatch;
use datafusion::error::Result as DFResult;
use datafusion::physical_plan::metrics::Count;
use tokio::sync::mpsc;

use super::slots::acquire_slot;
use crate::error::Result;
use crate::source::git::commits::ScanCounters;

/// Rows per record batch.
pub(crate) const BATCH_ROWS: usize = 8192;
/// Bytes of text per record batch, at most (about): tables with a column that can be
/// megabytes a row (`commit_files.patch`) cut a batch here before it has `BATCH_ROWS` rows.
pub(crate) const BATCH_BYTES: usize = 4 << 20;

/// Where a partition's producer sends full-width batches; projection and limit happen here.
pub(crate) struct BatchSink {
    pub(super) tx: mpsc::Sender<DFResult<RecordBatch>>,
    projection: Option<Vec<usize>>,
    remaining: Option<usize>,
    pub(super) output_rows: Count,
    /// What the producer did, reported as plan metrics when it ends.
    pub counters: Arc<ScanCounters>,
    /// `counters` as plan metrics, and what was already added to them.
    counter_metrics: [Count; 3],
    published: [usize; 3],
    _slot: Option<tokio::sync::OwnedSemaphorePermit>,
}

impl BatchSink {
    /// A sink feeding `tx`, keeping `projection` of each batch and at most `limit` rows, with
    /// the plan's row count and its commits_read, diffs_computed and stats_cache_hits metrics.
    pub(crate) fn new(
        tx: mpsc::Sender<DFResult<RecordBatch>>,
        projection: Option<Vec<usize>>,
        limit: Option<usize>,
        output_rows: Count,
        counter_metrics: [Count; 3],
        slot: Option<tokio::sync::OwnedSemaphorePermit>,
    ) -> Self {
        BatchSink {
            tx,
            projection,
            remaining: limit,
            output_rows,
            counters: Arc::default(),
            counter_metrics,
            published: [0; 3],
            _slot: slot,
        }
    }

    /// Whether more rows are wanted (limit not reached, consumer still there).
    pub(crate) fn wants_more(&self) -> bool {
        self.remaining != Some(0) && !self.tx.is_closed()
    }

    /// Brings the plan metrics up to date with the counters. Called before every batch leaves,
    /// so a consumer that stops at a LIMIT still sees what the scan did.
    pub(super) fn publish_counters(&mut self) {
        let c = &self.counters;
        let now = [&c.commits, &c.diffs, &c.cache_hits]
            .map(|a| a.load(std::sync::atomic::Ordering::Relaxed) as usize);
        for ((metric, published), value) in self.counter_metrics.iter().zip(&mut self.published).zip(now) {
            metric.add(value - *published);
            *published = value;
        }
    }

    /// How many rows the next batch should hold: a full batch, or what the limit still allows.
    pub(crate) fn batch_rows(&self) -> usize {
        self.remaining.map_or(BATCH_ROWS, |r| r.clamp(1, BATCH_ROWS))
    }

    /// Sends `rows` rows of a scan that projects no column (`count(*)`), in batches.
    pub(crate) fn send_row_count(&mut self, mut rows: usize) -> Result<bool> {
        let schema = Arc::new(arrow::datatypes::Schema::empty());
        while rows > 0 {
            let n = rows.min(BATCH_ROWS);
            rows -= n;
            let options = arrow::record_batch::RecordBatchOptions::new().with_row_count(Some(n));
            let batch = RecordBatch::try_new_with_options(schema.clone(), vec![], &options)?;
            if !self.send(batch)? {
                return Ok(false);
            }
        }
        Ok(self.wants_more())
    }

    /// Sends a batch with every column of the table; returns whether more rows are wanted.
    pub(crate) fn send(&mut self, batch: RecordBatch) -> Result<bool> {
        let mut batch = match &self.projection {
            Some(p) => batch.project(p)?,
            None => batch,
        };
        if let Some(remaining) = &mut self.remaining {
            if batch.num_rows() > *remaining {
                batch = batch.slice(0, *remaining);
            }
            *remaining -= batch.num_rows();
        }
        if batch.num_rows() == 0 {
            return Ok(self.wants_more());
        }
        self.output_rows.add(batch.num_rows());
        self.publish_counters();
        let sent = match self.tx.try_send(Ok(batch)) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Closed(_)) => false,
            Err(mpsc::error::TrySendError::Full(batch)) => {
                // Waiting for the consumer must not hold a CPU slot: a consumer that drains
                // partitions one after another would otherwise deadlock with producers of later
                // partitions. (A send with room keeps it: giving it back and queueing behind
                // every waiting partition would park a finished producer's thread.)
                self._slot = None;
                let sent = self.tx.blocking_send(batch).is_ok();
                self._slot = Some(futures::executor::block_on(acquire_slot()));
                sent
            }
        };
        Ok(sent && self.wants_more())
    }
}
