import fs from 'node:fs/promises';
import { ContractError, parseGenotype, type Genotype } from '@lrnas/schema';
import { UsageError } from './command.js';

/** A genotype read from a file, with a label for messages (`file` or `file#NAME`). */
export interface GenotypeFromFile {
  genotype: Genotype;
  label: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads a genotype from a JSON file: either one genotype, or an object of named genotypes (like
 * genotypes.json) from which `name` picks one (optional when there is only one). Every problem
 * (unreadable file, bad JSON, unknown name, invalid genotype) is a UsageError that names it.
 */
export async function readGenotypeFile(file: string, name?: string): Promise<GenotypeFromFile> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : String(error);
    throw new UsageError(`cannot read genotype file ${file}: ${reason}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`genotype file ${file} is not valid JSON: ${(error as Error).message}`);
  }
  let label = file;
  const isCollection = isRecord(value) && !('normal' in value) && Object.values(value).every(isRecord);
  if (name !== undefined || isCollection) {
    const names = isRecord(value) ? Object.keys(value) : [];
    if (name === undefined) {
      if (names.length !== 1) {
        throw new UsageError(
          `genotype file ${file} holds ${names.length} named genotypes (${names.join(', ')}); choose one with --name`,
        );
      }
      name = names[0] as string;
    }
    if (!isRecord(value) || !Object.hasOwn(value, name)) {
      throw new UsageError(
        `genotype file ${file} has no genotype named ${JSON.stringify(name)} (it has: ${names.join(', ') || 'none'})`,
      );
    }
    value = value[name];
    label = `${file}#${name}`;
  }
  try {
    return { genotype: parseGenotype(value), label };
  } catch (error) {
    if (error instanceof ContractError)
      throw new UsageError(`genotype file ${label} is not a valid genotype: ${error.message}`);
    throw error;
  }
}
