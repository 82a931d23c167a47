/**
 * The driver settings every client of the adapter uses. postgres.js 3.4.9
 * fetches the server's array types as the first query of a new connection
 * (`fetch_types`) and drops that query's promise: if the connection is
 * reset or the backend killed during it (a database restart, a failover, a
 * network cut), the rejection is unhandled and Node exits, whatever the
 * adapter does (porsager/postgres#1192, #1223). The adapter reads only one
 * array type, `int[]` (OID 1007), so it declares that one itself and turns
 * the fetch off.
 *
 * @since 0.2.0
 */
import type { PostgresType } from "postgres"

const int4Array = 1007

const parseIntArray = (text: string): Array<number> => (text === "{}" ? [] : text.slice(1, -1).split(",").map(Number))

/**
 * postgres.js options: no type fetch, and `int[]` read and written without
 * it. `makeClient` uses them; spread them into a client of your own that
 * you pass to `PostgresStores.layerFromClient`.
 *
 * @example
 * ```ts
 * import postgres from "postgres"
 * import { driverTypes } from "@boxoffice/postgres"
 * const client = postgres("postgres://postgres@127.0.0.1/boxoffice", { max: 20, ...driverTypes })
 * ```
 * @category constructors
 */
export const driverTypes: { readonly fetch_types: false; readonly types: Record<string, PostgresType> } = {
  fetch_types: false,
  types: {
    intArray: {
      to: int4Array,
      from: [int4Array],
      // The adapter sends arrays as literals (`intArrayLiteral`), which pass through as they are.
      serialize: (values: string | ReadonlyArray<number>) =>
        typeof values === "string" ? values : `{${values.join(",")}}`,
      parse: parseIntArray
    }
  }
}
