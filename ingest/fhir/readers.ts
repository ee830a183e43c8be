import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { issue, type OutcomeIssue } from './outcome.js';

/** One resource as read, before validation: its JSON, or why it could not be read. */
export interface RawEntry {
  /** 0-based position in the file: the NDJSON line, or the Bundle entry. */
  index: number;
  resource?: Record<string, unknown>;
  fullUrl?: string;
  /** The Bundle entry's request.method (transaction/batch), when there is one. */
  method?: string;
  /** The file it came from, when not the unit's own (a retry of deferred entries). */
  file?: string;
  problem?: OutcomeIssue;
}

/** What the importer processes at once: one Bundle, or a run of NDJSON lines. */
export interface Unit {
  file: string;
  kind: 'bundle' | 'ndjson';
  entries: RawEntry[];
  /** Bytes of the file consumed so far (progress). */
  bytesRead: number;
}

export interface ReadLimits {
  /** Longest NDJSON line or Bundle entry accepted, in bytes. */
  maxResourceBytes: number;
  /** NDJSON lines per unit. */
  unitSize: number;
}

function parse(text: string, index: number, what: string): RawEntry {
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return { index, problem: issue('structure', `${what} is JSON but not an object`) };
    return { index, resource: v as Record<string, unknown> };
  } catch (err) {
    return { index, problem: issue('structure', `${what} is not valid JSON: ${(err as Error).message.slice(0, 120)}`) };
  }
}

/** Entries of a parsed Bundle resource (a Bundle file, or a Bundle on an NDJSON line). */
export function bundleEntries(bundle: Record<string, unknown>): RawEntry[] {
  const entries = Array.isArray(bundle['entry']) ? bundle['entry'] as unknown[] : [];
  return entries.map((e, index) => entryOf(e, index));
}

function entryOf(e: unknown, index: number): RawEntry {
  if (typeof e !== 'object' || e === null) return { index, problem: issue('structure', 'Bundle.entry is not an object', `Bundle.entry[${index}]`) };
  const entry = e as { fullUrl?: unknown; resource?: unknown; request?: { method?: unknown } };
  const resource = entry.resource;
  if (typeof resource !== 'object' || resource === null || Array.isArray(resource)) {
    return { index, problem: issue('required', 'Bundle entry has no resource (deletes are not supported)', `Bundle.entry[${index}].resource`) };
  }
  return {
    index, resource: resource as Record<string, unknown>,
    ...(typeof entry.fullUrl === 'string' ? { fullUrl: entry.fullUrl } : {}),
    ...(typeof entry.request?.method === 'string' ? { method: entry.request.method } : {}),
  };
}

/** NDJSON: one resource a line (the Bulk Data format), streamed line by line in units. */
async function* readNdjson(file: string, limits: ReadLimits): AsyncGenerator<Unit> {
  const stream = createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let entries: RawEntry[] = [];
  let index = -1;
  for await (const line of lines) {
    index++;
    if (line.trim() === '') continue;
    if (Buffer.byteLength(line, 'utf8') > limits.maxResourceBytes) {
      entries.push({ index, problem: issue('too-long', `line is longer than the ${limits.maxResourceBytes} bytes a resource may have`) });
    } else {
      const e = parse(line, index, 'line');
      if (e.resource?.['resourceType'] === 'Bundle') {
        // A Bundle on a line is its own unit, so its references and duplicates are checked together.
        if (entries.length > 0) yield { file, kind: 'ndjson', entries, bytesRead: stream.bytesRead };
        entries = [];
        yield { file, kind: 'bundle', entries: bundleEntries(e.resource).map((x) => ({ ...x, index })), bytesRead: stream.bytesRead };
        continue;
      }
      entries.push(e);
    }
    if (entries.length >= limits.unitSize) {
      yield { file, kind: 'ndjson', entries, bytesRead: stream.bytesRead };
      entries = [];
    }
  }
  if (entries.length > 0) yield { file, kind: 'ndjson', entries, bytesRead: stream.bytesRead };
}

/**
 * A Bundle file, streamed: the top-level object is scanned character by character and only one
 * entry's text is held at a time (plus the unit being built), whatever the file's size.
 */
async function* readBundle(file: string, limits: ReadLimits): AsyncGenerator<Unit> {
  const stream = createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 });
  const scanner = new EntryScanner(limits.maxResourceBytes);
  const entries: RawEntry[] = [];
  for await (const chunk of stream) {
    for (const text of scanner.push(chunk as string)) entries.push(text === null
      ? { index: entries.length, problem: issue('too-long', `Bundle entry is longer than the ${limits.maxResourceBytes} bytes a resource may have`) }
      : entryFromText(text, entries.length));
  }
  const top = scanner.finish();
  if (top !== undefined) {
    yield { file, kind: 'bundle', entries: [{ index: 0, problem: top }], bytesRead: stream.bytesRead };
    return;
  }
  if (scanner.resourceType !== 'Bundle') {
    // A single resource in a .json file is imported as itself.
    const single = scanner.single();
    yield { file, kind: 'ndjson', entries: [single === undefined ? { index: 0, problem: issue('structure', 'the file is neither a Bundle nor a resource') } : parse(single, 0, 'file')], bytesRead: stream.bytesRead };
    return;
  }
  yield { file, kind: 'bundle', entries, bytesRead: stream.bytesRead };
}

function entryFromText(text: string, index: number): RawEntry {
  const parsed = parse(text, index, `Bundle.entry[${index}]`);
  return parsed.resource === undefined ? parsed : entryOf(parsed.resource, index);
}

/** Finds the elements of the top-level "entry" array of a JSON object stream, and its "resourceType". */
export class EntryScanner {
  private depth = 0;
  private inString = false;
  private escaped = false;
  private key = '';
  private keyBuf: string | null = null;
  private lastKey = '';
  private inEntries = false;
  private entryBuf: string[] | null = null;
  private entryLen = 0;
  private tooLong = false;
  private small: string[] = [];
  private smallLen = 0;
  resourceType: string | undefined;
  private valueBuf: string | null = null;
  private sawAny = false;

  constructor(private readonly maxEntryBytes: number) {}

  /** Feeds text; returns complete entries (null for one over the limit). */
  push(chunk: string): Array<string | null> {
    const out: Array<string | null> = [];
    if (this.smallLen < 4_000_000) { this.small.push(chunk); this.smallLen += chunk.length; }
    let start = this.entryBuf !== null ? 0 : -1;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if (c > 32) this.sawAny = true;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === 92) this.escaped = true;
        else if (c === 34) {
          this.inString = false;
          if (this.keyBuf !== null && this.depth === 1) { this.key = this.keyBuf; this.keyBuf = null; }
          else if (this.valueBuf !== null) { if (this.lastKey === 'resourceType') this.resourceType = this.valueBuf; this.valueBuf = null; }
        } else if (this.keyBuf !== null && this.depth === 1) this.keyBuf += chunk[i];
        else if (this.valueBuf !== null) this.valueBuf += chunk[i];
        continue;
      }
      if (c === 34) {
        this.inString = true;
        if (this.depth === 1 && this.expectKey) this.keyBuf = '';
        else if (this.depth === 1 && this.lastKey === 'resourceType') this.valueBuf = '';
        continue;
      }
      if (c === 58 && this.depth === 1) { this.lastKey = this.key; this.expectKey = false; continue; }
      if (c === 44 && this.depth === 1) { this.expectKey = true; continue; }
      if (c === 123 || c === 91) {
        this.depth++;
        if (this.depth === 1) this.expectKey = true;
        if (this.depth === 2 && c === 91 && this.lastKey === 'entry') this.inEntries = true;
        if (this.depth === 3 && this.inEntries) { this.entryBuf = []; this.entryLen = 0; this.tooLong = false; start = i; }
        continue;
      }
      if (c === 125 || c === 93) {
        if (this.depth === 3 && this.inEntries && this.entryBuf !== null) {
          this.append(chunk.slice(start, i + 1));
          out.push(this.tooLong ? null : this.entryBuf.join(''));
          this.entryBuf = null;
          start = -1;
        }
        if (this.depth === 2 && this.inEntries) this.inEntries = false;
        this.depth--;
      }
    }
    if (this.entryBuf !== null && start >= 0) this.append(chunk.slice(start));
    return out;
  }

  private expectKey = false;

  private append(text: string): void {
    if (this.entryBuf === null) return;
    this.entryLen += text.length;
    if (this.entryLen > this.maxEntryBytes) { this.tooLong = true; this.entryBuf = []; return; }
    if (!this.tooLong) this.entryBuf.push(text);
  }

  /** A problem with the file as a whole, if any. */
  finish(): OutcomeIssue | undefined {
    if (!this.sawAny) return issue('structure', 'the file is empty');
    if (this.depth !== 0 || this.inString) return issue('structure', 'the file is not valid JSON (it ends inside a value)');
    return undefined;
  }

  /** The whole file, when it was small enough to keep (a single resource). */
  single(): string | undefined {
    return this.smallLen < 4_000_000 ? this.small.join('') : undefined;
  }
}

/** Units of every file, in the order given (callers sort files so referenced types come first). */
export async function* readFiles(files: readonly string[], limits: ReadLimits): AsyncGenerator<Unit> {
  for (const file of files) {
    await stat(file);
    if (file.endsWith('.ndjson')) yield* readNdjson(file, limits);
    else yield* readBundle(file, limits);
  }
}
