import type { ServiceDefinition } from '../platform/service/types.js';
import { analyticsSink } from '../stream-processors/analytics-sink/main.js';
import { adminApi } from '../ingest/api/main.js';

/** Every service of the one image, in start order; `careloop run all` starts them all. */
export const SERVICES: readonly ServiceDefinition[] = [adminApi, analyticsSink];

export function findService(name: string): ServiceDefinition | undefined {
  return SERVICES.find((s) => s.name === name);
}
