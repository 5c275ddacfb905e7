import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ErrorCode, LrnasError } from '@lrnas/schema';

/** A checkpoint or exported model that cannot be read: `file` names it, the message says what is wrong. */
export class ModelFileError extends LrnasError {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(ErrorCode.BAD_INPUT, `${file}: ${problem}`);
  }
}

/**
 * Writes `chunks` to `file` atomically: into a temporary file in the same folder, flushed to disk,
 * then renamed over `file`. A crash at any point leaves either the old file or the new one, never a
 * mix. Returns the number of bytes written.
 */
export async function writeFileAtomic(file: string, chunks: Iterable<Uint8Array>): Promise<number> {
  const dir = path.dirname(file);
  await fs.mkdir(dir, { recursive: true });
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let bytes = 0;
  const handle = await fs.open(temp, 'w');
  try {
    for (const chunk of chunks) {
      await handle.write(chunk);
      bytes += chunk.byteLength;
    }
    await handle.sync();
  } catch (error) {
    await handle.close();
    await fs.rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await fs.rename(temp, file);
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw error;
  }
  await syncDirectory(dir);
  return bytes;
}

/** Flushes a folder's entries (the rename) to disk where the platform allows it. */
async function syncDirectory(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch {
    // Some platforms and file systems cannot fsync a directory; the rename itself is still atomic.
  } finally {
    await handle?.close();
  }
}

/** Reads a whole file, turning "missing" and "a folder" into a ModelFileError naming `what`. */
export async function readFileChecked(file: string, what: string): Promise<Buffer> {
  try {
    return await fs.readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT' ? `no such ${what}` : code === 'EISDIR' ? `is a folder, not a ${what}` : String(error);
    throw new ModelFileError(file, reason);
  }
}
