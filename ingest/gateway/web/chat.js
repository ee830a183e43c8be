// The patient chat: the documented /v1/chat frames, history on reconnect, delivery states,
// typing indicator, quick replies, English and Spanish, and a clear expired-session state.
'use strict';
(() => {
  const STRINGS = {
    en: {
      connecting: 'Connecting…', online: 'Online', offline: 'Offline, reconnecting…', expiredStatus: 'Session expired', noSession: 'Choose how to start',
      settings: 'Settings', language: 'Language', demoPatient: 'Demo patient', verifyInstead: 'Verify with phone and date of birth',
      verifyTitle: 'Verify who you are', phone: 'Mobile phone', birthDate: 'Date of birth', verifyButton: 'Verify and chat', verifying: 'Checking…',
      expired: 'Your session has expired. For your privacy, please verify again.', verifyAgain: 'Verify again',
      conversation: 'Conversation', typing: 'The assistant is typing…', quickReplies: 'Suggested answers', message: 'Message',
      placeholder: 'Write a message', send: 'Send', sending: 'Sending', sent: 'Sent', answered: 'Answered', failed: 'Not sent',
      notify: 'Notify me of new messages', notifyOn: 'Notifications are on', notifyDenied: 'Notifications are blocked in this browser',
      you: 'You', assistant: 'Assistant', cannotReach: 'Cannot reach the chat server; retrying…', verifyFailed: 'Those details do not match our records.',
    },
    es: {
      connecting: 'Conectando…', online: 'En línea', offline: 'Sin conexión, reconectando…', expiredStatus: 'Sesión caducada', noSession: 'Elija cómo empezar',
      settings: 'Ajustes', language: 'Idioma', demoPatient: 'Paciente de demostración', verifyInstead: 'Verificar con teléfono y fecha de nacimiento',
      verifyTitle: 'Verifique su identidad', phone: 'Teléfono móvil', birthDate: 'Fecha de nacimiento', verifyButton: 'Verificar y chatear', verifying: 'Comprobando…',
      expired: 'Su sesión ha caducado. Por su privacidad, verifique su identidad de nuevo.', verifyAgain: 'Verificar de nuevo',
      conversation: 'Conversación', typing: 'El asistente está escribiendo…', quickReplies: 'Respuestas sugeridas', message: 'Mensaje',
      placeholder: 'Escriba un mensaje', send: 'Enviar', sending: 'Enviando', sent: 'Enviado', answered: 'Respondido', failed: 'No enviado',
      notify: 'Avisarme de mensajes nuevos', notifyOn: 'Los avisos están activados', notifyDenied: 'Este navegador bloquea los avisos',
      you: 'Usted', assistant: 'Asistente', cannotReach: 'No se puede conectar con el servidor; reintentando…', verifyFailed: 'Esos datos no coinciden con nuestros registros.',
    },
  };
  const $ = (id) => document.getElementById(id);
  const params = new URLSearchParams(location.search);
  const store = window.sessionStorage;
  const el = { status: $('status'), log: $('log'), typing: $('typing'), quick: $('quick'), text: $('text'), send: $('send'), panel: $('panel'), settings: $('settings'),
    patient: $('patient'), demoRow: $('demo-row'), lang: $('lang'), verify: $('verify'), expired: $('expired'), vmsg: $('v-msg') };
  if (params.get('embed') === '1') document.body.classList.add('embed');

  let lang = params.get('lang') || store.getItem('careloop.lang') || (navigator.language || 'en').slice(0, 2);
  if (!STRINGS[lang]) lang = 'en';
  const t = (k) => STRINGS[lang][k] || STRINGS.en[k] || k;
  const timeFmt = () => new Intl.DateTimeFormat(lang, { hour: 'numeric', minute: '2-digit' });

  let session = null;          // { token, patientId, organizationId, demo }
  let ws = null, opened = false, retry = 0, retryTimer = null, typingTimer = null, statusKey = 'connecting';
  const shown = new Map();     // message id -> li (patient lines by client id)
  const pending = new Map();   // client id -> text, resent on reconnect until acked

  function applyLanguage() {
    document.documentElement.lang = lang;
    el.lang.value = lang;
    for (const n of document.querySelectorAll('[data-i18n]')) n.textContent = t(n.dataset.i18n);
    for (const n of document.querySelectorAll('[data-i18n-label]')) n.setAttribute('aria-label', t(n.dataset.i18nLabel));
    for (const n of document.querySelectorAll('[data-i18n-placeholder]')) n.setAttribute('placeholder', t(n.dataset.i18nPlaceholder));
    setStatus(statusKey);
    for (const li of shown.values()) renderMeta(li);
  }
  function setStatus(key) {
    statusKey = key; el.status.textContent = t(key);
    el.send.disabled = key !== 'online' || el.text.value.trim() === '';
  }
  function scroll() { el.log.scrollTop = el.log.scrollHeight; }

  function renderMeta(li) {
    const meta = li.querySelector('.meta');
    const at = li.dataset.at ? timeFmt().format(new Date(li.dataset.at)) : '';
    const state = li.dataset.from === 'patient' && li.dataset.state ? ` · ${t(li.dataset.state)}` : '';
    meta.textContent = at + state;
    li.querySelector('.sr-only').textContent = `${t(li.dataset.from === 'patient' ? 'you' : 'assistant')}: `;
  }
  function line(id, from, text, at, state) {
    let li = id ? shown.get(id) : undefined;
    if (!li) {
      li = document.createElement('li');
      li.className = 'msg'; li.dataset.from = from;
      if (id) { li.dataset.id = id; shown.set(id, li); }
      const who = document.createElement('span'); who.className = 'sr-only';
      const body = document.createElement('span'); body.className = 'text'; body.textContent = text;
      const meta = document.createElement('span'); meta.className = 'meta';
      li.append(who, body, meta);
      el.log.appendChild(li);
    }
    if (at) li.dataset.at = at;
    if (state) li.dataset.state = state;
    renderMeta(li); scroll();
    return li;
  }
  function note(text) { const li = document.createElement('li'); li.className = 'msg'; li.dataset.from = 'system'; li.textContent = text; el.log.appendChild(li); scroll(); }
  function quickReplies(options) {
    el.quick.replaceChildren(...(options || []).map((o) => {
      const b = document.createElement('button'); b.type = 'button'; b.textContent = o;
      b.addEventListener('click', () => send(o));
      return b;
    }));
  }
  function typing(on) {
    clearTimeout(typingTimer);
    el.typing.hidden = !on;
    if (on) typingTimer = setTimeout(() => { el.typing.hidden = true; }, 20000);
    scroll();
  }

  function transmit(id, text) {
    if (ws && ws.readyState === 1) ws.send(JSON.stringify({ type: 'message', id, text, locale: lang }));
  }
  function send(text) {
    text = text.trim();
    if (!text || statusKey !== 'online') return;
    const id = crypto.randomUUID();
    pending.set(id, text);
    line(id, 'patient', text, new Date().toISOString(), 'sending');
    quickReplies([]);
    transmit(id, text);
    el.text.value = ''; autosize(); setStatus('online');
  }

  function onFrame(f) {
    switch (f.type) {
      case 'history': {
        f.messages.forEach((m, i) => {
          const answered = f.messages.slice(i + 1).some((n) => n.from === 'assistant');
          line(m.id, m.from, m.text, m.at, m.from === 'patient' ? (answered ? 'answered' : 'sent') : undefined);
        });
        const last = f.messages[f.messages.length - 1];
        quickReplies(last && last.from === 'assistant' ? last.quickReplies : []);
        // What was typed but not acknowledged before the socket dropped goes again (the id dedupes).
        for (const [id, text] of pending) transmit(id, text);
        break;
      }
      case 'ack': { pending.delete(f.id); const li = shown.get(f.id); if (li && li.dataset.state === 'sending') { li.dataset.state = 'sent'; renderMeta(li); } break; }
      case 'typing': typing(true); break;
      case 'message': {
        if (shown.has(f.id)) break; // delivery is at least once
        typing(false);
        const asked = f.replyTo && shown.get(f.replyTo);
        if (asked) { asked.dataset.state = 'answered'; renderMeta(asked); }
        line(f.id, 'assistant', f.text, f.sentAt || new Date().toISOString());
        quickReplies(f.quickReplies);
        break;
      }
      case 'error': {
        const li = f.id && shown.get(f.id);
        if (li) { pending.delete(f.id); li.dataset.state = 'failed'; renderMeta(li); }
        note(f.message);
        break;
      }
      default: break;
    }
  }

  function expired() {
    if (ws) { ws.onclose = null; ws.close(); ws = null; }
    clearTimeout(retryTimer);
    if (session && session.demo) { renewDemo(); return; }
    session = null; store.removeItem('careloop.session');
    typing(false); quickReplies([]);
    el.expired.hidden = false;
    setStatus('expiredStatus');
  }

  /** After a failed handshake: an expired or bad token (401) is not a network problem. */
  async function checkSession() {
    try {
      const res = await fetch('v1/session', { headers: { authorization: `Bearer ${session.token}` } });
      if (res.status === 401) { expired(); return; }
    } catch { /* offline: retry below */ }
    reconnectLater();
  }
  function reconnectLater() {
    setStatus('offline');
    clearTimeout(retryTimer);
    retryTimer = setTimeout(connect, Math.min(30000, 500 * 2 ** retry++));
  }

  function connect() {
    if (!session) { setStatus('noSession'); return; }
    el.expired.hidden = true;
    if (ws) { ws.onclose = null; ws.close(); }
    const url = new URL('v1/chat', location.href);
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    url.searchParams.set('token', session.token);
    url.searchParams.set('locale', lang);
    opened = false;
    setStatus('connecting');
    ws = new WebSocket(url);
    ws.onopen = () => { opened = true; retry = 0; setStatus('online'); };
    ws.onmessage = (e) => { try { onFrame(JSON.parse(e.data)); } catch { /* not ours */ } };
    ws.onclose = (e) => {
      ws = null; typing(false);
      if (e.code === 4401) { expired(); return; }
      if (!opened) { void checkSession(); return; }
      reconnectLater();
    };
  }

  function start(next) {
    session = next;
    store.setItem('careloop.session', JSON.stringify(session));
    el.log.replaceChildren(); shown.clear(); pending.clear(); quickReplies([]);
    connect();
    void subscribePush(false).catch(() => undefined);
  }

  const canPush = 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
  const b64ToBytes = (b64) => { const s = atob(b64.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (b64.length % 4)) % 4)); return Uint8Array.from(s, (c) => c.charCodeAt(0)); };
  // Registers this browser for push (the service worker shows reminders while the page is closed).
  async function subscribePush(ask) {
    if (!canPush || !session || !session.token) return;
    const key = await fetch('v1/push/web-push-key').then((r) => (r.ok ? r.json() : null), () => null);
    if (!key) return;
    $('notify').hidden = false;
    if (Notification.permission === 'default' && !ask) return; // the browser asks only after a tap
    if ((await Notification.requestPermission()) !== 'granted') { note(t('notifyDenied')); return; }
    const reg = await navigator.serviceWorker.register('sw.js');
    const sub = (await reg.pushManager.getSubscription()) || await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: b64ToBytes(key.publicKey) });
    const res = await fetch('v1/push/subscriptions', { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${session.token}` }, body: JSON.stringify(sub.toJSON()) });
    if (res.ok && ask) note(t('notifyOn'));
  }

  let demoPatients = [];
  async function loadDemo() {
    try {
      const res = await fetch('demo/patients');
      if (!res.ok) return [];
      const d = await res.json();
      return d.patients.map((p) => ({ ...p, organizationId: d.organizationId }));
    } catch { return []; }
  }
  async function renewDemo() {
    demoPatients = await loadDemo();
    const p = demoPatients.find((x) => session && x.id === session.patientId);
    if (p) { session = { ...session, token: p.token }; store.setItem('careloop.session', JSON.stringify(session)); connect(); }
    else { session = { ...session, demo: false }; expired(); }
  }

  async function verify(ev) {
    ev.preventDefault();
    el.vmsg.textContent = t('verifying');
    const organizationId = params.get('org') || (session && session.organizationId) || (demoPatients[0] && demoPatients[0].organizationId) || '';
    const sessionId = store.getItem('careloop.verifySession') || crypto.randomUUID();
    store.setItem('careloop.verifySession', sessionId);
    try {
      const res = await fetch('v1/verify/birth-date', { method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ organizationId, sessionId, phone: $('v-phone').value, birthDate: $('v-dob').value }) });
      const body = await res.json();
      if (!res.ok) { el.vmsg.textContent = res.status === 401 ? t('verifyFailed') : body.message; return; }
      el.vmsg.textContent = ''; el.verify.hidden = true;
      start({ token: body.token, patientId: body.patientId, organizationId, demo: false });
    } catch { el.vmsg.textContent = t('cannotReach'); }
  }

  function autosize() { el.text.style.height = 'auto'; el.text.style.height = `${Math.min(el.text.scrollHeight, 160)}px`; }

  async function init() {
    applyLanguage();
    el.lang.addEventListener('change', () => { lang = el.lang.value; store.setItem('careloop.lang', lang); applyLanguage(); });
    el.settings.addEventListener('click', () => { el.panel.hidden = !el.panel.hidden; el.settings.setAttribute('aria-expanded', String(!el.panel.hidden)); });
    $('open-verify').addEventListener('click', () => { el.verify.hidden = false; el.panel.hidden = true; $('v-phone').focus(); });
    $('verify-again').addEventListener('click', () => { el.expired.hidden = true; el.verify.hidden = false; $('v-phone').focus(); });
    $('verify-form').addEventListener('submit', verify);
    $('notify').addEventListener('click', () => { el.panel.hidden = true; void subscribePush(true).catch(() => note(t('notifyDenied'))); });
    $('composer').addEventListener('submit', (e) => { e.preventDefault(); send(el.text.value); });
    el.text.addEventListener('input', () => { autosize(); setStatus(statusKey); });
    el.text.addEventListener('keydown', (e) => { if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); send(el.text.value); } });
    el.patient.addEventListener('change', () => {
      const p = demoPatients.find((x) => x.id === el.patient.value);
      if (p) start({ token: p.token, patientId: p.id, organizationId: p.organizationId, demo: true });
      el.panel.hidden = true; el.settings.setAttribute('aria-expanded', 'false');
    });

    demoPatients = await loadDemo();
    if (demoPatients.length > 0) {
      el.demoRow.hidden = false;
      el.patient.replaceChildren(...demoPatients.map((p) => { const o = document.createElement('option'); o.value = p.id; o.textContent = p.label; return o; }));
    }
    const given = params.get('token');
    const saved = JSON.parse(store.getItem('careloop.session') || 'null');
    if (given) { start({ token: given, patientId: params.get('patient') || '', organizationId: params.get('org') || '', demo: false }); return; }
    if (saved && saved.token) { if (saved.demo) el.patient.value = saved.patientId; start(saved); return; }
    const first = demoPatients[0];
    if (first) { start({ token: first.token, patientId: first.id, organizationId: first.organizationId, demo: true }); return; }
    setStatus('noSession'); el.verify.hidden = false;
  }
  void init();
})();
