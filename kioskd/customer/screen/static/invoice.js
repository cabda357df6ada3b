// The result screen's invoice choice (发票): its soft key, and what became of the request.
"use strict";

Object.assign(TEXT["zh-CN"], {
  invoice_requesting: "正在申请电子发票…",
  invoice_issued: (n) => `已开电子发票 ${n}`,
  invoice_pending: "发票申请已提交，开具后扫码查看",
  invoice_refused: "发票未能开具，请联系工作人员",
});
Object.assign(TEXT.en, {
  invoice_requesting: "Requesting your invoice…",
  invoice_issued: (n) => `Invoice issued: ${n}`,
  invoice_pending: "Invoice requested: scan the slip once issued",
  invoice_refused: "No invoice: please ask the staff",
});

const INVOICE_STATES = ["payment_done"];

// Only for a payment that took cash and is credited or pending, and only once.
function canInvoice(s) {
  return Boolean(s.result) && ["credited", "pending"].includes(s.result.status) && !s.invoice
    && INVOICE_STATES.includes(s.state);
}

function invoiceLine(s) {
  const inv = s.invoice;
  if (!inv) return null;
  const text = inv.state === "issued" ? t("invoice_issued", inv.number) : t(`invoice_${inv.state}`);
  return h("p", { class: `invoice ${inv.state}`, "data-testid": "invoice", "data-invoice": inv.state }, text);
}

SOFT_KEYS.invoice = canInvoice;
RESULT_LINES.push(invoiceLine);
