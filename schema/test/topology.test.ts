import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AckPolicy, RetentionPolicy, StorageType, headers } from 'nats';
import { useNatsServer } from '@lrnas/local/test-nats';
import {
  EVENTS_CONSUMER,
  EVENTS_STREAM,
  JOBS_CONSUMER,
  JOBS_STREAM,
  TOPOLOGY,
  eventSubject,
  jobSubject,
} from '../src/index.js';
import { ensureTopology, TopologyMismatchError } from '../src/nats/index.js';

const nats = useNatsServer('lrnas-topology-');

test('ensureTopology creates the streams and the consumers as the contract says', async () => {
  const jsm = await nats.nc.jetstreamManager();
  const report = await ensureTopology(jsm);
  assert.deepEqual(report.created, [
    `stream ${JOBS_STREAM}`,
    `stream ${EVENTS_STREAM}`,
    `consumer ${JOBS_STREAM}/${JOBS_CONSUMER}`,
    `consumer ${EVENTS_STREAM}/${EVENTS_CONSUMER}`,
  ]);
  const jobs = await jsm.streams.info(JOBS_STREAM);
  assert.equal(jobs.config.retention, RetentionPolicy.Workqueue);
  assert.equal(jobs.config.storage, StorageType.File);
  assert.deepEqual(jobs.config.subjects, ['lrnas.jobs.*']);
  const events = await jsm.streams.info(EVENTS_STREAM);
  assert.equal(events.config.retention, RetentionPolicy.Limits);
  assert.deepEqual(events.config.subjects, ['lrnas.events.>']);
  const consumer = await jsm.consumers.info(JOBS_STREAM, JOBS_CONSUMER);
  assert.equal(consumer.config.ack_policy, AckPolicy.Explicit);
  assert.equal(consumer.config.max_deliver, TOPOLOGY.consumers[0].max_deliver);
  assert.equal(consumer.config.ack_wait, TOPOLOGY.consumers[0].ack_wait);

  const again = await ensureTopology(jsm);
  assert.deepEqual(again.created, []);
  assert.equal(again.verified.length, 4);
});

test('a drifted mutable setting is put back; an immutable one is refused by name', async () => {
  const jsm = await nats.nc.jetstreamManager();
  await ensureTopology(jsm);
  await jsm.consumers.update(JOBS_STREAM, JOBS_CONSUMER, { max_deliver: 99 });
  const report = await ensureTopology(jsm);
  assert.deepEqual(report.updated, [`consumer ${JOBS_STREAM}/${JOBS_CONSUMER}`]);
  assert.equal(
    (await jsm.consumers.info(JOBS_STREAM, JOBS_CONSUMER)).config.max_deliver,
    TOPOLOGY.consumers[0].max_deliver,
  );
  // An operator's AckWait stays: workers follow it rather than the contract's default.
  await jsm.consumers.update(JOBS_STREAM, JOBS_CONSUMER, { ack_wait: 7_000_000_000 });
  assert.deepEqual((await ensureTopology(jsm)).updated, []);
  assert.equal((await jsm.consumers.info(JOBS_STREAM, JOBS_CONSUMER)).config.ack_wait, 7_000_000_000);

  // A stream of the same name with the wrong retention must not be silently replaced.
  await jsm.streams.delete(EVENTS_STREAM);
  await jsm.streams.add({ name: EVENTS_STREAM, subjects: ['lrnas.events.>'], retention: RetentionPolicy.Interest });
  await assert.rejects(ensureTopology(jsm), (error: unknown) => {
    assert.ok(error instanceof TopologyMismatchError);
    assert.equal(error.code, 'TOPOLOGY_MISMATCH');
    assert.match(error.message, /stream LRNAS_EVENTS: retention is interest but the contract says limits/);
    return true;
  });
  await jsm.streams.delete(EVENTS_STREAM);
  await ensureTopology(jsm);
});

test('the jobs stream drops a duplicate publish by message id and hands each job out once', async () => {
  const jsm = await nats.nc.jetstreamManager();
  await ensureTopology(jsm);
  const js = nats.nc.jetstream();
  const h = () => {
    const hdrs = headers();
    hdrs.set('Nats-Msg-Id', 'run-dup');
    return hdrs;
  };
  const first = await js.publish(jobSubject('search'), new TextEncoder().encode('{}'), { headers: h() });
  const second = await js.publish(jobSubject('search'), new TextEncoder().encode('{}'), { headers: h() });
  assert.equal(first.duplicate, false);
  assert.equal(second.duplicate, true);
  assert.equal((await jsm.streams.info(JOBS_STREAM)).state.messages, 1);

  const consumer = await js.consumers.get(JOBS_STREAM, JOBS_CONSUMER);
  const message = await consumer.next({ expires: 2000 });
  assert.ok(message);
  assert.equal(message.subject, 'lrnas.jobs.search');
  await message.ackAck();
  // Work-queue retention: an acknowledged job is gone from the stream.
  assert.equal((await jsm.streams.info(JOBS_STREAM)).state.messages, 0);
  assert.equal(await consumer.next({ expires: 1000 }), null);
});

test('events land in the events stream under their run subject', async () => {
  const jsm = await nats.nc.jetstreamManager();
  await ensureTopology(jsm);
  const ack = await nats.nc.jetstream().publish(eventSubject('run-e', 'log'), new TextEncoder().encode('{}'));
  assert.equal(ack.stream, EVENTS_STREAM);
  const stored = await jsm.streams.getMessage(EVENTS_STREAM, { last_by_subj: 'lrnas.events.run-e.log' });
  assert.equal(stored.subject, 'lrnas.events.run-e.log');
});
