/**
 * Calls `onExit` once the launcher that started this process is gone (LRNAS_PARENT_PID), so a
 * killed launcher leaves no orphaned service behind.
 */
export function exitWithParent(onExit: () => void, intervalMs = 1000): void {
  const parent = Number(process.env.LRNAS_PARENT_PID);
  if (!Number.isInteger(parent) || parent <= 0) return;
  const timer = setInterval(() => {
    try {
      process.kill(parent, 0);
    } catch {
      clearInterval(timer);
      onExit();
    }
  }, intervalMs);
  timer.unref();
}
