// Staff page tab: payments looked up by serial, transaction ID, account, time and amount; one
// payment in full (notes with times, the backend's answer) and a receipt reprint.
"use strict";

(() => {
  const YUAN = /^(\d{1,9})(?:\.(\d{1,2}))?$/;
  const REPRINTABLE = ["credited", "pending", "flagged"];
  const FIELDS = ["ref", "account", "from_date", "from_time", "to_date", "to_time", "amount"];
  const query = {}; // what was typed, kept across re-renders and languages
  let found = null; // the last list of payments
  let shown = null; // the payment opened

  function fen(text) {
    // yuan as typed ("125", "125.5") to integer fen, without floating point
    const m = YUAN.exec(text.trim());
    return m ? Number(m[1]) * 100 + Number((m[2] || "0").padEnd(2, "0")) : null;
  }

  function moment(date, time, end) {
    // a date (the whole day) or a date and time, both as the kiosk's clock reads them
    if (!date) return null;
    const day = normalDay(date), at = normalTime(time);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) throw new RangeError(t("bad_day"));
    if (at && !/^\d{2}:\d{2}$/.test(at)) throw new RangeError(t("bad_time"));
    return at ? `${day}T${at}${end ? ":59" : ":00"}` : day;
  }

  function stateName(state) {
    return t("txn_states")[state] || state;
  }

  async function search(event) {
    event.preventDefault();
    for (const name of FIELDS) query[name] = event.target.elements[name].value;
    const params = new URLSearchParams();
    if (query.ref.trim()) params.set("ref", query.ref.trim());
    if (query.account.trim()) params.set("account", query.account.trim());
    let since, until;
    try {
      since = moment(query.from_date, query.from_time, false);
      until = moment(query.to_date, query.to_time, true);
    } catch (err) { say(err.message, "error"); return; }
    if (since) params.set("since", since);
    if (until) params.set("until", until);
    if (query.amount.trim()) {
      const amount = fen(query.amount);
      if (amount === null) { say(t("bad_amount"), "error"); return; }
      params.set("amount", String(amount));
    }
    const answer = await api("GET", `/api/txns?${params}`);
    if (!answer.ok) { if (answer.status !== 401) sayRefusal(answer); return; }
    say("");
    shown = null;
    found = answer.body.txns || (answer.body.txn ? [answer.body.txn] : []);
    if (answer.body.txn) shown = answer.body.txn; // a serial or ID names one payment: open it
    draw();
  }

  async function open(item) {
    const answer = await api("GET", `/api/txns/${encodeURIComponent(item.seq || item.txn)}`);
    if (!answer.ok) { if (answer.status !== 401) sayRefusal(answer); return; }
    shown = answer.body.txn;
    say("");
    draw();
  }

  async function reprint(txn, button) {
    button.disabled = true;
    const answer = await api("POST", `/api/txns/${encodeURIComponent(txn.seq)}/reprint`);
    if (answer.ok) say(t("reprinted", answer.body.duplicate));
    else if (answer.status !== 401) sayRefusal(answer);
    button.disabled = false;
  }

  function field(name, label, attrs = {}, input = (a) => h("input", a)) {
    return h("label", { class: `field f-${name}` }, h("span", {}, t(label)),
      input({ name, value: query[name] || "", "data-testid": `q-${name}`, ...attrs }));
  }

  function form() {
    return h("form", { class: "search", "data-testid": "txn-search", onsubmit: search },
      field("ref", "ref", { inputmode: "numeric" }),
      field("account", "account", { inputmode: "numeric" }),
      h("div", { class: "pair" }, field("from_date", "from", {}, dayInput), field("from_time", "from", {}, timeInput)),
      h("div", { class: "pair" }, field("to_date", "to", {}, dayInput), field("to_time", "to", {}, timeInput)),
      field("amount", "amount_yuan", { inputmode: "decimal" }),
      h("div", { class: "actions" },
        h("button", { type: "submit", "data-testid": "txn-search-button" }, t("search")),
        h("button", { type: "button", onclick: () => {
          for (const name of FIELDS) query[name] = "";
          found = shown = null;
          draw();
        } }, t("reset"))));
  }

  function listItem(x) {
    return h("li", {}, h("button", { type: "button", class: "txn", "data-testid": "txn", "data-seq": x.seq,
      onclick: () => open(x) },
    h("span", { class: "head" }, h("strong", {}, `#${x.seq} · ${money(x.amount)}`),
      h("span", { class: `state st-${x.state}` }, stateName(x.state))),
    h("span", {}, `${x.account} ${x.holder || ""}`), h("span", { class: "meta" }, when(x.started))));
  }

  function row(label, value, testid) {
    return [h("dt", {}, t(label)), h("dd", { "data-testid": testid }, value ?? "—")];
  }

  function detail(x) {
    const canReprint = x.seq && REPRINTABLE.includes(x.state) && may("receipt_reprint");
    const reprintButton = canReprint && h("button", { type: "button", "data-testid": "reprint",
      onclick: (e) => reprint(x, e.target) }, t("reprint"));
    return h("article", { class: "detail", "data-testid": "txn-detail", "data-seq": x.seq },
      h("h2", {}, `${x.seq ? `#${x.seq} · ` : ""}${money(x.amount)} · ${stateName(x.state)}`),
      h("dl", { class: "figures" },
        row("seq", x.seq, "d-seq"), row("txn", x.id, "d-txn"), row("account", x.account, "d-account"),
        row("holder", x.holder, "d-holder"), row("state", stateName(x.state), "d-state"),
        row("amount", money(x.amount), "d-amount"), row("due", money(x.due), "d-due"),
        x.balance !== null && row("balance", money(x.balance), "d-balance"),
        row("backend_ref", x.ref, "d-ref"),
        x.opened_reason && row("opened_reason", words(x, "opened"), "d-opened"),
        x.reason && row("reason", reasonWords(x), "d-reason"),
        row("started", when(x.started), "d-started"), row("ended", when(x.ended), "d-ended"),
        row("notes_in", h("ul", { class: "notes", "data-testid": "d-notes" },
          (x.notes || []).map((n) => h("li", {}, `${money(n.value)} · ${when(n.at)}`)))),
        (x.in_doubt || []).length > 0 && row("in_doubt", h("ul", { class: "notes doubts", "data-testid": "d-doubts" },
          x.in_doubt.map((d) => h("li", { "data-state": d.state },
            `${t("doubt_line", d.id, money(d.value), when(d.at))} — ${t("doubt_states")[d.state]}` +
            (d.settled ? ` (${d.settled_by}, ${when(d.settled)})` : "")))), "d-doubts-row")),
      h("div", { class: "actions" }, reprintButton,
        h("button", { type: "button", "data-testid": "back", onclick: () => { shown = null; draw(); } }, t("back"))));
  }

  let panel = null;

  function draw() {
    if (!panel) return;
    const parts = [form()];
    if (shown) parts.push(detail(shown));
    else if (found) {
      parts.push(h("p", { "data-testid": "txn-count" }, t("found", found.length)),
        h("ul", { class: "txns", "data-testid": "txns" }, found.map(listItem)));
    }
    panel.replaceChildren(...parts);
  }

  registerTab({ id: "txns", label: "tab_txns", action: "txn_view",
    render: (p) => { panel = p; draw(); } });
})();
