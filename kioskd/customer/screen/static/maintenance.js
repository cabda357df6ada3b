// Maintenance screen: the dual-custody session as the technicians see it on the kiosk display,
// driven by the keypad. Renders the snapshot's `custody` object (kioskd/custody/steps.py):
// each step, every refusal in plain words, and how the session ended. Uses h(), yuan(),
// `locale` and `skewMs` from the customer screen's scripts; sends nothing itself.
"use strict";

// Everything here is private to this file (the customer's views have names of their own);
// only viewMaintenance is handed to views.js.
const viewMaintenance = (() => {
  const MAINT_TEXT = {
    "zh-CN": {
      heading: "设备维护 · 钱箱双人监管",
      steps: ["登录", "取出钱箱", "清点", "确认", "结果"],
      tech: (n) => (n === 1 ? "技术员一" : "技术员二"),
      id_title: (n) => `${n === 1 ? "技术员一" : "技术员二"}：请输入工号`,
      pin_title: (n) => `${n === 1 ? "技术员一" : "技术员二"}：请输入密码`,
      id_of: (id) => `工号 ${id}`,
      entry_empty: "（尚未输入）",
      login_hint: "输入完毕请按“确认”；按“取消”结束维护",
      logged_in: (who) => `${who} 已登录`,
      wait_second: "请第二位技术员在规定时间内登录",
      countdown: (s) => `剩余 ${s} 秒`,
      bad_pin: (n) => `密码错误，还可再试 ${n} 次。请重新输入工号`,
      bad_pin_confirm: (n) => `密码错误，还可再试 ${n} 次`,
      unknown: "工号不存在，请重新输入",
      not_technician: "该工号不是技术员，不能开启钱箱",
      open_title: "两位技术员已登录：可以打开钱箱",
      statement: { printed: "终端现金对账单已打印", failed: "终端现金对账单未能打印（已记录，可补打）" },
      box_in: "请取出钱箱；清点后放入空钱箱，清点即开始",
      box_out: "钱箱已取出。清点完毕后请放入空钱箱",
      open_hint: "不取出钱箱直接清点：请按“确认”",
      count_title: "清点：请逐项输入张数",
      count_hint: "每项输入后按“确认”；空白时按“退格”返回上一项",
      line_notes: (v) => `${yuan(v)} 纸币`,
      line_counterfeit: "假币（张）",
      line_cf_value: (i) => `第 ${i} 张假币：面额（元）`,
      line_cf_serial: (i) => `第 ${i} 张假币：冠字号`,
      serial_hint: "冠字号中的字母：先按数字键，再按“完成”键切换字母（2=ABC … 9=WXYZ）",
      refused: { bad_value: "面额不对：请输入本机收取的面额（元）", bad_serial: "请输入冠字号（字母和数字，最多 12 位）",
        too_many: "假币张数最多 20 张" },
      typing: "正在输入",
      confirm_title: (n, who) => `请${n === 1 ? "技术员一" : "技术员二"}（${who}）输入密码确认清点结果`,
      confirm_hint: "确认无误请输入密码后按“确认”；按“退格”返回修改",
      ended_title: { match: "清点相符", mismatch: "清点不符", aborted: "维护已结束" },
      reasons: {
        cancelled: "维护已取消。",
        timeout: "等待超时：未在规定时间内完成两位技术员的登录。",
        same_technician: "同一技术员不能登录两次：开启钱箱需要两位不同的技术员。",
        locked: (e) => `工号 ${e.staff} 密码错误次数过多，已锁定，请于 ${until(e.locked_until)} 后再试。`,
        disabled: (e) => `工号 ${e.staff} 已停用，不能开启钱箱。`,
        same_key_holder: "两位技术员持有同一把钥匙（见钥匙交接记录），不能共同开启钱箱；请换另一位技术员。",
      },
      aborted_box: "钱箱未被授权取出；如需开启钱箱，请两位技术员重新开始。",
      cols: ["面额", "应有", "真币", "假币", "差额"],
      verdict: { match: "相符", over: (d) => `多 ${d} 张`, short: (d) => `少 ${-d} 张` },
      counterfeit: (n) => `假币：${n} 张`,
      difference: (m) => `金额差额：${m}`,
      totals: (t) => [`应有 ${yuan(t.expected)}`, `真币 ${yuan(t.counted)}`, t.counterfeit && `假币 ${yuan(t.counterfeit)}`,
        t.over && `长款 ${yuan(t.over)}`, t.short && `短款 ${yuan(t.short)}`].filter(Boolean).join(" · "),
      serials: "假币冠字号",
      mismatch_note: "差额已记录并告警，请按规定处理。",
      differences: (n) => `已登记 ${n} 笔差额，待说明并经经理审批（可向厂商索赔）`,
      handover: { printed: "交接记录已打印，请两位技术员签字", failed: "交接记录未能打印（已记录，可用 kioskctl handover show --print 补打）" },
      digest: "记录摘要",
      leave: "按任意键返回",
      leaving: "即将返回服务…",
    },
    en: {
      heading: "Maintenance · cash box under dual custody",
      steps: ["Log in", "Box out", "Count", "Confirm", "Result"],
      tech: (n) => `Technician ${n}`,
      id_title: (n) => `Technician ${n}: type your staff ID`,
      pin_title: (n) => `Technician ${n}: type your PIN`,
      id_of: (id) => `Staff ID ${id}`,
      entry_empty: "(nothing typed yet)",
      login_hint: "Press Confirm when done; Cancel ends the maintenance",
      logged_in: (who) => `${who} logged in`,
      wait_second: "The second technician must log in before the time runs out",
      countdown: (s) => `${s} s left`,
      bad_pin: (n) => `Wrong PIN, ${n} ${n === 1 ? "try" : "tries"} left. Type the staff ID again`,
      bad_pin_confirm: (n) => `Wrong PIN, ${n} ${n === 1 ? "try" : "tries"} left`,
      unknown: "No such staff ID; type it again",
      not_technician: "This staff ID is not a technician's and cannot open the cash box",
      open_title: "Both technicians logged in: the cash box may be opened",
      statement: { printed: "Terminal cash statement printed",
        failed: "The terminal cash statement could not be printed (it is recorded; reprint it later)" },
      box_in: "Take the cash box out; counting starts when an empty box is put back",
      box_out: "Cash box out. Put an empty box in when you have counted",
      open_hint: "To count without taking the box out, press Confirm",
      count_title: "Count: type the number of notes, line by line",
      count_hint: "Press Confirm after each line; Delete on an empty line goes back one",
      line_notes: (v) => `${yuan(v)} notes`,
      line_counterfeit: "Counterfeit notes",
      line_cf_value: (i) => `Counterfeit ${i}: face value (yuan)`,
      line_cf_serial: (i) => `Counterfeit ${i}: serial number`,
      serial_hint: "Letters of the serial number: press the digit, then Finish to turn it into its letters (2=ABC … 9=WXYZ)",
      refused: { bad_value: "Not a note this kiosk takes: type its value in yuan",
        bad_serial: "Type the serial number (letters and digits, at most 12)", too_many: "At most 20 counterfeit notes" },
      typing: "typing",
      confirm_title: (n, who) => `Technician ${n} (${who}): type your PIN to confirm the count`,
      confirm_hint: "Type your PIN and press Confirm; Delete goes back to correct the count",
      ended_title: { match: "Count matches", mismatch: "Count does not match", aborted: "Maintenance ended" },
      reasons: {
        cancelled: "The maintenance was cancelled.",
        timeout: "Timed out: the two technicians did not both log in in time.",
        same_technician: "The same technician cannot log in twice: opening the box takes two different technicians.",
        locked: (e) => `Staff ID ${e.staff} is locked after too many wrong PINs; try again after ${until(e.locked_until)}.`,
        disabled: (e) => `Staff ID ${e.staff} is disabled and cannot open the cash box.`,
        same_key_holder: "The two technicians hold the same key (see the key register) and may not open the box together; another technician must come.",
      },
      aborted_box: "The cash box was not released; to open it, two technicians start again.",
      cols: ["Note", "Expected", "Genuine", "Counterfeit", "Difference"],
      verdict: { match: "matches", over: (d) => `${d} over`, short: (d) => `${-d} short` },
      counterfeit: (n) => `Counterfeit notes: ${n}`,
      difference: (m) => `Difference in money: ${m}`,
      totals: (t) => [`Expected ${yuan(t.expected)}`, `genuine ${yuan(t.counted)}`, t.counterfeit && `counterfeit ${yuan(t.counterfeit)}`,
        t.over && `over ${yuan(t.over)}`, t.short && `short ${yuan(t.short)}`].filter(Boolean).join(" · "),
      serials: "Counterfeit serial numbers",
      mismatch_note: "The difference is recorded and reported; handle it as the rules say.",
      differences: (n) => `${n} ${n === 1 ? "difference" : "differences"} to explain; a manager approves`,
      handover: { printed: "Handover record printed: both sign it",
        failed: "The handover record could not be printed (it is recorded; kioskctl handover show --print prints it)" },
      digest: "Record digest",
      leave: "Press any key to go back",
      leaving: "Returning to service…",
    },
  };

  function mt(key, ...args) {
    const value = (MAINT_TEXT[locale] || MAINT_TEXT["zh-CN"])[key];
    return typeof value === "function" ? value(...args) : value;
  }

  function until(iso) {
    // when a lock-out ends: the time alone today, with the date on another day (a long lock-out, near
    // midnight); "today" by the kiosk's clock, in the kiosk's own time zone
    const d = new Date(iso);
    if (isNaN(d)) return iso || "";
    // non-breaking hyphens (U+2011): the line wraps before the date, never inside it
    const day = (x) => `${x.getFullYear()}\u2011${pad(x.getMonth() + 1)}\u2011${pad(x.getDate())}`;
    const time = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
    return day(d) === day(new Date(Date.now() + skewMs)) ? time : `${day(d)} ${time}`;
  }

  function pad(n) {
    return String(n).padStart(2, "0");
  }

  function who(tech) {
    return tech ? `${tech.id} ${tech.name}` : "";
  }

  // Which of the five stages a step belongs to (the stage bar at the top).
  function stageOf(step) {
    if (step.startsWith("tech")) return 0;
    if (step === "open") return 1;
    if (step === "count") return 2;
    if (step.startsWith("confirm")) return 3;
    return 4;
  }

  function stageBar(c) {
    const now = stageOf(c.step);
    const aborted = c.outcome === "aborted"; // the stages before were not all gone through
    return h("ol", { class: "maint-stages", "data-testid": "maint-stages" },
      mt("steps").map((name, i) => h("li", { class: i === now ? "now" : i < now && !aborted ? "done" : null }, name)));
  }

  function entryBox(c, masked) {
    const text = c.entry ? (masked ? "●".repeat(c.entry.length) : c.entry) : mt("entry_empty");
    return h("div", { class: "entry maint-entry" + (c.entry ? "" : " empty"), "data-testid": "maint-entry" }, text);
  }

  function problem(text) {
    return text && h("p", { class: "error", "data-testid": "maint-error" }, text);
  }

  function loginMessage(c) {
    if (c.message === "bad_pin") return mt("bad_pin", c.tries_left);
    if (c.message === "unknown" || c.message === "not_technician") return mt(c.message);
    return null;
  }

  function secondsLeft(deadline) {
    return Math.max(0, Math.ceil((Number(deadline) - (Date.now() + skewMs)) / 1000));
  }

  function countdown(c) {
    if (!c.deadline) return null;
    const left = secondsLeft(c.deadline);
    return h("p", { class: "maint-countdown" + (left <= 30 ? " urgent" : ""), "data-testid": "maint-countdown",
      "data-deadline": c.deadline, "data-seconds": left }, mt("countdown", left));
  }

  function loggedIn(c) {
    return c.tech1 && h("p", { class: "maint-ok", "data-testid": "maint-tech1" }, "✓ " +
      mt("logged_in", `${mt("tech", 1)} ${who(c.tech1)}`));
  }

  function viewLogin(c) {
    const n = c.step.startsWith("tech1") ? 1 : 2;
    const pin = c.step.endsWith("_pin");
    return [
      h("h1", { "data-testid": "title" }, pin ? mt("pin_title", n) : mt("id_title", n)),
      n === 2 && loggedIn(c),
      n === 2 && !pin && h("p", { class: "lead" }, mt("wait_second")),
      pin && h("p", { class: "lead", "data-testid": "maint-id" }, mt("id_of", c.tech_id)),
      entryBox(c, pin),
      problem(loginMessage(c)),
      countdown(c),
      h("p", { class: "hint" }, mt("login_hint")),
    ];
  }

  function statementLine(status) {
    return status && h("p", { class: status === "printed" ? "maint-ok" : "error", "data-testid": "maint-statement" },
      (status === "printed" ? "✓ " : "") + mt("statement")[status]);
  }

  function viewOpen(c) {
    return [
      h("h1", { "data-testid": "title" }, mt("open_title")),
      h("p", { class: "lead" }, `${who(c.tech1)} · ${who(c.tech2)}`),
      statementLine(c.statement),
      h("p", { class: "maint-box" + (c.box_out ? " out" : ""), "data-testid": "maint-box" },
        c.box_out ? mt("box_out") : mt("box_in")),
      !c.box_out && h("p", { class: "hint" }, mt("open_hint")),
    ];
  }

  function lineName(line) {
    if (line.kind === "counterfeit") return mt("line_counterfeit");
    if (line.kind === "cf_value") return mt("line_cf_value", line.index);
    if (line.kind === "cf_serial") return mt("line_cf_serial", line.index);
    return mt("line_notes", line.value);
  }

  // A figure as entered: a counterfeit's value in yuan, a serial as typed, else the number of notes.
  function shownFigure(line, value) {
    return line.kind === "cf_value" ? yuan(value) : String(value);
  }

  // The count so far: one row per line, the line being typed highlighted; never the expected figures.
  function countTable(c) {
    return h("table", { class: "maint-count" + (c.lines.length > 8 ? " long" : ""), "data-testid": "maint-count" },
      c.lines.map((line, i) => {
        const current = i === c.line;
        const figure = current ? (c.entry || "_") : (line.key in c.entered ? shownFigure(line, c.entered[line.key]) : "");
        return h("tr", { class: current ? "now" : null, "data-key": line.key },
          h("td", {}, lineName(line)),
          h("td", { class: "figure", "data-testid": current ? "maint-current" : null }, figure),
          h("td", { class: "small" }, current ? mt("typing") : ""));
      }));
  }

  function viewCount(c) {
    const line = c.line === null ? null : c.lines[c.line];
    return [
      h("h1", { "data-testid": "title" }, mt("count_title")),
      c.box_out && h("p", { class: "maint-box out" }, mt("box_out")),
      countTable(c),
      problem(c.message && mt("refused")[c.message]),
      h("p", { class: "hint" }, line && line.kind === "cf_serial" ? mt("serial_hint") : mt("count_hint")),
    ];
  }

  function viewConfirm(c) {
    const n = c.step === "confirm1" ? 1 : 2;
    return [
      h("h1", { "data-testid": "title" }, mt("confirm_title", n, who(n === 1 ? c.tech1 : c.tech2))),
      n === 2 && h("p", { class: "maint-ok" }, "✓ " + mt("logged_in", `${mt("tech", 1)} ${who(c.tech1)}`)),
      countTable(c),
      entryBox(c, true),
      problem(c.message === "bad_pin" ? mt("bad_pin_confirm", c.tries_left) : null),
      h("p", { class: "hint" }, mt("confirm_hint")),
    ];
  }

  function verdictText(r) {
    return r.verdict === "match" ? mt("verdict").match : mt("verdict")[r.verdict](r.diff);
  }

  function resultTable(rows) {
    return h("table", { class: "maint-result", "data-testid": "maint-result" },
      h("tr", {}, mt("cols").map((name) => h("th", {}, name))),
      rows.map((r) => h("tr", { class: `verdict-${r.verdict}`, "data-value": r.value },
        h("td", {}, yuan(r.value)), h("td", {}, String(r.expected)), h("td", {}, String(r.counted)),
        h("td", { class: r.counterfeit ? "counterfeit" : null }, String(r.counterfeit || 0)),
        h("td", { class: "verdict" }, verdictText(r)))));
  }

  function handoverLines(c) {
    const fakes = c.counterfeits || [];
    return [
      fakes.length > 0 && h("p", { class: "maint-small", "data-testid": "maint-serials" },
        `${mt("serials")} (${fakes.length}): ${fakes.map((n) => `${yuan(n.value)} ${n.serial}`).join("，")}`),
      c.totals && h("p", { class: "maint-small", "data-testid": "maint-totals" }, mt("totals", c.totals)),
      c.differences > 0 && h("p", { class: "maint-small warn", "data-testid": "maint-differences" },
        mt("differences", c.differences)),
      c.handover && h("p", { class: "maint-small " + (c.handover === "printed" ? "ok" : "error"), "data-testid": "maint-handover" },
        (c.handover === "printed" ? "✓ " : "") + mt("handover")[c.handover]
        + (c.digest ? ` · ${mt("digest")}: ${c.digest.slice(0, 16)}…` : "")),
    ];
  }

  function viewEnded(c) {
    const reason = c.reason && mt("reasons")[c.reason];
    // money: the totals when the kiosk sent them (counterfeits are money missing), else per row
    const difference = c.totals ? c.totals.difference : (c.result || []).reduce((sum, r) => sum + r.diff * r.value, 0);
    return [
      h("h1", { "data-testid": "title", class: `maint-${c.outcome}` }, mt("ended_title")[c.outcome]),
      c.result && h("p", { class: "lead" }, `${who(c.tech1)} · ${who(c.tech2)}`),
      reason && h("p", { class: "error", "data-testid": "maint-reason" }, typeof reason === "function" ? reason(c) : reason),
      c.outcome === "aborted" && h("p", { class: "hint" }, mt("aborted_box")),
      c.result && resultTable(c.result.filter((r) => r.expected || r.counted || r.counterfeit)),
      c.result && c.outcome === "mismatch" && h("p", { class: "lead", "data-testid": "maint-difference" },
        mt("difference", yuan(difference))),
      c.result && !(c.counterfeits && c.counterfeits.length) && h("p", { class: "maint-small", "data-testid": "maint-counterfeit" },
        mt("counterfeit", c.counterfeit)),
      ...(c.result ? handoverLines(c) : []),
      c.outcome === "mismatch" && !c.differences && h("p", { class: "hint" }, mt("mismatch_note")),
      !c.handover && statementLine(c.statement),
      h("p", { class: "maint-leave", "data-testid": "maint-leave" }, c.acknowledged ? mt("leaving") : mt("leave")),
    ];
  }

  function viewMaintenance(s) {
    const c = s.custody;
    if (!c) return [title("maintenance_title"), h("p", { class: "lead" }, t("maintenance_body"))];
    if (c.mode === "patrol") return viewPatrol(c); // a patrol check-in (patrol.js), not a custody session
    const body = c.step === "ended" ? viewEnded(c)
      : c.step === "open" ? viewOpen(c)
        : c.step === "count" ? viewCount(c)
          : c.step.startsWith("confirm") ? viewConfirm(c) : viewLogin(c);
    return [h("p", { class: "maint-heading" }, mt("heading")), stageBar(c),
      h("div", { class: "maint", "data-testid": "maint", "data-step": c.step }, body)];
  }

  // The login countdown, recomputed from its deadline like the customer's.
  function maintenanceTick() {
    const el = document.querySelector("[data-testid=maint-countdown]");
    if (!el) return;
    const left = secondsLeft(el.dataset.deadline);
    el.dataset.seconds = String(left);
    el.textContent = mt("countdown", left);
    el.classList.toggle("urgent", left <= 30);
  }

  setInterval(maintenanceTick, 250);
  return viewMaintenance;
})();
