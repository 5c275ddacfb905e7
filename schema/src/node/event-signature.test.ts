import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isEventKey, isSignedBy, newEventKey, signEvent } from './event-signature.js';

const bytes = (text: string) => new TextEncoder().encode(text);

test('an event signed with its run key checks out; any other key, byte or signature does not', () => {
  const key = newEventKey();
  const data = bytes('{"v":1,"runId":"run-a","type":"evaluation","robustAccuracy":0.4}');
  const signature = signEvent(key, data);
  assert.equal(isSignedBy(key, data, signature), true);
  assert.equal(isSignedBy(newEventKey(), data, signature), false, 'another run key');
  assert.equal(
    isSignedBy(key, bytes('{"v":1,"runId":"run-a","type":"evaluation","robustAccuracy":0.9}'), signature),
    false,
  );
  assert.equal(isSignedBy(key, data, undefined), false, 'unsigned');
  assert.equal(isSignedBy(key, data, ''), false, 'empty');
  assert.equal(isSignedBy(key, data, signature.slice(0, 20)), false, 'truncated');
  assert.equal(isSignedBy(key, data, 'not base64 at all!'), false, 'garbage');
});

test('event keys are 32 random bytes in base64url, and a stranger’s header is told apart', () => {
  const a = newEventKey();
  assert.equal(isEventKey(a), true);
  assert.equal(Buffer.from(a, 'base64url').length, 32);
  assert.notEqual(a, newEventKey());
  for (const bad of [undefined, '', 'short', `${a}x`, a.replace(/.$/, '+'), 42]) assert.equal(isEventKey(bad), false);
});
