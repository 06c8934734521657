//! GitFleet: `git blame --ignore-rev` (git 2.47's blame.c). A line an ignored commit changed is
//! passed to the parent line most like it, by git's own fuzzy matching
//! (`gitfleet_diffcore::guess_line_blames`, where it is tested). A line that matches nothing
//! stays with the ignored commit, as in git (which marks it with `*` under
//! `blame.markUnblamableLines`).

use std::ops::Range;

use gix_hash::ObjectId;
use gix_object::bstr::BString;
use smallvec::smallvec;

use crate::types::UnblamedHunk;

/// Passes the lines still suspected on the ignored commit `suspect` (hunks naming only it) to
/// `parent` where git's matching finds them a line there; the rest stay. `hunks` is the diff
/// from the parent's version to the suspect's; `source_file_name` is the parent's path when the
/// file was renamed.
pub(super) fn pass_ignored(
    hunks_to_blame: Vec<UnblamedHunk>,
    suspect: ObjectId,
    parent: ObjectId,
    parent_data: &[u8],
    suspect_data: &[u8],
    hunks: &[(Range<u32>, Range<u32>)],
    source_file_name: Option<BString>,
) -> Vec<UnblamedHunk> {
    let guesses = gitfleet_diffcore::guess_line_blames(parent_data, suspect_data, hunks);
    let mut out = Vec::with_capacity(hunks_to_blame.len());
    for hunk in hunks_to_blame {
        let range = match hunk.suspects.as_slice() {
            [(only, range)] if *only == suspect => range.clone(),
            _ => {
                out.push(hunk);
                continue;
            }
        };
        // Runs of lines that go to consecutive parent lines, or that all stay.
        let mut run_start = 0u32;
        let len = range.end - range.start;
        let guess = |k: u32| guesses.get(&(range.start + k)).copied().flatten();
        for k in 1..=len {
            let adjacent = k < len
                && match (guess(k - 1), guess(k)) {
                    (Some(p), Some(q)) => p + 1 == q,
                    (None, None) => true,
                    _ => false,
                };
            if adjacent {
                continue;
            }
            let blamed = hunk.range_in_blamed_file.start + run_start..hunk.range_in_blamed_file.start + k;
            out.push(match guess(run_start) {
                Some(p) => UnblamedHunk {
                    range_in_blamed_file: blamed,
                    suspects: smallvec![(parent, p..p + (k - run_start))],
                    // The parent's name: the rename's source, else the name the hunk already
                    // carries (a rename after the ignored commit).
                    source_file_name: source_file_name.clone().or_else(|| hunk.source_file_name.clone()),
                },
                None => UnblamedHunk {
                    range_in_blamed_file: blamed,
                    suspects: smallvec![(suspect, range.start + run_start..range.start + k)],
                    source_file_name: hunk.source_file_name.clone(),
                },
            });
            run_start = k;
        }
    }
    out
}

