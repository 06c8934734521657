-- Commit activity by weekday and hour, in each author's own time zone (author_offset).
-- weekday: 0 = Sunday .. 6 = Saturday. Bots (author_is_bot) are left out.
SELECT
    CAST(date_part('dow', local_time) AS BIGINT) AS weekday,
    CAST(date_part('hour', local_time) AS BIGINT) AS hour,
    count(*) AS commits
FROM (
    SELECT to_timestamp_seconds(CAST(to_unixtime(author_time) AS BIGINT) + author_offset * 60) AS local_time
    FROM commits
    WHERE NOT author_is_bot
)
GROUP BY 1, 2
ORDER BY 1, 2;
