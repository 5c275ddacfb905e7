import type { ConnectionOptions } from 'nats';

/**
 * How a process proves who it is to NATS: a user and password (each role of schema/nats/roles.json
 * has one), or a token. Empty when the server asks for nothing.
 */
export interface NatsLogin {
  user?: string;
  password?: string;
  token?: string;
}

/** The login as `nats` connection options. */
export function loginOptions(login: NatsLogin): Pick<ConnectionOptions, 'user' | 'pass' | 'token'> {
  return {
    ...(login.user !== undefined && { user: login.user, pass: login.password }),
    ...(login.token !== undefined && { token: login.token }),
  };
}

/** The login given by NATS_USER, NATS_PASSWORD and NATS_TOKEN (empty values count as unset). */
export function loginFromEnv(env: NodeJS.ProcessEnv): NatsLogin {
  return {
    ...(env.NATS_USER && { user: env.NATS_USER }),
    ...(env.NATS_PASSWORD && { password: env.NATS_PASSWORD }),
    ...(env.NATS_TOKEN && { token: env.NATS_TOKEN }),
  };
}
