import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, formatPace, formatRate, ProgressBar } from './progress.js';

function fakeStream(isTTY: boolean): { writes: string[]; isTTY: boolean; columns: number; write(t: string): void } {
  const writes: string[] = [];
  return { writes, isTTY, columns: 200, write: (t: string) => void writes.push(t) };
}

test('without a terminal the bar prints plain lines at most every interval, and always at the end', () => {
  let now = 0;
  const stream = fakeStream(false);
  const bar = new ProgressBar({ label: 'epoch 1', total: 100, unit: 'step', stream, intervalMs: 5000, now: () => now });
  now = 1000;
  bar.update(10, 'loss 0.5');
  assert.equal(stream.writes.length, 0, 'nothing before the first interval has passed');
  now = 6000;
  bar.update(60);
  assert.equal(stream.writes.length, 1);
  // 60 steps in 6 s: 10 step/s, 40 left: ETA 4 s.
  assert.equal(
    stream.writes[0],
    `epoch 1 [${'#'.repeat(14)}${'.'.repeat(10)}]  60.0% 60/100 10.0 step/s ETA 0:04 loss 0.5\n`,
  );
  now = 9000;
  bar.update(70);
  assert.equal(stream.writes.length, 1, 'nothing within the interval');
  now = 11500;
  bar.update(80);
  assert.equal(stream.writes.length, 2);
  now = 12000;
  bar.finish('done');
  assert.equal(stream.writes.length, 3);
  assert.match(stream.writes[2]!, / 80\/100 .* done\n$/, 'finish draws the final state with its note');
  assert.ok(stream.writes.every((w) => w.endsWith('\n') && !w.includes('\r')));
  bar.update(90);
  assert.equal(stream.writes.length, 3, 'updates after finish are ignored');
});

test('on a terminal the bar redraws one line (carriage return, clear to end) and ends it on finish', () => {
  let now = 0;
  const stream = fakeStream(true);
  const bar = new ProgressBar({ label: 'test', total: 4, stream, now: () => now });
  bar.update(1);
  now = 50;
  bar.update(2);
  assert.equal(stream.writes.length, 1, 'redraws are throttled');
  now = 200;
  bar.update(4);
  assert.equal(stream.writes.length, 2);
  for (const w of stream.writes) {
    assert.ok(w.startsWith('\r') && w.endsWith('\x1b[K'), JSON.stringify(w));
    assert.ok(!w.includes('\n'));
  }
  assert.match(stream.writes[1]!, /100\.0% 4\/4 20\.0 it\/s 0:00 elapsed/);
  bar.finish();
  assert.equal(stream.writes.at(-1), '\n');
});

test('a terminal line is cut to the width of the terminal', () => {
  const stream = { ...fakeStream(true), columns: 30 };
  const bar = new ProgressBar({ label: 'a long label for a narrow terminal', total: 10, stream, now: () => 0 });
  bar.update(5);
  const line = stream.writes[0]!.replace('\r', '').replace('\x1b[K', '');
  assert.equal(line.length, 29);
});

test('rates and durations format compactly', () => {
  assert.equal(formatRate(0.5), '0.50');
  assert.equal(formatRate(12.34), '12.3');
  assert.equal(formatRate(250), '250');
  assert.equal(formatRate(12345), '12.3k');
  assert.equal(formatDuration(42), '0:42');
  assert.equal(formatDuration(725), '12:05');
  assert.equal(formatDuration(3 * 3600 + 131), '3:02:11');
  assert.equal(formatDuration(Number.NaN), '?');
});

test('a slow bar shows the time per unit, and countFrom leaves units done before out of the rate and ETA', () => {
  let now = 0;
  const bar = new ProgressBar({ label: 'study', total: 36, unit: 'row', stream: fakeStream(false), now: () => now });
  assert.match(bar.render(), / 0\/36 \? row\/s ETA \?$/, 'no rate before the first unit');
  // 12 rows read back from an earlier run, then a phase of 30 minutes that finishes no row.
  bar.update(12);
  now = 1800_000;
  bar.countFrom(12);
  now = 1800_000 + 240_000;
  bar.update(14);
  // 2 rows in 4 minutes: 2:00 per row, 22 left: 44 minutes.
  assert.match(bar.render(), / 14\/36 2:00\/row ETA 44:00$/);
  assert.equal(formatPace(0.05, 'row'), '0:20/row');
  assert.equal(formatPace(0.1, 'row'), '0.10 row/s');
  assert.equal(formatPace(0, 'img'), '? img/s');
});
