// Runs the platform's processes as children: prefixed output, restarts of crashed ones with backoff,
// ordered and clean shutdown.
import { spawn } from 'node:child_process';
import readline from 'node:readline';
import { RestartPolicy } from './restart-policy.mjs';

/** Children started in order and stopped in reverse order; a crashed child is started again. */
export class Supervisor {
  #children = [];
  #stopping = false;
  #log;
  #onGiveUp;
  #policy;

  /**
   * `log(line)` tells of crashes and restarts; `onGiveUp(name)` is called when a child crashed too
   * often to go on restarting it; `policy` holds RestartPolicy's settings.
   */
  constructor({ log, onGiveUp, policy = {} }) {
    this.#log = log;
    this.#onGiveUp = onGiveUp;
    this.#policy = policy;
  }

  /** Starts `command args` as child `name`, its output prefixed with `[name]`, restarted when it crashes. */
  start(name, command, args, { env, cwd }) {
    const entry = {
      name,
      child: undefined,
      exited: false,
      exit: Promise.resolve(),
      restartTimer: undefined,
      policy: new RestartPolicy(this.#policy),
    };
    const launch = () => {
      // A process group of its own: Ctrl-C reaches only the launcher, which stops children in order.
      const child = spawn(command, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      const startedAt = Date.now();
      for (const stream of [child.stdout, child.stderr]) {
        readline.createInterface({ input: stream }).on('line', (line) => console.log(`[${name}] ${line}`));
      }
      entry.child = child;
      entry.exited = false;
      entry.exit = new Promise((resolve) => {
        child.once('exit', (code, signal) => {
          entry.exited = true;
          resolve({ code, signal });
          if (!this.#stopping) this.#crashed(entry, code, signal, Date.now() - startedAt, launch);
        });
      });
    };
    launch();
    this.#children.push(entry);
    return entry;
  }

  #crashed(entry, code, signal, uptimeMs, launch) {
    const how = signal ?? `code ${code}`;
    const decision = entry.policy.crashed(Date.now(), uptimeMs);
    if (!decision.restart) {
      const window = Math.round(entry.policy.windowMs / 1000);
      this.#log(`${entry.name} exited (${how}): ${decision.crashes} crashes within ${window} s; not restarting it`);
      this.#onGiveUp(entry.name);
      return;
    }
    this.#log(
      `${entry.name} exited (${how}) after ${Math.round(uptimeMs / 1000)} s; restarting in ${decision.delayMs / 1000} s`,
    );
    entry.restartTimer = setTimeout(() => {
      entry.restartTimer = undefined;
      if (this.#stopping) return;
      launch();
      this.#log(`${entry.name} restarted (pid ${entry.child.pid})`);
    }, decision.delayMs);
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

  /** SIGTERM to each child in reverse start order, SIGKILL after `graceMs`; no restart after this. */
  async stopAll(graceMs = 15_000) {
    this.#stopping = true;
    for (const entry of this.#children) clearTimeout(entry.restartTimer);
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
