-- Reasoning models: the tokens a reply spent thinking (when the model server
-- reports them) and how long the thinking took, in milliseconds from its first
-- piece to the first piece of the answer. Both stay NULL for other replies.
ALTER TABLE messages ADD COLUMN reasoning_tokens BIGINT;
ALTER TABLE messages ADD COLUMN reasoning_ms BIGINT;
