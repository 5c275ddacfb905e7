/** Start a search or a pipeline: presets, every setting, errors next to the fields. */
import { useState } from 'preact/hooks';
import type { ApiError } from '../lib/api.js';
import { request } from '../lib/api.js';
import { START_PIPELINE, START_SEARCH } from '../lib/queries.js';
import { paths } from '../lib/route.js';
import {
  FIELDS,
  PRESET_VALUES,
  SECTIONS_OF,
  buildStartInput,
  fieldOfServerError,
  type FieldErrors,
  type FieldSpec,
} from '../lib/settings-form.js';
import { ErrorBox, Field } from './common.js';
import { navigate } from './hooks.js';

const SECTION_TITLES = {
  run: 'Run',
  search: 'Search',
  selection: 'Selection',
  train: 'Retraining',
  evaluate: 'Evaluation',
};

export function StartRunForm({ experimentId, budget }: { experimentId: string; budget: number | null }) {
  const [kind, setKind] = useState<'pipeline' | 'search'>('pipeline');
  const [values, setValues] = useState<Record<string, string>>({});
  const [errors, setErrors] = useState<FieldErrors>({});
  const [failure, setFailure] = useState<ApiError | string | null>(null);
  const [busy, setBusy] = useState(false);
  const preset = (values['search.preset'] || 'tiny') as 'tiny' | 'paper';
  const placeholder = (spec: FieldSpec) => {
    // The gateway takes the budget from the experiment, never from a preset.
    if (spec.id === 'selection.budget') return budget ? String(budget) : 'required: the experiment has none';
    return PRESET_VALUES[preset][spec.id] ?? '';
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    const { input, errors: local } = buildStartInput(kind, experimentId, values);
    setErrors(local);
    setFailure(Object.keys(local).length ? 'Some settings are not valid; see the marked fields.' : null);
    if (Object.keys(local).length) return;
    setBusy(true);
    try {
      const data = await request<Record<string, { id: string }>>(kind === 'pipeline' ? START_PIPELINE : START_SEARCH, {
        input,
      });
      const run = data.startPipeline ?? data.startSearch;
      navigate(paths.run(run!.id));
    } catch (error) {
      const api = error as ApiError;
      const byField: FieldErrors = {};
      const rest: string[] = [];
      for (const item of api.errors ?? []) {
        const field = fieldOfServerError(item.extensions?.field);
        // The message starts with the field's path, which the form shows by placement instead.
        if (field) byField[field] ??= item.message.replace(/^input\.[\w.[\]]+: /, '');
        else rest.push(item.message);
      }
      setErrors(byField);
      setFailure(
        rest.length || !api.errors?.length ? api : 'The gateway refused some settings; see the marked fields.',
      );
    } finally {
      setBusy(false);
    }
  };

  const fillPreset = (name: 'tiny' | 'paper') => {
    const next: Record<string, string> = { 'search.preset': name };
    for (const [id, v] of Object.entries(PRESET_VALUES[name])) next[id] = v;
    if (budget) next['selection.budget'] = String(budget);
    setValues(next);
    setErrors({});
  };

  return (
    <section class="panel">
      <h3>Start a run</h3>
      <form class="form start-form" id="start-run" onSubmit={(e) => void submit(e)} noValidate>
        <div class="row">
          <label class="inline">
            <input type="radio" name="kind" checked={kind === 'pipeline'} onChange={() => setKind('pipeline')} />{' '}
            pipeline (search, select, retrain, evaluate)
          </label>
          <label class="inline">
            <input type="radio" name="kind" checked={kind === 'search'} onChange={() => setKind('search')} /> search and
            selection only
          </label>
          <span class="muted">Fill from preset:</span>
          <button type="button" class="small" onClick={() => fillPreset('tiny')}>
            tiny
          </button>
          <button type="button" class="small" onClick={() => fillPreset('paper')}>
            paper
          </button>
          <button type="button" class="small" onClick={() => (setValues({}), setErrors({}))}>
            clear
          </button>
        </div>
        <p class="muted">Empty fields take the preset's value (shown greyed) or the experiment's.</p>
        {SECTIONS_OF[kind].map((section) => (
          <fieldset key={section} data-section={section}>
            <legend>{SECTION_TITLES[section]}</legend>
            {FIELDS.filter((s) => s.section === section).map((spec) => (
              <Field key={spec.id} label={spec.label} id={spec.id} error={errors[spec.id]} help={spec.help}>
                <Control
                  spec={spec}
                  value={values[spec.id] ?? ''}
                  placeholder={placeholder(spec)}
                  onChange={(v) => setValues({ ...values, [spec.id]: v })}
                />
              </Field>
            ))}
          </fieldset>
        ))}
        <ErrorBox error={failure} what="Not started" />
        <div class="actions">
          <button type="submit" disabled={busy}>
            Start {kind}
          </button>
        </div>
      </form>
    </section>
  );
}

function Control(props: { spec: FieldSpec; value: string; placeholder: string; onChange: (v: string) => void }) {
  const { spec } = props;
  if (spec.type === 'enum' || spec.type === 'bool') {
    const options = spec.type === 'bool' ? ['true', 'false'] : spec.options!;
    return (
      <select name={spec.id} value={props.value} onChange={(e) => props.onChange(e.currentTarget.value)}>
        <option value="">{props.placeholder ? `default (${props.placeholder})` : 'default'}</option>
        {options.map((o) => (
          <option key={o} value={o}>
            {spec.type === 'bool' ? (o === 'true' ? 'yes' : 'no') : o}
          </option>
        ))}
      </select>
    );
  }
  return (
    <input
      name={spec.id}
      value={props.value}
      placeholder={props.placeholder}
      inputMode={spec.type === 'int' || spec.type === 'number' ? 'decimal' : undefined}
      onInput={(e) => props.onChange(e.currentTarget.value)}
    />
  );
}
