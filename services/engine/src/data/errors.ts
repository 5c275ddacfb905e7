import { ErrorCode, LrnasError } from '@lrnas/schema';

/** What is wrong with a data set on disk or with a request for one. */
export const DATA_PROBLEMS = [
  'MISSING', // a directory or file does not exist
  'TRUNCATED', // a file ends before its declared contents
  'BAD_SIZE', // a file's length does not fit its record layout, or shapes disagree
  'BAD_FORMAT', // a header, tag or structure is not what the format prescribes
  'BAD_LABEL', // a label lies outside the data set's classes
  'MISSING_VARIABLE', // a MAT-file lacks a variable the loader needs
  'BAD_OPTION', // a caller passed an option that cannot be honoured
] as const;
export type DataProblem = (typeof DATA_PROBLEMS)[number];

/**
 * A data set that cannot be loaded or used as asked. `code` is the platform-wide code
 * (NOT_FOUND for missing files, BAD_INPUT otherwise); `problem` says what exactly is wrong.
 */
export class DataError extends LrnasError {
  constructor(
    readonly problem: DataProblem,
    message: string,
    readonly file?: string,
    options?: { cause?: unknown },
  ) {
    super(
      problem === 'MISSING' ? ErrorCode.NOT_FOUND : ErrorCode.BAD_INPUT,
      file ? `${file}: ${message}` : message,
      options,
    );
  }
}
