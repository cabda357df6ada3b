// Operator page: log in, then the fleet's alerts, halls of the day and kiosks (refreshed).
"use strict";

const REFRESH_MS = 30000;
const TEXT = {
  "zh-CN": {
    title: "终端运营总览", other_lang: "English", logout: "退出登录", login_name: "账号", password: "密码",
    login: "登录", hall: "营业厅", all_halls: "全部", only_problems: "只看有问题的终端", alerts: "告警",
    severity: "级别", kiosk: "终端", alert: "告警", since: "开始时间", no_alerts: "无告警", halls: "营业厅今日",
    takings: "收款", payments: "笔数", differences: "差异", cases: "差错单", exports: "导出", kiosks: "终端",
    cases_open: (n) => `未结 ${n}`, unbalanced: "现金不平", outcomes_of: (r, f, w) => `改入 ${r} · 退款 ${f} · 核销 ${w}`,
    updated: "更新于", bad_login: "账号或密码错误", too_many: (s) => `错误次数过多，请 ${s} 秒后再试`,
    busy: "登录请求过多，请稍后再试", slow: "登录超时，请重试",
    offline: "无法连接后台，稍后自动重试", never: "从未", none: "无", no_hall: "（未分配）",
    state: "状态", box: "钱箱", full_on: "预计满箱", paper: "纸张", custody: "上次清机", money: "待入账/异常",
    contact: "最近联系", acked: "已确认", n_kiosks: (n) => `${n} 台`, n_alerts: (n) => `${n} 条`,
    notes: (n, cap, amount) => cap ? `${n}/${cap} 张，${amount}` : `${n} 张，${amount}`,
    pending: (p, f) => `待入账 ${p.count} 笔 ${money(p.amount)}；异常 ${f.count} 笔 ${money(f.amount)}`,
    ago: (s) => s < 90 ? `${s} 秒前` : s < 5400 ? `${Math.round(s / 60)} 分钟前` : s < 172800 ? `${Math.round(s / 3600)} 小时前` : `${Math.round(s / 86400)} 天前`,
    refused: (n) => `拒绝 ${n}`,
    severities: { critical: "严重", warning: "警告", info: "提示" },
    papers: { ok: "正常", low: "将尽", out: "缺纸", offline: "离线" },
    outcomes: { match: "相符", mismatch: "不符", aborted: "中止" },
    states: { service_idle: "空闲", payment: "缴费中", maintenance: "维护中", unavailable: "暂停服务", starting: "启动中" },
    codes: {
      silent: "终端失联", box_near_full: "钱箱将满", note_jam: "卡币", stacker_full: "钱箱已满",
      stacker_near_full: "钱箱将满（终端）", box_removed: "钱箱已取出", box_tamper: "钱箱被非法取出",
      validator_offline: "识币器离线", validator_fault: "识币器故障", printer_paper_out: "打印机缺纸",
      printer_paper_low: "打印纸将尽", printer_offline: "打印机离线", backend_unreachable: "后台不可达",
      payment_flagged: "缴费异常", custody_mismatch: "清机不符", door_open: "机门未关", door_unreadable: "机门开关无法读取", power_restored: "恢复供电", clock_skew: "时钟偏差",
      cash_without_case: "款项无人跟进", patrol_missed: "巡检超时", box_not_emptied: "今日未清机",
      batch_refused: "数据批次被拒收，上传停止", kiosk_rollback: "终端数据回退或被改写",
      close_mismatch: "日结与差异记录不符",
    },
    // a close_mismatch alert's detail (docs/spec/fleet.md): the close and what in it disagrees
    close_detail: (d, what) => `日结 ${d.date}（审计 #${d.seq}）：${what}`,
    close_fields: {
      count: (s, c) => `未结差异笔数签为 ${s}，差异记录为 ${c}`,
      total: (s, c) => `未结差异金额签为 ${fen(s)}，差异记录为 ${fen(c)}`,
      by_kind: () => "按类别的未结差异与差异记录不符",
      last: (s, c) => `最大差异编号签为 ${s}，差异记录为 ${c}`,
      digest: () => "未结差异清单的摘要与差异记录不符",
      listed: (s) => `列出的差异 ${s} 按差异记录并非未结（或类别、金额不同）`,
      form: () => "未结差异既非清单也非汇总",
    },
    disabled: "已停用",
  },
  en: {
    title: "Fleet overview", other_lang: "中文", logout: "Log out", login_name: "Login", password: "Password",
    login: "Log in", hall: "Hall", all_halls: "all", only_problems: "Only kiosks with problems", alerts: "Alerts",
    severity: "Severity", kiosk: "Kiosk", alert: "Alert", since: "Since", no_alerts: "No open alerts",
    halls: "Halls today", takings: "Takings", payments: "Payments", differences: "Differences", cases: "Cases",
    cases_open: (n) => `${n} open`, unbalanced: "cash does not balance",
    outcomes_of: (r, f, w) => `re-credited ${r} · refunded ${f} · written off ${w}`,
    exports: "Exports", kiosks: "Kiosks", updated: "Updated", bad_login: "Wrong login or password",
    too_many: (s) => `Too many wrong passwords, try again in ${s} s`, offline: "Cannot reach the backend; retrying",
    busy: "Too many log-ins at once, try again shortly", slow: "The log-in took too long, try again",
    never: "never", none: "none", no_hall: "(no hall)", state: "State", box: "Cash box", full_on: "Full on",
    paper: "Paper", custody: "Last emptied", money: "Pending/flagged", contact: "Last contact", acked: "acknowledged",
    n_kiosks: (n) => `${n} ${n === 1 ? "kiosk" : "kiosks"}`, n_alerts: (n) => `${n}`,
    notes: (n, cap, amount) => cap ? `${n}/${cap} notes, ${amount}` : `${n} notes, ${amount}`,
    pending: (p, f) => `pending ${p.count} ${money(p.amount)}; flagged ${f.count} ${money(f.amount)}`,
    ago: (s) => s < 90 ? `${s} s ago` : s < 5400 ? `${Math.round(s / 60)} min ago` : s < 172800 ? `${Math.round(s / 3600)} h ago` : `${Math.round(s / 86400)} days ago`,
    refused: (n) => `refused ${n}`,
    severities: { critical: "critical", warning: "warning", info: "info" },
    papers: { ok: "ok", low: "low", out: "out", offline: "offline" },
    outcomes: { match: "match", mismatch: "mismatch", aborted: "aborted" },
    states: { service_idle: "idle", payment: "customer paying", maintenance: "maintenance", unavailable: "out of service", starting: "starting" },
    codes: {
      silent: "kiosk silent", box_near_full: "cash box nearly full", note_jam: "note jam", stacker_full: "cash box full",
      stacker_near_full: "cash box nearly full (kiosk)", box_removed: "cash box removed", box_tamper: "cash box removed without custody",
      validator_offline: "validator offline", validator_fault: "validator fault", printer_paper_out: "printer out of paper",
      printer_paper_low: "printer paper low", printer_offline: "printer offline", backend_unreachable: "backend unreachable",
      payment_flagged: "payment flagged", custody_mismatch: "custody count mismatch", door_open: "door open", door_unreadable: "door switch unreadable", power_restored: "power restored", clock_skew: "clock off",
      cash_without_case: "cash without a case", patrol_missed: "patrol missed", box_not_emptied: "box not emptied",
      batch_refused: "batch refused, uploads stopped", kiosk_rollback: "kiosk history went back or was rewritten",
      close_mismatch: "daily close disagrees with the difference records",
    },
    close_detail: (d, what) => `daily close ${d.date} (audit #${d.seq}): ${what}`,
    close_fields: {
      count: (s, c) => `open differences signed ${s}, the difference records give ${c}`,
      total: (s, c) => `their total signed ${fen(s)}, the difference records give ${fen(c)}`,
      by_kind: () => "the open differences by kind are not the difference records'",
      last: (s, c) => `highest difference number signed ${s}, the difference records give ${c}`,
      digest: () => "the digest of the open differences' list is not the difference records'",
      listed: (s) => `it lists difference ${s}, which the difference records do not show open so`,
      form: () => "its open differences are neither a list nor a summary",
    },
    disabled: "disabled",
  },
};

let lang = localStorage.getItem("ops-lang") === "en" ? "en" : "zh-CN";
let last = null;
let timer = null;
const byTest = (name) => document.querySelector(`[data-testid="${name}"]`);
const t = (key) => TEXT[lang][key];

function money(fen) {
  // integer fen to "¥1,234.50" without floating point
  const sign = fen < 0 ? "-" : "";
  const abs = Math.abs(fen);
  const whole = Math.floor(abs / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${sign}¥${whole}.${String(abs % 100).padStart(2, "0")}`;
}

function fen(value) { return typeof value === "number" ? money(value) : String(value); }

function alertDetail(a) {
  // what a backend alert is about, in words; null for one whose code says it all
  if (a.code !== "close_mismatch" || !a.detail) return null;
  const said = t("close_fields")[a.detail.field];
  return el("div", { class: "detail", "data-testid": "alert-detail" },
    t("close_detail")(a.detail, said ? said(a.detail.signed, a.detail.chain) : a.detail.reason));
}

function localTime(iso) {
  if (!iso) return t("never");
  // one form in both languages, as the kiosk's staff page: MM-DD HH:MM in the fleet's zone
  const parts = new Intl.DateTimeFormat("en-GB", { timeZone: last ? last.timezone : undefined, hourCycle: "h23",
    month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" }).formatToParts(new Date(iso));
  const part = Object.fromEntries(parts.map((p) => [p.type, p.value]));
  return `${part.month}-${part.day} ${part.hour}:${part.minute}`;
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v; else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

function applyText() {
  document.documentElement.lang = lang;
  for (const node of document.querySelectorAll("[data-t]")) node.textContent = t(node.dataset.t);
  document.title = t("title");
}

function show(view) {
  document.body.dataset.view = view;
  byTest("login").hidden = view !== "login";
  byTest("dash").hidden = view !== "dash";
  document.getElementById("logout").hidden = view !== "dash";
}

function codeName(code) { return t("codes")[code] || code; }
function hallName(h) { return h || t("no_hall"); }

function worst(k) {
  const codes = new Set(last.alerts.filter((a) => a.kiosk === k.kiosk).map((a) => a.severity));
  return codes.has("critical") ? "critical" : codes.has("warning") ? "warning" : "";
}

function renderAlerts(alerts) {
  const body = byTest("alerts").querySelector("tbody");
  body.replaceChildren(...alerts.map((a) => el("tr", { "data-code": a.code, "data-kiosk": a.kiosk },
    el("td", {}, el("span", { class: `sev ${a.severity}` }, t("severities")[a.severity] || a.severity)),
    el("td", {}, `${a.kiosk} · ${hallName(a.hall)}`),
    el("td", {}, codeName(a.code), a.acknowledged ? el("span", { class: "acked" }, ` (${t("acked")})`) : "",
      alertDetail(a) || ""),
    el("td", {}, localTime(a.since)))));
  byTest("alerts").hidden = alerts.length === 0;
  byTest("no-alerts").hidden = alerts.length !== 0;
  byTest("alert-count").textContent = t("n_alerts")(alerts.length);
}

function exportLinks(hall) {
  const q = `day=${last.day}&hall=${encodeURIComponent(hall)}`;
  return el("td", {}, ...["payments", "custody", "collection"].map((name, i) => el("a",
    { href: `/operator/export/${name}.csv?${name === "collection" ? `hall=${encodeURIComponent(hall)}` : q}` },
    `${i ? " · " : ""}${name}`)));
}

function renderHalls(halls) {
  byTest("halls").querySelector("tbody").replaceChildren(...halls.map((h) => el("tr", { "data-hall": h.hall },
    el("td", {}, `${hallName(h.hall)} (${h.kiosks})`), el("td", { class: "num" }, money(h.takings)),
    el("td", { class: "num" }, h.payments + (h.refused ? ` · ${t("refused")(h.refused)}` : "")),
    el("td", { class: "num" }, money(h.differences)), casesCell(h), exportLinks(h.hall))));
}

function casesCell(h) {
  // cases opened today, those still open, the day's outcomes, and a warning when the day's cash does not balance
  const outcomes = t("outcomes_of")(money(h.recredits.total), money(h.refunds.total), money(h.writeoffs.total));
  return el("td", { class: "num", title: outcomes }, `${h.cases} · ${t("cases_open")(h.cases_open)}`,
    ...(h.balanced ? [] : [el("br"), el("strong", { class: "unbalanced", "data-testid": "unbalanced" },
      `${t("unbalanced")}: ${h.unbalanced.join(", ")}`)]));
}

function fillBar(box) {
  if (!box || box.fill === null) return "";
  const pct = Math.min(100, Math.round(box.fill * 100));
  const bar = el("i", { class: pct >= 100 ? "full" : pct >= 80 ? "high" : "" });
  bar.style.width = `${pct}%`; // CSSOM, not a style attribute: the CSP allows no inline styles
  return el("div", { class: "bar-fill" }, bar);
}

function card(k) {
  const box = k.box;
  const rows = [
    [t("state"), k.enabled ? (t("states")[k.state] || t("states")[(k.state || "").split("_")[0]] || k.state || "?") : t("disabled")],
    [t("box"), box ? [t("notes")(box.notes, box.capacity, money(box.amount)), fillBar(box)] : "?"],
    [t("full_on"), box && box.full_on ? box.full_on : "—"],
    [t("paper"), k.paper ? t("papers")[k.paper] : "?"],
    [t("custody"), k.custody ? `${localTime(k.custody.ended)} ${t("outcomes")[k.custody.outcome] || ""}` : t("none")],
    [t("money"), k.pending ? t("pending")(k.pending, k.flagged) : "?"],
    [t("contact"), k.silent_for === null ? t("never") : t("ago")(k.silent_for)],
  ];
  const dl = el("dl");
  for (const [name, value] of rows) dl.append(el("dt", {}, name), el("dd", {}, ...[].concat(value)));
  if (k.alerts.length) dl.append(el("dt", {}, t("alerts")), el("dd", {}, k.alerts.map(codeName).join("，")));
  return el("article", { class: `card ${k.enabled ? worst(k) : "disabled"}`, "data-kiosk": k.kiosk },
    el("h3", {}, el("span", {}, k.kiosk), el("span", { class: "count" }, hallName(k.hall))), dl);
}

function render() {
  if (!last) return;
  const hall = document.getElementById("hall").value;
  const problems = document.getElementById("problems").checked;
  const inHall = (x) => !hall || x.hall === hall;
  renderAlerts(last.alerts.filter(inHall));
  renderHalls(last.halls.filter(inHall));
  const kiosks = last.kiosks.filter(inHall).filter((k) => !problems || worst(k));
  byTest("kiosks").replaceChildren(...kiosks.map(card));
  byTest("kiosk-count").textContent = t("n_kiosks")(kiosks.length);
  byTest("day").textContent = last.day;
  byTest("who").textContent = last.operator.name;
  byTest("updated").textContent = localTime(last.now);
  const select = document.getElementById("hall");
  const halls = last.halls.map((h) => h.hall);
  // rebuilt when the halls or the language change: the options' words are the language's
  if (select.options.length !== halls.length + 1 || select.dataset.lang !== lang) {
    select.replaceChildren(el("option", { value: "" }, t("all_halls")), ...halls.map((h) => el("option", { value: h }, hallName(h))));
    select.value = hall;
    select.dataset.lang = lang;
  }
}

async function refresh() {
  clearTimeout(timer);
  try {
    const resp = await fetch("/operator/api/fleet", { credentials: "same-origin" });
    if (resp.status === 401) { show("login"); return; }
    if (!resp.ok) throw new Error(`HTTP ${resp.status}`);
    last = await resp.json();
    byTest("error").hidden = true;
    show("dash");
    render();
  } catch (err) {
    byTest("error").textContent = t("offline");
    byTest("error").hidden = false;
  }
  timer = setTimeout(refresh, REFRESH_MS);
}

document.getElementById("login-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const resp = await fetch("/operator/login", { method: "POST", body: new URLSearchParams(new FormData(ev.target)) });
  const error = byTest("login-error");
  if (resp.ok) { error.hidden = true; document.getElementById("password").value = ""; refresh(); return; }
  const body = await resp.json().catch(() => ({}));
  const refusal = { 429: () => t("too_many")(body.retry_after), 503: () => t("busy"), 408: () => t("slow") }[resp.status];
  error.textContent = refusal ? refusal() : t("bad_login");
  error.hidden = false;
});
document.getElementById("logout").addEventListener("click", async () => {
  await fetch("/operator/logout", { method: "POST" });
  last = null;
  show("login");
});
document.getElementById("lang").addEventListener("click", () => {
  lang = lang === "en" ? "zh-CN" : "en";
  localStorage.setItem("ops-lang", lang);
  applyText();
  render();
});
document.getElementById("hall").addEventListener("change", render);
document.getElementById("problems").addEventListener("change", render);
applyText();
refresh();
