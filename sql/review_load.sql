-- Review load: reviews each person gave, and to whom (the pull request's author); author NULL is the reviewer's total.
-- Parameters: owner, repo. Submitted reviews only (pending ones have no time); reviewers that are bots (is_bot on the login) left out. pulls counts pull requests reviewed, reviews every review (a comment round counts).
SELECT
    r.reviewer,
    p.author,
    count(*) AS reviews,
    count(DISTINCT r.number) AS pulls,
    count(*) FILTER (WHERE r.state = 'APPROVED') AS approvals,
    count(*) FILTER (WHERE r.state = 'CHANGES_REQUESTED') AS changes_requested
FROM gh_pull_reviews r
JOIN gh_pulls p ON p.number = r.number
WHERE r.owner = $owner AND r.repo = $repo AND p.owner = $owner AND p.repo = $repo
  AND r.submitted_at IS NOT NULL AND NOT is_bot(r.reviewer, '')
GROUP BY GROUPING SETS ((r.reviewer, p.author), (r.reviewer))
ORDER BY r.reviewer, p.author NULLS FIRST;
