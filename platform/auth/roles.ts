export const ROLES = ['org_admin', 'care_team', 'analyst', 'partner', 'platform_operator'] as const;
export type Role = (typeof ROLES)[number];

/** The roles bound to one organisation (every role but the platform operator's): what an organisation's API keys and staff may hold. */
export const ORG_ROLES = ['org_admin', 'care_team', 'analyst', 'partner'] as const;
export const PERMISSIONS = ['phi:read', 'phi:write', 'workflow:publish', 'analytics:read', 'reports:read', 'audit:read', 'api_keys:manage', 'settings:manage', 'campaigns:manage', 'platform:manage'] as const;

export type Permission = (typeof PERMISSIONS)[number];

/**
 * What each role may do. Analysts see only de-identified analytics and partners only aggregated
 * reports: neither ever reaches PHI (HIPAA's minimum necessary). The platform operator creates,
 * suspends and resumes organisations and reaches nothing inside one.
 */
export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = Object.freeze({
  // Everything in its own organisation; creating and suspending organisations is the platform's.
  org_admin: PERMISSIONS.filter((p) => p !== 'platform:manage'),
  care_team: ['phi:read', 'phi:write', 'reports:read'],
  analyst: ['analytics:read', 'reports:read'],
  partner: ['reports:read'],
  // Not bound to an organisation: manages the tenants themselves, reads nothing inside one.
  platform_operator: ['platform:manage'],
});

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export function permissionsFor(role: Role): readonly Permission[] {
  return ROLE_PERMISSIONS[role];
}

export function isOrgRole(value: unknown): value is (typeof ORG_ROLES)[number] {
  return typeof value === 'string' && (ORG_ROLES as readonly string[]).includes(value);
}
