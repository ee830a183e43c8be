import type { Config } from '../config/config.js';
import type { Logger } from '../log.js';
import { createKafkajsDriver } from './kafkajs-driver.js';
import { kafkaSasl } from './security.js';
import { createRdkafkaDriver } from './rdkafka-driver.js';
import type { DriverName, KafkaDriver } from './types.js';

/** Picks the Kafka driver the config names; both speak the same small interface. */
export function createKafkaDriver(cfg: Config, log: Logger, driver: DriverName = cfg.kafka.driver): KafkaDriver {
  const dc = { brokers: cfg.kafka.brokers, clientId: cfg.kafka.clientId, ssl: cfg.kafka.ssl, caFile: cfg.kafka.caFile, sasl: kafkaSasl(cfg) };
  switch (driver) {
    case 'kafkajs': return createKafkajsDriver(dc, log);
    case 'rdkafka': return createRdkafkaDriver(dc, log);
  }
}
