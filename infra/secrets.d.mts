export const SECRET_VARIABLES: string[];
export const K8S_VARIABLES: string[];
export function newSecret(length?: number): string;
export function fillSecrets(text: string, names: string[], rotate?: string[]): string;
export function parseEnv(text: string): Record<string, string>;
export function makeTls(dir: string, dnsNames: string[], rotate?: string[]): { newCa: boolean; newCert: boolean };
export function k8sDnsNames(namespace: string): string[];
export function k8sSecretsYaml(env: Record<string, string>, tlsDir: string, namespace: string): string;
export function weakSecrets(env: Record<string, string>, names: string[]): string[];
