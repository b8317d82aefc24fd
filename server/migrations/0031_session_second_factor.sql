-- When a session last proved a second factor (a login's code, the enrolment's code, or a step-up):
-- admins act, and creators move money out, only from sessions that did (and, for payouts, lately).
ALTER TABLE sessions ADD COLUMN second_factor_at timestamptz;
