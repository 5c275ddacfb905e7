import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ReadableStream } from 'node:stream/web';
import { test } from 'node:test';
import { pipeChunks } from './artifact-download.js';

test('a download the object store stops feeding mid-way is cut off, not left hanging', async () => {
  // A stream that gives one chunk and then nothing, as the NATS client's object read does when the
  // node serving it goes away; the HTTP side is a real server and client.
  let cancelled = false;
  const source = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode('first half'));
    },
    cancel() {
      cancelled = true;
    },
  });
  const logged: string[] = [];
  const server = http.createServer((_req, res) => {
    const reader = source.getReader();
    void reader.read().then((first) => {
      res.setHeader('content-length', '20');
      return pipeChunks(first, reader, res, 300, 'run-a/weights.bin', (line) => logged.push(line));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const response = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal(response.status, 200);
    await assert.rejects(response.text(), 'the truncated body is an error for the client');
    assert.match(logged.join('\n'), /download of run-a\/weights\.bin cut off: .*nothing for 0\.3 s/);
    assert.ok(cancelled, 'the read from the store is dropped');
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});
