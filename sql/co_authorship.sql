-- Co-authorship: everyone credited with commits, as author or as co-author (Co-authored-by trailers), after .mailmap.
-- A commit counts once per person (an author who also lists themselves as co-author counts once); bots (is_bot) are left out.
WITH credits AS (
    SELECT repo, sha, mailmap_author_name AS name, mailmap_author_email AS email, true AS authored
    FROM commits
    UNION ALL
    SELECT
        repo,
        sha,
        regexp_replace(person, '\s*<[^<]*>$', '') AS name,
        regexp_replace(person, '^.*<([^<]*)>$', '\1') AS email,
        false AS authored
    FROM (SELECT repo, sha, unnest(mailmap_co_authors) AS person FROM commits)
)
SELECT
    repo,
    name AS person,
    email,
    count(DISTINCT sha) AS commits,
    count(DISTINCT sha) FILTER (WHERE authored) AS authored,
    count(DISTINCT sha) FILTER (WHERE NOT authored) AS co_authored
FROM credits
WHERE NOT is_bot(name, email)
GROUP BY repo, name, email
ORDER BY commits DESC, co_authored DESC, email;
