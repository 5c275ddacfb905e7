/** The platform-status panel: gateway, database, NATS and workers. */

export interface HealthData {
  health: {
    version: string;
    database: { kind: string; connected: boolean };
    nats: { connected: boolean; jetStream: boolean; server: string | null; error: string | null };
    workers: {
      id: string;
      host: string;
      backend: string;
      device: string;
      adapter: { vendor: string; architecture: string; description: string; software: boolean } | null;
      engineVersion: string;
      currentJobs: string[];
      seenAt: string;
    }[];
  };
}

export const HEALTH_QUERY = `query Health {
  health {
    version
    database { kind connected }
    nats { connected jetStream server error }
    workers {
      id
      host
      backend
      device
      adapter { vendor architecture description software }
      engineVersion
      currentJobs
      seenAt
    }
  }
}`;

/** Without an API key the gateway answers only whether it is up. */
export const HEALTH_STATUS_QUERY = `query HealthStatus { health { status } }`;

export interface HealthStatusData {
  health: { status: string };
}

const escape = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const badge = (ok: boolean, yes: string, no: string): string =>
  `<span class="badge ${ok ? 'ok' : 'down'}">${ok ? yes : no}</span>`;

/** A worker's WebGPU adapter: vendor and architecture, the driver's name beneath; a dash off webgpu. */
function adapterCell(adapter: HealthData['health']['workers'][number]['adapter']): string {
  if (!adapter) return '&ndash;';
  const head = [adapter.vendor, adapter.architecture].filter(Boolean).join(' ');
  const kind = adapter.software ? ' <span class="badge down">software</span>' : '';
  return `${escape(head)}${kind}<br><small>${escape(adapter.description)}</small>`;
}

/** HTML of the panel for one health answer. */
export function renderHealth({ health }: HealthData): string {
  const workers = health.workers.length
    ? `<table class="workers"><thead><tr><th>Worker</th><th>Host</th><th>Backend</th><th>Device</th><th>Adapter</th><th>Engine</th><th>Jobs</th></tr></thead><tbody>${health.workers
        .map(
          (w) =>
            `<tr data-worker="${escape(w.id)}"><td>${escape(w.id)}</td><td>${escape(w.host)}</td><td>${escape(w.backend)}</td><td>${escape(w.device)}</td><td data-field="adapter">${adapterCell(w.adapter)}</td><td>${escape(w.engineVersion)}</td><td>${w.currentJobs.length}</td></tr>`,
        )
        .join('')}</tbody></table>`
    : '<p class="empty">No worker is connected. Start one with <code>npm start</code> or <code>lrnas-worker</code>.</p>';
  return `<section class="panel" id="health">
  <h2>Platform</h2>
  <dl>
    <dt>Gateway</dt><dd>v${escape(health.version)}</dd>
    <dt>Database</dt><dd data-field="database">${escape(health.database.kind)} ${badge(health.database.connected, 'connected', 'unreachable')}</dd>
    <dt>NATS</dt><dd data-field="nats">${badge(health.nats.connected, 'connected', 'disconnected')} ${escape(health.nats.server ?? health.nats.error ?? '')}</dd>
    <dt>Workers</dt><dd data-field="workers">${health.workers.length}</dd>
  </dl>
  ${workers}
</section>`;
}

/** HTML of the panel for a caller without an API key: the platform's status alone. */
export function renderHealthStatus({ health }: HealthStatusData): string {
  return `<section class="panel" id="health">
  <h2>Platform</h2>
  <dl>
    <dt>Status</dt><dd data-field="status">${badge(health.status === 'ok', 'ok', escape(health.status))}</dd>
  </dl>
  <p class="empty">Enter an API key to see the database, NATS and workers.</p>
</section>`;
}
