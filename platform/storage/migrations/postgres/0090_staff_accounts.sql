-- Staff accounts of the built-in OpenID Connect issuer (the local stack's sign-in for the portal).
-- A site with its own identity provider leaves this table empty. The password is kept only as a
-- scrypt hash (N=16384, r=8, p=1, 16-byte salt): "scrypt$N$r$p$salt$hash", base64url parts.
CREATE TABLE auth.staff_accounts (
  id               text PRIMARY KEY,
  organization_id  text NOT NULL REFERENCES organizations(id),
  email            text NOT NULL,
  name             text NOT NULL,
  role             text NOT NULL CHECK (role IN ('org_admin', 'care_team', 'analyst', 'partner')),
  password_hash    text NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  removed_at       timestamptz
);
-- One live account per e-mail address across organisations: the address is the sign-in name.
CREATE UNIQUE INDEX auth_staff_accounts_email_idx ON auth.staff_accounts (lower(email)) WHERE removed_at IS NULL;
CREATE INDEX auth_staff_accounts_org_idx ON auth.staff_accounts (organization_id);
