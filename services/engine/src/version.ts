/** Engine version, reported with every evaluation so that results can be traced to the code. */
export const ENGINE_VERSION = '0.1.0';
