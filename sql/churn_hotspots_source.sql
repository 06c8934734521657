-- Churn hot spots in the code people write: churn_hotspots with vendored and generated files (GitHub linguist's rules, .gitattributes overrides) left out.
-- Paths are as they were at each commit; a file counts as vendored or generated as it was in that commit.
SELECT
    repo,
    path,
    count(*) AS commits,
    sum(additions) AS added,
    sum(deletions) AS removed,
    sum(additions + deletions) AS churn
FROM commit_files
WHERE is_vendored IS NOT TRUE AND is_generated IS NOT TRUE
GROUP BY repo, path
ORDER BY commits DESC, churn DESC, path
LIMIT 25;
