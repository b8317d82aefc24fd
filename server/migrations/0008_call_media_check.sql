-- The last moment an active call's room was seen on a healthy Janus (the
-- media sweep). A call whose Janus died or lost the room is ended as a media
-- failure at that moment, so it is billed only while its media could flow.
ALTER TABLE calls ADD COLUMN media_ok_at timestamptz;
