import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { SERVICE_NAMES } from '../cli/services.js';
import { kafkaSecurity, rdkafkaSecurity } from '../platform/kafka/security.js';
import { loadConfig } from '../platform/config/config.js';
import { CONFIG_SPEC, envName } from '../platform/config/spec.js';
import { GROUPS, TOPICS } from '../platform/kafka/topics.js';
import { repoRoot } from '../platform/paths.js';

// The chart as rendered by scripts/check-chart.sh (helm lint, helm template, kubeconform -strict),
// checked against the code it deploys: services, consumer groups, topics, config keys, dependencies.
interface K8s { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: any; data?: Record<string, string> }

const root = repoRoot();
const renderDir = mkdtempSync(join(tmpdir(), 'careloop-chart-'));
let checkOutput = '';
const renders: Record<string, K8s[]> = {};
const RENDERS = ['default', 'production', 'capacity-8m'];

before(() => {
  // Installs helm, kubeconform and the schemas into .stack/tools on first use (a few minutes, cached).
  const run = spawnSync('bash', [join(root, 'scripts/check-chart.sh')], { cwd: root, encoding: 'utf8', env: { ...process.env, CHART_RENDER_DIR: renderDir }, timeout: 600_000 });
  checkOutput = `${run.stdout}\n${run.stderr}`;
  assert.equal(run.status, 0, `scripts/check-chart.sh failed:\n${checkOutput.slice(-4000)}`);
  for (const name of RENDERS) renders[name] = JSON.parse(readFileSync(join(renderDir, `${name}.json`), 'utf8')) as K8s[];
}, { timeout: 600_000 });
after(() => rmSync(renderDir, { recursive: true, force: true }));

const ofKind = (docs: K8s[], kind: string): K8s[] => docs.filter((d) => d.kind === kind);
const component = (d: K8s): string | undefined => d.metadata.labels?.['app.kubernetes.io/component'] ?? d.spec?.template?.metadata?.labels?.['app.kubernetes.io/component'];

/** The consumer groups the code starts: `startGroupConsumer(ctx, '<group>'` in a service's source. */
function consumedGroups(): Set<string> {
  const found = new Set<string>();
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && !e.name.includes('.test.')) {
        for (const m of readFileSync(p, 'utf8').matchAll(/startGroupConsumer\(ctx, '([a-z-]+)'/g)) found.add(m[1] as string);
      }
    }
  };
  for (const d of ['ingest', 'stream-processors', 'delivery', 'profiling']) walk(join(root, d));
  return found;
}

/** What a service's main.ts reaches: the clients it asks `deps` for, and what its readiness checks name. */
function codeDependencies(service: string): Set<string> {
  const file = { api: 'ingest/api/main.ts', gateway: 'ingest/gateway/main.ts', 'delivery-ws': 'delivery/ws/main.ts', 'delivery-push': 'delivery/push/main.ts', twilio: 'ingest/twilio/main.ts', 'delivery-sms': 'delivery/sms/main.ts', 'caregiver-notifier': 'delivery/sms/caregiver-main.ts', profiling: 'profiling/main.ts' }[service] ?? `stream-processors/${service}/main.ts`;
  const src = readFileSync(join(root, file), 'utf8');
  const list = /checks\(\[([^\]]*)\]/.exec(src);
  assert.ok(list, `${file} names its readiness checks`);
  const deps = new Set([...(list[1] as string).matchAll(/'([a-z]+)'/g)].map((m) => m[1] as string));
  const clients: Record<string, string[]> = {
    publisher: ['kafka', 'registry'], driver: ['kafka', 'registry'], catalogue: ['registry'], producer: ['kafka'],
    postgres: ['postgres'], keyring: ['postgres'], security: ['postgres'], redis: ['redis'], clickhouse: ['clickhouse'],
  };
  for (const m of src.matchAll(/deps\.([a-z]+)\(\)/g)) for (const d of clients[m[1] as string] ?? []) deps.add(d);
  if (src.includes('startGroupConsumer(')) { deps.add('kafka'); deps.add('registry'); }
  if (/new (WebPushSender|FcmSender)\(/.test(src)) deps.add('publicHttps'); // push services and FCM
  if (src.includes('new TwilioClients(')) deps.add('publicHttps'); // the SMS sender calls Twilio's REST API
  return deps;
}

test('helm lint, helm template and kubeconform -strict pass for the default and the production values', () => {
  assert.match(checkOutput, /1 chart\(s\) linted, 0 chart\(s\) failed/);
  const summary = /Summary: (\d+) resources found in (\d+) files - Valid: (\d+), Invalid: (\d+), Errors: (\d+), Skipped: (\d+)/.exec(checkOutput);
  assert.ok(summary, 'kubeconform printed its summary');
  const [, found, files, valid, invalid, errors, skipped] = summary.map(Number);
  assert.equal(files, RENDERS.length);
  assert.deepEqual({ invalid, errors, skipped }, { invalid: 0, errors: 0, skipped: 0 }, 'every manifest, CRDs included, had a schema and passed');
  assert.equal(valid, found);
  assert.equal(found, RENDERS.reduce((n, r) => n + (renders[r] as K8s[]).length, 0));
});

for (const name of RENDERS) {
  test(`${name}: every service is one Deployment of the one image, with separate probes, a non-root read-only securityContext, spread and a PDB`, () => {
    const docs = renders[name] as K8s[];
    const deployments = ofKind(docs, 'Deployment');
    assert.deepEqual(deployments.map(component).sort(), [...SERVICE_NAMES].sort());
    const images = new Set(deployments.map((d) => d.spec.template.spec.containers[0].image));
    assert.equal(images.size, 1, 'one image');
    const pdbs = ofKind(docs, 'PodDisruptionBudget');
    for (const d of deployments) {
      const svc = component(d) as string;
      const pod = d.spec.template.spec;
      const c = pod.containers[0];
      assert.deepEqual(c.args, ['run', svc]);
      // rdkafka with static membership: the pod's name is its consumers' instance id.
      assert.deepEqual(c.env.find((e: { name: string }) => e.name === 'CARELOOP_CONSUMER_INSTANCE_ID')?.valueFrom, { fieldRef: { fieldPath: 'metadata.name' } }, `${svc} static membership`);
      const ops = c.ports.find((p: { name: string }) => p.name === 'ops');
      assert.equal(ops.containerPort, loadConfig({ env: {} }).services.opsPort, 'the ops port the services listen on');
      assert.deepEqual(c.livenessProbe.httpGet, { path: '/health/live', port: 'ops' }, `${svc} liveness`);
      assert.deepEqual(c.readinessProbe.httpGet, { path: '/health/ready', port: 'ops' }, `${svc} readiness`);
      assert.ok(c.resources.requests.cpu && c.resources.requests.memory && c.resources.limits.memory, `${svc} resources`);
      assert.equal(pod.securityContext.runAsNonRoot, true);
      assert.ok(pod.securityContext.runAsUser > 0);
      assert.equal(c.securityContext.allowPrivilegeEscalation, false, `${svc} no privilege escalation`);
      assert.equal(c.securityContext.readOnlyRootFilesystem, true, `${svc} read-only root`);
      assert.deepEqual(c.securityContext.capabilities.drop, ['ALL']);
      assert.ok(c.volumeMounts.some((m: { mountPath: string }) => m.mountPath === '/tmp'), 'writable /tmp only');
      assert.ok(pod.topologySpreadConstraints.some((t: { topologyKey: string }) => t.topologyKey === 'topology.kubernetes.io/zone'));
      const labels = d.spec.selector.matchLabels as Record<string, string>;
      assert.ok(pdbs.some((p) => JSON.stringify(p.spec.selector.matchLabels) === JSON.stringify(labels)), `${svc} has a PodDisruptionBudget`);
    }
  });

  test(`${name}: every consumer group the code starts has a KEDA Kafka-lag ScaledObject on its topics, bounded by partitions`, () => {
    const docs = renders[name] as K8s[];
    const config = ofKind(docs, 'ConfigMap').find((c) => !c.metadata.annotations?.['helm.sh/hook'])?.data as Record<string, string>;
    const prefix = config.CARELOOP_KAFKA_TOPIC_PREFIX ?? '';
    const scale = Number(config.CARELOOP_KAFKA_PARTITION_SCALE);
    const scaled = ofKind(docs, 'ScaledObject');
    const groups = consumedGroups();
    assert.ok(groups.size >= 5, `found the consumed groups: ${[...groups].join(', ')}`);
    for (const id of groups) {
      const group = GROUPS.find((g) => g.id === id);
      assert.ok(group, `${id} is declared in topics.ts`);
      const so = scaled.find((s) => s.metadata.labels?.['careloop.io/consumer-group'] === id);
      assert.ok(so, `consumer group ${id} has a ScaledObject`);
      const triggers = so.spec.triggers as Array<{ type: string; metadata: Record<string, string> }>;
      assert.deepEqual(triggers.map((t) => t.metadata.topic).sort(), group.topics.map((t) => prefix + t).sort(), `${id} scales on the lag of each of its topics`);
      for (const t of triggers) {
        assert.equal(t.type, 'kafka');
        assert.equal(t.metadata.consumerGroup, prefix + id);
        assert.equal(t.metadata.allowIdleConsumers, 'false');
        assert.ok(Number(t.metadata.lagThreshold) > 0);
      }
      const partitions = Math.max(...group.topics.map((t) => TOPICS.find((x) => x.name === t)?.partitions ?? 0)) * scale;
      assert.ok(so.spec.maxReplicaCount <= partitions, `${id}: ${so.spec.maxReplicaCount} replicas at most ${partitions} partitions`);
      assert.ok(so.spec.minReplicaCount >= 1);
      const target = ofKind(docs, 'Deployment').find((d) => d.metadata.name === so.spec.scaleTargetRef.name);
      assert.ok(target, `${id}'s ScaledObject targets a Deployment`);
      assert.equal(target.spec.replicas, undefined, 'replicas left to the autoscaler');
    }
  });

  test(`${name}: the API scales on CPU, the gateway on sockets or CPU and drains one pod at a time`, () => {
    const docs = renders[name] as K8s[];
    const hpa = (svc: string): K8s | undefined => ofKind(docs, 'HorizontalPodAutoscaler').find((h) => component(h) === svc);
    const api = hpa('api');
    assert.ok(api);
    assert.equal(api.spec.metrics[0].resource.name, 'cpu');
    const gw = hpa('gateway');
    assert.ok(gw);
    const metric = gw.spec.metrics[0];
    if (metric.type === 'Pods') {
      assert.equal(metric.pods.metric.name, 'careloop_gateway_connections');
      assert.match(readFileSync(join(root, 'ingest/gateway/main.ts'), 'utf8'), /name: 'careloop_gateway_connections'/, 'the gateway exports the metric it scales on');
    } else assert.equal(metric.resource.name, 'cpu');
    assert.deepEqual(gw.spec.behavior.scaleDown.policies.map((p: { type: string; value: number }) => [p.type, p.value]), [['Pods', 1]]);
    const pod = ofKind(docs, 'Deployment').find((d) => component(d) === 'gateway')?.spec.template.spec;
    assert.ok(pod.containers[0].lifecycle.preStop.sleep.seconds > 0, 'out of the endpoints before SIGTERM');
    assert.ok(pod.terminationGracePeriodSeconds > pod.containers[0].lifecycle.preStop.sleep.seconds);
  });

  test(`${name}: configuration by ConfigMap of real CARELOOP_* keys that compiles, secrets only by reference`, () => {
    const docs = renders[name] as K8s[];
    assert.equal(ofKind(docs, 'Secret').length, 0, 'the chart creates no Secret');
    const known = new Set(Object.keys(CONFIG_SPEC).map(envName));
    const env: Record<string, string> = {};
    for (const cm of ofKind(docs, 'ConfigMap')) {
      for (const [k, v] of Object.entries(cm.data ?? {})) {
        assert.ok(known.has(k), `${cm.metadata.name}: ${k} is a configuration key`);
        env[k] = v;
      }
    }
    for (const d of [...ofKind(docs, 'Deployment'), ...ofKind(docs, 'Job')]) {
      for (const e of d.spec.template.spec.containers[0].env as Array<{ name: string; value?: string; valueFrom?: unknown }>) {
        assert.ok(known.has(e.name), `${e.name} is a configuration key`);
        if (/PASSWORD|SECRET$|_URL$|MASTER_KEY$/.test(e.name) && !e.name.endsWith('_FILE')) assert.ok(e.valueFrom && e.value === undefined, `${e.name} comes from a Secret`);
        env[e.name] = e.value ?? (/_URL$/.test(e.name) ? (e.name.includes('POSTGRES') ? 'postgres://u:p@db:5432/careloop' : 'redis://cache:6379') : 'from-secret');
      }
    }
    const cfg = loadConfig({ env });
    assert.equal(cfg.env, 'production');
    assert.equal(cfg.services.host, '0.0.0.0');
  });

  test(`${name}: NetworkPolicies allow only the data-flow picture's flows`, () => {
    const docs = renders[name] as K8s[];
    const values = JSON.parse(spawnSync('python3', ['-c', 'import json,sys,yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))', join(root, 'charts/careloop', name === 'default' ? 'values.yaml' : `examples/${name}.yaml`)], { encoding: 'utf8', env: { ...process.env, PYTHONPATH: join(root, '.stack/tools/k8s-validate') } }).stdout) as { networkPolicy?: { dependencies?: Record<string, { ports: number[] }> } };
    const defaults = JSON.parse(spawnSync('python3', ['-c', 'import json,sys,yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))', join(root, 'charts/careloop/values.yaml')], { encoding: 'utf8', env: { ...process.env, PYTHONPATH: join(root, '.stack/tools/k8s-validate') } }).stdout) as typeof values;
    const depPorts = { ...defaults.networkPolicy?.dependencies, ...values.networkPolicy?.dependencies } as Record<string, { ports: number[] }>;
    const portOwner = new Map<number, string>();
    for (const [dep, d] of Object.entries(depPorts)) for (const p of d.ports) portOwner.set(p, dep);
    const policies = ofKind(docs, 'NetworkPolicy');
    const reach = (svc: string): Set<string> => {
      const np = policies.find((p) => p.spec.podSelector.matchLabels['app.kubernetes.io/component'] === svc);
      assert.ok(np, `${svc} has a NetworkPolicy`);
      assert.deepEqual(np.spec.policyTypes, ['Ingress', 'Egress'], 'default deny both ways');
      const deps = new Set<string>();
      for (const rule of np.spec.egress as Array<{ ports: Array<{ port: number }> }>) {
        for (const p of rule.ports) if (p.port !== 53) deps.add(portOwner.get(p.port) ?? `port ${p.port}`);
      }
      return deps;
    };
    for (const name of SERVICE_NAMES) {
      assert.deepEqual([...reach(name)].sort(), [...codeDependencies(name)].sort(), `${name} reaches exactly the dependencies its code uses`);
    }
    // Services never call one another: no policy admits traffic from another careloop pod.
    for (const np of policies) {
      for (const rule of np.spec.ingress ?? []) for (const from of rule.from ?? []) assert.equal(from.podSelector?.matchLabels?.['app.kubernetes.io/name'], undefined);
    }
    assert.ok(!reach('gateway').has('clickhouse'), 'no gateway -> ClickHouse');
    assert.ok(!reach('delivery-ws').has('postgres'), 'no delivery -> PostgreSQL');
    assert.deepEqual(SERVICE_NAMES.filter((s) => reach(s).has('clickhouse')), ['api', 'analytics-sink'], 'only the analytics sink writes ClickHouse; the API reads it for the portal\'s dashboards');
    assert.deepEqual([...reach('prepare')].sort(), ['clickhouse', 'kafka', 'postgres', 'registry'], 'prepare migrates everything');
  });

  test(`${name}: the prepare job is a pre-install/pre-upgrade hook running careloop prepare; a ServiceMonitor scrapes the ops port`, () => {
    const docs = renders[name] as K8s[];
    const job = ofKind(docs, 'Job').find((j) => j.metadata.name.endsWith('-prepare'));
    assert.ok(job);
    assert.equal(job.metadata.annotations?.['helm.sh/hook'], 'pre-install,pre-upgrade');
    assert.deepEqual(job.spec.template.spec.containers[0].args, ['prepare']);
    const hookConfig = job.spec.template.spec.containers[0].envFrom[0].configMapRef.name as string;
    assert.equal(ofKind(docs, 'ConfigMap').find((c) => c.metadata.name === hookConfig)?.metadata.annotations?.['helm.sh/hook'], 'pre-install,pre-upgrade', 'its ConfigMap exists before it runs');
    const [sm] = ofKind(docs, 'ServiceMonitor');
    assert.ok(sm);
    assert.deepEqual(sm.spec.endpoints.map((e: { port: string; path: string }) => [e.port, e.path]), [['ops', '/metrics']]);
    for (const s of ofKind(docs, 'Service')) assert.ok(s.spec.ports.some((p: { name: string }) => p.name === 'ops'), `${s.metadata.name} exposes ops`);
  });

  test(`${name}: external Kafka with SASL over TLS and a vault database of its own, by Secret reference, as the product reads them`, () => {
    const docs = renders[name] as K8s[];
    const data = Object.assign({}, ...ofKind(docs, 'ConfigMap').map((c) => c.data ?? {})) as Record<string, string>;
    assert.equal(data['CARELOOP_KAFKA_SASL_MECHANISM'], name === 'production' ? 'scram-sha-512' : 'none');
    assert.equal(data['CARELOOP_KAFKA_DRIVER'], 'rdkafka', 'the driver the fault suite shows recovering');
    for (const d of [...ofKind(docs, 'Deployment'), ...ofKind(docs, 'Job')]) {
      const pod = d.spec.template.spec;
      const env = new Map((pod.containers[0].env as Array<{ name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }>).map((e) => [e.name, e]));
      if (name !== 'production') {
        assert.ok(!env.has('CARELOOP_KAFKA_SASL_USERNAME') && !env.has('CARELOOP_POSTGRES_VAULT_URL'), `${d.metadata.name}: no SASL, the vault in the main database`);
        continue;
      }
      assert.deepEqual(env.get('CARELOOP_KAFKA_SASL_USERNAME')?.valueFrom?.secretKeyRef, { name: 'careloop-kafka-user', key: 'username' }, d.metadata.name);
      assert.deepEqual(env.get('CARELOOP_POSTGRES_VAULT_URL')?.valueFrom?.secretKeyRef, { name: 'careloop-vault-postgres', key: 'url' }, d.metadata.name);
      const file = env.get('CARELOOP_KAFKA_SASL_PASSWORD_FILE')?.value ?? '';
      const mount = (pod.containers[0].volumeMounts as Array<{ name: string; mountPath: string }>).find((m) => file.startsWith(`${m.mountPath}/`));
      assert.ok(mount, `${d.metadata.name}: the password file is mounted`);
      const volume = (pod.volumes as Array<{ name: string; secret?: { secretName: string; items?: Array<{ key: string }> } }>).find((v) => v.name === mount.name);
      assert.equal(volume?.secret?.secretName, 'careloop-kafka-user');
      assert.deepEqual(volume?.secret?.items?.map((i) => i.key), ['password'], 'only the password is mounted');
    }
    if (name === 'production') {
      // What the drivers get from that config (the password file is the Secret's; a stand-in here).
      const dir = mkdtempSync(join(tmpdir(), 'careloop-sasl-'));
      writeFileSync(join(dir, 'password'), 's3cret\n');
      const cfg = loadConfig({ env: { CARELOOP_KAFKA_SSL: data['CARELOOP_KAFKA_SSL'] ?? '', CARELOOP_KAFKA_SASL_MECHANISM: data['CARELOOP_KAFKA_SASL_MECHANISM'] ?? '', CARELOOP_KAFKA_SASL_USERNAME: 'careloop', CARELOOP_KAFKA_SASL_PASSWORD_FILE: join(dir, 'password') } });
      assert.deepEqual(rdkafkaSecurity({ ...kafkaSecurity(cfg), caFile: '' }), { 'security.protocol': 'sasl_ssl', 'sasl.mechanisms': 'SCRAM-SHA-512', 'sasl.username': 'careloop', 'sasl.password': 's3cret' });
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
