// A study from the dashboard (issue 15), in Debian's Chromium driven by playwright-core, against a stack this test
// starts (nats-server, the gateway on SQLite serving a fresh production build of the dashboard, one worker
// process): the start form refuses a bad seed next to its field, starts a tiny study (MNIST, random and resnet
// rows, seeds 0 and 5), and the study page fills in live, without a reload: every row, the table as mean ± spread,
// the plot with a point per row; a row opens its run, which says which study, arm and seed it is; the leaderboard
// names the study as the row's provenance and links back to it. Screenshots go to web/test-results/study/.
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { useNatsServer } from '@lrnas/local/test-nats';
import { useBrowserStack } from './browser-stack.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const shots = path.join(root, 'web', 'test-results', 'study');
const KEY = 'browser-study-key-0123456789abcdefghij';
const nats = useNatsServer('lrnas-browser-study-');

describe('study page', () => {
  const stack = useBrowserStack({ nats, key: KEY, team: 'study lab', workerId: 'w-study', shots });
  const { api } = stack;

  test('start a tiny study from the form, watch its rows, table and plot arrive live, follow a row', async () => {
    const { createExperiment } = await api<{ createExperiment: { id: string } }>(
      'mutation { createExperiment(input: { name: "study mnist", dataset: MNIST, threatModel: { norm: LINF, epsilon: 0.3 } }) { id } }',
    );
    const context = await stack.browser.newContext({ viewport: { width: 1400, height: 1000 } });
    await context.addInitScript((key) => localStorage.setItem('lrnas.apiKey', key), KEY);
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));

    await page.goto(`${stack.gateway.url}/experiments/${createExperiment.id}`);
    await page.getByRole('link', { name: 'Start a study' }).click();
    const form = page.locator('#study-form');
    await form.waitFor();
    await form.locator('input[name="dataset-fashion-mnist"]').uncheck();
    for (const arm of ['lrnas', 'no-greedy', 'no-warmup', 'reference-estimation', 'darts-v2', 'lrnas-c10']) {
      await form.locator(`input[name="arm-${arm}"]`).uncheck();
    }
    await form.locator('input[name="seeds"]').fill('0, -5');
    for (const [name, value] of [
      ['randomArchitectures', '1'],
      ['searchEpochs', '1'],
      ['trainEpochs', '1'],
      ['trainLimit', '64'],
      ['evalExamples', '8'],
    ]) {
      await form.locator(`input[name="${name}"]`).fill(value!);
    }
    await page.locator('#study-start').click();
    assert.match(await form.locator('[data-field="study.seeds"] .field-error').innerText(), /"-5" is not a seed/);
    await form.locator('input[name="seeds"]').fill('0, 5');
    await page.screenshot({ path: path.join(shots, '0-form.png'), fullPage: true });
    await page.locator('#study-start').click();

    await page.locator('[data-page="study"]').waitFor();
    const studyId = decodeURIComponent(new URL(page.url()).pathname.split('/').at(-1)!);
    // Set after the page loaded: still set at the end means the rows came without a reload.
    await page.evaluate(() => ((window as unknown as { stayed: boolean }).stayed = true));
    const rows = page.locator('[data-table="study-rows"] tbody tr');
    await rows.first().waitFor({ timeout: 240_000 });
    await page.screenshot({ path: path.join(shots, '1-first-row.png'), fullPage: true });
    await page
      .locator('[data-page="study"] [data-status="SUCCEEDED"]')
      .waitFor({ timeout: 300_000 })
      .catch((error: Error) => assert.fail(`${error.message}\nworker log:\n${stack.workerLog.slice(-3000)}`));
    await page.locator('[data-field="rows-done"]', { hasText: '4 of 4 done' }).waitFor();
    assert.equal(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed), true, 'no reload');
    assert.deepEqual((await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-row')))).sort(), [
      'mnist/seed-0/random-0',
      'mnist/seed-0/resnet',
      'mnist/seed-5/random-0',
      'mnist/seed-5/resnet',
    ]);

    // The table: one line per arm over both seeds, figures as mean ± spread.
    const lines = page.locator('[data-table="study"] tbody tr');
    assert.deepEqual(await lines.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-arm'))), [
      'random',
      'resnet',
    ]);
    for (const cell of await lines.locator('td[data-field="worst-case"]').allInnerTexts()) {
      assert.match(cell, /^\d+\.\d ± \d+\.\d$/);
    }
    const { study } = await api<{
      study: { table: { arm: string; worstCase: { mean: number; spread: number; n: number } }[] };
    }>('query($id: ID!) { study(runId: $id) { table { arm worstCase { mean spread n } } } }', { id: studyId });
    for (const line of study.table) {
      assert.equal(line.worstCase.n, 2, `${line.arm}: both seeds`);
      const shown = await page
        .locator(`[data-table="study"] tr[data-arm="${line.arm}"] td[data-field="worst-case"]`)
        .innerText();
      assert.equal(shown, `${(100 * line.worstCase.mean).toFixed(1)} ± ${(100 * line.worstCase.spread).toFixed(1)}`);
    }
    // The plot: a point per row, a series per arm, axes titled.
    const chart = page.locator('[data-chart="study"]');
    assert.equal(await chart.getAttribute('data-points'), '4');
    assert.deepEqual(await chart.locator('.u-legend .u-series .u-label').allInnerTexts(), ['random', 'resnet']);
    assert.equal(await chart.getAttribute('data-x-title'), 'parameters');
    assert.match((await chart.getAttribute('data-y-title')) ?? '', /^robust accuracy/);
    await page.screenshot({ path: path.join(shots, '2-study-done.png'), fullPage: true });

    // A row opens its run, which says whose row it is.
    await rows.filter({ hasText: 'mnist/seed-5/resnet' }).locator('td').last().getByRole('link').click();
    const origin = page.locator('[data-page="run"] [data-field="study-row"]');
    assert.match(await origin.innerText(), /A row of study .+: resnet on mnist, seed 5/);

    // The leaderboard names the study, arm and seed of the row behind each of the study's architectures.
    await page.goto(`${stack.gateway.url}/leaderboard?dataset=MNIST&norm=LINF&epsilon=0.3`);
    const provenance = page.locator('td[data-field="provenance"]', { hasText: `study ${studyId}` });
    await provenance.first().waitFor();
    assert.ok((await provenance.count()) >= 3, 'two random genotypes and the resnet chain');
    assert.match(await provenance.first().innerText(), /· (random|resnet) · seed (0|5) · worker w-study/);
    await page.screenshot({ path: path.join(shots, '3-leaderboard.png'), fullPage: true });
    await provenance.first().getByRole('link', { name: '(study)' }).click();
    await page.locator('[data-page="study"]').waitFor();
    assert.deepEqual(pageErrors, [], 'no errors in the page');
    await context.close();
  });
});
