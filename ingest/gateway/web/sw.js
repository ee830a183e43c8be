// The chat's service worker: shows a push notification while the page is closed and opens the
// chat on a tap. Notifications carry no health information: only who wrote and the chat's link.
'use strict';
self.addEventListener('install', () => { self.skipWaiting(); });
self.addEventListener('activate', (event) => { event.waitUntil(self.clients.claim()); });

self.addEventListener('push', (event) => {
  let n = {};
  try { n = event.data ? event.data.json() : {}; } catch { n = {}; }
  const title = typeof n.title === 'string' ? n.title : 'Careloop';
  const options = { body: typeof n.body === 'string' ? n.body : 'You have a new message', tag: typeof n.tag === 'string' ? n.tag : 'careloop', data: { url: typeof n.url === 'string' ? n.url : self.registration.scope }, renotify: false };
  event.waitUntil((async () => {
    // An open, visible chat shows the message itself: no notification on top of it.
    const open = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    if (open.some((c) => c.visibilityState === 'visible')) return;
    await self.registration.showNotification(title, options);
  })());
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const url = new URL(event.notification.data && event.notification.data.url ? event.notification.data.url : self.registration.scope, self.registration.scope);
  event.waitUntil((async () => {
    const open = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    const same = open.find((c) => new URL(c.url).origin === url.origin);
    if (same) { await same.focus(); return; }
    await self.clients.openWindow(url.href);
  })());
});
