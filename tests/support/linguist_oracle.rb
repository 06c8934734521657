# GitHub linguist's own verdict on every file of a revision, the oracle for the classification
# columns of `files` and `commit_files` (tests/oracle.rs). linguist reads `.gitattributes` from
# the index, so the revision's tree is loaded into an in-memory index (nothing is written).
#   ruby linguist_oracle.rb REPO [REV]
# prints: path TAB language TAB group TAB vendored TAB generated TAB documentation TAB in_language_stats NUL
# (NUL-terminated: a path may hold a newline)
require 'linguist'
require 'rugged'

repo = Rugged::Repository.new(ARGV[0])
commit = repo.rev_parse(ARGV[1] || 'HEAD')
repo.index.read_tree(commit.tree)
commit.tree.walk_blobs(:preorder) do |root, entry|
  path = "#{root}#{entry[:name]}"
  blob = Linguist::LazyBlob.new(repo, entry[:oid], path, entry[:filemode].to_s(8))
  language = blob.language
  # The language bar (Linguist::Repository) skips symbolic links before asking the blob. Some
  # of linguist's checks answer a truthy match or string rather than true: `!!` makes each a
  # boolean (and nil, for a file without a language, false).
  in_stats = entry[:filemode] == 0o120000 ? false : blob.include_in_language_stats?
  print [path, language ? language.name : 'NULL', language ? language.group.name : 'NULL',
        !!blob.vendored?, !!blob.generated?, !!blob.documentation?, !!in_stats].join("\t") + "\0"
end
