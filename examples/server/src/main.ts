/**
 * The example entry point. Until the HTTP adapter lands, it runs one scripted
 * sale on the embedded (memory) engine and prints what happened.
 */
import { Booking, QueuePolicy, QueueTokenSigner, type UserId, UserId as UserIdSchema, newId } from "@boxoffice/core"
import { MemoryStores } from "@boxoffice/memory"
import { DateTime, Effect, Layer, Redacted } from "effect"

const secret = Redacted.make(globalThis.crypto.randomUUID())
const BookingLive = Booking.layer.pipe(
  Layer.provide(MemoryStores.layer),
  Layer.provide(QueueTokenSigner.layerHmac(secret))
)

const scriptedSale = Effect.gen(function*() {
  const booking = yield* Booking
  const concert = yield* booking.createConcert({
    title: "Demo concert",
    dates: [{ startsAt: DateTime.makeUnsafe(Date.now() + 7 * 86_400_000), priceKrw: 55_000 }],
    queue: { maxActive: 1 }
  })
  yield* Effect.log(`created ${concert.title}: ${concert.dates.length} date, queue ${JSON.stringify(QueuePolicy.default)}`)
  const alice: UserId = yield* newId(UserIdSchema)
  const bob: UserId = yield* newId(UserIdSchema)
  const aliceTicket = yield* booking.joinQueue(alice, concert.concertId)
  const bobTicket = yield* booking.joinQueue(bob, concert.concertId)
  yield* Effect.log(`alice is ${aliceTicket.entry.status}; bob is ${bobTicket.entry.status} at position ${bobTicket.entry.position}`)
  const [date] = yield* booking.listDates(alice, aliceTicket.queueToken, concert.concertId)
  const hold = yield* booking.hold(alice, aliceTicket.queueToken, date!.date.dateId, [7, 8])
  yield* Effect.log(`alice holds seats ${hold.seatNumbers.join(", ")} for ${hold.amountKrw} KRW until ${DateTime.formatIso(hold.expiresAt)}`)
  yield* booking.charge(alice, 200_000, "alice-charge-1")
  const receipt = yield* booking.pay(alice, aliceTicket.queueToken, hold.holdId, "alice-pay-1")
  yield* Effect.log(`alice paid ${receipt.amountKrw} KRW; balance ${receipt.balanceKrw} KRW`)
  const bobNow = yield* booking.queueStatus(bob, bobTicket.queueToken)
  yield* Effect.log(`bob is now ${bobNow.status}`)
  const seats = yield* booking.listSeats(bob, bobTicket.queueToken, date!.date.dateId)
  yield* Effect.log(`seat 7 is ${seats[6]!.status}, seat 9 is ${seats[8]!.status}`)
})

Effect.runPromise(scriptedSale.pipe(Effect.provide(BookingLive))).catch((error) => {
  console.error(error)
  process.exitCode = 1
})
