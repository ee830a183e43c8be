import avsc from 'avsc';
import { CareloopError } from '../../platform/errors.js';

/**
 * The fields of the data-flow records that analytics reads (rows.ts). Everything else, above all
 * the encrypted texts, entities and payloads, is skipped by the decoder and never even allocated.
 */
const READ_FIELDS = new Set([
  'messageId', 'signalId', 'actionId', 'organizationId', 'patientId', 'channel', 'kind', 'type', 'source', 'status',
  'receivedAt', 'understoodAt', 'createdAt', 'occurredAt', 'at', 'locale', 'language', 'intent', 'confidence', 'entityTypes',
  'replyTo', 'workflowId', 'workflowVersion', 'templateId', 'variantId', 'propensity', 'attributes', 'attempt', 'errorCode',
]);

interface Reader { type: avsc.Type; resolver: avsc.Resolver }

/**
 * Decodes Confluent-framed Avro records synchronously with a reader schema of only the fields
 * analytics needs (one resolver per writer schema id, looked up once from the registry).
 * `prepare` fetches the writer schemas a batch needs; `decode` then needs no promise per record.
 */
export class AnalyticsDecoder {
  private readonly readers = new Map<number, Reader>();
  private readonly unknown = new Map<number, CareloopError>();

  constructor(private readonly writerType: (id: number) => Promise<avsc.Type>) {}

  /** Looks up the schemas of the records' ids not seen yet; a registry outage rejects (retryable). */
  async prepare(values: ReadonlyArray<Buffer | null>): Promise<void> {
    let last = -1;
    for (const value of values) {
      if (value === null || value.length < 6 || value[0] !== 0) continue;
      const id = value.readInt32BE(1);
      if (id === last || this.readers.has(id) || this.unknown.has(id)) { last = id; continue; }
      last = id;
      try {
        this.readers.set(id, readerFor(await this.writerType(id)));
      } catch (err) {
        if (err instanceof CareloopError && !err.retryable) this.unknown.set(id, err);
        else throw err;
      }
    }
  }

  /** The record's analysed fields; RECORD_UNDECODABLE (not retryable) for anything that does not decode. */
  decode(value: Buffer | null): unknown {
    if (value === null || value.length < 6 || value[0] !== 0) {
      throw new CareloopError('RECORD_UNDECODABLE', 'value is not in the Confluent wire format (magic byte 0, schema id, Avro body)');
    }
    const id = value.readInt32BE(1);
    const reader = this.readers.get(id);
    if (reader === undefined) throw this.unknown.get(id) ?? new CareloopError('RECORD_UNDECODABLE', `schema id ${id} was not looked up`);
    let decoded: { value: unknown; offset: number };
    try {
      decoded = reader.type.decode(value, 5, reader.resolver);
    } catch (err) {
      throw new CareloopError('RECORD_UNDECODABLE', `the Avro body does not decode with schema id ${id}: ${(err as Error).message}`, { cause: err });
    }
    if (decoded.offset !== value.length) {
      throw new CareloopError('RECORD_UNDECODABLE', `the Avro body does not decode with schema id ${id}: ${decoded.offset < 0 ? 'truncated' : 'trailing bytes'}`);
    }
    return decoded.value;
  }
}

/** A reader of the writer's record with the unread fields left out (avsc skips them while decoding). */
function readerFor(writer: avsc.Type): Reader {
  const schema = writer.schema() as { type: string; fields?: Array<{ name: string }> };
  if (schema.type === 'record' && schema.fields !== undefined) {
    try {
      const type = avsc.Type.forSchema({ ...schema, fields: schema.fields.filter((f) => READ_FIELDS.has(f.name)) } as avsc.Schema);
      return { type, resolver: type.createResolver(writer) };
    } catch {
      // A kept field names a type defined only in a dropped one: read the whole record instead.
    }
  }
  return { type: writer, resolver: writer.createResolver(writer) };
}
