import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { EventLoopHoldMonitor } from './event-loop-hold.js';

/** Computes until this process has used `ms` of CPU time (however long the machine's load makes that). */
const computeFor = (ms: number) => {
  const start = process.cpuUsage();
  for (;;) {
    const used = process.cpuUsage(start);
    if ((used.user + used.system) / 1000 >= ms) return;
  }
};

test('a synchronous stretch is seen as held, for about as long as it computed', async () => {
  const monitor = new EventLoopHoldMonitor(10).start();
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.ok(monitor.takeMax().heldMs < 40, 'idle: nothing held');
  computeFor(300);
  await new Promise((resolve) => setTimeout(resolve, 30));
  const { heldMs, gapMs } = monitor.takeMax();
  monitor.stop();
  // Within a third: the process's CPU time is counted at the clock tick, the thread's exactly.
  assert.ok(heldMs > 200 && heldMs < 400, `held ${heldMs} ms`);
  assert.ok(gapMs >= 250, `delayed ${gapMs} ms`);
});

test(
  'time spent waiting for a CPU is not counted as held',
  { skip: !fs.existsSync('/proc/thread-self/schedstat') && 'needs per-thread CPU time (Linux)' },
  async () => {
    const monitor = new EventLoopHoldMonitor(10).start();
    // Blocked without computing: as if the OS had given the CPU to another process meanwhile.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
    await new Promise((resolve) => setTimeout(resolve, 30));
    const { heldMs, gapMs } = monitor.takeMax();
    monitor.stop();
    assert.ok(gapMs >= 250, `delayed ${gapMs} ms`);
    assert.ok(heldMs < 100, `held ${heldMs} ms though it computed nothing`);
  },
);
