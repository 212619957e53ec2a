-- An archived campaign (a finished load-test rehearsal, say) stays paused and is no longer in the
-- campaign list the page and the console read; its claims, vouchers and audit rows stay.
alter table campaign add column archived_at timestamptz;
