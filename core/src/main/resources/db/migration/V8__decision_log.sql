-- The public decision log: every event that decides who gets what, in order, per campaign,
-- written in the same transaction as the decision itself. Each record is one line of JSON that
-- names its index and the hash of the record before it ("prev"); its own hash is the SHA-256 of
-- the line. The head row holds the last index and hash: writers lock it, so records of one
-- campaign are appended one writer at a time and the chain has no fork.
create table decision_log (
  campaign_id text   not null references campaign (id),
  idx         bigint not null check (idx >= 1),
  record      text   not null,
  hash        text   not null,
  ticket      text,
  primary key (campaign_id, idx)
);

-- a ticket's admission and decision: the citizen's receipt
create index decision_log_by_ticket on decision_log (campaign_id, ticket) where ticket is not null;

create table decision_log_head (
  campaign_id text   primary key references campaign (id),
  idx         bigint not null,
  hash        text   not null
);
