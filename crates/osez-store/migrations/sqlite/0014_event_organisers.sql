-- Events proposed by advisers: the adviser who proposed one (its
-- organiser) may change it until the team publishes it, and it shows on
-- the adviser's profile. A removed profile leaves its events without an
-- organiser.
ALTER TABLE resources ADD COLUMN organiser TEXT REFERENCES advisers (id) ON DELETE SET NULL;
CREATE INDEX resources_organiser ON resources (organiser, created_at);
