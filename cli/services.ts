import type { ServiceDefinition } from '../platform/service/types.js';
import { adminApi } from '../ingest/api/main.js';
import { gateway } from '../ingest/gateway/main.js';
import { intent } from '../stream-processors/intent/main.js';
import { dialogue } from '../stream-processors/dialogue/main.js';
import { actions } from '../stream-processors/actions/main.js';
import { analyticsSink } from '../stream-processors/analytics-sink/main.js';
import { wsDelivery } from '../delivery/ws/main.js';
import { scheduler } from '../stream-processors/scheduler/main.js';
import { pushDelivery } from '../delivery/push/main.js';
import { smsDelivery } from '../delivery/sms/main.js';
import { caregiverNotifier } from '../delivery/sms/caregiver-main.js';
import { twilioIngest } from '../ingest/twilio/main.js';
import { reminderPlanner } from '../stream-processors/reminder-planner/main.js';
import { profiling } from '../profiling/main.js';
import { booking } from '../stream-processors/booking/main.js';
import { hospitalOutbound } from '../stream-processors/hospital-outbound/main.js';

/** Every service of the one image, in start order; `careloop run all` starts them all. */
export const SERVICES: readonly ServiceDefinition[] = [adminApi, intent, dialogue, actions, wsDelivery, analyticsSink, scheduler, gateway, pushDelivery, smsDelivery, twilioIngest, reminderPlanner, profiling, booking, hospitalOutbound, caregiverNotifier];

export function findService(name: string): ServiceDefinition | undefined {
  return SERVICES.find((s) => s.name === name);
}
