-- A revocation states its reason. Fraud keeps the citizen's slot and the shop's stock used; a
-- withdrawal (the shop leaves the programme) or a mistake frees both: the voucher gives up its
-- slot numbers (NULL, which the slot uniqueness ignores) and the shop's issued count drops, so the
-- citizen may claim again and the voucher's stock goes back to the shop's pool.
alter table voucher
  add column revoke_reason text check (revoke_reason in ('fraud', 'withdrawal', 'mistake')),
  alter column citizen_slot drop not null,
  alter column merchant_slot drop not null;

-- Revocations before reasons existed kept the slot and the stock, as fraud does.
update voucher set revoke_reason = 'fraud' where revoked_at is not null;

alter table voucher
  add constraint revocation_shape check ((revoke_reason is null) = (revoked_at is null)),
  add constraint freed_slot check ((citizen_slot is null) = (merchant_slot is null)
    and (citizen_slot is not null or revoke_reason in ('withdrawal', 'mistake')));

-- The citizens whose slots have gaps (the allocator gives the lowest free slot to their next voucher).
create index voucher_freed on voucher (campaign_id, citizen_id) where citizen_slot is null;

-- Each revoking transaction bumps its campaigns' revocations_version and marks the vouchers it
-- revoked with it (revoked_in): the leading allocator brings Redis in line with the revocations
-- newer than the last it applied there (holdings, stock, ticket outcomes), not with every one.
alter table campaign add column revocations_version bigint not null default 0;
alter table voucher add column revoked_in bigint;
update voucher set revoked_in = 0 where revoked_at is not null;
create index voucher_revoked on voucher (campaign_id, revoked_in) where revoked_at is not null;
