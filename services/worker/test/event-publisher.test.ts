// The publisher against a real nats-server, with failures injected between it and JetStream: a
// publish that never left (the connection dropped) and a publish that JetStream stored but whose
// acknowledgement was lost (a timeout, as when the worker's event loop is blocked past the publish
// timeout). Either way the stream must hold every event of the attempt exactly once, in order.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode, NatsError, type JetStreamClient, type PubAck } from 'nats';
import { EVENTS_SUBJECT_PREFIX, eventCodec, type RunEvent } from '@lrnas/schema';
import { ensureTopology } from '@lrnas/schema/nats';
import { EVENT_SIGNATURE_HEADER, isSignedBy, newEventKey } from '@lrnas/schema/node';
import { useNatsServer } from '@lrnas/local/test-nats';
import { RunEventPublisher } from '../src/event-publisher.js';
import { watchRunEvents } from '@lrnas/test-kit/run-events';

const nats = useNatsServer('lrnas-worker-publisher-');
const eventKey = newEventKey();

type Fault = 'lost-before-send' | 'ack-lost';

/** A JetStream client whose n-th publish (counting from 0) meets the given fault once. */
function faultyJetStream(js: JetStreamClient, faults: Map<number, Fault>): JetStreamClient {
  let calls = 0;
  const publish: JetStreamClient['publish'] = async (subject, data, options): Promise<PubAck> => {
    const fault = faults.get(calls++);
    if (fault === 'lost-before-send') throw new NatsError('connection lost', ErrorCode.Disconnect);
    const ack = await js.publish(subject, data, options);
    if (fault === 'ack-lost') throw new NatsError('timeout', ErrorCode.Timeout);
    return ack;
  };
  return new Proxy(js, {
    get: (target, name, receiver) => (name === 'publish' ? publish : Reflect.get(target, name, receiver)),
  });
}

test('each event is stored once, in order, when publishes fail or lose their acknowledgement', async () => {
  await ensureTopology(await nats.nc.jetstreamManager());
  const runId = 'run-faults';
  const plain: number[] = [];
  const unsigned: number[] = [];
  const sub = nats.nc.subscribe(`${EVENTS_SUBJECT_PREFIX}.${runId}.>`, {
    callback: (_err, msg) => {
      const { seq } = eventCodec.decode(msg.data);
      plain.push(seq);
      if (!isSignedBy(eventKey, msg.data, msg.headers?.get(EVENT_SIGNATURE_HEADER))) unsigned.push(seq);
    },
  });
  // Publishes 0..9 go out in order; retries are extra calls, so the schedule counts them too.
  const faults = new Map<number, Fault>([
    [1, 'ack-lost'],
    [3, 'lost-before-send'],
    [4, 'lost-before-send'],
    [6, 'ack-lost'],
    [7, 'ack-lost'],
  ]);
  const events = new RunEventPublisher(faultyJetStream(nats.nc.jetstream(), faults), runId, 2, eventKey, {
    maxPoints: 1,
  });
  events.emit({ type: 'status', status: 'RUNNING', workerId: 'w', backend: 'cpu' });
  for (let step = 1; step <= 6; step++) events.metric([{ key: 'search/loss', step, value: 1 / step }]);
  events.emit({ type: 'status', status: 'SUCCEEDED' });
  await events.flush();

  const stored = watchRunEvents(nats.nc, runId);
  try {
    await stored.until((list) => list.some((e) => e.type === 'status' && e.status === 'SUCCEEDED'), 10_000);
    assert.deepEqual(
      stored.events.map((e) => e.seq),
      [0, 1, 2, 3, 4, 5, 6, 7],
      'the stream holds each sequence number once',
    );
    assert.ok(stored.events.every((e) => e.attempt === 2 && e.runId === runId));
    const steps = stored.events.flatMap((e: RunEvent) => (e.type === 'metric' ? e.points.map((p) => p.step) : []));
    assert.deepEqual(steps, [1, 2, 3, 4, 5, 6], 'every metric step once');
    // What a plain subscriber sees: the retried publishes whose first copy was stored arrive twice.
    // This is why consumers of events read the stream, never the subjects.
    await nats.nc.flush();
    assert.equal(plain.length, 8 + 3, `plain subscriber saw ${plain.join(',')}`);
    assert.deepEqual(unsigned, [], 'every copy is signed with the run key');
  } finally {
    stored.stop();
    sub.unsubscribe();
  }
});

test('flush reports a publish that keeps failing, and nothing after it is published', async () => {
  await ensureTopology(await nats.nc.jetstreamManager());
  const runId = 'run-down';
  const always = new Map<number, Fault>(Array.from({ length: 20 }, (_, i) => [i + 1, 'lost-before-send'] as const));
  const events = new RunEventPublisher(faultyJetStream(nats.nc.jetstream(), always), runId, 1, eventKey, {
    retryDelaysMs: [10, 10, 10],
  });
  events.emit({ type: 'log', level: 'info', message: 'first' });
  events.emit({ type: 'log', level: 'info', message: 'second' });
  events.emit({ type: 'log', level: 'info', message: 'third' });
  await assert.rejects(events.flush(), /connection lost/);

  const stored = watchRunEvents(nats.nc, runId);
  try {
    await stored.until((list) => list.length >= 1, 10_000);
    await nats.nc.flush();
    assert.deepEqual(
      stored.events.map((e) => (e.type === 'log' ? e.message : e.type)),
      ['first'],
      'no later event overtakes the one that failed',
    );
  } finally {
    stored.stop();
  }
});
