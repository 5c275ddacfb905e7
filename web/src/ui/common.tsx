/** Small shared pieces: links that navigate in place, status badges, error boxes. */
import type { ComponentChildren } from 'preact';
import type { ApiError } from '../lib/api.js';
import { navigate } from './hooks.js';

/** An anchor that changes the page without a reload (and still opens in a new tab). */
export function Link(props: { href: string; children: ComponentChildren; class?: string; title?: string }) {
  return (
    <a
      href={props.href}
      class={props.class}
      title={props.title}
      onClick={(e) => {
        if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
        e.preventDefault();
        navigate(props.href);
      }}
    >
      {props.children}
    </a>
  );
}

export function StatusBadge({ status }: { status: string }) {
  return (
    <span class={`status status-${status.toLowerCase()}`} data-status={status}>
      {status}
    </span>
  );
}

/** An error said plainly, with the gateway's code. */
export function ErrorBox({ error, what }: { error: ApiError | string | null; what?: string }) {
  if (!error) return null;
  const message = typeof error === 'string' ? error : error.message;
  const code = typeof error === 'string' ? null : error.code;
  const refusedKey = typeof error !== 'string' && error.status === 401;
  const hint =
    code === 'UNAUTHENTICATED' && !refusedKey
      ? ' Enter an API key at the top right.'
      : code === 'NOT_FOUND'
        ? ' It does not exist, or it is private to another team.'
        : '';
  return (
    <p class="error" role="alert">
      {what ? `${what}: ` : ''}
      {message}
      {code && <span class="code"> [{code}]</span>}
      {hint}
    </p>
  );
}

export function Loading() {
  return <p class="muted">Loading…</p>;
}

/** A labelled form control with its error underneath. */
export function Field(props: {
  label: string;
  id: string;
  error?: string | undefined;
  help?: string | undefined;
  children: ComponentChildren;
}) {
  return (
    <label class={`field${props.error ? ' invalid' : ''}`} data-field={props.id}>
      <span class="label">{props.label}</span>
      {props.children}
      {props.error ? (
        <span class="field-error" role="alert">
          {props.error}
        </span>
      ) : props.help ? (
        <span class="help">{props.help}</span>
      ) : null}
    </label>
  );
}
