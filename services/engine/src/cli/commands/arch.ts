import { defineCommand, defineGroup } from '../command.js';
import { readGenotypeFile } from '../genotype-file.js';
import { networkCost } from '../../nn/cost.js';
import { DEFAULT_NETWORK_SHAPE } from '../../nn/plan.js';

const params = defineCommand({
  name: 'params',
  summary: 'Count the parameters and FLOPs of the evaluation network of a genotype',
  description: [
    'Counts the parameters of the evaluation network built from a genotype exactly as the reference',
    '(PyTorch DARTS) implementation does (BN affine included, no conv bias, auxiliary head excluded) and its',
    'multiply-accumulates for one image. Needs no tensors. The last line of output is {"params": N, "flops": M}.',
  ].join('\n'),
  flags: {
    genotype: {
      kind: 'string',
      value: 'FILE',
      required: true,
      description: 'JSON file with a genotype (or named genotypes)',
    },
    name: { kind: 'string', value: 'NAME', description: 'Which genotype, when FILE holds several by name' },
    channels: { kind: 'int', default: DEFAULT_NETWORK_SHAPE.channels, description: 'Initial channels C' },
    layers: { kind: 'int', default: DEFAULT_NETWORK_SHAPE.layers, description: 'Cells L' },
    classes: { kind: 'int', default: DEFAULT_NETWORK_SHAPE.classes, description: 'Classes' },
    'input-channels': {
      kind: 'int',
      default: DEFAULT_NETWORK_SHAPE.inputChannels,
      description: 'Input image channels',
    },
    'image-size': { kind: 'int', default: 32, description: 'Input image height and width, for FLOPs' },
  },
  async run(flags, io) {
    const { genotype, label } = await readGenotypeFile(flags.genotype, flags.name);
    const shape = {
      channels: flags.channels,
      layers: flags.layers,
      classes: flags.classes,
      inputChannels: flags['input-channels'],
    };
    const size = flags['image-size'];
    const { params, flops } = networkCost(genotype, shape, size);
    io.stdout(
      `${label}: C=${shape.channels}, L=${shape.layers}, ${shape.classes} classes, ` +
        `${shape.inputChannels}x${size}x${size} input: ${params.toLocaleString('en-US')} parameters, ` +
        `${(flops / 1e6).toFixed(2)} M multiply-accumulates\n`,
    );
    io.stdout(`{"params": ${params}, "flops": ${flops}}\n`);
  },
});

export default defineGroup({
  name: 'arch',
  summary: 'Inspect architectures (parameter and FLOP counts)',
  subcommands: [params],
});
