/** The GraphQL operations of the dashboard, in one place. */

export const EXPERIMENT_FIELDS = `id name description dataset parameterBudget tags visibility archivedAt createdAt
  threatModel { norm epsilon label } team { name }`;

export const EXPERIMENTS = `query Experiments($includeArchived: Boolean!) {
  experiments(first: 200, includeArchived: $includeArchived) { ${EXPERIMENT_FIELDS} }
}`;

export const CREATE_EXPERIMENT = `mutation CreateExperiment($input: CreateExperimentInput!) {
  createExperiment(input: $input) { id }
}`;

export const ARCHIVE_EXPERIMENT = `mutation Archive($id: ID!) { archiveExperiment(id: $id) { id archivedAt } }`;

export const ROW_FIELDS = `id kind status stage workerId createdAt startedAt finishedAt
  architecture { hash params } evaluations { cleanAccuracy robustAccuracy }`;

export const EXPERIMENT_PAGE = `query ExperimentPage($id: ID!) {
  experiment(id: $id) {
    ${EXPERIMENT_FIELDS}
    runs(first: 100) { totalCount pageInfo { hasNextPage endCursor } edges { node { ${ROW_FIELDS} } } }
  }
}`;

export const EXPERIMENT_RUNS_PAGE = `query ExperimentRunsPage($id: ID!, $after: String) {
  experiment(id: $id) {
    runs(first: 100, after: $after) { pageInfo { hasNextPage endCursor } edges { node { ${ROW_FIELDS} } } }
  }
}`;

export const EXPERIMENT_RUNS_LIVE = `subscription ExperimentRuns($experimentId: ID!) {
  runUpdated(experimentId: $experimentId) { ${ROW_FIELDS} }
}`;

export const START_PIPELINE = `mutation StartPipeline($input: StartPipelineInput!) { startPipeline(input: $input) { id } }`;
export const START_SEARCH = `mutation StartSearch($input: StartSearchInput!) { startSearch(input: $input) { id } }`;

export const RUN_FIELDS = `id kind status stage config seed tags studyRow { studyRunId arm dataset seed } workerId backend source client loggedBy name attempts stalled
  createdAt startedAt finishedAt lastEventAt metricKeys
  progress { stage phase done total fraction rate etaSeconds } error { code message }
  experiment { id name dataset threatModel { norm epsilon label } }
  architecture { hash genotype params flops channels layers }
  stages { stage startedAt endedAt }
  statusHistory { status stage attempt at message }
  artifacts { kind name digest size stage createdAt }
  evaluations { id attack attackSettings examples seed cleanAccuracy robustAccuracy engineVersion threatModel { norm epsilon label } }`;

export const RUN = `query Run($id: ID!) { run(id: $id) { ${RUN_FIELDS} } }`;
export const RUN_LIVE = `subscription RunLive($runId: ID!) { runUpdated(runId: $runId) { ${RUN_FIELDS} } }`;
export const CANCEL_RUN = `mutation Cancel($id: ID!) { cancelRun(id: $id) { id status } }`;

export const ACTIVITY = `subscription Activity($runId: ID!) {
  runActivity(runId: $runId) { type attempt seq time level message epoch alphas contributions }
}`;

export const METRIC_SERIES = `query Series($runId: ID!, $keys: [String!]) {
  metricSeries(runId: $runId, keys: $keys, maxPoints: 400) { key totalPoints points { step value } }
}`;
export const METRICS_LIVE = `subscription Metrics($runId: ID!) {
  metricsAdded(runId: $runId) { runId series { key points { step value } } }
}`;

export const ARCHITECTURE_FIELDS = `hash genotype params flops channels layers classes createdAt
  originRun { id kind experiment { id name } }`;

export const ARCHITECTURE = `query Architecture($hash: ID!) {
  architecture(hash: $hash) { ${ARCHITECTURE_FIELDS} }
  evaluations(architecture: $hash, first: 500) {
    id dataset attack attackSettings examples seed cleanAccuracy robustAccuracy backend engineVersion createdAt
    threatModel { label } run { id kind experiment { id name } }
  }
}`;

export const ARCHITECTURE_GENOTYPE = `query Genotype($hash: ID!) { architecture(hash: $hash) { hash genotype params } }`;

const ENTRY_FIELDS = `rank params flops robustAccuracy cleanAccuracy
  architecture { hash }
  run { id source workerId backend client loggedBy studyRow { studyRunId arm seed } experiment { id name } }
  decisive { attack }
  suite { attack robustAccuracy }`;

export const LEADERBOARD = `query Leaderboard($dataset: Dataset!, $threatModel: ThreatModelInput!, $maxParams: Float, $attack: Attack) {
  leaderboard(dataset: $dataset, threatModel: $threatModel, maxParams: $maxParams, attack: $attack, first: 200) {
    ${ENTRY_FIELDS}
  }
}`;

export const LEADERBOARD_LIVE = `subscription LeaderboardLive($dataset: Dataset!, $threatModel: ThreatModelInput!, $maxParams: Float, $attack: Attack) {
  leaderboardChanged(dataset: $dataset, threatModel: $threatModel, maxParams: $maxParams, attack: $attack) {
    ${ENTRY_FIELDS}
  }
}`;

/**
 * Where results exist: the data set, threat model and attack of the latest evaluations, for the
 * leaderboard's default view and for saying which filter hides results.
 */
export const EVALUATED_BOARDS = `query EvaluatedBoards {
  evaluations(first: 500) { dataset attack threatModel { norm epsilon label } }
}`;

/** The leaderboard's Pareto front as the API computes it (the table marks its entries). */
export const PARETO_FRONT = `query ParetoFront($dataset: Dataset!, $threatModel: ThreatModelInput!, $attack: Attack) {
  paretoFront(dataset: $dataset, threatModel: $threatModel, attack: $attack) { architecture { hash } }
}`;

export const COMPARE = `query Compare($ids: [ID!]!) {
  compareRuns(ids: $ids) {
    runs { id kind status metricKeys architecture { hash genotype params } experiment { name } }
    configDifferences { path values }
    metrics { key values }
  }
}`;

export const START_STUDY = `mutation StartStudy($input: StartStudyInput!) { startStudy(input: $input) { id } }`;

const MEAN_SPREAD = `mean spread n`;

export const STUDY = `query Study($id: ID!) {
  study(runId: $id) {
    run { id status stage finishedAt error { code message } experiment { id name }
      progress { stage phase done total fraction } }
    settings
    planned
    rows { key dataset arm seed index params flops channels layers cleanAccuracy worstCase examples seconds
      attacks { attack robustAccuracy } architecture { hash } run { id } }
    table { dataset arm params { ${MEAN_SPREAD} } flops { ${MEAN_SPREAD} } clean { ${MEAN_SPREAD} }
      attacks { attack robust { ${MEAN_SPREAD} } } worstCase { ${MEAN_SPREAD} } }
  }
}`;

/** Tells the study page that its run changed (a row finished, a stage began, it ended): it reads the study again. */
export const STUDY_LIVE = `subscription StudyLive($id: ID!) { runUpdated(runId: $id) { id status } }`;
