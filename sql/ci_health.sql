-- CI health per workflow: runs, how often completed runs fail, median and 90th percentile duration, and how often runs are re-run.
-- Parameters: owner, repo. Failure rate: failure or timed_out among completed runs that ran (cancelled, skipped and neutral left out). Duration: run_started_at to updated_at of completed runs, in seconds (GitHub's run timing). Re-run: the run's latest attempt is above 1. The workflow's name is its latest run's.
SELECT
    workflow_id,
    first_value(name ORDER BY created_at DESC) AS workflow,
    count(*) AS runs,
    count(*) FILTER (WHERE status = 'completed') AS completed,
    round(100.0 * count(*) FILTER (WHERE conclusion IN ('failure', 'timed_out'))
        / nullif(count(*) FILTER (WHERE status = 'completed' AND conclusion NOT IN ('cancelled', 'skipped', 'neutral')), 0), 1) AS failure_percent,
    count(*) FILTER (WHERE conclusion = 'cancelled') AS cancelled,
    round(percentile_cont(0.5) WITHIN GROUP (ORDER BY CASE WHEN status = 'completed' THEN to_unixtime(updated_at) - to_unixtime(run_started_at) END), 1) AS median_seconds,
    round(percentile_cont(0.9) WITHIN GROUP (ORDER BY CASE WHEN status = 'completed' THEN to_unixtime(updated_at) - to_unixtime(run_started_at) END), 1) AS p90_seconds,
    round(100.0 * count(*) FILTER (WHERE run_attempt > 1) / count(*), 1) AS rerun_percent
FROM gh_workflow_runs
WHERE owner = $owner AND repo = $repo
GROUP BY workflow_id
ORDER BY runs DESC, workflow_id;
