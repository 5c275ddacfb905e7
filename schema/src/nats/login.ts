import { nkeyAuthenticator, nkeys, type ConnectionOptions } from 'nats';
import { ContractError } from '../errors.js';

/**
 * How a process proves who it is to NATS: an nkey (the seed signs the server's challenge, so no
 * secret crosses the wire; the local launcher and the tests use these), a user and password (each
 * role of schema/nats/roles.json has one in Compose and Kubernetes), or a token. Empty when the
 * server asks for nothing.
 */
export interface NatsLogin {
  user?: string;
  password?: string;
  token?: string;
  /** An nkey user seed, `SU…` (58 characters); the server knows only its public key `U…`. */
  nkeySeed?: string;
}

/** Where each part of a login was set (environment variables or flags), to name it in errors. */
export interface LoginSettingNames {
  user: string;
  password: string;
  token: string;
  nkeySeed: string;
}

export const LOGIN_ENV_NAMES: LoginSettingNames = {
  user: 'NATS_USER',
  password: 'NATS_PASSWORD',
  token: 'NATS_TOKEN',
  nkeySeed: 'NATS_NKEY_SEED',
};

/**
 * The login unchanged when it is one whole way of logging in, else a ContractError naming the
 * setting: a user needs a password (and the reverse), an nkey seed must decode, and two ways at once
 * are refused rather than one of them silently ignored.
 */
export function checkLogin(login: NatsLogin, names: LoginSettingNames = LOGIN_ENV_NAMES): NatsLogin {
  if ((login.user === undefined) !== (login.password === undefined)) {
    throw new ContractError(names.user, `a NATS user needs a password (${names.password}) and a password needs a user`);
  }
  const ways = [
    login.user !== undefined && names.user,
    login.token !== undefined && names.token,
    login.nkeySeed !== undefined && names.nkeySeed,
  ].filter((name): name is string => Boolean(name));
  if (ways.length > 1) throw new ContractError(ways[1]!, `give one NATS login, not ${ways.join(' and ')}`);
  if (login.nkeySeed !== undefined && !isUserSeed(login.nkeySeed)) {
    throw new ContractError(names.nkeySeed, 'must be an nkey user seed (58 characters starting with "SU")');
  }
  return login;
}

function isUserSeed(seed: string): boolean {
  if (!seed.startsWith('SU')) return false;
  try {
    nkeys.fromSeed(new TextEncoder().encode(seed));
    return true;
  } catch {
    return false;
  }
}

/** The login as `nats` connection options. */
export function loginOptions(login: NatsLogin): Pick<ConnectionOptions, 'user' | 'pass' | 'token' | 'authenticator'> {
  return {
    ...(login.user !== undefined && { user: login.user, pass: login.password }),
    ...(login.token !== undefined && { token: login.token }),
    ...(login.nkeySeed !== undefined && {
      authenticator: nkeyAuthenticator(new TextEncoder().encode(login.nkeySeed)),
    }),
  };
}

/**
 * The login given by NATS_USER, NATS_PASSWORD, NATS_TOKEN and NATS_NKEY_SEED (empty values count as
 * unset), checked.
 */
export function loginFromEnv(env: NodeJS.ProcessEnv): NatsLogin {
  return checkLogin({
    ...(env.NATS_USER && { user: env.NATS_USER }),
    ...(env.NATS_PASSWORD && { password: env.NATS_PASSWORD }),
    ...(env.NATS_TOKEN && { token: env.NATS_TOKEN }),
    ...(env.NATS_NKEY_SEED && { nkeySeed: env.NATS_NKEY_SEED }),
  });
}
