// Staff page core: log-in per person, the tabs, the JSON API and the shared helpers.
// Each tab is a file that calls registerTab({id, label, action, render, refresh}); `action` is the
// role action that shows it (kioskd/hall/accounts.py ACTIONS; null: everyone logged in). Cases and
// registers add their tab the same way, and their API routes in kioskd/hall/page/routes.py.
"use strict";

const REFRESH_MS = 3000;
const TABS = [];
let lang = localStorage.getItem("staff-lang") === "en" ? "en" : "zh-CN";
let last = null; // the latest /api/status: {status, alerts, me, may}
let current = null; // the tab shown

const $ = (id) => document.getElementById(id);
const byTest = (name) => document.querySelector(`[data-testid="${name}"]`);

function t(key, ...args) {
  const value = TEXT[lang][key] ?? TEXT["zh-CN"][key];
  return typeof value === "function" ? value(...args) : value;
}

// Builds an element; text goes in with textContent so data from the kiosk never becomes markup.
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

// The daemon sends the words with the codes (kioskd/hall/words.py): `${name}_zh`, `${name}_en`.
function words(item, name) {
  return lang === "en" ? item[`${name}_en`] : item[`${name}_zh`];
}

// A backend refusal in words; the code too when the words are only the generic phrase (for a support call).
function reasonWords(item) {
  return item.reason_known === false ? `${words(item, "reason")} ${t("code", item.reason)}` : words(item, "reason");
}

function money(fen, currency = "CNY") {
  // integer fen to "¥1,234.50" without floating point
  if (!Number.isSafeInteger(fen)) return "—";
  const sign = fen < 0 ? "-" : "";
  const abs = Math.abs(fen);
  const whole = Math.floor(abs / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const symbol = currency === "CNY" ? "¥" : `${currency} `;
  return `${sign}${symbol}${whole}.${String(abs % 100).padStart(2, "0")}`;
}

// Times are shown as the kiosk's clock reads them (its time zone), whatever the phone's; before
// log-in the page has no status yet, and the answer that needs a time names the zone (`tz`).
function zone(tz) {
  const kiosk = tz || (last && last.status.tz);
  return kiosk ? { timeZone: kiosk } : {};
}

// A moment as the kiosk's clock reads it, 2026-12-03 23:30:20 in both languages: the form the daemon's
// own words (an alert's reason: kioskd/hall/words.py), kioskctl and the printouts use, not the browser
// locale's (2026/12/3 in zh-CN, the month first in en).
function when(iso) {
  if (!iso) return t("never");
  const d = new Date(iso);
  if (isNaN(d)) return iso;
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-CA", { year: "numeric", month: "2-digit",
    day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23", ...zone() })
    .formatToParts(d).map((part) => [part.type, part.value]));
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`;
}

function clock(iso, tz) {
  const d = new Date(iso);
  return isNaN(d) ? iso : d.toLocaleTimeString(lang, { hour12: false, hour: "2-digit", minute: "2-digit", ...zone(tz) });
}

// When a lock-out ends (in the kiosk's zone `tz`): the time alone today, with the date (2026-12-04 10:15) on another day.
function lockEnd(iso, tz) {
  const d = new Date(iso);
  if (isNaN(d)) return iso;
  const day = (x) => x.toLocaleDateString("en-CA", { year: "numeric", month: "2-digit", day: "2-digit", ...zone(tz) });
  return day(d) === day(new Date()) ? clock(iso, tz) : `${day(d)} ${clock(iso, tz)}`;
}

// Dates and times typed as the kiosk's clock reads them, the same in both languages (2026-12-03, 09:30).
// Not the browser's own date and time fields: they take the phone's locale (mm/dd/yyyy, AM/PM) whatever
// the page's language. Digits alone do on a phone's number pad: 20261203, 930.
function dayInput(attrs) {
  return h("input", { class: "day", ...attrs, type: "text", inputmode: "numeric", autocomplete: "off", maxlength: 10,
    placeholder: t("day_hint"), onchange: (e) => { e.target.value = normalDay(e.target.value); attrs.onchange?.(e); } });
}

function timeInput(attrs) {
  return h("input", { class: "time", ...attrs, type: "text", inputmode: "numeric", autocomplete: "off", maxlength: 5,
    placeholder: t("time_hint"), onchange: (e) => { e.target.value = normalTime(e.target.value); } });
}

// "20261203", "2026/12/3", "2026.12.3" -> "2026-12-03"; anything else as typed (refused where it is used)
function normalDay(text) {
  const s = text.trim();
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(s) || /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$/.exec(s);
  return m ? `${m[1]}-${m[2].padStart(2, "0")}-${m[3].padStart(2, "0")}` : s;
}

// "930", "0930", "9:30", "9" -> "09:30", "09:00"; anything else as typed
function normalTime(text) {
  const s = text.trim();
  const m = /^(\d{1,2})(?::?(\d{2}))?$/.exec(s);
  return m && Number(m[1]) < 24 && Number(m[2] || 0) < 60 ? `${m[1].padStart(2, "0")}:${m[2] || "00"}` : s;
}

function may(action) {
  return Boolean(last && last.may.includes(action));
}

// One message line above the panels: an error (role="alert") or what was done.
function say(text, kind = "done") {
  for (const name of ["error", "done"]) {
    const el = byTest(name);
    el.hidden = name !== kind || !text;
    if (name === kind) {
      el.textContent = text || "";
      el.dataset.kind = "";
    }
  }
}

// The JSON API: {ok, status, body}; a 401 sends the person back to the log-in.
async function api(method, path, body) {
  const init = { method, cache: "no-store" };
  if (body !== undefined) {
    init.headers = { "Content-Type": "application/json" };
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    return { ok: false, status: 0, body: { error: t("offline") } };
  }
  const data = await response.json().catch(() => ({}));
  if (response.status === 401 && path.startsWith("/api/")) showLogin();
  return { ok: response.ok, status: response.status, body: data };
}

// A refused or failed action: what the role may not do and who may, or the kiosk's own reason.
function sayRefusal(answer) {
  const b = answer.body;
  if (answer.status === 403 && b.action) {
    const roles = (b.roles || []).map((r) => t("roles")[r] || r).join(t("or"));
    say(t("forbidden") + (t("actions")[b.action] || b.action) + (roles ? t("needs", roles) : ""), "error");
    return;
  }
  const error = (lang === "zh-CN" && b.error_zh) || b.error; // the kiosk's own words, in Chinese when it has them
  say((answer.status === 403 ? t("forbidden") : t("failed")) + (error || answer.status), "error");
}

function registerTab(tab) {
  TABS.push(tab);
}

function visibleTabs() {
  return TABS.filter((tab) => !tab.action || may(tab.action));
}

function renderTabs() {
  byTest("tabs").replaceChildren(...visibleTabs().map((tab) => h("button", {
    type: "button", "data-testid": `tab-${tab.id}`, class: tab === current ? "now" : null,
    onclick: () => showTab(tab.id),
  }, t(tab.label))));
}

// `how` goes to the tab's render: where in it to open (the registers tab: a section)
function showTab(id, ...how) {
  const tab = visibleTabs().find((x) => x.id === id) || visibleTabs()[0];
  if (!tab) return;
  current = tab;
  say("");
  for (const panel of $("panels").children) panel.hidden = panel.dataset.tab !== tab.id;
  let panel = $("panels").querySelector(`[data-tab="${tab.id}"]`);
  if (!panel) {
    panel = h("section", { class: "panel", "data-tab": tab.id, "data-testid": `panel-${tab.id}` });
    $("panels").append(panel);
  }
  tab.render(panel, ...how);
  renderTabs();
}

function showView(view) {
  document.body.dataset.view = view;
  $("login").hidden = view !== "login";
  $("dash").hidden = view !== "dash";
  $("logout").hidden = view !== "dash";
  byTest("me").hidden = view !== "dash";
}

function showLogin() {
  last = null;
  showView("login");
}

function translateStatic() {
  document.documentElement.lang = lang;
  document.body.dataset.lang = lang;
  document.querySelectorAll("[data-t]").forEach((el) => { el.textContent = t(el.dataset.t); });
  document.title = lang === "en" ? "Staff · kiosk" : "工作人员 · 终端";
}

async function refresh() {
  const answer = await api("GET", "/api/status");
  if (answer.status === 401) return;
  if (!answer.ok) {
    if (last) say(t("offline"), "error");
    byTest("error").dataset.kind = "offline";
    return;
  }
  if (byTest("error").dataset.kind === "offline") say(""); // back online
  const first = last === null;
  last = answer.body;
  byTest("kiosk").textContent = last.status.kiosk;
  byTest("me").textContent = `${last.me.label} · ${t("roles")[last.me.role] ?? last.me.role}`;
  byTest("me").dataset.role = last.me.role;
  byTest("updated").textContent = when(new Date().toISOString());
  showView("dash");
  if (first) showTab(current ? current.id : "status");
  else if (current && current.refresh) current.refresh();
}

async function login(event) {
  event.preventDefault();
  const form = event.target;
  const response = await fetch("/login", { method: "POST", body: new URLSearchParams(new FormData(form)) });
  form.reset();
  const body = await response.json().catch(() => ({}));
  if (response.ok) {
    byTest("login-error").hidden = true;
    current = null;
    await refresh();
    return;
  }
  const says = t("login_errors")[body.error];
  const el = byTest("login-error");
  el.textContent = response.status === 429 ? t("too_many", body.retry_after || 60) : says ? says(body) : body.error;
  el.hidden = false;
}

async function logout() {
  await fetch("/logout", { method: "POST" });
  current = null;
  $("panels").replaceChildren();
  showLogin();
}

function switchLanguage() {
  lang = lang === "en" ? "zh-CN" : "en";
  localStorage.setItem("staff-lang", lang);
  translateStatic();
  if (last) {
    byTest("me").textContent = `${last.me.label} · ${t("roles")[last.me.role] ?? last.me.role}`;
    $("panels").replaceChildren();
    showTab(current ? current.id : "status");
  }
}

function startPage() {
  translateStatic();
  $("login-form").addEventListener("submit", login);
  $("token-form").addEventListener("submit", login);
  $("logout").addEventListener("click", logout);
  $("lang").addEventListener("click", switchLanguage);
  refresh();
  setInterval(refresh, REFRESH_MS);
}
