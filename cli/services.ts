import type { ServiceDefinition } from '../platform/service/types.js';

/**
 * Every service of the one image, in start order, each loaded only when it is started: a process
 * that runs one service (a pod, a restart after a crash) imports that service's code alone, not the
 * whole product. `careloop run all` loads them all.
 */
const LOADERS: ReadonlyArray<readonly [string, () => Promise<ServiceDefinition>]> = [
  ['api', async () => (await import('../ingest/api/main.js')).adminApi],
  ['intent', async () => (await import('../stream-processors/intent/main.js')).intent],
  ['dialogue', async () => (await import('../stream-processors/dialogue/main.js')).dialogue],
  ['actions', async () => (await import('../stream-processors/actions/main.js')).actions],
  ['delivery-ws', async () => (await import('../delivery/ws/main.js')).wsDelivery],
  ['analytics-sink', async () => (await import('../stream-processors/analytics-sink/main.js')).analyticsSink],
  ['scheduler', async () => (await import('../stream-processors/scheduler/main.js')).scheduler],
  ['gateway', async () => (await import('../ingest/gateway/main.js')).gateway],
  ['delivery-push', async () => (await import('../delivery/push/main.js')).pushDelivery],
  ['delivery-sms', async () => (await import('../delivery/sms/main.js')).smsDelivery],
  ['twilio', async () => (await import('../ingest/twilio/main.js')).twilioIngest],
  ['reminder-planner', async () => (await import('../stream-processors/reminder-planner/main.js')).reminderPlanner],
  ['profiling', async () => (await import('../profiling/main.js')).profiling],
  ['booking', async () => (await import('../stream-processors/booking/main.js')).booking],
  ['hospital-outbound', async () => (await import('../stream-processors/hospital-outbound/main.js')).hospitalOutbound],
  ['caregiver-notifier', async () => (await import('../delivery/sms/caregiver-main.js')).caregiverNotifier],
];

/** The services' names, in start order, known without loading any of them. */
export const SERVICE_NAMES: readonly string[] = LOADERS.map(([name]) => name);

/** The named services' definitions (loading only those); undefined for a name that is not a service. */
export async function loadService(name: string): Promise<ServiceDefinition | undefined> {
  const loader = LOADERS.find(([n]) => n === name)?.[1];
  return loader === undefined ? undefined : loader();
}

/** Every service's definition, in start order. */
export async function loadAllServices(): Promise<ServiceDefinition[]> {
  return Promise.all(LOADERS.map(([, load]) => load()));
}
