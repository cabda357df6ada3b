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
    // an empty table says so: headers alone read as a page that did not finish
    return h("table", { class: "figures-table", "data-testid": testid },
      h("tr", {}, head.map((x) => h("th", {}, x))),
      rows.length ? rows.map((r) => h("tr", {}, r.map((x) => h("td", {}, x))))
        : h("tr", { "data-testid": `${testid}-none` }, h("td", { colspan: head.length }, t("none"))));
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
      h("p", {}, `${t("box_now")}: ${t("notes", r.box.notes, money(r.box.total, r.currency))}`),
      r.registers && differencesView(r.registers, r.currency));
  }

  // The day's count differences and vendor claims, and the differences still open as the close states them:
  // count, total, per kind, the oldest carried over and the day's first ones, how many more are not listed
  // (docs/spec/registers.md "Open differences in the close"); the full list is the registers tab's.
  function differencesView(fig, currency) {
    const yuan = (fen) => money(fen, currency);
    const perKey = (figures, words) => Object.entries(figures)
      .map(([k, f]) => t("diff_kind", words[k] || k, f.count, yuan(f.total))).join(t("diff_sep")) || t("none");
    const open = fig.open;
    const part = (testid, title, p, rows) => p.count > 0 && h("div", { "data-testid": testid },
      h("p", {}, `${title}: ${t("diff_figure", p.count, yuan(p.total))}`),
      table(`${testid}-listed`, t("diff_cols"), rows.map((d) =>
        [`#${d.no}`, t("r_kinds")[d.kind] || d.kind, yuan(d.value), d.serial || "", when(d.at)])),
      p.count > rows.length && h("p", { "data-testid": `${testid}-more` }, t("diff_more", p.count - rows.length)));
    return h("section", { class: "report-differences", "data-testid": "daily-differences" },
      h("h4", {}, t("diffs_counted")),
      h("p", { "data-testid": "differences-counted" }, perKey(fig.differences, t("r_kinds"))),
      h("h4", {}, t("diffs_open")),
      h("p", { "data-testid": "open-differences" }, open.count ? t("diff_figure", open.count, yuan(open.total)) : t("none")),
      open.count > 0 && [
        h("p", { "data-testid": "open-by-kind" }, perKey(open.by_kind, t("r_kinds"))),
        part("open-earlier", t("diff_earlier"), open.earlier, open.earlier.oldest),
        part("open-period", t("diff_period"), open.period, open.period.listed),
        may("register_view") && h("p", {}, h("button", { type: "button", "data-testid": "open-full-list",
          onclick: () => showTab("registers", "differences") }, t("diff_full")))],
      h("h4", {}, t("claims")),
      h("p", { "data-testid": "claims-counted" }, perKey(fig.claims, t("r_statuses"))));
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
    panel.replaceChildren(...[  // the DOM's replaceChildren writes a report not shown as the text "null"
      h("section", { class: "report-form" }, h("h2", {}, t("daily")),
        h("div", { class: "inline" }, dateInput("date", "report-date"),
          h("button", { type: "button", "data-testid": "daily-show", onclick: () => daily(false) }, t("show")),
          may("report_print") && h("button", { type: "button", "data-testid": "daily-print",
            onclick: () => daily(true) }, t("print")))),
      state.daily && dailyView(state.daily),
      h("section", { class: "report-form" }, h("h2", {}, t("range")),
        h("div", { class: "inline" }, dateInput("since", "range-since"), "…", dateInput("until", "range-until"),
          h("button", { type: "button", "data-testid": "range-show", onclick: range }, t("show")))),
      state.range && rangeView(state.range)].filter(Boolean));
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
