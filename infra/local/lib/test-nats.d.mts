import type { NatsConnection } from 'nats';
import type { NatsServerHandle } from './nats-server.mjs';

export interface NatsTestState {
  /** A temporary directory removed after the file's tests. */
  readonly dataDir: string;
  readonly server: NatsServerHandle;
  readonly nc: NatsConnection;
}
export function useNatsServer(prefix?: string): NatsTestState;
