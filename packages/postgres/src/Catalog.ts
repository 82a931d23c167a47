/**
 * Postgres `Catalog`. A concert, its dates (with their seat classes) and
 * their seats, each with its own price and class, are saved by one call of
 * `boxoffice_create_concert` (migration 0008). Concerts are
 * immutable once saved, so found ones are
 * cached in the instance, up to `catalogCacheConcertsMax` (the oldest cached
 * is dropped first).
 *
 * @since 0.1.0
 */
import {
  Catalog,
  Concert,
  ConcertDate,
  type ConcertId,
  type DateId,
  SalePolicy,
  SeatClass,
  type Unavailable
} from "@boxoffice/core"
import { asc, eq, inArray } from "drizzle-orm"
import { DateTime, Effect, Layer, Option, Schema } from "effect"
import { type Database, PgDatabase } from "./internal/Database.ts"
import { makeSingleFlight } from "./internal/SingleFlight.ts"
import { concertDates, concerts } from "./internal/schema.ts"

const encodePolicy = Schema.encodeSync(Schema.toCodecJson(SalePolicy))
const decodePolicy = Schema.decodeUnknownSync(Schema.toCodecJson(SalePolicy))
const encodeClasses = Schema.encodeSync(Schema.toCodecJson(Schema.Array(SeatClass)))
const decodeClasses = Schema.decodeUnknownSync(Schema.toCodecJson(Schema.Array(SeatClass)))

const loadConcerts = async (db: Database, concertIds: ReadonlyArray<string> | null): Promise<Array<Concert>> => {
  const concertRows =
    concertIds === null
      ? await db.select().from(concerts).orderBy(asc(concerts.createdAt), asc(concerts.concertId))
      : await db
          .select()
          .from(concerts)
          .where(inArray(concerts.concertId, [...concertIds]))
  if (concertRows.length === 0) return []
  const dateRows = await db
    .select()
    .from(concertDates)
    .where(
      inArray(
        concertDates.concertId,
        concertRows.map((c) => c.concertId)
      )
    )
    .orderBy(asc(concertDates.position))
  return concertRows.map(
    (row) =>
      new Concert({
        concertId: row.concertId as ConcertId,
        title: row.title,
        policy: decodePolicy(row.policy),
        dates: dateRows
          .filter((d) => d.concertId === row.concertId)
          .map(
            (d) =>
              new ConcertDate({
                dateId: d.dateId as DateId,
                concertId: d.concertId as ConcertId,
                startsAt: DateTime.makeUnsafe(d.startsAt),
                priceKrw: d.priceKrw,
                seatCount: d.seatCount,
                classes: decodeClasses(d.classes)
              })
          )
      })
  )
}

/** The most concerts one instance keeps cached (each with up to 100 dates). @category constants */
export const catalogCacheConcertsMax = 10_000

/** @category layers */
export const layer: Layer.Layer<Catalog, never, PgDatabase> = Layer.effect(
  Catalog,
  Effect.gen(function* () {
    const database = yield* PgDatabase
    const client = database.client
    const byConcert = new Map<string, Concert>()
    const byDate = new Map<string, ConcertDate>()
    const remember = (concert: Concert) => {
      if (!byConcert.has(concert.concertId) && byConcert.size >= catalogCacheConcertsMax) {
        const [, oldest] = byConcert.entries().next().value!
        byConcert.delete(oldest.concertId)
        for (const date of oldest.dates) byDate.delete(date.dateId)
      }
      byConcert.set(concert.concertId, concert)
      for (const date of concert.dates) byDate.set(date.dateId, date)
      return concert
    }
    // A crowd on an instance that has not cached its concert yet sends one query, not one per request.
    const concertLoads = makeSingleFlight<Option.Option<Concert>, Unavailable>()
    const dateLoads = makeSingleFlight<Option.Option<ConcertDate>, Unavailable>()
    return Catalog.of({
      saveConcert: (concert) =>
        Effect.map(
          database.write(async () => {
            const dates = concert.dates.map((date) => ({
              dateId: date.dateId,
              startsAt: DateTime.formatIso(date.startsAt),
              priceKrw: date.priceKrw,
              seatCount: date.seatCount,
              classes: encodeClasses(date.classes)
            }))
            await client`select boxoffice_create_concert(${concert.concertId}, ${concert.title},
              ${JSON.stringify(encodePolicy(concert.policy))}::jsonb, ${JSON.stringify(dates)}::jsonb)`
          }),
          () => void remember(concert)
        ),
      listConcerts: database.run((db) => loadConcerts(db, null)),
      findConcert: (concertId) => {
        const cached = byConcert.get(concertId)
        if (cached !== undefined) return Effect.succeed(Option.some(cached))
        return concertLoads(
          concertId,
          Effect.map(
            database.run((db) => loadConcerts(db, [concertId])),
            ([found]) => (found === undefined ? Option.none() : Option.some(remember(found)))
          )
        )
      },
      findDate: (dateId) => {
        const cached = byDate.get(dateId)
        if (cached !== undefined) return Effect.succeed(Option.some(cached))
        return dateLoads(
          dateId,
          Effect.map(
            database.run(async (db) => {
              const [row] = await db
                .select({ concertId: concertDates.concertId })
                .from(concertDates)
                .where(eq(concertDates.dateId, dateId))
              return row === undefined ? [] : loadConcerts(db, [row.concertId])
            }),
            ([found]) =>
              found === undefined ? Option.none() : Option.fromNullishOr(remember(found) && byDate.get(dateId))
          )
        )
      }
    })
  })
)
