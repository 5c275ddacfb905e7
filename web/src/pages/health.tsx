/** The platform panel (gateway, database, NATS, workers), refreshed every few seconds. */
import { useEffect } from 'preact/hooks';
import { HEALTH_QUERY, renderHealth, type HealthData } from '../health-view.js';
import { ErrorBox } from '../ui/common.js';
import { useQuery } from '../ui/hooks.js';

export function HealthPanel() {
  const q = useQuery<HealthData>(HEALTH_QUERY, {});
  useEffect(() => {
    const timer = setInterval(q.reload, 5000);
    return () => clearInterval(timer);
  }, []);
  if (q.error) return <ErrorBox error={q.error} what="Platform status unavailable" />;
  // renderHealth escapes every text from the server.
  return q.data ? <div dangerouslySetInnerHTML={{ __html: renderHealth(q.data) }} /> : null;
}
