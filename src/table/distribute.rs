//! Git scans on workers (datafusion-distributed): the codec that ships a [`GitScanExec`] to a
//! worker as plain data, and the planner hooks that split a scan by repository and send each
//! repository to the worker its rendezvous hash names, so the next query finds the clone and
//! the stats cache where the last one left them.
//!
//! Only the scan travels: its [`ScanSpec`] as JSON inside the plan bytes (no secrets: a spec
//! holds credential-free names). A worker resolves the repositories again under its own cache
//! directory and clones them there when the scan runs; the coordinator clones nothing.

use std::path::PathBuf;
use std::sync::Arc;

use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::error::{DataFusionError, Result as DFResult};
use datafusion::execution::TaskContext;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::SessionConfig;
use datafusion_distributed::{
    get_distributed_worker_resolver, DesiredTaskCountEvent, DesiredTaskCountEventResponse,
    DistributedLeafExec, RouteTasksEvent, RouteTasksEventResponse, ScaleUpLeafNodeEvent,
    ScaleUpLeafNodeEventResponse,
};
use datafusion_proto::physical_plan::{PhysicalExtensionCodec, PhysicalProtoConverterExtension};
use serde::{Deserialize, Serialize};
use url::Url;

use super::exec::GitScanExec;
use super::spec::{RepoTarget, ScanSpec};
use crate::source::fleet::auth::GitAuth;
use crate::source::fleet::jobs::CloneManager;

/// What a worker's scans share: where its clones and caches live and its clone jobs. Set on the
/// worker's session config; the codec reads it when a scan arrives.
#[derive(Debug)]
pub(crate) struct WorkerScans {
    pub cache_dir: PathBuf,
    pub fleet: Arc<CloneManager>,
    /// Whether the per-commit stats cache is kept (`--no-stats-cache` on the worker turns it off).
    pub stats_cache: bool,
}

/// The clone credentials a coordinator sent with one query (request headers, never plan
/// bytes). Set on that query's session config on the worker; memory only.
#[derive(Debug)]
pub(crate) struct QueryAuth(pub GitAuth);

/// How the coordinator places scans. Set on the coordinator's session config.
#[derive(Debug, Default)]
pub(crate) struct Placement {
    /// The workers see the coordinator's local paths (a shared file system), so local
    /// repositories are scanned there too; otherwise a scan naming one runs on the coordinator.
    pub share_paths: bool,
}

/// A scan as it travels in a plan.
#[derive(Serialize, Deserialize)]
struct Shipped {
    spec: ScanSpec,
    strict: bool,
    /// `--refresh`: the worker fetches its cached clones before this query reads them.
    refresh: bool,
    partitions: usize,
}

/// Encodes and decodes [`GitScanExec`] for datafusion-distributed.
#[derive(Debug)]
pub(crate) struct GitScanCodec;

impl PhysicalExtensionCodec for GitScanCodec {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[Arc<dyn ExecutionPlan>],
        ctx: &TaskContext,
        _converter: &dyn PhysicalProtoConverterExtension,
    ) -> DFResult<Arc<dyn ExecutionPlan>> {
        if !inputs.is_empty() {
            return Err(DataFusionError::Internal("a git scan has no inputs".into()));
        }
        let shipped: Shipped = serde_json::from_slice(buf).map_err(|e| {
            DataFusionError::Internal(format!(
                "cannot read a git scan sent by the coordinator ({e}); are the coordinator and \
                 the worker the same gitfleet version?"
            ))
        })?;
        let mut spec = shipped.spec;
        let scans = ctx.session_config().get_extension::<WorkerScans>();
        if let Some(scans) = &scans {
            rebase(&mut spec, scans);
        }
        let mut exec = GitScanExec::new(spec)?.with_partitions(shipped.partitions);
        exec.strict = shipped.strict;
        exec.refresh = shipped.refresh;
        exec.clones = scans.map(|s| s.fleet.clone());
        exec.auth = ctx
            .session_config()
            .get_extension::<QueryAuth>()
            .map(|a| a.0.clone());
        exec.on_worker = exec.clones.is_some();
        Ok(Arc::new(exec))
    }

    fn try_encode(
        &self,
        node: Arc<dyn ExecutionPlan>,
        buf: &mut Vec<u8>,
        _converter: &dyn PhysicalProtoConverterExtension,
    ) -> DFResult<()> {
        let Some(scan) = node.downcast_ref::<GitScanExec>() else {
            return Err(DataFusionError::NotImplemented(format!(
                "{} runs on the coordinator only and cannot be sent to a worker (GitHub tables, \
                 clone_status and refresh_repos are not distributed)",
                node.name()
            )));
        };
        let shipped = Shipped {
            spec: scan.spec().clone(),
            strict: scan.strict,
            refresh: scan.refresh,
            partitions: scan.properties().partitioning.partition_count(),
        };
        serde_json::to_writer(buf, &shipped)
            .map_err(|e| DataFusionError::Internal(format!("cannot encode a git scan: {e}")))
    }
}

/// A scan's remote repositories resolved again under the worker's cache directory (the
/// coordinator's paths mean nothing here), and its stats cache moved there too.
fn rebase(spec: &mut ScanSpec, scans: &WorkerScans) {
    for target in &mut spec.repos {
        let Some(url) = target.location.as_ref().and_then(|l| l.url.clone()) else {
            continue; // A local path: the workers share the coordinator's paths.
        };
        *target = RepoTarget::resolve(&url, Some(&scans.cache_dir));
    }
    spec.cache_dir = (spec.cache_dir.is_some() && scans.stats_cache).then(|| scans.cache_dir.clone());
}

/// A stable 64-bit hash (FNV-1a, then a SplitMix64 finish for spread): the same in every
/// process and release, which `std`'s hasher does not promise.
fn stable_hash(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for &b in part.as_bytes().iter().chain([0u8].iter()) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// Which of `workers` owns repository `name`: the highest rendezvous score. Adding or removing a
/// worker moves only the repositories that worker gains or held.
pub(crate) fn owner(name: &str, workers: &[Url]) -> usize {
    (0..workers.len())
        .max_by_key(|&i| (stable_hash(&[workers[i].as_str(), name]), std::cmp::Reverse(i)))
        .unwrap_or(0)
}

/// The workers a query may use, in a stable order (every hook must see the same order).
fn workers(config: &SessionConfig) -> DFResult<Vec<Url>> {
    let mut urls = get_distributed_worker_resolver(config)?.get_urls()?;
    urls.sort();
    urls.dedup();
    Ok(urls)
}

/// How many tasks a scan on `workers` workers runs as: one per worker, and at least two, since
/// DataFusion-distributed runs a one-task stage under a one-task consumer on the coordinator
/// (a single worker would never be used). Extra tasks read nothing.
pub(crate) fn min_tasks(workers: usize) -> usize {
    workers.max(2)
}

/// Whether every repository of `scan` can be read on a worker.
fn runs_on_workers(scan: &GitScanExec, config: &SessionConfig) -> bool {
    let share_paths = config.get_extension::<Placement>().is_some_and(|p| p.share_paths);
    share_paths
        || scan
            .spec()
            .repos
            .iter()
            .all(|t| t.location.as_ref().is_some_and(|l| l.url.is_some()))
}

/// A git scan wants one task per worker (each runs the repositories it owns); one naming a local
/// path the workers cannot see runs on the coordinator.
pub(crate) fn desired_tasks(ev: DesiredTaskCountEvent) -> Option<DFResult<DesiredTaskCountEventResponse>> {
    let scan = ev.plan.downcast_ref::<GitScanExec>()?;
    if !runs_on_workers(scan, ev.session_config) {
        return Some(Ok(DesiredTaskCountEventResponse::maximum(1)));
    }
    Some(workers(ev.session_config).map(|w| DesiredTaskCountEventResponse::desired(min_tasks(w.len()))))
}

/// Splits a git scan into one variant per task: task `i` gets the repositories whose rendezvous
/// owner among the first `task_count` workers is worker `i` ([`route_tasks`] sends it there;
/// tasks beyond the workers read nothing).
pub(crate) fn scale_up(ev: ScaleUpLeafNodeEvent) -> Option<DFResult<ScaleUpLeafNodeEventResponse>> {
    let scan = ev.plan.downcast_ref::<GitScanExec>()?;
    if ev.task_count <= 1 || !runs_on_workers(scan, ev.session_config) {
        return None;
    }
    let split = || -> DFResult<ScaleUpLeafNodeEventResponse> {
        let urls = workers(ev.session_config)?;
        let slots = &urls[..ev.task_count.min(urls.len())];
        let mut groups: Vec<Vec<RepoTarget>> = vec![Vec::new(); ev.task_count];
        for target in &scan.spec().repos {
            groups[owner(target.name(), slots)].push(target.clone());
        }
        // Every variant must show the same partition count: the largest share, the others
        // padded with empty partitions.
        let partitions = groups.iter().map(Vec::len).max().unwrap_or(0).max(1);
        let variants = groups
            .into_iter()
            .enumerate()
            .map(|(i, repos)| {
                let mut variant = scan.with_repos(repos, partitions)?;
                variant.worker = slots.get(i).map(|u| u.as_str().trim_end_matches('/').to_string());
                Ok(Arc::new(variant) as Arc<dyn ExecutionPlan>)
            })
            .collect::<DFResult<Vec<_>>>()?;
        let leaf = DistributedLeafExec::try_new(Arc::clone(ev.plan), variants)?;
        Ok(ScaleUpLeafNodeEventResponse::new(Arc::new(leaf)))
    };
    Some(split())
}

/// Sends task `i` of a stage that reads a split git scan to worker `i` (in the stable order
/// [`scale_up`] assigned repositories by).
pub(crate) fn route_tasks(ev: RouteTasksEvent) -> Option<DFResult<RouteTasksEventResponse>> {
    let mut split = false;
    let found = ev.plan.apply(|node| {
        if let Some(leaf) = node.downcast_ref::<DistributedLeafExec>() {
            if leaf.original().is::<GitScanExec>() {
                split = true;
                return Ok(TreeNodeRecursion::Stop);
            }
        }
        Ok(TreeNodeRecursion::Continue)
    });
    if let Err(e) = found {
        return Some(Err(e));
    }
    if !split {
        return None;
    }
    let urls = match workers(ev.task_ctx.session_config()) {
        Ok(urls) => urls,
        Err(e) => return Some(Err(e)),
    };
    if urls.is_empty() {
        return Some(Err(DataFusionError::Execution("no worker is reachable".into())));
    }
    let routed = (0..ev.task_count).map(|i| urls[i % urls.len()].clone()).collect();
    Some(Ok(RouteTasksEventResponse::new(routed)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::fleet::jobs::CloneSettings;
    use datafusion::prelude::SessionContext;

    /// A small repository made with the git CLI: three commits, a rename, a trailer, CODEOWNERS.
    fn repo(dir: &std::path::Path) {
        let git = |args: &[&str]| {
            let ok = std::process::Command::new("git")
                .arg("-C")
                .arg(dir)
                .args(args)
                .env("GIT_CONFIG_GLOBAL", "/dev/null")
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env("GIT_AUTHOR_NAME", "Ann")
                .env("GIT_AUTHOR_EMAIL", "ann@example.com")
                .env("GIT_COMMITTER_NAME", "Ann")
                .env("GIT_COMMITTER_EMAIL", "ann@example.com")
                .status()
                .unwrap()
                .success();
            assert!(ok, "git {args:?}");
        };
        git(&["init", "-q", "-b", "main"]);
        std::fs::write(dir.join("a.txt"), "one\ntwo\nthree\n").unwrap();
        std::fs::write(dir.join("CODEOWNERS"), "*.txt @docs\n").unwrap();
        git(&["add", "-A"]);
        git(&["commit", "-q", "-m", "first"]);
        std::fs::write(dir.join("a.txt"), "one\n2\nthree\nfour\n").unwrap();
        git(&[
            "commit",
            "-q",
            "-am",
            "second\n\nSigned-off-by: Ann <ann@example.com>",
        ]);
        git(&["mv", "a.txt", "b.txt"]);
        git(&["commit", "-q", "-m", "rename"]);
    }

    fn rows(batches: &[arrow::array::RecordBatch]) -> Vec<String> {
        let text = arrow::util::pretty::pretty_format_batches(batches)
            .unwrap()
            .to_string();
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        lines.sort();
        lines
    }

    /// Every git table's scan, encoded on one session and decoded in a fresh one that knows
    /// nothing of the first (a worker's), gives the same rows.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_scan_round_trips_through_the_codec() {
        let dir = tempfile::tempdir().unwrap();
        repo(dir.path());
        let config = crate::EngineConfig {
            repos: vec![dir.path().display().to_string()],
            cache_dir: Some(dir.path().join("cache")),
            ..Default::default()
        };
        let coordinator = crate::session(&config).unwrap();
        let worker_config = datafusion::prelude::SessionConfig::new().with_extension(Arc::new(WorkerScans {
            cache_dir: dir.path().join("worker-cache"),
            fleet: Arc::new(CloneManager::new(CloneSettings {
                jobs: 1,
                refresh: false,
                transfer: Default::default(),
            })),
            stats_cache: true,
        }));
        let worker = SessionContext::new_with_config(worker_config);
        for table in super::super::TABLES {
            let sql = match table.args {
                super::super::def::Args::FileAndRevision => format!(
                    "SELECT * FROM {}('{}', 'b.txt')",
                    table.name,
                    dir.path().display()
                ),
                _ => format!("SELECT * FROM {}", table.name),
            };
            let plan = coordinator
                .sql(&sql)
                .await
                .unwrap()
                .create_physical_plan()
                .await
                .unwrap();
            let mut scan = None;
            plan.apply(|node| {
                if node.is::<GitScanExec>() {
                    scan = Some(Arc::clone(node));
                    return Ok(TreeNodeRecursion::Stop);
                }
                Ok(TreeNodeRecursion::Continue)
            })
            .unwrap();
            let scan = scan.unwrap_or_else(|| panic!("no git scan in {sql}"));
            let bytes = datafusion_proto::bytes::physical_plan_to_bytes_with_extension_codec(
                scan.clone(),
                &GitScanCodec,
            )
            .unwrap();
            let decoded = datafusion_proto::bytes::physical_plan_from_bytes_with_extension_codec(
                &bytes,
                &worker.task_ctx(),
                &GitScanCodec,
            )
            .unwrap();
            let here = datafusion::physical_plan::collect(scan, coordinator.task_ctx())
                .await
                .unwrap();
            let there = datafusion::physical_plan::collect(decoded, worker.task_ctx())
                .await
                .unwrap();
            let count: usize = here.iter().map(|b| b.num_rows()).sum();
            assert!(count > 0, "{sql} read no rows");
            assert_eq!(rows(&here), rows(&there), "{sql}");
        }
    }

    /// A remote repository's clone lives under the worker's cache, not the coordinator's.
    #[test]
    fn remote_repositories_move_to_the_worker_cache() {
        let mut spec = ScanSpec {
            table: "commits".into(),
            repos: vec![RepoTarget::resolve(
                "https://git.example.com/team/app.git",
                Some(std::path::Path::new("/coordinator")),
            )],
            rev: None,
            projection: None,
            times: Default::default(),
            limit: None,
            cache_dir: Some("/coordinator".into()),
            paths: Default::default(),
            bots: vec![],
            merges: None,
            ignore_revs: None,
        };
        let scans = WorkerScans {
            cache_dir: "/worker".into(),
            fleet: Arc::new(CloneManager::new(CloneSettings {
                jobs: 1,
                refresh: false,
                transfer: Default::default(),
            })),
            stats_cache: true,
        };
        rebase(&mut spec, &scans);
        let location = spec.repos[0].location.as_ref().unwrap();
        assert!(location.path.starts_with("/worker"), "{location:?}");
        assert_eq!(location.name, "https://git.example.com/team/app.git");
        assert_eq!(spec.cache_dir.as_deref(), Some(std::path::Path::new("/worker")));
    }

    fn urls(n: usize) -> Vec<Url> {
        (0..n)
            .map(|i| Url::parse(&format!("http://10.0.0.{i}:7000")).unwrap())
            .collect()
    }

    #[test]
    fn rendezvous_spreads_and_moves_only_what_it_must() {
        let three = urls(3);
        let names: Vec<String> = (0..3000).map(|i| format!("https://git.example/r{i}")).collect();
        let mut counts = [0usize; 3];
        for name in &names {
            counts[owner(name, &three)] += 1;
        }
        // Within 10% of an even share.
        assert!(counts.iter().all(|&c| (900..=1100).contains(&c)), "{counts:?}");
        // A fourth worker takes about a quarter, and only from the others: nothing else moves.
        let four = urls(4);
        let mut moved = 0;
        for name in &names {
            let before = owner(name, &three);
            let after = owner(name, &four);
            if after != before {
                assert_eq!(after, 3, "{name} moved between old workers");
                moved += 1;
            }
        }
        assert!((600..=900).contains(&moved), "{moved}");
        // The order the workers are listed in does not matter once sorted; the hash is stable.
        assert_eq!(stable_hash(&["a", "b"]), stable_hash(&["a", "b"]));
        assert_ne!(stable_hash(&["ab", ""]), stable_hash(&["a", "b"]));
    }
}
