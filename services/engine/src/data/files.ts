import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DataError } from './errors.js';

/** Reads a whole file; a missing or unreadable file becomes a DataError naming it. */
export async function readDataFile(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw fileError(path, error);
  }
}

/** Size in bytes of a regular file; a missing file or a directory becomes a DataError. */
export async function fileSize(path: string): Promise<number> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    throw fileError(path, error);
  }
  if (!info.isFile()) throw new DataError('BAD_FORMAT', 'is not a regular file', path);
  return info.size;
}

/** True if `path` exists and is a regular file. */
export async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * Finds the directory that holds `marker`: `dataDir` itself, or its child `subdir` (users may name
 * either the data set's folder or the folder they unpacked it into).
 */
export async function locateDataDir(
  dataDir: string | undefined,
  what: string,
  marker: string,
  subdirs: readonly string[],
): Promise<string> {
  if (dataDir === undefined || dataDir === '') {
    throw new DataError(
      'MISSING',
      `${what} is read from disk: pass a data directory (dataDir, or the LRNAS_DATA_DIR variable)`,
    );
  }
  try {
    const info = await stat(dataDir);
    if (!info.isDirectory())
      throw new DataError('BAD_FORMAT', `is not a directory (expected the ${what} files)`, dataDir);
  } catch (error) {
    if (error instanceof DataError) throw error;
    throw new DataError('MISSING', `data directory for ${what} does not exist`, dataDir, { cause: error });
  }
  const candidates = [dataDir, ...subdirs.map((s) => join(dataDir, s))];
  for (const dir of candidates) if (await isFile(join(dir, marker))) return dir;
  throw new DataError(
    'MISSING',
    `no ${marker} here${subdirs.length ? ` nor in ${subdirs.join(' or ')}/` : ''}: this is not a ${what} directory`,
    dataDir,
  );
}

function fileError(path: string, error: unknown): DataError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return new DataError('MISSING', 'file does not exist', path, { cause: error });
  if (code === 'EISDIR') return new DataError('BAD_FORMAT', 'is a directory, not a file', path, { cause: error });
  const reason = error instanceof Error ? error.message : String(error);
  return new DataError('BAD_FORMAT', `cannot be read (${reason})`, path, { cause: error });
}
