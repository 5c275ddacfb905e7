import type { NatsConnection } from 'nats';
import type { NatsServerHandle } from './nats-server.mjs';

export interface NatsTestState {
  /** A temporary directory removed after the file's tests. */
  readonly dataDir: string;
  readonly server: NatsServerHandle;
  /** Connected as `admin`. */
  readonly nc: NatsConnection;
}
export type NatsRole = 'gateway' | 'worker' | 'admin';
export function useNatsServer(prefix?: string, options?: { topology?: boolean }): NatsTestState;
export function natsLogin(server: NatsServerHandle, role: NatsRole): { nkeySeed: string };
export function natsLoginFlags(server: NatsServerHandle, role: NatsRole): string[];
export function natsLoginEnv(server: NatsServerHandle, role: NatsRole): { NATS_NKEY_SEED: string };
