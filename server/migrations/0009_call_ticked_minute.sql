-- The last minute tick a call has been through (billed or free). The media
-- sweep re-enqueues a tick that is overdue (its delayed job lost: an embedded
-- restart, a Redis without persistence), so a call never stops being billed.
ALTER TABLE calls ADD COLUMN ticked_minute integer NOT NULL DEFAULT 0;
