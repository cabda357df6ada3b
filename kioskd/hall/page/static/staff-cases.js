// Staff page tab: cases (差错/投诉). Open one on a payment or a customer's claim, follow it with
// notes, and settle its cash once: re-credit or void (the account looked up, its holder confirmed),
// refund (a manager, another person, approves with their own PIN; the voucher prints), write-off,
// or close. The same actions as `kioskctl case`; what the case may do next comes from the kiosk.
"use strict";

(() => {
  Object.assign(TEXT["zh-CN"], {
    tab_cases: "差错单", c_new: "登记差错", c_on_payment: "缴费（流水号或交易号）", c_claim: "或：客户称未计入的纸币（元）",
    c_when: "投币时间", c_account: "户号", c_phone: "客户电话（结案后按期删除）", c_note: "情况说明", c_open: "登记",
    c_open_only: "只看未结", c_all: "全部", c_none: "无差错单", c_case: (no) => `差错单 ${no}`,
    c_statuses: { open: "处理中", waiting: "等待后台答复", resolved: "已办结", rejected: "已驳回" },
    c_kinds: { payment: "缴费", claim: "客户申诉：纸币未计入" },
    c_payment: "缴费", c_claimed: "客户所称纸币", c_count: "钱箱清点", c_found: "清点发现该长款",
    c_not_found: "清点未发现", c_unchecked: "尚未清点", c_contact: "客户电话", c_erased: "已删除", c_steps: "处理经过",
    c_outcomes: "处理结果", c_may: "可办理", c_reason: "原因", c_lookup: "查询户名", c_holder: "户名",
    c_confirm_holder: (h) => `确认户名为 ${h}`, c_to: "正确户号", c_amount: "金额", c_approver: "审批经理工号",
    c_approver_pin: "审批经理密码", c_voucher_lang: "凭证语言", c_evidence: "证据", c_print_page: "打印此页",
    c_back: "返回列表", c_paid_by: "经办人", c_approved_by: "审批人", c_ref: "参考号",
    c_done: (no) => `差错单 ${no} 已更新`, c_voucher_copy: "补打退款凭证",
    c_voucher_printed: "退款凭证已打印", c_voucher_not: "退款凭证未打印，请补打",
    c_actions: { note: "添加备注", recredit: "改入正确户号", void: "冲正并转入正确户号", refund: "柜台退款",
      writeoff: "核销", close: "结案（无需处理款项）", reject: "驳回申诉" },
    c_steps_names: { opened: "开单", note: "备注", count_checked: "钱箱清点核对", recredit: "改入户号", void: "冲正转入",
      refund: "退款", writeoff: "核销", closed: "结案", contact_erased: "删除客户电话" },
    c_states: { requested: "已申请", done: "完成", refused: "被拒绝", credited: "已入账", accepted: "已接受" },
    c_txn_states: { credited: "已入账", pending: "待确认", flagged: "待人工处理", closed: "提交中" },
  });
  Object.assign(TEXT.en, {
    tab_cases: "Cases", c_new: "Open a case", c_on_payment: "Payment (serial no. or transaction id)",
    c_claim: "or: the note the customer says was not counted (yuan)", c_when: "When it went in", c_account: "Account",
    c_phone: "Customer's phone (erased after the case closes)", c_note: "What happened", c_open: "Open",
    c_open_only: "Open only", c_all: "All", c_none: "No cases", c_case: (no) => `Case ${no}`,
    c_statuses: { open: "open", waiting: "waiting for the backend", resolved: "resolved", rejected: "rejected" },
    c_kinds: { payment: "payment", claim: "claim: note not counted" },
    c_payment: "Payment", c_claimed: "Claimed note", c_count: "Cash-box count", c_found: "the count found it (over)",
    c_not_found: "the count did not find it", c_unchecked: "not counted yet", c_contact: "Customer's phone",
    c_erased: "erased", c_steps: "Steps", c_outcomes: "Outcomes", c_may: "May do", c_reason: "Reason",
    c_lookup: "Look the holder up", c_holder: "Holder", c_confirm_holder: (h) => `The holder is ${h}`,
    c_to: "The right account", c_amount: "Amount", c_approver: "Approving manager's ID",
    c_approver_pin: "Approving manager's PIN", c_voucher_lang: "Voucher language", c_evidence: "Evidence",
    c_print_page: "Print this page", c_back: "Back to the list", c_paid_by: "paid by", c_approved_by: "approved by",
    c_ref: "ref", c_done: (no) => `Case ${no} updated`,
    c_voucher_copy: "Reprint the refund voucher", c_voucher_printed: "Refund voucher printed",
    c_voucher_not: "Refund voucher NOT printed: reprint it",
    c_actions: { note: "Add a note", recredit: "Re-credit to the right account", void: "Void and move to the right account",
      refund: "Refund at the counter", writeoff: "Write off", close: "Close (no money to settle)", reject: "Reject the claim" },
    c_steps_names: { opened: "opened", note: "note", count_checked: "checked against the count", recredit: "re-credit",
      void: "void", refund: "refund", writeoff: "write-off", closed: "closed", contact_erased: "phone erased" },
    c_states: { requested: "requested", done: "done", refused: "refused", credited: "credited", accepted: "accepted" },
    c_txn_states: { credited: "credited", pending: "pending", flagged: "flagged for staff", closed: "being submitted" },
  });
  for (const [code, names] of [["zh-CN", { case_view: "查看差错单", case_note: "添加差错备注", case_recredit: "改入户号",
    case_void: "冲正转入", case_refund: "柜台退款", case_close: "结案", case_voucher: "补打退款凭证", case_writeoff: "核销" }],
  ["en", { case_view: "see cases", case_note: "add a note to a case", case_recredit: "re-credit", case_void: "void",
    case_refund: "refund", case_close: "close a case", case_voucher: "reprint a voucher", case_writeoff: "write off" }]]) {
    Object.assign(TEXT[code].actions, names);
  }

  const YUAN = /^(\d{1,9})(?:\.(\d{1,2}))?$/;
  let panel = null;
  let list = null; // the cases listed
  let shown = null; // the case opened: the reply of case_show
  let openOnly = true;
  let holder = {}; // action -> the holder looked up for its account
  let evidence = null;

  function fen(text) {
    const m = YUAN.exec((text || "").trim());
    return m ? Number(m[1]) * 100 + Number((m[2] || "0").padEnd(2, "0")) : null;
  }

  function field(name, label, attrs = {}, input = (a) => h("input", a)) {
    return h("label", { class: `field f-${name}` }, h("span", {}, t(label)),
      input({ name, "data-testid": `c-${name}`, ...attrs }));
  }

  async function load() {
    const answer = await api("GET", `/api/cases${openOnly ? "?status=open" : ""}`);
    if (!answer.ok) { if (answer.status !== 401) sayRefusal(answer); return; }
    list = answer.body.cases;
    draw();
  }

  async function show(no) {
    const answer = await api("GET", `/api/cases/${no}`);
    if (!answer.ok) { if (answer.status !== 401) sayRefusal(answer); return; }
    shown = answer.body;
    holder = {};
    evidence = null;
    draw();
  }

  // a case waiting for the backend is read again on the page's refresh: the outbox may have its
  // answer by now. Drawn again only once answered, keeping a note being typed meanwhile.
  async function reread() {
    if (!shown || shown.case.status !== "waiting") return;
    const no = shown.case.no;
    const answer = await api("GET", `/api/cases/${no}`);
    if (!answer.ok || !shown || shown.case.no !== no || answer.body.case.status === "waiting") return;
    const note = () => panel && panel.querySelector('[data-testid="ca-note-reason"]');
    const typed = note() ? note().value : "";
    shown = answer.body;
    draw();
    if (typed && note()) note().value = typed;
  }

  async function act(path, body, button) {
    if (button) button.disabled = true;
    const answer = await api("POST", `/api/cases/${shown.case.no}/${path}`, body);
    if (button) button.disabled = false;
    if (!answer.ok) { if (answer.status !== 401) sayRefusal(answer); return; }
    if (answer.body.case) shown = answer.body;
    holder = {};
    const printed = answer.body.voucher_printed;
    say(printed === undefined ? t("c_done", shown.case.no) : printed ? t("c_voucher_printed") : t("c_voucher_not"),
      printed === false ? "error" : "done");
    draw();
  }

  async function openCase(event) {
    event.preventDefault();
    const f = event.target.elements;
    const body = { phone: f.phone.value.trim() || null, note: f.note.value.trim() || null };
    if (f.ref.value.trim()) body.ref = f.ref.value.trim();
    else {
      body.claim = fen(f.claim.value);
      if (body.claim === null) { say(t("bad_amount"), "error"); return; }
      if (f.when_date.value) body.when = `${normalDay(f.when_date.value)} ${normalTime(f.when_time.value) || "00:00"}`;
      if (f.account.value.trim()) body.account = f.account.value.trim();
    }
    const answer = await api("POST", "/api/cases", body);
    if (!answer.ok) { if (answer.status !== 401) sayRefusal(answer); return; }
    shown = answer.body;
    holder = {};
    evidence = null;
    say(t("c_done", shown.case.no));
    draw();
  }

  async function lookup(action, input) {
    const answer = await api("GET", `/api/accounts/${encodeURIComponent(input.value.trim())}`);
    if (!answer.ok) { if (answer.status !== 401) sayRefusal(answer); return; }
    holder[action] = answer.body;
    say("");
    draw();
  }

  async function showEvidence() {
    const answer = await api("GET", `/api/cases/${shown.case.no}/evidence?lang=${lang}`);
    if (!answer.ok) { if (answer.status !== 401) sayRefusal(answer); return; }
    evidence = answer.body.text;
    draw();
  }

  function newCaseForm() {
    return h("details", { class: "new-case", "data-testid": "case-new" }, h("summary", {}, t("c_new")),
      h("form", { class: "search", onsubmit: openCase, "data-testid": "case-open-form" },
        field("ref", "c_on_payment", { inputmode: "numeric" }),
        field("claim", "c_claim", { inputmode: "decimal" }),
        h("div", { class: "pair" }, field("when_date", "c_when", {}, dayInput), field("when_time", "c_when", {}, timeInput)),
        field("account", "c_account", { inputmode: "numeric" }),
        field("phone", "c_phone", { inputmode: "tel" }),
        field("note", "c_note"),
        h("div", { class: "actions" }, h("button", { type: "submit", "data-testid": "case-open" }, t("c_open")))));
  }

  function listView() {
    const filter = h("div", { class: "actions filter" },
      h("button", { type: "button", class: openOnly ? "now" : null, onclick: () => { openOnly = true; load(); } }, t("c_open_only")),
      h("button", { type: "button", class: openOnly ? null : "now", onclick: () => { openOnly = false; load(); } }, t("c_all")));
    const items = (list || []).map((c) => h("li", {}, h("button", { type: "button", class: "txn", "data-testid": "case",
      "data-no": c.no, onclick: () => show(c.no) },
    h("span", { class: "head" }, h("strong", {}, `${t("c_case", c.no)} · ${money(c.amount)}`),
      h("span", { class: `state cs-${c.status}` }, t("c_statuses")[c.status])),
    h("span", {}, `${t("c_kinds")[c.kind]} ${c.account || ""}`), h("span", { class: "meta" }, when(c.opened)))));
    return [may("case_open") && newCaseForm(), filter,
      list && list.length === 0 ? h("p", {}, t("c_none")) : h("ul", { class: "txns", "data-testid": "cases" }, items)];
  }

  function row(label, value, testid) {
    return [h("dt", {}, t(label)), h("dd", { "data-testid": testid }, value ?? "—")];
  }

  function about(c, p) {
    if (p) {
      return [row("c_payment", `#${p.seq} · ${p.account} ${p.holder} · ${money(p.amount)} · ${t("c_txn_states")[p.state] || p.state}`
        + (p.reason ? ` (${reasonWords(p)})` : "") + (p.ref ? ` · ${p.ref}` : ""), "cd-payment"),
      p.opened_reason && row("opened_reason", words(p, "opened"), "cd-opened"),
      row("notes_in", (p.notes || []).map((n) => `${money(n.value)} ${clock(n.at)}`).join(" · "), "cd-notes")];
    }
    const count = c.found === null ? t("c_unchecked") : c.found ? t("c_found") : t("c_not_found");
    return [row("c_claimed", `${money(c.amount)} · ${when(c.claimed_at)} · ${c.account || ""}`, "cd-claim"),
      row("c_count", count, "cd-count")];
  }

  function stepText(s) {
    const d = s.data;
    const parts = [t("c_steps_names")[s.step] || s.step];
    if (d.state) parts.push(t("c_states")[d.state] || d.state);
    if (d.text) parts.push(d.text);
    if (d.account) parts.push(d.to ? `${d.account} → ${d.to}` : d.account);
    if (d.amount && s.step !== "opened") parts.push(money(d.amount));
    if (d.ref) parts.push(`${t("c_ref")} ${d.ref}`);
    if (d.reason) parts.push(`${t("c_reason")}: ${d.reason}`);
    if (d.approved_by) {
      parts.push(`${t("c_paid_by")} ${d.paid_by} ${d.paid_by_name || ""}`.trim() + " / "
        + `${t("c_approved_by")} ${d.approved_by} ${d.approved_by_name || ""}`.trim());
    }
    return parts.join(" · ");
  }

  function accountAction(action, label) {
    // an account typed, looked up, its holder confirmed, then the request with a reason
    const found = holder[action];
    const input = h("input", { name: "account", inputmode: "numeric", "data-testid": `ca-${action}-account`,
      value: found ? found.account : "" });
    const reason = h("input", { name: "reason", "data-testid": `ca-${action}-reason` });
    return h("form", { class: "case-action", "data-testid": `ca-${action}`, onsubmit: (e) => e.preventDefault() },
      h("h3", {}, t("c_actions")[action]),
      h("label", { class: "field" }, h("span", {}, t(label)), input),
      h("button", { type: "button", "data-testid": `ca-${action}-lookup`, onclick: () => lookup(action, input) }, t("c_lookup")),
      found && h("p", { class: "holder", "data-testid": `ca-${action}-holder` }, t("c_confirm_holder", found.holder)),
      found && h("label", { class: "field" }, h("span", {}, t("c_reason")), reason),
      found && h("button", { type: "button", "data-testid": `ca-${action}-go`, onclick: (e) => act(action,
        action === "void" ? { to: found.account, holder: found.holder, reason: reason.value }
          : { account: found.account, holder: found.holder, reason: reason.value }, e.target) }, t("c_actions")[action]));
  }

  function reasonAction(action, extra = {}) {
    const reason = h("input", { name: "reason", "data-testid": `ca-${action}-reason` });
    return h("form", { class: "case-action", "data-testid": `ca-${action}`, onsubmit: (e) => e.preventDefault() },
      h("h3", {}, t("c_actions")[action]), h("label", { class: "field" }, h("span", {}, t(action === "note" ? "c_note" : "c_reason")), reason),
      h("button", { type: "button", "data-testid": `ca-${action}-go`, onclick: (e) => act(action === "reject" ? "close" : action,
        action === "note" ? { text: reason.value } : { reason: reason.value, ...extra }, e.target) }, t("c_actions")[action]));
  }

  function refundAction(c) {
    const input = (name, attrs = {}) => h("input", { name, "data-testid": `ca-refund-${name}`, ...attrs });
    const reason = input("reason");
    const approver = input("approver", { inputmode: "numeric", autocomplete: "off" });
    const pin = input("pin", { type: "password", autocomplete: "off" });
    const vlang = h("select", { "data-testid": "ca-refund-lang" }, h("option", { value: "zh-CN" }, "中文"),
      h("option", { value: "en" }, "English"));
    return h("form", { class: "case-action", "data-testid": "ca-refund", onsubmit: (e) => e.preventDefault() },
      h("h3", {}, t("c_actions").refund),
      h("p", {}, `${t("c_amount")}: ${money(c.amount)}`),
      h("label", { class: "field" }, h("span", {}, t("c_reason")), reason),
      h("label", { class: "field" }, h("span", {}, t("c_approver")), approver),
      h("label", { class: "field" }, h("span", {}, t("c_approver_pin")), pin),
      h("label", { class: "field" }, h("span", {}, t("c_voucher_lang")), vlang),
      h("button", { type: "button", "data-testid": "ca-refund-go", onclick: (e) => {
        const body = { amount: c.amount, reason: reason.value, approver: approver.value.trim(),
          approver_secret: pin.value, lang: vlang.value };
        pin.value = "";
        act("refund", body, e.target);
      } }, t("c_actions").refund));
  }

  function detail() {
    const c = shown.case;
    const mayDo = shown.may.filter((a) => a !== "note");
    const actions = [];
    if (shown.may.includes("note") && may("case_note")) actions.push(reasonAction("note"));
    if (mayDo.includes("recredit") && may("case_recredit")) actions.push(accountAction("recredit", "c_account"));
    if (mayDo.includes("void") && may("case_void")) actions.push(accountAction("void", "c_to"));
    if (mayDo.includes("refund") && may("case_refund")) actions.push(refundAction(c));
    if (mayDo.includes("writeoff") && may("case_writeoff")) actions.push(reasonAction("writeoff"));
    if (mayDo.includes("close") && may("case_close")) actions.push(reasonAction("close"));
    if (mayDo.includes("reject") && may("case_close")) actions.push(reasonAction("reject", { reject: true }));
    const refunded = shown.outcomes.some((o) => o.kind === "refund");
    return h("article", { class: "detail case", "data-testid": "case-detail", "data-no": c.no, "data-status": c.status },
      h("h2", {}, `${t("c_case", c.no)} · ${t("c_kinds")[c.kind]} · ${money(c.amount)}`,
        h("span", { class: `state cs-${c.status}`, "data-testid": "cd-status" }, t("c_statuses")[c.status])),
      h("dl", { class: "figures" }, ...about(c, shown.payment),
        row("c_contact", c.phone || (c.contact_erased ? t("c_erased") : t("none")), "cd-phone"),
        row("c_may", shown.may.map((a) => t("c_actions")[a]).join("、") || t("none"), "cd-may")),
      h("h3", {}, t("c_steps")),
      h("ol", { class: "steps", "data-testid": "cd-steps" }, shown.steps.map((s) => h("li", { "data-step": s.step },
        h("span", { class: "meta" }, `${when(s.at)} · ${s.by}`), " ", stepText(s)))),
      h("h3", {}, t("c_outcomes")),
      h("ul", { class: "notes", "data-testid": "cd-outcomes" }, shown.outcomes.length ? shown.outcomes.map((o) =>
        h("li", { "data-kind": o.kind, "data-state": o.state }, `${t("c_actions")[o.kind] || o.kind} · `
          + `${t("c_states")[o.state]} · ${money(o.amount)}${o.account ? ` → ${o.account} ${o.holder || ""}` : ""}`
          + `${o.ref ? ` · ${o.ref}` : ""}`)) : [h("li", {}, t("none"))]),
      h("div", { class: "case-actions" }, actions),
      h("div", { class: "actions" },
        h("button", { type: "button", "data-testid": "case-evidence", onclick: showEvidence }, t("c_evidence")),
        refunded && may("case_voucher") && h("button", { type: "button", "data-testid": "case-voucher",
          onclick: (e) => act("voucher", { lang }, e.target) }, t("c_voucher_copy")),
        h("button", { type: "button", "data-testid": "case-back", onclick: () => { shown = evidence = null; say(""); load(); } }, t("c_back"))),
      evidence && h("section", { class: "evidence", "data-testid": "case-evidence-text" },
        h("button", { type: "button", onclick: () => window.print() }, t("c_print_page")), h("pre", {}, evidence)));
  }

  function draw() {
    if (!panel) return;
    panel.replaceChildren(...(shown ? [detail()] : listView()));
  }

  registerTab({ id: "cases", label: "tab_cases", action: "case_view",
    render: (p) => { panel = p; if (shown) draw(); else load(); }, refresh: reread });
})();
