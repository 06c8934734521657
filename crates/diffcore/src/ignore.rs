//! git's fuzzy line matching for `git blame --ignore-rev` (blame.c, git 2.47): which line of a
//! parent each line an ignored commit changed is most like. Each line's fingerprint is the
//! multiset of its lower-cased byte pairs; the lines of a diff chunk are matched to the nearby
//! parent lines (10 either side of the proportional position) in order of certainty, keeping the
//! line order; a line left over is compared with the whole parent file and needs a similarity of
//! 10. The vendored gix-blame passes the blame on with it (`vendor/gix-blame/src/file/ignore.rs`).

use std::collections::HashMap;
use std::ops::Range;

/// A line's fingerprint: (byte pair, count), sorted by pair.
#[derive(Clone, Debug, Default)]
struct Fingerprint(Vec<(u16, u32)>);

impl Fingerprint {
    /// git's `get_fingerprint`: whitespace (git's: space, tab, CR, LF) becomes 0, ASCII letters
    /// are lower-cased, the line is framed by whitespace, and whitespace pairs are dropped.
    fn of(line: &[u8]) -> Self {
        let mut counts: HashMap<u16, u32> = HashMap::new();
        let mut c0: u16 = 0;
        for i in 0..=line.len() {
            let c1: u16 = match line.get(i) {
                None | Some(b' ' | b'\t' | b'\n' | b'\r') => 0,
                Some(&b) => u16::from(b.to_ascii_lowercase()),
            };
            let pair = c0 | (c1 << 8);
            if pair != 0 {
                *counts.entry(pair).or_default() += 1;
            }
            c0 = c1;
        }
        let mut pairs: Vec<(u16, u32)> = counts.into_iter().collect();
        pairs.sort_unstable();
        Fingerprint(pairs)
    }

    /// The size of the multisets' intersection.
    fn similarity(&self, other: &Self) -> i64 {
        let (mut a, mut b) = (self.0.iter().peekable(), other.0.iter().peekable());
        let mut sum = 0i64;
        while let (Some(&&(pa, ca)), Some(&&(pb, cb))) = (a.peek(), b.peek()) {
            match pa.cmp(&pb) {
                std::cmp::Ordering::Less => {
                    a.next();
                }
                std::cmp::Ordering::Greater => {
                    b.next();
                }
                std::cmp::Ordering::Equal => {
                    sum += i64::from(ca.min(cb));
                    a.next();
                    b.next();
                }
            }
        }
        sum
    }

    /// Removes `other`'s pairs from this multiset.
    fn subtract(&mut self, other: &Self) {
        self.0.retain_mut(
            |(pair, count)| match other.0.binary_search_by_key(pair, |&(p, _)| p) {
                Ok(i) if *count <= other.0[i].1 => false,
                Ok(i) => {
                    *count -= other.0[i].1;
                    true
                }
                Err(_) => true,
            },
        );
    }
}

/// The fingerprints of a file's lines (a last line without a newline counts).
fn line_fingerprints(data: &[u8]) -> Vec<Fingerprint> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < data.len() {
        let end = data[start..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(data.len(), |i| start + i + 1);
        out.push(Fingerprint::of(&data[start..end]));
        start = end;
    }
    out
}

const CERTAIN_NOTHING_MATCHES: i64 = -2;
const CERTAINTY_NOT_CALCULATED: i64 = -1;

/// git's `fuzzy_find_matching_lines` and its helpers, over one diff chunk: A is the parent's
/// side, B the ignored commit's. Indices into A are absolute line numbers of the parent.
struct Fuzzy<'a> {
    a: &'a mut [Fingerprint],
    b: &'a [Fingerprint],
    /// The chunk's first line in B (`tlno`): the arrays below are indexed from it.
    b_origin: i64,
    max_a: i64,
    max_b: i64,
    /// `map_line_number`'s mapping from B to A.
    map: (i64, i64, i64, i64),
    similarities: Vec<i64>,
    certainties: Vec<i64>,
    second_best: Vec<i64>,
    result: Vec<i64>,
}

impl Fuzzy<'_> {
    fn map_line(&self, line_b: i64) -> i64 {
        let (dest_start, dest_len, src_start, src_len) = self.map;
        ((line_b - src_start) * 2 + 1) * dest_len / (src_len * 2) + dest_start
    }

    fn slot(&self, local_a: i64, idx_b: i64, closest_local_a: i64) -> usize {
        (local_a - closest_local_a + self.max_a + idx_b * (self.max_a * 2 + 1)) as usize
    }

    fn find_best_line_matches(&mut self, start_a: i64, length_a: i64, start_b: i64, local_b: i64) {
        let idx = (start_b - self.b_origin + local_b) as usize;
        if self.certainties[idx] != CERTAINTY_NOT_CALCULATED {
            return;
        }
        let closest_local_a = self.map_line(local_b + start_b) - start_a;
        let search_start = (closest_local_a - self.max_a).max(0);
        let search_end = (closest_local_a + self.max_a + 1).min(length_a);
        let (mut best, mut second, mut best_i, mut second_i) = (0i64, 0i64, 0i64, 0i64);
        for i in search_start..search_end {
            let slot = self.slot(i, idx as i64, closest_local_a);
            if self.similarities[slot] == -1 {
                // Scaled by closeness to the proportional position: the tie break.
                self.similarities[slot] = self.b[(start_b + local_b) as usize]
                    .similarity(&self.a[(start_a + i) as usize])
                    * (1000 - (i - closest_local_a).abs());
            }
            let similarity = self.similarities[slot];
            if similarity > best {
                second = best;
                second_i = best_i;
                best = similarity;
                best_i = i;
            } else if similarity > second {
                second = similarity;
                second_i = i;
            }
        }
        if best == 0 {
            self.certainties[idx] = CERTAIN_NOTHING_MATCHES;
            self.result[idx] = -1;
        } else {
            self.certainties[idx] = best * 2 - second;
            self.result[idx] = start_a + best_i;
            self.second_best[idx] = start_a + second_i;
        }
    }

    /// git's `fuzzy_find_matching_lines_recurse`, with a stack of its own instead of the call
    /// stack: a chunk of many equally certain lines (rows of data) recurses once per line, which
    /// a worker thread's stack would not survive. Last in, first out keeps git's order: the
    /// lines before the most certain one are matched before those after it.
    fn recurse(&mut self, start_a: i64, start_b: i64, length_a: i64, length_b: i64) {
        let mut pending = vec![(start_a, start_b, length_a, length_b)];
        while let Some((start_a, start_b, length_a, length_b)) = pending.pop() {
            if let Some((first, second)) = self.partition(start_a, start_b, length_a, length_b) {
                pending.extend(second);
                pending.extend(first);
            }
        }
    }

    /// One level of the recursion: matches the most certain line and returns the ranges still
    /// to match before and after it.
    #[expect(clippy::type_complexity)]
    fn partition(
        &mut self,
        start_a: i64,
        start_b: i64,
        length_a: i64,
        length_b: i64,
    ) -> Option<(Option<(i64, i64, i64, i64)>, Option<(i64, i64, i64, i64)>)> {
        let base = start_b - self.b_origin;
        let (mut most_certain_b, mut most_certainty) = (-1i64, -1i64);
        for i in 0..length_b {
            self.find_best_line_matches(start_a, length_a, start_b, i);
            let certainty = self.certainties[(base + i) as usize];
            if certainty > most_certainty {
                most_certainty = certainty;
                most_certain_b = i;
            }
        }
        if most_certain_b == -1 {
            return None;
        }
        let most_certain_a = self.result[(base + most_certain_b) as usize];
        // Other lines of B cannot match the same parts of that line of A.
        let matched = self.b[(start_b + most_certain_b) as usize].clone();
        self.a[most_certain_a as usize].subtract(&matched);

        let invalidate_min = (most_certain_b - self.max_b).max(0);
        let invalidate_max = (most_certain_b + self.max_b + 1).min(length_b);
        for i in invalidate_min..invalidate_max {
            let closest_local_a = self.map_line(i + start_b) - start_a;
            if (most_certain_a - start_a - closest_local_a).abs() > self.max_a {
                continue;
            }
            let slot = self.slot(most_certain_a - start_a, base + i, closest_local_a);
            self.similarities[slot] = -1;
        }
        // Matches that would cross the chosen pair are worked out again.
        for i in (invalidate_min..most_certain_b).rev() {
            let idx = (base + i) as usize;
            if self.certainties[idx] >= 0
                && (self.result[idx] >= most_certain_a || self.second_best[idx] >= most_certain_a)
            {
                self.certainties[idx] = CERTAINTY_NOT_CALCULATED;
            }
        }
        for i in most_certain_b + 1..invalidate_max {
            let idx = (base + i) as usize;
            if self.certainties[idx] >= 0
                && (self.result[idx] <= most_certain_a || self.second_best[idx] <= most_certain_a)
            {
                self.certainties[idx] = CERTAINTY_NOT_CALCULATED;
            }
        }
        let first =
            (most_certain_b > 0).then_some((start_a, start_b, most_certain_a + 1 - start_a, most_certain_b));
        let offset_b = most_certain_b + 1;
        let second = (offset_b < length_b).then_some((
            most_certain_a,
            start_b + offset_b,
            length_a + start_a - most_certain_a,
            length_b - offset_b,
        ));
        Some((first, second))
    }
}

/// git's `fuzzy_find_matching_lines` for the chunk of B lines `tlno..same` against the parent's
/// `parent_slno..parent_slno + parent_len`: for each B line, its A line or -1.
fn fuzzy_find_matching_lines(
    a: &mut [Fingerprint],
    b: &[Fingerprint],
    tlno: i64,
    parent_slno: i64,
    same: i64,
    parent_len: i64,
) -> Option<Vec<i64>> {
    let (start_a, length_a, start_b, length_b) = (parent_slno, parent_len, tlno, same - tlno);
    if length_a <= 0 {
        return None;
    }
    let max_a = 10.min(length_a - 1);
    let max_b = ((2 * max_a + 1) * length_b - 1) / length_a;
    let n = length_b as usize;
    let mut fuzzy = Fuzzy {
        a,
        b,
        b_origin: tlno,
        max_a,
        max_b,
        map: (start_a, length_a, start_b, length_b),
        similarities: vec![-1; n * (max_a as usize * 2 + 1)],
        certainties: vec![CERTAINTY_NOT_CALCULATED; n],
        second_best: vec![-1; n],
        result: vec![-1; n],
    };
    fuzzy.recurse(start_a, start_b, length_a, length_b);
    Some(fuzzy.result)
}

/// git's `scan_parent_range`: the parent line most like B's line `t_idx`, with a similarity of
/// at least 10, the nearer one on a tie.
fn scan_parent_range(a: &[Fingerprint], b: &[Fingerprint], t_idx: i64) -> i64 {
    let (mut best_value, mut best_idx) = (10i64, -1i64);
    for (p_idx, fingerprint) in a.iter().enumerate() {
        let p_idx = p_idx as i64;
        let similarity = b[t_idx as usize].similarity(fingerprint);
        if similarity < best_value {
            continue;
        }
        if similarity == best_value && best_idx != -1 && (best_idx - t_idx).abs() < (p_idx - t_idx).abs() {
            continue;
        }
        best_value = similarity;
        best_idx = p_idx;
    }
    best_idx
}

/// For every line of `target` a diff chunk (`hunks`: parent and target line ranges, in order)
/// changed, the parent line git passes its blame to, or None when it stays with the target.
pub fn guess_line_blames(
    parent: &[u8],
    target: &[u8],
    hunks: &[(Range<u32>, Range<u32>)],
) -> HashMap<u32, Option<u32>> {
    let mut a = line_fingerprints(parent);
    let b = line_fingerprints(target);
    let mut out = HashMap::new();
    for (before, after) in hunks {
        if after.is_empty() {
            continue;
        }
        let (tlno, same) = (i64::from(after.start), i64::from(after.end));
        let parent_slno = i64::from(before.start);
        let parent_len = i64::from(before.end - before.start);
        let fuzzy = fuzzy_find_matching_lines(&mut a, &b, tlno, parent_slno, same, parent_len);
        for i in 0..(same - tlno) {
            let target_idx = tlno + i;
            let best = match &fuzzy {
                Some(m) if m[i as usize] >= 0 => m[i as usize],
                _ => scan_parent_range(&a, &b, target_idx),
            };
            out.insert(target_idx as u32, (best >= 0).then_some(best as u32));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_gits() {
        // git's examples: "cat mat" and "father rather" share "at" twice; "tim" and "mit" nothing.
        assert_eq!(
            Fingerprint::of(b"cat mat").similarity(&Fingerprint::of(b"father rather")),
            2
        );
        assert_eq!(Fingerprint::of(b"tim").similarity(&Fingerprint::of(b"mit")), 0);
        // "Darth   Radar": 12 pairs, whitespace runs collapse, case folds.
        let darth = Fingerprint::of(b"Darth   Radar");
        assert_eq!(darth.0.iter().map(|&(_, c)| c).sum::<u32>(), 12);
        let mut a = Fingerprint::of(b"abcabc");
        a.subtract(&Fingerprint::of(b"abc"));
        assert_eq!(a.similarity(&Fingerprint::of(b"abcabc")), 3);
    }

    /// A chunk of equally certain lines (rows of data) splits one line at a time: thousands of
    /// levels, which must not need thousands of stack frames (blame runs on worker threads).
    #[test]
    fn a_long_chunk_of_equal_lines_needs_no_deep_stack() {
        let parent = "row = 1\n".repeat(3000);
        let target = "row = 2\n".repeat(3000);
        let guesses = std::thread::Builder::new()
            .stack_size(64 * 1024)
            .spawn(move || guess_line_blames(parent.as_bytes(), target.as_bytes(), &[(0..3000, 0..3000)]))
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(guesses.len(), 3000);
        // In order, each to its own line.
        assert!((0..3000).all(|i| guesses[&i] == Some(i)));
    }

    #[test]
    fn a_reworded_line_goes_to_its_old_self() {
        let parent = b"fn main() {\n    let total = compute(a, b);\n    print(total);\n}\n";
        let target = b"fn main() {\n    let sum = compute(a, b);\n    print(sum);\n}\n";
        let guesses = guess_line_blames(parent, target, &[(1..3, 1..3)]);
        assert_eq!(guesses[&1], Some(1));
        assert_eq!(guesses[&2], Some(2));
    }
}
