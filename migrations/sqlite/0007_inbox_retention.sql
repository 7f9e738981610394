-- The police inbox's retention and category titles (issue 13).
--
-- Category titles as the citizen's form showed them (the sealed document's `form.titles`),
-- indexed at receive time so the Posteingang shows titles without opening anything; NULL
-- for documents sealed before titles were carried (the list falls back to the id).
ALTER TABLE inbox_reports ADD COLUMN category_title_de TEXT;
ALTER TABLE inbox_reports ADD COLUMN category_title_en TEXT;
-- Set when retention deleted the sealed envelope (its text becomes empty); the triage index
-- stays as a tombstone until the row itself is deleted.
ALTER TABLE inbox_reports ADD COLUMN envelope_deleted_at TEXT;
CREATE INDEX inbox_reports_by_state_received ON inbox_reports (state, received_at);
