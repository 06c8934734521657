-- Churn hot spots: the files changed by the most commits, with total lines touched.
-- Paths are as they were at each commit (a renamed file counts under its new name from then on).
SELECT
    repo,
    path,
    count(*) AS commits,
    sum(additions) AS added,
    sum(deletions) AS removed,
    sum(additions + deletions) AS churn
FROM commit_files
GROUP BY repo, path
ORDER BY commits DESC, churn DESC, path
LIMIT 25;
