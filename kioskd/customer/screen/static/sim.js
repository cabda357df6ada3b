// Simulation page: insert notes into the emulated validator and toggle faults.
"use strict";

const DEFAULT_NOTES = [100, 500, 1000, 2000, 5000, 10000];
let notes = [];
let lastReceipt = "";

function yuan(fen) {
  const cents = fen % 100;
  return `¥${(fen - cents) / 100}.${String(cents).padStart(2, "0")}`;
}

async function post(path, body) {
  const resp = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body) });
  document.querySelector("[data-testid=sim-error]").textContent =
    resp.ok ? "" : `${path}: ${resp.status} ${await resp.text()}`;
}

function noteButtons(values) {
  if (values.join() === notes.join()) return;
  notes = values;
  document.querySelector("[data-testid=sim-notes]").replaceChildren(...values.map((v) => {
    const b = document.createElement("button");
    b.dataset.insert = String(v);
    b.textContent = yuan(v);
    b.addEventListener("click", () => post("/sim/insert", { value: v }));
    return b;
  }));
}

function faultButtons(faults) {
  document.querySelector("[data-testid=sim-faults]").replaceChildren(...Object.entries(faults).map(([name, on]) => {
    const b = document.createElement("button");
    b.dataset.fault = name;
    b.className = on ? "on" : "";
    b.textContent = `${name}: ${on ? "ON" : "off"}`;
    b.addEventListener("click", () => post("/sim/fault", { name, on: !on }).then(refresh));
    return b;
  }));
}

async function refresh() {
  const resp = await fetch("/sim/state");
  if (!resp.ok) return;
  const state = await resp.json();
  faultButtons(state.faults);
  const text = state.receipt ? state.receipt.join("\n") : "(none)";
  document.querySelector("[data-testid=sim-receipt]").textContent = text;
  const img = document.querySelector("[data-testid=sim-receipt-png]");
  img.hidden = !state.receipt_png;
  if (state.receipt_png && text !== lastReceipt) img.src = `/sim/receipt.png?t=${Date.now()}`;
  lastReceipt = text;
}

function watch() {
  const key = encodeURIComponent(new URLSearchParams(location.search).get("k") || "");
  const ws = new WebSocket(`ws://${location.host}/ws?k=${key}`);
  ws.onmessage = (ev) => {
    const msg = JSON.parse(ev.data);
    if (msg.type !== "snapshot") return;
    const s = msg.snapshot;
    document.querySelector("[data-testid=sim-state]").textContent = s.state;
    document.querySelector("[data-testid=sim-total]").textContent = yuan(s.total || 0);
    noteButtons(s.denominations && s.denominations.length ? s.denominations : DEFAULT_NOTES);
  };
  ws.onclose = () => setTimeout(watch, 1000);
}

noteButtons(DEFAULT_NOTES);
refresh();
setInterval(refresh, 1000);
watch();
