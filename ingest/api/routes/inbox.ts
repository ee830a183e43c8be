import { randomUUID } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AuditSink } from '../../../platform/audit/types.js';
import { actorOf, requirePermission, type Principal } from '../../../platform/auth/principal.js';
import type { Permission } from '../../../platform/auth/roles.js';
import type { Keyring } from '../../../platform/crypto/keyring.js';
import { CareloopError } from '../../../platform/errors.js';
import { inboxText, outboundFor } from '../../../platform/inbox/patient-messages.js';
import { isSecretRef } from '../../../platform/inbox/secret-ref.js';
import type { TaskStore } from '../../../platform/inbox/task-store.js';
import type { Task } from '../../../platform/inbox/types.js';
import type { Publisher } from '../../../platform/kafka/publisher.js';
import type { ConversationHolds } from '../../../platform/stores/conversation-holds.js';
import { errorResponses } from '../../http.js';
import { principalOf } from '../principal.js';
import { OrgParams } from './common.js';
import { ReplyBody, ResolveBody, SettingsBody, SettingsView, TaskDetail, TaskParams, TaskQuery, TaskView, taskView } from './inbox-schemas.js';

export interface InboxRoutesDeps {
  tasks: TaskStore;
  holds: ConversationHolds;
  keyring: Keyring;
  /** chat.outbound: staff replies and the inbox's notices take the normal delivery path. */
  publisher: Pick<Publisher, 'publish'>;
  audit: AuditSink;
  /** The patient's recent conversation (the gateway's sealed chat history, opened), oldest first. */
  conversation(organizationId: string, patientId: string): Promise<Array<{ id: string; from: 'patient' | 'assistant'; text: string; at: number }>>;
  now(): number;
}

const responses = { ...errorResponses, 409: Type.Ref('Error') };
const base = '/v1/organizations/:organizationId/tasks';

/**
 * The care-team inbox for staff (role care_team or org_admin): list and filter tasks, claim, reply
 * to the patient, resolve with an outcome; acknowledge an on-call page. Every view of a task is a
 * PHI access (the patient's pseudonymous id with the reason for care, and their words) and audited.
 */
export function registerInboxRoutes(app: FastifyInstance, deps: InboxRoutesDeps): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const { tasks, holds, audit } = deps;

  /** The permission check and the audit event of one access, denied accesses included. */
  const access = async (req: FastifyRequest, org: string, permission: Permission, action: string, patientId: string | null, extra: { fields?: string[]; resultCount?: number } = {}): Promise<Principal> => {
    const principal = principalOf(req);
    requirePermission(principal, permission, org);
    await audit.record({ organizationId: org, actor: actorOf(principal, { ip: req.ip, service: 'api' }), action, patientId, purpose: 'treatment', outcome: 'success', ...extra });
    return principal;
  };

  r.get(base, { schema: { summary: 'Tasks of the care-team inbox, most urgent and earliest due first (audited)', params: OrgParams, querystring: TaskQuery, response: { 200: Type.Object({ tasks: Type.Array(TaskView), next: Type.Union([Type.String(), Type.Null()]) }), ...responses } } }, async (req) => {
    const org = req.params.organizationId;
    requirePermission(principalOf(req), 'phi:read', org);
    const now = deps.now();
    const { limit = 50, ...filter } = req.query;
    const page = await tasks.list(org, { ...filter, limit }, now);
    await access(req, org, 'phi:read', 'inbox.tasks.list', req.query.patientId ?? null, { resultCount: page.tasks.length });
    return { tasks: page.tasks.map((t) => taskView(t, now)), next: page.next };
  });

  r.get(`${base}/:taskId`, { schema: { summary: 'One task with the patient\'s words that raised it (audited PHI read)', params: TaskParams, response: { 200: TaskDetail, ...responses } } }, async (req) => {
    const { organizationId: org, taskId } = req.params;
    requirePermission(principalOf(req), 'phi:read', org);
    const task = await tasks.get(org, taskId);
    const sealed = await tasks.message(org, taskId);
    await access(req, org, 'phi:read', 'inbox.task.read', task.patientId, { fields: sealed === null ? [] : ['message'] });
    const message = sealed === null ? null : await deps.keyring.openText(org, task.patientId, sealed);
    return { ...taskView(task, deps.now()), message };
  });

  r.get(`${base}/:taskId/conversation`, { schema: { summary: 'The patient\'s recent conversation, to answer in context (audited PHI read)', params: TaskParams, response: { 200: Type.Object({ messages: Type.Array(Type.Object({ id: Type.String(), from: Type.String(), text: Type.String(), at: Type.String() })) }), ...responses } } }, async (req) => {
    const { organizationId: org, taskId } = req.params;
    requirePermission(principalOf(req), 'phi:read', org);
    const task = await tasks.get(org, taskId);
    const lines = await deps.conversation(org, task.patientId);
    await access(req, org, 'phi:read', 'inbox.task.conversation', task.patientId, { fields: ['text'], resultCount: lines.length });
    return { messages: lines.map((l) => ({ id: l.id, from: l.from, text: l.text, at: new Date(l.at).toISOString() })) };
  });

  r.post(`${base}/:taskId/claim`, { schema: { summary: 'Claim a task: the caller holds the patient\'s conversation (the bot stays quiet) and paging stops', params: TaskParams, response: { 200: TaskView, ...responses } } }, async (req) => {
    const { organizationId: org, taskId } = req.params;
    const principal = principalOf(req);
    requirePermission(principal, 'phi:write', org);
    const task = await tasks.claim(org, taskId, principal.id, deps.now());
    await holds.hold(task.patientId, task.id, task.dueAt);
    await access(req, org, 'phi:write', 'inbox.task.claim', task.patientId);
    return taskView(task, deps.now());
  });

  r.post(`${base}/:taskId/ack`, { schema: { summary: 'Acknowledge an urgent task\'s on-call page: no further contact is paged', params: TaskParams, response: { 200: TaskView, ...responses } } }, async (req) => {
    const { organizationId: org, taskId } = req.params;
    const principal = principalOf(req);
    requirePermission(principal, 'phi:write', org);
    const task = await tasks.acknowledge(org, taskId, principal.id, deps.now());
    await access(req, org, 'phi:write', 'inbox.task.ack', task.patientId);
    return taskView(task, deps.now());
  });

  r.post(`${base}/:taskId/replies`, { schema: { summary: 'Reply to the patient on their conversation\'s channel (claims an open task; audited)', params: TaskParams, body: ReplyBody, response: { 202: Type.Object({ messageId: Type.String(), replies: Type.Integer() }), ...responses } } }, async (req, reply) => {
    const { organizationId: org, taskId } = req.params;
    const principal = principalOf(req);
    requirePermission(principal, 'phi:write', org);
    const now = deps.now();
    const task = await tasks.claim(org, taskId, principal.id, now);
    await holds.hold(task.patientId, task.id, task.dueAt);
    const messageId = randomUUID();
    const out = await outboundFor(deps.keyring, task, { messageId, traceId: randomUUID(), kind: 'REPLY', templateId: 'care_team_reply', text: req.body.text, at: now });
    await deps.publisher.publish('chat.outbound', [{ key: task.patientId, value: out }]);
    const replies = await tasks.recordReply(org, taskId, now);
    await access(req, org, 'phi:write', 'inbox.task.reply', task.patientId, { fields: ['text'] });
    return reply.code(202).send({ messageId, replies });
  });

  r.post(`${base}/:taskId/resolve`, { schema: { summary: 'Resolve a task with an outcome; the bot resumes once no task holds the conversation', params: TaskParams, body: ResolveBody, response: { 200: TaskView, ...responses } } }, async (req) => {
    const { organizationId: org, taskId } = req.params;
    const principal = principalOf(req);
    requirePermission(principal, 'phi:write', org);
    const now = deps.now();
    const task = await tasks.resolve(org, taskId, principal.id, req.body.outcome, now);
    await releaseHold(deps, task, now);
    await access(req, org, 'phi:write', 'inbox.task.resolve', task.patientId);
    return taskView(task, now);
  });

  r.get('/v1/organizations/:organizationId/inbox/settings', { schema: { summary: 'The inbox\'s SLA, on-call contacts and webhook secret reference', params: OrgParams, response: { 200: SettingsView, ...responses } } }, async (req) => {
    requirePermission(principalOf(req), 'settings:manage', req.params.organizationId);
    const s = await tasks.settings(req.params.organizationId);
    return { sla: s.sla, contacts: [...s.contacts], webhookSecretRef: s.webhookSecretRef, ackTimeoutMs: s.ackTimeoutMs };
  });

  r.put('/v1/organizations/:organizationId/inbox/settings', { schema: { summary: 'Set the inbox\'s SLA, on-call contacts and webhook secret reference', params: OrgParams, body: SettingsBody, response: { 200: SettingsView, ...responses } } }, async (req) => {
    const org = req.params.organizationId;
    requirePermission(principalOf(req), 'settings:manage', org);
    const b = req.body;
    if (b.webhookSecretRef !== '' && !isSecretRef(b.webhookSecretRef)) {
      throw new CareloopError('VALIDATION_FAILED', 'webhookSecretRef must be env:NAME (not a CARELOOP_ variable) or file:/absolute/path', { details: { field: 'webhookSecretRef' } });
    }
    if (b.contacts.some((c) => !/^https?:$/.test(new URL(c.url).protocol))) throw new CareloopError('VALIDATION_FAILED', 'contact urls must be http(s)', { details: { field: 'contacts' } });
    await tasks.putSettings(org, { sla: b.sla, contacts: b.contacts, webhookSecretRef: b.webhookSecretRef, ackTimeoutMs: b.ackTimeoutMs });
    const s = await tasks.settings(org);
    return { sla: s.sla, contacts: [...s.contacts], webhookSecretRef: s.webhookSecretRef, ackTimeoutMs: s.ackTimeoutMs };
  });
}

/** Resolution releases the task's hold; when no other task holds the conversation, the patient is told the bot is back. */
async function releaseHold(deps: InboxRoutesDeps, task: Task, now: number): Promise<void> {
  const before = await deps.holds.get(task.patientId);
  if (before === null || !before.taskIds.includes(task.id)) return;
  await deps.holds.release(task.patientId, task.id);
  if ((await deps.holds.get(task.patientId)) !== null) return;
  const text = inboxText('inbox_resumed', task.language, {});
  const out = await outboundFor(deps.keyring, task, { messageId: randomUUID(), traceId: randomUUID(), kind: 'SYSTEM', templateId: 'inbox_resumed', text, at: now });
  await deps.publisher.publish('chat.outbound', [{ key: task.patientId, value: out }]);
}
