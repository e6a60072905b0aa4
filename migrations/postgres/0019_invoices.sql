-- Invoices issued by Ops-Center: numbered in sequence within each year (a counter row per
-- year, locked while a number is taken), with their lines, the tax they carry (prices include
-- it) and the seller and customer as they were when issued. Credit notes give money back
-- against an invoice, numbered in their own sequence.

CREATE TABLE invoice_counters (
    series TEXT PRIMARY KEY NOT NULL,     -- 'invoice:2026', 'credit_note:2026'
    last BIGINT NOT NULL
);

CREATE TABLE invoices (
    id TEXT PRIMARY KEY NOT NULL,
    number TEXT NOT NULL UNIQUE,
    owner_kind TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    kind TEXT NOT NULL,                   -- subscription, credits, usage
    status TEXT NOT NULL,                 -- draft, open, paid, void
    currency TEXT NOT NULL,
    subtotal BIGINT NOT NULL,
    tax BIGINT NOT NULL,
    total BIGINT NOT NULL,
    tax_name TEXT NOT NULL DEFAULT '',
    tax_rate_bp INTEGER NOT NULL DEFAULT 0,
    bill_to TEXT NOT NULL,
    seller TEXT NOT NULL,
    reference TEXT,                       -- the subscription it is for
    paid_with TEXT,
    period_start BIGINT,
    period_end BIGINT,
    issued_at BIGINT NOT NULL,
    paid_at BIGINT,
    voided_at BIGINT
);
CREATE INDEX invoices_owner ON invoices(owner_kind, owner_id, issued_at);

CREATE TABLE invoice_lines (
    id TEXT PRIMARY KEY NOT NULL,
    invoice_id TEXT NOT NULL REFERENCES invoices(id),
    position INTEGER NOT NULL,
    description TEXT NOT NULL,
    amount BIGINT NOT NULL
);
CREATE INDEX invoice_lines_invoice ON invoice_lines(invoice_id, position);

CREATE TABLE credit_notes (
    id TEXT PRIMARY KEY NOT NULL,
    number TEXT NOT NULL UNIQUE,
    invoice_id TEXT NOT NULL REFERENCES invoices(id),
    amount BIGINT NOT NULL CHECK (amount > 0),
    reason TEXT NOT NULL,
    actor_id TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX credit_notes_invoice ON credit_notes(invoice_id);
