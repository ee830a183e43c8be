import { createHash } from 'node:crypto';

// The interactive API reference: one self-contained page (no CDN, no package) that reads the
// listener's own /openapi.json, lists every operation by tag and sends requests from a form.
const SCRIPT = String.raw`
const $ = (t, attrs = {}, ...kids) => { const e = document.createElement(t); for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v); for (const k of kids) e.append(k); return e; };
const main = document.getElementById('ops');
const token = document.getElementById('token');
token.value = sessionStorage.getItem('careloop.docs.token') || '';
token.addEventListener('change', () => sessionStorage.setItem('careloop.docs.token', token.value));
function example(schema, doc) {
  if (!schema) return undefined;
  if (schema.$ref) return example(doc.components?.schemas?.[schema.$ref.split('/').pop()], doc);
  if (schema.example !== undefined) return schema.example;
  if (schema.default !== undefined) return schema.default;
  if (schema.enum) return schema.enum[0];
  if (schema.anyOf || schema.oneOf) return example((schema.anyOf || schema.oneOf)[0], doc);
  switch (schema.type) {
    case 'object': { const o = {}; for (const [k, v] of Object.entries(schema.properties || {})) if ((schema.required || []).includes(k)) o[k] = example(v, doc); return o; }
    case 'array': return [];
    case 'integer': case 'number': return schema.minimum ?? 1;
    case 'boolean': return true;
    default: return schema.format === 'date' ? '1970-01-01' : 'string';
  }
}
function operation(doc, path, method, op) {
  const id = op.operationId;
  const params = (op.parameters || []);
  const form = $('form', { 'aria-label': 'Try ' + id });
  for (const p of params) {
    const input = $('input', { name: p.in + ':' + p.name, id: id + '-' + p.name, placeholder: p.schema?.type || '' });
    form.append($('label', { for: id + '-' + p.name }, p.name + ' (' + p.in + (p.required ? ', required' : '') + ')'), input);
  }
  const body = op.requestBody?.content?.['application/json']?.schema;
  let textarea = null;
  if (body) { textarea = $('textarea', { rows: '6', 'aria-label': 'JSON body of ' + id }); textarea.value = JSON.stringify(example(body, doc), null, 2); form.append(textarea); }
  const out = $('pre', { 'aria-live': 'polite' });
  form.append($('button', { type: 'submit' }, 'Send'), out);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    let url = path; const query = new URLSearchParams();
    for (const p of params) { const v = form.elements[p.in + ':' + p.name].value; if (v === '') continue; if (p.in === 'path') url = url.replace('{' + p.name + '}', encodeURIComponent(v)); else if (p.in === 'query') query.set(p.name, v); }
    const headers = {}; if (token.value) headers.authorization = 'Bearer ' + token.value; if (textarea) headers['content-type'] = 'application/json';
    out.textContent = '…';
    try {
      const res = await fetch(url + (query.size ? '?' + query : ''), { method: method.toUpperCase(), headers, body: textarea ? textarea.value : undefined });
      const text = await res.text();
      let shown = text; try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch {}
      out.textContent = res.status + ' ' + res.statusText + '\n' + shown;
    } catch (err) { out.textContent = String(err); }
  });
  const responses = $('ul');
  for (const [status, r] of Object.entries(op.responses || {})) responses.append($('li', {}, $('code', {}, status), ' ' + (r.description || '')));
  return $('details', { id }, $('summary', {}, $('span', { class: 'm ' + method }, method.toUpperCase()), ' ', $('code', {}, path), ' — ' + (op.summary || ''), ' ', $('small', {}, id)), responses, form);
}
fetch('openapi.json').then((r) => r.json()).then((doc) => {
  document.getElementById('title').textContent = doc.info.title + ' ' + doc.info.version;
  document.getElementById('about').textContent = doc.info.description || '';
  const byTag = new Map((doc.tags || []).map((t) => [t.name, { t, ops: [] }]));
  for (const [path, item] of Object.entries(doc.paths)) for (const [method, op] of Object.entries(item)) {
    for (const tag of op.tags || ['other']) { if (!byTag.has(tag)) byTag.set(tag, { t: { name: tag }, ops: [] }); byTag.get(tag).ops.push(operation(doc, path, method, op)); }
  }
  for (const { t, ops } of byTag.values()) if (ops.length) main.append($('section', {}, $('h2', {}, t.name), $('p', {}, t.description || ''), ...ops));
});
`;

const STYLE = `body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:1rem;color:#1b1f24}h1{font-size:1.4rem}
details{border:1px solid #c9d1d9;border-radius:6px;margin:.4rem 0;padding:.4rem .6rem}summary{cursor:pointer}small{color:#57606a}
.m{display:inline-block;min-width:4.2rem;font-weight:700}.get{color:#0b6e2a}.post{color:#0550ae}.delete{color:#a40e26}.patch{color:#7d4e00}
form{display:grid;gap:.3rem;margin:.5rem 0}textarea,input{font:13px ui-monospace,monospace;padding:.3rem}pre{background:#f6f8fa;padding:.5rem;overflow:auto;white-space:pre-wrap}
button{justify-self:start;padding:.3rem 1rem}label{font-size:.85rem;color:#424a53}`;

/** The page's CSP: its one inline script by hash, requests to this origin only. */
export const REFERENCE_PAGE_CSP = `default-src 'none'; script-src 'sha256-${createHash('sha256').update(SCRIPT).digest('base64')}'; style-src 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'`;

export function referencePage(title: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${title} — reference</title><style>${STYLE}</style></head>
<body><h1 id="title">${title}</h1><p id="about"></p>
<p><label for="token">Bearer token (an API key ck_… or a session token), kept in this tab only</label><br><input id="token" type="password" size="60" autocomplete="off"></p>
<main id="ops"></main><p><a href="openapi.json">openapi.json</a></p><script>${SCRIPT}</script></body></html>`;
}
