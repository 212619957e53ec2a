-- Operators and merchants: durable kill-switch flags, merchant API keys, redemption idempotency.

-- Documents written as a JSON string (a text parameter bound to jsonb) become the JSON object
-- they hold, so that operators' changes can address their fields.
update campaign set document = (document #>> '{}')::jsonb where jsonb_typeof(document) = 'string';

-- The kill switch lives in Redis (read inside the admission script); PostgreSQL keeps the
-- operator's last word so an elected allocator can restore it into a Redis that lost it.
alter table campaign
  add column paused boolean not null default false,
  add column frozen boolean not null default false;

-- Merchant API keys, stored as SHA-256 of the key; the key itself is shown once.
create table merchant_key (
  key_hash    text        primary key,
  campaign_id text        not null,
  merchant_id text        not null,
  created_at  timestamptz not null default now(),
  revoked_at  timestamptz,
  foreign key (campaign_id, merchant_id) references merchant (campaign_id, id)
);

-- The request that redeemed a voucher ('k:' idempotency key, or 'b:' offline timestamp), so a
-- repeat of that request answers as the first did, durably, with no second store to keep in step.
alter table voucher
  add column redeemed_request text,
  add constraint redemption_shape check (redeemed_request is null or redeemed_at is not null);

create index voucher_by_merchant on voucher (campaign_id, merchant_id) where redeemed_at is null and revoked_at is null;
create index audit_by_campaign on audit (campaign_id, id desc);
