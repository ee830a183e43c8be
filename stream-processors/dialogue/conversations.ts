import type { Keyring } from '../../platform/crypto/keyring.js';
import type { ConversationStore } from '../../platform/stores/conversation-store.js';
import { parseSlots } from './programs.js';
import type { Conversation, ProgramSlots } from './types.js';

/**
 * The dialogue's conversations in Redis. Slots may hold a patient's answers, so they rest sealed with
 * the organisation's key; this is the one place they are serialised, sealed, opened and parsed.
 */
export class Conversations {
  constructor(private readonly store: ConversationStore, private readonly keyring: Keyring) {}

  async load(organizationId: string, patientId: string): Promise<Conversation | null> {
    const saved = await this.store.get(patientId);
    if (saved === null) return null;
    return { ...saved, slots: parseSlots(await this.open(organizationId, patientId, saved.slots)) };
  }

  async save(organizationId: string, patientId: string, conv: Conversation): Promise<void> {
    await this.store.put(patientId, { ...conv, slots: await this.seal(organizationId, patientId, conv.slots) });
  }

  private async seal(org: string, patient: string, slots: ProgramSlots): Promise<string> {
    if (Object.keys(slots.wf).length === 0) return '{}';
    const s = await this.keyring.sealText(org, patient, JSON.stringify(slots));
    return `sealed:${s.keyId}:${s.nonce.toString('base64')}:${s.ciphertext.toString('base64')}`;
  }

  private async open(org: string, patient: string, stored: string): Promise<string> {
    if (!stored.startsWith('sealed:')) return stored;
    const [, keyId, nonce, ct] = /^sealed:(.+):([^:]+):([^:]+)$/.exec(stored) ?? [];
    if (keyId === undefined || nonce === undefined || ct === undefined) return '{}';
    return this.keyring.openText(org, patient, { keyId, nonce: Buffer.from(nonce, 'base64'), ciphertext: Buffer.from(ct, 'base64') });
  }
}
