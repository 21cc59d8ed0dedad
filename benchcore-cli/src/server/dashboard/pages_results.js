// Results across runs: the leaderboard (per agent, its best run) and two runs compared side
// by side (per-agent deltas, per-case differences), from GET …/leaderboard and …/compare.
(function () {
  "use strict";
  var BC = window.BC;
  var h = BC.h;
  var CODES = { p: "passed", f: "failed", i: "invalid", e: "error", s: "skipped" };
  var CHANGE = {
    regression: "regression", improvement: "improvement", both_passed: "both passed",
    both_failed: "both failed", only_a: "only in A", only_b: "only in B"
  };

  function runLink(id, text) {
    return h("a", { href: BC.link("runs/" + encodeURIComponent(id)), text: text || id });
  }

  BC.pages.leaderboard = function (main, _args, params) {
    var filters = { suite: params.get("suite") || "", status: params.get("status") || "" };
    var error = BC.errorBox("leaderboard-error", null);
    var holder = h("div", { id: "leaderboard" });
    var suite = h("input", { id: "leaderboard-suite", type: "search", placeholder: "suite", value: filters.suite,
      onchange: function (e) { filters.suite = e.target.value.trim(); history.replaceState(null, "", BC.link("leaderboard", filters)); load(); } });
    main.appendChild(h("section", null, [h("h1", { text: "Leaderboard" }),
      h("p", { class: "muted", text: "Per agent, the run where it had its best accuracy, with that run's own cost and duration." }),
      h("div", { class: "controls" }, [suite]), error, holder]));
    function load() {
      return BC.api("GET", BC.ws("/leaderboard?" + BC.query(filters)))
        .then(function (entries) {
          BC.showError(error, null);
          var rows = entries.map(function (e, i) {
            return h("tr", { "data-agent": e.agent }, [
              h("td", { text: String(i + 1) }), h("td", { text: e.agent }), h("td", { text: BC.pct(e.accuracy) }),
              h("td", { text: e.passed + "/" + e.judged }), h("td", { text: String(e.errors) }), h("td", { text: BC.money(e.cost_usd) }),
              h("td", { text: e.input_tokens + " / " + e.output_tokens }), h("td", { text: (e.duration_ms / 1000).toFixed(1) + " s" }),
              h("td", { text: e.suite }), h("td", { text: String(e.runs) }), h("td", null, [runLink(e.run_id)])
            ]);
          });
          if (!rows.length) rows.push(h("tr", null, [h("td", { colspan: "11", class: "muted", text: "No judged runs yet." })]));
          BC.clear(holder).appendChild(BC.table("leaderboard-table", "leaderboard",
            ["#", "agent", "accuracy", "passed", "errors", "cost", "tokens in / out", "duration", "suite", "runs", "best run"], rows));
        })
        .catch(function (e) {
          BC.showError(error, e);
        });
    }
    load().then(function () {
      BC.ready("leaderboard");
    });
  };

  BC.pages.compare = function (main, _args, params) {
    var picked = { a: params.get("a") || "", b: params.get("b") || "" };
    var error = BC.errorBox("compare-error", null);
    var result = h("div", { id: "compare-result" });
    var pickA = h("select", { id: "compare-a" });
    var pickB = h("select", { id: "compare-b" });
    var all = h("input", { type: "checkbox", id: "compare-all", onchange: function () { render(); } });
    var last = null;
    var go = h("button", {
      type: "button",
      id: "compare-go",
      text: "Compare",
      onclick: function () {
        picked = { a: pickA.value, b: pickB.value };
        history.replaceState(null, "", BC.link("compare", picked));
        compare();
      }
    });
    main.appendChild(h("section", null, [
      h("h1", { text: "Compare two runs" }),
      h("div", { class: "controls" }, [h("label", { for: "compare-a", text: "A" }), pickA, h("label", { for: "compare-b", text: "B" }), pickB, go,
        h("label", { class: "check" }, [all, " show unchanged cases"])]),
      error,
      result
    ]));
    function compare() {
      if (!picked.a || !picked.b) return Promise.resolve();
      return BC.api("GET", BC.ws("/compare?" + BC.query(picked)))
        .then(function (c) {
          BC.showError(error, null);
          last = c;
          render();
        })
        .catch(function (e) {
          last = null;
          BC.clear(result);
          BC.showError(error, e);
        });
    }
    function samples(codes) {
      return h("span", { class: "samples" }, codes.split("").map(function (code) {
        return h("i", { class: "sq o-" + code, title: CODES[code] || code, "data-outcome": CODES[code] || code });
      }));
    }
    function render() {
      BC.clear(result);
      if (!last) return;
      var c = last;
      result.appendChild(h("div", { class: "side-by-side" }, [
        h("div", { class: "side" }, [h("span", { class: "muted", text: "A " }), runLink(c.a)]),
        h("div", { class: "side" }, [h("span", { class: "muted", text: "B " }), runLink(c.b)])
      ]));
      result.appendChild(h("h2", { text: "Per agent" }));
      result.appendChild(BC.table("compare-deltas", "deltas",
        ["agent A → B", "accuracy A", "accuracy B", "B − A", "cost A", "cost B", "p50 A", "p50 B", "regressions", "improvements"],
        c.pairs.map(function (p, i) {
          var d = c.deltas[i];
          var delta = d.delta === null || d.delta === undefined ? "–" : (d.delta >= 0 ? "+" : "") + (d.delta * 100).toFixed(1) + " pts" + (d.intervals_apart ? " *" : "");
          return h("tr", null, [
            h("td", { text: p.a === p.b ? p.a : p.a + " → " + p.b }), h("td", { text: BC.pct(d.accuracy_a) }), h("td", { text: BC.pct(d.accuracy_b) }),
            h("td", { class: "delta " + (d.delta > 0 ? "up" : d.delta < 0 ? "down" : ""), text: delta }),
            h("td", { text: BC.money(d.cost[0]) }), h("td", { text: BC.money(d.cost[1]) }),
            h("td", { text: BC.fmt(d.p50_ms[0]) }), h("td", { text: BC.fmt(d.p50_ms[1]) }),
            h("td", { text: String(d.changes.regression || 0) }), h("td", { text: String(d.changes.improvement || 0) })
          ]);
        })));
      if (!c.pairs.length) result.appendChild(h("p", { class: "muted", text: "The runs share no agent." }));
      var shown = c.cases.filter(function (r) { return all.checked || (r.change !== "both_passed" && r.change !== "both_failed"); });
      result.appendChild(h("h2", { text: "Cases (" + shown.length + " of " + c.cases.length + ")" }));
      result.appendChild(h("p", { class: "muted", text: "* the two 95% intervals do not overlap. Squares are samples: " + Object.keys(CODES).map(function (k) { return CODES[k]; }).join(", ") + "." }));
      result.appendChild(BC.table("compare-table", null, ["case", "agent", "A", "B", "change"], shown.map(function (r) {
        var p = c.pairs[r.pair] || { a: "?", b: "?" };
        return h("tr", { "data-change": r.change, "data-case": r.case }, [
          h("td", { class: "case", text: r.case }), h("td", { text: p.a === p.b ? p.a : p.a + " → " + p.b }),
          h("td", null, [samples(r.a)]), h("td", null, [samples(r.b)]),
          h("td", null, [h("span", { class: "change " + r.change, text: CHANGE[r.change] || r.change })])
        ]);
      })));
    }
    BC.api("GET", BC.ws("/runs?limit=200"))
      .then(function (runs) {
        [pickA, pickB].forEach(function (pick, i) {
          var chosen = i === 0 ? picked.a : picked.b;
          runs.forEach(function (r, j) {
            var selected = chosen ? r.id === chosen : j === 1 - i;
            pick.appendChild(h("option", { value: r.id, selected: selected, text: (r.name || r.id) + " · " + r.suite + " · " + r.status }));
          });
        });
        // Without a choice, the newest run (B) against the one before it (A).
        if ((!picked.a || !picked.b) && runs.length > 1) picked = { a: pickA.value, b: pickB.value };
        return compare();
      })
      .catch(function (e) {
        BC.showError(error, e);
      })
      .then(function () {
        BC.ready("compare");
      });
  };
})();
