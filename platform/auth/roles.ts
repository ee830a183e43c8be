export const ROLES = ['org_admin', 'care_team', 'analyst', 'partner'] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = ['phi:read', 'phi:write', 'workflow:publish', 'analytics:read', 'reports:read', 'audit:read', 'api_keys:manage', 'settings:manage'] as const;
export type Permission = (typeof PERMISSIONS)[number];

/**
 * What each role may do. Analysts see only de-identified analytics and partners only aggregated
 * reports: neither ever reaches PHI (HIPAA's minimum necessary).
 */
export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = Object.freeze({
  org_admin: PERMISSIONS,
  care_team: ['phi:read', 'phi:write', 'reports:read'],
  analyst: ['analytics:read', 'reports:read'],
  partner: ['reports:read'],
});

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export function permissionsFor(role: Role): readonly Permission[] {
  return ROLE_PERMISSIONS[role];
}
