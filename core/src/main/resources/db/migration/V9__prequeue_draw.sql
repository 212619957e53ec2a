-- The pre-queue's draws, one per round of a campaign that has a pre-queue. The seed is made when
-- the campaign is applied and its SHA-256 goes into the public log at once (the commitment); it is
-- revealed only in the log's draw record, after the pre-queue is frozen and the hash of its list is
-- published. The frozen list is kept here, so a new leader serves the same order whatever Redis
-- still holds.
create table draw (
  campaign_id    text        not null references campaign (id),
  opens_at_ms    bigint      not null,
  seed           bytea       not null,
  seed_hash      text        not null,
  -- outside randomness named in advance (campaign admission.prequeue.beacon) and its value, entered
  -- by an operator at the opening; the draw waits for it
  beacon_name    text,
  beacon_value   text,
  -- set when the pre-queue is frozen: its claims in seq order, one per line
  -- (stream id TAB generation TAB seq TAB citizen TAB merchants TAB charged TAB tier TAB request id TAB admitted at ms),
  -- the SHA-256 of their tickets, their first and last seqs and the stream position after them
  entries        text,
  size           int,
  list_hash      text,
  last_stream_id text,
  first_seq      bigint,
  last_seq       bigint,
  frozen_at      timestamptz,
  -- the places decided so far, in draw order (moves with each batch of the draw)
  places_decided int         not null default 0,
  primary key (campaign_id, opens_at_ms)
);
alter table draw alter column entries set storage external;

-- a claim decided in a draw: its place
alter table claim add column place int;
