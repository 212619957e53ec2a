-- voucher_by_citizen (campaign_id, citizen_id) repeats the first two columns of the unique index
-- on (campaign_id, citizen_id, citizen_slot), which holds every voucher (a freed slot is NULL:
-- ignored by the uniqueness, still indexed), so every lookup by citizen is served by that one.
-- Each voucher the allocator issues wrote both; now it writes one.
drop index voucher_by_citizen;
