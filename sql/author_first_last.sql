-- First and last commit per author (after .mailmap): when each person joined and was last seen.
-- Bots (author_is_bot) are left out.
SELECT
    repo,
    mailmap_author_name AS author,
    mailmap_author_email AS email,
    min(author_time) AS first_commit,
    max(author_time) AS last_commit,
    count(*) AS commits,
    CAST(date_part('epoch', max(author_time)) - date_part('epoch', min(author_time)) AS BIGINT) / 86400 AS active_days
FROM commits
WHERE NOT author_is_bot
GROUP BY repo, mailmap_author_name, mailmap_author_email
ORDER BY first_commit, author;
