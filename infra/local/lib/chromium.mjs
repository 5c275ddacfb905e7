// Chromium for the dashboard's browser test: Debian's package, driven by playwright-core (which
// must never download a browser of its own).
import { ensureBinary } from './system.mjs';

/** Path of the chromium binary, installed from Debian's package when missing and allowed. */
export function ensureChromium(log) {
  const fromEnv = process.env.LRNAS_CHROMIUM;
  if (fromEnv) return fromEnv;
  return ensureBinary({ binary: 'chromium', aptPackage: 'chromium', log });
}
