-- Video random matches get an SFU room per session, destroyed when it ends.
ALTER TABLE match_sessions ADD COLUMN sfu_instance text;
ALTER TABLE match_sessions ADD COLUMN sfu_room bigint;
