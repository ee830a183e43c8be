import type { Actor } from '../audit/types.js';
import { CareloopError } from '../errors.js';
import { permissionsFor, type Permission, type Role } from './roles.js';

/** An authenticated caller, always bound to exactly one organisation. */
export interface Principal {
  kind: 'staff' | 'api_key';
  /** The token's subject for staff, the key id for API keys. */
  id: string;
  organizationId: string;
  role: Role;
  permissions: readonly Permission[];
}

export function makePrincipal(kind: Principal['kind'], id: string, organizationId: string, role: Role): Principal {
  return Object.freeze({ kind, id, organizationId, role, permissions: permissionsFor(role) });
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
