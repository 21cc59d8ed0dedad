// The dashboard's core: DOM helpers, the API client (session cookie + CSRF token), sign-in,
// the workspace picker and the router. The page files (pages_*.js) add their pages to
// BC.pages. Every string from the API reaches the page as a text node (h(..., {text}) or a
// child string), never as markup: model replies are hostile.
(function () {
  "use strict";
  var BC = (window.BC = { pages: {} });
  var state = { me: null, csrf: "", ws: null, cleanups: [] };
  BC.state = state;
  try {
    state.csrf = sessionStorage.getItem("bc.csrf") || "";
  } catch (e) {
    // storage may be off; the token also comes back from GET /api/me
  }

  // ---- DOM helpers ---------------------------------------------------------------------
  function h(tag, attrs, children) {
    var el = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === null || v === undefined || v === false) return;
        if (k === "text") el.textContent = v;
        else if (k === "class") el.className = v;
        else if (k === "value") el.value = v;
        else if (k.slice(0, 2) === "on") el.addEventListener(k.slice(2), v);
        else el.setAttribute(k, v === true ? "" : v);
      });
    }
    (children || []).forEach(function (c) {
      if (c === null || c === undefined || c === false) return;
      el.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
    });
    return el;
  }
  function clear(el) {
    while (el.firstChild) el.removeChild(el.firstChild);
    return el;
  }
  function fmt(v, digits) {
    if (v === null || v === undefined) return "–";
    return typeof v === "number" && digits !== undefined ? v.toFixed(digits) : String(v);
  }
  function pct(v) {
    return v === null || v === undefined ? "–" : (v * 100).toFixed(1) + "%";
  }
  function money(v) {
    return v === null || v === undefined ? "–" : "$" + Number(v).toFixed(4);
  }
  function when(ms) {
    return ms ? new Date(ms).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC") : "–";
  }
  function badge(status) {
    return h("span", { class: "badge status-" + status, text: status });
  }
  function outcomeBadge(outcome) {
    return h("span", { class: "badge o-" + String(outcome).charAt(0), text: outcome });
  }
  function table(id, cls, head, rows) {
    return h("div", { class: "table-wrap" }, [
      h("table", { id: id, class: cls || null }, [
        h("thead", null, [h("tr", null, head.map(function (x) { return h("th", { text: x }); }))]),
        h("tbody", null, rows)
      ])
    ]);
  }
  function field(label, input, help) {
    return h("div", { class: "field" }, [
      h("label", { for: input.id || null, text: label }),
      input,
      help ? h("div", { class: "help muted", text: help }) : null
    ]);
  }
  function query(params) {
    return Object.keys(params)
      .filter(function (k) { return params[k] !== "" && params[k] !== null && params[k] !== undefined; })
      .map(function (k) { return encodeURIComponent(k) + "=" + encodeURIComponent(params[k]); })
      .join("&");
  }
  BC.h = h;
  BC.clear = clear;
  BC.fmt = fmt;
  BC.pct = pct;
  BC.money = money;
  BC.when = when;
  BC.badge = badge;
  BC.outcomeBadge = outcomeBadge;
  BC.table = table;
  BC.field = field;
  BC.query = query;

  // ---- the API -------------------------------------------------------------------------
  // The API answers {"error": {"code", "message", "field"?}}; the viewer's handlers (attempt,
  // compare …) answer {"error": "message"}.
  function apiError(status, data) {
    var error = data && data.error;
    var message = typeof error === "string" ? error : error && error.message ? error.message : "HTTP " + status;
    var e = new Error(message);
    e.status = status;
    e.code = error && error.code ? error.code : null;
    e.field = error && typeof error.field === "string" ? error.field : null;
    return e;
  }
  BC.api = function (method, path, body) {
    var init = { method: method, headers: { Accept: "application/json" }, credentials: "same-origin" };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    if (method !== "GET") init.headers["X-CSRF-Token"] = state.csrf;
    return fetch(path, init).then(function (res) {
      return res.text().then(function (text) {
        var data = null;
        try {
          data = text ? JSON.parse(text) : null;
        } catch (e) {
          data = null;
        }
        if (!res.ok) {
          if (res.status === 401 && path !== "/api/login" && state.me) {
            state.me = null;
            BC.go("/app/login");
          }
          throw apiError(res.status, data);
        }
        return data;
      });
    });
  };
  // A path of the current workspace's API.
  BC.ws = function (path) {
    return "/api/workspaces/" + encodeURIComponent(state.ws) + path;
  };
  // A dashboard address in the current workspace.
  BC.link = function (page, params) {
    var q = params ? query(params) : "";
    return "/app/w/" + encodeURIComponent(state.ws) + "/" + page + (q ? "?" + q : "");
  };
  BC.go = function (url, replace) {
    if (replace) history.replaceState(null, "", url);
    else history.pushState(null, "", url);
    route();
  };
  // A paragraph saying what went wrong, with the request field at fault when the API named it.
  BC.errorBox = function (id, error) {
    var box = h("p", { class: "error", id: id, role: "alert" });
    BC.showError(box, error);
    return box;
  };
  BC.showError = function (box, error) {
    clear(box);
    if (!error) {
      box.hidden = true;
      return;
    }
    box.hidden = false;
    if (error.field !== null && error.field !== undefined) {
      box.appendChild(h("code", { class: "field-name", text: error.field || "(body)" }));
      box.appendChild(document.createTextNode(" "));
    }
    box.appendChild(h("span", { class: "message", text: error.message }));
  };
  // Something to undo when the page changes (a timer, a live stream).
  BC.onLeave = function (fn) {
    state.cleanups.push(fn);
  };
  // Marks the page as loaded (tests wait for it).
  BC.ready = function (name) {
    document.body.setAttribute("data-ready", name);
  };
  function setCsrf(token) {
    state.csrf = token || "";
    try {
      if (token) sessionStorage.setItem("bc.csrf", token);
      else sessionStorage.removeItem("bc.csrf");
    } catch (e) {
      // storage off: kept in memory only
    }
  }

  // ---- sign-in, sign-out, the workspace picker -----------------------------------------
  function loginPage(main) {
    var email = h("input", { id: "email", type: "email", autocomplete: "username", required: true });
    var password = h("input", { id: "password", type: "password", autocomplete: "current-password", required: true });
    var error = BC.errorBox("login-error", null);
    var submit = h("button", { type: "submit", id: "login-submit", text: "Sign in" });
    var form = h("form", {
      id: "login-form",
      class: "card narrow",
      onsubmit: function (e) {
        e.preventDefault();
        submit.disabled = true;
        BC.api("POST", "/api/login", { email: email.value, password: password.value })
          .then(function (body) {
            setCsrf(body.csrf);
            return loadMe();
          })
          .then(function () {
            BC.go("/", true);
          })
          .catch(function (e) {
            submit.disabled = false;
            BC.showError(error, e);
          });
      }
    }, [h("h1", { text: "Sign in" }), field("Email", email), field("Password", password), error, h("div", { class: "actions" }, [submit])]);
    main.appendChild(form);
    email.focus();
    BC.ready("login");
  }
  function loadMe() {
    return BC.api("GET", "/api/me").then(function (me) {
      state.me = me;
      if (me.csrf) setCsrf(me.csrf);
      return me;
    });
  }
  function signOut() {
    BC.api("POST", "/api/logout")
      .catch(function () {
        // the session may be gone already: signed out either way
      })
      .then(function () {
        state.me = null;
        setCsrf("");
        BC.go("/app/login");
      });
  }
  function renderChrome(page) {
    var signedIn = !!state.me;
    document.getElementById("nav").hidden = !signedIn || !state.ws;
    document.getElementById("account").hidden = !signedIn;
    if (!signedIn) return;
    document.getElementById("who").textContent = state.me.user.email;
    var picker = clear(document.getElementById("workspace"));
    state.me.workspaces.forEach(function (w) {
      picker.appendChild(h("option", { value: w.id, selected: w.id === state.ws, text: w.name + " (" + w.role + ")" }));
    });
    Array.prototype.forEach.call(document.querySelectorAll("#nav a"), function (a) {
      var name = a.getAttribute("data-nav");
      a.setAttribute("href", BC.link(name));
      a.className = name === page ? "current" : "";
    });
  }
  BC.role = function () {
    var w = state.me && state.me.workspaces.filter(function (x) { return x.id === state.ws; })[0];
    return w ? w.role : null;
  };

  // ---- the router ----------------------------------------------------------------------
  // Paths: /app/login, /app/w/{ws}/{page}…; "#/w/{ws}/…" works too (a static host).
  var ROUTES = [
    [/^runs\/?$/, "runs"],
    [/^launch$/, "launch"],
    [/^runs\/([^/]+)$/, "run"],
    [/^runs\/([^/]+)\/attempt$/, "attempt"],
    [/^leaderboard$/, "leaderboard"],
    [/^compare$/, "compare"],
    [/^agents$/, "agents"]
  ];
  function currentPath() {
    if (location.hash.indexOf("#/") === 0) return "/app" + location.hash.slice(1).split("?")[0];
    return location.pathname;
  }
  function currentQuery() {
    if (location.hash.indexOf("#/") === 0) {
      var i = location.hash.indexOf("?");
      return new URLSearchParams(i >= 0 ? location.hash.slice(i + 1) : "");
    }
    return new URLSearchParams(location.search);
  }
  BC.params = currentQuery;
  function route() {
    state.cleanups.splice(0).forEach(function (fn) {
      try {
        fn();
      } catch (e) {
        // leaving a page must not fail
      }
    });
    document.body.removeAttribute("data-ready");
    var main = clear(document.getElementById("main"));
    var path = currentPath();
    if (path === "/app/login") {
      state.ws = null;
      document.body.setAttribute("data-page", "login");
      renderChrome("login");
      return loginPage(main);
    }
    if (!state.me) {
      return loadMe().then(route, function (e) {
        if (e.status === 401) return BC.go("/app/login", true);
        main.appendChild(BC.errorBox("page-error", e));
      });
    }
    var m = /^\/app\/w\/([^/]+)\/(.*)$/.exec(path);
    var known = m && state.me.workspaces.some(function (w) { return w.id === decodeURIComponent(m[1]); });
    if (!known) {
      var first = state.me.workspaces[0];
      if (!first) {
        renderChrome("");
        main.appendChild(h("section", null, [h("h1", { text: "No workspace" }), h("p", { text: "Ask a workspace owner to add you." })]));
        return BC.ready("none");
      }
      state.ws = first.id;
      return BC.go(BC.link("runs"), true);
    }
    state.ws = decodeURIComponent(m[1]);
    for (var i = 0; i < ROUTES.length; i++) {
      var found = ROUTES[i][0].exec(m[2]);
      if (found) {
        var name = ROUTES[i][1];
        document.body.setAttribute("data-page", name);
        renderChrome(name);
        var args = found.slice(1).map(decodeURIComponent);
        return BC.pages[name](main, args, currentQuery());
      }
    }
    document.body.setAttribute("data-page", "missing");
    renderChrome("");
    main.appendChild(h("section", null, [h("h1", { text: "No such page" }), h("a", { href: BC.link("runs"), text: "All runs" })]));
    BC.ready("missing");
  }
  BC.route = route;

  document.addEventListener("click", function (e) {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    var a = e.target.closest ? e.target.closest("a[href]") : null;
    if (!a || a.target || a.getAttribute("href").indexOf("/app/") !== 0) return;
    e.preventDefault();
    BC.go(a.getAttribute("href"));
  });
  window.addEventListener("popstate", route);
  document.addEventListener("DOMContentLoaded", function () {
    document.getElementById("sign-out").addEventListener("click", signOut);
    document.getElementById("workspace").addEventListener("change", function (e) {
      state.ws = e.target.value;
      BC.go(BC.link("runs"));
    });
    route();
  });
})();
