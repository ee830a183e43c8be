/** What a push notification says: never the message itself, only who it is from and where to read it. */
export interface PushNotification {
  title: string;
  body: string;
  /** The chat page: the deep link a tap opens. */
  url: string;
  /** Same tag, same notification: a resent push replaces, never stacks. */
  tag: string;
}

const BODY = {
  en: (org: string) => `You have a new message from ${org}`,
  es: (org: string) => `Tiene un mensaje nuevo de ${org}`,
} as const;

/** Carries no PHI: the organisation's public name, a fixed sentence, a link and a random id. */
export function notificationFor(organizationName: string, language: string, chatUrl: string, messageId: string): PushNotification {
  const body = language === 'es' ? BODY.es(organizationName) : BODY.en(organizationName);
  return { title: organizationName, body, url: chatUrl, tag: messageId };
}

/** How a push service answered one device. */
export type PushOutcome =
  | { kind: 'sent' }
  /** The device is gone (404/410, UNREGISTERED): it is removed. */
  | { kind: 'gone' }
  | { kind: 'failed'; retryable: boolean; status: number };

/** Web Push and FCM statuses read the same way; `gone` comes from the caller's own signal as well. */
export function outcomeOf(status: number, gone = false): PushOutcome {
  if (status >= 200 && status < 300) return { kind: 'sent' };
  if (gone || status === 404 || status === 410) return { kind: 'gone' };
  return { kind: 'failed', retryable: status === 429 || status >= 500 || status === 0, status };
}
