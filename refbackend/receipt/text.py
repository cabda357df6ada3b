"""What the receipt and invoice pages say, in zh-CN and en."""

from __future__ import annotations

TEXT: dict[str, dict[str, str]] = {
    "zh-CN": {
        "receipt": "缴费凭条", "invoice": "电子发票", "other_lang": "English", "other": "en",
        "verified": "凭条已核验：由终端 {kiosk} 签发", "kiosk": "终端号", "hall": "营业厅",
        "seq": "流水号", "txn": "交易号", "time": "时间", "account": "户号", "holder": "户名",
        "note": "纸币 {n}", "total": "合计", "status": "状态",
        "credited": "入账成功", "ref": "参考号", "refused": "待工作人员核查",
        "refused_body": "本笔缴费未能入账，现金已在终端钱箱，请联系工作人员处理。",
        "pending": "终端已收款，入账处理中",
        "pending_body": "终端已签收这笔现金；缴费系统尚未收到这笔缴费，收到后自动入账。",
        "invoice_number": "发票号码", "invoice_open": "查看电子发票",
        "invalid_title": "无法核验此凭条", "invalid_body": "凭条可能被改动，或不是本单位的终端签发。请联系工作人员。",
        "mismatch_title": "凭条与缴费记录不符", "mismatch_body": "请携带凭条联系工作人员核查。",
        "issued": "开票日期", "seller": "销售方", "seller_name": "自助缴费服务", "buyer": "购买方",
        "item": "项目", "item_name": "缴费（终端 {kiosk}，流水号 {seq}）", "amount": "金额",
        "no_invoice": "未找到此发票",
    },
    "en": {
        "receipt": "Payment receipt", "invoice": "Electronic invoice", "other_lang": "中文", "other": "zh-CN",
        "verified": "Receipt verified: issued by kiosk {kiosk}", "kiosk": "Kiosk", "hall": "Hall",
        "seq": "Serial no.", "txn": "Transaction", "time": "Time", "account": "Account", "holder": "Holder",
        "note": "Note {n}", "total": "Total", "status": "Status",
        "credited": "Credited", "ref": "Reference", "refused": "Held for staff review",
        "refused_body": "This payment was not credited; the cash is in the kiosk's box. Please ask the staff.",
        "pending": "Received by the kiosk; crediting pending",
        "pending_body": "The kiosk has signed for this cash; the billing system has not received the payment "
                        "yet and credits it when it does.",
        "invoice_number": "Invoice number", "invoice_open": "Open the electronic invoice",
        "invalid_title": "This receipt could not be verified",
        "invalid_body": "It may have been altered, or was not issued by one of our kiosks. Please ask the staff.",
        "mismatch_title": "This receipt does not match the payment record",
        "mismatch_body": "Please bring the receipt to the staff.",
        "issued": "Issued", "seller": "Seller", "seller_name": "Self-service payments", "buyer": "Buyer",
        "item": "Item", "item_name": "Bill payment (kiosk {kiosk}, serial no. {seq})", "amount": "Amount",
        "no_invoice": "No such invoice",
    },
}
