import { BACKENDS, BackendUnavailableError, initBackend } from '../../backend.js';
import { defineCommand, UsageError } from '../command.js';

export default defineCommand({
  name: 'backend',
  summary: 'Say which compute backend (and WebGPU adapter) this machine gives the engine',
  description: [
    'Starts the backend the engine would use here (auto: node-gpu, then webgpu on a hardware GPU, node, wasm, cpu;',
    'or LRNAS_BACKEND, or --backend) and prints it: name, device, WebGPU adapter and package versions. The last',
    'line is the same as JSON. Exits 2 when the backend asked for cannot start, saying why.',
  ].join('\n'),
  flags: {
    backend: { kind: 'string', value: 'NAME', description: `Backend to start: auto, ${BACKENDS.join(', ')}` },
  },
  async run(flags, io) {
    let info: Awaited<ReturnType<typeof initBackend>>;
    try {
      info = await initBackend(flags.backend ?? process.env.LRNAS_BACKEND);
    } catch (error) {
      if (error instanceof BackendUnavailableError) throw new UsageError(error.message);
      throw error;
    }
    io.stdout(`backend ${info.name}: ${info.device}\n`);
    if (info.adapter) {
      const a = info.adapter;
      io.stdout(`adapter ${a.vendor} ${a.architecture} (${a.description})${a.software ? ', software' : ''}\n`);
    }
    io.stdout(
      `versions ${Object.entries(info.versions)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}\n`,
    );
    io.stdout(`${JSON.stringify(info)}\n`);
  },
});
