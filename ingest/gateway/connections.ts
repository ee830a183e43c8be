import type { WebSocket } from 'ws';

/** One patient socket on this gateway instance. */
export interface PatientSocket {
  readonly ws: WebSocket;
  readonly organizationId: string;
  readonly patientId: string;
  readonly locale: string | null;
  /** Reply ids already sent on this connection: the same reply never goes out twice on it. */
  readonly sent: Set<string>;
  alive: boolean;
}

const MAX_REMEMBERED = 2000;

export function remember(sock: PatientSocket, id: string): void {
  sock.sent.add(id);
  if (sock.sent.size > MAX_REMEMBERED) {
    const oldest = sock.sent.values().next().value;
    if (oldest !== undefined) sock.sent.delete(oldest);
  }
}

/** The sockets this instance holds, by pseudonymous patient id, and a per-patient work queue. */
export class ConnectionRegistry {
  private readonly byPatient = new Map<string, Set<PatientSocket>>();
  private readonly chains = new Map<string, Promise<void>>();

  add(sock: PatientSocket): void {
    let set = this.byPatient.get(sock.patientId);
    if (set === undefined) this.byPatient.set(sock.patientId, (set = new Set()));
    set.add(sock);
  }

  /** Removes the socket; true when it was the patient's last one here. */
  remove(sock: PatientSocket): boolean {
    const set = this.byPatient.get(sock.patientId);
    if (set === undefined) return true;
    set.delete(sock);
    if (set.size === 0) { this.byPatient.delete(sock.patientId); return true; }
    return false;
  }

  socketsOf(patientId: string): PatientSocket[] {
    return [...(this.byPatient.get(patientId) ?? [])];
  }

  patients(): string[] {
    return [...this.byPatient.keys()];
  }

  all(): PatientSocket[] {
    return [...this.byPatient.values()].flatMap((s) => [...s]);
  }

  get size(): number {
    let n = 0;
    for (const s of this.byPatient.values()) n += s.size;
    return n;
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
