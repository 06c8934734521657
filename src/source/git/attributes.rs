//! The `linguist-*` attributes a revision's own `.gitattributes` files give a path, as GitHub
//! linguist reads them (from the tree, not a worktree; the root file's macros included).
//!
//! Scans ask for many paths of one tree (`files`) or a few paths of many trees
//! (`commit_files`), so what repeats is cached: each tree's `.gitattributes` blob, and the
//! parsed patterns of each chain of `.gitattributes` files from the root down to a directory.

use std::collections::HashMap;
use std::path::PathBuf;
use std::rc::Rc;

use gix::attrs::search::{MetadataCollection, Outcome};
use gix::attrs::{Search, StateRef};
use gix::bstr::ByteSlice;
use gix::ObjectId;

use crate::error::{Error, Result};

/// What `.gitattributes` says about a path for linguist. None: not mentioned (or `!attr`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct LinguistAttributes {
    pub vendored: Option<bool>,
    pub generated: Option<bool>,
    pub documentation: Option<bool>,
    pub detectable: Option<bool>,
    /// `linguist-language=NAME`, as written.
    pub language: Option<String>,
}

/// Entries a cache may hold before it starts over.
const CACHE_LIMIT: usize = 1 << 16;

const NAMES: [&str; 5] = [
    "linguist-vendored",
    "linguist-generated",
    "linguist-documentation",
    "linguist-detectable",
    "linguist-language",
];

/// The `.gitattributes` files from the root down to one directory: (directory, blob).
type Chain = Vec<(String, ObjectId)>;

struct Patterns {
    search: Search,
    collection: MetadataCollection,
}

/// Answers [`LinguistAttributes`] for paths of one tree at a time ([`Self::set_tree`]).
pub(crate) struct TreeAttributes<'r> {
    repo: &'r gix::Repository,
    name: &'r str,
    root: Option<ObjectId>,
    /// (root tree, directory path: `""` for the root, else `a/b`) -> the directory's tree.
    dirs: HashMap<(ObjectId, String), Option<ObjectId>>,
    /// Tree -> its `.gitattributes` blob; trees recur across commits, so this outlives a root.
    attribute_files: HashMap<ObjectId, Option<ObjectId>>,
    patterns: HashMap<Chain, Rc<Patterns>>,
    outcome: Outcome,
    buf: Vec<u8>,
}

impl<'r> TreeAttributes<'r> {
    pub(crate) fn new(repo: &'r gix::Repository, name: &'r str) -> Self {
        Self {
            repo,
            name,
            root: None,
            dirs: HashMap::new(),
            attribute_files: HashMap::new(),
            patterns: HashMap::new(),
            outcome: Outcome::default(),
            buf: Vec::new(),
        }
    }

    /// Answers for paths of `tree` from now on.
    pub(crate) fn set_tree(&mut self, tree: ObjectId) {
        self.root = Some(tree);
        // A scan of a long history meets millions of trees: the caches start over rather than
        // grow with it.
        for len in [self.dirs.len(), self.attribute_files.len(), self.patterns.len()] {
            if len > CACHE_LIMIT {
                self.dirs.clear();
                self.attribute_files.clear();
                self.patterns.clear();
                break;
            }
        }
    }

    /// The attributes of the file at `path` (repository-relative, `/`-separated).
    pub(crate) fn of(&mut self, path: &str) -> Result<LinguistAttributes> {
        let Some(root) = self.root else {
            return Ok(LinguistAttributes::default());
        };
        let mut chain = Chain::new();
        let mut dir_tree = Some(root);
        let mut dir = String::new();
        let mut components = path.split('/').peekable();
        while let Some(component) = components.next() {
            let Some(tree) = dir_tree else { break };
            if let Some(blob) = self.attribute_file(tree)? {
                chain.push((dir.clone(), blob));
            }
            if components.peek().is_none() {
                break;
            }
            if !dir.is_empty() {
                dir.push('/');
            }
            dir.push_str(component);
            dir_tree = self.subtree(root, tree, &dir, component)?;
        }
        if chain.is_empty() {
            return Ok(LinguistAttributes::default());
        }
        let patterns = self.patterns_of(chain)?;
        self.outcome
            .initialize_with_selection(&patterns.collection, NAMES);
        patterns.search.pattern_matching_relative_path(
            path.as_bytes().as_bstr(),
            gix::glob::pattern::Case::Sensitive,
            Some(false),
            &mut self.outcome,
        );
        let mut out = LinguistAttributes::default();
        for m in self.outcome.iter_selected() {
            let flag = match m.assignment.state {
                StateRef::Set => Some(true),
                StateRef::Unset => Some(false),
                // linguist: any value but "false" counts as set.
                StateRef::Value(v) => Some(v.as_bstr() != "false"),
                StateRef::Unspecified => None,
            };
            match m.assignment.name.as_str() {
                "linguist-vendored" => out.vendored = flag,
                "linguist-generated" => out.generated = flag,
                "linguist-documentation" => out.documentation = flag,
                "linguist-detectable" => out.detectable = flag,
                "linguist-language" => {
                    if let StateRef::Value(v) = m.assignment.state {
                        out.language = Some(v.as_bstr().to_str_lossy().into_owned());
                    }
                }
                _ => {}
            }
        }
        Ok(out)
    }

    fn subtree(
        &mut self,
        root: ObjectId,
        parent_tree: ObjectId,
        dir: &str,
        component: &str,
    ) -> Result<Option<ObjectId>> {
        let key = (root, dir.to_string());
        if let Some(known) = self.dirs.get(&key) {
            return Ok(*known);
        }
        let tree = self
            .repo
            .find_tree(parent_tree)
            .map_err(|e| Error::git(self.name, e))?;
        let decoded = tree.decode().map_err(|e| Error::git(self.name, e))?;
        let found = decoded
            .entries
            .iter()
            .find(|e| e.mode.is_tree() && e.filename == component.as_bytes())
            .map(|e| e.oid.to_owned());
        self.dirs.insert(key, found);
        Ok(found)
    }

    fn attribute_file(&mut self, tree: ObjectId) -> Result<Option<ObjectId>> {
        if let Some(known) = self.attribute_files.get(&tree) {
            return Ok(*known);
        }
        let decoded = self.repo.find_tree(tree).map_err(|e| Error::git(self.name, e))?;
        let found = decoded
            .decode()
            .map_err(|e| Error::git(self.name, e))?
            .entries
            .iter()
            // git reads a .gitattributes blob, never through a symbolic link.
            .find(|e| e.mode.is_blob() && e.filename == b".gitattributes".as_slice())
            .map(|e| e.oid.to_owned());
        self.attribute_files.insert(tree, found);
        Ok(found)
    }

    fn patterns_of(&mut self, chain: Chain) -> Result<Rc<Patterns>> {
        if let Some(known) = self.patterns.get(&chain) {
            return Ok(known.clone());
        }
        let mut collection = MetadataCollection::default();
        let mut search = Search::new_globals(None::<PathBuf>, &mut self.buf, &mut collection)
            .map_err(|e| Error::git(self.name, e))?;
        for (dir, blob) in &chain {
            let data = self
                .repo
                .find_object(*blob)
                .map_err(|e| Error::git(self.name, e))?
                .detach()
                .data;
            let source = if dir.is_empty() {
                PathBuf::from(".gitattributes")
            } else {
                PathBuf::from(format!("{dir}/.gitattributes"))
            };
            // As git: patterns are relative to their file's directory, and only the root
            // file may define macros.
            search
                .add_patterns_buffer(
                    &data,
                    source,
                    Some(std::path::Path::new("")),
                    &mut collection,
                    dir.is_empty(),
                )
                .map_err(|e| Error::git(self.name, e))?;
        }
        let patterns = Rc::new(Patterns { search, collection });
        self.patterns.insert(chain, patterns.clone());
        Ok(patterns)
    }
}
