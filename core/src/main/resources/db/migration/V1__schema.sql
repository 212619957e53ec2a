-- claimgate schema. PostgreSQL is the source of truth; Redis holds the waiting room.
-- Constraints make oversell and limit breaches impossible even for a buggy writer.

create table campaign (
  id            text primary key,
  document      jsonb       not null,
  writer_epoch  bigint      not null default 0,       -- fencing: bumped at every election
  stream_offset text        not null default '0-0',   -- last claim-stream id decided
  decided_seq   bigint      not null default 0,       -- admission sequence number of that claim
  released_bp   int         not null default 0 check (released_bp between 0 and 10000),
  created_at    timestamptz not null default now(),
  updated_at    timestamptz not null default now()
);

create table merchant (
  campaign_id text not null references campaign (id),
  id          text not null,
  ordinal     int  not null,
  name        text not null,
  contingent  int  not null check (contingent >= 0),
  released    int  not null default 0,
  issued      int  not null default 0,
  primary key (campaign_id, id),
  constraint no_oversell check (issued >= 0 and issued <= released and released <= contingent)
);

create table eligible (
  campaign_id text not null references campaign (id),
  citizen_id  text not null,
  tier        int  not null default 0,
  primary key (campaign_id, citizen_id)
);

create table claim (
  ticket        text primary key,
  campaign_id   text        not null references campaign (id),
  seq           bigint      not null,
  stream_id     text        not null,
  citizen_id    text        not null,
  merchant_ids  text        not null,
  charged_merchant text     not null,
  status        text        not null check (status in ('confirmed', 'rejected')),
  reason        text check (reason in ('sold_out', 'limit_reached', 'not_eligible', 'round_closed', 'expired')),
  voucher_code  text,
  writer_epoch  bigint      not null,
  decided_at    timestamptz not null default now(),
  constraint outcome_shape check ((status = 'confirmed') = (voucher_code is not null and reason is null)),
  unique (campaign_id, seq)
);

create table voucher (
  code             text primary key,
  campaign_id      text          not null,
  merchant_id      text          not null,
  citizen_id       text          not null,
  ticket           text          not null unique references claim (ticket),
  serial           bigint        not null,
  citizen_slot     int           not null,
  citizen_limit    int           not null,
  merchant_slot    int           not null,
  merchant_limit   int           not null,
  value            numeric(12,2) not null,
  currency         text          not null,
  issued_at        timestamptz   not null,
  expires_at       timestamptz   not null,
  redeemed_at      timestamptz,
  revoked_at       timestamptz,
  foreign key (campaign_id, merchant_id) references merchant (campaign_id, id),
  unique (campaign_id, serial),
  -- one row per slot: a citizen cannot hold more than the limits, whatever the writer does
  unique (campaign_id, citizen_id, citizen_slot),
  unique (campaign_id, citizen_id, merchant_id, merchant_slot),
  constraint citizen_limit check (citizen_slot between 1 and citizen_limit),
  constraint merchant_limit check (merchant_slot between 1 and merchant_limit)
);

create index voucher_by_citizen on voucher (campaign_id, citizen_id);

create table audit (
  id          bigserial primary key,
  at          timestamptz not null default now(),
  actor       text        not null,
  action      text        not null,
  campaign_id text,
  detail      jsonb       not null default '{}'
);
