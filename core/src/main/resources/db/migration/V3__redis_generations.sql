-- Redis holds derived state and may lose recent writes. Each time the allocator rebuilds a
-- campaign's Redis state from PostgreSQL it opens a new generation; tickets carry theirs.
alter table campaign add column redis_generation bigint not null default 0;

-- Per restore: tickets of earlier generations whose seq is above surviving_seq were acknowledged
-- and then lost with Redis's state (they end rejected, reason 'lost').
create table redis_generation (
  campaign_id   text        not null references campaign (id),
  generation    bigint      not null,
  surviving_seq bigint      not null,
  restored_at   timestamptz not null default now(),
  primary key (campaign_id, generation)
);

-- A claim's generation (its ticket is computed from campaign, generation and seq) and the request
-- that made it (a digest of the caller's Idempotency-Key or of the body): a restore gives every
-- citizen their recent requests back, so a repeat after Redis forgot still finds its ticket.
alter table claim
  add column generation bigint not null default 1,
  add column request_id text;

-- Every fact Redis derives from a campaign row carries the row's version, bumped by each change
-- (operators' flags, the document and its admission settings): Redis takes a write only when it
-- is newer than what it holds, so racing actions and restores end in PostgreSQL's latest state.
alter table campaign
  add column flags_version bigint not null default 0,
  add column config_version bigint not null default 0;
