-- Languages at HEAD per repository as GitHub's language bar counts them, with tokei's code lines.
-- Vendored, generated and documentation files and data/prose languages are left out, .gitattributes overrides honoured (GitHub linguist's rules).
-- Languages count under their group (TSX as TypeScript); share_pct is the share of the repository's counted bytes, as GitHub shows it.
SELECT
    repo,
    language_group AS language,
    count(*) AS files,
    sum(size) AS bytes,
    round(100.0 * sum(size) / sum(sum(size)) OVER (PARTITION BY repo), 2) AS share_pct,
    sum(code_lines) AS code_lines,
    sum(comment_lines) AS comment_lines,
    sum(blank_lines) AS blank_lines
FROM files
WHERE in_language_stats
GROUP BY repo, language_group
ORDER BY repo, bytes DESC, language;
