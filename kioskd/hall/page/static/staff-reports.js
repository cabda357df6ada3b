// Staff page tab: the daily report (日结) of a date, printed on request, and the report of a range of days.
"use strict";

(() => {
  const state = { date: "", since: "", until: "", daily: null, range: null };
  let panel = null;

  function today(offsetDays = 0) {
    // the kiosk's date (its time zone), not the phone's, counted back in whole days
    const d = new Date(`${last.status.today}T12:00:00Z`);
    d.setUTCDate(d.getUTCDate() + offsetDays);
    return d.toISOString().slice(0, 10);
  }

  async function daily(print) {
    const path = `/api/reports/daily?date=${encodeURIComponent(state.date)}`;
    const answer = print ? await api("POST", path, { print: true }) : await api("GET", path);
    if (!answer.ok) { if (answer.status !== 401) sayRefusal(answer); return; }
    state.daily = answer.body.report;
    say(print ? t("printed") : "");
    draw();
  }

  async function range() {
    const params = new URLSearchParams({ since: state.since, until: state.until });
    const answer = await api("GET", `/api/reports/range?${params}`);
    if (!answer.ok) { if (answer.status !== 401) sayRefusal(answer); return; }
    state.range = answer.body.report;
    say("");
    draw();
  }

  function dateInput(key, testid) {
    return dayInput({ value: state[key], "data-testid": testid, onchange: (e) => { state[key] = e.target.value; } });
  }

  function table(testid, head, rows) {
    return h("table", { class: "figures-table", "data-testid": testid },
      h("tr", {}, head.map((x) => h("th", {}, x))),
      rows.map((r) => h("tr", {}, r.map((x) => h("td", {}, x)))));
  }

  function byNote(report) {
    return table("by-note", [t("by_note"), t("count"), t("total")],
      Object.entries(report.by_note).map(([v, f]) => [money(Number(v), report.currency), f.count,
        money(f.total, report.currency)]));
  }

  function byStatus(report) {
    return table("by-status", [t("by_status"), t("count"), t("total")],
      Object.entries(report.by_status).map(([s, f]) => [t("txn_states")[s] || s, f.count,
        money(f.total, report.currency)]));
  }

  function totals(report, testid) {
    return h("dl", { class: "figures", "data-testid": testid },
      h("dt", {}, t("count")), h("dd", { "data-testid": `${testid}-count` }, report.count),
      h("dt", {}, t("total")), h("dd", { "data-testid": `${testid}-total` }, money(report.total, report.currency)),
      report.average !== undefined && [h("dt", {}, t("average")), h("dd", {}, money(report.average, report.currency))]);
  }

  function dailyView(r) {
    const brief = (b) => h("li", {}, `#${b.seq} ${b.account} ${money(b.amount, r.currency)}`);
    return h("article", { class: "report", "data-testid": "daily-report", "data-date": r.date },
      h("h3", {}, `${t("daily")} ${r.date}`), totals(r, "daily"), byStatus(r), byNote(r),
      h("p", {}, `${t("pending")}: `, r.pending.length ? h("ul", {}, r.pending.map(brief)) : t("none")),
      h("p", {}, `${t("flagged")}: `, r.flagged.length ? h("ul", {}, r.flagged.map(brief)) : t("none")),
      h("p", {}, `${t("box_today")}: ${t("notes", r.box_today.notes, money(r.box_today.total, r.currency))}`),
      h("p", {}, `${t("box_now")}: ${t("notes", r.box.notes, money(r.box.total, r.currency))}`));
  }

  function rangeView(r) {
    return h("article", { class: "report", "data-testid": "range-report" },
      h("h3", {}, `${t("range")} ${r.first} … ${r.last}`), totals(r, "range"),
      table("by-day", [t("date"), t("count"), t("total")],
        Object.entries(r.days).map(([d, f]) => [d, f.count, money(f.total, r.currency)])),
      byStatus(r), byNote(r));
  }

  function draw() {
    if (!panel) return;
    panel.replaceChildren(
      h("section", { class: "report-form" }, h("h2", {}, t("daily")),
        h("div", { class: "inline" }, dateInput("date", "report-date"),
          h("button", { type: "button", "data-testid": "daily-show", onclick: () => daily(false) }, t("show")),
          may("report_print") && h("button", { type: "button", "data-testid": "daily-print",
            onclick: () => daily(true) }, t("print")))),
      state.daily && dailyView(state.daily),
      h("section", { class: "report-form" }, h("h2", {}, t("range")),
        h("div", { class: "inline" }, dateInput("since", "range-since"), "…", dateInput("until", "range-until"),
          h("button", { type: "button", "data-testid": "range-show", onclick: range }, t("show")))),
      state.range && rangeView(state.range));
  }

  registerTab({ id: "reports", label: "tab_reports", action: "report_view",
    render: (p) => {
      panel = p;
      state.date ||= today();
      state.until ||= today();
      state.since ||= today(-6);
      draw();
    } });
})();
