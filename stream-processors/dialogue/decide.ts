import { createHash } from 'node:crypto';
import { QUICK_REPLIES, render } from './templates.js';
import { initialState, type Action, type Decision, type DialogueContext, type DialogueInput, type DialogueState, type Reply, type WorkflowRuntime } from './types.js';

const RECENT = 64;

/** A reply id derived from the inbound message: a replay produces the same ids, which delivery drops. */
export function replyId(inboundMessageId: string, index: number): string {
  const h = createHash('sha256').update(`${inboundMessageId}:reply:${index}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function remembered(state: DialogueState, messageId: string): DialogueState {
  return { ...state, recent: [...state.recent, messageId].slice(-RECENT), turn: state.turn + 1 };
}

function safetyReply(input: DialogueInput, ctx: DialogueContext): { reply: Reply; action: Action } {
  return {
    reply: { templateId: 'emergency', kind: 'SAFETY', text: render('emergency', input.language, { emergency: ctx.emergencyNumber }), quickReplies: [] },
    action: { type: 'escalate', attributes: { priority: 'urgent', reason: 'emergency' } },
  };
}

export interface DecideResult extends Decision {
  /** True when the message was handled before (a replay): nothing to produce. */
  duplicate: boolean;
  /** Set when the workflow failed; the safety layer still answered where it must. */
  workflowError?: unknown;
}

/**
 * The dialogue's pure decision for one understood message. Safety comes first and does not depend
 * on the workflow: an emergency always gets the safety reply and an escalation; STOP is honoured at
 * once and silences everything but START (and emergencies) until then.
 */
export function decide(input: DialogueInput, stored: DialogueState | null, ctx: DialogueContext, runtime: WorkflowRuntime, optedOutOnRecord: boolean): DecideResult {
  const state = stored ?? initialState(input.organizationId, runtime, optedOutOnRecord);
  if (state.recent.includes(input.messageId)) return { replies: [], actions: [], nextState: state, duplicate: true };
  const next = remembered(state, input.messageId);
  const vars = { org: ctx.organizationName, emergency: ctx.emergencyNumber };
  const lang = input.language;

  if (input.intent === 'emergency') {
    const { reply, action } = safetyReply(input, ctx);
    return { replies: [reply], actions: [action], nextState: next, duplicate: false };
  }
  if (input.intent === 'opt_out') {
    return {
      replies: [{ templateId: 'opt_out', kind: 'SYSTEM', text: render('opt_out', lang, vars), quickReplies: [] }],
      actions: [{ type: 'opt_out', attributes: { channel: input.channel.toLowerCase() } }],
      nextState: { ...next, optedOut: true, step: 'start' }, duplicate: false,
    };
  }
  // START (or YES, an SMS opt-in keyword) re-subscribes only a patient who opted out; otherwise it
  // is an ordinary message, often the answer to a yes/no question.
  if (input.intent === 'opt_in' && state.optedOut) {
    return {
      replies: [{ templateId: 'opt_in', kind: 'SYSTEM', text: render('opt_in', lang, vars), quickReplies: QUICK_REPLIES['menu']?.[lang] ?? [] }],
      actions: [{ type: 'opt_in', attributes: { channel: input.channel.toLowerCase() } }],
      nextState: { ...next, optedOut: false }, duplicate: false,
    };
  }
  if (state.optedOut) return { replies: [], actions: [], nextState: next, duplicate: false };

  try {
    const out = runtime.decide(input, state, ctx);
    return {
      replies: out.replies, actions: out.actions, duplicate: false, timers: out.timers ?? [],
      nextState: { ...next, step: out.step, slots: out.slots ?? next.slots, workflowId: out.workflowId ?? runtime.workflowId, workflowVersion: out.workflowVersion ?? runtime.version },
    };
  } catch (err) {
    const fallback: Reply = { templateId: 'fallback', kind: 'SYSTEM', text: render('fallback', lang, vars), quickReplies: [] };
    return { replies: [fallback], actions: [], nextState: next, duplicate: false, workflowError: err };
  }
}
