import { inflateSync } from 'node:zlib';
import { DataError } from './errors.js';

/**
 * A minimal reader of MATLAB level-5 MAT-files (the "MAT-File Format" document of MathWorks): numeric
 * arrays, optionally inside zlib-compressed elements, either byte order. Structs, cells, strings and
 * sparse arrays are listed by name and class but not decoded.
 */

/** Data types of element tags. */
const MI = {
  INT8: 1,
  UINT8: 2,
  INT16: 3,
  UINT16: 4,
  INT32: 5,
  UINT32: 6,
  SINGLE: 7,
  DOUBLE: 9,
  INT64: 12,
  UINT64: 13,
  MATRIX: 14,
  COMPRESSED: 15,
} as const;

/** Array classes (low byte of the array flags). */
const CLASS_NAMES: Readonly<Record<number, string>> = {
  1: 'cell',
  2: 'struct',
  3: 'object',
  4: 'char',
  5: 'sparse',
  6: 'double',
  7: 'single',
  8: 'int8',
  9: 'uint8',
  10: 'int16',
  11: 'uint16',
  12: 'int32',
  13: 'uint32',
  14: 'int64',
  15: 'uint64',
  16: 'function',
  17: 'opaque',
};
const NUMERIC_CLASSES = new Set([6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);

/** Values of a numeric array, typed as the file stored them (MATLAB may store doubles as uint8). */
export type MatData =
  Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array;

/** One top-level variable. */
export interface MatVariable {
  name: string;
  /** MATLAB class: `double`, `uint8`, `struct`... */
  className: string;
  /** Dimensions; data is in column-major (first index fastest) order. */
  dims: number[];
  complex: boolean;
  logical: boolean;
  /** Real part of a numeric array; absent for other classes. uint8/int8 data may be a view of the file's bytes. */
  real?: MatData;
}

interface Tag {
  type: number;
  /** Byte range of the element's data. */
  start: number;
  end: number;
  /** Where the next element begins. */
  next: number;
}

/** Parses a MAT v5 file held in memory; `file` names it in errors. Variables keep file order. */
export function readMat5(bytes: Uint8Array, file: string): Map<string, MatVariable> {
  const reader = new MatReader(bytes, file);
  return reader.readFile();
}

class MatReader {
  private little = true;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly file: string,
  ) {}

  readFile(): Map<string, MatVariable> {
    const { bytes, file } = this;
    if (bytes.length < 128)
      throw new DataError('TRUNCATED', `${bytes.length} bytes is shorter than the 128-byte MAT-file header`, file);
    const text = latin1(bytes.subarray(0, 116));
    if (text.startsWith('MATLAB 7.3'))
      throw new DataError(
        'BAD_FORMAT',
        'is a MAT v7.3 (HDF5) file; only level-5 MAT-files (save -v7 or older) are supported',
        file,
      );
    const indicator = String.fromCharCode(bytes[126]!, bytes[127]!);
    if (indicator !== 'IM' && indicator !== 'MI') {
      throw new DataError(
        'BAD_FORMAT',
        `bad header: no endian indicator "IM"/"MI" at bytes 126-127 (text begins ${JSON.stringify(text.slice(0, 24))}): not a level-5 MAT-file`,
        file,
      );
    }
    this.little = indicator === 'IM';
    const version = this.view(bytes).getUint16(124, this.little);
    if (version !== 0x0100)
      throw new DataError('BAD_FORMAT', `bad header: version 0x${version.toString(16)} is not 0x0100`, file);

    const variables = new Map<string, MatVariable>();
    this.readElements(bytes, 128, 'file', variables);
    return variables;
  }

  /** Reads top-level elements of `buf` from `pos`; `where` describes buf in messages. */
  private readElements(buf: Uint8Array, pos: number, where: string, out: Map<string, MatVariable>): void {
    while (pos < buf.length) {
      if (buf.length - pos < 8) {
        if (isZero(buf, pos, buf.length)) return;
        throw new DataError('TRUNCATED', `ends inside an element tag at byte ${pos} of the ${where}`, this.file);
      }
      const tag = this.readTag(buf, pos, buf.length, where);
      if (tag.type === MI.COMPRESSED) {
        let inflated: Buffer;
        try {
          inflated = inflateSync(buf.subarray(tag.start, tag.end));
        } catch (error) {
          const reason = error instanceof Error ? error.message : String(error);
          throw new DataError(
            'BAD_FORMAT',
            `compressed element at byte ${pos} of the ${where} cannot be inflated (${reason}): truncated or corrupt`,
            this.file,
            { cause: error },
          );
        }
        this.readElements(inflated, 0, `compressed element at byte ${pos}`, out);
        pos = tag.end;
        // Compressed elements need no padding, but some writers add zeros up to 8 bytes anyway.
        if (pos % 8 !== 0 && !this.plausibleTopTag(buf, pos) && isZero(buf, pos, Math.min(buf.length, align8(pos)))) {
          pos = Math.min(buf.length, align8(pos));
        }
      } else {
        if (tag.type === MI.MATRIX) {
          const variable = this.readMatrix(buf, tag, `${where}, byte ${pos}`);
          if (variable) out.set(variable.name, variable);
        } else if (tag.type === 0) {
          throw new DataError('BAD_FORMAT', `element at byte ${pos} of the ${where} has data type 0`, this.file);
        }
        // Other top-level element types carry nothing a loader needs: skip them.
        pos = tag.next;
      }
    }
  }

  /** Whether a top-level tag (normal format, known type, fitting size) could start at `pos`. */
  private plausibleTopTag(buf: Uint8Array, pos: number): boolean {
    if (buf.length - pos < 8) return false;
    const view = this.view(buf);
    const type = view.getUint32(pos, this.little);
    return type >= 1 && type <= 18 && view.getUint32(pos + 4, this.little) <= buf.length - pos - 8;
  }

  /** Reads an element tag at `pos`, in either the normal or the small (4-byte data) format. */
  private readTag(buf: Uint8Array, pos: number, limit: number, where: string): Tag {
    if (limit - pos < 8)
      throw new DataError('TRUNCATED', `ends inside an element tag at byte ${pos} of the ${where}`, this.file);
    const view = this.view(buf);
    const first = view.getUint32(pos, this.little);
    if (first >>> 16 !== 0) {
      const size = first >>> 16;
      if (size > 4)
        throw new DataError(
          'BAD_FORMAT',
          `small element at byte ${pos} of the ${where} claims ${size} bytes (at most 4)`,
          this.file,
        );
      return { type: first & 0xffff, start: pos + 4, end: pos + 4 + size, next: pos + 8 };
    }
    const size = view.getUint32(pos + 4, this.little);
    const start = pos + 8;
    if (start + size > limit) {
      throw new DataError(
        'TRUNCATED',
        `element at byte ${pos} of the ${where} declares ${size} bytes but only ${limit - start} remain`,
        this.file,
      );
    }
    return { type: first, start, end: start + size, next: Math.min(limit, align8(start + size)) };
  }

  /** Reads a miMATRIX element: flags, dimensions, name, then (numeric classes) the real part. */
  private readMatrix(buf: Uint8Array, matrix: Tag, where: string): MatVariable | undefined {
    if (matrix.end === matrix.start) return undefined; // an empty placeholder array
    const view = this.view(buf);
    const flagsTag = this.readTag(buf, matrix.start, matrix.end, where);
    if (flagsTag.type !== MI.UINT32 || flagsTag.end - flagsTag.start !== 8) {
      throw new DataError(
        'BAD_FORMAT',
        `array at ${where} does not start with 8 bytes of uint32 array flags`,
        this.file,
      );
    }
    const flags = view.getUint32(flagsTag.start, this.little);
    const classId = flags & 0xff;
    const className = CLASS_NAMES[classId];
    if (!className) throw new DataError('BAD_FORMAT', `array at ${where} has unknown class ${classId}`, this.file);
    const complex = (flags & 0x800) !== 0;
    const logical = (flags & 0x200) !== 0;
    if (classId === 17) return undefined; // opaque objects (e.g. MATLAB classes) have another layout

    const dimsTag = this.readTag(buf, flagsTag.next, matrix.end, where);
    if (dimsTag.type !== MI.INT32 || (dimsTag.end - dimsTag.start) % 4 !== 0 || dimsTag.end === dimsTag.start) {
      throw new DataError('BAD_FORMAT', `array at ${where} lacks its int32 dimensions`, this.file);
    }
    const dims: number[] = [];
    for (let p = dimsTag.start; p < dimsTag.end; p += 4) dims.push(view.getInt32(p, this.little));
    if (dims.some((d) => d < 0))
      throw new DataError('BAD_FORMAT', `array at ${where} has negative dimensions ${dims.join('x')}`, this.file);

    const nameTag = this.readTag(buf, dimsTag.next, matrix.end, where);
    if (nameTag.type !== MI.INT8) throw new DataError('BAD_FORMAT', `array at ${where} lacks its name`, this.file);
    const name = latin1(buf.subarray(nameTag.start, nameTag.end));
    const variable: MatVariable = { name, className, dims, complex, logical };
    if (!NUMERIC_CLASSES.has(classId)) return variable;

    const realTag = this.readTag(buf, nameTag.next, matrix.end, `${where} (${name})`);
    const real = this.decodeNumbers(buf.subarray(realTag.start, realTag.end), realTag.type, `${name} at ${where}`);
    const count = dims.reduce((a, b) => a * b, 1);
    if (real.length !== count) {
      throw new DataError(
        'BAD_SIZE',
        `variable ${name} holds ${real.length} values, but its dimensions ${dims.join('x')} need ${count}`,
        this.file,
      );
    }
    variable.real = real;
    return variable;
  }

  /** Numbers of one storage type; byte arrays stay views, wider types are copied in host order. */
  private decodeNumbers(data: Uint8Array, type: number, what: string): MatData {
    if (type === MI.UINT8) return data;
    if (type === MI.INT8) return new Int8Array(data.buffer, data.byteOffset, data.length);
    const spec = WIDE_TYPES[type];
    if (!spec)
      throw new DataError(
        'BAD_FORMAT',
        `${what} stores its values as data type ${type}, which is not numeric`,
        this.file,
      );
    if (data.length % spec.bytes !== 0)
      throw new DataError('BAD_SIZE', `${what} has ${data.length} bytes, not a multiple of ${spec.bytes}`, this.file);
    const view = this.view(data);
    const n = data.length / spec.bytes;
    const out = spec.make(n);
    for (let i = 0; i < n; i++) out[i] = spec.get(view, i * spec.bytes, this.little);
    return out;
  }

  private view(buf: Uint8Array): DataView {
    return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
}

interface WideType {
  bytes: number;
  make: (n: number) => Exclude<MatData, Uint8Array | Int8Array>;
  get: (view: DataView, at: number, little: boolean) => number;
}

const WIDE_TYPES: Readonly<Record<number, WideType>> = {
  [MI.INT16]: { bytes: 2, make: (n) => new Int16Array(n), get: (v, at, le) => v.getInt16(at, le) },
  [MI.UINT16]: { bytes: 2, make: (n) => new Uint16Array(n), get: (v, at, le) => v.getUint16(at, le) },
  [MI.INT32]: { bytes: 4, make: (n) => new Int32Array(n), get: (v, at, le) => v.getInt32(at, le) },
  [MI.UINT32]: { bytes: 4, make: (n) => new Uint32Array(n), get: (v, at, le) => v.getUint32(at, le) },
  [MI.SINGLE]: { bytes: 4, make: (n) => new Float32Array(n), get: (v, at, le) => v.getFloat32(at, le) },
  [MI.DOUBLE]: { bytes: 8, make: (n) => new Float64Array(n), get: (v, at, le) => v.getFloat64(at, le) },
  [MI.INT64]: { bytes: 8, make: (n) => new Float64Array(n), get: (v, at, le) => Number(v.getBigInt64(at, le)) },
  [MI.UINT64]: { bytes: 8, make: (n) => new Float64Array(n), get: (v, at, le) => Number(v.getBigUint64(at, le)) },
};

function align8(n: number): number {
  return Math.ceil(n / 8) * 8; // arithmetic: bit masks would break past 2^31 bytes
}

function isZero(buf: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (buf[i] !== 0) return false;
  return true;
}

function latin1(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) {
    if (b === 0) break;
    s += String.fromCharCode(b);
  }
  return s;
}
