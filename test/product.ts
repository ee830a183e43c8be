import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import type { Config } from '../platform/config/config.js';
import { repoRoot } from '../platform/paths.js';
import { createClickHouse } from '../platform/storage/clickhouse.js';
import { createPgPool } from '../platform/storage/postgres.js';
import { sessionSecret } from '../platform/auth/secrets.js';
import { issueSessionToken } from '../platform/auth/session-tokens.js';
import { uniqueId } from './helpers.js';

/**
 * A port for a test's listener, drawn at random from 20000–28999: outside Linux's ephemeral range
 * (32768–60999), where the OS also hands out the source ports of every outbound connection (Kafka,
 * PostgreSQL, Redis clients), so a port picked there could be taken again before the service binds
 * it; also clear of the local stack's ports (15432–19092) and the fault suite's private ones (29092+).
 */
const handedOut = new Set<number>();
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 9_000);
    if (handedOut.has(port)) continue;
    if (await bindable(port)) { handedOut.add(port); return port; }
  }
  throw new Error('no free port found in 20000-28999');
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** A product process (`careloop run …`) started by a test, with its own output kept for failures. */
export class ProductProcess {
  output = '';
  private constructor(readonly child: ChildProcess) {
    child.stdout?.on('data', (b: Buffer) => { this.output += b.toString(); });
    child.stderr?.on('data', (b: Buffer) => { this.output += b.toString(); });
  }

  static async start(services: readonly string[], env: NodeJS.ProcessEnv, extraArgs: readonly string[] = [], timeoutMs = 60_000): Promise<ProductProcess> {
    const child = spawn(process.execPath, [join(repoRoot(), 'dist/cli/main.js'), 'run', ...services, ...extraArgs], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const p = new ProductProcess(child);
    const deadline = Date.now() + timeoutMs;
    while (!p.output.includes('Ctrl-C stops the services')) {
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill('SIGKILL'); // a process that missed its deadline must not outlive the test
        throw new Error(`careloop run ${services.join(' ')} did not start:\n${p.output.slice(-3000)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    return p;
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode !== null) return this.child.exitCode;
    const exited = new Promise<number | null>((resolve) => this.child.once('exit', (code) => resolve(code)));
    this.child.kill(signal);
    return exited;
  }
}

export interface TestTenant {
  organizationId: string;
  emergencyNumber: string;
  patients: Array<{ id: string; token: string; medication: string }>;
}

const MEDS = ['Metformin', 'Lisinopril', 'Atorvastatin', 'Amlodipine', 'Levothyroxine', 'Sertraline', 'Warfarin', 'Losartan', 'Omeprazole', 'Apixaban'];

/** An organisation of the test's own with patients, medications and session tokens. */
export async function seedTenant(cfg: Config, patients: number, emergencyNumber = '112'): Promise<TestTenant> {
  const pool = createPgPool({ ...cfg.postgres, poolMax: 2, applicationName: 'careloop-test-seed' });
  const organizationId = uniqueId('org_');
  try {
    await pool.query(`INSERT INTO organizations (id, slug, display_name, languages, emergency_number) VALUES ($1, $1, 'Test Clinic', ARRAY['en','es'], $2)`, [organizationId, emergencyNumber]);
    const secret = sessionSecret(cfg);
    const out: TestTenant['patients'] = [];
    for (let i = 0; i < patients; i++) {
      const id = `${organizationId}_p${i}`;
      const medication = MEDS[i % MEDS.length] as string;
      await pool.query(`INSERT INTO patients (id, organization_id) VALUES ($1, $2)`, [id, organizationId]);
      await pool.query(`INSERT INTO patient_medications (id, patient_id, organization_id, name, dose, schedule_times) VALUES ($1, $2, $3, $4, '10 mg', ARRAY['08:00'])`, [`${id}_m`, id, organizationId, medication]);
      out.push({ id, token: await issueSessionToken({ organizationId, patientId: id, ttlMs: 3_600_000 }, secret), medication });
    }
    return { organizationId, emergencyNumber, patients: out };
  } finally {
    await pool.end();
  }
}

/** Removes what a run with this config created in Kafka and ClickHouse. */
export async function cleanupRun(cfg: Config): Promise<void> {
  const admin = new kafkajs.Kafka({ clientId: 'careloop-test-cleanup', brokers: [...cfg.kafka.brokers], logLevel: kafkajs.logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const mine = (await admin.listTopics()).filter((t) => cfg.kafka.topicPrefix !== '' && t.startsWith(cfg.kafka.topicPrefix));
    if (mine.length > 0) await admin.deleteTopics({ topics: mine });
  } finally {
    await admin.disconnect();
  }
  if (cfg.clickhouse.database.startsWith('careloop_test')) {
    const ch = createClickHouse(cfg.clickhouse, null);
    await ch.command({ query: `DROP DATABASE IF EXISTS ${cfg.clickhouse.database}` });
    await ch.close();
  }
}
