//! Progress on a terminal: one indicatif bar per repository being cloned or fetched (percent,
//! objects and bytes received) under an overall bar of repositories done, and one per running
//! scan ([`ScanBars`]).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gitfleet::engine::{CloneObserver, CloneState, CloneStatus};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

pub(super) struct Bars {
    multi: MultiProgress,
    /// Failures become the query's error (`--strict`), so they are not warned about.
    quiet_failures: bool,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    overall: Option<ProgressBar>,
    repos: HashMap<String, ProgressBar>,
}

impl std::fmt::Debug for Bars {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Bars")
    }
}

impl Bars {
    pub(super) fn new(quiet_failures: bool) -> Self {
        Bars {
            quiet_failures,
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(10)),
            state: Mutex::default(),
        }
    }

    fn overall(&self, state: &mut State) -> ProgressBar {
        state
            .overall
            .get_or_insert_with(|| {
                let bar = self.multi.add(ProgressBar::new(0));
                bar.set_style(
                    ProgressStyle::with_template("{prefix:>12} [{bar:30}] {pos}/{len} repositories {msg}")
                        .expect("valid template")
                        .progress_chars("=> "),
                );
                bar.set_prefix("cloning");
                bar
            })
            .clone()
    }
}

impl CloneObserver for Bars {
    fn changed(&self, status: &CloneStatus) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let overall = self.overall(&mut state);
        let bar = match state.repos.get(&status.url) {
            Some(bar) => bar.clone(),
            None if status.state.is_finished() => return,
            None => {
                overall.inc_length(1);
                let bar = self.multi.insert_before(&overall, ProgressBar::new(100));
                bar.set_style(
                    ProgressStyle::with_template("{prefix:>12} [{bar:30}] {percent:>3}% {wide_msg}")
                        .expect("valid template")
                        .progress_chars("=> "),
                );
                bar.set_prefix(status.action);
                bar.enable_steady_tick(Duration::from_millis(250));
                state.repos.insert(status.url.clone(), bar.clone());
                bar
            }
        };
        let p = &status.progress;
        match status.state {
            CloneState::Queued => bar.set_message(format!("{} (queued)", status.url)),
            CloneState::Cloning | CloneState::Fetching => {
                bar.set_position(p.percent as u64);
                let detail = if p.total_objects > 0 {
                    format!(
                        " ({}/{} objects, {})",
                        p.objects,
                        p.total_objects,
                        indicatif::HumanBytes(p.bytes)
                    )
                } else {
                    format!(" ({})", p.phase)
                };
                bar.set_message(format!("{}{detail}", status.url));
            }
            CloneState::Ready | CloneState::Failed => {
                bar.finish_and_clear();
                self.multi.remove(&bar);
                state.repos.remove(&status.url);
                overall.inc(1);
                if let Some(error) = status.error.as_ref().filter(|_| !self.quiet_failures) {
                    let _ = self.multi.println(format!("warning: {error}"));
                }
                if overall.position() >= overall.length().unwrap_or(0) {
                    overall.finish_and_clear();
                    self.multi.remove(&overall);
                    state.overall = None;
                }
            }
        }
    }
}

/// Whether scans show progress: set once, for a terminal (`enable_scan_bars`).
static SCAN_BARS: AtomicBool = AtomicBool::new(false);

/// Turns on scan progress for this process (stderr is a terminal and `--quiet` is off).
pub(super) fn enable_scan_bars() {
    SCAN_BARS.store(true, Ordering::Relaxed);
    gitfleet::engine::watch_scans(true);
}

/// Scans in progress on a terminal while a query's result is awaited: a bar per running scan
/// (commits or files done of the total, when the scan knows it, else a spinner with the count
/// and rate), from the engine's list of running scans. Scans shorter than a third of a second
/// draw nothing. Stopping (or dropping) clears the bars, so the result prints on a clean screen.
pub(super) struct ScanBars {
    stop: Arc<AtomicBool>,
    ticker: Mutex<Option<std::thread::JoinHandle<()>>>,
}

/// A line above the scans' bars saying which step of a longer job runs (the report's
/// sections): step, of steps, and its name.
#[derive(Clone, Default)]
pub(super) struct Headline(Arc<Mutex<Option<(u64, u64, String)>>>);

impl Headline {
    pub(super) fn set(&self, step: usize, steps: usize, name: &str) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) =
            Some((step as u64, steps as u64, name.to_string()));
    }

    fn get(&self) -> Option<(u64, u64, String)> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl ScanBars {
    pub(super) fn start() -> Self {
        Self::start_with(None)
    }

    /// [`ScanBars::start`], with `headline` drawn above the scans.
    pub(super) fn start_with(headline: Option<Headline>) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let ticker = SCAN_BARS.load(Ordering::Relaxed).then(|| {
            let stop = stop.clone();
            std::thread::spawn(move || draw_scans(&stop, headline))
        });
        ScanBars {
            stop,
            ticker: Mutex::new(ticker),
        }
    }

    pub(super) fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
        let ticker = self.ticker.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(ticker) = ticker {
            let _ = ticker.join();
        }
    }
}

impl Drop for ScanBars {
    fn drop(&mut self) {
        self.stop();
    }
}

fn draw_scans(stop: &AtomicBool, headline: Option<Headline>) {
    let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(10));
    let mut bars: HashMap<u64, ProgressBar> = HashMap::new();
    let mut top: Option<ProgressBar> = None;
    while !stop.load(Ordering::Relaxed) {
        if let Some((step, steps, name)) = headline.as_ref().and_then(Headline::get) {
            // Drawn from the first step on, as a whole: the bar counts finished steps, the
            // message names the one running.
            let bar = top.get_or_insert_with(|| {
                let bar = ProgressBar::new(steps)
                    .with_style(scan_style("{prefix:>14} [{bar:30}] {pos}/{len} {msg}"))
                    .with_prefix("report")
                    .with_message(name.clone());
                multi.insert(0, bar)
            });
            bar.set_message(name);
            bar.set_position(step.saturating_sub(1));
        }
        let scans = gitfleet::engine::running_scans();
        bars.retain(|id, bar| {
            let running = scans.iter().any(|s| s.id == *id);
            if !running {
                bar.finish_and_clear();
                multi.remove(bar);
            }
            running
        });
        for scan in scans.iter().filter(|s| s.elapsed >= Duration::from_millis(300)) {
            // A spinner until the scan knows its total, then a bar (the total can come later).
            let bar = bars.entry(scan.id).or_insert_with(|| {
                let bar = ProgressBar::no_length()
                    .with_style(scan_style("{prefix:>14} {spinner} {pos} {msg}"))
                    .with_prefix(scan.table)
                    .with_message(format!("{} of {}", scan.unit, scan.repo));
                multi.add(bar)
            });
            if let Some(total) = scan.total.filter(|t| bar.length() != Some(*t)) {
                bar.set_style(scan_style(
                    "{prefix:>14} [{bar:30}] {pos}/{len} {msg}, {eta} left",
                ));
                bar.set_length(total);
            }
            let rate = scan.done as f64 / scan.elapsed.as_secs_f64().max(0.001);
            bar.set_message(format!(
                "{} of {} ({}/s)",
                scan.unit,
                scan.repo,
                indicatif::HumanCount(rate as u64)
            ));
            bar.set_position(scan.done);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    for bar in bars.values().chain(&top) {
        bar.finish_and_clear();
    }
    let _ = multi.clear();
}

fn scan_style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template)
        .expect("valid template")
        .progress_chars("=> ")
}
