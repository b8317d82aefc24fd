-- What other modules may read of a message as its recipient sees it (mass messages' stats): who
-- received it, whether they have read it (their read pointer reached it) and whether they unlocked
-- its attachment. A plain view: a condition on message_id reaches messages' primary key.
CREATE OR REPLACE VIEW message_states AS
  SELECT m.id AS message_id, m.sender_id, r.user_id AS recipient_id, m.seq <= r.read_seq AS read,
         EXISTS (SELECT 1 FROM message_unlocks u WHERE u.message_id = m.id AND u.user_id = r.user_id) AS unlocked
  FROM messages m
  JOIN conversation_members r ON r.conversation_id = m.conversation_id AND r.user_id <> m.sender_id;
