import { Hub } from '@lrnas/client';
import { defineCommand, UsageError } from '../command.js';

export default defineCommand({
  name: 'sync',
  summary: 'Send to the hub what runs logged with --hub left unsent (a crash, an outage)',
  description: [
    'Runs logged with --hub keep every entry in a spool on disk ($LRNAS_SPOOL_DIR, default ~/.lrnas/spool)',
    'until the hub has acknowledged it. This sends what the spools of the hub still hold, in order, and',
    'finishes the runs whose command had finished. The last line of stdout is {"runs": N, "entries": M}.',
  ].join('\n'),
  flags: {
    hub: { kind: 'string', value: 'URL', description: 'The hub (default $LRNAS_HUB_URL; the key from $LRNAS_API_KEY)' },
  },
  async run(flags, io) {
    let hub: Hub;
    try {
      hub = new Hub({
        ...(flags.hub !== undefined && { url: flags.hub }),
        onError: (error, what) =>
          io.stderr(`lrnas sync: ${what}: ${error.message}${error.retry ? ' (retrying)' : ''}\n`),
      });
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    const sent = await hub.sync();
    io.stderr(`lrnas sync: ${sent.entries} entries of ${sent.runs} runs sent to ${hub.target.url}\n`);
    io.stdout(`${JSON.stringify(sent)}\n`);
    return 0;
  },
});
