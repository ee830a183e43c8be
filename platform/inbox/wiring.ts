import type { Config } from '../config/config.js';
import type { InboxDefaults } from './task-store.js';

/** The inbox's built-in settings from configuration; organisations override them in inbox.settings. */
export function inboxDefaults(cfg: Pick<Config, 'inbox'>): InboxDefaults {
  const i = cfg.inbox;
  return { sla: Object.freeze({ urgent: i.slaUrgent, high: i.slaHigh, normal: i.slaNormal, low: i.slaLow }), ackTimeoutMs: i.ackTimeout };
}
