// Runs a command for as long as a given parent process lives:
//   node guard.mjs PARENT_PID COMMAND [ARGS...]
// Used for nats-server, which cannot watch its parent itself: if the launcher is killed outright,
// the guard ends the server instead of leaving it orphaned. SIGTERM and SIGINT are passed on.
import { spawn } from 'node:child_process';

const [parentText, command, ...args] = process.argv.slice(2);
const parent = Number(parentText);
const child = spawn(command, args, { stdio: 'inherit' });
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => child.kill(signal));
const timer = setInterval(() => {
  try {
    process.kill(parent, 0);
  } catch {
    child.kill('SIGTERM');
  }
}, 500);
child.on('exit', (code, signal) => {
  clearInterval(timer);
  process.exitCode = code ?? (signal ? 1 : 0);
});
