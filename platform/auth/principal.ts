import type { Actor } from '../audit/types.js';
import { CareloopError } from '../errors.js';
import { permissionsFor, type Permission, type Role } from './roles.js';

/**
 * An authenticated caller, bound to exactly one organisation, but for the platform operator, bound
 * to none (its organizationId is '', which matches no organisation's id).
 */
export interface Principal {
  kind: 'staff' | 'api_key';
  /** The token's subject for staff, the key id for API keys. */
  id: string;
  organizationId: string;
  role: Role;
  permissions: readonly Permission[];
  /** A partner principal's partner (it sees only the campaigns shared with it); null for the other roles. */
  partnerId: string | null;
}

export function makePrincipal(kind: Principal['kind'], id: string, organizationId: string, role: Role, partnerId: string | null = null): Principal {
  return Object.freeze({ kind, id, organizationId: role === 'platform_operator' ? '' : organizationId, role, permissions: permissionsFor(role), partnerId: role === 'partner' ? partnerId : null });
}

/** The platform's own routes (/v1/platform/*): the platform operator only. */
export function requirePlatformOperator(principal: Principal): void {
  if (principal.role !== 'platform_operator' || !principal.permissions.includes('platform:manage')) {
    throw new CareloopError('FORBIDDEN', 'only a platform operator may manage organisations', { details: { reason: 'missing_permission', permission: 'platform:manage' } });
  }
}

/**
 * Tenancy first, then the permission: a principal of another organisation is refused whatever its
 * role. The message names neither organisation.
 */
export function requirePermission(principal: Principal, permission: Permission, organizationId: string): void {
  if (principal.organizationId !== organizationId) {
    throw new CareloopError('FORBIDDEN', 'not allowed for this organisation', { details: { reason: 'wrong_organization' } });
  }
  if (!principal.permissions.includes(permission)) {
    throw new CareloopError('FORBIDDEN', `role ${principal.role} lacks ${permission}`, { details: { reason: 'missing_permission', permission } });
  }
}

/** The audit actor for a principal's request. */
export function actorOf(principal: Principal, source: { ip?: string; service?: string } = {}): Actor {
  return { kind: principal.kind, id: principal.id, ...source };
}
