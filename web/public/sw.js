/* Pairly's service worker: shows web pushes (notifications encrypted by the server, decrypted by the browser) and opens their link. */
self.addEventListener('push', (event) => {
  let data = { title: 'Pairly', body: 'Something new on Pairly', link: '/notifications', id: undefined };
  try {
    data = { ...data, ...event.data.json() };
  } catch {
    /* not JSON: the defaults */
  }
  event.waitUntil(self.registration.showNotification(data.title, { body: data.body, tag: data.id, data: { link: data.link } }));
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const link = (event.notification.data && event.notification.data.link) || '/notifications';
  event.waitUntil(
    self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then((windows) => {
      const open = windows.find((w) => 'focus' in w);
      if (open) return open.focus().then((w) => w.navigate(link));
      return self.clients.openWindow(link);
    }),
  );
});
