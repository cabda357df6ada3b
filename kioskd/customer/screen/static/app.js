// Customer screen: renders the machine's snapshot; sends keys and nothing else.
// Money arrives in fen (integers) and is formatted with integer arithmetic only.
"use strict";

let snapshot = null;
let locale = "zh-CN";
let skewMs = 0; // server clock minus page clock, from each message's `now`
let socket = null;
let retryMs = 500;
// the per-boot secret in this page's URL: the daemon takes keys only from the kiosk's own browser
const SCREEN_KEY = encodeURIComponent(new URLSearchParams(location.search).get("k") || "");
let shownNotes = 0;

// ¥ with two decimals and thousands separators, from an integer number of fen.
function yuan(fen) {
  if (!Number.isSafeInteger(fen)) return "—";
  const sign = fen < 0 ? "-" : "";
  const abs = Math.abs(fen);
  const cents = abs % 100;
  const whole = String((abs - cents) / 100).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${sign}¥${whole}.${String(cents).padStart(2, "0")}`;
}

function t(key, ...args) {
  const value = TEXT[locale][key] ?? TEXT["zh-CN"][key];
  return typeof value === "function" ? value(...args) : value;
}

function reasonText(table, reason, fallback) {
  return (reason && TEXT[locale][table][reason]) || t(fallback);
}

// Builds an element; text goes in with textContent so backend data can never become markup.
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value !== null && value !== undefined) el.setAttribute(name, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

function render() {
  const screen = document.getElementById("screen");
  const s = snapshot || { state: "starting" };
  locale = TEXT[s.locale] ? s.locale : "zh-CN";
  document.documentElement.lang = locale;
  screen.dataset.state = s.state;
  screen.dataset.locale = locale;
  if (!s.state.startsWith("payment_cash")) shownNotes = 0;
  document.querySelector("[data-testid=brand]").textContent = t("brand");
  document.documentElement.classList.toggle("large", Boolean(s.large_text));
  document.getElementById("view").replaceChildren(...viewFor(s.state)(s).filter(Boolean));
  for (const button of document.querySelectorAll(".softkeys button[data-key]")) {
    const applies = SOFT_KEYS[button.dataset.key];
    button.hidden = !(applies && applies(s));
  }
  const label = document.querySelector("[data-testid=softkeys-label]");
  label.textContent = softKeysLabel(s);
  label.hidden = !label.textContent;
  const msg = document.querySelector("[data-testid=message]");
  const text = messageText(s);
  msg.hidden = !text;
  msg.textContent = text || "";
  document.querySelector("[data-testid=notices]").replaceChildren(
    ...(s.notices || []).map((n) => h("li", { "data-notice": n }, TEXT[locale].notice[n] || n)));
  const large = document.querySelector('button[data-key="large_text"]');
  large.dataset.label = s.large_text ? "key_normal_text" : "key_large_text";
  for (const el of document.querySelectorAll("[data-label]")) el.textContent = t(el.dataset.label);
  renderContact(s);
  tick();
  fit();
}

// More to say than room (large text, a long reason, every line of a result at once): the screen
// is drawn a step smaller until every line shows whole, so nothing is cut off or drawn over.
const FIT_STEPS = [1, 0.94, 0.88, 0.82, 0.76, 0.7, 0.65];

function fit() {
  const main = document.getElementById("screen");
  const view = document.getElementById("view");
  for (const zoom of FIT_STEPS) {
    main.style.zoom = zoom === 1 ? "" : String(zoom);
    main.dataset.fit = String(zoom);
    if (view.scrollHeight <= view.clientHeight && main.scrollHeight <= main.clientHeight) return;
  }
}

// The hall and its hotline, where a customer may need someone: idle, help, result, out of service.
const CONTACT_STATES = ["service_idle", "payment_receipt", "payment_done", "payment_help", "unavailable",
  "service_reprint_done"];

function renderContact(s) {
  const el = document.querySelector("[data-testid=contact]");
  const site = s.site || {};
  const hall = locale === "en" ? site.hall_en || site.hall : site.hall;
  const parts = [hall, site.hotline && t("hotline", site.hotline)].filter(Boolean);
  el.hidden = !(parts.length && CONTACT_STATES.includes(s.state));
  el.textContent = parts.join(" · ");
}

// The countdown is recomputed from the deadline, so it stays right after a missed frame.
function tick() {
  const el = document.querySelector("[data-testid=countdown]");
  const deadline = snapshot && snapshot.deadline;
  if (!deadline) { el.hidden = true; return; }
  const left = Math.max(0, Math.ceil((deadline - (Date.now() + skewMs)) / 1000));
  el.hidden = false;
  el.dataset.seconds = String(left);
  el.textContent = t("countdown", left);
  el.classList.toggle("urgent", left <= 10);
}

function sendKey(key) {
  if (socket && socket.readyState === WebSocket.OPEN) {
    socket.send(JSON.stringify({ key }));
    return;
  }
  fetch(`/key?k=${SCREEN_KEY}`, { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ key }) }).catch(() => {});
}

function connect() {
  const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws?k=${SCREEN_KEY}`;
  socket = new WebSocket(url);
  socket.onopen = () => { retryMs = 500; document.querySelector(".overlay").hidden = true; };
  socket.onmessage = (ev) => {
    const msg = JSON.parse(ev.data);
    if (msg.type !== "snapshot") return;
    skewMs = msg.now - Date.now();
    snapshot = msg.snapshot;
    render();
  };
  socket.onclose = () => {
    // The daemon restarted or the link dropped: say so rather than show stale state.
    document.querySelector(".overlay").hidden = false;
    setTimeout(connect, retryMs);
    retryMs = Math.min(retryMs * 2, 5000);
  };
}

// Every key button (keypad and soft keys) sends its key.
document.addEventListener("click", (ev) => {
  const button = ev.target.closest("button[data-key]");
  if (button) sendKey(button.dataset.key);
});
// Touching the attract screen starts a payment, like the confirm key.
document.getElementById("screen").addEventListener("click", (ev) => {
  if (ev.target.closest("button")) return; // a soft key sends its own key
  if (snapshot && snapshot.state === "service_idle") sendKey("confirm");
});

render();
window.addEventListener("resize", fit);
setInterval(tick, 250);
connect();
