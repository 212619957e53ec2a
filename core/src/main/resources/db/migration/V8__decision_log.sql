-- The public decision log: every event that decides who gets what, in order, per campaign,
-- written in the same transaction as the decision itself. Each record is one line of JSON that
-- names its index and the hash of the record before it ("prev"); its own hash is the SHA-256 of
-- the line. A transaction's records are stored together as one block (a decided batch of 1,000
-- claims is one row, not 2,000), newline-separated, uncompressed.
create table decision_log_block (
  campaign_id text   not null references campaign (id),
  first_idx   bigint not null check (first_idx >= 1),
  last_idx    bigint not null check (last_idx >= first_idx),
  lines       text   not null,
  primary key (campaign_id, first_idx)
);
alter table decision_log_block alter column lines set storage external;

-- The last index and hash: writers lock this row, so records of one campaign are appended one
-- writer at a time and the chain has no fork.
create table decision_log_head (
  campaign_id text   primary key references campaign (id),
  idx         bigint not null,
  hash        text   not null
);

-- where a decided claim's admission is in the log (its decision is the record after): its receipt
alter table claim add column log_index bigint;
