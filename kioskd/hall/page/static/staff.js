// Staff page: each person logs in with their staff ID and PIN or password, then sees status and
// alerts (refreshed) and acts as themselves; what their role may not do the kiosk refuses.
"use strict";

const REFRESH_MS = 3000;
const TEXT = {
  "zh-CN": {
    title: "终端工作人员页面", other_lang: "English", logout: "退出登录", token: "应急口令",
    login: "登录", staff_id: "工号", secret: "密码",
    emergency: "安装维护人员应急登录", emergency_note: "应急口令的每次使用都会记录并告警。",
    roles: { hall: "大厅工作人员", manager: "经理", technician: "技术员", installer: "安装维护人员（应急）" },
    login_errors: {
      unknown: () => "工号或密码错误",
      bad_secret: (b) => `工号或密码错误，还可再试 ${b.tries_left} 次`,
      locked: (b) => `该工号已锁定，请于 ${clock(b.locked_until)} 后再试`,
      disabled: () => "该工号已停用",
      missing: () => "请输入工号和密码",
    },
    clear: "解除", forbidden: "无权操作：", clear_failed: "解除失败：", status: "终端状态", state: "状态",
    devices: "设备", box: "钱箱", outbox: "待发送", backend: "后台最近联系", alerts: "告警", alert: "告警",
    severity: "级别", since: "发生时间", alert_state: "处理状态", no_alerts: "无告警",
    updated: "更新于", ack: "确认", never: "从未",
    device_names: { validator: "识币器", printer: "打印机", door: "机门" },
    device_states: { online: "在线", open: "打开", closed: "关闭", unreadable: "无法读取" },
    notes: (n, total) => `${n} 张，共 ${total}`,
    items: (n) => `${n} 条`,
    bad_token: "口令错误", too_many: (s) => `错误次数过多，请 ${s} 秒后再试`,
    offline: "无法连接终端，稍后自动重试", ack_failed: "确认失败：",
    acked_by: (by) => `已确认（${by}）`,
    severities: { critical: "严重", warning: "警告", info: "提示" },
    states: { raised: "未确认", acknowledged: "已确认", cleared: "已解除" },
    kiosk_states: {
      starting: "启动中", service_idle: "空闲，等待顾客", payment: "顾客缴费中",
      maintenance: "维护中（开钱箱）", unavailable: "暂停服务",
    },
  },
  en: {
    title: "Kiosk staff page", other_lang: "中文", logout: "Log out", token: "Emergency token",
    login: "Log in", staff_id: "Staff ID", secret: "PIN or password",
    emergency: "Installer's emergency login", emergency_note: "Every use of the emergency token is recorded and raises an alert.",
    roles: { hall: "hall staff", manager: "manager", technician: "technician", installer: "installer (emergency)" },
    login_errors: {
      unknown: () => "Wrong staff ID or password",
      bad_secret: (b) => `Wrong staff ID or password, ${b.tries_left} tries left`,
      locked: (b) => `This staff ID is locked until ${clock(b.locked_until)}`,
      disabled: () => "This staff ID is disabled",
      missing: () => "Type your staff ID and password",
    },
    clear: "Clear", forbidden: "Not allowed: ", clear_failed: "Not cleared: ", status: "Kiosk status", state: "State",
    devices: "Devices", box: "Cash box", outbox: "Waiting to send", backend: "Last backend contact", alerts: "Alerts",
    alert: "Alert", severity: "Severity", since: "Since", alert_state: "State", no_alerts: "No open alerts",
    updated: "Updated", ack: "Acknowledge", never: "never",
    device_names: { validator: "note validator", printer: "printer", door: "door" },
    device_states: { online: "online", open: "open", closed: "closed", unreadable: "unreadable" },
    notes: (n, total) => `${n} notes, ${total}`,
    items: (n) => `${n} items`,
    bad_token: "Wrong token", too_many: (s) => `Too many wrong tokens, try again in ${s} s`,
    offline: "Cannot reach the kiosk; retrying", ack_failed: "Not acknowledged: ",
    acked_by: (by) => `acknowledged (${by})`,
    severities: { critical: "critical", warning: "warning", info: "info" },
    states: { raised: "raised", acknowledged: "acknowledged", cleared: "cleared" },
    kiosk_states: {
      starting: "starting", service_idle: "idle, waiting for a customer", payment: "customer paying",
      maintenance: "maintenance (cash box)", unavailable: "out of service",
    },
  },
};

let lang = localStorage.getItem("staff-lang") === "en" ? "en" : "zh-CN";
let last = null; // the latest {status, alerts}
let timer = null;

const $ = (id) => document.getElementById(id);
const byTest = (name) => document.querySelector(`[data-testid="${name}"]`);
const t = (key) => TEXT[lang][key];

function money(fen, currency) {
  // integer fen to "¥1,234.50" without floating point
  const sign = fen < 0 ? "-" : "";
  const abs = Math.abs(fen);
  const whole = Math.floor(abs / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const symbol = currency === "CNY" ? "¥" : `${currency} `;
  return `${sign}${symbol}${whole}.${String(abs % 100).padStart(2, "0")}`;
}

function clock(iso) {
  const d = new Date(iso);
  return isNaN(d) ? iso : d.toLocaleTimeString(lang, { hour12: false, hour: "2-digit", minute: "2-digit" });
}

function when(iso) {
  if (!iso) return t("never");
  const d = new Date(iso);
  return isNaN(d) ? iso : d.toLocaleString(lang, { hour12: false });
}

function alertTitle(a) {
  return lang === "en" ? a.title_en : a.title_zh;
}

function stateText(state) {
  const names = t("kiosk_states");
  const key = Object.keys(names).find((k) => state === k || state.startsWith(k + "_"));
  return key ? `${names[key]} (${state})` : state;
}

function deviceText(value, alerts) {
  // "online", a door position, or the code of the open alert that keeps it from working
  if (t("device_states")[value]) return t("device_states")[value];
  const alert = alerts.find((a) => a.code === value);
  return alert ? alertTitle(alert) : value;
}

function deviceRow([name, value], alerts) {
  const item = document.createElement("li");
  item.dataset.testid = `device-${name}`;
  item.dataset.value = value;
  item.className = value === "online" || value === "closed" ? "ok" : "trouble";
  item.textContent = `${t("device_names")[name] || name}: ${deviceText(value, alerts)}`;
  return item;
}

function show(view) {
  document.body.dataset.view = view;
  $("login").hidden = view !== "login";
  $("dash").hidden = view !== "dash";
  $("logout").hidden = view !== "dash";
  byTest("me").hidden = view !== "dash";
}

function message(name, text, kind = "") {
  const el = byTest(name);
  el.textContent = text || "";
  el.hidden = !text;
  el.dataset.kind = kind;
}

function translateStatic() {
  document.documentElement.lang = lang;
  document.body.dataset.lang = lang;
  document.querySelectorAll("[data-t]").forEach((el) => { el.textContent = t(el.dataset.t); });
  document.title = lang === "en" ? "Staff · kiosk" : "工作人员 · 终端";
}

function render() {
  if (!last) return;
  const s = last.status;
  const alerts = last.alerts;
  byTest("kiosk").textContent = s.kiosk;
  const me = byTest("me");
  me.textContent = `${last.me.label} · ${t("roles")[last.me.role] || last.me.role}`;
  me.dataset.role = last.me.role;
  const stateEl = byTest("state");
  stateEl.textContent = stateText(s.state);
  stateEl.dataset.state = s.state;
  byTest("devices").replaceChildren(...Object.entries(s.devices).map((d) => deviceRow(d, alerts)));
  byTest("box").textContent = t("notes")(s.box.notes, money(s.box.total, s.currency));
  const depth = Object.values(s.outbox || {}).reduce((sum, n) => sum + n, 0);
  byTest("outbox").textContent = t("items")(depth);
  byTest("backend").textContent = when(s.last_backend_contact);
  byTest("updated").textContent = when(new Date().toISOString());

  const body = byTest("alerts").querySelector("tbody");
  body.replaceChildren(...alerts.map(alertRow));
  byTest("alerts").hidden = alerts.length === 0;
  byTest("no-alerts").hidden = alerts.length !== 0;
}

function alertRow(a) {
  const row = document.createElement("tr");
  row.dataset.testid = "alert";
  row.dataset.code = a.code;
  row.dataset.state = a.state;
  row.className = `sev-${a.severity}`;
  const cells = [
    alertTitle(a),
    t("severities")[a.severity] || a.severity,
    when(a.raised_at || a.at),
    a.state === "acknowledged" && a.acknowledged_by ? t("acked_by")(a.acknowledged_by) : (t("states")[a.state] || a.state),
  ];
  for (const text of cells) {
    const td = document.createElement("td");
    td.textContent = text;
    row.append(td);
  }
  const action = document.createElement("td");
  if (a.state === "raised" && last.may.includes("alert_ack")) {
    action.append(actionButton("ack", t("ack"), () => alertAction(a.id, "ack", t("ack_failed"))));
  }
  if (last.may.includes("alert_clear")) {
    action.append(actionButton("clear", t("clear"), () => alertAction(a.id, "clear", t("clear_failed"))));
  }
  row.append(action);
  return row;
}

function actionButton(testid, label, onClick) {
  const button = document.createElement("button");
  button.type = "button";
  button.dataset.testid = testid;
  button.textContent = label;
  button.addEventListener("click", () => { button.disabled = true; onClick(); });
  return button;
}

async function refresh() {
  let response;
  try {
    response = await fetch("/api/status", { cache: "no-store" });
  } catch (err) {
    message("error", t("offline"), "offline");
    return;
  }
  if (response.status === 401) {
    last = null;
    show("login");
    return;
  }
  if (!response.ok) {
    message("error", t("offline"), "offline");
    return;
  }
  last = await response.json();
  if (byTest("error").dataset.kind === "offline") message("error", ""); // back online
  show("dash");
  render();
}

async function alertAction(id, verb, failed) {
  const response = await fetch(`/api/alerts/${encodeURIComponent(id)}/${verb}`, { method: "POST" });
  if (!response.ok && response.status !== 401) {
    const body = await response.json().catch(() => ({}));
    // the kiosk's own words: who may not do what, or why it could not be done
    message("error", (response.status === 403 ? t("forbidden") : failed) + (body.error || response.status));
  } else {
    message("error", "");
  }
  await refresh();
}

async function login(event) {
  event.preventDefault();
  const form = event.target;
  const response = await fetch("/login", { method: "POST", body: new URLSearchParams(new FormData(form)) });
  form.reset();
  if (response.ok) {
    message("login-error", "");
    await refresh();
    return;
  }
  const body = await response.json().catch(() => ({}));
  const says = t("login_errors")[body.error];
  message("login-error", response.status === 429 ? t("too_many")(body.retry_after || 60)
    : says ? says(body) : t("bad_token"));
}

async function logout() {
  await fetch("/logout", { method: "POST" });
  last = null;
  show("login");
}

function switchLanguage() {
  lang = lang === "en" ? "zh-CN" : "en";
  localStorage.setItem("staff-lang", lang);
  translateStatic();
  render();
}

document.addEventListener("DOMContentLoaded", () => {
  translateStatic();
  $("login-form").addEventListener("submit", login);
  $("token-form").addEventListener("submit", login);
  $("logout").addEventListener("click", logout);
  $("lang").addEventListener("click", switchLanguage);
  refresh();
  timer = setInterval(refresh, REFRESH_MS);
});
