// The engine's job events as the platform's contract events: what a worker publishes to the
// gateway, and what the CLI logs to a hub (--hub), are the same keys and shapes.
import type { AttackSpec, Genotype, MetricEvent, RunEventBody as EventBody, Stage, ThreatModel } from '@lrnas/schema';
import { backendLabel } from '../backend.js';
import { countFlops } from '../nn/cost.js';
import type { SearchEpochSummary } from '../search/search-checkpoint.js';
import type { EpochSummary } from '../train/state.js';
import type { JobEvent, JobNetwork } from './stages.js';
import type { StudyRow } from '../study/run-study.js';
import { studyRowKey } from '../study/row-key.js';

type MetricPoint = MetricEvent['points'][number];

/** Where contract events go: one event at a time, metric points batched by the sink. */
export interface EventSink {
  emit(body: EventBody): void;
  metric(points: MetricPoint[]): void;
}

/** Facts about a job that engine events do not carry but contract events need. */
export interface ForwardingContext {
  workerId: string;
  backend: string;
  seed: number;
  /** The network a selected genotype's parameters are counted for (the job's `network` event). */
  network: JobNetwork;
  /** The attacks as the job named them, in the order the engine reports them. */
  attacks: AttackSpec[];
  threatModel: ThreatModel;
}

const STAGE_LOG = {
  started: (stage: string) => `stage ${stage} started`,
  resumed: (stage: string) => `stage ${stage} resumed from its checkpoint`,
  completed: (stage: string) => `stage ${stage} done`,
};

/**
 * Translates the engine's job events (a search or training run's events arrive wrapped) into
 * contract events. Per-step figures become metric points keyed by the run's global
 * step; epoch summaries use separate `.../epoch/...` keys, since the gateway stores those at step
 * = epoch and the two must not collide.
 */
export function forwardEngineEvent(event: JobEvent, sink: EventSink, context: ForwardingContext): void {
  switch (event.type) {
    case 'network':
      break;
    case 'stage':
      // A line per stage, so that a run's log tells its story on the run page, not only in the worker's output.
      sink.emit({ type: 'log', level: 'info', message: STAGE_LOG[event.status](event.stage) });
      if (event.status !== 'completed') {
        sink.emit({
          type: 'status',
          status: 'RUNNING',
          stage: event.stage,
          workerId: context.workerId,
          backend: context.backend,
        });
      }
      break;
    case 'search': {
      const e = event.event;
      if (e.type === 'step') {
        sink.metric([
          { key: 'search/loss', step: e.step, value: finite(e.loss) },
          { key: 'search/accuracy', step: e.step, value: e.accuracy },
          { key: 'search/lr', step: e.step, value: e.lr },
        ]);
      } else if (e.type === 'epoch') {
        sink.emit(searchEpoch(e));
      } else if (e.type === 'contributions') {
        sink.emit({ type: 'snapshot', epoch: e.epoch, alphas: e.alphas, contributions: e.values });
      } else if (e.type === 'genotype') {
        sink.emit(genotypeEvent('search', e, context, e.epoch));
      }
      break;
    }
    case 'selection':
      sink.emit({
        type: 'log',
        level: 'info',
        message: `selected a cell of ${event.params.toLocaleString('en-US')} parameters (budget ${event.budget.toLocaleString('en-US')}, ${event.mode} selection)`,
      });
      sink.emit(genotypeEvent('select', event, context));
      break;
    case 'architecture':
      sink.emit(genotypeEvent('train', event, context));
      break;
    case 'train': {
      const e = event.event;
      if (e.type === 'step') {
        sink.metric([
          { key: 'train/loss', step: e.step, value: finite(e.loss) },
          { key: 'train/accuracy', step: e.step, value: e.accuracy },
          { key: 'train/lr', step: e.step, value: e.lr },
          { key: 'train/epsilon', step: e.step, value: e.epsilon },
        ]);
      } else if (e.type === 'epoch') {
        sink.emit(trainEpoch(e));
      }
      break;
    }
    case 'evaluate-progress':
    case 'study-row':
    case 'study-step':
    case 'study-done':
      // A study's events go through forwardStudyEvent: one run's, not one network's.
      break;
    case 'evaluation': {
      const report = event.report;
      report.attacks.forEach((attack, index) => {
        sink.emit({
          type: 'evaluation',
          attack: attackAsUsed(attack.settings, context.attacks[index]),
          threatModel: context.threatModel,
          examples: report.data.examples,
          seed: context.seed,
          cleanAccuracy: report.cleanAccuracy,
          robustAccuracy: attack.robustAccuracy,
          backend: backendLabel(report.backend),
          engineVersion: report.engineVersion,
        });
      });
      break;
    }
  }
}

/** Facts about a study job that its engine events do not carry. */
export interface StudyForwardingContext {
  workerId: string;
  backend: string;
}

/**
 * Translates a study job's engine events into contract events. Each finished row becomes a `study-row` event
 * (the gateway files it as a run of its own, with its evaluations, on the leaderboard); the stage a row enters
 * becomes the study run's status (with the row's name in its log); the finished table becomes the closing log
 * line. A row's own per-step metrics, genotypes and evaluations stay with the row: the study run would hold many
 * networks' figures under one key otherwise.
 */
export function forwardStudyEvent(event: JobEvent, sink: EventSink, context: StudyForwardingContext): void {
  switch (event.type) {
    case 'study-row': {
      const body = studyRowEvent(event.row, event.done, event.total);
      if (body) sink.emit(body);
      break;
    }
    case 'study-step': {
      const inner = event.event;
      if (inner.type === 'stage' && inner.status !== 'completed') {
        sink.emit({
          type: 'log',
          level: 'info',
          message: `row ${event.row} (${event.done + 1} of ${event.total}): ${STAGE_LOG[inner.status](inner.stage)}`,
        });
        sink.emit({
          type: 'status',
          status: 'RUNNING',
          stage: inner.stage,
          workerId: context.workerId,
          backend: context.backend,
          progress: { done: event.done, total: event.total },
        });
      }
      break;
    }
    case 'study-done':
      sink.emit({
        type: 'log',
        level: 'info',
        message: `study done: ${event.rows} rows\n${event.text}`.slice(0, 8192),
      });
      break;
    default:
      break;
  }
}

/** The contract event of a finished study row; undefined for a row stored before rows carried their record. */
export function studyRowEvent(row: StudyRow, done: number, total: number): EventBody | undefined {
  const record = row.record;
  if (!record) return undefined;
  return {
    type: 'study-row',
    key: studyRowKey(row),
    dataset: row.dataset,
    arm: row.arm,
    seed: row.seed,
    index: row.index,
    genotype: row.genotype,
    network: {
      channels: row.channels,
      layers: row.layers,
      classes: record.classes,
      inputChannels: record.inputChannels,
      imageSize: record.imageSize,
    },
    params: row.params,
    flops: row.flops,
    threatModel: record.threatModel,
    examples: record.examples,
    cleanAccuracy: row.cleanAccuracy,
    worstCase: row.worstCase,
    attacks: record.attacks,
    seconds: row.seconds,
    backend: record.backend,
    engineVersion: record.engineVersion,
    done,
    total,
  };
}

/**
 * The attack of an evaluation event as the engine ran it: the settings the job left unset are
 * filled in with the attack's defaults (PGD's 20 steps of epsilon/4...), so that what is stored
 * with the result says how it was measured. Square's query budget is its `steps`, as in the job.
 */
export function attackAsUsed(
  used: { name: string; steps?: number; queries?: number; stepSize?: number; restarts?: number },
  asked: AttackSpec | undefined,
): AttackSpec {
  const spec: AttackSpec = { ...asked, name: (asked?.name ?? used.name) as AttackSpec['name'] };
  const steps = used.steps ?? used.queries;
  if (steps !== undefined) spec.steps = steps;
  if (used.stepSize !== undefined) spec.stepSize = used.stepSize;
  if (used.restarts !== undefined) spec.restarts = used.restarts;
  return spec;
}

function searchEpoch(e: SearchEpochSummary): EventBody {
  return epochEvent('search', e.epoch, e.epochs, e.seconds, {
    'search/epoch/train_loss': e.trainLoss,
    'search/epoch/train_accuracy': e.trainAccuracy,
    'search/epoch/valid_accuracy': e.validAccuracy,
    'search/epoch/scoring_clean': e.scoringClean,
    'search/epoch/scoring_adversarial': e.scoringAdversarial,
    'search/epoch/params': e.params,
  });
}

function trainEpoch(e: EpochSummary): EventBody {
  return epochEvent('train', e.epoch, e.epochs, e.seconds, {
    'train/epoch/train_loss': e.trainLoss,
    'train/epoch/train_accuracy': e.trainAccuracy,
    'train/epoch/test_accuracy': e.testAccuracy,
    'train/epoch/test_pgd_accuracy': e.testPgdAccuracy,
    'train/epoch/lr': e.lr,
  });
}

function epochEvent(
  stage: Stage,
  epoch: number,
  epochs: number,
  seconds: number,
  metrics: Record<string, number | null>,
): EventBody {
  return {
    type: 'epoch',
    stage,
    epoch,
    epochs,
    seconds,
    metrics: Object.fromEntries(Object.entries(metrics).map(([key, value]) => [key, finite(value)])),
  };
}

/**
 * The genotype event of a stage's genotype on the job's network: a search's per-epoch choice (with its
 * epoch) is provisional, a selected or given one final.
 */
function genotypeEvent(
  stage: Stage,
  chosen: { genotype: Genotype; params: number },
  context: ForwardingContext,
  epoch?: number,
): EventBody {
  return {
    type: 'genotype',
    stage,
    ...(epoch !== undefined && { epoch }),
    genotype: chosen.genotype,
    network: context.network,
    params: chosen.params,
    flops: flopsOf(chosen.genotype, context.network),
    final: epoch === undefined,
  };
}

/** Multiply-accumulates of one forward pass at the network's image size (the usual "FLOPs"). */
export function flopsOf(genotype: Genotype, network: ForwardingContext['network']): number {
  return countFlops(genotype, network, network.imageSize);
}

/** The contract stores a non-finite value (a diverged loss) as null. */
function finite(value: number | null): number | null {
  return value !== null && Number.isFinite(value) ? value : null;
}
