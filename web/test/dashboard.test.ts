// The "done when" of issue 7, in a real browser: against a stack this test starts (nats-server, the
// gateway on SQLite serving a fresh production build of the dashboard, one worker process), Debian's
// Chromium driven by playwright-core creates an experiment, starts a tiny pipeline from the form,
// sees the loss chart grow and the status change live without a reload, opens the architecture
// found and finds it on the leaderboard, which a second tab sees arrive live. On the finished run it
// checks what a person would: the summary's figures against the API's, chart axes titled with
// whole-number ticks, cell diagrams whose labels overlap nothing, the log, one download per file;
// the health page; where the leaderboard opens. Screenshots of each page (and close-ups of the run
// page's parts) go to web/test-results/dashboard/, printed at the end: `npm run screenshots -w @lrnas/web`.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { minimumParameters } from '@lrnas/engine';
import { eventCodec, eventSubject } from '@lrnas/schema';
import { useNatsServer } from '@lrnas/local/test-nats';
import { useBrowserStack } from './browser-stack.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const shots = path.join(root, 'web', 'test-results', 'dashboard');
const KEY = 'browser-test-key-0123456789abcdefghij';
/** The chart of the search's loss per step. */
const LOSS = 'search · loss';
const nats = useNatsServer('lrnas-browser-');

describe('dashboard', () => {
  const stack = useBrowserStack({ nats, key: KEY, team: 'browser lab', workerId: 'w-browser', shots });
  const { api } = stack;

  async function shot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
  }

  /** Points drawn in a chart of the run page. */
  const pointsIn = (page: Page, chart: string): Promise<number> =>
    page
      .locator(`[data-chart="${chart}"]`)
      .getAttribute('data-points')
      .then((n) => Number(n ?? 0));

  /** Follows a link of the navigation bar. */
  const nav = (page: Page, name: string) => page.locator('header nav').getByRole('link', { name, exact: true }).click();

  /**
   * Every cell diagram on the page: no operation's label overlaps another label or a state's box,
   * each label's text fits its box, and the inputs read c with subscript k-2 / k-1 in text.
   */
  async function assertCellsReadable(page: Page): Promise<void> {
    const cells = await page.locator('figure.cell').evaluateAll((figures) =>
      // No helper functions in here: the bundler's name-keeping wrapper does not exist in the page.
      figures.map((figure) => ({
        cell: figure.getAttribute('data-cell'),
        labels: Array.from(figure.querySelectorAll('.edge-label')).map((g) => ({
          text: g.textContent,
          box: g.querySelector('rect')!.getBoundingClientRect().toJSON() as DOMRect,
          ink: g.querySelector('text')!.getBoundingClientRect().toJSON() as DOMRect,
        })),
        nodes: Array.from(figure.querySelectorAll('.node')).map((g) => ({
          id: g.getAttribute('data-node'),
          text: g.querySelector('text')!.textContent,
          sub: g.querySelector('tspan')?.textContent ?? null,
          box: g.querySelector('rect')!.getBoundingClientRect().toJSON() as DOMRect,
          fontSize: Number.parseFloat(getComputedStyle(g.querySelector('text')!).fontSize),
        })),
      })),
    );
    assert.ok(cells.length >= 2);
    type Box = { x: number; y: number; width: number; height: number };
    const apart = (a: Box, b: Box) =>
      a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y;
    for (const { cell, labels, nodes } of cells) {
      assert.ok(labels.length >= 8, `${cell}: the operations are labelled`);
      const boxes = [
        ...labels.map((l) => ({ name: l.text, box: l.box })),
        ...nodes.map((n) => ({ name: n.id, box: n.box })),
      ];
      for (const [i, a] of boxes.entries()) {
        for (const b of boxes.slice(i + 1)) assert.ok(apart(a.box, b.box), `${cell}: ${a.name} overlaps ${b.name}`);
      }
      for (const l of labels) {
        assert.ok(
          l.ink.x >= l.box.x - 0.5 && l.ink.x + l.ink.width <= l.box.x + l.box.width + 0.5,
          `${cell}: "${l.text}" fits its box`,
        );
      }
      const input = nodes.find((n) => n.id === 's0')!;
      assert.deepEqual([input.text, input.sub], ['ck-2', 'k-2'], 'c_{k-2} as text with a subscript');
      assert.ok(input.fontSize >= 12, `state names readable (${input.fontSize}px)`);
    }
  }

  /** The finished run's page against the API: summary, charts, cells, evaluations, log, breadcrumb. */
  async function checkFinishedRun(page: Page, runId: string): Promise<void> {
    const { run } = await api<{
      run: {
        startedAt: string;
        finishedAt: string;
        workerId: string;
        backend: string;
        architecture: { params: number; flops: number };
        evaluations: {
          attack: string;
          cleanAccuracy: number;
          robustAccuracy: number;
          attackSettings: Record<string, number>;
        }[];
      };
    }>(
      `query($id: ID!) { run(id: $id) { startedAt finishedAt workerId backend architecture { params flops }
        evaluations { attack cleanAccuracy robustAccuracy attackSettings } } }`,
      { id: runId },
    );
    const summary = page.locator('#run-summary');
    const field = (name: string) => summary.locator(`[data-field="${name}"]`);
    assert.doesNotMatch(await field('stage').innerText(), /^evaluate/, 'after success the stage is not "evaluate"');
    assert.match(await field('stage').innerText(), /all 4 stages done/);
    assert.equal(Number(await field('params').getAttribute('data-value')), run.architecture.params);
    assert.equal(await field('params').innerText(), run.architecture.params.toLocaleString('en-US'), 'not rounded');
    assert.equal(Number(await field('flops').getAttribute('data-value')), run.architecture.flops);
    const worst = Math.min(...run.evaluations.map((e) => e.robustAccuracy));
    assert.equal(Number(await field('robust').getAttribute('data-value')), worst);
    assert.equal(Number(await field('clean').getAttribute('data-value')), run.evaluations[0]!.cleanAccuracy);
    assert.equal(await field('robust').innerText(), `${(worst * 100).toFixed(1)}%`);
    assert.equal(await field('worker').innerText(), run.workerId);
    assert.equal(await field('backend').innerText(), run.backend);
    assert.equal(await field('started').innerText(), new Date(run.startedAt).toLocaleString());
    assert.equal(await field('finished').innerText(), new Date(run.finishedAt).toLocaleString());
    const seconds = Math.round((Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 1000);
    assert.match(await field('duration').innerText(), seconds < 60 ? new RegExp(`^${seconds}s$`) : /m/);
    await summary.locator('a.arch-link').waitFor();
    await summary.locator('a.board-link', { hasText: 'MNIST' }).waitFor();
    assert.doesNotMatch((await page.locator('.crumbs').innerText()).trim(), /\/$/, 'no dangling "/"');
    // The settings each evaluation ran with, defaults filled in by the worker, stored and shown.
    assert.ok(Object.keys(run.evaluations[0]!.attackSettings).length > 0, 'attack settings stored');
    assert.match(await page.locator('#evaluations [data-field="settings"]').first().innerText(), /step size/);
    // Integers in the latest values in full.
    const latest = await page
      .locator('#latest-metrics tr')
      .evaluateAll((rows) => rows.map((r) => Array.from(r.querySelectorAll('td')).map((td) => td.textContent ?? '')));
    const params = latest.find(([key]) => key === 'search/epoch/params');
    assert.ok(params && /^\d{1,3}(,\d{3})*$/.test(params[1]!), `params in full: ${params?.[1]}`);
    // Every metric chart: titled axes, whole-number steps, and its series named as in the table.
    const charts = await page.locator('.charts figure.chart').evaluateAll((figures) =>
      figures.map((f) => ({
        id: f.getAttribute('data-chart'),
        xTitle: f.getAttribute('data-x-title'),
        yTitle: f.getAttribute('data-y-title'),
        xTicks: JSON.parse(f.getAttribute('data-x-ticks') ?? '[]') as string[],
        legend: Array.from(f.querySelectorAll('.u-legend .u-series .u-label'))
          .slice(1)
          .map((l) => l.textContent ?? ''),
      })),
    );
    assert.ok(charts.length >= 6, `${charts.length} charts`);
    const tableKeys = latest.map(([key]) => key!);
    for (const c of charts) {
      assert.match(c.xTitle ?? '', /(step|epoch)$/, `${c.id}: x axis titled`);
      assert.ok(c.yTitle, `${c.id}: y axis titled`);
      assert.ok(c.xTicks.length >= 1, `${c.id}: x ticks ${c.xTicks}`);
      for (const t of c.xTicks) assert.match(t, /^\d+$/, `${c.id}: whole-number ticks, got ${c.xTicks.join(' ')}`);
      for (const name of c.legend) {
        const key = name.replace(/ \(.*\)$/, '');
        assert.ok(tableKeys.includes(key), `${c.id}: legend "${name}" is a series of the table`);
        const value = latest.find(([k]) => k === key)![1];
        if (value === '–') assert.match(name, /no values/, `${c.id}: a series without values says so`);
      }
    }
    await assertCellsReadable(page);
    // The worker's log of the run: its stages. Still there after a reload (replayed from the stream).
    await page.locator('#logs div', { hasText: 'stage evaluate done' }).waitFor();
    await shot(page, '4-run-done');
    for (const [part, selector] of [
      ['summary', '#run-summary'],
      ['charts', '.charts'],
      ['cells', '.graphs'],
      ['heat-maps', '#activity .cells'],
      ['evaluations', '#evaluations'],
    ] as const) {
      await page
        .locator(selector)
        .first()
        .screenshot({ path: path.join(shots, `4-run-${part}.png`) });
    }
    await page.reload();
    await page.locator('#logs div', { hasText: 'stage search started' }).waitFor();
    assert.equal(await page.getByText('No log lines yet.').count(), 0);
  }

  test('create an experiment, run a tiny pipeline live, open its architecture, find it on the leaderboard', async () => {
    const started = Date.now();
    const context = await stack.browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    page.on('pageerror', (error) => consoleErrors.push(error.message));

    // Read-only at first: the experiments page says so and offers the key entry.
    await page.goto(stack.gateway.url);
    await page.getByText('read-only (no API key)').waitFor();
    await page.locator('#key-edit').click();
    await page.locator('input[name="api-key"]').fill('no good');
    await page.locator('#key-form button[type="submit"]').click();
    await page.locator('#key-form .field-error').waitFor();
    await page.locator('input[name="api-key"]').fill(KEY);
    await page.locator('#key-form button[type="submit"]').click();
    await page.getByText(`API key …${KEY.slice(-4)}`).waitFor();
    // The health page, from the navigation: the worker is there.
    await nav(page, 'Health');
    await page
      .locator('[data-page="health"] [data-field="workers"]')
      .filter({ hasText: '1' })
      .waitFor({ timeout: 60_000 });
    await shot(page, '0-health');
    await nav(page, 'Experiments');

    // Create an experiment with no parameter budget: a name is required (said next to the field).
    await page.locator('#create-experiment button[type="submit"]').click();
    await page.locator('[data-field="name"] .field-error').waitFor();
    await page.locator('#create-experiment input[name="name"]').fill('browser mnist');
    await page.locator('#create-experiment select[name="dataset"]').selectOption('MNIST');
    // Not 0.3, the leaderboard's old fixed default: it must open here because here are the results.
    await page.locator('#create-experiment input[name="epsilon"]').fill('0.1');
    await page.locator('#create-experiment input[name="tags"]').fill('browser, tiny');
    await shot(page, '1-experiments');
    await page.locator('#create-experiment button[type="submit"]').click();
    await page.locator('[data-page="experiment"] h2', { hasText: 'browser mnist' }).waitFor();
    const experimentId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);

    // The start form: the tiny settings of the worker's own test, so the pipeline ends in about a minute.
    const form = page.locator('#start-run');
    const fill = async (values: Record<string, string>) => {
      for (const [name, value] of Object.entries(values)) {
        const control = form.locator(`[name="${name}"]`);
        if ((await control.evaluate((el) => el.tagName)) === 'SELECT') await control.selectOption(value);
        else await control.fill(value);
      }
    };
    await fill({
      seed: '3',
      trainLimit: '48',
      testLimit: '12',
      'search.preset': 'tiny',
      'search.channels': '4',
      'search.layers': '3',
      'search.epochs': 'two',
      'search.warmupEpochs': '1',
      'search.batchSize': '12',
      'search.permutations': '1',
      'search.estimateBatchSize': '6',
      'selection.channels': '4',
      'selection.layers': '3',
      'train.method': 'madry',
      'train.channels': '4',
      'train.layers': '3',
      'train.epochs': '1',
      'train.batchSize': '12',
      'evaluate.attacks': 'fgsm',
      'evaluate.examples': '12',
    });
    // Checked in the browser before submission: a word where a number belongs.
    await form.locator('button[type="submit"]').click();
    await form.locator('[data-field="search.epochs"] .field-error', { hasText: 'whole number' }).waitFor();
    await shot(page, '2-start-form-errors');
    // A budget just above the smallest network, so the selection has to choose (without one the
    // preset's would apply).
    const budget = minimumParameters({ channels: 4, layers: 3, classes: 10, inputChannels: 1 }) + 2500;
    await fill({ 'search.epochs': '3', 'selection.budget': String(budget) });
    await form.locator('button[type="submit"]').click();

    // The run page, from here on without a reload: a marker on window would not survive one.
    await page.locator('[data-page="run"]').waitFor();
    const runId = await page.locator('[data-page="run"]').getAttribute('data-run');
    assert.ok(runId);
    await page.evaluate(() => ((window as unknown as { noReload: boolean }).noReload = true));
    // A second tab on the experiment's leaderboard, still empty: the entry must arrive there live.
    // A tab on the experiment's runs table: the run's row changes status there live too.
    const runs = await context.newPage();
    await runs.goto(`${stack.gateway.url}/experiments/${experimentId}`);
    await runs.locator(`#runs tr[data-run="${runId}"]`).waitFor();
    const board = await context.newPage();
    await board.goto(`${stack.gateway.url}/leaderboard?dataset=MNIST&norm=LINF&epsilon=0.1`);
    await board.getByText('No evaluated architectures').waitFor();
    await board.evaluate(() => ((window as unknown as { noReload: boolean }).noReload = true));
    const status = page.locator('[data-page="run"] h2 [data-status]');
    await page.locator('[data-page="run"] h2 [data-status="RUNNING"]').waitFor({ timeout: 60_000 });
    // Progress shows while the run runs (a phase's first count is sent at once).
    await page.locator('#run-progress[data-phase]').waitFor({ timeout: 60_000 });
    await page.locator(`[data-chart="${LOSS}"]`).waitFor({ timeout: 60_000 });
    const firstPoints = await pointsIn(page, LOSS);
    await page.waitForFunction(
      ([chart, before]) =>
        Number(document.querySelector(`[data-chart="${chart}"]`)?.getAttribute('data-points') ?? 0) > before,
      [LOSS, firstPoints] as const,
      { timeout: 60_000 },
    );
    await shot(page, '3-run-live');
    await page
      .locator('[data-page="run"] h2 [data-status="SUCCEEDED"], [data-page="run"] h2 [data-status="FAILED"]')
      .waitFor({ timeout: 240_000 });
    assert.equal(await status.getAttribute('data-status'), 'SUCCEEDED', `worker log:\n${stack.workerLog.slice(-3000)}`);
    // The last count of the last stage: every example attacked.
    const progress = page.locator('#run-progress[data-stage="evaluate"][data-phase="attack"]');
    await progress.waitFor();
    assert.equal(await progress.getAttribute('data-done'), await progress.getAttribute('data-total'));
    assert.equal(
      await page.evaluate(() => (window as unknown as { noReload?: boolean }).noReload),
      true,
      'the page was never reloaded',
    );
    assert.deepEqual(
      await page.locator('#timeline [data-stage]').evaluateAll((els) => els.map((e) => e.getAttribute('data-state'))),
      ['done', 'done', 'done', 'done'],
    );
    await page.locator('[data-cell="normal"] [data-op]').first().waitFor();
    assert.equal(await page.locator('[data-cell="reduce"] .edge:not(.concat)').count(), 8, 'eight labelled edges');
    await page.locator('#evaluations tbody tr').first().waitFor();
    // The architecture weights, stepped back an epoch (a snapshot per epoch after the warm-up one).
    const epoch = page.locator('#alpha-stepper [data-epoch]');
    const lastEpoch = Number(await epoch.getAttribute('data-epoch'));
    assert.ok(lastEpoch >= 1, `a snapshot per search epoch, last ${lastEpoch}`);
    await page.locator('#alpha-stepper button', { hasText: '◀' }).click();
    assert.equal(Number(await epoch.getAttribute('data-epoch')), lastEpoch - 1);
    assert.ok((await page.locator('#activity figure.heatmap').count()) >= 2);
    // A clean run logs nothing, so a line is sent as a worker sends one; it shows up live.
    const line = eventCodec.parse({
      v: 1,
      runId,
      attempt: 1,
      seq: 100_000,
      time: new Date().toISOString(),
      type: 'log',
      level: 'warn',
      message: 'a line from the browser test',
    });
    await nats.nc.jetstream().publish(eventSubject(runId, 'log'), eventCodec.encode(line));
    await page.locator('#logs div', { hasText: 'a line from the browser test' }).waitFor();
    // One download per file, each named by it; a report downloads under that name.
    const buttons = await page.locator('.artifacts button').allInnerTexts();
    assert.equal(new Set(buttons).size, buttons.length, `distinct buttons: ${buttons.join(', ')}`);
    const report = page.locator('[data-artifact="report"]').first();
    const file = (await report.getAttribute('data-file'))!;
    assert.equal((await report.locator('button').innerText()).trim(), `Download ${file}`);
    const [download] = await Promise.all([page.waitForEvent('download'), report.locator('button').click()]);
    const saved = path.join(shots, download.suggestedFilename());
    await download.saveAs(saved);
    assert.equal(download.suggestedFilename(), path.basename(file));
    assert.equal(typeof JSON.parse(fs.readFileSync(saved, 'utf8')), 'object');
    await checkFinishedRun(page, runId);
    assert.deepEqual(await page.locator('[data-page="run"] .error').allInnerTexts(), [], 'no error shown');

    const hash = (await page.locator('a.arch-link').getAttribute('href'))!.split('/').pop()!;
    await page.locator('a.arch-link').click();
    await page.locator(`[data-page="architecture"][data-hash="${hash}"]`).waitFor();
    await page.locator('#arch-evaluations tbody tr').first().waitFor();
    assert.equal(await page.locator('[data-page="architecture"] [data-cell]').count(), 2, 'both cells drawn');
    await assertCellsReadable(page);
    assert.match(await page.locator('#arch-evaluations [data-field="settings"]').first().innerText(), /step size/);
    await shot(page, '5-architecture');
    // A diff against another genotype the search went through (its per-epoch genotypes are stored too).
    const { architectures } = await api<{ architectures: { hash: string }[] }>(
      'query { architectures(first: 50) { hash } }',
      {},
    );
    const other = architectures.find((a) => a.hash !== hash);
    if (other) {
      await page.locator('[data-page="architecture"] input[placeholder="architecture hash"]').fill(other.hash);
      await page.locator('#genotype-diff figure.cell').nth(1).waitFor();
      await assertCellsReadable(page);
      await shot(page, '5b-architecture-diff');
    } else {
      console.log('the search stored one genotype only: no diff drawn');
    }

    await board.locator(`#leaderboard tr[data-arch="${hash}"]`).waitFor({ timeout: 15_000 });
    await board.getByText('updated live at').waitFor();
    assert.equal(await board.evaluate(() => (window as unknown as { noReload?: boolean }).noReload), true);

    // The leaderboard from the navigation, which names no threat model: it opens where the result is.
    await nav(page, 'Leaderboard');
    await page.locator('[data-page="leaderboard"]').waitFor();
    await page.locator(`#leaderboard tr[data-arch="${hash}"]`).waitFor();
    assert.equal(await page.locator('#leaderboard-filters input[name="epsilon"]').inputValue(), '0.1');
    await page.locator(`[data-chart="pareto"][data-front*="${hash}"]`).waitFor();
    // The chart's hover read-out names the architecture under the cursor.
    const plot = page.locator('[data-chart="pareto"] .u-over');
    // The plot is drawn into the figure once it is on the page (an effect); hover() waits for it and
    // points at its centre.
    await plot.hover();
    await page.locator('[data-chart="pareto"] .readout', { hasText: hash.slice(0, 10) }).waitFor();
    await shot(page, '6-leaderboard');
    // Elsewhere it says there is nothing there and where there is; a filter that hides the result is named.
    await page.goto(`${stack.gateway.url}/leaderboard?dataset=MNIST&norm=LINF&epsilon=0.3`);
    await page.locator('#board-empty[data-why="no-results"] a', { hasText: 'MNIST, L∞ ε=0.1' }).waitFor();
    await shot(page, '6b-leaderboard-elsewhere');
    await page.goto(`${stack.gateway.url}/leaderboard?dataset=MNIST&norm=LINF&epsilon=0.1&maxParams=10`);
    await page.locator('#board-empty[data-why="hidden"]', { hasText: 'parameter limit' }).waitFor();
    await runs.locator(`#runs tr[data-run="${runId}"] [data-status="SUCCEEDED"]`).waitFor();
    await shot(runs, '7-runs-table');

    // Compare (one run here: its settings, latest metrics and curves).
    await page.goto(`${stack.gateway.url}/compare?runs=${runId}`);
    await page.locator('#compare').waitFor();
    await shot(page, '8-compare');

    // The gateway goes away: the page says so plainly; when it is back, the page reconnects by itself.
    await nav(page, 'Leaderboard');
    await page.locator(`#leaderboard tr[data-arch="${hash}"]`).waitFor();
    const port = stack.gateway.port;
    await stack.gateway.stop();
    await page
      .locator('[data-link="lost"]', { hasText: 'connection to the gateway lost' })
      .waitFor({ timeout: 30_000 });
    await shot(page, '9-connection-lost');
    await stack.startGatewayOn(port);
    await page.locator('[data-link="connected"]').waitFor({ state: 'attached', timeout: 30_000 });
    await page.locator(`#leaderboard tr[data-arch="${hash}"]`).waitFor();

    // Archive the experiment: it leaves the list, and shows (marked) among the archived.
    await nav(page, 'Experiments');
    const row = page.locator(`#experiments tr[data-experiment="${experimentId}"]`);
    await row.locator('button', { hasText: 'Archive' }).click();
    await row.waitFor({ state: 'detached' });
    await page.getByLabel('show archived').check();
    await row.getByText('archived').waitFor();

    // A key the gateway does not know: said plainly, live updates stop retrying; forgetting it
    // leaves the read-only view.
    await page.locator('#key-edit').click();
    await page.locator('input[name="api-key"]').fill(`lrnas_${'A'.repeat(43)}`);
    await page.locator('#key-form button[type="submit"]').click();
    await page.locator('[data-link="refused"]').waitFor();
    await page.locator('p.error', { hasText: 'the stored API key was refused' }).first().waitFor();
    await shot(page, '10-key-refused');
    await page.getByRole('button', { name: 'Forget' }).click();
    await page.getByText('read-only (no API key)').waitFor();
    await page.locator('[data-link="connected"]').waitFor({ state: 'attached' });
    await page.getByText('Read-only: enter an API key').waitFor();

    assert.deepEqual(consoleErrors, []);
    await context.close();
    console.log(`browser test: ${((Date.now() - started) / 1000).toFixed(0)} s; screenshots in ${shots}`);
  });
});
