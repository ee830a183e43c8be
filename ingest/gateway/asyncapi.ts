// The WebSocket contract of /v1/chat as an AsyncAPI 3.0 document (served at /asyncapi.json) and
// as the markdown the OpenAPI document's description carries.

const id = { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$' };
const text = { type: 'string', maxLength: 2000 };

const messages = {
  clientMessage: { summary: 'A patient message; answered by ack once durably stored', payload: { type: 'object', additionalProperties: false, required: ['type', 'id', 'text'], properties: { type: { const: 'message' }, id, text, locale: { type: 'string', description: 'BCP 47, e.g. es' } } } },
  ping: { summary: 'Application-level keep-alive; answered by pong', payload: { type: 'object', additionalProperties: false, required: ['type'], properties: { type: { const: 'ping' } } } },
  ack: { summary: 'The message with this client id is durably stored', payload: { type: 'object', required: ['type', 'id'], properties: { type: { const: 'ack' }, id } } },
  typing: { summary: 'A reply to the message with this client id is on its way: show a typing indicator until a message with that replyTo arrives', payload: { type: 'object', required: ['type', 'id'], properties: { type: { const: 'typing' }, id } } },
  serverMessage: { summary: 'A reply, or a proactive message (replyTo null)', payload: { type: 'object', required: ['type', 'id', 'replyTo', 'text', 'quickReplies', 'sentAt'], properties: { type: { const: 'message' }, id, replyTo: { type: ['string', 'null'] }, text, quickReplies: { type: 'array', items: { type: 'string' } }, sentAt: { type: 'string', format: 'date-time' } } } },
  history: { summary: 'Sent first on every connection: the recent conversation, oldest first (bounded, kept sealed at rest)', payload: { type: 'object', required: ['type', 'messages'], properties: { type: { const: 'history' }, messages: { type: 'array', items: { type: 'object', required: ['id', 'from', 'text', 'at'], properties: { id, from: { enum: ['patient', 'assistant'] }, text, quickReplies: { type: 'array', items: { type: 'string' } }, at: { type: 'string', format: 'date-time' } } } } } } },
  pong: { summary: 'Answer to ping', payload: { type: 'object', required: ['type'], properties: { type: { const: 'pong' } } } },
  error: { summary: 'A frame was refused; the connection stays up', payload: { type: 'object', required: ['type', 'id', 'code', 'message'], properties: { type: { const: 'error' }, id: { type: ['string', 'null'] }, code: { enum: ['BAD_FRAME', 'PAYLOAD_TOO_LARGE', 'VALIDATION_FAILED', 'RATE_LIMITED', 'DEPENDENCY_UNAVAILABLE'] }, message: { type: 'string' } } } },
};

export function asyncApiDocument(version: string): Record<string, unknown> {
  const ref = (name: string): { $ref: string } => ({ $ref: `#/components/messages/${name}` });
  return {
    asyncapi: '3.0.0',
    info: { title: 'Careloop patient chat', version, description: 'The patient WebSocket. Authenticate the upgrade with a session token (Authorization: Bearer or ?token=); a missing, forged or expired token gets HTTP 401 {code: "UNAUTHENTICATED"} and no socket. Frames over gateway.maxFrameBytes close the socket with 1009; a missed heartbeat closes it.' },
    servers: { gateway: { host: 'localhost:3001', protocol: 'ws', pathname: '/v1/chat', security: [{ $ref: '#/components/securitySchemes/session' }] } },
    channels: { chat: { address: '/v1/chat', messages: Object.fromEntries(Object.keys(messages).map((m) => [m, ref(m)])) } },
    operations: {
      sendMessage: { action: 'receive', channel: { $ref: '#/channels/chat' }, summary: 'Client to server', messages: [ref('clientMessage'), ref('ping')].map((r) => ({ $ref: r.$ref.replace('#/components/messages/', '#/channels/chat/messages/') })) },
      receiveFrames: { action: 'send', channel: { $ref: '#/channels/chat' }, summary: 'Server to client', messages: ['history', 'ack', 'typing', 'serverMessage', 'pong', 'error'].map((m) => ({ $ref: `#/channels/chat/messages/${m}` })) },
    },
    components: { messages, securitySchemes: { session: { type: 'httpBearerToken', description: 'a patient session token from /v1/verify/*' } } },
  };
}

/** The same contract in a few lines for the OpenAPI description. */
export const CHAT_CONTRACT_MARKDOWN = `
**WebSocket \`/v1/chat\`** (AsyncAPI 3.0: \`/asyncapi.json\`). Upgrade with a session token (\`Authorization: Bearer …\` or \`?token=…\`, optional \`?locale=es\`); a bad or expired token gets 401 \`UNAUTHENTICATED\` and no socket.

| direction | frame |
|---|---|
| client → server | \`{"type":"message","id":"<client id>","text":"…","locale"?:"es"}\` · \`{"type":"ping"}\` |
| server → client | \`{"type":"history","messages":[{"id","from":"patient"|"assistant","text","quickReplies","at"}]}\` first on every connection |
| server → client | \`{"type":"ack","id"}\` once stored · \`{"type":"typing","id"}\` while the reply to that message is prepared |
| server → client | \`{"type":"message","id","replyTo","text","quickReplies","sentAt"}\` · \`{"type":"pong"}\` |
| server → client | \`{"type":"error","id","code","message"}\`: BAD_FRAME, PAYLOAD_TOO_LARGE, VALIDATION_FAILED, RATE_LIMITED, DEPENDENCY_UNAVAILABLE |
`;
