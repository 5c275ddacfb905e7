// Preloaded into every test file's process by the launcher (`--import`). A file whose tests and
// `after` hooks are all done but which still holds a handle (a socket, a child process, a timer)
// never exits, and the run would hang until CI's limit. The runner's own `--test-force-exit` ends
// such a file, but exits before the file's last verdicts reach the runner (nodejs/node#64833), so a
// run could pass with tests missing. Instead this guard gives the file a grace period once its last
// hook is done, then names what keeps it alive and fails it.
import { isMainThread } from 'node:worker_threads';
import { after } from 'node:test';

/**
 * Long enough for handles being closed to finish closing; exiting needs nothing else. The
 * launcher's own test of the guard shortens it.
 */
const GRACE_MS = Number(process.env.LRNAS_TEST_LEAK_GRACE_MS ?? 30_000);

// Only the test file's own process: engine threads and spawned programs inherit the preload too.
const isTestFile = isMainThread && /\.test\.(ts|mts|mjs)$/.test(process.argv[1] ?? '');

if (isTestFile) {
  // Hooks run in the order they were added, and this one runs before the file's own; the hook it
  // adds while running goes to the end of the list, so it runs after every hook of the file.
  after(() => after(watchForLeaks));
}

/**
 * Checks every GRACE_MS (on an unref'd timer, which keeps nothing alive) what still holds the
 * process. A file starved of CPU can still be on its way out when the timer fires: with nothing
 * holding it, the check waits another period instead of failing it.
 */
function watchForLeaks() {
  setTimeout(() => {
    if (holdingResources().length === 0) return watchForLeaks();
    process.stderr.write(
      `${process.argv[1]}: every test and hook has finished, but the file did not exit after ` +
        `${GRACE_MS / 1000} s; still open: ${describeOpenHandles()}\n`,
    );
    process.exit(1);
  }, GRACE_MS).unref();
}

/**
 * What keeps the event loop alive (handles and ref'd timers): neither the file's own stdout and
 * stderr nor requests in flight (a file read, a write), which end by themselves.
 */
function holdingResources() {
  const resources = process.getActiveResourcesInfo();
  for (const stream of [process.stdout, process.stderr]) {
    const own = { pipe: 'PipeWrap', tty: 'TTYWrap' }[stream._type];
    const at = resources.indexOf(own);
    if (at >= 0) resources.splice(at, 1);
  }
  return resources.filter((kind) => !/Req|WriteWrap|ShutdownWrap/.test(kind));
}

/** What keeps the event loop alive, with enough detail to find where it was opened. */
function describeOpenHandles() {
  const handles = process._getActiveHandles().filter((h) => h !== process.stdout && h !== process.stderr);
  const described = handles.map((handle) => {
    const kind = handle?.constructor?.name ?? typeof handle;
    if (kind === 'ChildProcess') return `child process ${handle.pid} (${handle.spawnargs.join(' ')})`;
    if (kind === 'Socket' && handle.remotePort) return `socket to ${handle.remoteAddress}:${handle.remotePort}`;
    if (kind === 'Server') return `server on ${JSON.stringify(handle.address())}`;
    return kind;
  });
  return `${described.join(', ') || 'no handle'}; resources: ${holdingResources().join(', ')}`;
}
