// Patrol check-in (巡检签到) on the kiosk display: `finish` at the idle screen, the duty staff's ID
// and PIN, then three checks answered 1 (fine) or 0 (a problem). Renders the snapshot's `custody`
// object when its mode is "patrol" (kioskd/hall/registers/patrol_desk.py). Uses h() and `locale`
// from the customer screen's scripts; maintenance.js hands such snapshots here.
"use strict";

const viewPatrol = (() => {
  const PATROL_TEXT = {
    "zh-CN": {
      heading: "巡检签到",
      id_title: "请输入工号", pin_title: "请输入密码", id_of: (id) => `工号 ${id}`, empty: "（尚未输入）",
      login_hint: "输入完毕请按“确认”；按“取消”返回",
      checks: { screen_ok: "屏幕显示正常吗？", paper_ok: "打印机有纸吗？", seal_ok: "机身无撬动痕迹吗？" },
      check_hint: "正常请按 1，有问题请按 0；按“取消”返回",
      answers: { true: "正常", false: "有问题" },
      refused: { bad_secret: "工号或密码不对，请重新输入工号", unknown: "工号或密码不对，请重新输入工号",
        locked: "该工号已锁定，请稍后再试", disabled: "该工号已停用", not_permitted: "该工号不能登记巡检" },
      ended: { recorded: "巡检已登记", cancelled: "巡检已取消", timeout: "等待超时，巡检未登记", refused: "巡检未登记" },
      note_hint: (no) => `巡检 ${no}：请到工作人员页面“巡检”中为这次巡检补充问题说明`,
      leave: "按任意键返回", leaving: "即将返回服务…",
    },
    en: {
      heading: "Patrol check-in",
      id_title: "Type your staff ID", pin_title: "Type your PIN", id_of: (id) => `Staff ID ${id}`, empty: "(nothing yet)",
      login_hint: "Press Confirm when done; Cancel goes back",
      checks: { screen_ok: "Does the screen work?", paper_ok: "Is there paper in the printer?",
        seal_ok: "No signs of tampering on the kiosk?" },
      check_hint: "Press 1 if fine, 0 if there is a problem; Cancel goes back",
      answers: { true: "fine", false: "problem" },
      refused: { bad_secret: "Wrong staff ID or PIN: type your staff ID again",
        unknown: "Wrong staff ID or PIN: type your staff ID again", locked: "This staff ID is locked; try later",
        disabled: "This staff ID is disabled", not_permitted: "This staff ID may not record patrols" },
      ended: { recorded: "Patrol recorded", cancelled: "Patrol cancelled", timeout: "Timed out: no patrol recorded",
        refused: "No patrol recorded" },
      note_hint: (no) => `Patrol ${no}: add a note saying what you found to it under Patrols on the staff page`,
      leave: "Press any key to go back", leaving: "Going back to service…",
    },
  };

  function pt(key, ...args) {
    const value = (PATROL_TEXT[locale] || PATROL_TEXT["zh-CN"])[key];
    return typeof value === "function" ? value(...args) : value;
  }

  function answered(c) {
    return h("table", { class: "maint-count", "data-testid": "patrol-checks" },
      Object.keys(pt("checks")).map((name) => h("tr", { class: c.step === name ? "now" : null },
        h("td", {}, pt("checks")[name]),
        h("td", { class: "figure" }, name in c.checks ? pt("answers")[c.checks[name]] : c.step === name ? "_" : ""))));
  }

  function body(c) {
    const error = c.message && h("p", { class: "error", "data-testid": "maint-error" }, pt("refused")[c.message] || c.message);
    if (c.step === "ended") {
      const problems = Object.values(c.checks).some((ok) => !ok);
      return [h("h1", { "data-testid": "title", class: c.outcome === "recorded" ? "maint-match" : "maint-aborted" },
        pt("ended")[c.outcome]), c.person && h("p", { class: "lead" }, `${c.person.id} ${c.person.name}`),
      c.outcome === "recorded" && answered(c), error,
      c.outcome === "recorded" && problems && h("p", { class: "hint", "data-testid": "patrol-note-hint" }, pt("note_hint", c.patrol)),
      h("p", { class: "maint-leave", "data-testid": "maint-leave" }, c.acknowledged ? pt("leaving") : pt("leave"))];
    }
    if (c.step === "id" || c.step === "pin") {
      const pin = c.step === "pin";
      const text = c.entry ? (pin ? "●".repeat(c.entry.length) : c.entry) : pt("empty");
      return [h("h1", { "data-testid": "title" }, pin ? pt("pin_title") : pt("id_title")),
        pin && h("p", { class: "lead" }, pt("id_of", c.staff)),
        h("div", { class: "entry maint-entry" + (c.entry ? "" : " empty"), "data-testid": "maint-entry" }, text),
        error, h("p", { class: "hint" }, pt("login_hint"))];
    }
    return [h("h1", { "data-testid": "title" }, pt("checks")[c.step]),
      c.person && h("p", { class: "lead" }, `${c.person.id} ${c.person.name}`), answered(c),
      h("p", { class: "hint" }, pt("check_hint"))];
  }

  return (c) => [h("p", { class: "maint-heading" }, pt("heading")),
    h("div", { class: "maint", "data-testid": "maint", "data-step": c.step, "data-mode": "patrol" }, body(c))];
})();
