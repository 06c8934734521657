// The report's drawing: each section's rows (exactly what the SQL under it returned) are
// narrowed to the repository chosen at the top, captioned with the number that matters, and
// drawn with Vega-Lite as SVG. Errors also land on <body data-errors>, and <body data-rendered>
// counts the charts once all are drawn, so a headless browser can check the page.
(function () {
  "use strict";
  var errors = [];
  function fail(message) {
    errors.push(String(message));
    document.body.setAttribute("data-errors", errors.join("\n"));
  }
  window.addEventListener("error", function (e) { fail(e.message); });
  window.addEventListener("unhandledrejection", function (e) {
    fail((e.reason && e.reason.message) || e.reason);
  });

  var data = JSON.parse(document.getElementById("gitfleet-data").textContent);
  var DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  var WEEKDAYS = ["Sundays", "Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays"];
  var MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December"];
  var GOOD = "#2da44e", BAD = "#cf222e", ACCENT = "#0969da", MUTED = "#8c959f";

  function fmt(n) { return Number(n).toLocaleString("en-US"); }
  function pct(part, whole) { return whole ? Math.round(1000 * part / whole) / 10 : 0; }
  function sum(rows, field) { return rows.reduce(function (a, r) { return a + (r[field] || 0); }, 0); }
  function month(iso) { var p = iso.split("-"); return MONTHS[Number(p[1]) - 1] + " " + p[0]; }
  function pad(n) { return (n < 10 ? "0" : "") + n; }

  // Short names for repositories (the last path segment), unless two would look the same.
  var shortNames = (function () {
    var names = {}, counts = {};
    data.repos.forEach(function (repo) {
      var s = repo.replace(/\/+$/, "").replace(/\.git$/, "").split(/[\/:]/).pop() || repo;
      names[repo] = s;
      counts[s] = (counts[s] || 0) + 1;
    });
    data.repos.forEach(function (repo) { if (counts[names[repo]] > 1) names[repo] = repo; });
    return names;
  })();
  function short(repo) { return shortNames[repo] || repo; }

  // The fleet's rows (repo null) or one repository's.
  function scoped(rows, repo) {
    return rows.filter(function (r) { return repo === null ? r.repo == null : r.repo === repo; });
  }
  // "Name", or "Name <email>" where two people in view share a name.
  function people(rows) {
    var seen = {};
    rows.forEach(function (r) { seen[r.author] = (seen[r.author] || 0) + 1; });
    return rows.map(function (r) {
      var copy = Object.assign({}, r);
      copy.who = seen[r.author] > 1 ? r.author + " <" + r.email + ">" : r.author;
      return copy;
    });
  }
  // Rows of one repository, or of all (the fleet) for sections whose rows have no fleet rows.
  function inRepo(rows, repo) {
    return repo === null ? rows : rows.filter(function (r) { return r.repo === repo; });
  }
  function cmp(a, b) { return a < b ? -1 : a > b ? 1 : 0; }

  // Per repository and top-level directory, as the bus_factor analysis: people's lines (bots
  // left out) ranked by lines, then email; the bus factor is the first rank whose running sum
  // is more than half of the directory's lines.
  function busFactors(rows, prefixed) {
    var dirs = {};
    rows.forEach(function (r) {
      if (r.is_bot) return;
      var key = r.repo + "\u0000" + r.directory;
      var d = dirs[key] || (dirs[key] = { repo: r.repo, directory: r.directory, owners: {}, lines: 0 });
      d.owners[r.email] = (d.owners[r.email] || 0) + r.lines;
      d.lines += r.lines;
    });
    return Object.keys(dirs).map(function (key) {
      var d = dirs[key];
      var owners = Object.keys(d.owners).sort(function (a, b) { return d.owners[b] - d.owners[a] || cmp(a, b); });
      var running = 0, factor = null;
      owners.forEach(function (email, i) {
        running += d.owners[email];
        if (factor === null && 2 * running > d.lines) factor = i + 1;
      });
      return {
        repo: d.repo, directory: d.directory, bus_factor: factor, lines: d.lines, authors: owners.length,
        top_owner: owners[0], risk: factor === 1 ? "one person" : "more",
        label: prefixed ? short(d.repo) + ": " + d.directory : d.directory
      };
    });
  }

  function whereLabel(repo) {
    if (repo === null) return data.repos.length === 1 ? short(data.repos[0]) : "the fleet";
    return short(repo);
  }

  // A horizontal bar chart, 20 px a bar. (A fixed height, not Vega-Lite's {step: 20}: the
  // width follows the page, and a step height with it makes Vega-Lite warn.)
  function bars(name, rows, x, y, extra) {
    var labels = {};
    rows.forEach(function (r) { labels[r[y.field]] = true; });
    var spec = {
      name: name,
      data: { values: rows },
      mark: { type: "bar", tooltip: true },
      height: 20 * Object.keys(labels).length,
      encoding: {
        x: x,
        y: Object.assign({ type: "nominal", title: null, axis: { labelLimit: 260 } }, y),
        tooltip: extra.tooltip
      }
    };
    if (extra.color) spec.encoding.color = extra.color;
    return spec;
  }

  var SECTIONS = {
    commits_per_week: {
      empty: "No commits in this range.",
      rows: function (all, repo) {
        var mine = repo === null ? all : all.filter(function (r) { return r.repo === repo; });
        // The ten busiest repositories by name, the rest as one series: 50 colours are no help.
        var totals = {};
        mine.forEach(function (r) { totals[r.repo] = (totals[r.repo] || 0) + r.commits; });
        var top = Object.keys(totals).sort(function (a, b) { return totals[b] - totals[a] || (a < b ? -1 : 1); });
        var named = {};
        top.slice(0, 10).forEach(function (r) { named[r] = short(r); });
        var others = top.length - 10;
        var merged = {}, out = [];
        mine.forEach(function (r) {
          var series = named[r.repo] || "other " + others + " repositories";
          var key = r.week + "|" + series;
          if (!merged[key]) {
            merged[key] = { week: r.week, week_of: r.week, series: series, commits: 0 };
            out.push(merged[key]);
          }
          merged[key].commits += r.commits;
        });
        return out;
      },
      caption: function (rows) {
        var weeks = {}, total = 0;
        rows.forEach(function (r) { weeks[r.week] = (weeks[r.week] || 0) + r.commits; total += r.commits; });
        var keys = Object.keys(weeks).sort();
        var busiest = keys.reduce(function (a, k) { return weeks[k] > weeks[a] ? k : a; }, keys[0]);
        return fmt(total) + " commits in " + fmt(keys.length) + " weeks with commits, from the week of " +
          keys[0] + " to that of " + keys[keys.length - 1] + "; the busiest week, from " + busiest +
          ", had " + fmt(weeks[busiest]) + ".";
      },
      charts: function (rows) {
        return [{
          name: "commits_per_week",
          data: { values: rows },
          mark: { type: "bar", tooltip: true },
          height: 240,
          encoding: {
            // Vega's weeks start on Sunday: each Monday-based week of the rows falls in exactly
            // one, so every row keeps its own bar, a week wide.
            x: { field: "week", type: "temporal", timeUnit: "utcyearweek", title: null,
              axis: { format: "%b %d, %Y", labelOverlap: true } },
            y: { field: "commits", type: "quantitative", stack: "zero", title: "commits" },
            color: { field: "series", type: "nominal", title: "repository",
              legend: { orient: "bottom", columns: 3, labelLimit: 200 } },
            tooltip: [{ field: "week_of", type: "nominal", title: "week of" },
              { field: "series", type: "nominal", title: "repository" },
              { field: "commits", type: "quantitative" }]
          }
        }];
      }
    },

    authors_per_month: {
      empty: "No commits by people in this range.",
      rows: function (all, repo) {
        return scoped(all, repo).map(function (r) {
          return { month: r.month, month_name: month(r.month), authors: r.authors };
        });
      },
      caption: function (rows) {
        var last = rows[rows.length - 1];
        var most = rows.reduce(function (a, r) { return r.authors > a.authors ? r : a; }, rows[0]);
        return fmt(last.authors) + (last.authors === 1 ? " person" : " people") + " committed in " +
          month(last.month) + ", the last month with commits; the most in one month was " +
          fmt(most.authors) + ", in " + month(most.month) + ".";
      },
      charts: function (rows) {
        return [{
          name: "authors_per_month",
          data: { values: rows },
          mark: { type: "line", point: true, tooltip: true, color: ACCENT },
          height: 200,
          encoding: {
            x: { field: "month", type: "temporal", timeUnit: "utcyearmonth", title: null,
              axis: { format: "%b %Y", labelOverlap: true } },
            y: { field: "authors", type: "quantitative", title: "active authors", axis: { tickMinStep: 1 } },
            tooltip: [{ field: "month_name", type: "nominal", title: "month" },
              { field: "authors", type: "quantitative" }]
          }
        }];
      }
    },

    activity: {
      empty: "No commits by people in this range.",
      rows: function (all, repo) {
        return scoped(all, repo).map(function (r) {
          return { day: DAYS[r.weekday], weekday: r.weekday, hour: r.hour, commits: r.commits };
        });
      },
      caption: function (rows) {
        var total = sum(rows, "commits");
        var top = rows.reduce(function (a, r) { return r.commits > a.commits ? r : a; }, rows[0]);
        var weekend = sum(rows.filter(function (r) { return r.weekday === 0 || r.weekday === 6; }), "commits");
        var late = sum(rows.filter(function (r) { return r.hour < 8 || r.hour >= 18; }), "commits");
        return "Busiest: " + WEEKDAYS[top.weekday] + " " + pad(top.hour) + ":00–" + pad((top.hour + 1) % 24) +
          ":00 (" + fmt(top.commits) + " commits). " + pct(weekend, total) + "% of commits on weekends, " +
          pct(late, total) + "% outside 08:00–18:00, in the authors' own time zones.";
      },
      charts: function (rows) {
        var hours = [];
        for (var h = 0; h < 24; h++) hours.push(h);
        return [{
          name: "activity",
          data: { values: rows },
          mark: { type: "rect", tooltip: true },
          height: 7 * 22,
          encoding: {
            x: { field: "hour", type: "ordinal", scale: { domain: hours }, title: "hour (author's time zone)",
              axis: { labelAngle: 0, labelOverlap: true } },
            y: { field: "day", type: "ordinal", scale: { domain: ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] },
              title: null },
            color: { field: "commits", type: "quantitative", scale: { scheme: "blues" }, legend: { orient: "bottom" } },
            tooltip: [{ field: "day", type: "nominal" }, { field: "hour", type: "ordinal" },
              { field: "commits", type: "quantitative" }]
          }
        }];
      }
    },

    top_contributors: {
      empty: "No commits by people in this range.",
      rows: function (all, repo) { return people(scoped(all, repo)); },
      caption: function (rows, repo) {
        var first = rows[0];
        var top3 = rows.slice(0, 3).reduce(function (a, r) { return a + r.percent; }, 0);
        return first.who + " made " + first.percent + "% of the commits of " + whereLabel(repo) + " (" +
          fmt(first.commits) + ", +" + fmt(first.added) + " −" + fmt(first.removed) + " lines)" +
          (rows.length > 1 ? "; the top " + Math.min(3, rows.length) + " made " + Math.round(top3 * 10) / 10 + "%." : ".");
      },
      charts: function (rows) {
        var tooltip = [{ field: "who", type: "nominal", title: "author" }, { field: "commits", type: "quantitative" },
          { field: "percent", type: "quantitative", title: "% of commits" },
          { field: "added", type: "quantitative" }, { field: "removed", type: "quantitative" }];
        var lines = [];
        rows.forEach(function (r) {
          lines.push({ who: r.who, rank: r.rank, kind: "added", lines: r.added, count: r.added });
          lines.push({ who: r.who, rank: r.rank, kind: "removed", lines: -r.removed, count: r.removed });
        });
        return [
          bars("top_contributors_commits", rows,
            { field: "commits", type: "quantitative", title: "commits" },
            { field: "who", sort: { field: "rank" } },
            { tooltip: tooltip, color: { value: ACCENT } }),
          bars("top_contributors_lines", lines,
            { field: "lines", type: "quantitative", title: "lines added (right) and removed (left)" },
            { field: "who", sort: { field: "rank" } },
            {
              tooltip: [{ field: "who", type: "nominal", title: "author" }, { field: "kind", type: "nominal" },
                { field: "count", type: "quantitative", title: "lines" }],
              color: { field: "kind", type: "nominal", title: null,
                scale: { domain: ["added", "removed"], range: [GOOD, BAD] }, legend: { orient: "bottom" } }
            })
        ];
      }
    },

    // The next three draw the rows of one query (the lines at HEAD, by repository, directory,
    // author and age), each summed its own way, as the code_age, code_ownership and bus_factor
    // analyses compute them.
    code_age: {
      empty: "No blamed lines at HEAD.",
      rows: function (all, repo) {
        var byAge = {};
        inRepo(all, repo).forEach(function (r) { byAge[r.age] = (byAge[r.age] || 0) + r.lines; });
        return Object.keys(byAge).sort().map(function (age) {
          return { age: age.replace(/^\d+: /, ""), order: Number(age.split(":")[0]), lines: byAge[age] };
        });
      },
      caption: function (rows, repo) {
        var total = sum(rows, "lines");
        var old = sum(rows.filter(function (r) { return r.order >= 4; }), "lines");
        var fresh = sum(rows.filter(function (r) { return r.order === 1; }), "lines");
        return pct(old, total) + "% of the " + fmt(total) + " lines at HEAD of " + whereLabel(repo) +
          " were last changed more than a year before the newest change; " + pct(fresh, total) +
          "% in its last month.";
      },
      charts: function (rows) {
        return [{
          name: "code_age",
          data: { values: rows },
          mark: { type: "bar", tooltip: true, color: ACCENT },
          height: 200,
          encoding: {
            x: { field: "age", type: "ordinal", sort: { field: "order" }, title: "last changed before the newest change",
              axis: { labelAngle: 0 } },
            y: { field: "lines", type: "quantitative", title: "lines" },
            tooltip: [{ field: "age", type: "nominal" }, { field: "lines", type: "quantitative" }]
          }
        }];
      }
    },

    ownership: {
      empty: "No blamed lines at HEAD by people.",
      rows: function (all, repo) {
        var owned = {}, total = 0;
        inRepo(all, repo).forEach(function (r) {
          if (r.is_bot) return;
          var key = r.author + "\u0000" + r.email;
          if (!owned[key]) owned[key] = { author: r.author, email: r.email, lines: 0 };
          owned[key].lines += r.lines;
          total += r.lines;
        });
        var ranked = Object.keys(owned).map(function (k) { return owned[k]; })
          .sort(function (a, b) { return b.lines - a.lines || cmp(a.email, b.email); })
          .slice(0, 10);
        ranked.forEach(function (r, i) { r.rank = i + 1; r.percent = pct(r.lines, total); });
        return people(ranked);
      },
      caption: function (rows, repo) {
        var top3 = rows.slice(0, 3).reduce(function (a, r) { return a + r.percent; }, 0);
        return rows[0].who + " last changed " + rows[0].percent + "% of the lines at HEAD of " + whereLabel(repo) +
          " (" + fmt(rows[0].lines) + ")" +
          (rows.length > 1 ? "; the top " + Math.min(3, rows.length) + ": " + Math.round(top3 * 10) / 10 + "%." : ".");
      },
      charts: function (rows) {
        return [bars("ownership", rows,
          { field: "percent", type: "quantitative", title: "% of the lines at HEAD" },
          { field: "who", sort: { field: "rank" } },
          {
            tooltip: [{ field: "who", type: "nominal", title: "author" }, { field: "lines", type: "quantitative" },
              { field: "percent", type: "quantitative", title: "%" }],
            color: { value: ACCENT }
          })];
      }
    },

    bus_factor: {
      empty: "No blamed lines at HEAD by people.",
      rows: function (all, repo) {
        var every = busFactors(inRepo(all, repo), repo === null && data.repos.length > 1);
        var drawn = every.slice().sort(function (a, b) { return b.lines - a.lines || cmp(a.label, b.label); })
          .slice(0, repo === null ? 20 : 30);
        drawn.all = every;
        return drawn;
      },
      caption: function (rows, repo) {
        var ones = rows.all.filter(function (r) { return r.bus_factor === 1; }).length;
        return ones + " of the " + rows.all.length + " top-level directories of " + whereLabel(repo) +
          " have a bus factor of 1: one person last changed more than half of their lines." +
          (rows.length < rows.all.length ? " The " + rows.length + " largest are drawn." : "");
      },
      charts: function (rows) {
        return [bars("bus_factor", rows,
          { field: "bus_factor", type: "quantitative", title: "bus factor (people owning over half the lines)",
            axis: { tickMinStep: 1 } },
          { field: "label", sort: { field: "lines", order: "descending" } },
          {
            tooltip: [{ field: "label", type: "nominal", title: "directory" }, { field: "bus_factor", type: "quantitative" },
              { field: "lines", type: "quantitative" }, { field: "authors", type: "quantitative" },
              { field: "top_owner", type: "nominal", title: "top owner" }],
            color: { field: "risk", type: "nominal", title: "bus factor",
              scale: { domain: ["one person", "more"], range: [BAD, MUTED] }, legend: { orient: "bottom" } }
          })];
      }
    },

    churn_hotspots: {
      empty: "No file changes in this range.",
      rows: function (all, repo) {
        var mine = all.filter(function (r) { return repo === null ? r.fleet_rank <= 20 : r.repo === repo && r.repo_rank <= 20; });
        mine.sort(function (a, b) { return repo === null ? a.fleet_rank - b.fleet_rank : a.repo_rank - b.repo_rank; });
        return mine.map(function (r) {
          var copy = Object.assign({}, r);
          copy.label = repo === null && data.repos.length > 1 ? short(r.repo) + ": " + r.path : r.path;
          copy.order = repo === null ? r.fleet_rank : r.repo_rank;
          return copy;
        });
      },
      caption: function (rows) {
        var top = rows[0];
        return top.label + " changed in " + fmt(top.commits) + " commits, " + fmt(top.churn) +
          " lines touched (+" + fmt(top.added) + " −" + fmt(top.removed) + ").";
      },
      charts: function (rows) {
        return [bars("churn_hotspots", rows,
          { field: "commits", type: "quantitative", title: "commits changing the file" },
          { field: "label", sort: { field: "order" } },
          {
            tooltip: [{ field: "label", type: "nominal", title: "file" }, { field: "commits", type: "quantitative" },
              { field: "churn", type: "quantitative", title: "lines touched" },
              { field: "added", type: "quantitative" }, { field: "removed", type: "quantitative" }],
            color: { field: "churn", type: "quantitative", title: "lines touched", scale: { scheme: "oranges" },
              legend: { orient: "bottom" } }
          })];
      }
    },

    pull_requests: {
      empty: "No pull requests in this range.",
      rows: scoped,
      caption: function (rows, repo) {
        var opened = sum(rows, "opened"), merged = sum(rows, "merged");
        var withMerges = rows.filter(function (r) { return r.merged > 0; });
        var text = fmt(opened) + " pull requests opened and " + fmt(merged) + " merged in " + whereLabel(repo) + ".";
        if (withMerges.length) {
          var last = withMerges[withMerges.length - 1];
          text += " In " + month(last.month) + ", the last month with merges, the median time to merge was " +
            fmt(last.median_hours_to_merge) + " hours (p90 " + fmt(last.p90_hours_to_merge) + ").";
        }
        return text;
      },
      charts: function (rows) {
        var counts = [], hours = [];
        rows.forEach(function (r) {
          counts.push({ month: r.month.slice(0, 7), kind: "opened", pulls: r.opened });
          counts.push({ month: r.month.slice(0, 7), kind: "merged", pulls: r.merged });
          if (r.median_hours_to_merge != null) {
            hours.push({ month: r.month.slice(0, 7), kind: "median", hours: r.median_hours_to_merge });
            hours.push({ month: r.month.slice(0, 7), kind: "p90", hours: r.p90_hours_to_merge });
          }
        });
        var charts = [{
          name: "pull_requests_counts",
          data: { values: counts },
          mark: { type: "bar", tooltip: true },
          height: 200,
          encoding: {
            x: { field: "month", type: "ordinal", title: null, axis: { labelAngle: -45 } },
            xOffset: { field: "kind", sort: ["opened", "merged"] },
            y: { field: "pulls", type: "quantitative", title: "pull requests" },
            color: { field: "kind", type: "nominal", title: null, sort: ["opened", "merged"],
              scale: { range: [ACCENT, GOOD] }, legend: { orient: "bottom" } },
            tooltip: [{ field: "month", type: "nominal" }, { field: "kind", type: "nominal" },
              { field: "pulls", type: "quantitative" }]
          }
        }];
        if (hours.length) {
          charts.push({
            name: "pull_requests_time_to_merge",
            data: { values: hours },
            mark: { type: "line", point: true, tooltip: true },
            height: 200,
            encoding: {
              x: { field: "month", type: "ordinal", title: null, axis: { labelAngle: -45 } },
              y: { field: "hours", type: "quantitative", title: "hours from opening to merge" },
              color: { field: "kind", type: "nominal", title: null, scale: { range: [ACCENT, BAD] },
                legend: { orient: "bottom" } },
              tooltip: [{ field: "month", type: "nominal" }, { field: "kind", type: "nominal" },
                { field: "hours", type: "quantitative" }]
            }
          });
        }
        return charts;
      }
    }
  };

  var selected = null;
  var views = [];
  var darkQuery = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;

  function render() {
    views.forEach(function (v) { v.finalize(); });
    views = [];
    document.body.removeAttribute("data-rendered");
    var dark = !!(darkQuery && darkQuery.matches);
    var options = {
      mode: "vega-lite",
      renderer: "svg",
      theme: dark ? "dark" : undefined,
      actions: { export: true, source: false, compiled: false, editor: false },
      config: { background: null, view: { stroke: null } }
    };
    var pending = [];
    Object.keys(SECTIONS).forEach(function (id) {
      var section = data.queries[data.sections[id]];
      var host = document.getElementById("charts-" + id);
      var caption = document.getElementById("caption-" + id);
      if (!section || !host) return;
      host.textContent = "";
      if (section.error) { caption.textContent = ""; return; }
      var draw = SECTIONS[id];
      var rows = draw.rows(section.rows, selected);
      if (!rows.length) {
        caption.textContent = draw.empty;
        var none = document.createElement("div");
        none.className = "chart empty";
        none.textContent = "Nothing to draw.";
        host.appendChild(none);
        return;
      }
      caption.textContent = draw.caption(rows, selected);
      draw.charts(rows, selected).forEach(function (spec) {
        var div = document.createElement("div");
        div.className = "chart";
        div.setAttribute("data-chart", spec.name);
        host.appendChild(div);
        spec.width = "container";
        pending.push(vegaEmbed(div, spec, options).then(function (result) { views.push(result.view); }));
      });
    });
    Promise.all(pending).then(function () {
      document.body.setAttribute("data-rendered", String(pending.length));
    }, fail);
  }

  // The chosen repository is kept in the address (#repo=NAME), so a link shows the same view.
  var picker = document.getElementById("repo-select");
  var asked = /^#repo=(.+)$/.exec(window.location.hash);
  if (asked) {
    var name = decodeURIComponent(asked[1]);
    if (data.repos.indexOf(name) >= 0) {
      selected = name;
      if (picker) picker.value = name;
    }
  }
  if (picker) {
    picker.addEventListener("change", function () {
      selected = picker.value === "" ? null : picker.value;
      var hash = selected === null ? "" : "#repo=" + encodeURIComponent(selected);
      history.replaceState(null, "", window.location.pathname + window.location.search + hash);
      render();
    });
  }
  if (darkQuery && darkQuery.addEventListener) darkQuery.addEventListener("change", render);
  render();
})();
