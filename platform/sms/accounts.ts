import { readFileSync } from 'node:fs';
import { CareloopError } from '../errors.js';
import type { PgPool } from '../storage/postgres.js';

export type SenderKind = 'long_code' | 'toll_free' | 'short_code';

export interface Sender {
  number: string;
  kind: SenderKind;
}

/** An organisation's Twilio account, with its auth token already resolved from its reference. */
export interface SmsAccount {
  organizationId: string;
  accountSid: string;
  authToken: string;
  messagingServiceSid: string | null;
  senders: readonly Sender[];
  displayName: string;
  helpText: string;
  careTeamContact: string;
  timezone: string;
  quietHours: unknown;
}

/** env:NAME reads the environment, file:/path a mounted secret; the table never holds the token. */
export function resolveSecretRef(ref: string, env: NodeJS.ProcessEnv = process.env): string {
  const [scheme, ...rest] = ref.split(':');
  const target = rest.join(':');
  const value = scheme === 'env' ? env[target] : scheme === 'file' ? readSecretFile(target) : undefined;
  if (value === undefined || value.trim() === '') throw new CareloopError('CONFIG_INVALID', `SMS auth token reference ${scheme ?? ''}:… resolves to nothing`, { details: { scheme } });
  return value.trim();
}

function readSecretFile(path: string): string | undefined {
  try { return readFileSync(path, 'utf8'); } catch { return undefined; }
}

function parseSenders(raw: unknown): Sender[] {
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((s: { number?: unknown; kind?: unknown }) =>
    typeof s.number === 'string' && (s.kind === 'long_code' || s.kind === 'toll_free' || s.kind === 'short_code') ? [{ number: s.number, kind: s.kind }] : []);
}

interface AccountRow {
  organization_id: string; account_sid: string; auth_token_ref: string; messaging_service_sid: string | null; senders: unknown;
  help_text: string; display_name: string; care_team_contact: string; timezone: string; reminder_routine: { quietHours?: unknown } | null;
}

/** Accounts by organisation and by account SID, read from PostgreSQL and kept for `ttlMs`. */
export class SmsAccounts {
  private readonly cache = new Map<string, { at: number; account: Promise<SmsAccount | null> }>();

  constructor(private readonly pool: PgPool, private readonly ttlMs = 30_000, private readonly now: () => number = Date.now, private readonly env: NodeJS.ProcessEnv = process.env) {}

  byOrganization(organizationId: string): Promise<SmsAccount | null> {
    return this.load(`org:${organizationId}`, 'a.organization_id = $1', organizationId);
  }

  byAccountSid(accountSid: string): Promise<SmsAccount | null> {
    return this.load(`sid:${accountSid}`, 'a.account_sid = $1', accountSid);
  }

  /** One query per key and period however many callers ask at once (a burst of texts must not drain the pool). */
  private load(cacheKey: string, where: string, value: string): Promise<SmsAccount | null> {
    const hit = this.cache.get(cacheKey);
    if (hit !== undefined && this.now() - hit.at < this.ttlMs) return hit.account;
    const account = this.query(where, value);
    this.cache.set(cacheKey, { at: this.now(), account });
    account.catch(() => this.cache.delete(cacheKey));
    return account;
  }

  private async query(where: string, value: string): Promise<SmsAccount | null> {
    const { rows } = await this.pool.query<AccountRow>(
      `SELECT a.organization_id, a.account_sid, a.auth_token_ref, a.messaging_service_sid, a.senders, a.help_text,
              o.display_name, o.care_team_contact, o.timezone, o.reminder_routine
         FROM sms_accounts a JOIN organizations o ON o.id = a.organization_id WHERE ${where}`, [value]);
    const r = rows[0];
    return r === undefined ? null : {
      organizationId: r.organization_id, accountSid: r.account_sid, authToken: resolveSecretRef(r.auth_token_ref, this.env),
      messagingServiceSid: r.messaging_service_sid, senders: parseSenders(r.senders), displayName: r.display_name,
      helpText: r.help_text, careTeamContact: r.care_team_contact, timezone: r.timezone, quietHours: r.reminder_routine?.quietHours ?? null,
    };
  }
}

/** The HELP answer: the organisation's own text, else its name and care-team contact. */
export function helpText(a: SmsAccount): string {
  if (a.helpText.trim() !== '') return a.helpText;
  const contact = a.careTeamContact.trim() !== '' ? ` Contact: ${a.careTeamContact}.` : '';
  return `${a.displayName}: medication reminders and care messages.${contact} Msg&data rates may apply. Reply STOP to opt out.`;
}
