// Staff page tab: the kiosk's status and its alerts (refreshed), acknowledge and clear.
"use strict";

(() => {
  function alertTitle(a) {
    return lang === "en" ? a.title_en : a.title_zh;
  }

  function reasonLine(item, line) {
    // a backend refusal in words; its code is for a support call: in the tooltip, and shown under
    // the words only when they are the generic phrase
    if (item.reason_zh === undefined) return h("span", { class: "meta", "data-testid": "alert-reason" }, line(item.reason));
    return h("span", { class: "meta", "data-testid": "alert-reason", title: item.reason },
      line(words(item, "reason")),
      item.reason_known ? null : h("small", { class: "code", "data-testid": "reason-code" }, t("code", item.reason)));
  }

  function causeLines(a) {
    // why a device failed, in words (the code beneath only for the generic phrase); the driver's own
    // English is a secondary line for the technician, never the words
    return [h("span", { class: "meta", "data-testid": "alert-reason", title: a.cause },
      `${t("reason")}: ${words(a, "cause")}`,
      a.cause_known ? null : h("small", { class: "code", "data-testid": "reason-code" }, t("code", a.cause || "-"))),
    a.cause_detail ? h("small", { class: "code", "data-testid": "alert-raw" },
      t(LINK_ALERTS.has(a.code) ? "link_said" : "device_said", a.cause_detail)) : null];
  }

  // alerts whose secondary line is the backend link's own error, not a device's
  const LINK_ALERTS = new Set(["backend_unreachable", "clock_skew"]);

  function deviceRow([name, value], alerts) {
    // "online", a door position, or the code of the open alert that keeps it from working
    const alert = alerts.find((a) => a.code === value);
    const text = t("device_states")[value] || (alert ? alertTitle(alert) : value);
    return h("li", { "data-testid": `device-${name}`, "data-value": value,
      class: value === "online" || value === "closed" ? "ok" : "trouble" },
    `${t("device_names")[name] || name}: ${text}`);
  }

  async function act(alert, verb) {
    const answer = await api("POST", `/api/alerts/${encodeURIComponent(alert.id)}/${verb}`);
    if (answer.ok) say(`${t(verb === "ack" ? "acked" : "cleared")}: ${alertTitle(alert)}`);
    else if (answer.status !== 401) sayRefusal(answer);
    await refresh();
  }

  function alertCard(a) {
    const state = a.state === "acknowledged" && a.acknowledged_by ? t("acked_by", a.acknowledged_by)
      : (t("alert_states")[a.state] || a.state);
    const buttons = [];
    if (a.state === "raised" && may("alert_ack")) {
      buttons.push(h("button", { type: "button", "data-testid": "ack", onclick: (e) => {
        e.target.disabled = true; act(a, "ack");
      } }, t("ack")));
    }
    if (may("alert_clear")) {
      buttons.push(h("button", { type: "button", "data-testid": "clear", onclick: (e) => {
        e.target.disabled = true; act(a, "clear");
      } }, t("clear")));
    }
    return h("li", { class: `alert sev-${a.severity}`, "data-testid": "alert", "data-code": a.code,
      "data-state": a.state },
    h("strong", {}, alertTitle(a)),
    h("span", { class: "meta" }, `${t("severities")[a.severity] || a.severity} · ${when(a.raised_at || a.at)}`),
    h("span", { class: "meta" }, state),
    a.cause_zh !== undefined ? causeLines(a)
      : a.detail && a.detail.reason ? reasonLine({ ...a, reason: a.detail.reason }, (said) => `${t("reason")}: ${said}`)
        : null,
    buttons.length ? h("span", { class: "actions" }, buttons) : null);
  }

  function uplinkCell(s) {
    // payments the backend has not answered, batches to send, and a batch it refuses (the chain waits)
    const up = s.uplink;
    const r = up.refused;
    const refusal = !r ? null : h("p", { class: r.cleared ? "" : "trouble", "data-testid": "uplink-refused",
      "data-seq": r.seq, "data-cleared": r.cleared ? "yes" : "no", title: r.reason },
    r.cleared ? t("uplink_refused_past", r.seq, when(r.since), when(r.cleared))
      : t("uplink_refused", r.seq, when(r.since), words(r, "reason")),
    r.reason_known || r.cleared ? null : h("small", { class: "code", "data-testid": "reason-code" }, t("code", r.reason)));
    return h("dd", { "data-testid": "uplink", "data-batches": up.batches_waiting },
      t("uplink_line", up.pending.count, money(up.pending.amount, s.currency), up.batches_waiting), refusal);
  }

  function render(panel) {
    if (!last) return;
    const s = last.status;
    const alerts = last.alerts;
    const depth = Object.values(s.outbox || {}).reduce((sum, n) => sum + n, 0);
    panel.replaceChildren(
      h("h2", {}, t("status")),
      h("dl", { class: "figures" },
        // staff read words; the code stays in the cell's title and data-state for a support call
        h("dt", {}, t("state")), h("dd", { "data-testid": "state", "data-state": s.state, title: s.state },
          words(s, "state")),
        h("dt", {}, t("devices")),
        h("dd", {}, h("ul", { class: "devices", "data-testid": "devices" },
          Object.entries(s.devices).map((d) => deviceRow(d, alerts)))),
        h("dt", {}, t("box")), h("dd", { "data-testid": "box" }, t("notes", s.box.notes, money(s.box.total, s.currency))),
        h("dt", {}, t("outbox")), h("dd", { "data-testid": "outbox" }, t("items", depth)),
        h("dt", {}, t("backend")), h("dd", { "data-testid": "backend" }, when(s.last_backend_contact)),
        h("dt", {}, t("uplink")), uplinkCell(s)),
      h("h2", {}, t("alerts")),
      alerts.length ? h("ul", { class: "alerts", "data-testid": "alerts" }, alerts.map(alertCard))
        : h("p", { "data-testid": "no-alerts" }, t("no_alerts")));
  }

  registerTab({ id: "status", label: "tab_status", action: null, render,
    refresh: () => render($("panels").querySelector('[data-tab="status"]')) });
})();
