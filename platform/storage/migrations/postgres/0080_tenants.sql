-- Organisations as tenants: a platform operator creates, suspends and resumes them. A suspended
-- organisation's credentials are refused everywhere (403 ORGANIZATION_SUSPENDED) until resumed.
ALTER TABLE organizations ADD COLUMN status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended'));
ALTER TABLE organizations ADD COLUMN status_changed_at timestamptz;

-- API keys: platform-operator keys belong to no organisation; partner keys name their partner (keys
-- made before this migration are not checked: an old partner key names no partner and sees nothing).
ALTER TABLE auth.api_keys ALTER COLUMN organization_id DROP NOT NULL;
ALTER TABLE auth.api_keys DROP CONSTRAINT api_keys_role_check;
ALTER TABLE auth.api_keys ADD CONSTRAINT api_keys_role_check CHECK (role IN ('org_admin', 'care_team', 'analyst', 'partner', 'platform_operator'));
ALTER TABLE auth.api_keys ADD COLUMN partner_id text;
ALTER TABLE auth.api_keys ADD CONSTRAINT api_keys_scope_check CHECK (
  (role = 'platform_operator') = (organization_id IS NULL) AND (role = 'partner') = (partner_id IS NOT NULL)) NOT VALID;

-- The first administrator of an organisation the platform operator created: a pending staff invite
-- (the staff accounts of the portal's sign-in take it over). Email and name are contact data of a
-- staff member, not of a patient.
CREATE TABLE auth.admin_invites (
  id               text PRIMARY KEY,
  organization_id  text NOT NULL REFERENCES organizations(id),
  email            text NOT NULL,
  name             text NOT NULL,
  role             text NOT NULL DEFAULT 'org_admin',
  api_key_id       text REFERENCES auth.api_keys(id),
  status           text NOT NULL DEFAULT 'invited' CHECK (status IN ('invited', 'accepted')),
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX auth_admin_invites_org_idx ON auth.admin_invites (organization_id);
