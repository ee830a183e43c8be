import twilio from 'twilio';
import type { SmsAccount } from './accounts.js';
import { LeanTwilioHttpClient } from './http-client.js';

const TWILIO_API = 'https://api.twilio.com';

export type TwilioClient = ReturnType<typeof twilio>;

/**
 * The HTTP client the twilio library sends through. Behind an HTTP_PROXY or with TWILIO_CA_BUNDLE the library's own
 * (axios, proxy agent) is kept; otherwise a lean one on a keep-alive agent (see http-client.ts).
 */
function requestClient(base: string, maxSockets: number): InstanceType<typeof twilio.RequestClient> {
  if ((process.env['HTTP_PROXY'] !== undefined || process.env['TWILIO_CA_BUNDLE'] !== undefined) && base === TWILIO_API) return new twilio.RequestClient({ autoRetry: false, keepAlive: true, maxSockets, timeout: 15_000 });
  return new LeanTwilioHttpClient(base, { maxSockets, timeout: 15_000 });
}

/** One twilio client per account; `apiBaseUrl` '' means Twilio itself. Retries are ours, not the library's. */
export class TwilioClients {
  private readonly clients = new Map<string, { token: string; client: TwilioClient }>();

  constructor(private readonly apiBaseUrl: string, private readonly maxSockets = 256) {}

  for(account: SmsAccount): TwilioClient {
    const known = this.clients.get(account.accountSid);
    if (known !== undefined && known.token === account.authToken) return known.client;
    const base = this.apiBaseUrl === '' ? TWILIO_API : this.apiBaseUrl.replace(/\/$/, '');
    const client = twilio(account.accountSid, account.authToken, { httpClient: requestClient(base, this.maxSockets), autoRetry: false });
    this.clients.set(account.accountSid, { token: account.authToken, client });
    return client;
  }
}
