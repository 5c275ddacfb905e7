// Unknown-field detection for Kubernetes objects. The JSON schemas in kubernetes-models accept
// unknown keys (as the OpenAPI schemas do), while `kubectl apply` rejects them (strict field
// validation since Kubernetes 1.27): a misspelt `readinesProbe` would pass the schema check and
// fail the deploy. The packages' type declarations (.d.ts) list every field of every type, so this
// reads them: `"name"?: Type;` members, inline object types (the CRD packages), `Array<...>`,
// index signatures (maps: any key) and references to other interfaces through their imports.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { isRecord } from './files.js';

type Shape =
  | { kind: 'object'; props: Map<string, Shape>; open: boolean }
  | { kind: 'array'; item: Shape }
  | { kind: 'ref'; name: string; file: string }
  | { kind: 'leaf' };

const require = createRequire(import.meta.url);
const fileCache = new Map<string, { root: Shape; imports: Map<string, string> }>();

/** Reads a .d.ts file: its first exported interface's shape, and where its imports come from. */
function loadDeclarations(file: string): { root: Shape; imports: Map<string, string> } {
  const cached = fileCache.get(file);
  if (cached) return cached;
  const text = fs.readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
  const imports = new Map<string, string>();
  for (const m of text.matchAll(/import \{ ([^}]+) \} from "([^"]+)";/g)) {
    const spec = m[2]!;
    let target: string;
    if (spec.startsWith('.')) target = path.resolve(path.dirname(file), `${spec}.d.ts`);
    else {
      // Node's lookup through the node_modules folders above (packages do not export their .d.ts).
      const parts = spec.split('/');
      const pkgName = spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
      let dir = path.dirname(file);
      while (!fs.existsSync(path.join(dir, 'node_modules', pkgName)) && path.dirname(dir) !== dir) {
        dir = path.dirname(dir);
      }
      target = path.join(dir, 'node_modules', pkgName, `${spec.slice(pkgName.length + 1)}.d.ts`);
    }
    for (const name of m[1]!.split(',').map((s) => s.trim())) imports.set(name, target);
  }
  const start = text.search(/export interface I\w+(?: extends [\w, ]+)? \{/);
  // No interface: a type alias (IntOrString, Quantity: strings or numbers), nothing to check inside.
  const root: Shape = start < 0 ? { kind: 'leaf' } : parseObject(text, text.indexOf('{', start), file).shape;
  const parsed = { root, imports };
  fileCache.set(file, parsed);
  return parsed;
}

/** Parses `{ members }` starting at text[pos] === '{'. */
function parseObject(text: string, pos: number, file: string): { shape: Shape; end: number } {
  const props = new Map<string, Shape>();
  let open = false;
  let i = pos + 1;
  for (;;) {
    while (/\s/.test(text[i]!)) i++;
    const c = text[i]!;
    if (c === '}') return { shape: { kind: 'object', props, open }, end: i + 1 };
    if (c === '[') {
      open = true; // index signature: a map
      i = skipType(text, text.indexOf(':', text.indexOf(']', i)) + 1).end + 1;
      continue;
    }
    const m = /^"([^"]+)"\??:\s*|^(\w+)\??:\s*|^(\w+)\(/.exec(text.slice(i, i + 300));
    if (!m) throw new Error(`cannot read ${file} at ${text.slice(i, i + 40)}`);
    if (m[3] !== undefined) {
      // A method (the class part): skip to the end of the statement.
      i = skipType(text, i).end + 1;
      continue;
    }
    const name = (m[1] ?? m[2])!;
    const type = parseType(text, i + m[0].length, file);
    props.set(name, type.shape);
    i = type.end + 1; // past ';'
  }
}

function parseType(text: string, pos: number, file: string): { shape: Shape; end: number } {
  let i = pos;
  while (/\s/.test(text[i]!)) i++;
  if (text[i] === '{') {
    const inner = parseObject(text, i, file);
    const rest = skipType(text, inner.end);
    return { shape: inner.shape, end: rest.end };
  }
  if (text.startsWith('Array<', i)) {
    const inner = parseType(text, i + 'Array<'.length, file);
    // parseType stops at the '>' closing the Array here
    const rest = skipType(text, inner.end + 1);
    return { shape: { kind: 'array', item: inner.shape }, end: rest.end };
  }
  const rest = skipType(text, i);
  const word = text.slice(i, rest.end).trim();
  if (/^I\w+$/.test(word)) return { shape: { kind: 'ref', name: word, file }, end: rest.end };
  return { shape: { kind: 'leaf' }, end: rest.end };
}

/** Skips a type to the ';' or unmatched '>' / '}' that ends it; returns that position. */
function skipType(text: string, pos: number): { end: number } {
  let depth = 0;
  for (let i = pos; i < text.length; i++) {
    const c = text[i]!;
    if (c === '{' || c === '<' || c === '(' || c === '[') depth++;
    else if (c === '}' || c === '>' || c === ')' || c === ']') {
      if (depth === 0) return { end: i };
      depth--;
    } else if (c === ';' && depth === 0) return { end: i };
    else if (c === '"') i = text.indexOf('"', i + 1);
  }
  return { end: text.length };
}

function resolve(shape: Shape): Shape {
  if (shape.kind !== 'ref') return shape;
  const { imports } = loadDeclarations(shape.file);
  const target = imports.get(shape.name);
  // A type of the same file, a primitive alias (Quantity, IntOrString) or a missing file: no check.
  if (!target || !fs.existsSync(target)) return { kind: 'leaf' };
  return resolve(loadDeclarations(target).root);
}

/** Fields of `value` that its type does not have, as paths like `spec.template.spec.containers[0].readinesProbe`. */
function unknownAt(value: unknown, shape: Shape, at: string, out: string[]): void {
  const s = resolve(shape);
  if (s.kind === 'array' && Array.isArray(value)) {
    value.forEach((item, i) => unknownAt(item, s.item, `${at}[${i}]`, out));
  } else if (s.kind === 'object' && isRecord(value) && !s.open) {
    for (const [key, child] of Object.entries(value)) {
      const field = s.props.get(key);
      if (!field) out.push(`${at ? `${at}.` : ''}${key}`);
      else unknownAt(child, field, at ? `${at}.${key}` : key, out);
    }
  }
}

/** Unknown fields of a Kubernetes object, from the declarations of the package that models it. */
export function unknownFields(object: { apiVersion: string; kind: string }, pkg: string): string[] {
  const dir = path.dirname(require.resolve(`${pkg}/package.json`));
  // (the model packages do export their package.json)
  const file = path.join(dir, object.apiVersion, `${object.kind}.d.ts`);
  if (!fs.existsSync(file)) return [];
  const out: string[] = [];
  unknownAt(object, loadDeclarations(file).root, '', out);
  return out;
}
