-- Pull request cycle time per month of opening: median and 90th percentile hours from opening to the first review and to merge.
-- Parameters: owner, repo (gitfleet run pr_cycle_time --param owner=apache --param repo=datafusion). The first review is the earliest submitted review by someone other than the pull request's author, bots (is_bot on the login) left out; drafts count. Reading every pull request's reviews costs one request per pull request.
WITH per_pull AS (
    SELECT
        p.number,
        p.created_at,
        p.merged_at,
        min(r.submitted_at) FILTER (WHERE r.reviewer <> p.author AND NOT is_bot(r.reviewer, '')) AS first_review_at
    FROM gh_pulls p
    LEFT JOIN (
        SELECT number, reviewer, submitted_at
        FROM gh_pull_reviews
        WHERE owner = $owner AND repo = $repo AND submitted_at IS NOT NULL
    ) r ON r.number = p.number
    WHERE p.owner = $owner AND p.repo = $repo
    GROUP BY p.number, p.created_at, p.merged_at
),
hours AS (
    SELECT
        CAST(date_trunc('month', created_at) AS DATE) AS month,
        first_review_at,
        merged_at,
        (to_unixtime(first_review_at) - to_unixtime(created_at)) / 3600.0 AS to_review,
        (to_unixtime(merged_at) - to_unixtime(created_at)) / 3600.0 AS to_merge
    FROM per_pull
)
SELECT
    month,
    count(*) AS opened,
    count(first_review_at) AS reviewed,
    count(merged_at) AS merged,
    round(percentile_cont(0.5) WITHIN GROUP (ORDER BY to_review), 1) AS median_hours_to_first_review,
    round(percentile_cont(0.9) WITHIN GROUP (ORDER BY to_review), 1) AS p90_hours_to_first_review,
    round(percentile_cont(0.5) WITHIN GROUP (ORDER BY to_merge), 1) AS median_hours_to_merge,
    round(percentile_cont(0.9) WITHIN GROUP (ORDER BY to_merge), 1) AS p90_hours_to_merge
FROM hours
GROUP BY month
ORDER BY month;
