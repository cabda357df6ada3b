// Staff page tab: the hall's registers. Count differences (explained by one person, approved by a
// manager with their own PIN), vendor claims (settled by a manager, the form printed), the key
// register (a key handed on, the receiver confirming with their PIN), patrols (check in) and the
// work log. The same commands as kioskctl difference/claim/key/patrol/audit list (POST /api/registers/CMD).
"use strict";

(() => {
  Object.assign(TEXT["zh-CN"], {
    tab_registers: "登记簿", r_sections: { differences: "清点差额", claims: "厂商索赔", keys: "钥匙交接",
      patrols: "巡检", worklog: "工作日志" },
    r_none: "无", r_kinds: { over: "长款", short: "短款", counterfeit: "假币" }, r_open: "待处理", r_resolved: "已处理",
    r_outcomes: { case: "对应差错单", receipt: "对应客户凭条", surplus: "长款入账", vendor_claim: "向厂商索赔", loss: "损失核销" },
    r_outcome: "处理方式", r_diff_cols: ["", "编号", "类型", "面额", "冠字号", "清点时间", ""],
    r_explain: "说明", r_ref: "差错单号或凭条流水号", r_approver: "审批经理工号", r_approver_pin: "审批经理密码",
    r_resolve: "提交审批", r_resolved_done: (n, c) => `已处理 ${n} 笔差额` + (c ? `，索赔单 ${c}` : ""),
    r_may_be: (nos) => `可能对应差错单 ${nos}`, r_doubt: (no) => `去向不明纸币 ${no}`, r_month: "月份", r_claim: (no) => `索赔单 ${no}`,
    r_statuses: { claimed: "已索赔", compensated: "已赔付", rejected: "已拒赔", bad_debt: "坏账核销" },
    r_settle: "更新状态", r_vendor_ref: "厂商编号", r_print: "打印", r_printed: "已打印",
    r_holders: "当前持有人", r_copy: "钥匙编号", r_key_kinds: { terminal: "机门钥匙", box: "钱箱钥匙" },
    r_new_kind: "新钥匙类型（发放时）", r_to: "接收人工号", r_to_pin: "接收人密码", r_reason: "事由",
    r_hand: "交接", r_from_to: "交出 → 接收", r_handed: (c, to) => `${c} 已交给 ${to}`, r_handovers: "本月交接",
    r_checks: { screen_ok: "屏幕正常", paper_ok: "打印纸正常", seal_ok: "无撬动痕迹" }, r_note: "备注",
    r_check_in: "巡检签到", r_checked: "巡检已登记", r_today: "今日巡检", r_result: "检查结果", r_sep: "、",
    r_found: { screen_ok: "屏幕异常", paper_ok: "打印纸异常", seal_ok: "有撬动痕迹" },
    r_day: "日期", r_kind: "类型", r_person: "工号", r_show: "查询", r_cols: ["编号", "时间", "类型", "人员", "内容"],
    r_patrol_no: "巡检号", r_added: (at, who, note) => `补充（${at} ${who}）：${note}`, r_no_note: "尚无问题说明",
    r_add_note: "补充说明", r_add: "添加", r_note_added: (no) => `已为巡检 ${no} 补充说明`,
    r_newer: "‹ 较新的条目", r_older: "较早的条目 ›", r_entries: (a, b) => `条目 #${a} – #${b}`,
    r_open_sum: (n, total) => `未处理差额共 ${n} 笔，合计 ${total}`, r_diff_prev: "‹ 上一页", r_diff_next: "下一页 ›",
    r_diff_shown: (a, b) => `差额 #${a} – #${b}`,
  });
  Object.assign(TEXT.en, {
    tab_registers: "Registers", r_sections: { differences: "Differences", claims: "Vendor claims", keys: "Keys",
      patrols: "Patrols", worklog: "Work log" },
    r_none: "none", r_kinds: { over: "over", short: "short", counterfeit: "counterfeit" }, r_open: "open",
    r_resolved: "resolved",
    r_outcomes: { case: "a customer's case", receipt: "a customer's receipt", surplus: "surplus",
      vendor_claim: "claim from the vendor", loss: "write off as a loss" },
    r_outcome: "Outcome", r_diff_cols: ["", "No.", "Kind", "Note", "Serial", "Counted", ""],
    r_explain: "Explanation", r_ref: "Case no. or receipt serial", r_approver: "Approving manager's ID",
    r_approver_pin: "Approving manager's PIN", r_resolve: "Submit for approval",
    r_resolved_done: (n, c) => `${n} settled` + (c ? `, claim ${c}` : ""), r_may_be: (nos) => `may be case ${nos}`,
    r_doubt: (no) => `in-doubt note ${no}`,
    r_month: "Month", r_claim: (no) => `Claim ${no}`,
    r_statuses: { claimed: "claimed", compensated: "compensated", rejected: "rejected", bad_debt: "bad debt" },
    r_settle: "Update", r_vendor_ref: "Vendor ref", r_print: "Print", r_printed: "Printed",
    r_holders: "Held now by", r_copy: "Key copy", r_key_kinds: { terminal: "terminal key", box: "cash-box key" },
    r_new_kind: "Kind (issuing a new copy)", r_to: "Receiver's ID", r_to_pin: "Receiver's PIN", r_reason: "Reason",
    r_hand: "Hand over", r_from_to: "from → to", r_handed: (c, to) => `${c} handed to ${to}`, r_handovers: "Handovers this month",
    r_checks: { screen_ok: "screen works", paper_ok: "paper in", seal_ok: "no signs of tampering" }, r_note: "Note",
    r_check_in: "Check in", r_checked: "Patrol recorded", r_today: "Patrols today", r_result: "Checks", r_sep: ", ",
    r_found: { screen_ok: "screen fault", paper_ok: "paper problem", seal_ok: "signs of tampering" },
    r_day: "Date", r_kind: "Kind", r_person: "Staff ID", r_show: "Show", r_cols: ["No.", "Time", "Kind", "Who", "Details"],
    r_patrol_no: "Patrol", r_added: (at, who, note) => `added ${at} by ${who}: ${note}`, r_no_note: "no note on the problem yet",
    r_add_note: "Add a note", r_add: "Add", r_note_added: (no) => `Note added to patrol ${no}`,
    r_newer: "‹ Newer entries", r_older: "Older entries ›", r_entries: (a, b) => `entries #${a} – #${b}`,
    r_open_sum: (n, total) => `${n} differences open, ${total} in all`, r_diff_prev: "‹ Previous page",
    r_diff_next: "Next page ›", r_diff_shown: (a, b) => `differences #${a} – #${b}`,
  });

  // the work log a page at a time, newest first; `at` is the page's cursor (kioskd.control.registers worklog)
  const LOG_PAGE = 100;
  const NEWEST = { newest: true };
  // the open differences 100 a page, oldest first; `pages` holds the `after` cursor of each page shown so far
  const view = { section: "differences", data: null, log: { day: "", kind: "", person: "", at: NEWEST }, pages: [null] };
  let panel = null;

  async function call(cmd, body = {}) {
    const answer = await api("POST", `/api/registers/${cmd}`, body);
    if (!answer.ok) { if (answer.status !== 401) sayRefusal(answer); return null; }
    return answer.body;
  }

  function field(label, attrs) {
    return h("label", { class: "field" }, h("span", {}, label), h("input", attrs));
  }

  function choice(name, options, labels, testid) {
    return h("select", { name, "data-testid": testid }, options.map((o) => h("option", { value: o }, labels[o] || o)));
  }

  function table(testid, head, rows) {
    return h("table", { class: "figures-table", "data-testid": testid },
      h("tr", {}, head.map((x) => h("th", {}, x))), rows.map((r) => h("tr", {}, r.map((x) => h("td", {}, x)))));
  }

  function form(testid, onsubmit, ...children) {
    return h("form", { class: "register-form", "data-testid": testid, onsubmit: async (e) => {
      e.preventDefault();
      const done = await onsubmit(e.target.elements);
      if (done) { say(done); await load(); }
    } }, ...children);
  }

  // -- sections ------------------------------------------------------------------------------
  function differences(d) {
    const open = d.differences;
    const rows = open.map((x) => h("tr", { "data-no": x.id },
      h("td", {}, h("input", { type: "checkbox", name: "no", value: x.id, "data-testid": `diff-${x.id}` })),
      h("td", {}, `#${x.id}`), h("td", {}, t("r_kinds")[x.kind]), h("td", {}, money(x.value)),
      h("td", {}, x.serial || ""), h("td", {}, when(x.at)),
      h("td", {}, [x.doubt_note && t("r_doubt", x.doubt_note.id),
        x.cases.length && t("r_may_be", x.cases.map((c) => c.no).join(", "))].filter(Boolean).join(t("r_sep")))));
    return [
      d.open && h("p", { class: "lead", "data-testid": "open-summary" }, t("r_open_sum", d.open.count, money(d.open.total))),
      h("table", { class: "figures-table", "data-testid": "differences" }, rows.length
        ? [h("tr", {}, t("r_diff_cols").map((c) => h("th", {}, c))), ...rows] : h("tr", {}, h("td", {}, t("r_none")))),
      differencePager(d),
      open.length > 0 && form("resolve", async (el) => {
        const nos = [...panel.querySelectorAll('input[name="no"]:checked')].map((x) => Number(x.value));
        const done = await call("difference_resolve", { nos, outcome: el.outcome.value, explanation: el.explanation.value,
          ref: el.ref.value, approver: el.approver.value, approver_secret: el.approver_secret.value });
        return done && t("r_resolved_done", done.resolved.length, done.claim);
      }, h("label", { class: "field" }, h("span", {}, t("r_outcome")),
        choice("outcome", Object.keys(t("r_outcomes")), t("r_outcomes"), "outcome")),
      field(t("r_explain"), { name: "explanation", required: true, maxlength: 500, "data-testid": "explanation" }),
      field(t("r_ref"), { name: "ref", "data-testid": "ref" }),
      field(t("r_approver"), { name: "approver", required: true, inputmode: "numeric", "data-testid": "approver" }),
      field(t("r_approver_pin"), { name: "approver_secret", type: "password", required: true, "data-testid": "approver-pin" }),
      h("button", { type: "submit", "data-testid": "resolve-button" }, t("r_resolve"))),
    ];
  }

  function claims(d) {
    return [
      h("p", { class: "lead with-action" }, `${t("r_month")}: ${d.month}`,
        h("button", { type: "button", "data-testid": "claims-print", onclick: async () => {
          if (await call("claim_list", { month: d.month, print: true, lang })) say(t("r_printed"));
        } }, t("r_print"))),
      d.claims.length === 0 ? h("p", {}, t("r_none")) : d.claims.map((c) => h("div", { class: "claim", "data-testid": `claim-${c.id}` },
        h("h3", {}, `${t("r_claim", c.id)} · ${money(c.amount)} · ${t("r_statuses")[c.status]}`),
        h("p", {}, c.differences.map((x) => `${t("r_kinds")[x.kind]} ${money(x.value)} ${x.serial || ""}`.trim()).join(t("r_sep"))),
        h("button", { type: "button", onclick: async () => {
          if (await call("claim_show", { no: c.id, print: true, lang })) say(t("r_printed"));
        } }, t("r_print")),
        may("claim_settle") && ["claimed", "rejected"].includes(c.status) && form(`settle-${c.id}`, async (el) => {
          const done = await call("claim_settle", { no: c.id, status: el.status.value, vendor_ref: el.vendor_ref.value });
          return done && `${t("r_claim", c.id)}: ${t("r_statuses")[done.claim.status]}`;
        }, choice("status", c.status === "claimed" ? ["compensated", "rejected", "bad_debt"] : ["bad_debt"],
          t("r_statuses"), `settle-status-${c.id}`),
        field(t("r_vendor_ref"), { name: "vendor_ref" }),
        h("button", { type: "submit", "data-testid": `settle-button-${c.id}` }, t("r_settle"))))),
    ];
  }

  function keys(d) {
    return [
      h("h3", {}, t("r_holders")),
      table("key-holders", [t("r_copy"), t("r_kind"), t("r_person")],
        d.copies.map((c) => [c.id, t("r_key_kinds")[c.key], `${c.holder} ${c.holder_name || ""}`])),
      form("key-hand", async (el) => {
        const done = await call("key_hand", { copy: el.copy.value, to: el.to.value, to_secret: el.to_secret.value,
          reason: el.reason.value, key: el.key.value || null });
        return done && t("r_handed", done.handover.copy, done.handover.to);
      }, field(t("r_copy"), { name: "copy", required: true, "data-testid": "key-copy" }),
      h("label", { class: "field" }, h("span", {}, t("r_new_kind")),
        h("select", { name: "key" }, h("option", { value: "" }, "—"),
          ["terminal", "box"].map((k) => h("option", { value: k }, t("r_key_kinds")[k])))),
      field(t("r_to"), { name: "to", required: true, inputmode: "numeric", "data-testid": "key-to" }),
      field(t("r_to_pin"), { name: "to_secret", type: "password", required: true, "data-testid": "key-to-pin" }),
      field(t("r_reason"), { name: "reason", required: true, "data-testid": "key-reason" }),
      h("button", { type: "submit", "data-testid": "key-hand-button" }, t("r_hand"))),
      h("h3", {}, t("r_handovers")),
      table("key-handovers", [t("r_cols")[1], t("r_copy"), t("r_from_to"), t("r_reason")], d.handovers.map((x) =>
        [when(x.at), x.copy, `${x.from_id ? `${x.from_id} ${x.from_name || ""}` : "—"} → ${x.to_id} ${x.to_name || ""}`, x.reason])),
    ];
  }

  function patrols(d) {
    const checks = Object.keys(t("r_checks"));
    return [
      form("patrol", async (el) => {
        const body = { note: el.note.value };
        for (const c of checks) body[c] = el[c].checked;
        return (await call("patrol_check", body)) && t("r_checked");
      }, checks.map((c) => h("label", { class: "check" },
        h("input", { type: "checkbox", name: c, checked: true, "data-testid": `patrol-${c}` }), t("r_checks")[c])),
      field(t("r_note"), { name: "note", maxlength: 500, "data-testid": "patrol-note" }),
      h("button", { type: "submit", "data-testid": "patrol-button" }, t("r_check_in"))),
      h("h3", {}, t("r_today")),
      // a check not fine is named as what was found ("paper problem"), not as the box's label ("paper in")
      table("patrols", [t("r_patrol_no"), t("r_cols")[1], t("r_cols")[3], t("r_result"), t("r_note")], d.patrols.map((p) => [
        `#${p.id}`, when(p.at), `${p.by} ${p.by_name}`,
        checks.filter((c) => !p[c]).map((c) => t("r_found")[c]).join(t("r_sep")) || "✓", patrolNotes(p, checks)])),
    ];
  }

  // a patrol's note, the notes added to it afterwards (who, when), and on one that found a problem a
  // form to add one (a keypad check-in has no letters): each its own chain entry, the patrol unchanged
  function patrolNotes(p, checks) {
    const problem = checks.some((c) => !p[c]);
    return h("div", { "data-testid": `patrol-notes-${p.id}` }, p.note && h("p", {}, p.note),
      p.notes.map((n) => h("p", { class: "added" }, t("r_added", when(n.at), `${n.by} ${n.by_name}`.trim(), n.note))),
      problem && !p.note && !p.notes.length && h("p", { class: "error" }, t("r_no_note")),
      problem && form(`patrol-add-${p.id}`, async (el) => {
        const done = await call("patrol_note", { no: p.id, note: el.note.value });
        return done && t("r_note_added", p.id);
      }, field(t("r_add_note"), { name: "note", required: true, maxlength: 500, "data-testid": `patrol-add-note-${p.id}` }),
      h("button", { type: "submit", "data-testid": `patrol-add-button-${p.id}` }, t("r_add"))));
  }

  function worklog(d) {
    return [
      form("worklog-filter", async (el) => {
        Object.assign(view.log, { day: normalDay(el.day.value), kind: el.kind.value, person: el.person.value, at: NEWEST });
        return " ";
      }, h("label", { class: "field" }, h("span", {}, t("r_day")), dayInput({ name: "day", value: view.log.day })),
      h("label", { class: "field" }, h("span", {}, t("r_kind")),
        h("select", { name: "kind", "data-testid": "worklog-kind" }, h("option", { value: "" }, "—"),
          Object.keys(d.names).map((k) => h("option", { value: k, selected: k === view.log.kind }, named(d, k))))),
      field(t("r_person"), { name: "person", value: view.log.person }),
      h("button", { type: "submit", "data-testid": "worklog-show" }, t("r_show"))),
      table("worklog", t("r_cols"), d.entries.slice().reverse().map((e) =>
        [String(e.seq), when(e.at), named(d, e.kind), who(e.data), (e.words || {})[lang] || ""])),
      pager(d),
    ];
  }

  // the previous and next page of differences: the reply's `newer` is the next page's cursor
  function differencePager(d) {
    const go = (pages) => async () => { view.pages = pages; await load(); };
    const rows = d.differences;
    return h("p", { class: "pager", "data-testid": "differences-pager" },
      h("button", { type: "button", disabled: view.pages.length < 2, "data-testid": "differences-prev",
        onclick: go(view.pages.slice(0, -1)) }, t("r_diff_prev")),
      h("span", { "data-testid": "differences-shown" }, rows.length ? t("r_diff_shown", rows[0].id, rows[rows.length - 1].id) : ""),
      h("button", { type: "button", disabled: d.newer === null, "data-testid": "differences-next",
        onclick: go([...view.pages, d.newer]) }, t("r_diff_next")));
  }

  // newer and older pages of the work log, by the entry numbers the reply gives as cursors
  function pager(d) {
    const go = (at) => async () => { view.log.at = at; await load(); };
    const shown = d.entries.length ? t("r_entries", d.entries[0].seq, d.entries[d.entries.length - 1].seq) : "";
    return h("p", { class: "pager", "data-testid": "worklog-pager" },
      h("button", { type: "button", disabled: d.newer === null, "data-testid": "worklog-newer",
        onclick: go({ after: d.newer }) }, t("r_newer")),
      h("span", { "data-testid": "worklog-shown" }, shown),
      h("button", { type: "button", disabled: d.older === null, "data-testid": "worklog-older",
        onclick: go({ before: d.older }) }, t("r_older")));
  }

  // an entry's kind in words (kioskd/hall/registers/events.py); the identifier for one it has none for
  function named(d, kind) {
    return (d.names[kind] || {})[lang] || kind;
  }

  // the person an entry names, as the printed work log does (kioskd/hall/registers/paper.py `who`)
  function who(d) {
    if (d.by) return `${d.by} ${d.by_name || ""}`.trim();
    const techs = [d.tech1, d.tech2].filter(Boolean);
    if (techs.length) return techs.join("+");
    if (Array.isArray(d.confirmed_by)) return d.confirmed_by.join("+");
    return d.staff || "";
  }

  const SECTIONS = {
    differences: [() => call("difference_list", { after: view.pages[view.pages.length - 1] }), differences],
    claims: [() => call("claim_list", {}), claims],
    keys: [() => call("key_list", {}), keys],
    patrols: [() => call("patrol_list", {}), patrols],
    worklog: [() => call("worklog", { since: view.log.day || null, until: view.log.day || null,
      kind: view.log.kind || null, person: view.log.person || null, limit: LOG_PAGE, ...view.log.at }), worklog],
  };

  // only the newest load draws: a slow reply of a section left meanwhile (or of an older page) would be
  // drawn as the section now shown
  let loads = 0;
  async function load() {
    const ticket = ++loads;
    const data = await SECTIONS[view.section][0]();
    if (ticket !== loads) return;
    view.data = data;
    draw();
  }

  function openSection(section) {
    view.section = section;
    view.data = null;
    view.log.at = NEWEST;
    view.pages = [null];
  }

  function draw() {
    if (!panel) return;
    const nav = h("nav", { class: "subtabs", "data-testid": "register-sections" }, Object.keys(SECTIONS).map((s) =>
      h("button", { type: "button", class: s === view.section ? "now" : null, "data-testid": `section-${s}`,
        onclick: () => { openSection(s); load(); } }, t("r_sections")[s])));
    const body = view.data ? SECTIONS[view.section][1](view.data) : [];
    panel.replaceChildren(nav, h("div", { "data-testid": `register-${view.section}` }, ...body));
  }

  registerTab({
    id: "registers", label: "tab_registers", action: "register_view",
    render: (el, section) => { panel = el; if (SECTIONS[section]) openSection(section); draw(); load(); },
    refresh: () => {},
  });
})();
