import type { WebSocket } from 'ws';

/** One patient socket on this gateway instance: kept small, there are tens of thousands per process. */
export interface PatientSocket {
  readonly ws: WebSocket;
  readonly organizationId: string;
  readonly patientId: string;
  readonly locale: string | null;
  /** Reply ids already sent on this connection (the same reply never goes out twice on it); null until the first. */
  sent: Set<string> | null;
  alive: boolean;
  /** When the session token expires (epoch ms; Infinity for none): the expiry sweep closes the socket then. */
  readonly expiresAtMs: number;
}

const MAX_REMEMBERED = 2000;

export function remember(sock: PatientSocket, id: string): void {
  const sent = (sock.sent ??= new Set());
  sent.add(id);
  if (sent.size > MAX_REMEMBERED) {
    const oldest = sent.values().next().value;
    if (oldest !== undefined) sent.delete(oldest);
  }
}

export function wasSent(sock: PatientSocket, id: string): boolean {
  return sock.sent?.has(id) ?? false;
}

/**
 * The sockets this instance holds, by pseudonymous patient id, and a per-patient work queue. Most
 * patients hold one socket, so the map holds the socket itself and an array only for two or more.
 */
export class ConnectionRegistry {
  private readonly byPatient = new Map<string, PatientSocket | PatientSocket[]>();
  private readonly chains = new Map<string, Promise<void>>();
  private count = 0;

  add(sock: PatientSocket): void {
    const held = this.byPatient.get(sock.patientId);
    if (held === undefined) this.byPatient.set(sock.patientId, sock);
    else if (Array.isArray(held)) { if (!held.includes(sock)) held.push(sock); else return; }
    else if (held !== sock) this.byPatient.set(sock.patientId, [held, sock]);
    else return;
    this.count += 1;
  }

  /** Removes the socket; true when it was the patient's last one here. */
  remove(sock: PatientSocket): boolean {
    const held = this.byPatient.get(sock.patientId);
    if (held === undefined) return true;
    if (held === sock) { this.byPatient.delete(sock.patientId); this.count -= 1; return true; }
    if (!Array.isArray(held)) return false;
    const i = held.indexOf(sock);
    if (i >= 0) { held.splice(i, 1); this.count -= 1; }
    if (held.length === 1) this.byPatient.set(sock.patientId, held[0] as PatientSocket);
    return held.length === 0;
  }

  socketsOf(patientId: string): PatientSocket[] {
    const held = this.byPatient.get(patientId);
    return held === undefined ? [] : Array.isArray(held) ? [...held] : [held];
  }

  patients(): string[] {
    return [...this.byPatient.keys()];
  }

  /** Every socket, without copying the registry. */
  *each(): IterableIterator<PatientSocket> {
    for (const held of this.byPatient.values()) {
      if (Array.isArray(held)) yield* held; else yield held;
    }
  }

  all(): PatientSocket[] {
    return [...this.each()];
  }

  get size(): number {
    return this.count;
  }

  /** Runs work for one patient strictly after the previous work for that patient (delivery order). */
  serialize(patientId: string, work: () => Promise<void>): Promise<void> {
    const prev = this.chains.get(patientId) ?? Promise.resolve();
    const next = prev.then(work);
    // The chain keeps a settled copy, so one failure neither breaks later work nor goes unhandled.
    const settled = next.catch(() => undefined);
    this.chains.set(patientId, settled);
    void settled.then(() => { if (this.chains.get(patientId) === settled) this.chains.delete(patientId); });
    return next;
  }
}
