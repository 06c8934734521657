-- Ownership drift: per CODEOWNERS rule, the share of its files' lines at HEAD (blame) that its declared owners wrote, and who wrote the most.
-- An owner matches a line's author by email, or a GitHub @login by the author's noreply address (login@ or ID+login@users.noreply.github.com); teams (@org/team) match nobody. Lines by bots (is_bot) are left out.
WITH lines AS (
    SELECT
        f.repo,
        f.owners_rule AS rule_order,
        b.author_email,
        array_has(f.owners, b.author_email)
            OR (b.author_email LIKE '%@users.noreply.github.com'
                AND array_has(f.owners, '@' || regexp_replace(split_part(b.author_email, '@', 1), '^[0-9]+\+', ''))) AS by_owner
    FROM blame b
    JOIN files f ON f.repo = b.repo AND f.path = b.path
    WHERE f.owners_rule IS NOT NULL AND NOT is_bot(b.author_name, b.author_email)
),
authors AS (
    SELECT repo, rule_order, author_email, count(*) AS lines
    FROM lines
    GROUP BY repo, rule_order, author_email
),
per_rule AS (
    SELECT repo, rule_order, count(*) AS lines, count(*) FILTER (WHERE by_owner) AS owner_lines
    FROM lines
    GROUP BY repo, rule_order
),
top AS (
    SELECT
        repo,
        rule_order,
        first_value(author_email ORDER BY lines DESC, author_email) AS top_author,
        max(lines) AS top_author_lines
    FROM authors
    GROUP BY repo, rule_order
)
SELECT
    c.repo,
    c.rule_order,
    c.pattern,
    c.owners,
    coalesce(p.lines, 0) AS lines,
    coalesce(p.owner_lines, 0) AS owner_lines,
    round(100.0 * p.owner_lines / p.lines, 1) AS owner_percent,
    t.top_author,
    t.top_author_lines
FROM codeowners c
LEFT JOIN per_rule p ON p.repo = c.repo AND p.rule_order = c.rule_order
LEFT JOIN top t ON t.repo = c.repo AND t.rule_order = c.rule_order
ORDER BY c.repo, owner_percent NULLS LAST, c.rule_order;
