(function () {
  "use strict";
  var DATA = JSON.parse(document.getElementById("page-data").textContent);
  var OUTCOME = { p: "passed", f: "failed", i: "invalid", e: "error", s: "skipped" };
  var PAGE_SIZE = 50;

  // ---- small helpers -------------------------------------------------------------------
  function h(tag, attrs, children) {
    var el = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === null || v === undefined || v === false) return;
        if (k === "text") el.textContent = v;
        else if (k === "class") el.className = v;
        else if (k.slice(0, 2) === "on") el.addEventListener(k.slice(2), v);
        else el.setAttribute(k, v === true ? "" : v);
      });
    }
    (children || []).forEach(function (c) {
      if (c === null || c === undefined) return;
      el.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return el;
  }
  function fmt(v, digits) {
    if (v === null || v === undefined) return "–";
    return typeof v === "number" && digits !== undefined ? v.toFixed(digits) : String(v);
  }
  function when(ms) {
    return ms ? new Date(ms).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC") : "–";
  }
  function clear(el) {
    while (el.firstChild) el.removeChild(el.firstChild);
    return el;
  }
  function attemptHash(c, a, s) {
    return "attempt=" + encodeURIComponent(c) + "/" + encodeURIComponent(a) + "/" + s;
  }
  function parseHash() {
    var m = /^#attempt=([^/]*)\/([^/]*)\/(\d+)$/.exec(location.hash);
    if (!m) return null;
    return { c: decodeURIComponent(m[1]), a: decodeURIComponent(m[2]), s: Number(m[3]) };
  }
  function pager(total, page, onPage) {
    var pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
    return h("span", { class: "pager" }, [
      h("button", { type: "button", id: "page-prev", disabled: page <= 0, onclick: function () { onPage(page - 1); } }, ["‹ prev"]),
      h("span", { id: "page-info", text: "page " + (page + 1) + " of " + pages }),
      h("button", { type: "button", id: "page-next", disabled: page >= pages - 1, onclick: function () { onPage(page + 1); } }, ["next ›"])
    ]);
  }
  function legend() {
    return h("span", { class: "legend" }, Object.keys(OUTCOME).map(function (k) {
      return h("span", null, [h("i", { class: "sq o-" + k }), OUTCOME[k]]);
    }));
  }
  function setText(id, text) {
    var el = document.getElementById(id);
    if (el) el.textContent = text;
  }
  function setLive(text) { setText("live-state", text); }

  // ---- the run page: grid, drill-down, live updates ------------------------------------
  function runPage() {
    var agents = DATA.agents.slice();
    var cases = DATA.cases.slice();
    var rows = DATA.rows.slice(); // [case, agent, sample, outcome, score, latency, cost]
    var byKey = new Map();
    var byCase = [];
    var order = [];
    var state = { q: "", view: "all", page: 0 };
    var visible = [];

    function key(c, a, s) { return c + "\u0000" + a + "\u0000" + s; }
    function index(i) {
      var r = rows[i];
      byKey.set(key(r[0], r[1], r[2]), i);
      (byCase[r[0]] = byCase[r[0]] || []).push(i);
    }
    rows.forEach(function (_, i) { index(i); });
    function sortCases() {
      order = cases.map(function (_, i) { return i; });
      order.sort(function (x, y) { return cases[x] < cases[y] ? -1 : cases[x] > cases[y] ? 1 : 0; });
    }
    sortCases();

    function keep(c) {
      var list = byCase[c] || [];
      if (state.q && cases[c].toLowerCase().indexOf(state.q) < 0) return false;
      if (state.view === "all") return true;
      if (state.view === "notpassed") return list.some(function (i) { return rows[i][3] !== "p"; });
      if (state.view === "errors") return list.some(function (i) { return rows[i][3] === "e" || rows[i][3] === "s"; });
      // disagreements: agents differ in whether every sample passed
      var per = {};
      list.forEach(function (i) {
        var a = rows[i][1];
        per[a] = (per[a] === undefined ? true : per[a]) && rows[i][3] === "p";
      });
      var seen = Object.keys(per).map(function (a) { return per[a]; });
      return seen.indexOf(true) >= 0 && seen.indexOf(false) >= 0;
    }
    function filter() {
      visible = order.filter(keep);
      var pages = Math.max(1, Math.ceil(visible.length / PAGE_SIZE));
      if (state.page >= pages) state.page = pages - 1;
    }

    var controls = document.getElementById("grid-controls");
    var grid = document.getElementById("grid");
    function renderControls() {
      clear(controls).appendChild(h("div", { class: "controls" }, [
        h("input", { type: "search", id: "grid-search", placeholder: "case id contains…", value: state.q,
          oninput: function (e) { state.q = e.target.value.toLowerCase(); state.page = 0; filter(); renderGrid(); } }),
        h("select", { id: "grid-view", onchange: function (e) { state.view = e.target.value; state.page = 0; filter(); renderGrid(); } },
          [["all", "all cases"], ["disagree", "agents disagree"], ["notpassed", "not passed by some"], ["errors", "errors or skipped"]].map(function (o) {
            return h("option", { value: o[0], selected: state.view === o[0] }, [o[1]]);
          })),
        legend()
      ]));
    }
    function cellTitle(r) {
      var t = cases[r[0]] + " · " + agents[r[1]] + " · sample " + r[2] + ": " + OUTCOME[r[3]];
      if (r[4] !== null) t += " · score " + r[4];
      if (r[5] !== null) t += " · " + r[5] + " ms";
      return t;
    }
    // A big run's page holds one window of its attempts (DATA.next: where the next starts);
    // the viewer sends the others (DATA.rows_api), a report file says where to see them.
    var win = { current: null, back: [], next: DATA.next || null, loading: false };
    function afterQuery(after) {
      if (!after) return "";
      return "?after_case=" + encodeURIComponent(after.case) + "&after_agent=" + encodeURIComponent(after.agent) + "&after_sample=" + after.sample;
    }
    function loadWindow(after, back) {
      if (win.loading) return;
      win.loading = true;
      setText("window-info", "loading…");
      fetch(DATA.rows_api + afterQuery(after)).then(function (res) {
        if (!res.ok) throw new Error("HTTP " + res.status);
        return res.json();
      }).then(function (w) {
        win.loading = false;
        win.back = back;
        win.current = after;
        win.next = w.next;
        agents = w.agents; cases = w.cases; rows = w.rows;
        byKey = new Map(); byCase = [];
        rows.forEach(function (_, i) { index(i); });
        sortCases();
        state.page = 0;
        filter();
        renderGrid();
      }, function (err) {
        win.loading = false;
        setText("window-info", "cannot load these attempts: " + err);
      });
    }
    function windowBar() {
      if (!win.next && !win.current && !win.back.length) return null;
      var info = h("span", { id: "window-info", text: "this window: " + rows.length + " of " + DATA.recorded + " attempts" });
      if (!DATA.rows_api) {
        return h("div", { class: "controls", id: "window-bar" }, [info,
          h("span", { class: "muted", text: " · this file holds the first window; benchcore view pages through them all" })]);
      }
      return h("div", { class: "controls", id: "window-bar" }, [info,
        h("button", { type: "button", id: "window-back", disabled: !win.back.length, onclick: function () {
          var back = win.back.slice(); var to = back.pop(); loadWindow(to, back);
        } }, ["‹ back"]),
        h("button", { type: "button", id: "window-next", disabled: !win.next, onclick: function () {
          loadWindow(win.next, win.back.concat([win.current]));
        } }, ["next attempts ›"]),
        h("input", { type: "search", id: "window-goto", placeholder: "go to case id…", onchange: function (e) {
          if (e.target.value) loadWindow({ case: e.target.value, agent: "", sample: 0 }, win.back.concat([win.current]));
        } })
      ]);
    }

    function renderGrid() {
      clear(grid);
      var start = state.page * PAGE_SIZE;
      var slice = visible.slice(start, start + PAGE_SIZE);
      var bar = windowBar();
      if (bar) grid.appendChild(bar);
      grid.appendChild(h("div", { class: "controls" }, [
        h("span", { id: "grid-count", text: visible.length + " of " + cases.length + " cases · " + rows.length + " attempts" }),
        pager(visible.length, state.page, function (p) { state.page = p; renderGrid(); })
      ]));
      var head = h("tr", null, [h("th", { text: "case" })].concat(agents.map(function (a) { return h("th", { text: a }); })));
      var body = document.createDocumentFragment();
      slice.forEach(function (c) {
        var cells = agents.map(function () { return h("td"); });
        (byCase[c] || []).slice().sort(function (x, y) { return rows[x][2] - rows[y][2]; }).forEach(function (i) {
          var r = rows[i];
          cells[r[1]].appendChild(h("button", { type: "button", class: "sq o-" + r[3], "data-row": i, "data-outcome": OUTCOME[r[3]], title: cellTitle(r), "aria-label": cellTitle(r) }));
        });
        body.appendChild(h("tr", { "data-case": cases[c] }, [h("td", { class: "case", title: cases[c], text: cases[c] })].concat(cells)));
      });
      var tbody = h("tbody");
      tbody.appendChild(body);
      grid.appendChild(h("div", { class: "table-wrap" }, [h("table", { class: "grid", id: "grid-table" }, [h("thead", null, [head]), tbody])]));
    }
    grid.addEventListener("click", function (e) {
      var t = e.target.closest ? e.target.closest("[data-row]") : null;
      if (t) openRow(Number(t.getAttribute("data-row")));
    });

    // drill-down
    var drill = document.getElementById("drill");
    var opened = null;
    function openRow(i) {
      var r = rows[i];
      history.replaceState(null, "", "#" + attemptHash(cases[r[0]], agents[r[1]], r[2]));
      opened = i;
      drill.hidden = false;
      clear(drill).appendChild(h("p", { class: "muted", text: "loading…" }));
      detailOf(i).then(function (d) { if (opened === i) renderDetail(d); }, function (err) {
        if (opened === i) clear(drill).appendChild(h("p", { class: "failure", text: "Cannot load this attempt: " + err }));
      });
    }
    function closeDrill() {
      opened = null;
      drill.hidden = true;
      history.replaceState(null, "", location.pathname + location.search);
    }
    document.addEventListener("keydown", function (e) { if (e.key === "Escape" && !drill.hidden) closeDrill(); });
    function detailOf(i) {
      if (DATA.details) return Promise.resolve(DATA.details[i]);
      var r = rows[i];
      var url = DATA.attempt_api + "?case=" + encodeURIComponent(cases[r[0]]) + "&agent=" + encodeURIComponent(agents[r[1]]) + "&sample=" + r[2];
      return fetch(url).then(function (res) {
        if (!res.ok) throw new Error("HTTP " + res.status);
        return res.json();
      });
    }
    function kv(label, value) { return h("div", null, [h("span", { text: label }), String(value)]); }
    function renderDetail(d) {
      clear(drill);
      drill.appendChild(h("button", { type: "button", class: "close", id: "drill-close", onclick: closeDrill }, ["close ✕"]));
      drill.appendChild(h("h2", { id: "drill-title" }, [d.key.case_id + " · " + d.key.agent + " · sample " + d.key.sample + " ",
        h("span", { class: "badge o-" + d.outcome.charAt(0), text: d.outcome })]));
      drill.appendChild(h("div", { class: "kv" }, [
        kv("score", fmt(d.score, 3)), kv("model", fmt(d.model)), kv("latency ms", fmt(d.latency_ms)),
        kv("first token ms", fmt(d.ttft_ms)), kv("tokens in / out", d.input_tokens + " / " + d.output_tokens),
        kv("cost $", fmt(d.cost_usd, 6)), kv("retries", d.retries), kv("cached", d.cached ? "yes" : "no"),
        kv("wall / work ms", d.wall_ms + " / " + d.work_ms), kv("started", when(d.started_at_ms)), kv("ending", fmt(d.ending)),
        kv("stop reason", fmt(d.stop_reason))
      ]));
      if (d.failure) drill.appendChild(h("div", { class: "failure", id: "drill-failure" }, [h("b", { text: d.failure.kind + ": " }), d.failure.message]));
      drill.appendChild(h("h3", { text: "Transcript (" + d.turns.length + " turns)" }));
      // Voice conversations: the recording and each spoken turn's clip play in place. The
      // viewer serves them; a report file points at the artifacts folder on disk.
      function audioSrc(clip) {
        if (DATA.attempt_api) {
          return DATA.attempt_api.replace(/attempt$/, "audio") + "?case=" + encodeURIComponent(d.key.case_id) +
            "&agent=" + encodeURIComponent(d.key.agent) + "&sample=" + d.key.sample + "&clip=" + encodeURIComponent(clip);
        }
        if (!d.artifacts_dir) return null;
        var path = encodeURI(d.artifacts_dir.replace(/\/+$/, "") + "/" + clip);
        return d.artifacts_dir.charAt(0) === "/" ? "file://" + path : path;
      }
      function player(clip, id) {
        var src = audioSrc(clip);
        return src ? h("audio", { controls: true, preload: "none", src: src, class: "clip", id: id || null }) : null;
      }
      var spoken = d.turns.some(function (t) { return t.audio; });
      if (spoken) drill.appendChild(h("div", { class: "recording" }, [h("span", { class: "muted", text: "recording (interviewer left, participant right) " }), player("conversation.wav", "drill-recording")]));
      var transcript = h("div", { id: "drill-transcript" });
      d.turns.forEach(function (t) {
        var meta = [];
        if (t.latency_ms !== undefined && t.latency_ms !== null) meta.push(t.latency_ms + " ms");
        if (t.usage) meta.push(t.usage.input_tokens + "→" + t.usage.output_tokens + " tokens");
        if (t.stop_reason) meta.push("stop: " + t.stop_reason);
        if (t.tool_call_id) meta.push("result of " + t.tool_call_id + (t.is_error ? " (error)" : ""));
        var calls = (t.tool_calls || []).map(function (c) {
          var args = c.invalid_arguments ? c.invalid_arguments.raw + "  (not JSON: " + c.invalid_arguments.error + ")" : JSON.stringify(c.arguments);
          return h("pre", { class: "json call", text: "→ " + c.name + "(" + args + ")  [" + c.id + "]" });
        });
        transcript.appendChild(h("div", { class: "turn " + t.speaker }, [
          h("div", { class: "who" }, [t.speaker.toUpperCase(), meta.length ? h("span", { class: "muted", text: " · " + meta.join(" · ") }) : null]),
          h("div", { class: "text", text: t.text }),
          t.audio ? h("div", { class: "audio" }, [player(t.audio.clip), h("span", { class: "muted", text: " " + (t.audio.duration_ms / 1000).toFixed(1) + " s at " + (t.audio.start_ms / 1000).toFixed(1) + " s" })]) : null
        ].concat(calls)));
      });
      drill.appendChild(transcript);
      if (d.evaluations.length) {
        drill.appendChild(h("h3", { text: "Evaluations" }));
        var rowsEl = d.evaluations.map(function (e) {
          var verdict = e.passed === true ? "passed" : e.passed === false ? "failed" : "could not judge";
          var why = [e.rationale ? h("div", { class: "rationale", text: e.rationale }) : null,
            e.error ? h("div", { class: "failure", text: e.error }) : null,
            e.details !== undefined && e.details !== null ? h("pre", { class: "json", text: JSON.stringify(e.details, null, 2) }) : null];
          return h("tr", { class: "eval" }, [h("td", { text: e.evaluator }),
            h("td", null, [h("span", { class: "badge " + (e.passed === true ? "o-p" : e.passed === false ? "o-f" : "o-i"), text: verdict })]),
            h("td", { text: fmt(e.score, 3) }), h("td", { text: fmt(e.label) }), h("td", null, why)]);
        });
        drill.appendChild(h("div", { class: "table-wrap" }, [h("table", { id: "drill-evaluations" }, [
          h("thead", null, [h("tr", null, ["evaluator", "verdict", "score", "label", "rationale and details"].map(function (x) { return h("th", { text: x }); }))]),
          h("tbody", null, rowsEl)])]));
      }
      if (d.reports.length) {
        drill.appendChild(h("h3", { text: "Transcript tests" }));
        var reports = h("div", { id: "drill-reports" });
        d.reports.forEach(function (rep) {
          var worst = rep.variables.reduce(function (w, v) {
            var rank = { good: 0, warning: 1, poor: 2 };
            return rank[v.status] > rank[w] ? v.status : w;
          }, "good");
          reports.appendChild(h("div", { class: "report" }, [
            h("h4", null, [rep.title + " ", h("span", { class: "badge status-" + worst, text: worst })]),
            h("table", null, [h("tbody", null, rep.variables.map(function (v) {
              var value = typeof v.value === "string" ? v.value : JSON.stringify(v.value);
              return h("tr", { class: "status-" + v.status, "data-status": v.status }, [h("td", { text: v.metric }), h("td", { text: value }),
                h("td", null, [h("span", { class: "badge status-" + v.status, text: v.status })])]);
            }))])
          ]));
        });
        drill.appendChild(reports);
      }
      if (d.artifacts.length) {
        drill.appendChild(h("h3", { text: "Artifacts" }));
        var arts = h("div", { id: "drill-artifacts" });
        d.artifacts.forEach(function (a) {
          var note = a.bytes + " bytes" + (a.truncated ? ", shown in part" : "") + (a.binary ? ", binary" : "");
          arts.appendChild(h("h4", { "data-artifact": a.name }, [a.name + " ", h("span", { class: "muted", text: "(" + note + ")" })]));
          if (a.binary) return;
          var pre = h("pre", { class: /\.(diff|patch)$/.test(a.name) ? "diff" : "log" });
          if (/\.(diff|patch)$/.test(a.name)) {
            a.text.split("\n").forEach(function (line) {
              var c = line.slice(0, 2) === "@@" ? "hunk" : line.charAt(0) === "+" && line.slice(0, 3) !== "+++" ? "add" : line.charAt(0) === "-" && line.slice(0, 3) !== "---" ? "del" : "";
              pre.appendChild(h("span", { class: c, text: line + "\n" }));
            });
          } else {
            pre.textContent = a.text;
          }
          arts.appendChild(pre);
        });
        drill.appendChild(arts);
      }
    }
    function openFromHash() {
      var k = parseHash();
      if (!k) return;
      var c = cases.indexOf(k.c), a = agents.indexOf(k.a);
      var i = c >= 0 && a >= 0 ? byKey.get(key(c, a, k.s)) : undefined;
      if (i !== undefined) openRow(i);
    }
    window.addEventListener("hashchange", openFromHash);

    // live updates
    function upsert(list) {
      var newCase = false;
      list.forEach(function (r) {
        var c = cases.indexOf(r[0]);
        if (c < 0) { cases.push(r[0]); c = cases.length - 1; newCase = true; }
        var a = agents.indexOf(r[1]);
        if (a < 0) { agents.push(r[1]); a = agents.length - 1; }
        var row = [c, a, r[2], r[3], r[4], r[5], r[6]];
        var i = byKey.get(key(c, a, r[2]));
        if (i === undefined) { rows.push(row); index(rows.length - 1); } else { rows[i] = row; }
      });
      if (newCase) sortCases();
      filter();
      renderGrid();
    }
    function progress(p) {
      document.body.setAttribute("data-status", p.status);
      var badge = document.getElementById("run-status");
      badge.textContent = p.status;
      badge.className = "badge status-" + p.status;
      document.getElementById("recorded").textContent = p.recorded;
      document.getElementById("total").textContent = p.total;
      document.getElementById("updated").textContent = p.updated;
      var share = p.total > 0 ? Math.min(1, p.recorded / p.total) * 100 : 0;
      document.getElementById("progress-bar").style.width = share.toFixed(1) + "%";
    }
    if (DATA.live && window.EventSource) {
      var es = new EventSource(DATA.live);
      setLive("connecting…");
      es.addEventListener("open", function () { setLive("● live"); });
      es.addEventListener("progress", function (e) { progress(JSON.parse(e.data)); });
      es.addEventListener("summary", function (e) { document.getElementById("summary").innerHTML = JSON.parse(e.data).html; });
      // Live rows belong to the run's first window: another window shown is left as it is.
      es.addEventListener("rows", function (e) { if (!win.current) upsert(JSON.parse(e.data)); });
      es.addEventListener("done", function () { es.close(); setLive("run " + document.body.getAttribute("data-status")); });
      es.addEventListener("error", function () { if (es.readyState !== 2) setLive("reconnecting…"); });
    }

    filter();
    renderControls();
    renderGrid();
    openFromHash();
  }

  // ---- the runs list: live status and progress -----------------------------------------
  function runsPage() {
    if (!DATA.live || !window.EventSource) return;
    var es = new EventSource(DATA.live);
    es.addEventListener("open", function () { setLive("● live"); });
    es.addEventListener("runs", function (e) {
      var body = document.getElementById("runs-body");
      if (body) body.innerHTML = JSON.parse(e.data).html;
    });
    es.addEventListener("error", function () { if (es.readyState !== 2) setLive("reconnecting…"); });
  }

  // ---- two runs compared ---------------------------------------------------------------
  function comparePage() {
    var all = DATA.cases || []; // [case, pair, outcomesA, outcomesB, change]
    var controls = document.getElementById("compare-controls");
    var grid = document.getElementById("compare-grid");
    if (!controls || !grid) return;
    var state = { view: "changed", q: "", page: 0 };
    var names = { regression: "regression", improvement: "improvement", both_passed: "both passed", both_failed: "both not passed", only_a: "only in A", only_b: "only in B" };
    function keep(r) {
      if (state.q && r[0].toLowerCase().indexOf(state.q) < 0) return false;
      if (state.view === "all") return true;
      if (state.view === "changed") return r[4] === "regression" || r[4] === "improvement";
      if (state.view === "only") return r[4] === "only_a" || r[4] === "only_b";
      return r[4] === state.view;
    }
    function squares(run, r, codes, agent) {
      return codes.split("").map(function (o, s) {
        return h("a", { class: "sq o-" + o, href: "/runs/" + encodeURIComponent(run) + "#" + attemptHash(r[0], agent, s), title: OUTCOME[o] + " · sample " + s });
      });
    }
    function render() {
      var visible = all.filter(keep);
      var pages = Math.max(1, Math.ceil(visible.length / PAGE_SIZE));
      if (state.page >= pages) state.page = pages - 1;
      clear(controls).appendChild(h("div", { class: "controls" }, [
        h("input", { type: "search", id: "compare-search", placeholder: "case id contains…", value: state.q,
          oninput: function (e) { state.q = e.target.value.toLowerCase(); state.page = 0; render(); } }),
        h("select", { id: "compare-view", onchange: function (e) { state.view = e.target.value; state.page = 0; render(); } },
          [["changed", "changed"], ["regression", "regressions"], ["improvement", "improvements"], ["only", "in one run only"], ["all", "all cases"]].map(function (o) {
            return h("option", { value: o[0], selected: state.view === o[0] }, [o[1]]);
          })),
        h("span", { id: "compare-count", text: visible.length + " of " + all.length }),
        pager(visible.length, state.page, function (p) { state.page = p; render(); }),
        legend()
      ]));
      clear(grid);
      var start = state.page * PAGE_SIZE;
      var body = visible.slice(start, start + PAGE_SIZE).map(function (r) {
        var pair = DATA.pairs[r[1]];
        return h("tr", { "data-change": r[4] }, [
          h("td", { class: "case", text: r[0], title: r[0] }),
          h("td", { text: pair.a === pair.b ? pair.a : pair.a + " → " + pair.b }),
          h("td", null, squares(DATA.a, r, r[2], pair.a)),
          h("td", null, squares(DATA.b, r, r[3], pair.b)),
          h("td", null, [h("span", { class: "change " + r[4], text: names[r[4]] })])
        ]);
      });
      grid.appendChild(h("div", { class: "table-wrap" }, [h("table", { class: "grid", id: "compare-table" }, [
        h("thead", null, [h("tr", null, ["case", "agent", "run A", "run B", "change"].map(function (x) { return h("th", { text: x }); }))]),
        h("tbody", null, body)])]));
    }
    render();
  }

  if (DATA.page === "run") runPage();
  else if (DATA.page === "runs") runsPage();
  else if (DATA.page === "compare") comparePage();
  window.__benchcoreReady = true;
  if (window.performance && performance.mark) performance.mark("benchcore-ready");
})();
