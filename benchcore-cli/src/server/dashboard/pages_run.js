// One run, live: progress from the server-sent events of GET …/runs/{id}/events (attempt,
// progress, reset, done), attempts streaming into a table, cancel / resume / rerun failed,
// the per-agent summary; and one attempt's detail (transcript, tool calls, evaluations,
// transcript tests, artifacts, audio clips).
(function () {
  "use strict";
  var BC = window.BC;
  var h = BC.h;
  var CODES = { p: "passed", f: "failed", i: "invalid", e: "error", s: "skipped" };

  function runApi(id, path) {
    return BC.ws("/runs/" + encodeURIComponent(id) + (path || ""));
  }
  function attemptLink(id, key) {
    return BC.link("runs/" + encodeURIComponent(id) + "/attempt", { case: key.case_id, agent: key.agent, sample: key.sample });
  }
  function keyId(key) {
    return key.case_id + "\u0000" + key.agent + "\u0000" + key.sample;
  }

  BC.pages.run = function (main, args) {
    var id = args[0];
    var stream = null;
    BC.onLeave(function () {
      if (stream) stream.close();
    });
    var title = h("h1", { id: "run-title", text: id });
    var meta = h("div", { class: "meta", id: "run-meta" });
    var bar = h("div", { class: "progress-bar", id: "progress-bar" });
    var count = h("span", { id: "progress-count", text: "–" });
    var status = h("span", { id: "run-status", class: "badge", text: "…" });
    var passRate = h("span", { id: "pass-rate", text: "–" });
    var cost = h("span", { id: "cost", text: "–" });
    var errors = h("span", { id: "errors", text: "–" });
    var inFlight = h("span", { id: "in-flight", text: "0" });
    var flightList = h("ul", { id: "in-flight-list", class: "flight" });
    var liveState = h("span", { id: "live", class: "muted" });
    var controlError = BC.errorBox("control-error", null);
    var buttons = h("div", { class: "controls", id: "run-controls" });
    var summary = h("div", { id: "summary" });
    var attempts = h("tbody", { id: "attempts" });
    var error = BC.errorBox("run-error", null);
    function kv(label, value) {
      return h("div", null, [h("span", { text: label }), value]);
    }
    main.appendChild(h("section", null, [title, meta, error]));
    main.appendChild(h("section", { id: "progress" }, [
      h("h2", { text: "Progress" }),
      h("div", { class: "progress-line" }, [h("div", { class: "progress" }, [bar]), count, status, liveState]),
      h("div", { class: "kv" }, [kv("pass rate so far", passRate), kv("cost so far", cost), kv("errors", errors), kv("in flight", inFlight)]),
      flightList,
      buttons,
      controlError
    ]));
    main.appendChild(h("section", null, [h("h2", { text: "Per agent" }), summary]));
    main.appendChild(h("section", null, [
      h("h2", { text: "Attempts" }),
      h("div", { class: "table-wrap" }, [h("table", { id: "attempts-table" }, [
        h("thead", null, [h("tr", null, ["case", "agent", "sample", "outcome", "score", "latency ms"].map(function (x) { return h("th", { text: x }); }))]),
        attempts
      ])])
    ]));

    var seen = new Map();
    function addAttempt(key, outcome, score, latency) {
      var k = keyId(key);
      var existing = seen.get(k);
      var tr = h("tr", { "data-outcome": outcome }, [
        h("td", null, [h("a", { href: attemptLink(id, key), class: "attempt-link", text: key.case_id })]),
        h("td", { text: key.agent }),
        h("td", { text: String(key.sample) }),
        h("td", null, [BC.outcomeBadge(outcome)]),
        h("td", { text: BC.fmt(score, 3) }),
        h("td", { text: BC.fmt(latency) })
      ]);
      if (existing) attempts.replaceChild(tr, existing);
      else attempts.appendChild(tr);
      seen.set(k, tr);
    }
    // Every recorded attempt, window by window (the viewer's rows: [case, agent, sample,
    // outcome code, score, latency ms, cost]).
    function loadRows(after) {
      var q = after ? "?" + BC.query({ after_case: after.case, after_agent: after.agent, after_sample: after.sample }) : "";
      return BC.api("GET", runApi(id, "/rows" + q)).then(function (w) {
        w.rows.forEach(function (r) {
          addAttempt({ case_id: w.cases[r[0]], agent: w.agents[r[1]], sample: r[2] }, CODES[r[3]] || r[3], r[4], r[5]);
        });
        if (w.next && seen.size < 5000) return loadRows(w.next);
      });
    }
    function showProgress(p) {
      var total = p.total || 0;
      count.textContent = p.recorded + "/" + total;
      bar.style.width = total ? Math.min(100, (100 * p.recorded) / total).toFixed(1) + "%" : "0%";
      passRate.textContent = BC.pct(p.pass_rate);
      cost.textContent = BC.money(p.cost_usd);
      errors.textContent = String(p.errors);
      var running = p.running || [];
      inFlight.textContent = String(running.length);
      BC.clear(flightList);
      running.forEach(function (key) {
        flightList.appendChild(h("li", { text: key.case_id + " · " + key.agent + " · sample " + key.sample }));
      });
      showStatus(p.status);
    }
    function showStatus(s) {
      status.textContent = s;
      status.className = "badge status-" + s;
      document.body.setAttribute("data-status", s);
      renderButtons(s);
    }
    function control(label, buttonId, path, then) {
      return h("button", {
        type: "button",
        id: buttonId,
        text: label,
        disabled: BC.role() === "viewer",
        onclick: function (e) {
          e.target.disabled = true;
          BC.showError(controlError, null);
          BC.api("POST", runApi(id, path))
            .then(then)
            .catch(function (err) {
              e.target.disabled = false;
              BC.showError(controlError, err);
            });
        }
      });
    }
    function renderButtons(s) {
      BC.clear(buttons);
      if (s === "running") {
        buttons.appendChild(control("Cancel", "cancel-run", "/cancel", function () {
          liveState.textContent = "cancelling: attempts in flight finish first";
        }));
      } else {
        buttons.appendChild(control("Resume", "resume-run", "/resume", BC.route));
        buttons.appendChild(control("Rerun failed", "rerun-failed", "/rerun-failed", BC.route));
      }
    }
    function showSummary(run) {
      var rows = ((run.summary && run.summary.agents) || []).map(function (a) {
        return h("tr", { "data-agent": a.agent }, [
          h("td", { text: a.agent }), h("td", { text: String(a.n) }), h("td", { text: String(a.passed) }),
          h("td", { text: String(a.failed) }), h("td", { text: String(a.invalid) }), h("td", { text: String(a.errors) }),
          h("td", { text: String(a.skipped) }), h("td", { text: BC.pct(a.accuracy) }), h("td", { text: BC.fmt(a.mean_score, 3) }),
          h("td", { text: BC.money(a.cost_usd) }), h("td", { text: BC.fmt(a.latency_p50_ms) }), h("td", { text: BC.fmt(a.latency_p95_ms) })
        ]);
      });
      BC.clear(summary).appendChild(BC.table("summary-table", "summary",
        ["agent", "attempts", "passed", "failed", "invalid", "errors", "skipped", "accuracy", "mean score", "cost", "p50 ms", "p95 ms"], rows));
    }
    function loadRun() {
      return BC.api("GET", runApi(id)).then(function (run) {
        title.textContent = run.name || run.id;
        BC.clear(meta).appendChild(h("span", null, [
          h("code", { text: run.id }), " · " + run.kind + " · suite ", h("b", { text: run.suite }),
          " · agents " + run.agents.join(", ") + " · created " + BC.when(run.created_at_ms)
        ]));
        showSummary(run);
        var agents = (run.summary && run.summary.agents) || [];
        var sum = function (f) { return agents.reduce(function (t, a) { return t + (a[f] || 0); }, 0); };
        var judged = sum("passed") + sum("failed") + sum("invalid");
        showProgress({ status: run.status, recorded: run.recorded, total: run.total, pass_rate: judged ? sum("passed") / judged : null,
          cost_usd: sum("cost_usd"), errors: sum("errors"), running: [] });
        return run;
      });
    }
    function follow() {
      stream = new EventSource(runApi(id, "/events"));
      liveState.textContent = "live";
      stream.addEventListener("progress", function (e) {
        showProgress(JSON.parse(e.data));
      });
      stream.addEventListener("attempt", function (e) {
        var m = JSON.parse(e.data);
        addAttempt(m.key, m.outcome, m.score, m.latency_ms);
      });
      stream.addEventListener("reset", function () {
        loadRows(null).catch(function (err) { BC.showError(error, err); });
      });
      stream.addEventListener("done", function (e) {
        stream.close();
        stream = null;
        liveState.textContent = "";
        var m = JSON.parse(e.data);
        showStatus(m.status);
        if (m.status !== "deleted") {
          Promise.all([loadRun(), loadRows(null)]).catch(function (err) { BC.showError(error, err); });
        }
      });
      stream.onerror = function () {
        // EventSource reconnects by itself (with Last-Event-ID) unless the answer was an error.
        liveState.textContent = stream && stream.readyState === EventSource.CLOSED ? "live updates stopped; reload" : "reconnecting…";
      };
    }
    Promise.all([loadRun(), loadRows(null)])
      .then(function (got) {
        if (got[0].status === "running") follow();
      })
      .catch(function (e) {
        BC.showError(error, e);
      })
      .then(function () {
        BC.ready("run");
      });
  };

  // ---- one attempt ---------------------------------------------------------------------
  BC.pages.attempt = function (main, args, params) {
    var id = args[0];
    var key = { case_id: params.get("case") || "", agent: params.get("agent") || "", sample: Number(params.get("sample") || 0) };
    var error = BC.errorBox("attempt-error", null);
    var section = h("section", { id: "attempt" }, [
      h("a", { href: BC.link("runs/" + encodeURIComponent(id)), id: "back-to-run", text: "‹ run " + id }), error
    ]);
    main.appendChild(section);
    BC.api("GET", runApi(id, "/attempt?" + BC.query({ case: key.case_id, agent: key.agent, sample: key.sample })))
      .then(function (d) {
        renderAttempt(section, id, d);
      })
      .catch(function (e) {
        BC.showError(error, e);
      })
      .then(function () {
        BC.ready("attempt");
      });
  };

  function renderAttempt(section, id, d) {
    function kv(label, value) {
      return h("div", null, [h("span", { text: label }), String(value)]);
    }
    function clip(name, elementId) {
      var src = runApi(id, "/audio?" + BC.query({ case: d.key.case_id, agent: d.key.agent, sample: d.key.sample, clip: name }));
      return h("audio", { controls: true, preload: "none", src: src, class: "clip", id: elementId || null });
    }
    section.appendChild(h("h1", { id: "attempt-title" }, [d.key.case_id + " · " + d.key.agent + " · sample " + d.key.sample + " ", BC.outcomeBadge(d.outcome)]));
    section.appendChild(h("div", { class: "kv" }, [
      kv("score", BC.fmt(d.score, 3)), kv("model", BC.fmt(d.model)), kv("latency ms", BC.fmt(d.latency_ms)),
      kv("first token ms", BC.fmt(d.ttft_ms)), kv("tokens in / out", d.input_tokens + " / " + d.output_tokens),
      kv("cost", BC.money(d.cost_usd)), kv("retries", d.retries), kv("cached", d.cached ? "yes" : "no"),
      kv("started", BC.when(d.started_at_ms)), kv("ending", BC.fmt(d.ending)), kv("stop reason", BC.fmt(d.stop_reason))
    ]));
    if (d.failure) section.appendChild(h("div", { class: "failure", id: "attempt-failure" }, [h("b", { text: d.failure.kind + ": " }), d.failure.message]));
    section.appendChild(h("h2", { text: "Transcript (" + d.turns.length + " turns)" }));
    // A voice conversation: the whole recording, and each spoken turn's clip.
    if (d.turns.some(function (t) { return t.audio; })) {
      section.appendChild(h("div", { class: "recording" }, [h("span", { class: "muted", text: "recording " }), clip("conversation.wav", "recording")]));
    }
    var transcript = h("div", { id: "transcript" });
    d.turns.forEach(function (t) {
      var notes = [];
      if (t.latency_ms !== undefined && t.latency_ms !== null) notes.push(t.latency_ms + " ms");
      if (t.usage) notes.push(t.usage.input_tokens + "→" + t.usage.output_tokens + " tokens");
      if (t.stop_reason) notes.push("stop: " + t.stop_reason);
      if (t.tool_call_id) notes.push("result of " + t.tool_call_id + (t.is_error ? " (error)" : ""));
      var calls = (t.tool_calls || []).map(function (c) {
        var argsText = c.invalid_arguments ? c.invalid_arguments.raw + "  (not JSON: " + c.invalid_arguments.error + ")" : JSON.stringify(c.arguments);
        return h("pre", { class: "json call tool-call", text: "→ " + c.name + "(" + argsText + ")  [" + c.id + "]" });
      });
      transcript.appendChild(h("div", { class: "turn " + t.speaker }, [
        h("div", { class: "who" }, [String(t.speaker).toUpperCase(), notes.length ? h("span", { class: "muted", text: " · " + notes.join(" · ") }) : null]),
        h("div", { class: "text", text: t.text }),
        t.audio ? h("div", { class: "audio" }, [clip(t.audio.clip), h("span", { class: "muted", text: " " + (t.audio.duration_ms / 1000).toFixed(1) + " s" })]) : null
      ].concat(calls)));
    });
    section.appendChild(transcript);
    if (d.evaluations.length) {
      section.appendChild(h("h2", { text: "Evaluations" }));
      section.appendChild(BC.table("evaluations", null, ["evaluator", "verdict", "score", "label", "rationale and details"], d.evaluations.map(function (e) {
        var verdict = e.passed === true ? "passed" : e.passed === false ? "failed" : "could not judge";
        return h("tr", { class: "eval" }, [
          h("td", { text: e.evaluator }),
          h("td", null, [h("span", { class: "badge " + (e.passed === true ? "o-p" : e.passed === false ? "o-f" : "o-i"), text: verdict })]),
          h("td", { text: BC.fmt(e.score, 3) }),
          h("td", { text: BC.fmt(e.label) }),
          h("td", null, [
            e.rationale ? h("div", { class: "rationale", text: e.rationale }) : null,
            e.error ? h("div", { class: "failure", text: e.error }) : null,
            e.details !== undefined && e.details !== null ? h("pre", { class: "json", text: JSON.stringify(e.details, null, 2) }) : null
          ])
        ]);
      })));
    }
    if (d.reports.length) {
      section.appendChild(h("h2", { text: "Transcript tests" }));
      var reports = h("div", { id: "reports" });
      d.reports.forEach(function (rep) {
        reports.appendChild(h("div", { class: "report" }, [
          h("h4", { text: rep.title }),
          h("table", null, [h("tbody", null, rep.variables.map(function (v) {
            var value = typeof v.value === "string" ? v.value : JSON.stringify(v.value);
            return h("tr", { class: "status-" + v.status, "data-status": v.status }, [h("td", { text: v.metric }), h("td", { text: value }),
              h("td", null, [h("span", { class: "badge status-" + v.status, text: v.status })])]);
          }))])
        ]));
      });
      section.appendChild(reports);
    }
    if (d.artifacts.length) {
      section.appendChild(h("h2", { text: "Artifacts" }));
      var arts = h("div", { id: "artifacts" });
      d.artifacts.forEach(function (a) {
        var note = a.bytes + " bytes" + (a.truncated ? ", shown in part" : "") + (a.binary ? ", binary" : "");
        arts.appendChild(h("h4", { "data-artifact": a.name }, [a.name + " ", h("span", { class: "muted", text: "(" + note + ")" })]));
        if (a.binary) return;
        var diff = /\.(diff|patch)$/.test(a.name);
        var pre = h("pre", { class: diff ? "diff" : "log" });
        if (diff) {
          a.text.split("\n").forEach(function (line) {
            var c = line.slice(0, 2) === "@@" ? "hunk" : line.charAt(0) === "+" && line.slice(0, 3) !== "+++" ? "add" : line.charAt(0) === "-" && line.slice(0, 3) !== "---" ? "del" : "";
            pre.appendChild(h("span", { class: c || null, text: line + "\n" }));
          });
        } else {
          pre.textContent = a.text;
        }
        arts.appendChild(pre);
      });
      section.appendChild(arts);
    }
  }
})();
