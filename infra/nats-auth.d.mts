/** The two rendered files: infra/compose/nats/auth.conf and infra/k8s/base/nats/auth.conf. */
export const AUTH_FILES: string[];
export function loginOf(role: string): { user: string; passwordVariable: string };
export interface RolePermissions {
  why: string;
  publish: { allow?: string[]; deny?: string[] };
  subscribe: { allow?: string[]; deny?: string[] };
}
export function renderAuth(roles?: Record<string, RolePermissions>): string;
