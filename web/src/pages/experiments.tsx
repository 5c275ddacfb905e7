/** Experiments: the list, a form to create one, archiving. */
import { DATASET_CHOICES } from '../lib/leaderboard-filters.js';
import { useState } from 'preact/hooks';
import type { ApiError } from '../lib/api.js';
import { request, storedKey } from '../lib/api.js';
import { count, time } from '../lib/format.js';
import { CREATE_EXPERIMENT, ARCHIVE_EXPERIMENT, EXPERIMENTS } from '../lib/queries.js';
import { paths } from '../lib/route.js';
import { ErrorBox, Field, Link, Loading } from '../ui/common.js';
import { navigate, useQuery } from '../ui/hooks.js';

export interface ExperimentItem {
  id: string;
  name: string;
  description: string | null;
  dataset: string;
  parameterBudget: number | null;
  tags: string[];
  visibility: string;
  archivedAt: string | null;
  createdAt: string;
  threatModel: { norm: string; epsilon: number; label: string };
  team: { name: string };
}

export const DATASETS = DATASET_CHOICES;

export function ExperimentsPage() {
  const [showArchived, setShowArchived] = useState(false);
  const list = useQuery<{ experiments: ExperimentItem[] }>(EXPERIMENTS, { includeArchived: showArchived });
  const [archiveError, setArchiveError] = useState<ApiError | null>(null);
  const archive = async (id: string) => {
    try {
      await request(ARCHIVE_EXPERIMENT, { id });
      setArchiveError(null);
      list.reload();
    } catch (error) {
      setArchiveError(error as ApiError);
    }
  };
  return (
    <div class="page" data-page="experiments">
      <h2>Experiments</h2>
      <label class="inline">
        <input type="checkbox" checked={showArchived} onChange={(e) => setShowArchived(e.currentTarget.checked)} /> show
        archived
      </label>
      <ErrorBox error={list.error} what="Cannot list experiments" />
      <ErrorBox error={archiveError} what="Cannot archive" />
      {list.loading && !list.data ? <Loading /> : null}
      {list.data && list.data.experiments.length === 0 && <p class="empty">No experiments yet.</p>}
      {list.data && list.data.experiments.length > 0 && (
        <table class="table" id="experiments">
          <thead>
            <tr>
              <th>Name</th>
              <th>Data set</th>
              <th>Threat model</th>
              <th>Budget</th>
              <th>Tags</th>
              <th>Team</th>
              <th>Created</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {list.data.experiments.map((e) => (
              <tr key={e.id} data-experiment={e.id} class={e.archivedAt ? 'archived' : ''}>
                <td>
                  <Link href={paths.experiment(e.id)}>{e.name}</Link>
                  {e.visibility === 'PUBLIC' && <span class="tag">public</span>}
                </td>
                <td>{e.dataset}</td>
                <td>{e.threatModel.label}</td>
                <td>{count(e.parameterBudget)}</td>
                <td>{e.tags.join(', ')}</td>
                <td>{e.team.name}</td>
                <td>{time(e.createdAt)}</td>
                <td>
                  {e.archivedAt ? (
                    <span class="muted">archived</span>
                  ) : storedKey() ? (
                    <button class="small" onClick={() => void archive(e.id)}>
                      Archive
                    </button>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <CreateExperiment />
    </div>
  );
}

function CreateExperiment() {
  const [values, setValues] = useState({
    name: '',
    description: '',
    dataset: 'MNIST',
    norm: 'LINF',
    epsilon: '0.3',
    parameterBudget: '',
    tags: '',
    visibility: 'PRIVATE',
  });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (key: keyof typeof values) => (e: Event) =>
    setValues({ ...values, [key]: (e.currentTarget as HTMLInputElement).value });

  if (!storedKey()) {
    return (
      <section class="panel">
        <h3>New experiment</h3>
        <p class="muted">Read-only: enter an API key (top right) to create experiments and start runs.</p>
      </section>
    );
  }

  const submit = async (e: Event) => {
    e.preventDefault();
    const local: Record<string, string> = {};
    const epsilon = Number(values.epsilon);
    if (!values.name.trim()) local.name = 'give the experiment a name';
    if (!Number.isFinite(epsilon) || epsilon <= 0) local.epsilon = 'epsilon must be a number above 0';
    const budget = values.parameterBudget.trim() === '' ? undefined : Number(values.parameterBudget);
    if (budget !== undefined && (!Number.isInteger(budget) || budget <= 0)) {
      local.parameterBudget = 'the budget must be a whole number of parameters above 0';
    }
    setErrors(local);
    if (Object.keys(local).length) return;
    setBusy(true);
    try {
      const created = await request<{ createExperiment: { id: string } }>(CREATE_EXPERIMENT, {
        input: {
          name: values.name.trim(),
          ...(values.description.trim() && { description: values.description.trim() }),
          dataset: values.dataset,
          threatModel: { norm: values.norm, epsilon },
          ...(budget !== undefined && { parameterBudget: budget }),
          tags: values.tags
            .split(',')
            .map((t) => t.trim())
            .filter(Boolean),
          visibility: values.visibility,
        },
      });
      navigate(paths.experiment(created.createExperiment.id));
    } catch (error) {
      const api = error as ApiError;
      const byField: Record<string, string> = {};
      for (const item of api.errors ?? []) {
        const field = item.extensions?.field?.replace(/^input\./, '').replace(/^threatModel\./, '');
        if (field && field in values) byField[field] = item.message;
      }
      setErrors(byField);
      setFailure(Object.keys(byField).length ? null : api);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="panel">
      <h3>New experiment</h3>
      <form class="form" id="create-experiment" onSubmit={(e) => void submit(e)} noValidate>
        <Field label="Name" id="name" error={errors.name}>
          <input name="name" value={values.name} onInput={set('name')} />
        </Field>
        <Field label="Data set" id="dataset" error={errors.dataset}>
          <select name="dataset" value={values.dataset} onChange={set('dataset')}>
            {DATASETS.map((d) => (
              <option key={d}>{d}</option>
            ))}
          </select>
        </Field>
        <Field label="Norm" id="norm" error={errors.norm}>
          <select name="norm" value={values.norm} onChange={set('norm')}>
            <option value="LINF">L∞</option>
            <option value="L2">L2</option>
          </select>
        </Field>
        <Field label="Epsilon" id="epsilon" error={errors.epsilon} help="on [0, 1] pixels, e.g. 0.031373 for 8/255">
          <input name="epsilon" value={values.epsilon} onInput={set('epsilon')} />
        </Field>
        <Field label="Parameter budget" id="parameterBudget" error={errors.parameterBudget} help="optional">
          <input name="parameterBudget" value={values.parameterBudget} onInput={set('parameterBudget')} />
        </Field>
        <Field label="Tags" id="tags" error={errors.tags} help="comma separated">
          <input name="tags" value={values.tags} onInput={set('tags')} />
        </Field>
        <Field label="Visibility" id="visibility" error={errors.visibility}>
          <select name="visibility" value={values.visibility} onChange={set('visibility')}>
            <option value="PRIVATE">private to my team</option>
            <option value="PUBLIC">public</option>
          </select>
        </Field>
        <Field label="Description" id="description" error={errors.description}>
          <textarea name="description" value={values.description} onInput={set('description')} rows={2} />
        </Field>
        <ErrorBox error={failure} what="Not created" />
        <div class="actions">
          <button type="submit" disabled={busy}>
            Create experiment
          </button>
        </div>
      </form>
    </section>
  );
}
