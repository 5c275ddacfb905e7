// Runs the platform's processes as children: prefixed output, ordered and clean shutdown.
import { spawn } from 'node:child_process';
import readline from 'node:readline';

/** Children started in order and stopped in reverse order. */
export class Supervisor {
  #children = [];
  #stopping = false;
  #onUnexpectedExit;

  constructor({ onUnexpectedExit }) {
    this.#onUnexpectedExit = onUnexpectedExit;
  }

  /** Starts `command args` as child `name`, its output prefixed with `[name]`. */
  start(name, command, args, { env, cwd }) {
    // A process group of its own: Ctrl-C reaches only the launcher, which stops children in order.
    const child = spawn(command, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    for (const stream of [child.stdout, child.stderr]) {
      readline.createInterface({ input: stream }).on('line', (line) => console.log(`[${name}] ${line}`));
    }
    const entry = { name, child, exited: false };
    entry.exit = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        entry.exited = true;
        resolve({ code, signal });
        if (!this.#stopping) this.#onUnexpectedExit(name, code, signal);
      });
    });
    this.#children.push(entry);
    return entry;
  }

  /** Adopts a child started elsewhere (nats-server) so that it is stopped last. */
  adopt(name, handle) {
    this.#children.push({
      name,
      child: handle.process,
      exit: handle.exited,
      get exited() {
        return handle.process.exitCode !== null || handle.process.signalCode !== null;
      },
    });
  }

  /** SIGTERM to each child in reverse start order, SIGKILL after `graceMs`. */
  async stopAll(graceMs = 15_000) {
    this.#stopping = true;
    for (const entry of [...this.#children].reverse()) {
      if (entry.exited) continue;
      entry.child.kill('SIGTERM');
      const timer = setTimeout(() => {
        console.log(`[launcher] ${entry.name} did not stop within ${graceMs} ms; killing it`);
        entry.child.kill('SIGKILL');
      }, graceMs);
      await entry.exit;
      clearTimeout(timer);
    }
  }
}
