/** The gateway's entities (architecture.md, "Domain model"). */
import { Architecture } from './architecture.js';
import { ArchitectureFinding } from './architecture-finding.js';
import { ArchitectureResult } from './architecture-result.js';
import { Artifact } from './artifact.js';
import { Evaluation } from './evaluation.js';
import { Experiment } from './experiment.js';
import { MetricPoint } from './metric-point.js';
import { Run, RunStatusChange } from './run.js';
import { RunResult } from './run-result.js';
import { ResultsVersion } from './results-version.js';
import { StudyRow } from './study-row.js';
import { ApiKey, Team } from './team.js';

export {
  Architecture,
  ArchitectureFinding,
  ArchitectureResult,
  Artifact,
  Evaluation,
  Experiment,
  MetricPoint,
  Run,
  RunStatusChange,
  RunResult,
  ResultsVersion,
  StudyRow,
  ApiKey,
  Team,
};
export { Visibility } from './experiment.js';
export { RunKind, RunSource, RunStatus } from './run.js';
export { WHOLE_SUITE } from './run-result.js';

export const ENTITIES = [
  Team,
  ApiKey,
  Experiment,
  Run,
  RunStatusChange,
  MetricPoint,
  Architecture,
  ArchitectureFinding,
  Evaluation,
  RunResult,
  ArchitectureResult,
  ResultsVersion,
  Artifact,
  StudyRow,
];
