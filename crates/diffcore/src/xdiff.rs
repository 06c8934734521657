//! git's own line diff, as `git blame` runs it: a port of xdiff's Myers algorithm from git
//! 2.47 (`xdiff/xprepare.c`, `xdiff/xdiffi.c`, `trim_common_tail` of `xdiff-interface.c`).
//!
//! Where a line occurs several times (blank lines, braces, repeated directives), many edit
//! scripts are equally short and which copy a diff matches decides which commit a line is
//! blamed on. Any Myers implementation finds *a* shortest script; git's answer comes from its
//! particular choices, so they are all reproduced here, in git's order:
//!
//! 1. the common tail is trimmed in 1 KiB blocks, then back to a line boundary;
//! 2. lines are classified by content; common leading and trailing lines are set aside;
//! 3. lines with no match in the other file are marked changed up front, and lines with very
//!    many matches are too when they sit in a run of such lines (`xdl_cleanup_records`);
//! 4. Myers' divide and conquer on what remains, with xdiff's cost heuristics (a good snake
//!    after cost 256, the furthest-reaching path past `max(sqrt(N), 256)`), unless minimal;
//! 5. change groups are slid (`xdl_change_compact`): merged with neighbours, aligned with the
//!    other file's changes, else placed by the indent heuristic;
//! 6. the groups become hunks; with no context lines, each change is its own hunk.
//!
//! Patience and histogram diffs are not ported: callers fall back to another diff for them.

use std::hash::BuildHasher;
use std::ops::Range;

/// One change: `before` lines of the old file replaced by `after` lines of the new one
/// (0-based; an empty range is a pure insertion or deletion at that position).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hunk {
    pub before: Range<u32>,
    pub after: Range<u32>,
}

/// The settings that change a Myers diff's answer in git.
#[derive(Clone, Copy, Debug)]
pub struct XdiffOptions {
    /// `--minimal` (`XDF_NEED_MINIMAL`): no cost heuristics.
    pub minimal: bool,
    /// `diff.indentHeuristic` (`XDF_INDENT_HEURISTIC`), on by default in git since 2.14.
    pub indent_heuristic: bool,
    /// git trims the common tail only when no context lines are asked for (`xdi_diff`):
    /// blame and `diff -U0` do, `--numstat` (3 context lines by default) does not.
    pub trim_common_tail: bool,
}

impl XdiffOptions {
    /// The two texts as xdiff sees them: with their common tail trimmed, if asked.
    fn trimmed<'a>(&self, old: &'a [u8], new: &'a [u8]) -> (&'a [u8], &'a [u8]) {
        if self.trim_common_tail {
            trim_common_tail(old, new)
        } else {
            (old, new)
        }
    }
}

impl Default for XdiffOptions {
    /// As `git blame` diffs.
    fn default() -> Self {
        XdiffOptions {
            minimal: false,
            indent_heuristic: true,
            trim_common_tail: true,
        }
    }
}

/// The hunks git's xdiff finds between `old` and `new` with no context lines, in order.
pub fn xdiff_hunks(old: &[u8], new: &[u8], options: XdiffOptions) -> Vec<Hunk> {
    let (old, new) = options.trimmed(old, new);
    let mut classes = Classifier::with_capacity(line_count(old) + line_count(new));
    let mut f1 = XdFile::new(old, &mut classes, Side::Old);
    let mut f2 = XdFile::new(new, &mut classes, Side::New);
    trim_ends(&mut f1, &mut f2);
    cleanup_records(&classes, &mut f1, &mut f2);
    myers(&mut f1, &mut f2, options.minimal);
    change_compact(&mut f1, &mut f2, options.indent_heuristic);
    change_compact(&mut f2, &mut f1, options.indent_heuristic);
    build_script(&f1, &f2)
}

/// Lines added and removed by git's diff, as `--numstat` counts them: the lines
/// [`xdiff_hunks`] would mark, found with less work. Sliding change groups
/// (`xdl_change_compact`) never changes how many lines are marked, so it is skipped; and the
/// lines both files start and end with (`xdl_trim_ends`) are found on bytes and only looked
/// up, not classified, since the one thing they change is how often the other lines occur.
pub fn xdiff_counts(old: &[u8], new: &[u8], options: XdiffOptions) -> (u32, u32) {
    let (old, new) = options.trimmed(old, new);
    let (head, tail) = common_lines(old, new);
    let (mid_old, mid_new) = (&old[head..old.len() - tail], &new[head..new.len() - tail]);
    let mut classes = Classifier::with_capacity(line_count(mid_old) + line_count(mid_new));
    let mut f1 = XdFile::new(mid_old, &mut classes, Side::Old);
    let mut f2 = XdFile::new(mid_new, &mut classes, Side::New);
    // xdl_cleanup_records counts a line's matches over the whole other file.
    let common = classes.count_common(&old[..head]) + classes.count_common(&old[old.len() - tail..]);
    f1.total_lines += common;
    f2.total_lines += common;
    cleanup_records(&classes, &mut f1, &mut f2);
    myers(&mut f1, &mut f2, options.minimal);
    let marked = |f: &XdFile| f.rchg.iter().filter(|&&c| c != 0).count() as u32;
    (marked(&f2), marked(&f1))
}

/// The bytes of the whole lines `a` and `b` both start with, and of those they both end with
/// (not overlapping): the lines `xdl_trim_ends` sets aside, found without splitting lines.
fn common_lines(a: &[u8], b: &[u8]) -> (usize, usize) {
    let min = a.len().min(b.len());
    // First differing byte, a block at a time (slice equality is memcmp).
    const BLOCK: usize = 256;
    let mut p = 0;
    while p + BLOCK <= min && a[p..p + BLOCK] == b[p..p + BLOCK] {
        p += BLOCK;
    }
    while p < min && a[p] == b[p] {
        p += 1;
    }
    let head = memchr::memrchr(b'\n', &a[..p]).map_or(0, |nl| nl + 1);
    let (ra, rb) = (&a[head..], &b[head..]);
    let limit = min - head;
    let mut s = 0;
    while s + BLOCK <= limit
        && ra[ra.len() - s - BLOCK..ra.len() - s] == rb[rb.len() - s - BLOCK..rb.len() - s]
    {
        s += BLOCK;
    }
    while s < limit && ra[ra.len() - s - 1] == rb[rb.len() - s - 1] {
        s += 1;
    }
    // The common tail must start a line in both files; else it starts after its first newline.
    let starts_line = |r: &[u8]| r.len() == s || r[r.len() - s - 1] == b'\n';
    let tail = if starts_line(ra) && starts_line(rb) {
        s
    } else {
        memchr::memchr(b'\n', &ra[ra.len() - s..]).map_or(0, |nl| s - nl - 1)
    };
    (head, tail)
}

/// `trim_common_tail`: drop whole 1 KiB blocks both files end with, then give back the
/// bytes up to the first newline of the dropped part so both still end on a complete line.
fn trim_common_tail<'a>(a: &'a [u8], b: &'a [u8]) -> (&'a [u8], &'a [u8]) {
    const BLOCK: usize = 1024;
    let smaller = a.len().min(b.len());
    let mut trimmed = 0;
    while BLOCK + trimmed <= smaller
        && a[a.len() - trimmed - BLOCK..a.len() - trimmed] == b[b.len() - trimmed - BLOCK..b.len() - trimmed]
    {
        trimmed += BLOCK;
    }
    let tail = &a[a.len() - trimmed..];
    let recovered = match tail.iter().position(|&c| c == b'\n') {
        Some(newline) => newline + 1,
        None => trimmed,
    };
    (
        &a[..a.len() - (trimmed - recovered)],
        &b[..b.len() - (trimmed - recovered)],
    )
}

#[derive(Clone, Copy)]
enum Side {
    Old,
    New,
}

/// Equal lines get one class id; each class counts its lines in either file.
struct Classifier<'a> {
    /// Class ids, found by the line's hash, compared by the line's bytes.
    table: hashbrown::HashTable<u32>,
    hasher: foldhash::fast::FixedState,
    /// Each class's first line, and how many lines of either file it has.
    line: Vec<&'a [u8]>,
    in_old: Vec<u32>,
    in_new: Vec<u32>,
    /// Which line lengths (mod 1024) some class has: most lines of a long common region can
    /// be told apart from every class without hashing them.
    lengths: [u64; 16],
}

impl<'a> Classifier<'a> {
    /// Room for `lines` distinct lines, so that classifying never rehashes.
    fn with_capacity(lines: usize) -> Self {
        Classifier {
            table: hashbrown::HashTable::with_capacity(lines),
            hasher: foldhash::fast::FixedState::default(),
            line: Vec::with_capacity(lines),
            in_old: Vec::with_capacity(lines),
            in_new: Vec::with_capacity(lines),
            lengths: [0; 16],
        }
    }

    fn length_bit(len: usize) -> (usize, u64) {
        ((len >> 6) & 15, 1 << (len & 63))
    }

    /// Counts the lines of `region` (present in both files alike) as occurrences of their
    /// classes in either file; returns how many lines it has.
    fn count_common(&mut self, region: &[u8]) -> usize {
        let mut count = 0;
        for line in lines(region) {
            count += 1;
            let (word, bit) = Self::length_bit(line.len());
            if self.lengths[word] & bit == 0 {
                continue;
            }
            let hash = self.hasher.hash_one(line);
            let lines_of = &self.line;
            if let Some(&id) = self.table.find(hash, |&id| lines_of[id as usize] == line) {
                self.in_old[id as usize] += 1;
                self.in_new[id as usize] += 1;
            }
        }
        count
    }

    fn classify(&mut self, line: &'a [u8], side: Side) -> u32 {
        let hash = self.hasher.hash_one(line);
        let Classifier {
            table,
            hasher,
            line: lines,
            in_old,
            in_new,
            lengths,
        } = self;
        let id = match table.entry(
            hash,
            |&id| lines[id as usize] == line,
            |&id| hasher.hash_one(lines[id as usize]),
        ) {
            hashbrown::hash_table::Entry::Occupied(entry) => *entry.get(),
            hashbrown::hash_table::Entry::Vacant(entry) => {
                let id = lines.len() as u32;
                entry.insert(id);
                lines.push(line);
                let (word, bit) = Self::length_bit(line.len());
                lengths[word] |= bit;
                in_old.push(0);
                in_new.push(0);
                id
            }
        };
        match side {
            Side::Old => in_old[id as usize] += 1,
            Side::New => in_new[id as usize] += 1,
        }
        id
    }
}

/// One side of the diff (`xdfile_t`).
struct XdFile<'a> {
    /// Lines including their newline (the last may have none).
    lines: Vec<&'a [u8]>,
    /// Class id of each line (`rec->ha` after classification).
    class: Vec<u32>,
    /// Changed marks with a zero sentinel on either side: line `i` is at `rchg[i + 1]`.
    rchg: Vec<u8>,
    /// The lines Myers compares (not discarded up front): their line numbers and classes.
    rindex: Vec<usize>,
    ha: Vec<u32>,
    dstart: isize,
    dend: isize,
    /// Lines of the whole file (more than `lines` when common lines were set aside up front).
    total_lines: usize,
}

impl<'a> XdFile<'a> {
    fn new(data: &'a [u8], classes: &mut Classifier<'a>, side: Side) -> Self {
        let n = line_count(data);
        let mut class = Vec::with_capacity(n);
        let mut file_lines = Vec::with_capacity(n);
        for line in lines(data) {
            file_lines.push(line);
            class.push(classes.classify(line, side));
        }
        XdFile {
            lines: file_lines,
            class,
            rchg: vec![0; n + 2],
            rindex: Vec::new(),
            ha: Vec::new(),
            dstart: 0,
            dend: n as isize - 1,
            total_lines: n,
        }
    }

    fn nrec(&self) -> isize {
        self.lines.len() as isize
    }

    fn changed(&self, i: isize) -> bool {
        // Indices below -1 are never reached on a consistent script; reading them as
        // unchanged keeps the walk in bounds regardless.
        i >= -1 && self.rchg[(i + 1) as usize] != 0
    }

    fn set_changed(&mut self, i: isize, changed: bool) {
        self.rchg[(i + 1) as usize] = changed as u8;
    }

    fn same(&self, i: isize, j: isize) -> bool {
        self.class[i as usize] == self.class[j as usize]
    }
}

/// Lines as git counts them (a last line without a newline counts).
fn line_count(data: &[u8]) -> usize {
    memchr::memchr_iter(b'\n', data).count() + usize::from(data.last().is_some_and(|&c| c != b'\n'))
}

/// The lines of `data`, each with its newline (a last line may have none).
fn lines(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let last = data.last().is_some_and(|&c| c != b'\n').then_some(data.len());
    let mut start = 0;
    memchr::memchr_iter(b'\n', data)
        .map(|nl| nl + 1)
        .chain(last)
        .map(move |end| {
            let line = &data[start..end];
            start = end;
            line
        })
}

/// `xdl_bogosqrt`: a power of two near the square root.
fn bogosqrt(mut n: usize) -> usize {
    let mut i = 1;
    while n > 0 {
        i <<= 1;
        n >>= 2;
    }
    i
}

/// `xdl_trim_ends`: the common first and last lines take no part in the diff.
fn trim_ends(f1: &mut XdFile, f2: &mut XdFile) {
    let lim = f1.lines.len().min(f2.lines.len());
    let mut i = 0;
    while i < lim && f1.class[i] == f2.class[i] {
        i += 1;
    }
    f1.dstart = i as isize;
    f2.dstart = i as isize;
    let (n1, n2) = (f1.lines.len(), f2.lines.len());
    let mut j = 0;
    while j < lim - i && f1.class[n1 - 1 - j] == f2.class[n2 - 1 - j] {
        j += 1;
    }
    f1.dend = (n1 - j) as isize - 1;
    f2.dend = (n2 - j) as isize - 1;
}

/// `xdl_cleanup_records`: lines without a match in the other file are changed for sure;
/// lines with many matches are left out of Myers when they sit among such lines.
fn cleanup_records<'a>(classes: &Classifier, f1: &mut XdFile<'a>, f2: &mut XdFile<'a>) {
    const MAX_EQLIMIT: usize = 1024;
    let discards = |f: &XdFile, other_counts: &[u32]| -> Vec<u8> {
        let mlim = bogosqrt(f.total_lines).min(MAX_EQLIMIT);
        let mut dis = vec![0u8; f.lines.len() + 1];
        for i in f.dstart..=f.dend {
            let matches = other_counts[f.class[i as usize] as usize] as usize;
            dis[i as usize] = match matches {
                0 => 0,
                m if m >= mlim => 2,
                _ => 1,
            };
        }
        dis
    };
    let dis1 = discards(f1, &classes.in_new);
    let dis2 = discards(f2, &classes.in_old);
    for (f, dis) in [(f1, dis1), (f2, dis2)] {
        for i in f.dstart..=f.dend {
            let d = dis[i as usize];
            if d == 1 || (d == 2 && !clean_mmatch(&dis, i, f.dstart, f.dend)) {
                f.rindex.push(i as usize);
                f.ha.push(f.class[i as usize]);
            } else {
                f.set_changed(i, true);
            }
        }
    }
}

/// `xdl_clean_mmatch`: whether the many-matches line `i` sits in a run dominated by lines
/// without a match (then it is discarded too).
fn clean_mmatch(dis: &[u8], i: isize, mut s: isize, mut e: isize) -> bool {
    const SIMSCAN_WINDOW: isize = 100;
    const KPDIS_RUN: isize = 4;
    if i - s > SIMSCAN_WINDOW {
        s = i - SIMSCAN_WINDOW;
    }
    if e - i > SIMSCAN_WINDOW {
        e = i + SIMSCAN_WINDOW;
    }
    let run = |step: isize| -> (isize, isize) {
        let (mut none, mut many) = (0, 1);
        let mut j = i + step;
        while j >= s && j <= e {
            match dis[j as usize] {
                0 => none += 1,
                2 => many += 1,
                _ => break,
            }
            j += step;
        }
        (none, many)
    };
    let (rdis0, rpdis0) = run(-1);
    if rdis0 == 0 {
        return false;
    }
    let (rdis1, rpdis1) = run(1);
    if rdis1 == 0 {
        return false;
    }
    let (none, many) = (rdis0 + rdis1, rpdis0 + rpdis1);
    many * KPDIS_RUN < many + none
}

const MAX_COST_MIN: isize = 256;
const HEUR_MIN_COST: isize = 256;
const LINE_MAX: isize = isize::MAX;
const SNAKE_CNT: isize = 20;
const K_HEUR: isize = 4;

/// Where `xdl_split` cut a box, and whether each half must be diffed minimally.
struct Split {
    i1: isize,
    i2: isize,
    min_lo: bool,
    min_hi: bool,
}

/// The forward and backward furthest-reaching vectors, indexed by diagonal.
struct KVectors {
    kv: Vec<isize>,
    fbase: isize,
    bbase: isize,
    mxcost: isize,
}

impl KVectors {
    fn f(&self, d: isize) -> isize {
        self.kv[(self.fbase + d) as usize]
    }
    fn set_f(&mut self, d: isize, v: isize) {
        self.kv[(self.fbase + d) as usize] = v;
    }
    fn b(&self, d: isize) -> isize {
        self.kv[(self.bbase + d) as usize]
    }
    fn set_b(&mut self, d: isize, v: isize) {
        self.kv[(self.bbase + d) as usize] = v;
    }
}

/// `xdl_do_diff` + `xdl_recs_cmp` for the Myers algorithm, marking changed lines.
fn myers(f1: &mut XdFile, f2: &mut XdFile, minimal: bool) {
    let (n1, n2) = (f1.ha.len() as isize, f2.ha.len() as isize);
    let ndiags = n1 + n2 + 3;
    let mut kv = KVectors {
        kv: vec![0; (2 * ndiags + 2) as usize],
        fbase: n2 + 1,
        bbase: ndiags + n2 + 1,
        mxcost: (bogosqrt(ndiags as usize) as isize).max(MAX_COST_MIN),
    };
    // xdl_recs_cmp's recursion as an explicit stack: the halves are independent, and a
    // long edit script must not exhaust the thread's stack.
    let mut boxes = vec![(0, n1, 0, n2, minimal)];
    while let Some((mut off1, mut lim1, mut off2, mut lim2, need_min)) = boxes.pop() {
        let (ha1, ha2) = (&f1.ha, &f2.ha);
        while off1 < lim1 && off2 < lim2 && ha1[off1 as usize] == ha2[off2 as usize] {
            off1 += 1;
            off2 += 1;
        }
        while off1 < lim1 && off2 < lim2 && ha1[lim1 as usize - 1] == ha2[lim2 as usize - 1] {
            lim1 -= 1;
            lim2 -= 1;
        }
        if off1 == lim1 {
            for k in off2..lim2 {
                let line = f2.rindex[k as usize] as isize;
                f2.set_changed(line, true);
            }
        } else if off2 == lim2 {
            for k in off1..lim1 {
                let line = f1.rindex[k as usize] as isize;
                f1.set_changed(line, true);
            }
        } else {
            let spl = split(ha1, off1, lim1, ha2, off2, lim2, &mut kv, need_min);
            boxes.push((spl.i1, lim1, spl.i2, lim2, spl.min_hi));
            boxes.push((off1, spl.i1, off2, spl.i2, spl.min_lo));
        }
    }
}

/// `xdl_split`: the middle snake of a box, or a good-enough cut once the cost grows.
#[allow(clippy::too_many_arguments)]
fn split(
    ha1: &[u32],
    off1: isize,
    lim1: isize,
    ha2: &[u32],
    off2: isize,
    lim2: isize,
    kv: &mut KVectors,
    need_min: bool,
) -> Split {
    let a = |i: isize| ha1[i as usize];
    let b = |i: isize| ha2[i as usize];
    let (dmin, dmax) = (off1 - lim2, lim1 - off2);
    let (fmid, bmid) = (off1 - off2, lim1 - lim2);
    let odd = (fmid - bmid) & 1 != 0;
    let (mut fmin, mut fmax) = (fmid, fmid);
    let (mut bmin, mut bmax) = (bmid, bmid);
    kv.set_f(fmid, off1);
    kv.set_b(bmid, lim1);

    let mut ec: isize = 1;
    loop {
        let mut got_snake = false;

        if fmin > dmin {
            fmin -= 1;
            kv.set_f(fmin - 1, -1);
        } else {
            fmin += 1;
        }
        if fmax < dmax {
            fmax += 1;
            kv.set_f(fmax + 1, -1);
        } else {
            fmax -= 1;
        }
        let mut d = fmax;
        while d >= fmin {
            let mut i1 = if kv.f(d - 1) >= kv.f(d + 1) {
                kv.f(d - 1) + 1
            } else {
                kv.f(d + 1)
            };
            let prev1 = i1;
            let mut i2 = i1 - d;
            while i1 < lim1 && i2 < lim2 && a(i1) == b(i2) {
                i1 += 1;
                i2 += 1;
            }
            if i1 - prev1 > SNAKE_CNT {
                got_snake = true;
            }
            kv.set_f(d, i1);
            if odd && bmin <= d && d <= bmax && kv.b(d) <= i1 {
                return Split {
                    i1,
                    i2,
                    min_lo: true,
                    min_hi: true,
                };
            }
            d -= 2;
        }

        if bmin > dmin {
            bmin -= 1;
            kv.set_b(bmin - 1, LINE_MAX);
        } else {
            bmin += 1;
        }
        if bmax < dmax {
            bmax += 1;
            kv.set_b(bmax + 1, LINE_MAX);
        } else {
            bmax -= 1;
        }
        let mut d = bmax;
        while d >= bmin {
            let mut i1 = if kv.b(d - 1) < kv.b(d + 1) {
                kv.b(d - 1)
            } else {
                kv.b(d + 1) - 1
            };
            let prev1 = i1;
            let mut i2 = i1 - d;
            while i1 > off1 && i2 > off2 && a(i1 - 1) == b(i2 - 1) {
                i1 -= 1;
                i2 -= 1;
            }
            if prev1 - i1 > SNAKE_CNT {
                got_snake = true;
            }
            kv.set_b(d, i1);
            if !odd && fmin <= d && d <= fmax && i1 <= kv.f(d) {
                return Split {
                    i1,
                    i2,
                    min_lo: true,
                    min_hi: true,
                };
            }
            d -= 2;
        }

        if need_min {
            ec += 1;
            continue;
        }

        // A long enough diagonal far from the corner counts as progress: cut there.
        if got_snake && ec > HEUR_MIN_COST {
            let mut best = 0;
            let mut cut = (0, 0);
            let mut d = fmax;
            while d >= fmin {
                let dd = if d > fmid { d - fmid } else { fmid - d };
                let i1 = kv.f(d);
                let i2 = i1 - d;
                let v = (i1 - off1) + (i2 - off2) - dd;
                if v > K_HEUR * ec
                    && v > best
                    && off1 + SNAKE_CNT <= i1
                    && i1 < lim1
                    && off2 + SNAKE_CNT <= i2
                    && i2 < lim2
                {
                    let mut k = 1;
                    while a(i1 - k) == b(i2 - k) {
                        if k == SNAKE_CNT {
                            best = v;
                            cut = (i1, i2);
                            break;
                        }
                        k += 1;
                    }
                }
                d -= 2;
            }
            if best > 0 {
                return Split {
                    i1: cut.0,
                    i2: cut.1,
                    min_lo: true,
                    min_hi: false,
                };
            }

            let mut d = bmax;
            while d >= bmin {
                let dd = if d > bmid { d - bmid } else { bmid - d };
                let i1 = kv.b(d);
                let i2 = i1 - d;
                let v = (lim1 - i1) + (lim2 - i2) - dd;
                if v > K_HEUR * ec
                    && v > best
                    && off1 < i1
                    && i1 <= lim1 - SNAKE_CNT
                    && off2 < i2
                    && i2 <= lim2 - SNAKE_CNT
                {
                    let mut k = 0;
                    while a(i1 + k) == b(i2 + k) {
                        if k == SNAKE_CNT - 1 {
                            best = v;
                            cut = (i1, i2);
                            break;
                        }
                        k += 1;
                    }
                }
                d -= 2;
            }
            if best > 0 {
                return Split {
                    i1: cut.0,
                    i2: cut.1,
                    min_lo: false,
                    min_hi: true,
                };
            }
        }

        // Enough: take the furthest-reaching path of either direction.
        if ec >= kv.mxcost {
            let (mut fbest, mut fbest1) = (-1, -1);
            let mut d = fmax;
            while d >= fmin {
                let mut i1 = kv.f(d).min(lim1);
                let mut i2 = i1 - d;
                if lim2 < i2 {
                    i1 = lim2 + d;
                    i2 = lim2;
                }
                if fbest < i1 + i2 {
                    fbest = i1 + i2;
                    fbest1 = i1;
                }
                d -= 2;
            }
            let (mut bbest, mut bbest1) = (LINE_MAX, LINE_MAX);
            let mut d = bmax;
            while d >= bmin {
                let mut i1 = off1.max(kv.b(d));
                let mut i2 = i1 - d;
                if i2 < off2 {
                    i1 = off2 + d;
                    i2 = off2;
                }
                if i1 + i2 < bbest {
                    bbest = i1 + i2;
                    bbest1 = i1;
                }
                d -= 2;
            }
            return if (lim1 + lim2) - bbest < fbest - (off1 + off2) {
                Split {
                    i1: fbest1,
                    i2: fbest - fbest1,
                    min_lo: true,
                    min_hi: false,
                }
            } else {
                Split {
                    i1: bbest1,
                    i2: bbest - bbest1,
                    min_lo: false,
                    min_hi: true,
                }
            };
        }
        ec += 1;
    }
}

/// A run of changed lines, or the empty place between two unchanged lines (`xdlgroup`).
#[derive(Clone, Copy)]
struct Group {
    start: isize,
    end: isize,
}

impl Group {
    fn first(f: &XdFile) -> Group {
        let mut g = Group { start: 0, end: 0 };
        while f.changed(g.end) {
            g.end += 1;
        }
        g
    }

    /// The next group; false at the end of the file.
    fn next(&mut self, f: &XdFile) -> bool {
        if self.end == f.nrec() {
            return false;
        }
        self.start = self.end + 1;
        self.end = self.start;
        while f.changed(self.end) {
            self.end += 1;
        }
        true
    }

    /// The previous group; false at the start of the file.
    fn previous(&mut self, f: &XdFile) -> bool {
        if self.start == 0 {
            return false;
        }
        self.end = self.start - 1;
        self.start = self.end;
        while f.changed(self.start - 1) {
            self.start -= 1;
        }
        true
    }

    /// Slide one line toward the end, merging with a group it reaches.
    fn slide_down(&mut self, f: &mut XdFile) -> bool {
        if self.end < f.nrec() && f.same(self.start, self.end) {
            f.set_changed(self.start, false);
            f.set_changed(self.end, true);
            self.start += 1;
            self.end += 1;
            while f.changed(self.end) {
                self.end += 1;
            }
            true
        } else {
            false
        }
    }

    /// Slide one line toward the start, merging with a group it reaches.
    fn slide_up(&mut self, f: &mut XdFile) -> bool {
        if self.start > 0 && f.same(self.start - 1, self.end - 1) {
            self.start -= 1;
            self.end -= 1;
            f.set_changed(self.start, true);
            f.set_changed(self.end, false);
            while f.changed(self.start - 1) {
                self.start -= 1;
            }
            true
        } else {
            false
        }
    }
}

// git's invariants while sliding (its `BUG()`s): the two files' groups stay in step.
const SYNC: &str = "xdiff: change groups out of step";

/// `xdl_change_compact`: slide each group of changed lines of `f` as far as it goes, merging
/// groups it meets, then settle it where it lines up with a change in `other`, or where the
/// indent heuristic scores best.
fn change_compact(f: &mut XdFile, other: &mut XdFile, indent_heuristic: bool) {
    const INDENT_HEURISTIC_MAX_SLIDING: isize = 100;
    let mut g = Group::first(f);
    let mut go = Group::first(other);
    loop {
        if g.end != g.start {
            let mut groupsize;
            let mut earliest_end;
            let mut end_matching_other;
            loop {
                groupsize = g.end - g.start;
                end_matching_other = -1;
                while g.slide_up(f) {
                    assert!(go.previous(other), "{SYNC}");
                }
                earliest_end = g.end;
                if go.end > go.start {
                    end_matching_other = g.end;
                }
                while g.slide_down(f) {
                    assert!(go.next(other), "{SYNC}");
                    if go.end > go.start {
                        end_matching_other = g.end;
                    }
                }
                if groupsize == g.end - g.start {
                    break;
                }
            }

            if g.end == earliest_end {
                // It cannot move.
            } else if end_matching_other != -1 {
                while go.end == go.start {
                    assert!(g.slide_up(f), "{SYNC}");
                    assert!(go.previous(other), "{SYNC}");
                }
            } else if indent_heuristic {
                let mut shift = earliest_end
                    .max(g.end - groupsize - 1)
                    .max(g.end - INDENT_HEURISTIC_MAX_SLIDING);
                let mut best: Option<(isize, SplitScore)> = None;
                while shift <= g.end {
                    let mut score = SplitScore::default();
                    score.add(&measure_split(f, shift));
                    score.add(&measure_split(f, shift - groupsize));
                    if best.as_ref().is_none_or(|(_, b)| score.cmp(b) <= 0) {
                        best = Some((shift, score));
                    }
                    shift += 1;
                }
                let best_shift = best.map_or(g.end, |(s, _)| s);
                while g.end > best_shift {
                    assert!(g.slide_up(f), "{SYNC}");
                    assert!(go.previous(other), "{SYNC}");
                }
            }
        }
        if !g.next(f) {
            break;
        }
        assert!(go.next(other), "{SYNC}");
    }
    assert!(!go.next(other), "{SYNC}");
}

/// Indentation of a line, tabs to multiples of 8, capped at 200; -1 for a blank line.
fn get_indent(line: &[u8]) -> isize {
    const MAX_INDENT: isize = 200;
    let mut ret = 0;
    for &c in line {
        if !is_space(c) {
            return ret;
        } else if c == b' ' {
            ret += 1;
        } else if c == b'\t' {
            ret += 8 - ret % 8;
        }
        if ret >= MAX_INDENT {
            return MAX_INDENT;
        }
    }
    -1
}

/// `XDL_ISSPACE`: git's own `isspace` (`ctype.c`), which is space, \t, \n and \r only
/// (not \v or \f, unlike C's).
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r')
}

#[derive(Default)]
struct SplitMeasurement {
    end_of_file: bool,
    indent: isize,
    pre_blank: isize,
    pre_indent: isize,
    post_blank: isize,
    post_indent: isize,
}

fn measure_split(f: &XdFile, split: isize) -> SplitMeasurement {
    const MAX_BLANKS: isize = 20;
    let mut m = SplitMeasurement::default();
    if split >= f.nrec() {
        m.end_of_file = true;
        m.indent = -1;
    } else {
        m.indent = get_indent(f.lines[split as usize]);
    }
    m.pre_indent = -1;
    let mut i = split - 1;
    while i >= 0 {
        m.pre_indent = get_indent(f.lines[i as usize]);
        if m.pre_indent != -1 {
            break;
        }
        m.pre_blank += 1;
        if m.pre_blank == MAX_BLANKS {
            m.pre_indent = 0;
            break;
        }
        i -= 1;
    }
    m.post_indent = -1;
    let mut i = split + 1;
    while i < f.nrec() {
        m.post_indent = get_indent(f.lines[i as usize]);
        if m.post_indent != -1 {
            break;
        }
        m.post_blank += 1;
        if m.post_blank == MAX_BLANKS {
            m.post_indent = 0;
            break;
        }
        i += 1;
    }
    m
}

#[derive(Default)]
struct SplitScore {
    effective_indent: isize,
    penalty: isize,
}

impl SplitScore {
    /// `score_add_split`, with git's empirically chosen weights.
    fn add(&mut self, m: &SplitMeasurement) {
        const START_OF_FILE_PENALTY: isize = 1;
        const END_OF_FILE_PENALTY: isize = 21;
        const TOTAL_BLANK_WEIGHT: isize = -30;
        const POST_BLANK_WEIGHT: isize = 6;
        const RELATIVE_INDENT_PENALTY: isize = -4;
        const RELATIVE_INDENT_WITH_BLANK_PENALTY: isize = 10;
        const RELATIVE_OUTDENT_PENALTY: isize = 24;
        const RELATIVE_OUTDENT_WITH_BLANK_PENALTY: isize = 17;
        const RELATIVE_DEDENT_PENALTY: isize = 23;
        const RELATIVE_DEDENT_WITH_BLANK_PENALTY: isize = 17;

        if m.pre_indent == -1 && m.pre_blank == 0 {
            self.penalty += START_OF_FILE_PENALTY;
        }
        if m.end_of_file {
            self.penalty += END_OF_FILE_PENALTY;
        }
        let post_blank = if m.indent == -1 { 1 + m.post_blank } else { 0 };
        let total_blank = m.pre_blank + post_blank;
        self.penalty += TOTAL_BLANK_WEIGHT * total_blank;
        self.penalty += POST_BLANK_WEIGHT * post_blank;
        let indent = if m.indent != -1 { m.indent } else { m.post_indent };
        let any_blanks = total_blank != 0;
        self.effective_indent += indent;
        if indent == -1 || m.pre_indent == -1 || indent == m.pre_indent {
            // No adjustment.
        } else if indent > m.pre_indent {
            self.penalty += if any_blanks {
                RELATIVE_INDENT_WITH_BLANK_PENALTY
            } else {
                RELATIVE_INDENT_PENALTY
            };
        } else if m.post_indent != -1 && m.post_indent > indent {
            self.penalty += if any_blanks {
                RELATIVE_OUTDENT_WITH_BLANK_PENALTY
            } else {
                RELATIVE_OUTDENT_PENALTY
            };
        } else {
            self.penalty += if any_blanks {
                RELATIVE_DEDENT_WITH_BLANK_PENALTY
            } else {
                RELATIVE_DEDENT_PENALTY
            };
        }
    }

    /// `score_cmp`: negative when `self` is the better split.
    fn cmp(&self, other: &SplitScore) -> isize {
        const INDENT_WEIGHT: isize = 60;
        let cmp_indents = (self.effective_indent > other.effective_indent) as isize
            - ((self.effective_indent < other.effective_indent) as isize);
        INDENT_WEIGHT * cmp_indents + (self.penalty - other.penalty)
    }
}

/// `xdl_build_script`: the changed runs of both files, paired, in file order.
fn build_script(f1: &XdFile, f2: &XdFile) -> Vec<Hunk> {
    let mut hunks = Vec::new();
    let (mut i1, mut i2) = (f1.nrec(), f2.nrec());
    while i1 >= 0 || i2 >= 0 {
        if f1.changed(i1 - 1) || f2.changed(i2 - 1) {
            let (l1, l2) = (i1, i2);
            while f1.changed(i1 - 1) {
                i1 -= 1;
            }
            while f2.changed(i2 - 1) {
                i2 -= 1;
            }
            hunks.push(Hunk {
                before: i1 as u32..l1 as u32,
                after: i2 as u32..l2 as u32,
            });
        }
        i1 -= 1;
        i2 -= 1;
    }
    hunks.reverse();
    hunks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hunks(a: &str, b: &str) -> Vec<(Range<u32>, Range<u32>)> {
        xdiff_hunks(a.as_bytes(), b.as_bytes(), XdiffOptions::default())
            .into_iter()
            .map(|h| (h.before, h.after))
            .collect()
    }

    #[test]
    fn equal_files_have_no_hunks() {
        assert!(hunks("a\nb\n", "a\nb\n").is_empty());
        assert!(hunks("", "").is_empty());
    }

    #[test]
    fn a_missing_final_newline_is_a_change() {
        assert_eq!(hunks("a\nb", "a\nb\n"), vec![(1..2, 1..2)]);
    }

    #[test]
    fn insertion_deletion_and_replacement() {
        assert_eq!(hunks("a\nc\n", "a\nb\nc\n"), vec![(1..1, 1..2)]);
        assert_eq!(hunks("a\nb\nc\n", "a\nc\n"), vec![(1..2, 1..1)]);
        assert_eq!(hunks("a\nb\nc\n", "a\nx\nc\n"), vec![(1..2, 1..2)]);
    }

    #[test]
    fn an_inserted_block_between_blank_lines_slides_as_git_puts_it() {
        // A new function after an existing one: git shows it with the blank line after it
        // rather than before (the indent heuristic), unlike a plain Myers diff.
        let old = "def a():\n    pass\n\ndef c():\n    pass\n";
        let new = "def a():\n    pass\n\ndef b():\n    pass\n\ndef c():\n    pass\n";
        assert_eq!(hunks(old, new), vec![(3..3, 3..6)]);
    }

    /// The counting shortcut (common lines found on bytes, only looked up) marks exactly the
    /// lines the whole diff marks: random edits near the ends, files without a final newline,
    /// empty and identical files, lines repeated between the middle and the common ends.
    #[test]
    fn counts_equal_the_whole_diff() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut below = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        let words = ["", "", "", "a", "b", "}", "  x", "long line here", "\t", "a b"];
        let plain = XdiffOptions {
            trim_common_tail: false,
            ..Default::default()
        };
        let mut unique = 0;
        for round in 0..3000 {
            // Long files too, where blank lines pass xdiff's many-matches limit and the
            // common ends' blank lines decide which middle lines it discards.
            let n = if round % 3 == 0 {
                100 + below(300)
            } else {
                below(60)
            };
            let old: Vec<String> = (0..n).map(|_| words[below(words.len())].to_string()).collect();
            let mut new = old.clone();
            for _ in 0..below(4) {
                let at = below(new.len() + 1);
                match below(4) {
                    0 => new.insert(at, words[below(words.len())].to_string()),
                    1 if at < new.len() => {
                        new.remove(at);
                    }
                    2 if at < new.len() => new[at] = words[below(words.len())].to_string(),
                    _ => {
                        // A run rewritten with new words, blank lines kept.
                        for line in new.iter_mut().skip(at).take(3 + below(8)) {
                            if !line.is_empty() {
                                unique += 1;
                                *line = format!("new {unique}");
                            }
                        }
                    }
                }
            }
            let text = |lines: &[String], newline: bool| {
                let mut t = lines.join("\n");
                if newline && !lines.is_empty() {
                    t.push('\n');
                }
                t.into_bytes()
            };
            let (a, b) = (text(&old, below(4) != 0), text(&new, below(4) != 0));
            let hunks = xdiff_hunks(&a, &b, plain);
            let whole = (
                hunks.iter().map(|h| h.after.len() as u32).sum::<u32>(),
                hunks.iter().map(|h| h.before.len() as u32).sum::<u32>(),
            );
            assert_eq!(xdiff_counts(&a, &b, plain), whole, "{old:?} -> {new:?}");
        }
    }

    #[test]
    fn common_lines_are_whole_lines() {
        assert_eq!(common_lines(b"x\ny\n", b"y\n"), (0, 2));
        assert_eq!(common_lines(b"x\n", b"x\ny\n"), (2, 0));
        assert_eq!(common_lines(b"x", b"x\n"), (0, 0));
        assert_eq!(common_lines(b"ab\ncd\n", b"ab\nxd\n"), (3, 0));
        assert_eq!(common_lines(b"a\nzz\n", b"a\nyzz\n"), (2, 0));
        assert_eq!(common_lines(b"p\nq\nend\n", b"p\nr\nend\n"), (2, 4));
    }

    #[test]
    fn the_common_tail_is_trimmed_to_a_line_boundary() {
        let tail = "x\n".repeat(2000);
        let (a, b) = (format!("one\n{tail}"), format!("two\n{tail}"));
        assert_eq!(hunks(&a, &b), vec![(0..1, 0..1)]);
    }
}
