//! Clone progress on a terminal: one indicatif bar per repository being cloned or fetched
//! (percent, objects and bytes received) under an overall bar of repositories done.

use std::collections::HashMap;
use std::sync::Mutex;
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
