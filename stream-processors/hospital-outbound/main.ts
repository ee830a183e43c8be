import { Counter, type Registry } from 'prom-client';
import type { Outputs } from '../../platform/booking/records.js';
import type { Publisher } from '../../platform/kafka/publisher.js';
import { startGroupConsumer } from '../../platform/service/group-consumer.js';
import type { RunningService, ServiceContext, ServiceDefinition } from '../../platform/service/types.js';
import { BookingStore, medicationOf } from '../../platform/stores/bookings.js';
import { EhrEndpointStore } from '../../platform/stores/ehr-endpoints.js';
import { OrgIndexKeys } from '../../platform/vault/index-keys.js';
import type { HospitalRequest } from '../../schemas/generated/avro-types.js';
import { HospitalOutbound } from './outbound.js';
import { reconcile } from './reconcile.js';

const RECONCILE_LOOKBACK_MS = 30 * 86_400_000;

/** Signals before requests: the patient hears of a change before the next call about it can land. */
async function publish(publisher: Publisher, o: Outputs): Promise<void> {
  if (o.signals.length > 0) await publisher.publish('patient.signals', o.signals.map((s) => ({ key: s.patientId, value: s })));
  if (o.requests.length > 0) await publisher.publish('hospital.requests', o.requests.map((r) => ({ key: r.patientId, value: r })));
}

function reconcileMetrics(registry: Registry): { drift: Counter<'kind'> } {
  return { drift: new Counter({ name: 'careloop_booking_reconcile_total', help: 'What the booking reconciliation found, by kind (checked, drift, no_show, cancelled_there, orphan_cancelled, unreachable)', labelNames: ['kind'], registers: [registry] }) };
}

export const hospitalOutbound: ServiceDefinition = {
  name: 'hospital-outbound',
  description: 'books and cancels at each organisation\'s FHIR server from hospital.requests; reconciles bookings with the hospitals',
  async start(ctx: ServiceContext): Promise<RunningService> {
    const [pool, keyring, publisher] = await Promise.all([ctx.deps.postgres(), ctx.deps.keyring(), ctx.deps.publisher()]);
    const store = new BookingStore(pool);
    const endpoints = new EhrEndpointStore(pool, keyring);
    const indexKeys = new OrgIndexKeys(pool, keyring, ctx.cfg.crypto.keyCacheTtl);
    const outbound = new HospitalOutbound({
      store, endpoint: (org) => endpoints.get(org), indexKey: (org) => indexKeys.indexKey(org),
      medication: async (org, patientId, id) => (await medicationOf(pool, keyring, org, patientId, { id }))?.label,
      timeoutMs: ctx.cfg.booking.hospitalTimeout, maxRetries: ctx.cfg.consumer.maxRetries, now: ctx.now,
    });
    const consumer = await startGroupConsumer(ctx, 'hospital-outbound', {
      process: async (value, rc) => outbound.handle(value as HospitalRequest, rc, (o) => publish(publisher, o)),
    });
    const metrics = reconcileMetrics(ctx.metrics.registry);
    let running = false;
    const round = async (): Promise<void> => {
      if (running) return;
      running = true;
      try {
        const r = await reconcile({ store, client: (org) => outbound.client(org), publish: (signals) => publish(publisher, { signals, requests: [] }), now: ctx.now, log: ctx.log }, ctx.now() - RECONCILE_LOOKBACK_MS);
        metrics.drift.inc({ kind: 'checked' }, r.checked);
        metrics.drift.inc({ kind: 'drift' }, r.drift);
        metrics.drift.inc({ kind: 'no_show' }, r.noShows);
        metrics.drift.inc({ kind: 'cancelled_there' }, r.cancelledThere);
        metrics.drift.inc({ kind: 'orphan_cancelled' }, r.orphansCancelled);
        metrics.drift.inc({ kind: 'unreachable' }, r.unreachable);
      } catch (err) {
        ctx.log.warn({ err: (err as Error).message }, 'reconciliation round failed; the next one retries');
      } finally {
        running = false;
      }
    };
    const interval = ctx.cfg.booking.reconcileInterval > 0 ? setInterval(() => { void round(); }, ctx.cfg.booking.reconcileInterval) : undefined;
    return {
      name: 'hospital-outbound', endpoints: [], checks: ctx.deps.checks(['kafka', 'registry', 'postgres']),
      stop: async () => { if (interval !== undefined) clearInterval(interval); await consumer.stop(); },
    };
  },
};
