-- Code ownership: lines at HEAD by the author who last changed them, with their share of each repository.
-- From blame (git blame's answer for every text file); authors as recorded in the commits. Bots (is_bot) are left out.
SELECT
    repo,
    author_name AS author,
    author_email AS email,
    count(*) AS lines,
    count(DISTINCT path) AS files,
    round(100.0 * count(*) / sum(count(*)) OVER (PARTITION BY repo), 1) AS percent
FROM blame
WHERE NOT is_bot(author_name, author_email)
GROUP BY repo, author_name, author_email
ORDER BY repo, lines DESC, email;
