-- Voucher values in every ISO 4217 currency: three decimals (KWD, BHD) as well as two (EUR) and
-- none (JPY); answers write each amount with its own currency's decimals.
alter table voucher alter column value type numeric(15,3);
