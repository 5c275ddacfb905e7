import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import { test } from 'node:test';
import { isMainThread, parentPort } from 'node:worker_threads';
import { startThread } from './start-thread.js';
import { BACKGROUND_NICENESS, lowerThisThreadPriority } from './thread-priority.js';

const threadId = () => Number(fs.readlinkSync('/proc/thread-self').split('/').at(-1));

// This file is also the thread's entry: it lowers its own priority and reports what the system says.
if (!isMainThread) {
  const lowered = lowerThisThreadPriority();
  parentPort!.postMessage({ lowered, own: os.getPriority(threadId()) });
} else {
  test(
    "lowering an engine thread's priority leaves the process's own thread as it was",
    { skip: process.platform !== 'linux' && 'thread niceness is per thread on Linux only' },
    async () => {
      const before = os.getPriority(process.pid);
      const thread = startThread(new URL(import.meta.url), undefined);
      const report = await new Promise<{ lowered: boolean; own: number }>((resolve, reject) => {
        thread.once('message', resolve);
        thread.once('error', reject);
      });
      await thread.terminate();
      assert.equal(report.lowered, true);
      assert.equal(report.own, Math.max(BACKGROUND_NICENESS, before), 'the thread runs at the background niceness');
      assert.equal(os.getPriority(process.pid), before, "the caller's thread keeps its niceness");
    },
  );
}
