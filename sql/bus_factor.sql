-- Bus factor per top-level directory: the fewest authors who together last changed more than half of its lines at HEAD.
-- Files at the root count under '.'; authors are ranked by lines owned (ties by email). Lines last changed by bots (is_bot) are left out.
WITH owned AS (
    SELECT
        repo,
        CASE WHEN strpos(path, '/') > 0 THEN split_part(path, '/', 1) ELSE '.' END AS directory,
        author_email,
        count(*) AS lines
    FROM blame
    WHERE NOT is_bot(author_name, author_email)
    GROUP BY 1, 2, 3
),
ranked AS (
    SELECT
        repo,
        directory,
        author_email,
        lines,
        sum(lines) OVER (PARTITION BY repo, directory ORDER BY lines DESC, author_email
                         ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running,
        sum(lines) OVER (PARTITION BY repo, directory) AS total,
        row_number() OVER (PARTITION BY repo, directory ORDER BY lines DESC, author_email) AS rank
    FROM owned
)
SELECT
    repo,
    directory,
    min(rank) FILTER (WHERE 2 * running > total) AS bus_factor,
    max(total) AS lines,
    count(*) AS authors,
    first_value(author_email ORDER BY lines DESC, author_email) AS top_owner
FROM ranked
GROUP BY repo, directory
ORDER BY bus_factor, lines DESC, directory;
