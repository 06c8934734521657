-- Top contributors: authors (after .mailmap) ranked by commits, with lines added and removed.
-- Merges are counted as commits; their diff stats are against the first parent. Bots (author_is_bot) are left out.
SELECT
    repo,
    mailmap_author_name AS author,
    mailmap_author_email AS email,
    count(*) AS commits,
    sum(additions) AS added,
    sum(deletions) AS removed,
    min(author_time) AS first_commit,
    max(author_time) AS last_commit
FROM commits
WHERE NOT author_is_bot
GROUP BY repo, mailmap_author_name, mailmap_author_email
ORDER BY commits DESC, added DESC, author
LIMIT 25;
