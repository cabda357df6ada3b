// Customer views: one function per state, from the snapshot to DOM nodes (built with h()).
"use strict";

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
    noChange(),
    h("p", { class: "hint" }, t("confirm_hint")),
  ];
}

// The kiosk gives no change: said on the confirmation and on the cash screen before the first note.
function noChange() {
  return h("p", { class: "rule", "data-testid": "no-change" }, t("no_change"));
}

// Received so far against the bill: what is still due, or where the amount over it goes.
function dueLine(s) {
  const due = (s.info || {}).due;
  if (!Number.isSafeInteger(due) || due <= 0) return null;
  const total = s.total || 0;
  if (total < due) return h("p", { class: "due", "data-testid": "still-due" }, t("still_due", yuan(due - total)));
  if (total === due) return h("p", { class: "due paid", "data-testid": "still-due" }, t("due_paid"));
  return h("p", { class: "due over", "data-testid": "still-due" }, t("over_due", yuan(total - due)));
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
    dueLine(s),
    notes.length === 0 && noChange(),
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
      // a balance below zero is what the account still owes: said so, never a minus sign
      row(r.balance < 0 ? "owed_after" : "balance_after", yuan(Math.abs(r.balance)), "result-balance"),
    row("reference", r.ref || String(r.seq), "result-ref"));
}

const RESULT_STATES = ["payment_receipt", "payment_done", "payment_help"];

function canRate(s) {
  return Boolean(s.result) && !s.rating && RESULT_STATES.includes(s.state);
}

// More lines of the result and help screens, each (snapshot) -> element or null; other files
// (invoice.js) add theirs.
const RESULT_LINES = [];

// Soft keys shown on this screen (docs/spec/customer-flow.md, "Keys"): key -> applies(snapshot).
const SOFT_KEYS = {
  reprint: (s) => s.state === "service_idle",
  rate_good: canRate,
  rate_fair: canRate,
  rate_poor: canRate,
};

// What the soft keys on show are for: the rating prompt, or the thanks once the customer has chosen.
function softKeysLabel(s) {
  if (s.rating && RESULT_STATES.includes(s.state)) return t("rating_thanks", t(`key_rate_${s.rating}`));
  return canRate(s) ? t("rating_ask") : "";
}

// A stuck note left out of this payment, handed back, or one that landed after it was sent.
function jamNotices(s) {
  const jam = s.jam || {};
  return [
    jam.left_behind !== null && jam.left_behind !== undefined && h("p", { class: "notice", "data-testid": "left-behind" },
      t("jam_left_behind", jam.left_behind ? yuan(jam.left_behind) : "")),
    jam.handed_back !== null && jam.handed_back !== undefined && h("p", { class: "notice", "data-testid": "handed-back" },
      t("jam_handed_back", jam.handed_back ? yuan(jam.handed_back) : "")),
    s.follow_up && h("p", { class: "notice", "data-testid": "follow-up" },
      t("follow_up", yuan(s.follow_up.amount), s.follow_up.seq)),
  ];
}

// Why the payment is not (yet) credited, in words (docs/spec/customer-flow.md, "Reasons").
function refusalText(code) {
  return reasonText("refused_reason", code, "refused_default");
}

function viewResult(s) {
  const r = s.result;
  if (!r) return [title("submit_title")];
  const head = { credited: "paid_title", pending: "pending_title", flagged: "flagged_title" }[r.status];
  return [
    h("h1", { "data-testid": "title", class: `status-${r.status}` }, t(head || "pending_title")),
    r.status === "pending" && h("p", { class: "lead", "data-testid": "reason" }, t("pending_body")),
    r.status === "flagged" && h("p", { class: "lead", "data-testid": "reason" }, refusalText(r.reason_code)),
    r.status === "flagged" && h("p", { class: "hint" }, t("flagged_body")),
    resultCard(r),
    ...RESULT_LINES.map((line) => line(s)),
    ...jamNotices(s),
    receiptLine(s),
    s.state === "payment_done" && h("p", { class: "hint" }, t("done_hint")),
  ];
}

// A stuck note: the payment waits for it; the customer is told what happens and what was counted.
function viewJam(s) {
  const jam = s.jam || {};
  const total = (s.help || {}).total ?? s.total;
  if (!jam.waiting) {
    const back = jam.handed_back;  // the note came back out and nothing was counted: say both
    const said = back === null || back === undefined ? t("jam_settled")
      : t("jam_back_nothing_taken", back ? yuan(back) : "");
    return [title("help_title"), h("p", { class: "lead", "data-testid": "reason" }, said),
      h("p", { class: "hint" }, t("help_body"))];
  }
  return [
    title("jam_title"),
    h("p", { class: "lead", "data-testid": "reason" }, t("jam_waiting", yuan(total || 0))),
    h("div", { class: "card" },
      row("help_total", yuan(total || 0), "help-total"),
      jam.note && row("jam_note", yuan(jam.note), "jam-note")),
    h("p", { class: "hint" }, t("jam_hint")),
    h("p", { class: "hint", "data-testid": "jam-at-zero" }, t("jam_at_zero", total ? yuan(total) : "")),
  ];
}

function helpReason(help) {
  if (help.reason === "lookup") return reasonText("lookup_reason", help.detail, "lookup_default");
  if (help.reason === "flagged") return refusalText(help.detail);
  return reasonText("help_reason", help.reason, "help_default");
}

function viewHelp(s) {
  const help = s.help || {};
  if (help.reason === "note_jam") return viewJam(s);
  const total = help.total ?? s.total;
  return [
    title("help_title"),
    h("p", { class: "lead", "data-testid": "reason" }, helpReason(help)),
    help.reason === "flagged" && h("p", { class: "hint" }, t("flagged_body")),
    total && !s.result ? h("div", { class: "card" }, row("help_total", yuan(total), "help-total")) : null,
    s.result && resultCard(s.result),
    ...(s.result ? jamNotices(s) : []),
    receiptLine(s),
    ...RESULT_LINES.map((line) => line(s)),
    help.reason !== "flagged" && h("p", { class: "hint" }, t("help_body")),
  ];
}

// Self-service reprint (补打凭条): the account, its payments of the last 24 h, the outcome.
function viewReprintAccount(s) {
  return [title("reprint_title"), ...viewAccount(s).slice(1)];
}

function viewReprintChoose(s) {
  const choices = (s.reprint || {}).choices || [];
  return [
    title("reprint_choose_title"),
    h("ol", { class: "choices", "data-testid": "reprint-choices" }, choices.map((c) =>
      h("li", { class: c.used ? "used" : null, "data-n": c.n },
        h("span", { class: "n" }, String(c.n)),
        h("span", { class: "when" }, c.local_time),
        h("span", { class: "amount" }, yuan(c.amount)),
        h("span", { class: "seq" }, t("reprint_seq", c.seq)),
        h("span", { class: "status" }, c.used ? t("reprint_used") : t(`reprint_status_${c.status}`))))),
    h("p", { class: "hint" }, t("reprint_choose_hint")),
  ];
}

function viewReprintDone(s) {
  const r = s.reprint || {};
  const printed = r.outcome === "printed";
  return [
    h("h1", { "data-testid": "title", class: printed ? "status-credited" : "status-pending" },
      t(printed ? "reprint_printed_title" : "help_title")),
    h("p", { class: "lead", "data-testid": "reason" }, reasonText("reprint_outcome", r.outcome, "reprint_outcome_default")),
    h("p", { class: "hint" }, t("done_hint")),
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
  if (state === "service_reprint_account") return viewReprintAccount;
  if (state === "service_reprint_lookup") return () => [title("reprint_title"), h("p", { class: "lead spinner" }, t("lookup_body"))];
  if (state === "service_reprint_choose") return viewReprintChoose;
  if (state === "service_reprint_printing") return () => [title("reprint_title"), h("p", { class: "lead spinner" }, t("reprint_printing"))];
  if (state === "service_reprint_done") return viewReprintDone;
  if (state === "payment_account") return viewAccount;
  if (state === "payment_lookup") return viewLookup;
  if (state === "payment_confirm") return viewConfirm;
  if (state.startsWith("payment_cash")) return viewCash;
  if (state === "payment_submit") return viewSubmit;
  if (state === "payment_receipt" || state === "payment_done") return viewResult;
  if (state === "payment_help") return viewHelp;
  if (state === "unavailable") return viewUnavailable;
  if (state.startsWith("maintenance")) return viewMaintenance; // maintenance.js: the technicians' screen
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
