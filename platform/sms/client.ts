import { Agent } from 'node:http';
import twilio from 'twilio';
import type { SmsAccount } from './accounts.js';

const TWILIO_API = 'https://api.twilio.com';

export type TwilioClient = ReturnType<typeof twilio>;

/**
 * The twilio library's own HTTP client, with its requests sent to another base URL: tests and the
 * benchmark point the real client at a local server that speaks Twilio's API.
 */
function baseUrlRequestClient(base: string, maxSockets: number): InstanceType<typeof twilio.RequestClient> {
  const rc = new twilio.RequestClient({ autoRetry: false, keepAlive: true, maxSockets, timeout: 15_000 });
  if (base === TWILIO_API) return rc;
  // A plain-http base (the local stand-in) needs its own keep-alive agent; https uses the library's.
  if (base.startsWith('http:')) rc.axios.defaults.httpAgent = new Agent({ keepAlive: true, maxSockets });
  rc.axios.interceptors.request.use((config) => {
    if (config.url?.startsWith(TWILIO_API) === true) config.url = base + config.url.slice(TWILIO_API.length);
    return config;
  });
  return rc;
}

/** One twilio client per account; `apiBaseUrl` '' means Twilio itself. Retries are ours, not the library's. */
export class TwilioClients {
  private readonly clients = new Map<string, { token: string; client: TwilioClient }>();

  constructor(private readonly apiBaseUrl: string, private readonly maxSockets = 256) {}

  for(account: SmsAccount): TwilioClient {
    const known = this.clients.get(account.accountSid);
    if (known !== undefined && known.token === account.authToken) return known.client;
    const base = this.apiBaseUrl === '' ? TWILIO_API : this.apiBaseUrl.replace(/\/$/, '');
    const client = twilio(account.accountSid, account.authToken, { httpClient: baseUrlRequestClient(base, this.maxSockets), autoRetry: false });
    this.clients.set(account.accountSid, { token: account.authToken, client });
    return client;
  }
}
