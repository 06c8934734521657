//! The commits blame ignores, as `git blame` reads them: the files `blame.ignoreRevsFile`
//! names (each time it is set; an empty value drops those before it), or one file given with
//! the query (`--ignore-revs-file`). A file lists full object ids, one per line, with `#`
//! comments; tags are peeled to their commits.

use std::borrow::Cow;

use gix::ObjectId;

use crate::error::{Error, Result};

/// Where the ignored commits come from: the repository's configuration (`None`, git's
/// default), nowhere (`Some("")`), or a file (`Some(path)`).
pub(crate) fn resolve(
    repo: &gix::Repository,
    name: &str,
    choice: Option<&str>,
    commit: ObjectId,
) -> Result<Vec<ObjectId>> {
    let mut ids = Vec::new();
    match choice {
        Some("") => {}
        Some(file) => {
            check_inside(repo, name, file)?;
            let text = read(repo, name, file, commit)?.ok_or_else(|| {
                Error::InvalidArgument(format!("{name}: blame: cannot read the ignore-revs file {file}"))
            })?;
            parse(repo, name, file, &text, &mut ids)?;
        }
        None => {
            let config = repo.config_snapshot();
            for value in config.strings("blame.ignoreRevsFile").unwrap_or_default() {
                let file = value.to_string();
                if file.is_empty() {
                    ids.clear();
                    continue;
                }
                // git refuses to blame when a configured file is missing; a fleet shares one
                // global configuration across repositories that may not all have the file.
                if let Some(text) = read(repo, name, &file, commit)? {
                    parse(repo, name, &file, &text, &mut ids)?;
                }
            }
        }
    }
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// A file named in a query must be the repository's own: a relative path without `..`, and in a
/// working tree not a link out of it. Whoever may query a repository (a `serve` client granted
/// it) may read its files, but nothing else on the machine, and a malformed line's text is
/// shown in the error.
fn check_inside(repo: &gix::Repository, name: &str, file: &str) -> Result<()> {
    let path = std::path::Path::new(file);
    let outside = || {
        Error::InvalidArgument(format!(
            "{name}: blame: the ignore-revs file must be a path inside the repository, not {file}"
        ))
    };
    if path.is_absolute()
        || file.starts_with('~')
        || path
            .components()
            .any(|c| !matches!(c, std::path::Component::Normal(_) | std::path::Component::CurDir))
    {
        return Err(outside());
    }
    if let Some(dir) = repo.workdir() {
        if let (Ok(top), Ok(target)) = (dir.canonicalize(), dir.join(path).canonicalize()) {
            if !target.starts_with(&top) {
                return Err(outside());
            }
        }
    }
    Ok(())
}

/// The file's text: an absolute (or `~/`) path from disk; a relative one from the working tree's
/// top, or, in a repository without one (a clone-on-scan cache), from the blamed commit's tree.
fn read(repo: &gix::Repository, name: &str, file: &str, commit: ObjectId) -> Result<Option<String>> {
    let expanded: Cow<'_, str> = match file.strip_prefix("~/") {
        Some(rest) => match dirs::home_dir() {
            Some(home) => Cow::Owned(home.join(rest).to_string_lossy().into_owned()),
            None => Cow::Borrowed(file),
        },
        None => Cow::Borrowed(file),
    };
    let path = std::path::Path::new(expanded.as_ref());
    let on_disk = if path.is_absolute() {
        Some(path.to_path_buf())
    } else {
        repo.workdir().map(|dir| dir.join(path))
    };
    if let Some(on_disk) = on_disk {
        return match std::fs::read(&on_disk) {
            Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::InvalidArgument(format!(
                "{name}: blame: cannot read {}: {e}",
                on_disk.display()
            ))),
        };
    }
    let tree = repo
        .find_commit(commit)
        .and_then(|c| c.tree())
        .map_err(|e| Error::git(name, e))?;
    let Some(entry) = tree
        .lookup_entry_by_path(expanded.as_ref())
        .map_err(|e| Error::git(name, e))?
    else {
        return Ok(None);
    };
    let blob = repo
        .find_blob(entry.object_id())
        .map_err(|e| Error::git(name, e))?;
    Ok(Some(String::from_utf8_lossy(&blob.data).into_owned()))
}

/// git's `oidset_parse_file_carefully` with `peel_to_commit_oid`.
fn parse(repo: &gix::Repository, name: &str, file: &str, text: &str, ids: &mut Vec<ObjectId>) -> Result<()> {
    for (number, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let invalid = || {
            Error::InvalidArgument(format!(
                "{name}: blame: invalid object name '{line}' in {file} line {}",
                number + 1
            ))
        };
        let id = ObjectId::from_hex(line.as_bytes()).map_err(|_| invalid())?;
        // A commit that is not in this repository is in no history blame walks here.
        let Ok(object) = repo.find_object(id) else {
            continue;
        };
        let commit = object.peel_tags_to_end().map_err(|e| Error::git(name, e))?;
        if commit.kind != gix::object::Kind::Commit {
            return Err(invalid());
        }
        ids.push(commit.id);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_with_comments_and_bad_names() {
        let dir = tempfile::tempdir().unwrap();
        let repo = gix::init(dir.path()).unwrap();
        let mut ids = Vec::new();
        // Unknown commits are passed over; comments and blank lines too.
        parse(
            &repo,
            "r",
            "f",
            "# reformat\n\n0123456789012345678901234567890123456789 # old\n",
            &mut ids,
        )
        .unwrap();
        assert!(ids.is_empty());
        let err = parse(&repo, "r", "f", "abc123\n", &mut ids)
            .unwrap_err()
            .to_string();
        assert!(err.contains("invalid object name 'abc123' in f line 1"), "{err}");
    }
}
