/**
 * The start-a-run form as data: every setting of the job contract's search, selection, training
 * and evaluation configs, turning the texts typed into a mutation input, validated with the same
 * schemas the gateway uses so most mistakes are shown before submission.
 */
import {
  apiSettings,
  ATTACKS,
  evaluateConfigSchema,
  searchConfigSchema,
  selectionConfigSchema,
  trainConfigSchema,
  type AttackSpec,
} from '@lrnas/schema';

export type Section = 'run' | 'search' | 'selection' | 'train' | 'evaluate';
export type FieldType = 'int' | 'number' | 'enum' | 'bool' | 'intList' | 'tags' | 'attacks' | 'text';

export interface FieldSpec {
  /** Section and key, e.g. `search.epochs` or `train.threatModel.epsilon`; also the server's field name after `input.`. */
  id: string;
  section: Section;
  label: string;
  type: FieldType;
  options?: readonly string[];
  help?: string;
}

const f = (
  section: Section,
  key: string,
  label: string,
  type: FieldType,
  extra: Partial<FieldSpec> = {},
): FieldSpec => ({
  id: section === 'run' ? key : `${section}.${key}`,
  section,
  label,
  type,
  ...extra,
});

/** Every field of the form, in display order. */
export const FIELDS: readonly FieldSpec[] = [
  f('run', 'seed', 'Seed', 'int', { help: 'random when empty' }),
  f('run', 'trainLimit', 'Training examples', 'int', { help: 'use only this many (quick runs)' }),
  f('run', 'testLimit', 'Test examples', 'int'),
  f('run', 'tags', 'Tags', 'tags', { help: 'comma separated' }),
  f('search', 'preset', 'Preset', 'enum', { options: ['tiny', 'paper'] }),
  f('search', 'channels', 'Channels (C)', 'int'),
  f('search', 'layers', 'Cells (L)', 'int'),
  f('search', 'epochs', 'Epochs', 'int'),
  f('search', 'warmupEpochs', 'Warm-up epochs', 'int'),
  f('search', 'batchSize', 'Batch size', 'int'),
  f('search', 'learningRate', 'Learning rate', 'number'),
  f('search', 'momentum', 'Momentum', 'number'),
  f('search', 'weightDecay', 'Weight decay', 'number'),
  f('search', 'gradientClip', 'Gradient clip', 'number'),
  f('search', 'partialChannels', 'Partial channels (k)', 'int'),
  f('search', 'permutations', 'Permutations', 'int'),
  f('search', 'estimateBatchSize', 'Estimation batch', 'int'),
  f('search', 'estimationMode', 'Estimation mode', 'enum', { options: ['shapley', 'reference'] }),
  f('search', 'fgsmEpsilon', 'FGSM epsilon', 'number'),
  f('selection', 'budget', 'Parameter budget', 'int', { help: "the experiment's when empty" }),
  f('selection', 'mode', 'Selection mode', 'enum', { options: ['strict', 'reference', 'no-greedy'] }),
  f('selection', 'channels', 'Channels (C)', 'int'),
  f('selection', 'layers', 'Cells (L)', 'int'),
  f('train', 'method', 'Method', 'enum', { options: ['madry', 'trades', 'fgsm-rs', 'standard'] }),
  f('train', 'threatModel.norm', 'Norm', 'enum', { options: ['linf', 'l2'], help: "the experiment's when empty" }),
  f('train', 'threatModel.epsilon', 'Epsilon', 'number'),
  f('train', 'channels', 'Channels (C)', 'int'),
  f('train', 'layers', 'Cells (L)', 'int'),
  f('train', 'epochs', 'Epochs', 'int'),
  f('train', 'batchSize', 'Batch size', 'int'),
  f('train', 'learningRate', 'Learning rate', 'number'),
  f('train', 'momentum', 'Momentum', 'number'),
  f('train', 'weightDecay', 'Weight decay', 'number'),
  f('train', 'schedule', 'Schedule', 'enum', { options: ['cosine', 'step'] }),
  f('train', 'milestones', 'Milestones', 'intList', { help: 'epochs, comma separated (step schedule)' }),
  f('train', 'attackSteps', 'Attack steps', 'int'),
  f('train', 'attackStepSize', 'Attack step size', 'number'),
  f('train', 'tradesBeta', 'TRADES beta', 'number'),
  f('train', 'auxiliaryWeight', 'Auxiliary weight', 'number'),
  f('train', 'dropPath', 'Drop path', 'number'),
  f('train', 'augment', 'Augment', 'bool'),
  f('evaluate', 'threatModel.norm', 'Norm', 'enum', { options: ['linf', 'l2'], help: "the experiment's when empty" }),
  f('evaluate', 'threatModel.epsilon', 'Epsilon', 'number'),
  f('evaluate', 'attacks', 'Attacks', 'attacks', {
    help: `e.g. "pgd:20:0.01, fgsm" (name:steps:stepSize:restarts; ${ATTACKS.join(', ')})`,
  }),
  f('evaluate', 'examples', 'Examples', 'int'),
  f('evaluate', 'batchSize', 'Batch size', 'int'),
  f('evaluate', 'cascade', 'AutoAttack-style cascade', 'bool', {
    help: 'each attack only on the images still robust (apgd-ce, apgd-t, fab-t, square: the standard suite)',
  }),
];

/** What each preset gives an empty field, shown as its placeholder (the engine's presets). */
export const PRESET_VALUES: Record<'tiny' | 'paper', Record<string, string>> = {
  tiny: {
    'search.channels': '8',
    'search.layers': '5',
    'search.epochs': '2',
    'search.warmupEpochs': '1',
    'search.batchSize': '64',
    'search.learningRate': '0.1',
    'search.momentum': '0.9',
    'search.weightDecay': '0.0003',
    'search.gradientClip': '5',
    'search.partialChannels': '4',
    'search.permutations': '1',
    'search.estimateBatchSize': '32',
    'search.estimationMode': 'shapley',
    'selection.budget': '60000',
    'selection.mode': 'strict',
    'selection.channels': '8',
    'selection.layers': '5',
    'train.method': 'madry',
    'train.epochs': '2',
    'train.batchSize': '64',
    'evaluate.attacks': 'pgd',
    'evaluate.examples': '500',
  },
  paper: {
    'search.channels': '16',
    'search.layers': '8',
    'search.epochs': '50',
    'search.warmupEpochs': '15',
    'search.batchSize': '128',
    'search.learningRate': '0.1',
    'search.momentum': '0.9',
    'search.weightDecay': '0.0003',
    'search.gradientClip': '5',
    'search.partialChannels': '4',
    'search.permutations': '10',
    'search.estimateBatchSize': '64',
    'search.estimationMode': 'shapley',
    'selection.budget': '2000000',
    'selection.mode': 'strict',
    'selection.channels': '36',
    'selection.layers': '20',
    'train.method': 'madry',
    'evaluate.attacks': 'pgd',
  },
};

/** Sections a kind of run takes. */
export const SECTIONS_OF: Record<'search' | 'pipeline', readonly Section[]> = {
  search: ['run', 'search', 'selection'],
  pipeline: ['run', 'search', 'selection', 'train', 'evaluate'],
};

export type FieldErrors = Record<string, string>;

/** Parses `pgd:20:0.01:1, fgsm` into attack specs; throws a message naming the bad part. */
export function parseAttacks(text: string): AttackSpec[] {
  const parts = text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  if (parts.length === 0) throw new Error('name at least one attack');
  return parts.map((part) => {
    const [name = '', steps, stepSize, restarts, ...extra] = part.split(':').map((s) => s.trim());
    if (!(ATTACKS as readonly string[]).includes(name)) {
      throw new Error(`"${name}" is not an attack (${ATTACKS.join(', ')})`);
    }
    if (extra.length) throw new Error(`"${part}" has more than name:steps:stepSize:restarts`);
    const spec: AttackSpec = { name: name as AttackSpec['name'] };
    if (steps) spec.steps = wholeNumber(steps, `steps of ${name}`);
    if (stepSize) spec.stepSize = decimal(stepSize, `step size of ${name}`);
    if (restarts) spec.restarts = wholeNumber(restarts, `restarts of ${name}`);
    return spec;
  });
}

function wholeNumber(text: string, what: string): number {
  const n = Number(text);
  if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(n))
    throw new Error(`${what} must be a whole number, got "${text}"`);
  return n;
}

function decimal(text: string, what: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n)) throw new Error(`${what} must be a number, got "${text}"`);
  return n;
}

function parseField(spec: FieldSpec, text: string): unknown {
  switch (spec.type) {
    case 'int':
      return wholeNumber(text, 'the value');
    case 'number':
      return decimal(text, 'the value');
    case 'enum':
      if (!spec.options!.includes(text)) throw new Error(`choose one of ${spec.options!.join(', ')}`);
      return text;
    case 'bool':
      if (text !== 'true' && text !== 'false') throw new Error('choose yes or no');
      return text === 'true';
    case 'intList':
      return text
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
        .map((s) => wholeNumber(s, 'each value'));
    case 'tags':
      return text
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    case 'attacks':
      return parseAttacks(text);
    case 'text':
      return text;
  }
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let at = target;
  for (const key of path.slice(0, -1)) at = (at[key] ??= {}) as Record<string, unknown>;
  at[path.at(-1)!] = value;
}

// Selection's budget and evaluation's threat model and attacks default to the experiment's on
// the server, so the client checks those sections with every field optional.
const SCHEMAS = {
  search: searchConfigSchema,
  selection: selectionConfigSchema.partial(),
  train: trainConfigSchema,
  evaluate: evaluateConfigSchema.partial(),
} as const;

/**
 * The mutation input for the typed values (empty fields left out, so the server's defaults
 * apply; enum values by the API's names), or the error of each field that is wrong, keyed by
 * field id.
 */
export function buildStartInput(
  kind: 'search' | 'pipeline',
  experimentId: string,
  values: Record<string, string>,
): { input: Record<string, unknown>; errors: FieldErrors } {
  const sections = SECTIONS_OF[kind];
  const input: Record<string, unknown> = { experimentId };
  const errors: FieldErrors = {};
  for (const spec of FIELDS) {
    if (!sections.includes(spec.section)) continue;
    const text = (values[spec.id] ?? '').trim();
    if (text === '') continue;
    try {
      setPath(input, spec.id.split('.'), parseField(spec, text));
    } catch (error) {
      errors[spec.id] = (error as Error).message;
    }
  }
  for (const section of sections) {
    if (section === 'run') continue;
    const threat = (input[section] as { threatModel?: { norm?: string; epsilon?: number } } | undefined)?.threatModel;
    if (threat && (threat.norm === undefined) !== (threat.epsilon === undefined)) {
      const missing = threat.norm === undefined ? 'norm' : 'epsilon';
      errors[`${section}.threatModel.${missing}`] ??= 'a threat model needs both a norm and an epsilon';
      continue;
    }
    const result = SCHEMAS[section].safeParse(input[section] ?? {});
    if (result.success) {
      // The API spells enum values by their names (`no-greedy` is NO_GREEDY).
      if (input[section] !== undefined) input[section] = apiSettings(SCHEMAS[section], input[section]);
      continue;
    }
    for (const issue of result.error.issues) {
      const id = [section, ...issue.path.map(String)].join('.');
      // An issue inside a list (an attack, a milestone) belongs to the list's field.
      const field = FIELDS.find((s) => id === s.id || id.startsWith(`${s.id}.`))?.id ?? section;
      errors[field] ??= issue.message;
    }
  }
  return { input, errors };
}

/** The form field a server error names (`input.search.epochs` -> `search.epochs`), if the form has it. */
export function fieldOfServerError(field: string | undefined): string | undefined {
  if (!field) return undefined;
  const id = field.replace(/^input\./, '');
  return FIELDS.find((s) => id === s.id || id.startsWith(`${s.id}.`) || id.startsWith(`${s.id}[`))?.id;
}
