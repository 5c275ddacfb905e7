import type { Genotype, GenotypePair } from '@lrnas/schema';
import { countParameters } from '../../nn/cost.js';
import { DEFAULT_NETWORK_SHAPE, type NetworkShape } from '../../nn/plan.js';
import { AlphasFileError, readAlphasFile } from '../../search/alphas-file.js';
import {
  minimumParameters,
  parseDarts,
  selectGreedy,
  SELECTION_MODES,
  type SelectionMode,
} from '../../search/selection.js';
import type { EdgeMatrices } from '../../search/space.js';
import { defineCommand, UsageError } from '../command.js';

/**
 * Parses a parameter budget: a whole number (`2000000`), or a decimal with a k or M suffix (`2.0M`, `500k`)
 * that comes to a whole number. Throws a UsageError naming --budget otherwise.
 */
export function parseBudget(raw: string): number {
  const match = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(raw.trim());
  const scale = match?.[2] ? (match[2].toLowerCase() === 'k' ? 1e3 : 1e6) : 1;
  // Scale in decimal text, not floating point, so 2.3M is exactly 2300000.
  const value = match ? Math.round(Number(match[1]) * scale * 1e6) / 1e6 : Number.NaN;
  if (!match || (!match[2] && match[1]?.includes('.')) || !Number.isSafeInteger(value) || value < 1) {
    throw new UsageError(
      `--budget must be a positive whole number of parameters (e.g. 2000000 or 2.0M), got ${JSON.stringify(raw)}`,
    );
  }
  return value;
}

function formatCell(pairs: readonly GenotypePair[]): string {
  return pairs.map(([op, input]) => `(${op}, ${input})`).join(' ');
}

function describeGenotype(genotype: Genotype): string[] {
  return [`  normal: ${formatCell(genotype.normal)}`, `  reduce: ${formatCell(genotype.reduce)}`];
}

export default defineCommand({
  name: 'select',
  summary: 'Derive a genotype from architecture weights: greedy under a parameter budget, or DARTS parsing',
  description: [
    'Derives the final cell from searched architecture weights (lrnas-method.md section 6). FILE holds',
    '{"normal": [[8 numbers] x 14], "reduce": [[8 numbers] x 14]} (edges in DARTS order, ops in the order',
    'none, max_pool_3x3, avg_pool_3x3, skip_connect, sep_conv_3x3, sep_conv_5x5, dil_conv_3x3, dil_conv_5x5).',
    'Greedy: each edge offers its argmax op (none included); the strongest are placed, 2 per node, while the',
    'evaluation network of the given size stays within --budget parameters. --mode strict (default) never',
    'exceeds the budget; --mode reference reproduces the released code, which checks the network before',
    'adding an op and can overshoot. A budget below the smallest network (every op none) is an error in strict',
    'mode; in reference mode, as in the released code, it places only none, pools and skip_connect and returns',
    'the overshooting genotype. --no-greedy uses DARTS parsing instead (2 strongest non-none edges per node; --budget is ignored).',
    'The last line of stdout is {"genotype": {...}, "params": N}.',
  ].join('\n'),
  flags: {
    alphas: {
      kind: 'string',
      value: 'FILE',
      required: true,
      description: 'JSON file with the architecture weights {normal, reduce}',
    },
    budget: {
      kind: 'string',
      value: 'PARAMS',
      description: 'Most parameters of the evaluation network, e.g. 2000000 or 2.0M (required unless --no-greedy)',
    },
    mode: { kind: 'string', value: SELECTION_MODES.join('|'), default: 'strict', description: 'Budget rule' },
    'no-greedy': { kind: 'boolean', description: 'DARTS parsing instead of greedy selection (the ablation)' },
    channels: { kind: 'int', default: DEFAULT_NETWORK_SHAPE.channels, description: 'Initial channels C' },
    layers: { kind: 'int', default: DEFAULT_NETWORK_SHAPE.layers, description: 'Cells L' },
    classes: { kind: 'int', default: DEFAULT_NETWORK_SHAPE.classes, description: 'Classes' },
    'input-channels': {
      kind: 'int',
      default: DEFAULT_NETWORK_SHAPE.inputChannels,
      description: 'Input image channels',
    },
  },
  async run(flags, io) {
    const shape: NetworkShape = {
      channels: flags.channels,
      layers: flags.layers,
      classes: flags.classes,
      inputChannels: flags['input-channels'],
    };
    const greedy = !flags['no-greedy'];
    const mode = flags.mode as SelectionMode;
    if (!(SELECTION_MODES as readonly string[]).includes(mode)) {
      throw new UsageError(`--mode must be one of ${SELECTION_MODES.join(', ')}, got ${JSON.stringify(flags.mode)}`);
    }
    let budget = 0;
    if (greedy) {
      if (flags.budget === undefined) throw new UsageError('--budget is required (or pass --no-greedy)');
      budget = parseBudget(flags.budget);
      const minimum = minimumParameters(shape);
      // Reference mode reproduces the released code, which has no such check (issue 15, item 4).
      if (mode === 'strict' && budget < minimum) {
        throw new UsageError(
          `--budget ${budget} is below the smallest network at C=${shape.channels}, L=${shape.layers}, ` +
            `${shape.classes} classes (every op none): minimum ${minimum} parameters`,
        );
      }
    }
    let alphas: EdgeMatrices;
    try {
      alphas = await readAlphasFile(flags.alphas);
    } catch (error) {
      if (error instanceof AlphasFileError) throw new UsageError(error.message);
      throw error;
    }

    const size = `C=${shape.channels}, L=${shape.layers}, ${shape.classes} classes`;
    let genotype: Genotype;
    let params: number;
    if (greedy) {
      const result = selectGreedy(alphas, { budget, shape, mode });
      ({ genotype, params } = result);
      const count = (decision: string): number => result.trace.filter((s) => s.decision === decision).length;
      io.stdout(`greedy selection (${mode} mode), budget ${budget.toLocaleString('en-US')} parameters at ${size}\n`);
      io.stdout(
        `candidates: ${count('placed')} placed, ${count('over budget')} over budget, ` +
          `${count('node full')} for a full node\n`,
      );
    } else {
      genotype = parseDarts(alphas);
      params = countParameters(genotype, shape);
      io.stdout(`DARTS parsing (no greedy) at ${size}\n`);
    }
    for (const line of describeGenotype(genotype)) io.stdout(`${line}\n`);
    const over = greedy && params > budget ? ` (over the budget by ${(params - budget).toLocaleString('en-US')})` : '';
    io.stdout(`parameters: ${params.toLocaleString('en-US')}${over}\n`);
    io.stdout(`${JSON.stringify({ genotype, params })}\n`);
  },
});
