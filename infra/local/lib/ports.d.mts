export function freePort(): Promise<number>;
export function isPortFree(port: number): Promise<boolean>;
export function portOrFree(preferred: number | undefined): Promise<number>;
export function waitForHttp(url: string, timeoutMs: number, isAlive?: () => boolean): Promise<void>;
