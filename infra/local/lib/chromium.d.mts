/** Path of the chromium binary (LRNAS_CHROMIUM, or Debian's, installed when missing and allowed). */
export function ensureChromium(log?: (line: string) => void): string;
