import type { OperationName } from '../openapi.js';

/** The tags of the admin API document, in the order the reference page shows them. */
export const API_TAGS = [
  { name: 'meta', description: 'Version and the API description itself' },
  { name: 'organizations', description: 'The organisation\'s settings' },
  { name: 'patients', description: 'Patients: identity in the encrypted vault (audited), care plans, erasure, chat session tokens' },
  { name: 'api-keys', description: 'API keys of the organisation (shown once, stored hashed)' },
  { name: 'audit', description: 'The hash-chained audit log' },
  { name: 'workflows', description: 'Workflows: validate, store versions, diff, publish, roll back, simulate' },
  { name: 'inbox', description: 'The care-team inbox: escalations and handoffs as tasks; claim, reply to the patient, resolve; on-call paging' },
];

const org = '/v1/organizations/:organizationId';

/** operationId and tag of every admin route; a stable name for generated clients. */
export const API_OPERATIONS: Readonly<Record<string, OperationName>> = {
  'GET /v1/version': { operationId: 'getVersion', tag: 'meta' },
  [`GET ${org}`]: { operationId: 'getOrganization', tag: 'organizations' },
  [`PATCH ${org}`]: { operationId: 'updateOrganization', tag: 'organizations' },
  [`GET ${org}/patients`]: { operationId: 'listPatients', tag: 'patients' },
  [`POST ${org}/patients`]: { operationId: 'createPatient', tag: 'patients' },
  [`GET ${org}/patients/:patientId`]: { operationId: 'getPatient', tag: 'patients' },
  [`DELETE ${org}/patients/:patientId`]: { operationId: 'erasePatient', tag: 'patients' },
  [`POST ${org}/patients/:patientId/session-tokens`]: { operationId: 'createSessionToken', tag: 'patients' },
  [`GET ${org}/api-keys`]: { operationId: 'listApiKeys', tag: 'api-keys' },
  [`POST ${org}/api-keys`]: { operationId: 'createApiKey', tag: 'api-keys' },
  [`DELETE ${org}/api-keys/:keyId`]: { operationId: 'revokeApiKey', tag: 'api-keys' },
  [`GET ${org}/audit/verify`]: { operationId: 'verifyAuditChain', tag: 'audit' },
  [`POST ${org}/workflows/validate`]: { operationId: 'validateWorkflow', tag: 'workflows' },
  [`POST ${org}/workflows`]: { operationId: 'createWorkflowVersion', tag: 'workflows' },
  [`GET ${org}/workflows`]: { operationId: 'listWorkflows', tag: 'workflows' },
  [`GET ${org}/workflows/:workflowId/versions/:version`]: { operationId: 'getWorkflowVersion', tag: 'workflows' },
  [`GET ${org}/workflows/:workflowId/diff`]: { operationId: 'diffWorkflowVersions', tag: 'workflows' },
  [`POST ${org}/workflows/:workflowId/versions/:version/publish`]: { operationId: 'publishWorkflowVersion', tag: 'workflows' },
  [`POST ${org}/workflows/:workflowId/rollback`]: { operationId: 'rollbackWorkflow', tag: 'workflows' },
  [`POST ${org}/workflows/simulate`]: { operationId: 'simulateWorkflow', tag: 'workflows' },
  [`GET ${org}/tasks`]: { operationId: 'listTasks', tag: 'inbox' },
  [`GET ${org}/tasks/:taskId`]: { operationId: 'getTask', tag: 'inbox' },
  [`GET ${org}/tasks/:taskId/conversation`]: { operationId: 'getTaskConversation', tag: 'inbox' },
  [`POST ${org}/tasks/:taskId/claim`]: { operationId: 'claimTask', tag: 'inbox' },
  [`POST ${org}/tasks/:taskId/ack`]: { operationId: 'acknowledgeTask', tag: 'inbox' },
  [`POST ${org}/tasks/:taskId/replies`]: { operationId: 'replyToPatient', tag: 'inbox' },
  [`POST ${org}/tasks/:taskId/resolve`]: { operationId: 'resolveTask', tag: 'inbox' },
  [`GET ${org}/inbox/settings`]: { operationId: 'getInboxSettings', tag: 'inbox' },
  [`PUT ${org}/inbox/settings`]: { operationId: 'putInboxSettings', tag: 'inbox' },
  [`PUT ${org}/ehr-endpoint`]: { operationId: 'setEhrEndpoint', tag: 'organizations' },
  [`GET ${org}/ehr-endpoint`]: { operationId: 'getEhrEndpoint', tag: 'organizations' },
  [`POST ${org}/patients/:patientId/caregivers`]: { operationId: 'createCaregiver', tag: 'patients' },
  [`GET ${org}/patients/:patientId/caregivers`]: { operationId: 'listCaregivers', tag: 'patients' },
  [`DELETE ${org}/patients/:patientId/caregivers/:caregiverId`]: { operationId: 'removeCaregiver', tag: 'patients' },
};
