import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { AVRO_RECORD_NAMES } from '../../schemas/generated/avro-types.js';
import { repoRoot } from '../paths.js';
import { GROUPS, TOPICS, allTopics, deadLetterTopicName, topicConfigEntries } from './topics.js';

test('every topic the data flow names is declared, with a schema file', () => {
  const names = new Set(allTopics().map((t) => t.name));
  for (const required of ['chat.inbound', 'chat.outbound', 'patient.signals', 'delivery.status', 'config.workflows']) assert.ok(names.has(required), required);
  for (const t of allTopics()) {
    assert.ok(existsSync(join(repoRoot(), 'schemas/avro', `${t.valueSchema}.avsc`)), `${t.name}: ${t.valueSchema}.avsc`);
    assert.ok((AVRO_RECORD_NAMES as readonly string[]).includes(t.valueSchema));
    assert.ok(t.partitions > 0);
  }
  assert.equal(names.size, allTopics().length, 'no topic declared twice');
});

test('each consumer group reads declared topics and has its own dead-letter topic', () => {
  const declared = new Set<string>(TOPICS.map((t) => t.name));
  const all = new Set(allTopics().map((t) => t.name));
  for (const g of GROUPS) {
    for (const t of g.topics) assert.ok(declared.has(t), `${g.id} reads ${t}`);
    assert.ok(all.has(deadLetterTopicName(g.id)), `dlq for ${g.id}`);
  }
});

test('the workflow config topic is compacted and kept; data topics expire', () => {
  const wf = TOPICS.find((t) => t.name === 'config.workflows');
  assert.ok(wf);
  assert.equal(topicConfigEntries(wf)['cleanup.policy'], 'compact');
  assert.equal(topicConfigEntries(wf)['retention.ms'], '-1');
  const inbound = TOPICS.find((t) => t.name === 'chat.inbound');
  assert.ok(inbound && Number(topicConfigEntries(inbound)['retention.ms']) > 0);
});
