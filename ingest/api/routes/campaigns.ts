import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { actorOf, requirePermission, requirePlatformOperator, type Principal } from '../../../platform/auth/principal.js';
import type { AuditSink } from '../../../platform/audit/types.js';
import { campaignReport, type ReportSources } from '../../../platform/campaigns/facts.js';
import { reportPdf } from '../../../platform/campaigns/pdf.js';
import { reportCsv } from '../../../platform/campaigns/report.js';
import { CONSENT_SOURCES, type CampaignStore } from '../../../platform/campaigns/store.js';
import { MEDICATION_CLASSES } from '../../../platform/lexicon/medication-class.js';
import { CareloopError } from '../../../platform/errors.js';
import type { Tenants } from '../../../platform/tenants/organizations.js';
import { isTimeZone } from '../../../platform/time/zones.js';
import { errorResponses } from '../../http.js';
import { principalOf } from '../principal.js';
import { Id, OrgParams } from './common.js';

export interface CampaignRoutesDeps {
  tenants: Tenants;
  campaigns: CampaignStore;
  reports: ReportSources;
  audit: AuditSink;
  now: () => number;
}

const Slug = Type.String({ minLength: 2, maxLength: 63, pattern: '^[a-z0-9][a-z0-9-]{1,62}$' });
const Purpose = Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9][a-z0-9_.-]{0,63}$' });
const Day = Type.String({ minLength: 10, maxLength: 10, pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' });
const Name = Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' });
const Email = Type.String({ minLength: 3, maxLength: 254, pattern: '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$' });

const Organization = Type.Object({ id: Type.String(), displayName: Type.String(), status: Type.Union([Type.Literal('active'), Type.Literal('suspended')]), createdAt: Type.String() });
const Partner = Type.Object({ id: Type.String(), displayName: Type.String(), createdAt: Type.String() });
const Cohort = Type.Object({
  segment: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  medicationClass: Type.Optional(Type.String({ enum: [...MEDICATION_CLASSES] } as { enum: string[] })),
}, { additionalProperties: false });
const Period = Type.Object({ from: Day, to: Day }, { additionalProperties: false });
const Campaign = Type.Object({
  id: Type.String(), name: Type.String(), purpose: Type.String(), workflowId: Type.String(), cohort: Cohort, period: Period,
  partnerIds: Type.Array(Type.String()), status: Type.Union([Type.Literal('scheduled'), Type.Literal('active'), Type.Literal('ended')]), createdAt: Type.String(),
});
const ConsentStatus = Type.Union([Type.Literal('given'), Type.Literal('withdrawn')]);
const Consent = Type.Object({ patientId: Type.String(), purpose: Type.String(), status: ConsentStatus, at: Type.String(), source: Type.Union(CONSENT_SOURCES.map((s) => Type.Literal(s))) });

const Cell = Type.Object({ value: Type.Union([Type.Integer(), Type.Null()]), suppressed: Type.Boolean() });
const Num = Type.Union([Type.Number(), Type.Null()]);
const Ci = Type.Union([Type.Array(Type.Number(), { minItems: 2, maxItems: 2 }), Type.Null()]);
const Group = { patients: Cell, pre: Num, post: Num, change: Num, ci95: Ci };
const Report = Type.Object({
  campaignId: Type.String(), name: Type.String(), purpose: Type.String(),
  period: Type.Object({ from: Type.String(), to: Type.String() }), asOf: Type.String(), provisional: Type.Boolean(),
  generatedFrom: Type.Object({ from: Type.String(), to: Type.String() }), minCellSize: Type.Integer(),
  reach: Cell,
  engagement: Type.Object({ responded: Cell, notResponded: Cell, responseRate: Num }),
  adherence: Type.Object({
    metric: Type.Literal('pdc'), ...Group,
    comparison: Type.Object({ kind: Type.Literal('matched_non_campaign'), ...Group }),
    difference: Type.Object({ value: Num, ci95: Ci }),
  }),
  byWeek: Type.Array(Type.Object({ week: Type.String(), sent: Cell, responded: Cell, notResponded: Cell })),
  totals: Type.Object({ sent: Cell, responded: Cell, notResponded: Cell }),
});

const CampaignParams = Type.Object({ organizationId: Id, campaignId: Id }, { additionalProperties: false });
const ConsentParams = Type.Object({ organizationId: Id, patientId: Id, purpose: Purpose }, { additionalProperties: false });
const PlatformOrgParams = Type.Object({ organizationId: Id }, { additionalProperties: false });

/** Org routes a partner may use: only reads of campaigns shared with it. */
function campaignReader(principal: Principal, org: string): string | null {
  requirePermission(principal, 'reports:read', org);
  if (principal.role !== 'partner') return null;
  // A partner principal without its partner sees nothing (no campaign is shared with "no partner").
  return principal.partnerId ?? '\u0000none';
}

const json = (schema: TSchema): { content: Record<string, { schema: TSchema }> } => ({ content: { 'application/json': { schema } } });

/**
 * Tenants (the platform operator's /v1/platform/*), partners, campaigns, their de-identified reports
 * (JSON, CSV, PDF) and consent per patient and purpose. See docs/portal.md.
 */
export function registerCampaignRoutes(app: FastifyInstance, deps: CampaignRoutesDeps): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.get('/v1/platform/organizations', {
    schema: { summary: 'Every organisation (platform operator)', response: { 200: Type.Object({ organizations: Type.Array(Organization) }), ...errorResponses } },
  }, async (req) => {
    requirePlatformOperator(principalOf(req));
    return { organizations: await deps.tenants.list() };
  });

  r.post('/v1/platform/organizations', {
    schema: {
      summary: 'Create an organisation and its first admin (an org_admin API key, returned once, and a pending staff invite)',
      body: Type.Object({ id: Slug, displayName: Name, timeZone: Type.String({ minLength: 1, maxLength: 64 }), admin: Type.Object({ email: Email, name: Name }, { additionalProperties: false }) }, { additionalProperties: false }),
      response: {
        201: Type.Object({ organization: Organization, admin: Type.Object({ userId: Type.String(), email: Type.String(), status: Type.Literal('invited'), apiKey: Type.Object({ id: Type.String(), token: Type.String() }) }) }),
        409: Type.Ref('Error'), ...errorResponses,
      },
    },
  }, async (req, reply) => {
    requirePlatformOperator(principalOf(req));
    if (!isTimeZone(req.body.timeZone)) throw new CareloopError('VALIDATION_FAILED', `unknown time zone ${req.body.timeZone}`, { details: { field: 'timeZone' } });
    return reply.code(201).send(await deps.tenants.create(req.body));
  });

  for (const action of ['suspend', 'resume'] as const) {
    r.post(`/v1/platform/organizations/:organizationId/${action}`, {
      schema: { summary: action === 'suspend' ? 'Suspend an organisation: its credentials are refused (403 ORGANIZATION_SUSPENDED) until resumed' : 'Resume a suspended organisation', params: PlatformOrgParams, response: { 200: Type.Object({ organization: Organization }), ...errorResponses } },
    }, async (req) => {
      requirePlatformOperator(principalOf(req));
      return { organization: await deps.tenants.setStatus(req.params.organizationId, action === 'suspend' ? 'suspended' : 'active') };
    });
  }

  r.get('/v1/organizations/:organizationId/partners', {
    schema: { summary: 'The organisation\'s partners (who campaign reports may be shared with)', params: OrgParams, response: { 200: Type.Object({ partners: Type.Array(Partner) }), ...errorResponses } },
  }, async (req) => {
    requirePermission(principalOf(req), 'campaigns:manage', req.params.organizationId);
    return { partners: await deps.campaigns.listPartners(req.params.organizationId) };
  });

  r.post('/v1/organizations/:organizationId/partners', {
    schema: { summary: 'Add a partner', params: OrgParams, body: Type.Object({ id: Id, displayName: Name }, { additionalProperties: false }), response: { 201: Type.Object({ partner: Partner }), 409: Type.Ref('Error'), ...errorResponses } },
  }, async (req, reply) => {
    requirePermission(principalOf(req), 'campaigns:manage', req.params.organizationId);
    return reply.code(201).send({ partner: await deps.campaigns.createPartner(req.params.organizationId, req.body.id, req.body.displayName) });
  });

  r.get('/v1/organizations/:organizationId/campaigns', {
    schema: { summary: 'The organisation\'s campaigns (a partner: those shared with it)', params: OrgParams, response: { 200: Type.Object({ campaigns: Type.Array(Campaign) }), ...errorResponses } },
  }, async (req) => {
    const partner = campaignReader(principalOf(req), req.params.organizationId);
    return { campaigns: await deps.campaigns.listCampaigns(req.params.organizationId, partner) };
  });

  r.post('/v1/organizations/:organizationId/campaigns', {
    schema: {
      summary: 'Create a campaign: a published workflow for a cohort over a period, shared with partners',
      params: OrgParams,
      body: Type.Object({ name: Name, purpose: Purpose, workflowId: Id, cohort: Cohort, period: Period, partnerIds: Type.Array(Id, { maxItems: 50 }) }, { additionalProperties: false }),
      response: { 201: Campaign, ...errorResponses },
    },
  }, async (req, reply) => {
    const principal = principalOf(req);
    requirePermission(principal, 'campaigns:manage', req.params.organizationId);
    const c = await deps.campaigns.createCampaign(req.params.organizationId, req.body, `${principal.kind}:${principal.id}`);
    return reply.code(201).send(c);
  });

  r.get('/v1/organizations/:organizationId/campaigns/:campaignId', {
    schema: { summary: 'One campaign', params: CampaignParams, response: { 200: Campaign, ...errorResponses } },
  }, async (req) => {
    const partner = campaignReader(principalOf(req), req.params.organizationId);
    return deps.campaigns.getCampaign(req.params.organizationId, req.params.campaignId, partner);
  });

  r.get('/v1/organizations/:organizationId/campaigns/:campaignId/report', {
    schema: {
      summary: 'The campaign\'s de-identified report (aggregates, cells under 11 suppressed); ?format=csv or pdf',
      params: CampaignParams,
      querystring: Type.Object({ format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv'), Type.Literal('pdf')])) }, { additionalProperties: false }),
      response: {
        200: { description: 'The report', content: { ...json(Report).content, 'text/csv': { schema: Type.String() }, 'application/pdf': { schema: Type.String({ format: 'binary' }) } } },
        ...errorResponses,
      },
    },
  }, async (req, reply) => {
    const partner = campaignReader(principalOf(req), req.params.organizationId);
    await deps.campaigns.getCampaign(req.params.organizationId, req.params.campaignId, partner);
    const report = await campaignReport(deps.reports, req.params.organizationId, req.params.campaignId, deps.now());
    const file = `campaign-${report.campaignId}-${report.asOf}`;
    if (req.query.format === 'csv') return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${file}.csv"`).send(reportCsv(report));
    if (req.query.format === 'pdf') return reply.type('application/pdf').header('content-disposition', `attachment; filename="${file}.pdf"`).send(Buffer.from(await reportPdf(report)));
    return reply.type('application/json; charset=utf-8').send(report);
  });

  const consentAudit = async (principal: Principal, org: string, patientId: string, action: string): Promise<void> => {
    await deps.audit.record({ organizationId: org, actor: actorOf(principal), action, patientId, purpose: 'operations', outcome: 'success', fields: ['consent'] });
  };

  r.get('/v1/organizations/:organizationId/patients/:patientId/consents/:purpose', {
    schema: { summary: 'The patient\'s consent to a purpose (a programme)', params: ConsentParams, response: { 200: Consent, ...errorResponses } },
  }, async (req) => {
    requirePermission(principalOf(req), 'phi:read', req.params.organizationId);
    return deps.campaigns.getConsent(req.params.organizationId, req.params.patientId, req.params.purpose);
  });

  r.put('/v1/organizations/:organizationId/patients/:patientId/consents/:purpose', {
    schema: {
      summary: 'Record the patient\'s consent to a purpose given or withdrawn (audited; honoured by the next campaign send)',
      params: ConsentParams,
      body: Type.Object({ status: ConsentStatus, source: Type.Union(CONSENT_SOURCES.filter((s) => s !== 'chat').map((s) => Type.Literal(s))) }, { additionalProperties: false }),
      response: { 200: Consent, ...errorResponses },
    },
  }, async (req) => {
    const principal = principalOf(req);
    requirePermission(principal, 'phi:write', req.params.organizationId);
    const c = await deps.campaigns.setConsent(req.params.organizationId, req.params.patientId, req.params.purpose, req.body.status, req.body.source);
    await consentAudit(principal, req.params.organizationId, req.params.patientId, `campaigns.consent.${req.body.status === 'given' ? 'give' : 'withdraw'}`);
    return c;
  });

  r.delete('/v1/organizations/:organizationId/patients/:patientId/consents/:purpose', {
    schema: { summary: 'Withdraw the patient\'s consent to a purpose (source api)', params: ConsentParams, response: { 200: Consent, ...errorResponses } },
  }, async (req) => {
    const principal = principalOf(req);
    requirePermission(principal, 'phi:write', req.params.organizationId);
    const c = await deps.campaigns.setConsent(req.params.organizationId, req.params.patientId, req.params.purpose, 'withdrawn', 'api');
    await consentAudit(principal, req.params.organizationId, req.params.patientId, 'campaigns.consent.withdraw');
    return c;
  });
}
