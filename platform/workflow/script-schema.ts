import { Type, type Static } from '@sinclair/typebox';
import { CareloopError } from '../errors.js';
import { didYouMean } from '../text/did-you-mean.js';
import type { Script } from './simulator.js';

const Scalar = Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()]);
const strict = { additionalProperties: false } as const;

/** What an `expect` step may check; a misspelt key would otherwise pass without checking anything. */
export const ExpectationSchema = Type.Object({
  reply: Type.Optional(Type.String({ description: 'substring of a reply of the last turn, or /regex/flags' })),
  noReply: Type.Optional(Type.Boolean()),
  action: Type.Optional(Type.String()),
  noAction: Type.Optional(Type.String()),
  ended: Type.Optional(Type.Boolean()),
  handled: Type.Optional(Type.Boolean()),
  slot: Type.Optional(Type.Record(Type.String(), Scalar)),
  quickReplies: Type.Optional(Type.Array(Type.String())),
}, strict);

export const ScriptStepSchema = Type.Union([
  Type.Object({ patient: Type.String({ minLength: 1, maxLength: 2000 }) }, strict),
  Type.Object({ signal: Type.String({ minLength: 1 }), attributes: Type.Optional(Type.Record(Type.String(), Type.String())) }, strict),
  Type.Object({ advance: Type.String({ minLength: 1, description: 'fake-clock advance such as 30m, 2h, 1d' }) }, strict),
  Type.Object({ expect: ExpectationSchema }, strict),
]);

/** A simulation script (see workflows/README.md): the CLI and the API both read it through this. */
export const ScriptSchema = Type.Object({
  language: Type.Union([Type.Literal('en'), Type.Literal('es')]),
  timeZone: Type.Optional(Type.String({ description: 'IANA zone such as Europe/Madrid; UTC when absent' })),
  profile: Type.Optional(Type.Record(Type.String(), Scalar)),
  variables: Type.Optional(Type.Record(Type.String(), Type.String())),
  start: Type.String({ description: 'ISO 8601 start of the fake clock, e.g. 2025-03-03T08:00:00Z' }),
  steps: Type.Array(ScriptStepSchema, { maxItems: 500 }),
}, strict);
export type ScriptBody = Static<typeof ScriptSchema>;

const TOP = Object.keys(ScriptSchema.properties);
const EXPECT = Object.keys(ExpectationSchema.properties);
const STEP_KINDS: Record<string, readonly string[]> = { patient: ['patient'], signal: ['signal', 'attributes'], advance: ['advance'], expect: ['expect'] };

function fail(where: string, why: string): never {
  throw new CareloopError('VALIDATION_FAILED', `script ${where}: ${why}`, { details: { where } });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function onlyKeys(obj: Record<string, unknown>, allowed: readonly string[], where: string): void {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) fail(where, `unknown key "${k}"${didYouMean(k, allowed, `; allowed: ${allowed.join(', ')}`)}`);
  }
}

function scalars(v: unknown, where: string, stringsOnly: boolean): void {
  if (v === undefined) return;
  if (!isObject(v)) fail(where, 'must be an object');
  for (const [k, x] of Object.entries(v)) {
    const ok = stringsOnly ? typeof x === 'string' : x === null || ['string', 'number', 'boolean'].includes(typeof x);
    if (!ok) fail(`${where}.${k}`, stringsOnly ? 'must be a string' : 'must be a string, number, boolean or null');
  }
}

function checkExpect(e: unknown, where: string): void {
  if (!isObject(e)) fail(where, 'must be an object such as {"reply": "…"}');
  onlyKeys(e, EXPECT, where);
  if (Object.keys(e).length === 0) fail(where, `checks nothing; give one of ${EXPECT.join(', ')}`);
  for (const k of ['reply', 'action', 'noAction'] as const) if (e[k] !== undefined && typeof e[k] !== 'string') fail(`${where}.${k}`, 'must be a string');
  for (const k of ['noReply', 'ended', 'handled'] as const) if (e[k] !== undefined && typeof e[k] !== 'boolean') fail(`${where}.${k}`, 'must be true or false');
  scalars(e['slot'], `${where}.slot`, false);
  if (e['quickReplies'] !== undefined && (!Array.isArray(e['quickReplies']) || !e['quickReplies'].every((q) => typeof q === 'string'))) fail(`${where}.quickReplies`, 'must be a list of strings');
}

function checkStep(step: unknown, where: string): void {
  if (!isObject(step)) fail(where, 'must be an object: {"patient"}, {"signal"}, {"advance"} or {"expect"}');
  const kind = Object.keys(STEP_KINDS).filter((k) => k in step);
  if (kind.length !== 1) {
    const first = Object.keys(step)[0] ?? '';
    fail(where, kind.length === 0 ? `needs one of patient, signal, advance, expect${first ? `; got "${first}"${didYouMean(first, Object.keys(STEP_KINDS))}` : ''}` : `has ${kind.join(' and ')}; one kind per step`);
  }
  const k = kind[0] as string;
  onlyKeys(step, STEP_KINDS[k] as readonly string[], where);
  if (k === 'expect') return checkExpect(step['expect'], `${where}.expect`);
  if (typeof step[k] !== 'string' || step[k] === '') fail(`${where}.${k}`, 'must be a non-empty string');
  if (k === 'signal') scalars(step['attributes'], `${where}.attributes`, true);
}

/**
 * Checks a parsed script and returns it typed; every problem names where it is ("steps[3].expect")
 * and what was expected, and unknown keys are refused with the nearest known one.
 */
export function parseScript(value: unknown): Script {
  if (!isObject(value)) fail('', 'must be a JSON object with language, start and steps');
  onlyKeys(value, TOP, 'top level');
  if (value['language'] !== 'en' && value['language'] !== 'es') fail('language', `is required: "en" or "es"${value['language'] === undefined ? '' : `; got ${JSON.stringify(value['language'])}`}`);
  if (typeof value['start'] !== 'string' || !Number.isFinite(Date.parse(value['start']))) fail('start', 'is required: an ISO 8601 time such as "2025-03-03T08:00:00Z"');
  if (value['timeZone'] !== undefined && typeof value['timeZone'] !== 'string') fail('timeZone', 'must be an IANA zone name');
  scalars(value['profile'], 'profile', false);
  scalars(value['variables'], 'variables', true);
  const steps = value['steps'];
  if (!Array.isArray(steps)) fail('steps', 'is required: a list of steps');
  if (steps.length > 500) fail('steps', 'holds at most 500 steps');
  steps.forEach((s, i) => checkStep(s, `steps[${i}]`));
  return value as unknown as Script;
}
