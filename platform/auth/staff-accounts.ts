import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { PgPool } from '../storage/postgres.js';
import { CareloopError } from '../errors.js';
import { randomBase62 } from '../vault/ids.js';
import { isRole, type Role } from './roles.js';

export interface StaffAccount {
  id: string;
  organizationId: string;
  email: string;
  name: string;
  role: Role;
  /** A partner account's partner (the token's partner_id claim); null for every other role. */
  partnerId: string | null;
  createdAt: Date;
}

interface Row { id: string; organization_id: string; email: string; name: string; role: string; partner_id: string | null; created_at: Date; password_hash: string }

const SCRYPT = { N: 16384, r: 8, p: 1, keyLen: 32 } as const;
export const MIN_PASSWORD_LENGTH = 12;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function scrypt(password: string, salt: Buffer, keyLen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scryptCb(password, salt, keyLen, { ...opts, maxmem: 64 * 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key))));
}

/** "scrypt$N$r$p$salt$hash" (base64url salt and hash). */
export async function hashPassword(password: string, salt: Buffer = randomBytes(16)): Promise<string> {
  const key = await scrypt(password, salt, SCRYPT.keyLen, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p });
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || salt === undefined || hash === undefined) return false;
  const expected = Buffer.from(hash, 'base64url');
  const key = await scrypt(password, Buffer.from(salt, 'base64url'), expected.length, { N: Number(n), r: Number(r), p: Number(p) });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

// Compared against when the address is unknown, so both paths cost one scrypt.
let dummyHash: Promise<string> | undefined;

function account(row: Row): StaffAccount {
  if (!isRole(row.role)) throw new CareloopError('INTERNAL', 'stored staff role is not a Careloop role');
  return { id: row.id, organizationId: row.organization_id, email: row.email, name: row.name, role: row.role, partnerId: row.partner_id, createdAt: row.created_at };
}

/**
 * Staff accounts of the built-in OpenID Connect issuer: e-mail (the sign-in name, unique among live
 * accounts), name, organisation, role and a scrypt password hash. Removing an account keeps its row
 * (the audit log names its id) and stops every further sign-in.
 */
export class StaffAccounts {
  constructor(private readonly pool: PgPool) {}

  async create(organizationId: string, input: { email: string; name: string; role: Role; password: string; partnerId?: string }): Promise<StaffAccount> {
    const email = input.email.trim();
    if ((input.partnerId !== undefined) !== (input.role === 'partner')) throw new CareloopError('VALIDATION_FAILED', 'a partner account names its partner (partnerId), and only a partner account does', { details: { field: 'partnerId' } });
    if (!EMAIL.test(email)) throw new CareloopError('VALIDATION_FAILED', 'email is not an e-mail address', { details: { field: 'email' } });
    if (input.password.length < MIN_PASSWORD_LENGTH) throw new CareloopError('VALIDATION_FAILED', `the password needs at least ${MIN_PASSWORD_LENGTH} characters`, { details: { field: 'password' } });
    const id = `st${randomBase62(20)}`;
    try {
      const { rows } = await this.pool.query<Row>(
        `INSERT INTO auth.staff_accounts (id, organization_id, email, name, role, password_hash, partner_id) VALUES ($1, $2, $3, $4, $5, $6, $7)
         RETURNING id, organization_id, email, name, role, partner_id, created_at, password_hash`,
        [id, organizationId, email, input.name.trim(), input.role, await hashPassword(input.password), input.partnerId ?? null]);
      return account(rows[0] as Row);
    } catch (err) {
      if ((err as { code?: string }).code === '23505') throw new CareloopError('CONFLICT', 'a staff account with this e-mail address exists', { details: { field: 'email' } });
      if ((err as { code?: string }).code === '23503') throw new CareloopError('NOT_FOUND', 'organisation not found');
      throw err;
    }
  }

  /** Sets the password of the live account with this address (the demo seed), creating it when missing. */
  async upsert(organizationId: string, input: { email: string; name: string; role: Role; password: string }): Promise<StaffAccount> {
    const found = await this.byEmail(input.email);
    if (found === null) return this.create(organizationId, input);
    await this.pool.query('UPDATE auth.staff_accounts SET name = $2, role = $3, password_hash = $4, organization_id = $5 WHERE id = $1',
      [found.id, input.name, input.role, await hashPassword(input.password), organizationId]);
    return { ...found, name: input.name, role: input.role, organizationId };
  }

  async list(organizationId: string): Promise<StaffAccount[]> {
    const { rows } = await this.pool.query<Row>(
      'SELECT id, organization_id, email, name, role, partner_id, created_at, password_hash FROM auth.staff_accounts WHERE organization_id = $1 AND removed_at IS NULL ORDER BY created_at, id', [organizationId]);
    return rows.map(account);
  }

  async get(id: string): Promise<StaffAccount | null> {
    const { rows } = await this.pool.query<Row>('SELECT id, organization_id, email, name, role, partner_id, created_at, password_hash FROM auth.staff_accounts WHERE id = $1 AND removed_at IS NULL', [id]);
    return rows[0] === undefined ? null : account(rows[0]);
  }

  async byEmail(email: string): Promise<StaffAccount | null> {
    const { rows } = await this.pool.query<Row>('SELECT id, organization_id, email, name, role, partner_id, created_at, password_hash FROM auth.staff_accounts WHERE lower(email) = lower($1) AND removed_at IS NULL', [email.trim()]);
    return rows[0] === undefined ? null : account(rows[0]);
  }

  async remove(organizationId: string, id: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('UPDATE auth.staff_accounts SET removed_at = now() WHERE id = $1 AND organization_id = $2 AND removed_at IS NULL', [id, organizationId]);
    return (rowCount ?? 0) > 0;
  }

  /** The account whose address and password match, or null; the same work whether or not the address exists. */
  async authenticate(email: string, password: string): Promise<StaffAccount | null> {
    const { rows } = await this.pool.query<Row>('SELECT id, organization_id, email, name, role, partner_id, created_at, password_hash FROM auth.staff_accounts WHERE lower(email) = lower($1) AND removed_at IS NULL', [email.trim()]);
    const row = rows[0];
    if (row === undefined) {
      dummyHash ??= hashPassword('careloop:no-such-account');
      await verifyPassword(password, await dummyHash);
      return null;
    }
    return (await verifyPassword(password, row.password_hash)) ? account(row) : null;
  }
}
