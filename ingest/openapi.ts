import type { FastifyInstance, RouteOptions } from 'fastify';
import { Type } from '@sinclair/typebox';
import { ERROR_CODES } from '../platform/errors.js';

/** How one route appears in the OpenAPI document: a stable operationId and its tag. */
export interface OperationName { operationId: string; tag: string }

const SUCCESS: Record<string, string> = {
  200: 'OK', 201: 'Created', 202: 'Accepted: the request is queued', 204: 'Done; no content', 101: 'Switching to the WebSocket protocol',
};

// Codes of Kafka records, WebSocket frames, configuration and the stack: no HTTP route answers them.
const NOT_HTTP = new Set(['BAD_FRAME', 'RECORD_UNDECODABLE', 'RECORD_INVALID', 'SCHEMA_UNKNOWN', 'SCHEMA_INCOMPATIBLE', 'CONFIG_INVALID', 'CONFIG_UNKNOWN_KEY', 'STACK_FAILED']);

/** Each error status with the codes that answer it, read from the one error table. */
export function errorDescription(status: number): string {
  const codes = Object.entries(ERROR_CODES).filter(([k, v]) => v.http === status && !NOT_HTTP.has(k)).map(([k]) => k);
  const what: Record<number, string> = {
    400: 'The request is malformed', 401: 'Credentials are missing or not valid', 403: 'The credential may not do this here',
    404: 'No such resource in the caller\'s organisation', 409: 'Conflicts with the current state', 413: 'The body is too large',
    422: 'The workflow has problems; nothing was stored', 429: 'Too many requests; retry after the Retry-After header', 500: 'An internal error; the request id in the logs identifies it',
    503: 'A dependency is unavailable; retry', 504: 'A dependency did not answer in time; retry',
  };
  return `${what[status] ?? 'Error'}. Body {code, message}; code: ${codes.join(', ') || 'INTERNAL'}.`;
}

/** "GET /v1/organizations/:organizationId/api-keys" → "getOrganizationsApiKeys" (fallback only). */
function derivedId(method: string, url: string): string {
  const words = url.split('/').filter((p) => p !== '' && p !== 'v1' && !p.startsWith(':')).flatMap((p) => p.split(/[-_.]/));
  return method.toLowerCase() + words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
}

function describeResponses(response: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [status, schema] of Object.entries(response)) {
    const s = (schema ?? {}) as Record<string, unknown>;
    const code = Number(status);
    // A copy: the Error schema is shared by every route.
    out[status] = typeof s['description'] === 'string' ? s : { ...s, description: code >= 400 ? errorDescription(code) : SUCCESS[status] ?? 'OK' };
  }
  return out;
}

/**
 * Names every route in the OpenAPI document as it is registered: operationId and tag from the
 * table (a derived name for a route the table misses), a description on every response (never
 * "Default Response") with the error codes behind each error status, and the 500/503 every route
 * can answer. Register before the routes.
 */
export function installApiDescription(app: FastifyInstance, operations: Readonly<Record<string, OperationName>>, fallbackTag: string): void {
  app.addHook('onRoute', (route: RouteOptions) => {
    const schema = route.schema as (Record<string, unknown> & { hide?: boolean }) | undefined;
    // @fastify/websocket hides every upgrade route; the chat's is part of the contract, so it is shown.
    if (schema !== undefined && (route as { websocket?: boolean }).websocket === true && typeof schema['summary'] === 'string') schema.hide = false;
    if (schema === undefined || schema.hide === true) return;
    const method = Array.isArray(route.method) ? String(route.method[0]) : String(route.method);
    if (method === 'HEAD') return;
    const name = operations[`${method} ${route.url}`];
    schema['operationId'] ??= name?.operationId ?? derivedId(method, route.url);
    schema['tags'] ??= [name?.tag ?? fallbackTag];
    const response = (schema['response'] ?? {}) as Record<string, unknown>;
    schema['response'] = describeResponses({ ...response, 500: response['500'] ?? Type.Ref('Error'), 503: response['503'] ?? Type.Ref('Error') });
  });
}
