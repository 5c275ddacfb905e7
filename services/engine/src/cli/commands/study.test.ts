// Flag checks of `lrnas study` (this file is not a command: its name has two dots). The study itself is
// exercised at reduced size by study/run-study.test.ts; the small preset is too long for a test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../cli.js';

async function run(args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const code = await runCli(args, { stdout: () => undefined, stderr: (t) => void (stderr += t) });
  return { code, stderr };
}

test('study rejects bad rows, data sets, seeds and presets, naming the flag', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['study', '--arms', 'lrnas,vgg'], /--arms: "vgg" is not one of lrnas, no-greedy/],
    [['study', '--datasets', 'imagenet'], /--datasets: "imagenet" is not one of/],
    [['study', '--seeds', '1,x'], /--seeds: "x" is not a seed/],
    [['study', '--preset', 'huge'], /--preset/],
  ];
  for (const [args, message] of cases) {
    const { code, stderr } = await run(args);
    assert.equal(code, 2, args.join(' '));
    assert.match(stderr, message);
  }
});
