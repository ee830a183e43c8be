import { startGroupConsumer } from '../../platform/service/group-consumer.js';
import type { RunningService, ServiceContext, ServiceDefinition } from '../../platform/service/types.js';
import type { PatientAction } from '../../schemas/generated/avro-types.js';
import type { Outputs } from '../../platform/booking/records.js';
import { BookingProcessor } from './booking.js';
import { DirectoryLoader } from './directory.js';
import { BookingStore } from '../../platform/stores/bookings.js';
import type { Publisher } from '../../platform/kafka/publisher.js';

const DIRECTORY_TTL_MS = 60_000;

/** Signals before requests: the patient hears of a change before the next call about it can land. */
async function publish(publisher: Publisher, o: Outputs): Promise<void> {
  if (o.signals.length > 0) await publisher.publish('patient.signals', o.signals.map((s) => ({ key: s.patientId, value: s })));
  if (o.requests.length > 0) await publisher.publish('hospital.requests', o.requests.map((r) => ({ key: r.patientId, value: r })));
}

export const booking: ServiceDefinition = {
  name: 'booking',
  description: 'finds services and free slots, holds a slot per booking, queues the calls to the hospital',
  async start(ctx: ServiceContext): Promise<RunningService> {
    const [pool, keyring, publisher, security] = await Promise.all([ctx.deps.postgres(), ctx.deps.keyring(), ctx.deps.publisher(), ctx.deps.security()]);
    const processor = new BookingProcessor({
      pool, keyring, store: new BookingStore(pool), directory: new DirectoryLoader(pool, keyring, DIRECTORY_TTL_MS, ctx.now), now: ctx.now, offerHorizonMs: ctx.cfg.booking.offerHorizon,
      async patientPosition(organizationId, patientId) {
        const identity = await security.vault.getIdentity({ kind: 'service', id: 'booking', service: 'booking' }, organizationId, patientId, 'treatment');
        return identity.address?.position ?? null;
      },
    });
    const consumer = await startGroupConsumer(ctx, 'booking', {
      process: async (value) => publish(publisher, await processor.handle(value as PatientAction)),
    });
    return { name: 'booking', endpoints: [], checks: ctx.deps.checks(['kafka', 'registry', 'postgres']), stop: () => consumer.stop() };
  },
};
