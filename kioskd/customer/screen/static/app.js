// Customer screen: renders the machine's snapshot; sends keys and nothing else.
// Money arrives in fen (integers) and is formatted with integer arithmetic only.
"use strict";

const TEXT = {
  "zh-CN": {
    brand: "自助缴费终端",
    connecting: "正在连接，请稍候…",
    key_backspace: "退格", key_confirm: "确认", key_cancel: "取消", key_finish: "完成",
    key_lang: "English",
    countdown: (s) => `剩余 ${s} 秒`,
    starting_title: "正在启动",
    starting_body: "设备正在启动，请稍候。",
    idle_title: "自助缴费",
    idle_body: "缴纳电费、话费，只收纸币",
    idle_start: "请按任意键或触摸屏幕开始",
    idle_notes: "可使用的纸币",
    account_title: "请输入户号",
    account_hint: "输入完毕请按“确认”，按“取消”返回",
    account_empty: "（尚未输入）",
    err_too_short: "户号位数不足，请补全",
    err_too_long: "户号位数过多，请核对",
    err_check_digit: "户号有误，请核对后重新输入",
    lookup_title: "正在查询户号",
    lookup_body: "请稍候…",
    confirm_title: "请核对缴费信息",
    holder: "户名", account: "户号", due: "应缴金额", balance: "账户余额",
    limits: (min, max) => `单笔缴费 ${min} 至 ${max}`,
    confirm_hint: "信息无误请按“确认”开始放入纸币，按“取消”返回",
    cash_title: "请逐张放入纸币",
    cash_accepts: "可使用的纸币",
    cash_total: "已收金额",
    cash_notes: (n) => `已收 ${n} 张`,
    cash_more: (m) => `最多还可缴纳 ${m}`,
    cash_hint: "放完纸币后请按“完成”",
    cash_escrow: "正在识别纸币…",
    cash_stacking: "正在收取纸币，请稍候…",
    msg_cancel_refused: "纸币已存入钱箱，不能取消；请按“完成”结束缴费",
    msg_below_min: (min) => `未达最低缴费金额 ${min}，请继续放入纸币`,
    msg_note_returned_limit: (m) => `该纸币已退回：超过可缴金额，最多还可缴纳 ${m}`,
    msg_note_rejected: "该纸币无法识别，已退回，请换一张",
    msg_max_notes: "本次纸币张数已达上限，该纸币已退回；请按“完成”",
    submit_title: "正在提交缴费",
    submit_body: "请稍候，请勿离开…",
    paid_title: "缴费成功",
    pending_title: "已收到您的缴费",
    pending_body: "款项已收到，入账处理中，稍后自动完成。",
    flagged_title: "已收到您的现金",
    flagged_body: "本笔缴费需工作人员核对，请联系工作人员。",
    amount: "缴费金额", balance_after: "缴费后余额", reference: "参考号",
    receipt_printing: "正在打印凭条…",
    receipt_printed: "请取走凭条",
    receipt_failed: "凭条未能打印，请联系工作人员补打",
    done_hint: "谢谢！按任意键返回",
    help_title: "请联系工作人员",
    help_body: "请到服务台寻求帮助，工作人员会尽快处理。",
    help_total: "已记录的金额",
    help_reason: {
      note_jam: "纸币卡住了。",
      backend: "暂时无法连接缴费系统。",
      flagged: "您的缴费需要工作人员核对。",
      lookup: "暂时无法查询该户号。",
      validator: "收款器出现故障。",
      stacker_full: "钱箱已满。",
      printer: "打印机出现故障。",
      unknown_account: "未找到该户号，请核对。",
      account_blocked: "该户号暂不能在此缴费。",
      unreachable: "暂时无法连接缴费系统，请稍后再试。",
    },
    help_default: "设备需要工作人员处理。",
    unavailable_title: "暂停服务",
    unavailable_body: "请到人工窗口缴费，给您带来不便，敬请谅解。",
    unavailable_reason: {
      validator_offline: "收款器暂时无法使用。",
      stacker_full: "钱箱已满，等待工作人员清点。",
      box_tamper: "设备正在维护。",
      storage: "设备出现系统故障。",
      printer: "打印机暂时无法使用。",
      backend: "暂时无法连接缴费系统。",
    },
    unavailable_default: "设备暂时无法使用。",
    maintenance_title: "设备维护中",
    maintenance_body: "工作人员正在维护，暂停服务。",
    wait_title: "请稍候",
    notice: {
      printer_unavailable: "打印机暂不可用：本次缴费将无法打印凭条",
      backend_offline: "缴费系统连接较慢，缴费可能稍后入账",
    },
  },
  en: {
    brand: "Self-service payment",
    connecting: "Connecting, please wait…",
    key_backspace: "Delete", key_confirm: "Confirm", key_cancel: "Cancel", key_finish: "Finish",
    key_lang: "中文",
    countdown: (s) => `${s} s left`,
    starting_title: "Starting",
    starting_body: "The machine is starting, please wait.",
    idle_title: "Pay your bill",
    idle_body: "Electricity and phone bills, banknotes only",
    idle_start: "Press any key or touch the screen to start",
    idle_notes: "Notes accepted",
    account_title: "Enter your account number",
    account_hint: "Press Confirm when done, Cancel to go back",
    account_empty: "(nothing typed yet)",
    err_too_short: "The account number is too short",
    err_too_long: "The account number is too long",
    err_check_digit: "This account number is not valid, please check it",
    lookup_title: "Looking up your account",
    lookup_body: "Please wait…",
    confirm_title: "Please check the details",
    holder: "Account holder", account: "Account", due: "Amount due", balance: "Balance",
    limits: (min, max) => `You can pay ${min} to ${max}`,
    confirm_hint: "Press Confirm to insert notes, Cancel to go back",
    cash_title: "Insert your notes one at a time",
    cash_accepts: "Notes accepted",
    cash_total: "Amount received",
    cash_notes: (n) => (n === 1 ? "1 note" : `${n} notes`),
    cash_more: (m) => `You can pay up to ${m} more`,
    cash_hint: "Press Finish when you have inserted all your notes",
    cash_escrow: "Checking the note…",
    cash_stacking: "Storing the note, please wait…",
    msg_cancel_refused: "Your notes are already in the cash box and cannot be cancelled; press Finish to complete the payment",
    msg_below_min: (min) => `The minimum payment is ${min}; please insert more notes`,
    msg_note_returned_limit: (m) => `That note was returned: it would exceed the limit. You can pay up to ${m} more`,
    msg_note_rejected: "That note was not recognised and was returned; please try another",
    msg_max_notes: "The most notes for one payment has been reached; that note was returned. Press Finish",
    submit_title: "Sending your payment",
    submit_body: "Please wait, do not leave…",
    paid_title: "Payment successful",
    pending_title: "Payment received",
    pending_body: "Your cash has been received; crediting is pending and will complete automatically.",
    flagged_title: "Your cash has been received",
    flagged_body: "This payment needs to be checked by the staff; please ask them.",
    amount: "Amount paid", balance_after: "Balance after payment", reference: "Reference",
    receipt_printing: "Printing your receipt…",
    receipt_printed: "Please take your receipt",
    receipt_failed: "The receipt could not be printed; the staff can reprint it",
    done_hint: "Thank you! Press any key to go back",
    help_title: "Please ask the staff",
    help_body: "Please go to the service desk; the staff will help you.",
    help_total: "Amount recorded so far",
    help_reason: {
      note_jam: "A note is stuck in the machine.",
      backend: "The billing system cannot be reached right now.",
      flagged: "Your payment needs to be checked by the staff.",
      lookup: "The account could not be looked up right now.",
      validator: "The note acceptor has a fault.",
      stacker_full: "The cash box is full.",
      printer: "The receipt printer has a fault.",
      unknown_account: "This account number was not found; please check it.",
      account_blocked: "This account cannot be paid here.",
      unreachable: "The billing system cannot be reached; please try again later.",
    },
    help_default: "The machine needs the staff's attention.",
    unavailable_title: "Out of service",
    unavailable_body: "Please pay at the counter. Sorry for the inconvenience.",
    unavailable_reason: {
      validator_offline: "The note acceptor is not working right now.",
      stacker_full: "The cash box is full and waiting for the staff.",
      box_tamper: "The machine is being serviced.",
      storage: "The machine has a system fault.",
      printer: "The receipt printer is not working right now.",
      backend: "The billing system cannot be reached right now.",
    },
    unavailable_default: "The machine cannot be used right now.",
    maintenance_title: "Maintenance in progress",
    maintenance_body: "The staff are servicing this machine; it is out of service.",
    wait_title: "Please wait",
    notice: {
      printer_unavailable: "The printer is unavailable: no receipt can be printed for this payment",
      backend_offline: "The billing system is slow; your payment may be credited later",
    },
  },
};

let snapshot = null;
let locale = "zh-CN";
let skewMs = 0; // server clock minus page clock, from each message's `now`
let socket = null;
let retryMs = 500;
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

function title(key) {
  return h("h1", { "data-testid": "title" }, t(key));
}

function row(labelKey, value, testid) {
  return h("div", { class: "row" }, h("span", { class: "label" }, t(labelKey)),
    h("span", { class: "value", "data-testid": testid }, value));
}

function noteChips(values, cls) {
  return h("ul", { class: cls }, (values || []).map((v) => h("li", {}, yuan(v))));
}

function viewIdle(s) {
  return [
    title("idle_title"),
    h("p", { class: "lead" }, t("idle_body")),
    h("p", { class: "start", "data-testid": "start" }, t("idle_start")),
    h("p", { class: "small" }, t("idle_notes")),
    noteChips(s.denominations, "chips"),
  ];
}

function viewAccount(s) {
  const typed = s.account || "";
  const err = s.account_error ? t(`err_${s.account_error}`) : null;
  return [
    title("account_title"),
    h("div", { class: "entry" + (typed ? "" : " empty"), "data-testid": "account" },
      typed || t("account_empty")),
    err && h("p", { class: "error", "data-testid": "account-error" }, err),
    h("p", { class: "hint" }, t("account_hint")),
  ];
}

function viewLookup(s) {
  return [title("lookup_title"), h("div", { class: "entry" }, s.account || ""),
    h("p", { class: "lead spinner" }, t("lookup_body"))];
}

function viewConfirm(s) {
  const info = s.info || {};
  return [
    title("confirm_title"),
    h("div", { class: "card" },
      row("account", s.account || "", "confirm-account"),
      row("holder", info.holder || "", "holder"),
      row("due", yuan(info.due), "due"),
      row("balance", yuan(info.balance), "balance")),
    info.min !== undefined && h("p", { class: "small" }, t("limits", yuan(info.min), yuan(info.max))),
    h("p", { class: "hint" }, t("confirm_hint")),
  ];
}

function viewCash(s) {
  const notes = s.notes || [];
  // One line per denomination (up to max_notes notes must fit); the one just added flashes.
  const counts = new Map();
  for (const v of [...notes].sort((a, b) => b - a)) counts.set(v, (counts.get(v) || 0) + 1);
  const fresh = notes.length > shownNotes ? notes[notes.length - 1] : null;
  const list = h("ul", { class: "notes", "data-testid": "notes" },
    [...counts].map(([v, n]) => h("li", { class: v === fresh ? "new" : null, "data-value": v },
      h("span", { class: "note" }, yuan(v)), h("span", { class: "count" }, `× ${n}`))));
  shownNotes = notes.length;
  let status = null;
  if (s.state === "payment_cash_escrow") status = t("cash_escrow");
  if (s.state === "payment_cash_stacking") status = t("cash_stacking");
  return [
    title("cash_title"),
    h("div", { class: "cash" },
      h("div", { class: "totalbox" },
        h("span", { class: "label" }, t("cash_total")),
        h("span", { class: "total", "data-testid": "total" }, yuan(s.total || 0)),
        h("span", { class: "small", "data-testid": "note-count" }, t("cash_notes", notes.length))),
      list),
    status && h("p", { class: "lead spinner", "data-testid": "cash-status" }, status),
    s.max_more !== null && s.max_more !== undefined &&
      h("p", { class: "small", "data-testid": "max-more" }, t("cash_more", yuan(s.max_more))),
    h("p", { class: "small" }, t("cash_accepts")),
    noteChips(s.denominations, "chips"),
    h("p", { class: "hint" }, t("cash_hint")),
  ];
}

function viewSubmit(s) {
  return [title("submit_title"), h("p", { class: "total", "data-testid": "total" }, yuan(s.total || 0)),
    h("p", { class: "lead spinner" }, t("submit_body"))];
}

function receiptLine(s) {
  if (!s.receipt) return null;
  return h("p", { class: `receipt ${s.receipt}`, "data-testid": "receipt" }, t(`receipt_${s.receipt}`));
}

function resultCard(r) {
  return h("div", { class: "card" },
    row("amount", yuan(r.amount), "result-amount"),
    r.status === "credited" && r.balance !== null && r.balance !== undefined &&
      row("balance_after", yuan(r.balance), "result-balance"),
    row("reference", r.ref || String(r.seq), "result-ref"));
}

function viewResult(s) {
  const r = s.result;
  if (!r) return [title("submit_title")];
  const head = { credited: "paid_title", pending: "pending_title", flagged: "flagged_title" }[r.status];
  return [
    h("h1", { "data-testid": "title", class: `status-${r.status}` }, t(head || "pending_title")),
    r.status === "pending" && h("p", { class: "lead" }, t("pending_body")),
    r.status === "flagged" && h("p", { class: "lead" }, t("flagged_body")),
    resultCard(r),
    receiptLine(s),
    s.state === "payment_done" && h("p", { class: "hint" }, t("done_hint")),
  ];
}

function viewHelp(s) {
  const help = s.help || {};
  const reason = help.reason === "lookup" && s.lookup_error ? s.lookup_error : help.reason;
  const total = help.total ?? s.total;
  return [
    title("help_title"),
    h("p", { class: "lead", "data-testid": "reason" }, reasonText("help_reason", reason, "help_default")),
    total ? h("div", { class: "card" }, row("help_total", yuan(total), "help-total")) : null,
    s.result && resultCard(s.result),
    receiptLine(s),
    h("p", { class: "hint" }, t("help_body")),
  ];
}

function viewUnavailable(s) {
  const reason = s.unavailable && s.unavailable.reason;
  return [title("unavailable_title"),
    h("p", { class: "lead", "data-testid": "reason" }, reasonText("unavailable_reason", reason, "unavailable_default")),
    h("p", { class: "hint" }, t("unavailable_body"))];
}

function viewFor(state) {
  if (state === "starting") return () => [title("starting_title"), h("p", { class: "lead" }, t("starting_body"))];
  if (state === "service_idle") return viewIdle;
  if (state === "payment_account") return viewAccount;
  if (state === "payment_lookup") return viewLookup;
  if (state === "payment_confirm") return viewConfirm;
  if (state.startsWith("payment_cash")) return viewCash;
  if (state === "payment_submit") return viewSubmit;
  if (state === "payment_receipt" || state === "payment_done") return viewResult;
  if (state === "payment_help") return viewHelp;
  if (state === "unavailable") return viewUnavailable;
  if (state.startsWith("maintenance")) {
    return () => [title("maintenance_title"), h("p", { class: "lead" }, t("maintenance_body"))];
  }
  return () => [title("wait_title")];
}

function messageText(s) {
  const info = s.info || {};
  switch (s.message) {
    case "below_min": return t("msg_below_min", yuan(info.min));
    case "note_returned_limit": return t("msg_note_returned_limit", yuan(s.max_more ?? 0));
    case null: case undefined: return null;
    default: return TEXT[locale][`msg_${s.message}`] ? t(`msg_${s.message}`) : null;
  }
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
  document.getElementById("view").replaceChildren(...viewFor(s.state)(s).filter(Boolean));
  const msg = document.querySelector("[data-testid=message]");
  const text = messageText(s);
  msg.hidden = !text;
  msg.textContent = text || "";
  document.querySelector("[data-testid=notices]").replaceChildren(
    ...(s.notices || []).map((n) => h("li", { "data-notice": n }, TEXT[locale].notice[n] || n)));
  for (const el of document.querySelectorAll("[data-label]")) el.textContent = t(el.dataset.label);
  tick();
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
  fetch("/key", { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ key }) }).catch(() => {});
}

function connect() {
  const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`;
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

document.querySelector(".keypad").addEventListener("click", (ev) => {
  const button = ev.target.closest("button[data-key]");
  if (button) sendKey(button.dataset.key);
});
// Touching the attract screen starts a payment, like the confirm key.
document.getElementById("screen").addEventListener("click", () => {
  if (snapshot && snapshot.state === "service_idle") sendKey("confirm");
});

render();
setInterval(tick, 250);
connect();
