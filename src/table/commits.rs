//! `commits`: one row per commit, with diff stats against the first parent, the co-authors its
//! trailers credit, and whether its author is a bot.

use std::sync::{Arc, LazyLock};

use arrow::array::{
    ArrayRef, BooleanBuilder, Int32Builder, Int64Builder, ListBuilder, RecordBatch, StringBuilder,
    TimestampMicrosecondBuilder,
};
use arrow::datatypes::SchemaRef;

use super::columns::{boolean, int32, int64, repeated, schema_of, timestamp, utf8, utf8_list};
use super::def::{Args, Pushdown, TableDef};
use super::sink::BatchSink;
use super::spec::Partition;
use crate::error::Result;
use crate::source::git::bots::BotRules;
use crate::source::git::commits::{count, walk, CommitNeeds, CommitRecord, Person};
use crate::source::git::parallel::read_commits;

pub(crate) fn schema() -> SchemaRef {
    static SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
        schema_of(vec![
            utf8("repo"),
            utf8("sha"),
            utf8_list("parents"),
            int64("parent_count"),
            boolean("is_merge"),
            utf8("author_name"),
            utf8("author_email"),
            timestamp("author_time"),
            int32("author_offset"),
            utf8("committer_name"),
            utf8("committer_email"),
            timestamp("committer_time"),
            int32("committer_offset"),
            utf8("summary"),
            utf8("message"),
            int64("additions"),
            int64("deletions"),
            int64("files_changed"),
            utf8("mailmap_author_name"),
            utf8("mailmap_author_email"),
            utf8_list("co_authors"),
            utf8_list("mailmap_co_authors"),
            boolean("author_is_bot"),
        ])
    });
    SCHEMA.clone()
}

pub(crate) static TABLE: TableDef = TableDef {
    name: "commits",
    schema,
    args: Args::Revision("revision range"),
    pushdown: Pushdown {
        commit_times: true,
        paths: false,
        merges: true,
    },
    lists_unusable_repos: false,
    produce,
};

const PEOPLE: [&str; 9] = [
    "author_name",
    "author_email",
    "author_time",
    "author_offset",
    "committer_name",
    "committer_email",
    "committer_time",
    "committer_offset",
    "author_is_bot",
];

fn produce(part: &Partition<'_>, sink: &mut BatchSink) -> Result<()> {
    let (spec, location) = (part.spec, part.location()?);
    let wants_any = |cols: &[&str]| cols.iter().any(|c| part.wants(c));
    let needs = CommitNeeds {
        people: wants_any(&PEOPLE),
        message: wants_any(&["summary", "message", "co_authors", "mailmap_co_authors"]),
        mailmap: wants_any(&[
            "mailmap_author_name",
            "mailmap_author_email",
            "mailmap_co_authors",
        ]),
        co_authors: wants_any(&["co_authors", "mailmap_co_authors"]),
        co_authors_mailmap: part.wants("mailmap_co_authors"),
        stats: wants_any(&["additions", "deletions", "files_changed"]),
        files: false,
        file_lines: false,
        file_patches: false,
        merges: spec.merges,
    };
    // `count(*)`, `sha` and `parents` need no commit decoding beyond the walk itself, unless
    // time bounds must be checked.
    let decode = needs.people
        || needs.message
        || needs.mailmap
        || needs.stats
        || wants_any(&["parents", "parent_count", "is_merge"])
        || spec.times != Default::default()
        || spec.merges.is_some();
    let bots = part
        .wants("author_is_bot")
        .then(|| BotRules::new(spec.bots.iter().cloned()));
    let mut rows = CommitRows::new(&location.name, bots);
    if !decode && spec.projection.as_ref().is_some_and(Vec::is_empty) {
        // `count(*)`: rows without columns; no row is built.
        let repo = location.open_gix()?;
        let n = count(&repo, &location.name, spec.rev.as_deref())?;
        sink.counters
            .commits
            .fetch_add(n, std::sync::atomic::Ordering::Relaxed);
        sink.send_row_count(n as usize)?;
        return Ok(());
    }
    if !decode {
        let repo = location.open_gix()?;
        for id in walk(&repo, &location.name, spec.rev.as_deref(), None)? {
            sink.counters
                .commits
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            rows.append(&CommitRecord::new(id?));
            if rows.len >= sink.batch_rows() && !sink.send(rows.finish()?)? {
                return Ok(());
            }
        }
    } else {
        let counters = sink.counters.clone();
        let plan = spec.read_plan(location, needs, &counters);
        read_commits(&plan, &mut |record| {
            rows.append(&record);
            if rows.len >= sink.batch_rows() {
                return sink.send(rows.finish()?);
            }
            Ok(true)
        })?;
    }
    sink.send(rows.finish()?)?;
    Ok(())
}

struct CommitRows {
    repo_name: String,
    len: usize,
    sha: StringBuilder,
    parents: ListBuilder<StringBuilder>,
    parent_count: Int64Builder,
    is_merge: BooleanBuilder,
    author: PersonColumns,
    committer: PersonColumns,
    summary: StringBuilder,
    message: StringBuilder,
    additions: Int64Builder,
    deletions: Int64Builder,
    files_changed: Int64Builder,
    mailmap_name: StringBuilder,
    mailmap_email: StringBuilder,
    co_authors: ListBuilder<StringBuilder>,
    mailmap_co_authors: ListBuilder<StringBuilder>,
    author_is_bot: BooleanBuilder,
    /// Set when `author_is_bot` is selected.
    bots: Option<BotRules>,
}

#[derive(Default)]
struct PersonColumns {
    name: StringBuilder,
    email: StringBuilder,
    time: TimestampMicrosecondBuilder,
    offset: Int32Builder,
}

impl PersonColumns {
    fn append(&mut self, p: &Person) {
        self.name.append_value(&p.name);
        self.email.append_value(&p.email);
        self.time.append_value(p.time * 1_000_000);
        self.offset.append_value(p.offset_minutes);
    }

    fn finish(&mut self) -> [ArrayRef; 4] {
        [
            Arc::new(self.name.finish()),
            Arc::new(self.email.finish()),
            Arc::new(self.time.finish().with_timezone("UTC")),
            Arc::new(self.offset.finish()),
        ]
    }
}

impl CommitRows {
    fn new(repo_name: &str, bots: Option<BotRules>) -> Self {
        CommitRows {
            repo_name: repo_name.to_string(),
            len: 0,
            sha: StringBuilder::new(),
            parents: ListBuilder::new(StringBuilder::new()),
            parent_count: Int64Builder::new(),
            is_merge: BooleanBuilder::new(),
            author: PersonColumns::default(),
            committer: PersonColumns::default(),
            summary: StringBuilder::new(),
            message: StringBuilder::new(),
            additions: Int64Builder::new(),
            deletions: Int64Builder::new(),
            files_changed: Int64Builder::new(),
            mailmap_name: StringBuilder::new(),
            mailmap_email: StringBuilder::new(),
            co_authors: ListBuilder::new(StringBuilder::new()),
            mailmap_co_authors: ListBuilder::new(StringBuilder::new()),
            author_is_bot: BooleanBuilder::new(),
            bots,
        }
    }

    fn append(&mut self, c: &CommitRecord) {
        self.len += 1;
        self.sha.append_value(c.id.to_string());
        for p in &c.parents {
            self.parents.values().append_value(p.to_string());
        }
        self.parents.append(true);
        self.parent_count.append_value(c.parents.len() as i64);
        self.is_merge.append_value(c.parents.len() > 1);
        self.author.append(&c.author);
        self.committer.append(&c.committer);
        self.summary.append_value(&c.summary);
        self.message.append_value(&c.message);
        for co_author in &c.co_authors {
            self.co_authors.values().append_value(co_author);
        }
        self.co_authors.append(true);
        for co_author in &c.mailmap_co_authors {
            self.mailmap_co_authors.values().append_value(co_author);
        }
        self.mailmap_co_authors.append(true);
        match &self.bots {
            Some(bots) => self
                .author_is_bot
                .append_value(bots.is_bot(&c.author.name, &c.author.email)),
            None => self.author_is_bot.append_null(),
        }
        match &c.stats {
            Some(s) => {
                self.additions.append_value(s.additions);
                self.deletions.append_value(s.deletions);
                self.files_changed.append_value(s.files_changed);
            }
            None => {
                self.additions.append_null();
                self.deletions.append_null();
                self.files_changed.append_null();
            }
        }
        match &c.mailmap_author {
            Some((name, email)) => {
                self.mailmap_name.append_value(name);
                self.mailmap_email.append_value(email);
            }
            None => {
                self.mailmap_name.append_null();
                self.mailmap_email.append_null();
            }
        }
    }

    fn finish(&mut self) -> Result<RecordBatch> {
        let len = std::mem::take(&mut self.len);
        let [an, ae, at, ao] = self.author.finish();
        let [cn, ce, ct, co] = self.committer.finish();
        let columns: Vec<ArrayRef> = vec![
            repeated(&self.repo_name, len),
            Arc::new(self.sha.finish()),
            Arc::new(self.parents.finish()),
            Arc::new(self.parent_count.finish()),
            Arc::new(self.is_merge.finish()),
            an,
            ae,
            at,
            ao,
            cn,
            ce,
            ct,
            co,
            Arc::new(self.summary.finish()),
            Arc::new(self.message.finish()),
            Arc::new(self.additions.finish()),
            Arc::new(self.deletions.finish()),
            Arc::new(self.files_changed.finish()),
            Arc::new(self.mailmap_name.finish()),
            Arc::new(self.mailmap_email.finish()),
            Arc::new(self.co_authors.finish()),
            Arc::new(self.mailmap_co_authors.finish()),
            Arc::new(self.author_is_bot.finish()),
        ];
        Ok(RecordBatch::try_new(schema(), columns)?)
    }
}
