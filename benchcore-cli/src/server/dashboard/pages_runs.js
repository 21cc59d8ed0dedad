// The runs list (with filters, refreshed while a run is running) and the launch form, built
// from the run-spec schema, the workspace's suites and its saved agents.
(function () {
  "use strict";
  var BC = window.BC;
  var h = BC.h;
  var REFRESH_MS = 3000;
  var STATUSES = ["running", "finished", "cancelled", "failed"];

  BC.pages.runs = function (main, _args, params) {
    var filters = {
      status: params.get("status") || "",
      suite: params.get("suite") || "",
      agent: params.get("agent") || ""
    };
    var timer = null;
    BC.onLeave(function () {
      clearTimeout(timer);
    });
    function changed() {
      history.replaceState(null, "", BC.link("runs", filters));
      load();
    }
    var status = h("select", { id: "filter-status", onchange: function (e) { filters.status = e.target.value; changed(); } },
      [h("option", { value: "", text: "any status" })].concat(STATUSES.map(function (s) {
        return h("option", { value: s, selected: filters.status === s, text: s });
      })));
    var suite = h("input", { id: "filter-suite", type: "search", placeholder: "suite", value: filters.suite,
      onchange: function (e) { filters.suite = e.target.value.trim(); changed(); } });
    var agent = h("input", { id: "filter-agent", type: "search", placeholder: "agent", value: filters.agent,
      onchange: function (e) { filters.agent = e.target.value.trim(); changed(); } });
    var body = h("tbody", { id: "runs-body" });
    var info = h("span", { id: "runs-info", class: "muted" });
    var error = BC.errorBox("runs-error", null);
    main.appendChild(h("section", null, [
      h("div", { class: "heading" }, [h("h1", { text: "Runs" }), h("a", { class: "button", id: "launch-link", href: BC.link("launch"), text: "Launch a run" })]),
      h("div", { class: "controls" }, [status, suite, agent, info]),
      error,
      h("div", { class: "table-wrap" }, [h("table", { id: "runs-table" }, [
        h("thead", null, [h("tr", null, ["run", "status", "suite", "agents", "attempts", "created"].map(function (x) { return h("th", { text: x }); }))]),
        body
      ])])
    ]));
    function row(run) {
      return h("tr", { "data-run": run.id, "data-status": run.status }, [
        h("td", null, [h("a", { href: BC.link("runs/" + encodeURIComponent(run.id)), text: run.name || run.id }),
          run.name ? h("div", { class: "muted small", text: run.id }) : null]),
        h("td", null, [BC.badge(run.status)]),
        h("td", { text: run.suite }),
        h("td", { text: (run.agents || []).join(", ") }),
        h("td", { class: "recorded", text: run.recorded + "/" + run.total }),
        h("td", { text: BC.when(run.created_at_ms) })
      ]);
    }
    var first = true;
    function load() {
      clearTimeout(timer);
      BC.api("GET", BC.ws("/runs?" + BC.query(filters)))
        .then(function (runs) {
          BC.showError(error, null);
          BC.clear(body);
          runs.forEach(function (run) { body.appendChild(row(run)); });
          if (!runs.length) body.appendChild(h("tr", null, [h("td", { colspan: "6", class: "muted", text: "No runs match." })]));
          var running = runs.some(function (r) { return r.status === "running"; });
          info.textContent = runs.length + " run" + (runs.length === 1 ? "" : "s") + (running ? " · refreshing while runs are running" : "");
          // Live-ish: while anything runs, read the list again every few seconds.
          if (running) timer = setTimeout(load, REFRESH_MS);
        })
        .catch(function (e) {
          BC.showError(error, e);
        })
        .then(function () {
          if (first) BC.ready("runs");
          first = false;
        });
    }
    load();
  };

  // ---- the launch form -----------------------------------------------------------------
  // The evaluator kinds a form can offer: those of the schema that need nothing but `kind`.
  function evaluatorKinds(schema) {
    var def = schema.$defs && schema.$defs.EvaluatorConfig;
    return ((def && (def.oneOf || def.anyOf)) || [])
      .map(function (v) {
        var kind = v.properties && v.properties.kind && (v.properties.kind.const || (v.properties.kind.enum || [])[0]);
        var needs = (v.required || []).filter(function (r) { return r !== "kind"; });
        return kind ? { kind: kind, help: (v.description || "").split("\n")[0], needs: needs } : null;
      })
      .filter(Boolean);
  }
  function prop(schema, name) {
    return (schema.properties && schema.properties[name]) || {};
  }
  function help(schema, name) {
    return (prop(schema, name).description || "").split("\n")[0];
  }

  BC.pages.launch = function (main) {
    var error = BC.errorBox("launch-error", null);
    main.appendChild(h("section", { id: "launch" }, [h("h1", { text: "Launch a run" }), error]));
    Promise.all([
      BC.api("GET", "/api/schema/run-spec"),
      BC.api("GET", BC.ws("/suites")),
      BC.api("GET", BC.ws("/agents"))
    ])
      .then(function (got) {
        buildForm(main.querySelector("#launch"), error, got[0], got[1], got[2]);
      })
      .catch(function (e) {
        BC.showError(error, e);
      })
      .then(function () {
        BC.ready("launch");
      });
  };

  // The models of a saved lmstudio agent's server, to pick one (its own when none is picked).
  function localModels(agent, i) {
    var select = h("select", { id: "launch-model-" + i, class: "local-model", "data-agent": agent }, [
      h("option", { value: "", text: "its own model" })
    ]);
    BC.api("GET", BC.ws("/agents/" + encodeURIComponent(agent) + "/models"))
      .then(function (listed) {
        (listed.models || []).forEach(function (m) {
          var state = m.state === "loaded" ? " (loaded)" : "";
          select.appendChild(h("option", { value: m.key, text: m.key + state }));
        });
      })
      .catch(function (e) {
        select.appendChild(h("option", { value: "", text: "models unavailable: " + (e.message || e), disabled: true }));
      });
    return select;
  }

  function buildForm(section, error, schema, suites, agents) {
    var inputs = {};
    var name = (inputs.name = h("input", { id: "launch-name", type: "text", maxlength: "200", placeholder: "optional" }));
    var suite = (inputs.suite = h("select", { id: "launch-suite", required: true }, suites.map(function (s) {
      var note = s.source === "workspace" ? " (uploaded" + (s.latest ? ", " + s.latest : "") + ")" : s.folder ? " (folder)" : "";
      return h("option", { value: s.name, text: s.name + note });
    })));
    var agentBoxes = agents.map(function (a, i) {
      var parts = [
        h("input", { type: "checkbox", id: "launch-agent-" + i, "data-agent": a.name, value: a.name }),
        " " + a.name + " ",
        h("span", { class: "muted", text: "(" + a.kind + ")" })
      ];
      // A local model server's agent can run on any model the server has: it is loaded
      // before the run starts.
      if (a.kind === "lmstudio") parts.push(" ", localModels(a.name, i));
      return h("label", { class: "check" }, parts);
    });
    inputs.agents = h("fieldset", { id: "launch-agents" }, [h("legend", { text: "Agents" })].concat(
      agentBoxes.length ? agentBoxes : [h("p", null, ["No saved agents yet: ", h("a", { href: BC.link("agents"), text: "add one" }), "."])]));
    var kinds = evaluatorKinds(schema);
    inputs.evaluators = h("fieldset", { id: "launch-evaluators" }, [h("legend", { text: "Evaluators" })].concat(kinds.map(function (k) {
      var usable = !k.needs.length;
      return h("label", { class: "check", title: k.help }, [
        h("input", { type: "checkbox", "data-kind": k.kind, value: k.kind, checked: k.kind === "exact", disabled: !usable }),
        " " + k.kind + " ",
        h("span", { class: "muted", text: usable ? k.help : "needs " + k.needs.join(", ") + " (launch it through the API)" })
      ]);
    })));
    function number(id, key, attrs) {
      var p = prop(schema, key);
      var input = h("input", Object.assign({ id: id, type: "number", min: p.minimum !== undefined ? String(p.minimum) : null,
        value: p.default !== undefined && p.default !== null ? String(p.default) : "" }, attrs || {}));
      inputs[key] = input;
      return input;
    }
    var samples = number("launch-samples", "samples", { min: "1", step: "1" });
    var concurrency = number("launch-concurrency", "concurrency", { min: "1", step: "1" });
    var maxCost = number("launch-max-cost", "max_cost_usd", { step: "any", placeholder: "no limit" });
    var submit = h("button", { type: "submit", id: "launch-submit", text: "Launch" });
    if (BC.role() === "viewer") submit.disabled = true;
    function read(input) {
      var v = input.value.trim();
      return v === "" ? undefined : Number(v);
    }
    function mark(field) {
      Object.keys(inputs).forEach(function (k) { inputs[k].classList.remove("invalid"); });
      var top = field ? field.split(".")[0] : "";
      if (inputs[top]) inputs[top].classList.add("invalid");
    }
    // The API checks the spec and names the field at fault; the browser's own checks would
    // only say less.
    var form = h("form", {
      id: "launch-form",
      novalidate: true,
      onsubmit: function (e) {
        e.preventDefault();
        var body = {
          suite: suite.value,
          agents: agentBoxes.filter(function (l) { return l.querySelector("input").checked; })
            .map(function (l) {
              var name = l.querySelector("input").value;
              var model = l.querySelector("select.local-model");
              return model && model.value ? { saved: name, model: model.value } : name;
            }),
          evaluators: Array.prototype.filter.call(inputs.evaluators.querySelectorAll("input"), function (c) { return c.checked; })
            .map(function (c) { return { kind: c.value }; })
        };
        if (name.value.trim()) body.name = name.value.trim();
        [["samples", samples], ["concurrency", concurrency], ["max_cost_usd", maxCost]].forEach(function (p) {
          var v = read(p[1]);
          if (v !== undefined) body[p[0]] = v;
        });
        submit.disabled = true;
        BC.api("POST", BC.ws("/runs"), body)
          .then(function (run) {
            BC.go(BC.link("runs/" + encodeURIComponent(run.id)));
          })
          .catch(function (e) {
            submit.disabled = false;
            mark(e.field);
            BC.showError(error, e);
          });
      }
    }, [
      BC.field("Name", name, help(schema, "name")),
      BC.field("Suite", suite, suites.length ? help(schema, "suite") : "The server's suites folder is empty."),
      inputs.agents,
      inputs.evaluators,
      h("div", { class: "row" }, [
        BC.field("Samples", samples, help(schema, "samples")),
        BC.field("Concurrency", concurrency, help(schema, "concurrency")),
        BC.field("Max cost (USD)", maxCost, help(schema, "max_cost_usd"))
      ]),
      h("div", { class: "actions" }, [submit])
    ]);
    section.insertBefore(form, error);
  }
})();
