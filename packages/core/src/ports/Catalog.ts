/**
 * Port: the catalog of concerts and their dates.
 *
 * @since 0.1.0
 */
import { Context, type Effect, type Option } from "effect"
import type { OutcomeUnknown, Unavailable } from "../Errors.ts"
import type { Concert, ConcertDate } from "../model/Concert.ts"
import type { ConcertId, DateId } from "../model/Ids.ts"

/**
 * Concerts and dates. Written once by an admin, then read on every request,
 * so adapters may cache reads.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Catalog } from "@boxoffice/core"
 * const titles = Effect.map(Catalog.use((c) => c.listConcerts), (cs) => cs.map((c) => c.title))
 * ```
 * @category ports
 */
export class Catalog extends Context.Service<
  Catalog,
  {
    /** Stores a new concert with all its dates, or nothing. */
    readonly saveConcert: (concert: Concert) => Effect.Effect<void, Unavailable | OutcomeUnknown>
    readonly listConcerts: Effect.Effect<ReadonlyArray<Concert>, Unavailable>
    readonly findConcert: (concertId: ConcertId) => Effect.Effect<Option.Option<Concert>, Unavailable>
    readonly findDate: (dateId: DateId) => Effect.Effect<Option.Option<ConcertDate>, Unavailable>
  }
>()("@boxoffice/core/Catalog") {}
