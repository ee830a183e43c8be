import { ProfileStore, profileKeyPrefix } from '../../platform/profiles/store.js';
import { catalogWithSegments } from '../../platform/profiles/workflow-fields.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sessionSecret } from '../../platform/auth/secrets.js';
import { repoRoot } from '../../platform/paths.js';
import { listenerTls } from '../../platform/service/tls.js';
import { ConversationStore } from '../../platform/stores/conversation-store.js';
import { ChatHistory, type HistoryEntry } from '../../platform/stores/chat-history.js';
import { WebChannel } from '../../platform/delivery/web-channel.js';
import { PushDevices } from '../../platform/stores/push-devices.js';
import { RateLimiter } from '../../platform/stores/rate-limit.js';
import type { RunningService, ServiceContext, ServiceDefinition } from '../../platform/service/types.js';
import { modelPath } from '../../platform/nlu/model-path.js';
import { defaultCatalog } from '../../platform/workflow/catalog.js';
import { WorkflowRepository } from '../../platform/workflow/repository.js';
import { realUnderstanding } from '../../platform/workflow/understanding.js';
import { importerDeps } from '../fhir/wiring.js';
import { buildApiApp } from './app.js';
import { TaskStore } from '../../platform/inbox/task-store.js';
import { inboxDefaults } from '../../platform/inbox/wiring.js';
import { ConversationHolds } from '../../platform/stores/conversation-holds.js';
import { EhrEndpointStore } from '../../platform/stores/ehr-endpoints.js';
import { CaregiverStore } from '../../platform/stores/caregivers.js';
import { OrgIndexKeys } from '../../platform/vault/index-keys.js';
import { StaffAccounts } from '../../platform/auth/staff-accounts.js';
import { createIssuer, PORTAL_CLIENT_ID } from '../idp/issuer.js';
import { idpIssuerUrl, portalOrigins } from '../idp/urls.js';
import { CampaignStore } from '../../platform/campaigns/store.js';
import { clickhouseResponded } from '../../platform/campaigns/facts.js';
import { profileSegments } from '../../platform/campaigns/segments.js';
import { Tenants } from '../../platform/tenants/organizations.js';

/** The admin and integration API: organisations, patients (vault), API keys, audit. */
export const adminApi: ServiceDefinition = {
  name: 'api',
  description: 'admin and integration HTTP API (OpenAPI at /openapi.json)',
  async start(ctx: ServiceContext): Promise<RunningService> {
    const { cfg, deps } = ctx;
    // Every time the API stamps (imports, tokens, publications) is the process clock's (clock.offset).
    const clock = (): Date => new Date(ctx.now());
    const pkg = JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')) as { version: string };
    const [security, pool, redis, publisher] = await Promise.all([deps.security(), deps.postgres(), deps.redis(), deps.publisher()]);
    const understand = await realUnderstanding([], modelPath()).catch(() => undefined);
    if (understand === undefined) ctx.log.warn('the intent model is missing: workflow simulation is off until `npm run build`');
    const keyring = await deps.keyring();
    const history = new ChatHistory(redis, cfg.redis.keyPrefix, cfg.gateway.historyLines);
    const conversations = new ConversationStore(redis, 1, Date.now, cfg.redis.keyPrefix);
    const web = new WebChannel(redis, cfg.redis.keyPrefix);
    const pushDevices = new PushDevices(pool, keyring);
    const holds = new ConversationHolds(redis, cfg.redis.keyPrefix);
    const tasks = new TaskStore(pool, cfg.kafka.topicPrefix, inboxDefaults(cfg));
    const profiles = new ProfileStore(redis, profileKeyPrefix(cfg));
    const staff = new StaffAccounts(pool);
    const openConversation = async (org: string, patientId: string): Promise<HistoryEntry[]> => {
      const lines = await Promise.all((await history.recent(patientId)).map((s) => keyring.openText(org, patientId, s).then((t) => JSON.parse(t) as HistoryEntry, () => null)));
      return lines.filter((l): l is HistoryEntry => l !== null);
    };
    const app = await buildApiApp({
      log: ctx.log, metrics: ctx.metrics, version: pkg.version, https: listenerTls(cfg), bodyLimit: cfg.api.maxBodyBytes,
      authenticate: (header) => security.authenticator.authenticate(header),
      limiter: new RateLimiter(redis, { capacity: cfg.api.rateLimitBurst, refillPerSecond: cfg.api.rateLimitPerMinute / 60 }, Date.now, cfg.redis.keyPrefix),
      security, pool, sessionSecret: sessionSecret(cfg), sessionTtlMs: cfg.auth.sessionTtl, now: clock,
      ehrEndpoints: new EhrEndpointStore(pool, keyring),
      // Tenants, partners, campaigns, reports (PostgreSQL care data, responses from ClickHouse), consents.
      campaigns: {
        tenants: new Tenants(pool, security.apiKeys, ctx.now), campaigns: new CampaignStore(pool, ctx.now), audit: security.audit, now: ctx.now,
        reports: { pool, responded: clickhouseResponded(await deps.clickhouse()), segmentsOf: profileSegments(profiles) },
      },
      caregivers: { pool, keyring, audit: security.audit, caregivers: new CaregiverStore(pool, cfg.kafka.topicPrefix, security.audit), indexKeys: new OrgIndexKeys(pool, keyring, cfg.crypto.keyCacheTtl) },
      workflows: {
        repo: new WorkflowRepository(pool), publisher, now: clock,
        // The organisation's current segment names, so a misspelt `if segment is "…"` is refused at publish.
        catalogFor: async (org) => catalogWithSegments(
          defaultCatalog((await pool.query<{ languages: string[] }>('SELECT languages FROM organizations WHERE id = $1', [org])).rows[0]?.languages ?? ['en']),
          await profiles.segments(org)),
        ...(understand ? { understand } : {}),
      },
      fhir: {
        pool, keyring, vault: security.vault, audit: security.audit, version: pkg.version, now: clock,
        importer: await importerDeps(cfg, deps, true, clock),
        conversations: {
          // The gateway's sealed chat history (the last lines per patient): what Communication exports.
          async recent(org, patientId) {
            const lines = await Promise.all((await history.recent(patientId)).map((s) => keyring.openText(org, patientId, s).then((t) => JSON.parse(t) as HistoryEntry, () => null)));
            return lines.filter((l): l is HistoryEntry => l !== null);
          },
        },
      },
      inbox: {
        tasks, holds,
        keyring, publisher, audit: security.audit, now: ctx.now,
        async conversation(org, patientId) {
          const lines = await Promise.all((await history.recent(patientId)).map((s) => keyring.openText(org, patientId, s).then((t) => JSON.parse(t) as HistoryEntry, () => null)));
          return lines.filter((l): l is HistoryEntry => l !== null);
        },
      },
      portalData: { staff, conversation: openConversation },
      analytics: { clickhouse: () => deps.clickhouse(), database: cfg.clickhouse.database, now: clock },
      portal: { dir: join(repoRoot(), 'dist/portal'), config: { issuer: cfg.auth.staffIssuer, clientId: PORTAL_CLIENT_ID, audience: cfg.auth.staffAudience } },
      async forgetConversation(patientId) {
        await conversations.delete(patientId);
        // The web channel and the push devices own their data: erasure goes through their modules.
        await web.forget(patientId);
        await pushDevices.forgetPatient(patientId);
        await holds.forget(patientId);
        await tasks.forgetPatientWords(patientId);
      },
    });
    const url = await app.listen({ host: cfg.services.host, port: cfg.services.apiPort });
    const endpoints = [{ name: 'admin API', url }, { name: 'OpenAPI', url: `${url}/openapi.json` }, { name: 'portal', url: `${url}/portal/` }];
    // The built-in OpenID Connect issuer of the local stack (staff sign-in for the portal), on its own port.
    let issuer: ReturnType<typeof createIssuer> | undefined;
    if (cfg.idp.enabled) {
      issuer = createIssuer({
        issuer: idpIssuerUrl(cfg), portalOrigins: portalOrigins(cfg), audience: cfg.auth.staffAudience, organizationClaim: cfg.auth.organizationClaim, roleClaim: cfg.auth.roleClaim,
        accounts: staff, audit: security.audit, keysFile: join(repoRoot(), cfg.stack.dir, 'idp-keys.json'), log: ctx.log,
      });
      const server = issuer.server;
      await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(cfg.idp.port, cfg.services.host, () => resolve()); });
      endpoints.push({ name: 'sign-in (OIDC)', url: idpIssuerUrl(cfg) });
    }
    return {
      name: 'api',
      endpoints,
      checks: deps.checks(['postgres', 'redis']),
      stop: async () => {
        await app.close();
        if (issuer !== undefined) { const server = issuer.server; await new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }); }
      },
    };
  },
};
