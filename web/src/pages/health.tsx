/** The health page: the platform's parts (gateway, database, NATS, workers), refreshed every few seconds. */
import { useEffect } from 'preact/hooks';
import {
  HEALTH_QUERY,
  HEALTH_STATUS_QUERY,
  renderHealth,
  renderHealthStatus,
  type HealthData,
  type HealthStatusData,
} from '../health-view.js';
import { storedKey } from '../lib/api.js';
import { ErrorBox } from '../ui/common.js';
import { useQuery } from '../ui/hooks.js';

export function HealthPage() {
  return (
    <div class="page" data-page="health">
      <h2>Platform health</h2>
      <HealthPanel />
    </div>
  );
}

function HealthPanel() {
  // The details (hosts, servers, versions) are answered only to callers with an API key.
  const keyed = storedKey() !== null;
  const q = useQuery<HealthData | HealthStatusData>(keyed ? HEALTH_QUERY : HEALTH_STATUS_QUERY, { keyed });
  useEffect(() => {
    const timer = setInterval(q.reload, 5000);
    return () => clearInterval(timer);
  }, []);
  if (q.error) return <ErrorBox error={q.error} what="Platform status unavailable" />;
  // renderHealth escapes every text from the server.
  if (!q.data) return null;
  const html =
    'database' in q.data.health ? renderHealth(q.data as HealthData) : renderHealthStatus(q.data as HealthStatusData);
  return <div dangerouslySetInnerHTML={{ __html: html }} />;
}
