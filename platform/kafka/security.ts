import { readFileSync } from 'node:fs';
import type { KafkaConfig, SASLOptions } from 'kafkajs';
import type { Config } from '../config/config.js';
import { CareloopError } from '../errors.js';
import { caBundle } from '../service/tls.js';

/** SASL credentials for the brokers (kafka.sasl*); the password comes from a mounted Secret, never from values. */
export interface KafkaSasl {
  mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512';
  username: string;
  password: string;
}

/** How a client reaches the brokers: TLS, its CA and SASL. */
export interface KafkaSecurity {
  ssl: boolean;
  /** PEM CA bundle; empty uses the system CAs. */
  caFile?: string;
  sasl?: KafkaSasl | null;
}

/** The SASL settings of the config, compiled once: kafka.saslPasswordFile wins over kafka.saslPassword. */
export function kafkaSasl(cfg: Pick<Config, 'kafka'>): KafkaSasl | null {
  const k = cfg.kafka;
  if (k.saslMechanism === 'none') return null;
  let password = k.saslPassword;
  if (k.saslPasswordFile !== '') {
    try { password = readFileSync(k.saslPasswordFile, 'utf8').trim(); } catch (err) {
      throw new CareloopError('CONFIG_INVALID', `kafka.saslPasswordFile ${k.saslPasswordFile} cannot be read: ${(err as Error).message}`);
    }
  }
  if (k.saslUsername === '' || password === '') throw new CareloopError('CONFIG_INVALID', `kafka.saslMechanism=${k.saslMechanism} needs kafka.saslUsername and kafka.saslPassword or kafka.saslPasswordFile`);
  return { mechanism: k.saslMechanism, username: k.saslUsername, password };
}

/** Everything a Kafka client of this config needs to connect securely. */
export function kafkaSecurity(cfg: Pick<Config, 'kafka'>): Required<KafkaSecurity> {
  return { ssl: cfg.kafka.ssl, caFile: cfg.kafka.caFile, sasl: kafkaSasl(cfg) };
}

/** kafkajs options: `ssl` (with the CA when given) and `sasl`. */
export function kafkajsSecurity(s: KafkaSecurity): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const ca = s.ssl && s.caFile ? caBundle(s.caFile) : null;
  const ssl = s.ssl ? (ca ? { rejectUnauthorized: true, ca: [ca] } : true) : false;
  if (!s.sasl) return { ssl };
  const { username, password } = s.sasl;
  // kafkajs types each mechanism apart, so the union is spelled out.
  const sasl: SASLOptions = s.sasl.mechanism === 'plain' ? { mechanism: 'plain', username, password }
    : s.sasl.mechanism === 'scram-sha-256' ? { mechanism: 'scram-sha-256', username, password } : { mechanism: 'scram-sha-512', username, password };
  return { ssl, sasl };
}

/** librdkafka properties: security.protocol, ssl.ca.location and sasl.*. */
export function rdkafkaSecurity(s: KafkaSecurity): Record<string, string> {
  const protocol = `${s.sasl ? 'sasl_' : ''}${s.ssl ? 'ssl' : 'plaintext'}`;
  return {
    'security.protocol': protocol,
    ...(s.ssl && s.caFile ? { 'ssl.ca.location': s.caFile } : {}),
    ...(s.sasl ? { 'sasl.mechanisms': s.sasl.mechanism.toUpperCase(), 'sasl.username': s.sasl.username, 'sasl.password': s.sasl.password } : {}),
  };
}
