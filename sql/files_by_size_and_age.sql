-- Files at HEAD by size, with the age of their last change (the newest commit touching the path).
SELECT
    f.repo,
    f.path,
    f.size,
    f.line_count,
    max(c.author_time) AS last_changed,
    CAST((date_part('epoch', now()) - date_part('epoch', max(c.author_time))) / 86400 AS BIGINT) AS age_days
FROM files f
LEFT JOIN commit_files cf ON cf.repo = f.repo AND cf.path = f.path
LEFT JOIN commits c ON c.repo = cf.repo AND c.sha = cf.sha
GROUP BY f.repo, f.path, f.size, f.line_count
ORDER BY f.size DESC, f.path
LIMIT 50;
