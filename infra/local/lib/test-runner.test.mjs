// The launcher's test runner on throw-away test files: every verdict of every file reaches the
// summary, and a file that leaks a handle fails with the handle named instead of hanging the run.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { runTests } from './test-runner.mjs';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lrnas-runner-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Writes a test file into the throw-away folder and gives its name. */
function testFile(name, body) {
  fs.writeFileSync(path.join(dir, name), `import { test } from 'node:test';\n${body}\n`);
  return name;
}

async function run(files) {
  const lines = [];
  const code = await runTests(dir, files, {
    // Without NODE_TEST_CONTEXT, which would make the runner in there refuse to run as a nested one.
    // The leak guard checks every millisecond instead of every 30 s: it must still fail only a file
    // that holds something, never one merely slow to exit (as a file starved of CPU is).
    env: { ...process.env, NODE_TEST_CONTEXT: undefined, LRNAS_TEST_LEAK_GRACE_MS: '1' },
    concurrency: 2,
    echo: (line) => lines.push(line),
  });
  return { code, output: lines.join('\n'), summary: lines.at(-1)?.trim() };
}

test('every verdict of files running side by side is counted, up to the last test of each', async () => {
  // Many quick tests, so that a file's last verdicts follow its others closely: the runner's
  // --test-force-exit lost such tails (nodejs/node#64833) in four runs of six of these files.
  const files = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((name) =>
    testFile(`${name}.test.mjs`, `for (let i = 0; i < 300; i++) test('${name}' + i, () => {});`),
  );
  const { code, summary } = await run(files);
  assert.equal(summary, 'tests: 2400 passed, 0 failed, 0 skipped');
  assert.equal(code, 0);
});

test('a file that keeps a server open after its hooks fails, naming the server, instead of hanging', async () => {
  const leaky = testFile(
    'leaky.test.mjs',
    `import net from 'node:net';
const server = net.createServer().listen(0, '127.0.0.1');
test('passes but leaves its server open', () => {});`,
  );
  const clean = testFile('clean.test.mjs', `test('passes and leaves nothing', () => {});`);
  const { code, output, summary } = await run([leaky, clean]);
  assert.equal(code, 1);
  assert.match(output, /leaky\.test\.mjs: every test and hook has finished, but the file did not exit/);
  assert.match(output, /still open: server on \{"address":"127\.0\.0\.1"/);
  // Both tests passed; the leaking file itself is the one failure.
  assert.equal(summary, 'tests: 2 passed, 1 failed, 0 skipped');
});
