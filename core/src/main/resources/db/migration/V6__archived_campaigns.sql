-- An archived campaign (a finished load-test rehearsal, say) stays paused and is no longer listed
-- to citizens or counted in metrics; its claims, vouchers and audit rows stay for the record.
alter table campaign add column archived_at timestamptz;
