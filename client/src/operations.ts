// The hub's logging operations the client sends; test/operations.test.ts validates each against the
// hub's schema (schema/graphql/schema.graphql), so a change of the API fails the client's tests.

export const CREATE_RUN = `mutation CreateRun($input: CreateRunInput!) {
  createRun(input: $input) { id status }
}`;

export const LOG_METRICS = `mutation LogMetrics($runId: ID!, $points: [MetricPointInput!]!) {
  logMetrics(runId: $runId, points: $points) { stored }
}`;

export const LOG_ARCHITECTURE = `mutation LogArchitecture($runId: ID!, $input: LogArchitectureInput!) {
  logArchitecture(runId: $runId, input: $input) { id }
}`;

export const LOG_EVALUATION = `mutation LogEvaluation($runId: ID!, $input: LogEvaluationInput!) {
  logEvaluation(runId: $runId, input: $input) { id }
}`;

export const LOG_STAGE = `mutation LogStage($runId: ID!, $stage: String!) { logStage(runId: $runId, stage: $stage) { id } }`;

export const HEARTBEAT = `mutation Heartbeat($runId: ID!) { heartbeatRun(runId: $runId) { id } }`;

export const FINISH_RUN = `mutation FinishRun($runId: ID!, $status: RunStatus!, $error: String) {
  finishRun(runId: $runId, status: $status, error: $error) { id status }
}`;

/** Every operation, by name. */
export const OPERATIONS = {
  CREATE_RUN,
  LOG_METRICS,
  LOG_ARCHITECTURE,
  LOG_EVALUATION,
  LOG_STAGE,
  HEARTBEAT,
  FINISH_RUN,
};
