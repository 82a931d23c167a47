/**
 * In-memory `Catalog`.
 *
 * @since 0.1.0
 */
import { Catalog } from "@boxoffice/core"
import { Effect, Layer, Option } from "effect"
import { MemoryStore } from "./internal/MemoryStore.ts"

/** @category layers */
export const layer: Layer.Layer<Catalog, never, MemoryStore> = Layer.effect(
  Catalog,
  MemoryStore.useSync((state) =>
    Catalog.of({
      saveConcert: (concert) =>
        Effect.sync(() => {
          state.concerts.set(concert.concertId, concert)
          for (const date of concert.dates) state.dates.set(date.dateId, date)
        }),
      listConcerts: Effect.sync(() => [...state.concerts.values()]),
      findConcert: (concertId) => Effect.sync(() => Option.fromNullishOr(state.concerts.get(concertId))),
      findDate: (dateId) => Effect.sync(() => Option.fromNullishOr(state.dates.get(dateId)))
    })
  )
)
