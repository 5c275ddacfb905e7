/**
 * The keys of `given` whose values differ from `stored`'s, compared as JSON, in `given`'s key order:
 * how a resume names the settings that make a stored run another run.
 */
export function differingKeys<T extends object>(given: T, stored: Partial<T> | undefined): Array<keyof T & string> {
  const other = (stored ?? {}) as Partial<T>;
  return (Object.keys(given) as Array<keyof T & string>).filter(
    (key) => JSON.stringify(given[key]) !== JSON.stringify(other[key]),
  );
}
