// Drives a headless Chromium through a list of steps and reports, as JSON lines on stdout,
// what happened: values asked for, markers, console errors, uncaught exceptions, failed loads
// and dialogs. No dependencies: it speaks the DevTools protocol over Chromium's
// --remote-debugging-pipe (file descriptors 3 and 4), so nothing is downloaded.
//
//   node tests/browser/drive.mjs plan.json
//
// plan.json: {
//   "chromium": "/usr/bin/chromium",            (else $CHROMIUM, else chromium on PATH)
//   "screenshots": "/abs/dir", "width": 1280, "height": 900,
//   "steps": [
//     {"goto": "URL", "wait": "JS expression", "timeout_ms": 20000},
//     {"wait": "JS expression", "timeout_ms": 20000},
//     {"eval": "JS expression", "name": "label"},     -> {"event":"eval","name","value"}
//     {"click": "CSS selector"},
//     {"fill": "CSS selector", "text": "…"},          types into an input or textarea (replacing
//                                                     its text), then leaves it (change fires)
//     {"choose": "CSS selector", "value": "…"},       picks a <select>'s option by value
//     {"emit": "name"},                               -> {"event":"emit","name"}
//     {"screenshot": "name", "full": true},           -> screenshots/name.png
//     {"measure": "name"}                             -> navigation and ready timings
//   ]
// }
// The last line is {"event":"done","problems":[…]}; a step that fails prints
// {"event":"fail",…} and the exit code is 1.

import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const plan = JSON.parse(readFileSync(process.argv[2], "utf8"));
const width = plan.width || 1280;
const height = plan.height || 900;
const problems = [];
let currentUrl = "";

function out(event) {
  process.stdout.write(JSON.stringify(event) + "\n");
}

const profile = mkdtempSync(join(tmpdir(), "benchcore-chromium-"));
const chromium = plan.chromium || process.env.CHROMIUM || "chromium";
const browser = spawn(
  chromium,
  [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-dev-shm-usage",
    "--disable-extensions",
    "--disable-component-update",
    "--no-first-run",
    "--no-default-browser-check",
    "--hide-scrollbars",
    "--mute-audio",
    "--remote-debugging-pipe",
    `--user-data-dir=${profile}`,
    `--window-size=${width},${height}`,
    "about:blank",
  ],
  { stdio: ["ignore", "ignore", "pipe", "pipe", "pipe"] },
);
let stderr = "";
browser.stdio[2].on("data", (d) => {
  stderr = (stderr + d.toString()).slice(-4000);
});

let nextId = 1;
const pending = new Map();
const listeners = new Set();
let buffer = "";
browser.stdio[4].on("data", (chunk) => {
  buffer += chunk.toString("utf8");
  let end;
  while ((end = buffer.indexOf("\0")) >= 0) {
    const message = JSON.parse(buffer.slice(0, end));
    buffer = buffer.slice(end + 1);
    if (message.id && pending.has(message.id)) {
      const { resolve, reject } = pending.get(message.id);
      pending.delete(message.id);
      if (message.error) reject(new Error(`${message.error.message} (${message.error.code})`));
      else resolve(message.result);
    } else if (message.method) {
      for (const listener of listeners) listener(message);
    }
  }
});

function send(method, params = {}, sessionId) {
  const id = nextId++;
  const message = { id, method, params };
  if (sessionId) message.sessionId = sessionId;
  browser.stdio[3].write(JSON.stringify(message) + "\0");
  return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
}

function waitForEvent(method, sessionId, timeoutMs) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      listeners.delete(listener);
      reject(new Error(`no ${method} within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (m) => {
      if (m.method === method && m.sessionId === sessionId) {
        clearTimeout(timer);
        listeners.delete(listener);
        resolve(m.params);
      }
    };
    listeners.add(listener);
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function evaluate(session, expression) {
  const result = await send(
    "Runtime.evaluate",
    { expression, returnByValue: true, awaitPromise: true },
    session,
  );
  if (result.exceptionDetails) {
    const e = result.exceptionDetails;
    throw new Error(`${expression}: ${(e.exception && e.exception.description) || e.text}`);
  }
  return result.result.value;
}

async function waitFor(session, expression, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await evaluate(session, `(function(){ try { return !!(${expression}); } catch (e) { return false; } })()`);
      if (last) return;
    } catch (e) {
      last = String(e);
    }
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for: ${expression}`);
    await sleep(50);
  }
}

async function main() {
  const { targetId } = await send("Target.createTarget", { url: "about:blank" });
  const { sessionId: s } = await send("Target.attachToTarget", { targetId, flatten: true });
  listeners.add((m) => {
    if (m.sessionId !== s) return;
    const p = m.params;
    if (m.method === "Runtime.consoleAPICalled" && (p.type === "error" || p.type === "assert")) {
      const text = p.args.map((a) => a.value ?? a.description ?? "").join(" ");
      problems.push({ kind: "console." + p.type, url: currentUrl, text });
    } else if (m.method === "Runtime.exceptionThrown") {
      const d = p.exceptionDetails;
      problems.push({ kind: "exception", url: currentUrl, text: (d.exception && d.exception.description) || d.text });
    } else if (m.method === "Log.entryAdded" && p.entry.level === "error") {
      problems.push({ kind: "log." + p.entry.source, url: currentUrl, text: `${p.entry.text} ${p.entry.url || ""}`.trim() });
    } else if (m.method === "Page.javascriptDialogOpening") {
      problems.push({ kind: "dialog." + p.type, url: currentUrl, text: p.message });
      send("Page.handleJavaScriptDialog", { accept: false }, s).catch(() => {});
    }
  });
  await send("Page.enable", {}, s);
  await send("Runtime.enable", {}, s);
  await send("Log.enable", {}, s);
  await send("Emulation.setDeviceMetricsOverride", { width, height, deviceScaleFactor: 1, mobile: false }, s);

  for (const step of plan.steps) {
    const timeout = step.timeout_ms || 20000;
    if (step.goto) {
      currentUrl = step.goto;
      const loaded = waitForEvent("Page.loadEventFired", s, timeout);
      const nav = await send("Page.navigate", { url: step.goto }, s);
      if (nav.errorText) throw new Error(`cannot load ${step.goto}: ${nav.errorText}`);
      if (nav.loaderId) await loaded;
      else loaded.catch(() => {});
      if (step.wait) await waitFor(s, step.wait, timeout);
      out({ event: "loaded", url: step.goto });
    } else if (step.wait) {
      await waitFor(s, step.wait, timeout);
    } else if (step.eval) {
      out({ event: "eval", name: step.name || step.eval, value: await evaluate(s, step.eval) });
    } else if (step.click) {
      const sel = JSON.stringify(step.click);
      const clicked = await evaluate(s, `(function(){ var el = document.querySelector(${sel}); if (!el) return false; el.click(); return true; })()`);
      if (!clicked) throw new Error(`nothing to click at ${step.click}`);
    } else if (step.fill) {
      const sel = JSON.stringify(step.fill);
      const found = await evaluate(s, `(function(){ var el = document.querySelector(${sel}); if (!el) return false; el.value = ""; el.focus(); return true; })()`);
      if (!found) throw new Error(`nothing to fill at ${step.fill}`);
      // Typed as a keyboard would (input events), then the element is left.
      if (step.text) await send("Input.insertText", { text: step.text }, s);
      await evaluate(s, `document.querySelector(${sel}).blur()`);
    } else if (step.choose) {
      const sel = JSON.stringify(step.choose);
      const value = JSON.stringify(step.value);
      const chosen = await evaluate(
        s,
        `(function(){ var el = document.querySelector(${sel}); if (!el || !Array.prototype.some.call(el.options, function (o) { return o.value === ${value}; })) return false;
          el.value = ${value}; el.dispatchEvent(new Event("input", { bubbles: true })); el.dispatchEvent(new Event("change", { bubbles: true })); return true; })()`,
      );
      if (!chosen) throw new Error(`no option ${step.value} at ${step.choose}`);
    } else if (step.emit) {
      out({ event: "emit", name: step.emit });
    } else if (step.screenshot) {
      let params = { format: "png" };
      if (step.full) {
        const metrics = await send("Page.getLayoutMetrics", {}, s);
        const h = Math.min(Math.ceil(metrics.cssContentSize.height), 8000);
        params = { format: "png", captureBeyondViewport: true, clip: { x: 0, y: 0, width, height: h, scale: 1 } };
      }
      const shot = await send("Page.captureScreenshot", params, s);
      mkdirSync(plan.screenshots, { recursive: true });
      const file = join(plan.screenshots, step.screenshot + ".png");
      writeFileSync(file, Buffer.from(shot.data, "base64"));
      out({ event: "screenshot", name: step.screenshot, file });
    } else if (step.measure) {
      const value = await evaluate(
        s,
        `(function(){ var n = performance.getEntriesByType("navigation")[0]; var r = performance.getEntriesByName("benchcore-ready")[0];
          return { dom_content_loaded_ms: n ? n.domContentLoadedEventEnd : null, load_ms: n ? n.loadEventEnd : null,
                   ready_ms: r ? r.startTime : null, transfer_bytes: n ? n.transferSize : null, dom_nodes: document.getElementsByTagName("*").length }; })()`,
      );
      out({ event: "measure", name: step.measure, value });
    } else {
      throw new Error(`unknown step ${JSON.stringify(step)}`);
    }
  }
  // Let late errors (a failed fetch, a live stream) arrive before reporting.
  await sleep(300);
}

const overall = setTimeout(() => {
  out({ event: "fail", message: "the whole drive took over 5 minutes" });
  finish(1);
}, 300000);

let finished = false;
async function finish(code) {
  if (finished) return;
  finished = true;
  clearTimeout(overall);
  out({ event: "done", problems });
  try {
    await Promise.race([send("Browser.close"), sleep(2000)]);
  } catch (e) {
    // already gone
  }
  browser.kill("SIGKILL");
  try {
    rmSync(profile, { recursive: true, force: true });
  } catch (e) {
    // best effort
  }
  process.exit(code);
}

browser.on("error", (e) => {
  out({ event: "fail", message: `cannot start ${chromium}: ${e.message}` });
  finish(1);
});
browser.on("exit", (code) => {
  if (!finished) {
    out({ event: "fail", message: `chromium exited (${code}): ${stderr}` });
    finish(1);
  }
});

main().then(
  () => finish(0),
  (e) => {
    out({ event: "fail", message: String(e && e.stack ? e.stack : e), url: currentUrl });
    finish(1);
  },
);
