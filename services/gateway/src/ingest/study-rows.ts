// A study's finished row, filed: its own run (so that its evaluations rank on the leaderboard with provenance),
// its architecture, its evaluations and the study's record of it. Every write is keyed (the row run's id is
// derived from the study and the row's name), so a resumed study that tells of a row again overwrites it.
import type { EntityManager } from '@mikro-orm/core';
import { sha256Hex, type StudyRowEvent } from '@lrnas/schema';
import { evaluationSettingsKey } from '../domain/evaluation-key.js';
import type { Architecture } from '../persistence/entities/index.js';
import {
  Evaluation,
  Run,
  RunKind,
  RunSource,
  RunStatus,
  RunStatusChange,
  StudyRow,
} from '../persistence/entities/index.js';

/** The run id of a study's row: derived, so that a repeated row event finds the run it made. */
export function studyRowRunId(studyRunId: string, key: string): string {
  return `row_${sha256Hex(`${studyRunId}\u0000${key}`).slice(0, 32)}`;
}

/** What a row's run is, in its config: which study, which arm, seed and data set (the leaderboard's provenance). */
export interface StudyRowConfig {
  kind: 'study-row';
  studyRunId: string;
  key: string;
  arm: string;
  dataset: string;
  seed: number;
  index: number;
  channels: number;
  layers: number;
}

/**
 * Files `event` of `study` (already admitted). `architectureOf` upserts the row's genotype as apply-events does
 * for genotype events, so both paths share one way of identifying architectures. Returns the row's run, whose
 * results the caller refreshes.
 */
export async function applyStudyRow(
  em: EntityManager,
  event: StudyRowEvent,
  study: Run,
  time: Date,
  architectureOf: (run: Run) => Promise<Architecture>,
): Promise<Run> {
  const id = studyRowRunId(study.id, event.key);
  const config: StudyRowConfig = {
    kind: 'study-row',
    studyRunId: study.id,
    key: event.key,
    arm: event.arm,
    dataset: event.dataset,
    seed: event.seed,
    index: event.index,
    channels: event.network.channels,
    layers: event.network.layers,
  };
  let run = await em.findOne(Run, { id });
  if (!run) {
    run = em.create(Run, {
      id,
      experiment: study.experiment,
      kind: RunKind.TRAIN,
      status: RunStatus.SUCCEEDED,
      config: config as unknown as Record<string, unknown>,
      seed: event.seed,
      parent: study,
      tags: ['study', event.arm],
      name: `${event.arm} · ${event.dataset} · seed ${event.seed}${event.arm === 'random' ? ` #${event.index}` : ''}`,
      // The row ran inside the study's job: no events of its own are accepted (they would be unsigned).
      eventKey: null,
      source: RunSource.WORKER,
      workerId: study.workerId,
      backend: event.backend,
      stage: 'evaluate',
      startedAt: new Date(time.getTime() - event.seconds * 1000),
      finishedAt: time,
      lastEventAt: time,
    });
    em.persist(em.create(RunStatusChange, { run, status: RunStatus.SUCCEEDED, attempt: 0, at: time }));
  }
  const architecture = await architectureOf(run);
  run.architecture = architecture;
  for (const { attack, robustAccuracy } of event.attacks) {
    const fields = {
      architecture,
      run,
      // The row's data set, which may differ from its experiment's: a study spans several.
      dataset: event.dataset,
      attack: attack.name,
      attackSettings: settingsOf(attack),
      threatNorm: event.threatModel.norm,
      threatEpsilon: event.threatModel.epsilon,
      examples: event.examples,
      seed: event.seed,
      cleanAccuracy: event.cleanAccuracy,
      robustAccuracy,
      backend: event.backend,
      engineVersion: event.engineVersion,
    };
    const settingsKey = evaluationSettingsKey({ ...event, attack });
    const existing = await em.findOne(Evaluation, { run, settingsKey });
    if (existing) em.assign(existing, { ...fields, settingsKey });
    else em.persist(em.create(Evaluation, { ...fields, settingsKey }));
  }
  const fields = {
    study,
    run,
    key: event.key,
    dataset: event.dataset,
    arm: event.arm,
    seed: event.seed,
    index: event.index,
    architecture,
    params: event.params,
    flops: event.flops,
    channels: event.network.channels,
    layers: event.network.layers,
    cleanAccuracy: event.cleanAccuracy,
    worstCase: event.worstCase,
    attacks: event.attacks,
    threatNorm: event.threatModel.norm,
    threatEpsilon: event.threatModel.epsilon,
    examples: event.examples,
    seconds: event.seconds,
    planned: event.total,
  };
  const existing = await em.findOne(StudyRow, { study, key: event.key });
  if (existing) em.assign(existing, fields);
  else em.persist(em.create(StudyRow, fields));
  return run;
}

function settingsOf(attack: StudyRowEvent['attacks'][number]['attack']): Record<string, number> {
  const settings: Record<string, number> = {};
  if (attack.steps !== undefined) settings.steps = attack.steps;
  if (attack.stepSize !== undefined) settings.stepSize = attack.stepSize;
  if (attack.restarts !== undefined) settings.restarts = attack.restarts;
  return settings;
}
