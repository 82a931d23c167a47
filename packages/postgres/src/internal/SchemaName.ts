/** The Postgres schema that holds every table, function and the migration journal of boxoffice. */

/** The schema used when none is named. */
export const defaultSchema = "boxoffice"

/**
 * `name`, if it is a plain lower-case identifier of at most 63 bytes (Postgres's
 * limit), so it can be written into a statement and a `search_path` as is;
 * otherwise a thrown error naming it: a configuration mistake, found at start.
 */
export const checkedSchema = (name: string): string => {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) {
    throw new Error(
      `the Postgres schema "${name}" must be a lower-case identifier (a-z, 0-9, _), at most 63 characters`
    )
  }
  return name
}
