import { deflateSync } from 'node:zlib';

/**
 * Test-only writer of MATLAB level-5 MAT-files, written from the format document so that the
 * reader can be checked against files built independently of it.
 */

/** Element data types used here. */
export const MI_TYPES = { int8: 1, uint8: 2, int32: 5, uint32: 6, double: 9, matrix: 14, compressed: 15 } as const;
/** Array classes used here. */
export const MX_CLASSES = { char: 4, double: 6, uint8: 9 } as const;

/** A variable to write: a class, column-major data, and the element type that stores it. */
export interface MatVarSpec {
  name: string;
  className: keyof typeof MX_CLASSES;
  dims: number[];
  values: ArrayLike<number>;
  /** Storage type of the values (MATLAB stores small integer doubles as uint8, for instance). */
  storage: 'uint8' | 'double';
}

/** Options: compress each variable with zlib, byte order, pad compressed elements to 8 bytes. */
export interface MatWriteOptions {
  compressed?: boolean;
  bigEndian?: boolean;
  padCompressed?: boolean;
  headerText?: string;
}

/** Serialises variables into a MAT v5 file. */
export function writeMat5(vars: MatVarSpec[], options: MatWriteOptions = {}): Uint8Array {
  const little = !options.bigEndian;
  const header = new Uint8Array(128).fill(0x20);
  const text = options.headerText ?? 'MATLAB 5.0 MAT-file, written by the LRNAS test writer';
  for (let i = 0; i < text.length && i < 116; i++) header[i] = text.charCodeAt(i);
  header.fill(0, 116, 124); // subsystem data offset: none
  new DataView(header.buffer).setUint16(124, 0x0100, little);
  // The indicator is the 16-bit value 'M' << 8 | 'I' in the writer's byte order.
  new DataView(header.buffer).setUint16(126, (0x4d << 8) | 0x49, little);
  const chunks: Uint8Array[] = [header];
  for (const v of vars) {
    const matrix = matrixElement(v, little);
    if (options.compressed) {
      const packed = deflateSync(matrix);
      chunks.push(tag(MI_TYPES.compressed, packed.length, little), packed);
      if (options.padCompressed) chunks.push(new Uint8Array((8 - (packed.length % 8)) % 8));
    } else {
      chunks.push(matrix);
    }
  }
  return concat(chunks);
}

function matrixElement(v: MatVarSpec, little: boolean): Uint8Array {
  const flags = new Uint8Array(8);
  new DataView(flags.buffer).setUint32(0, MX_CLASSES[v.className], little);
  const dims = new Uint8Array(4 * v.dims.length);
  v.dims.forEach((d, i) => new DataView(dims.buffer).setInt32(4 * i, d, little));
  const name = Uint8Array.from(v.name, (ch) => ch.charCodeAt(0));
  const body = concat([
    element(MI_TYPES.uint32, flags, little),
    element(MI_TYPES.int32, dims, little),
    element(MI_TYPES.int8, name, little),
    element(MI_TYPES[v.storage], encodeValues(v.values, v.storage, little), little),
  ]);
  return concat([tag(MI_TYPES.matrix, body.length, little), body]);
}

function encodeValues(values: ArrayLike<number>, storage: 'uint8' | 'double', little: boolean): Uint8Array {
  if (storage === 'uint8') return Uint8Array.from(values);
  const out = new Uint8Array(8 * values.length);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat64(8 * i, values[i]!, little);
  return out;
}

/** A data element: small format for 1..4 bytes, else tag + data padded to 8 bytes. */
function element(type: number, data: Uint8Array, little: boolean): Uint8Array {
  if (data.length > 0 && data.length <= 4) {
    const out = new Uint8Array(8);
    new DataView(out.buffer).setUint32(0, (data.length << 16) | type, little);
    out.set(data, 4);
    return out;
  }
  const padded = new Uint8Array(Math.ceil(data.length / 8) * 8);
  padded.set(data);
  return concat([tag(type, data.length, little), padded]);
}

function tag(type: number, size: number, little: boolean): Uint8Array {
  const out = new Uint8Array(8);
  const view = new DataView(out.buffer);
  view.setUint32(0, type, little);
  view.setUint32(4, size, little);
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
