/** The frame of every page: navigation, the API key, the live connection's state, the page. */
import { useState } from 'preact/hooks';
import { storedKey, storeKey } from '../lib/api.js';
import { resetLink } from '../lib/live.js';
import { paths } from '../lib/route.js';
import { ArchitecturePage } from '../pages/architecture.js';
import { ComparePage } from '../pages/compare.js';
import { ExperimentPage } from '../pages/experiment.js';
import { ExperimentsPage } from '../pages/experiments.js';
import { HealthPage } from '../pages/health.js';
import { LeaderboardPage } from '../pages/leaderboard.js';
import { RunPage } from '../pages/run.js';
import { StartStudyPage, StudyPage } from '../pages/study.js';
import { Link } from './common.js';
import { useLink, useRoute } from './hooks.js';

export function App() {
  const route = useRoute();
  const [key, setKey] = useState(storedKey());
  const changeKey = (next: string | null) => {
    storeKey(next);
    setKey(next);
    resetLink();
  };
  let page;
  switch (route.page) {
    case 'experiments':
      page = <ExperimentsPage key={key ?? ''} />;
      break;
    case 'experiment':
      page = <ExperimentPage key={`${route.id}${key}`} id={route.id} />;
      break;
    case 'run':
      page = <RunPage key={`${route.id}${key}`} id={route.id} />;
      break;
    case 'study':
      page = <StudyPage key={`${route.id}${key}`} id={route.id} />;
      break;
    case 'start-study':
      page = <StartStudyPage key={`${route.experimentId}${key}`} experimentId={route.experimentId} />;
      break;
    case 'architecture':
      page = <ArchitecturePage key={route.hash} hash={route.hash} />;
      break;
    case 'leaderboard':
      page = <LeaderboardPage query={route.query} />;
      break;
    case 'health':
      page = <HealthPage key={key ?? ''} />;
      break;
    case 'compare':
      page = <ComparePage key={route.ids.join()} ids={route.ids} />;
      break;
    case 'not-found':
      page = (
        <p class="error">
          There is no page at {route.path}. <Link href={paths.experiments()}>Go to the experiments.</Link>
        </p>
      );
  }
  return (
    <>
      <header class="top">
        <h1>
          <Link href={paths.experiments()}>LRNAS Hub</Link>
        </h1>
        <nav>
          <Link href={paths.experiments()}>Experiments</Link>
          <Link href={paths.leaderboard()}>Leaderboard</Link>
          <Link href={paths.compare([])}>Compare</Link>
          <Link href={paths.health()}>Health</Link>
        </nav>
        <KeyEntry current={key} onChange={changeKey} />
      </header>
      <LinkBanner />
      <main id="app">{page}</main>
    </>
  );
}

function LinkBanner() {
  const { state } = useLink();
  if (state === 'connected') return <div class="link ok" data-link="connected" />;
  return (
    <div class={`link ${state}`} data-link={state} role="status">
      {state === 'lost'
        ? 'Live connection to the gateway lost: reconnecting… (what you see may be out of date)'
        : state === 'refused'
          ? 'The gateway refused the stored API key: change or forget it (top right). No live updates until then.'
          : 'Connecting to the gateway for live updates…'}
    </div>
  );
}

function KeyEntry({ current, onChange }: { current: string | null; onChange: (key: string | null) => void }) {
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  if (!editing) {
    return (
      <div class="key">
        {current ? <span>API key …{current.slice(-4)}</span> : <span class="muted">read-only (no API key)</span>}{' '}
        <button class="small" id="key-edit" onClick={() => (setEditing(true), setText(''))}>
          {current ? 'Change' : 'Enter API key'}
        </button>
        {current && (
          <button class="small" onClick={() => onChange(null)}>
            Forget
          </button>
        )}
      </div>
    );
  }
  return (
    <form
      class="key"
      id="key-form"
      onSubmit={(e) => {
        e.preventDefault();
        const key = text.trim();
        // The gateway's keys are `lrnas_` + base64url; bootstrap keys are 32 to 200 of [A-Za-z0-9_-].
        if (!/^[A-Za-z0-9_-]{16,300}$/.test(key)) {
          setError('an API key is letters, digits, "_" and "-" only, at least 16 of them');
          return;
        }
        setError(null);
        setEditing(false);
        onChange(key);
      }}
    >
      <input
        name="api-key"
        type="password"
        autoComplete="off"
        placeholder="lrnas_…"
        value={text}
        onInput={(e) => setText(e.currentTarget.value)}
      />
      <button type="submit" class="small">
        Save
      </button>
      <button type="button" class="small" onClick={() => setEditing(false)}>
        Cancel
      </button>
      {error && <span class="field-error">{error}</span>}
      <span class="muted">kept in this browser only</span>
    </form>
  );
}
