import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderHealth, renderHealthStatus, type HealthData } from './health-view.js';

const health = (workers: HealthData['health']['workers']): HealthData => ({
  health: {
    version: '0.1.0',
    database: { kind: 'SQLITE', connected: true },
    nats: { connected: false, jetStream: false, server: null, error: 'CONNECTION_REFUSED' },
    workers,
  },
});

test('the panel shows database, NATS state and one row per worker', () => {
  const html = renderHealth(
    health([
      {
        id: 'w-1',
        host: 'h',
        backend: 'wasm',
        device: 'CPU',
        adapter: null,
        engineVersion: '0.1.0',
        currentJobs: ['r1'],
        seenAt: '',
      },
    ]),
  );
  assert.match(html, /SQLITE <span class="badge ok">connected<\/span>/);
  assert.match(html, /<span class="badge down">disconnected<\/span> CONNECTION_REFUSED/);
  assert.equal(html.match(/<tr data-worker=/g)?.length, 1);
});

test('text from the server is escaped, so a hostile worker name cannot inject markup', () => {
  const html = renderHealth(
    health([
      {
        id: '<img src=x onerror=alert(1)>',
        host: '"h"',
        backend: 'wasm',
        device: 'CPU',
        adapter: { vendor: '<b>', architecture: '', description: '<script>', software: false },
        engineVersion: '0',
        currentJobs: [],
        seenAt: '',
      },
    ]),
  );
  assert.doesNotMatch(html, /<img|<script|<b>/);
  assert.match(html, /&#60;img src=x onerror=alert\(1\)&#62;/);
});

test('a webgpu worker shows its adapter, flagged when it is a software one', () => {
  const html = renderHealth(
    health([
      {
        id: 'w-gpu',
        host: 'h',
        backend: 'webgpu',
        device: 'CPU (WebGPU: mesa software (llvmpipe))',
        adapter: { vendor: 'mesa', architecture: 'software', description: 'llvmpipe (LLVM 15)', software: true },
        engineVersion: '0.1.0',
        currentJobs: [],
        seenAt: '',
      },
    ]),
  );
  assert.match(
    html,
    /data-field="adapter">mesa software <span class="badge down">software<\/span><br><small>llvmpipe \(LLVM 15\)</,
  );
});

test('no worker: the panel says how to start one', () => {
  assert.match(renderHealth(health([])), /No worker is connected/);
});

test('without a key the panel shows the status alone', () => {
  const html = renderHealthStatus({ health: { status: 'ok' } });
  assert.match(html, /data-field="status"><span class="badge ok">ok</);
  assert.doesNotMatch(html, /data-field="database"/);
  assert.match(renderHealthStatus({ health: { status: 'degraded' } }), /badge down">degraded</);
});
