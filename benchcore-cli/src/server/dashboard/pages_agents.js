// The workspace's saved agents: list, create or edit (the config as JSON), send one test
// prompt, delete. Keys go in with a save and never come back out: an edited config shows
// without them.
(function () {
  "use strict";
  var BC = window.BC;
  var h = BC.h;
  var EXAMPLE = '{\n  "kind": "openai_compatible",\n  "base_url": "https://llm.example.com/v1",\n  "model": "model-name",\n  "api_key": "…"\n}';

  function agentApi(name, path) {
    return BC.ws("/agents/" + encodeURIComponent(name) + (path || ""));
  }

  BC.pages.agents = function (main) {
    var listError = BC.errorBox("agents-error", null);
    var list = h("div", { id: "agents-list" });
    var name = h("input", { id: "agent-name", type: "text", maxlength: "100", placeholder: "e.g. gpt-small", autocomplete: "off" });
    var config = h("textarea", { id: "agent-config", rows: "10", spellcheck: "false", placeholder: EXAMPLE });
    var note = h("p", { id: "agent-note", class: "notice", hidden: true });
    var formError = BC.errorBox("agent-error", null);
    var saved = h("p", { id: "agent-saved", class: "muted", role: "status" });
    var save = h("button", { type: "submit", id: "agent-save", text: "Save" });
    var form = h("form", { id: "agent-form", onsubmit: onSave }, [
      h("h2", { id: "agent-form-title", text: "New agent" }),
      BC.field("Name", name),
      BC.field("Config (JSON)", config, "A provider config; its api_key (or token) is sealed in the server's vault and never shown again."),
      note, formError,
      h("div", { class: "actions" }, [save, h("button", { type: "button", id: "agent-new", text: "Clear", onclick: function () { edit(null); } }), saved])
    ]);
    var testAgent = h("select", { id: "test-agent" });
    var prompt = h("textarea", { id: "test-prompt", rows: "3", placeholder: "Say hello." });
    var testResult = h("div", { id: "test-result" });
    var send = h("button", { type: "button", id: "test-send", text: "Send", onclick: onTest });
    main.appendChild(h("section", null, [h("h1", { text: "Agents" }), listError, list]));
    main.appendChild(h("section", null, [form]));
    main.appendChild(h("section", { id: "agent-test" }, [
      h("h2", { text: "Send one prompt" }),
      h("div", { class: "controls" }, [h("label", { for: "test-agent", text: "Agent" }), testAgent]),
      BC.field("Prompt", prompt),
      h("div", { class: "actions" }, [send]),
      testResult
    ]));

    function edit(agent) {
      BC.showError(formError, null);
      saved.textContent = "";
      note.hidden = true;
      if (!agent) {
        name.value = "";
        name.readOnly = false;
        config.value = "";
        BC.clear(form.querySelector("#agent-form-title")).appendChild(document.createTextNode("New agent"));
        return;
      }
      name.value = agent.name;
      config.value = JSON.stringify(agent.config, null, 2);
      form.querySelector("#agent-form-title").textContent = "Edit " + agent.name;
      if (agent.has_secrets) {
        note.hidden = false;
        note.textContent = "Its key is sealed and not shown. Saving replaces the whole config: add api_key again, or the agent keeps no key.";
      }
    }
    function onSave(e) {
      e.preventDefault();
      saved.textContent = "";
      var body;
      try {
        body = JSON.parse(config.value);
      } catch (err) {
        return BC.showError(formError, { field: "config", message: "not JSON: " + err.message });
      }
      if (!name.value.trim()) return BC.showError(formError, { field: "name", message: "give the agent a name" });
      save.disabled = true;
      var agentName = name.value.trim();
      BC.api("PUT", agentApi(agentName), body)
        .then(function () {
          // The form now shows the agent as stored: its key no longer in the page.
          return Promise.all([BC.api("GET", agentApi(agentName)), load(agentName)]);
        })
        .then(function (got) {
          edit(got[0]);
          saved.textContent = "Saved " + agentName + ".";
        })
        .catch(function (err) {
          BC.showError(formError, err);
        })
        .then(function () {
          save.disabled = false;
        });
    }
    function onTest() {
      BC.clear(testResult);
      if (!testAgent.value) return;
      send.disabled = true;
      testResult.appendChild(h("p", { class: "muted", text: "waiting for " + testAgent.value + "…" }));
      BC.api("POST", agentApi(testAgent.value, "/test"), { prompt: prompt.value })
        .then(function (r) {
          BC.clear(testResult);
          var facts = BC.fmt(r.latency_ms) + " ms" + (r.model ? " · " + r.model : "") + (r.cost_usd !== null && r.cost_usd !== undefined ? " · " + BC.money(r.cost_usd) : "");
          if (r.ok) {
            testResult.appendChild(h("div", { class: "turn agent", id: "test-reply", "data-ok": "true" }, [
              h("div", { class: "who", text: "REPLY · " + facts }), h("div", { class: "text", id: "test-reply-text", text: r.text })
            ]));
          } else {
            var err = r.error || {};
            testResult.appendChild(h("div", { class: "failure", id: "test-reply", "data-ok": "false" }, [
              h("b", { text: (err.kind || "error") + (err.http_status ? " (HTTP " + err.http_status + ")" : "") + ": " }),
              h("span", { id: "test-reply-text", text: err.message || "" }),
              h("div", { class: "muted", text: facts })
            ]));
          }
        })
        .catch(function (err) {
          BC.clear(testResult).appendChild(BC.errorBox("test-error", err));
        })
        .then(function () {
          send.disabled = false;
        });
    }
    function remove(agent, button) {
      // Two clicks: the first asks, the second deletes.
      if (button.getAttribute("data-confirm") !== "yes") {
        button.setAttribute("data-confirm", "yes");
        button.textContent = "Really delete?";
        return;
      }
      BC.api("DELETE", agentApi(agent.name))
        .then(function () {
          if (name.value === agent.name) edit(null);
          return load();
        })
        .catch(function (err) {
          BC.showError(listError, err);
        });
    }
    function load(select) {
      return BC.api("GET", BC.ws("/agents"))
        .then(function (agents) {
          BC.showError(listError, null);
          var rows = agents.map(function (a) {
            var del = h("button", { type: "button", class: "delete", text: "Delete", onclick: function (e) { remove(a, e.target); } });
            var editButton = h("button", {
              type: "button",
              class: "edit",
              text: "Edit",
              onclick: function () {
                BC.api("GET", agentApi(a.name)).then(edit, function (err) { BC.showError(listError, err); });
              }
            });
            return h("tr", { "data-agent": a.name }, [
              h("td", { text: a.name }), h("td", { text: a.kind }), h("td", { text: a.has_secrets ? "sealed" : "none" }),
              h("td", { text: BC.when(a.updated_at_ms) }), h("td", { class: "buttons" }, [editButton, " ", del])
            ]);
          });
          if (!rows.length) rows.push(h("tr", null, [h("td", { colspan: "5", class: "muted", text: "No saved agents yet." })]));
          BC.clear(list).appendChild(BC.table("agents-table", null, ["name", "kind", "key", "updated", ""], rows));
          var current = select || testAgent.value;
          BC.clear(testAgent);
          agents.forEach(function (a) {
            testAgent.appendChild(h("option", { value: a.name, selected: a.name === current, text: a.name }));
          });
        })
        .catch(function (err) {
          BC.showError(listError, err);
        });
    }
    load().then(function () {
      BC.ready("agents");
    });
  };
})();
