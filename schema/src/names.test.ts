import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  EVENT_TYPES,
  JOB_KINDS,
  TOPOLOGY,
  cancelSubject,
  eventSubject,
  jobSubject,
  natsServers,
  parseEventSubject,
  runEventsFilter,
} from './names.js';
import { ContractError } from './errors.js';

test('subjects follow the contract', () => {
  assert.deepEqual(JOB_KINDS.map(jobSubject), [
    'lrnas.jobs.search',
    'lrnas.jobs.train',
    'lrnas.jobs.evaluate',
    'lrnas.jobs.pipeline',
    'lrnas.jobs.study',
  ]);
  assert.equal(eventSubject('run-1', 'metric'), 'lrnas.events.run-1.metric');
  assert.equal(cancelSubject('run-1'), 'lrnas.control.run-1.cancel');
  assert.equal(runEventsFilter('run-1'), 'lrnas.events.run-1.>');
});

test('event subjects parse back, and foreign subjects do not', () => {
  for (const type of EVENT_TYPES)
    assert.deepEqual(parseEventSubject(eventSubject('r_1', type)), { runId: 'r_1', type });
  assert.equal(parseEventSubject('lrnas.events.r1'), undefined);
  assert.equal(parseEventSubject('lrnas.events.r1.gossip'), undefined);
  assert.equal(parseEventSubject('other.events.r1.status'), undefined);
  assert.equal(parseEventSubject('lrnas.jobs.search'), undefined);
});

test('run ids that would break subjects are refused', () => {
  for (const bad of ['a.b', 'a b', '*', '>', '', 'x'.repeat(65)]) {
    assert.throws(() => eventSubject(bad, 'status'), /not a valid subject token/);
    assert.throws(() => cancelSubject(bad), /not a valid subject token/);
    assert.throws(() => runEventsFilter(bad), /not a valid subject token/);
  }
});

test('every job subject is covered by the jobs stream and its one consumer', () => {
  const [jobs, events] = TOPOLOGY.streams;
  assert.equal(jobs.retention, 'workqueue');
  assert.deepEqual(jobs.subjects, ['lrnas.jobs.*']);
  assert.deepEqual(events.subjects, ['lrnas.events.>']);
  const [consumer, ingest] = TOPOLOGY.consumers;
  assert.equal(ingest.stream, events.name);
  assert.equal(consumer.stream, jobs.name);
  assert.equal(consumer.ack_policy, 'explicit');
  assert.ok(consumer.max_deliver > 1);
});

test('a NATS URL setting names one server or a cluster; a bad member is refused by field', () => {
  assert.deepEqual(natsServers('nats://a:4222', 'NATS_URL'), ['nats://a:4222']);
  assert.deepEqual(natsServers('nats://a:4222,tls://b:4222', 'NATS_URL'), ['nats://a:4222', 'tls://b:4222']);
  assert.throws(
    () => natsServers('nats://a:4222,http://b', '--nats-url'),
    (e: unknown) => e instanceof ContractError && e.field === '--nats-url' && /"http:\/\/b"/.test(e.message),
  );
  assert.throws(() => natsServers('nats://a:4222,', 'NATS_URL'), /got ""/);
});
