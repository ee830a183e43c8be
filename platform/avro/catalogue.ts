import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SchemaRegistry, SchemaType, COMPATIBILITY } from '@kafkajs/confluent-schema-registry';
import type { Type } from 'avsc';
import { CareloopError, normalizeError } from '../errors.js';
import type { AvroRecords, AvroRecordName } from '../../schemas/generated/avro-types.js';
import type { TopicSpec } from '../kafka/topics.js';

export interface CatalogueOptions {
  registryUrl: string;
  schemasDir: string;
  /** Topic prefix, so test runs get their own subjects. */
  topicPrefix: string;
}

/** Confluent TopicNameStrategy: the value schema of topic T lives under subject "T-value". */
export function valueSubject(physicalTopic: string): string {
  return `${physicalTopic}-value`;
}

export function readSchema(schemasDir: string, name: string): object {
  return JSON.parse(readFileSync(join(schemasDir, `${name}.avsc`), 'utf8')) as object;
}

function registryError(err: unknown, what: string): CareloopError {
  const status = (err as { status?: number }).status;
  if (status === 409 || (err as Error).name === 'ConfluentSchemaRegistryCompatibilityError') {
    return new CareloopError('SCHEMA_INCOMPATIBLE', `${what}: the registry rejected the schema as incompatible with the subject's earlier versions (BACKWARD)`, { cause: err });
  }
  if (status === 422) return new CareloopError('SCHEMA_INCOMPATIBLE', `${what}: the registry rejected the schema as invalid`, { cause: err });
  if (status !== undefined && status >= 500) return new CareloopError('DEPENDENCY_UNAVAILABLE', `${what}: schema registry answered ${status}`, { cause: err });
  const e = normalizeError(err);
  return e.code === 'INTERNAL' ? new CareloopError('DEPENDENCY_UNAVAILABLE', `${what}: ${e.message}`, { cause: err, retryable: true }) : e;
}

/**
 * The product's Avro records on the wire: registers every topic's value schema with BACKWARD
 * compatibility, encodes records in the Confluent wire format and decodes them with validation.
 */
export class SchemaCatalogue {
  private readonly registry: SchemaRegistry;
  private readonly ids = new Map<string, number>();
  private readonly names = new Map<string, string>();

  constructor(private readonly opts: CatalogueOptions) {
    this.registry = new SchemaRegistry({ host: opts.registryUrl, retry: { retries: 3 } });
  }

  /** Registers (idempotently) the value schema of each topic; returns subject -> schema id. */
  async registerTopics(topics: readonly TopicSpec[]): Promise<Map<string, number>> {
    for (const t of topics) {
      const subject = valueSubject(this.opts.topicPrefix + t.name);
      const id = await this.registerSchema(subject, readSchema(this.opts.schemasDir, t.valueSchema));
      this.ids.set(this.opts.topicPrefix + t.name, id);
      this.names.set(this.opts.topicPrefix + t.name, t.valueSchema);
    }
    return new Map(this.ids);
  }

  /** Registers one schema under a subject with BACKWARD compatibility; fails with SCHEMA_INCOMPATIBLE. */
  async registerSchema(subject: string, schema: object): Promise<number> {
    try {
      const { id } = await this.registry.register(
        { type: SchemaType.AVRO, schema: JSON.stringify(schema) },
        { subject, compatibility: COMPATIBILITY.BACKWARD },
      );
      return id;
    } catch (err) {
      throw registryError(err, `registering subject ${subject}`);
    }
  }

  /** Encodes a topic's record; the topic's schema must have been registered by this process. */
  async encode(physicalTopic: string, value: AvroRecords[AvroRecordName]): Promise<Buffer> {
    const id = this.ids.get(physicalTopic);
    if (id === undefined) throw new CareloopError('SCHEMA_UNKNOWN', `no schema registered for topic ${physicalTopic}; call registerTopics first`);
    try {
      return await this.registry.encode(id, value);
    } catch (err) {
      if ((err as Error).name === 'ConfluentSchemaRegistryValidationError') {
        const paths = ((err as { paths?: string[][] }).paths ?? []).map((p) => p.join('.')).join(', ');
        throw new CareloopError('RECORD_INVALID', `record for ${physicalTopic} does not match its schema at: ${paths || 'unknown path'}`, { cause: err });
      }
      throw registryError(err, `encoding for ${physicalTopic}`);
    }
  }

  /**
   * Encodes many records of one topic: the schema is looked up once and each record framed
   * synchronously (a promise per record costs more than the encoding at reminder-burst rates).
   * A record that does not match goes through `encode`, which names the bad fields.
   */
  async encodeMany(physicalTopic: string, values: ReadonlyArray<AvroRecords[AvroRecordName]>): Promise<Buffer[]> {
    const id = this.ids.get(physicalTopic);
    if (id === undefined) throw new CareloopError('SCHEMA_UNKNOWN', `no schema registered for topic ${physicalTopic}; call registerTopics first`);
    let schema: { toBuffer(v: unknown): Buffer };
    try {
      schema = await this.registry.getSchema(id);
    } catch (err) {
      throw registryError(err, `encoding for ${physicalTopic}`);
    }
    const header = Buffer.alloc(5);
    header.writeInt32BE(id, 1); // magic byte 0, then the schema id: the Confluent wire format
    const out: Buffer[] = [];
    for (const v of values) {
      let body: Buffer | null = null;
      try {
        body = schema.toBuffer(v);
      } catch {
        out.push(await this.encode(physicalTopic, v));
        continue;
      }
      out.push(Buffer.concat([header, body], 5 + body.length));
    }
    return out;
  }

  /**
   * The writer schema of a registry id as an avsc type (cached by the registry client), for bulk
   * readers that decode synchronously with their own reader schema. Unknown id: RECORD_UNDECODABLE.
   */
  async writerType(id: number): Promise<Type> {
    try {
      return (await this.registry.getSchema(id)) as unknown as Type;
    } catch (err) {
      const status = (err as { status?: number }).status;
      if (status === 404) throw new CareloopError('RECORD_UNDECODABLE', `schema id ${id} is unknown to the registry`, { cause: err });
      throw registryError(err, 'looking up a schema');
    }
  }

  /** Decodes a Confluent-framed Avro value; a record that cannot be decoded is not retryable. */
  async decode<T>(value: Buffer | null): Promise<T> {
    if (value === null || value.length < 6 || value[0] !== 0) {
      throw new CareloopError('RECORD_UNDECODABLE', 'value is not in the Confluent wire format (magic byte 0, schema id, Avro body)');
    }
    try {
      return (await this.registry.decode(value)) as T;
    } catch (err) {
      const status = (err as { status?: number }).status;
      if (status === 404) throw new CareloopError('RECORD_UNDECODABLE', `schema id ${value.readInt32BE(1)} is unknown to the registry`, { cause: err });
      if (status !== undefined || (err as NodeJS.ErrnoException).code !== undefined) throw registryError(err, 'decoding');
      throw new CareloopError('RECORD_UNDECODABLE', `the Avro body does not decode with schema id ${value.readInt32BE(1)}: ${(err as Error).message}`, { cause: err });
    }
  }
}
