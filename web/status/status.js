// The status page's script: reads the host's snapshot from /events
// (server-sent events) and draws it with DOM calls (text only, never HTML
// from the host). Served by the host as it is: no build step.
"use strict";

/** States shown as trouble (marked with a sign, not only a colour). */
const BAD = new Set(["failed", "backoff", "stopped", "closed", "stuck"]);

let last = null;
let skew = 0;
let source = null;

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (key === "class") node.className = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(typeof child === "string" ? child : child);
  }
  return node;
}

function ago(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d${Math.floor((s % 86400) / 3600)}h`;
}

const now = () => Date.now() + skew;
const since = (at) => at === null || at === undefined ? "–" : `${ago(now() - at)} ago`;
const until = (iso) => {
  if (!iso) return "–";
  const ms = Date.parse(iso) - now();
  return ms <= 0 ? "due" : `in ${ago(ms)}`;
};
const mib = (bytes) => `${(bytes / 1048576).toFixed(1)} MiB`;
const num = (value) => value === null || value === undefined ? "–" : String(value);

function state(text) {
  return el("span", { class: BAD.has(text) ? "bad" : "" }, text);
}

function table(headers, rows, label) {
  const head = el("tr", {}, ...headers.map(([text, cls]) => el("th", { class: cls ?? "" }, text)));
  const body = rows.map((cells) =>
    el(
      "tr",
      {},
      ...cells.map((cell, i) =>
        el(
          "td",
          { class: headers[i][1] ?? "" },
          typeof cell === "string" || typeof cell === "number" ? String(cell) : cell,
        )
      ),
    )
  );
  return el(
    "div",
    { class: "scroll" },
    el("table", { "aria-label": label }, el("thead", {}, head), el("tbody", {}, ...body)),
  );
}

function heap(worker, capMiB) {
  const used = worker.heap_used === null ? "–" : mib(worker.heap_used);
  return capMiB > 0 ? `${used} / ${capMiB} MiB` : `${used} (no cap)`;
}

function workerRows(workers, capMiB) {
  return workers.map((w) => [
    String(w.index),
    state(w.state),
    ago(now() - w.started),
    String(w.restarts),
    w.last_error
      ? el("span", { class: "error" }, `${w.last_error.message} (${since(w.last_error.at)})`)
      : "–",
    heap(w, capMiB),
  ]);
}

const WORKER_HEADERS = [
  ["worker"],
  ["state"],
  ["uptime", "num"],
  ["restarts", "num"],
  ["last error"],
  ["heap / cap", "num"],
];

function drawHost(host, connections, stuck) {
  const pairs = [
    ["host", `${host.name} ${host.version}`],
    ["script version", String(host.script_version)],
    ["uptime", ago(now() - host.started_at)],
    ["health", el("span", { class: host.healthy ? "good" : "bad" }, host.health)],
    ["RPC connections", String(connections.rpc_stream)],
    ["live views", String(connections.status_streams)],
  ];
  if (stuck.length) pairs.push(["stuck workers", el("span", { class: "bad" }, stuck.join(", "))]);
  if (!host.counting) pairs.push(["counters", "off (--stats off)"]);
  document.getElementById("host").replaceChildren(
    ...pairs.map(([k, v]) => el("div", {}, el("dt", {}, k), el("dd", {}, v))),
  );
}

function drawTasks(tasks) {
  const parts = tasks.length ? [] : [el("p", { class: "muted" }, "No exec tasks.")];
  for (const task of tasks) {
    const facts = [
      `restart ${task.restart}`,
      `${task.isolation}`,
      task.heap_cap_mib > 0 ? `heap cap ${task.heap_cap_mib} MiB` : "no heap cap",
    ];
    parts.push(
      el("h3", { "data-task": task.name }, `${task.name} — `, state(task.state)),
      el("p", { class: "muted" }, facts.join(" · ")),
    );
    const s = task.schedule;
    if (s) {
      parts.push(table(
        [["schedule"], ["next fire"], ["last fire"], ["last took", "num"], ["runs", "num"], [
          "errors",
          "num",
        ], ["skipped", "num"]],
        [[
          `${s.schedule} (overlap ${s.overlap})`,
          until(s.next_run),
          s.last_run ? since(Date.parse(s.last_run)) : "–",
          s.last_duration_ms === null ? "–" : `${s.last_duration_ms} ms`,
          String(s.runs),
          String(s.errors),
          String(s.skipped),
        ]],
        `schedule of ${task.name}`,
      ));
    }
    parts.push(table(WORKER_HEADERS, workerRows(task.workers, task.heap_cap_mib), task.name));
  }
  document.getElementById("tasks").replaceChildren(...parts);
}

function drawPool(pool) {
  const facts = [
    ["queued", String(pool.queued)],
    ["in flight", String(pool.running)],
    ["state", state(pool.closed ? "closed" : pool.stuck_workers.length ? "stuck" : "serving")],
  ];
  if (pool.stuck_workers.length) facts.push(["stuck workers", pool.stuck_workers.join(", ")]);
  if (pool.refused_functions.length) {
    facts.push(["stuck functions (refused)", pool.refused_functions.join(", ")]);
  }
  if (pool.held_functions.length) facts.push(["held back", pool.held_functions.join(", ")]);
  if (pool.unknown_function_calls) {
    facts.push(["calls to no exported function", String(pool.unknown_function_calls)]);
  }
  const functions = pool.functions.length
    ? table(
      [
        ["function"],
        ["calls (1 min)", "num"],
        ["p50 (1 min)", "num"],
        ["p99 (1 min)", "num"],
        [
          "calls",
          "num",
        ],
        ["errors", "num"],
        ["timeouts", "num"],
      ],
      pool.functions.map((f) => [
        f.name,
        String(f.calls),
        f.p50_ms === null ? "–" : `${f.p50_ms} ms`,
        f.p99_ms === null ? "–" : `${f.p99_ms} ms`,
        String(f.calls_total),
        String(f.errors_total),
        String(f.timeouts_total),
      ]),
      "functions called over RPC",
    )
    : el("p", { class: "muted" }, "No function called over RPC yet.");
  document.getElementById("pool").replaceChildren(
    el("dl", {}, ...facts.map(([k, v]) => el("div", {}, el("dt", {}, k), el("dd", {}, v)))),
    el("h3", {}, "Functions"),
    functions,
    el("h3", {}, "Workers"),
    table(WORKER_HEADERS, workerRows(pool.workers, pool.heap_cap_mib), "RPC pool workers"),
  );
}

function drawEvents(events) {
  document.getElementById("events").replaceChildren(
    events.length
      ? table(
        [["when"], ["what"], ["worker"], ["message"]],
        [...events].reverse().map((e) => [
          since(e.at),
          state(e.kind === "failure" ? "failed" : e.kind),
          e.index < 0 ? e.task : `${e.role === "rpc" ? "rpc pool" : e.task} #${e.index}`,
          e.message ? el("span", { class: "error" }, e.message) : "–",
        ]),
        "recent restarts and failures",
      )
      : el("p", { class: "muted" }, "None since the start."),
  );
}

function drawReloads(reloads) {
  document.getElementById("reloads").replaceChildren(
    reloads.length
      ? table(
        [["when"], ["outcome"], ["script version", "num"], ["took", "num"], ["why refused"]],
        [...reloads].reverse().map((r) => [
          since(r.at),
          state(r.ok ? "applied" : "failed"),
          num(r.version),
          `${r.ms} ms`,
          r.error ? el("span", { class: "error" }, r.error) : "–",
        ]),
        "reloads",
      )
      : el("p", { class: "muted" }, "No reload since the start."),
  );
}

function drawFleet(fleet) {
  const section = document.getElementById("fleet-section");
  section.hidden = fleet === null || fleet === undefined;
  if (!section.hidden) {
    document.getElementById("fleet").replaceChildren(
      el("pre", {}, JSON.stringify(fleet, null, 2)),
    );
  }
}

function draw() {
  if (last === null) return;
  drawHost(last.host, last.connections, last.stuck);
  drawTasks(last.tasks);
  drawPool(last.pool);
  drawEvents(last.events);
  drawReloads(last.reloads);
  drawFleet(last.fleet);
}

function link(text, bad) {
  const node = document.getElementById("link");
  node.textContent = text;
  node.className = bad ? "bad" : "muted";
}

function connect() {
  source = new EventSource("/events");
  source.onopen = () => link("live", false);
  source.onmessage = (event) => {
    last = JSON.parse(event.data);
    skew = last.host.now - Date.now();
    link(`live · updated ${new Date(last.host.now).toLocaleTimeString()}`, false);
    draw();
  };
  source.onerror = () => {
    link("disconnected: reconnecting…", true);
    if (source.readyState === EventSource.CLOSED) setTimeout(connect, 2000);
  };
}

connect();
setInterval(draw, 1000);
