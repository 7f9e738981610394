-- Inbox roles (issue 13): the role `lead` and an optional office scope per account.
ALTER TABLE staff_users DROP CONSTRAINT staff_users_role_check;
ALTER TABLE staff_users ADD CONSTRAINT staff_users_role_check
    CHECK (role IN ('clerk', 'lead', 'admin', 'operator'));
-- The one office whose reports this account sees; NULL: every office of its state.
ALTER TABLE staff_users ADD COLUMN office TEXT;
ALTER TABLE staff_users ADD CONSTRAINT staff_users_office_check
    CHECK (office IS NULL OR state IS NOT NULL);
