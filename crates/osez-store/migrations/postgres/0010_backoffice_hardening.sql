-- Profile edits are conditional on the version the editor loaded: every
-- write of a profile bumps it, and a save from an older version is refused
-- instead of overwriting what was saved meanwhile.
ALTER TABLE advisers ADD COLUMN version BIGINT NOT NULL DEFAULT 0;

-- Call dates were stored as typed, and a date typed without dashes
-- (20260301), which the old parser accepted, compared wrongly as text and
-- never closed. Dates are now always AAAA-MM-JJ; bring old rows to it.
UPDATE calls SET opens_on = substr(opens_on, 1, 4) || '-' || substr(opens_on, 5, 2) || '-' || substr(opens_on, 7, 2)
WHERE length(opens_on) = 8 AND opens_on NOT LIKE '%-%';
UPDATE calls SET closes_on = substr(closes_on, 1, 4) || '-' || substr(closes_on, 5, 2) || '-' || substr(closes_on, 7, 2)
WHERE length(closes_on) = 8 AND closes_on NOT LIKE '%-%';
