-- Outgoing mail, written in the transaction of what caused it and delivered by a background
-- worker. A row is queued while sent_at is NULL and next_attempt_at is set (a claim moves
-- next_attempt_at past the claim's lease); sent once sent_at is set; given up when both are
-- NULL, keeping last_error for the console.
CREATE TABLE mail_queue (
    id BIGSERIAL PRIMARY KEY,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    text_body TEXT NOT NULL,
    html_body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    next_attempt_at BIGINT,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    sent_at BIGINT
);
CREATE INDEX mail_queue_next_attempt_at ON mail_queue (next_attempt_at);
