-- A partner's staff account names its partner (per organisation): the built-in issuer puts it in
-- the access token's partner_id claim, which scopes the partner to the campaigns shared with it.
ALTER TABLE auth.staff_accounts ADD COLUMN partner_id text;
ALTER TABLE auth.staff_accounts ADD CONSTRAINT staff_accounts_partner_role CHECK (partner_id IS NULL OR role = 'partner');
