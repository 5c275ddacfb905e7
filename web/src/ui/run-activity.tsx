/** Logs and architecture-weight snapshots of a run (filled in once the gateway serves them). */
export function RunActivity(_props: { runId: string }) {
  return null;
}
