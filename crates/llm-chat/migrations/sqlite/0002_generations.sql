-- Generations: an assistant message being written by the server carries the id
-- of its generation, so a client can find the live stream to attach to, and
-- the reason the model stopped.
ALTER TABLE messages ADD COLUMN generation_id TEXT;
ALTER TABLE messages ADD COLUMN finish_reason TEXT;
CREATE INDEX messages_generation ON messages (generation_id);
-- Interrupted-generation recovery looks for rows still marked streaming.
CREATE INDEX messages_streaming ON messages (status) WHERE status = 'streaming';

-- The sidebar lists pinned conversations first, then by latest activity,
-- separately for archived ones.
DROP INDEX conversations_user_activity;
CREATE INDEX conversations_user_list ON conversations (user_id, archived, pinned DESC, updated_at DESC, id DESC);
