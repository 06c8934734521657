-- Code age: how long ago the lines at HEAD were last changed, as a histogram per repository.
-- Age is measured from each repository's newest blamed line (not from today), so results are stable.
WITH aged AS (
    SELECT
        repo,
        (max(to_unixtime(author_time)) OVER (PARTITION BY repo) - to_unixtime(author_time)) / 86400 AS days
    FROM blame
)
SELECT
    repo,
    CASE
        WHEN days < 30 THEN '1: < 1 month'
        WHEN days < 182 THEN '2: 1-6 months'
        WHEN days < 365 THEN '3: 6-12 months'
        WHEN days < 730 THEN '4: 1-2 years'
        ELSE '5: 2+ years'
    END AS age,
    count(*) AS lines,
    round(100.0 * count(*) / sum(count(*)) OVER (PARTITION BY repo), 1) AS percent
FROM aged
GROUP BY repo, 2
ORDER BY repo, age;
