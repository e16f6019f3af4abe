-- Version 2: the integrity signals' facts of a response (manyi.integrity): the keyed hash of
-- its network ("" when unknown) and the seconds the page measured (NULL without its script).
ALTER TABLE responses ADD COLUMN network TEXT NOT NULL DEFAULT '';
ALTER TABLE responses ADD COLUMN seconds INTEGER;
