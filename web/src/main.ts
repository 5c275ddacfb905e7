import './style.css';
import { graphql } from './graphql.js';
import { HEALTH_QUERY, renderHealth, type HealthData } from './health-view.js';

const app = document.querySelector<HTMLElement>('#app')!;
const REFRESH_MS = 3000;

async function refresh(): Promise<void> {
  try {
    app.innerHTML = renderHealth(await graphql<HealthData>(HEALTH_QUERY));
  } catch (error) {
    app.innerHTML = `<p class="error">Cannot reach the gateway: ${String((error as Error).message)}</p>`;
  } finally {
    setTimeout(() => void refresh(), REFRESH_MS);
  }
}

void refresh();
