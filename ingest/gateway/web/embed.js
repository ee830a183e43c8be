// Embeds the Careloop chat on an organisation's site:
//   <script src="https://chat.example/embed.js" data-org="org_id" data-lang="es" async></script>
// adds a chat button that opens the chat in a frame (the gateway must list the site's origin in
// gateway.allowedOrigins, which its frame-ancestors and CORS headers follow).
'use strict';
(() => {
  const me = document.currentScript;
  if (!me) return;
  const base = new URL('.', me.src);
  const src = new URL('./', base);
  src.searchParams.set('embed', '1');
  for (const k of ['org', 'lang']) if (me.dataset[k]) src.searchParams.set(k, me.dataset[k]);
  const label = me.dataset.label || (me.dataset.lang === 'es' ? 'Chatear' : 'Chat with us');
  const button = document.createElement('button');
  button.type = 'button';
  button.textContent = label;
  button.setAttribute('aria-expanded', 'false');
  button.style.cssText = 'position:fixed;right:16px;bottom:16px;z-index:2147483000;border:0;border-radius:999px;padding:12px 20px;background:#0f766e;color:#fff;font:600 16px system-ui,sans-serif;box-shadow:0 4px 14px rgba(0,0,0,.25);cursor:pointer';
  const frame = document.createElement('iframe');
  frame.title = label;
  frame.hidden = true;
  frame.allow = 'clipboard-write';
  frame.style.cssText = 'position:fixed;right:16px;bottom:76px;z-index:2147483000;width:min(380px,calc(100vw - 32px));height:min(640px,calc(100vh - 96px));border:0;border-radius:16px;box-shadow:0 8px 30px rgba(0,0,0,.3);background:#fff';
  button.addEventListener('click', () => {
    if (!frame.src) frame.src = src.href;
    frame.hidden = !frame.hidden;
    button.setAttribute('aria-expanded', String(!frame.hidden));
  });
  document.body.append(frame, button);
})();
