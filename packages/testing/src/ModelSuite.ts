/**
 * The model-based suite: sequences of calls generated with `fc.commands`,
 * each of whose exact outcome a small model predicts. Date 0 is of a concert
 * without `holdNeedsFunds`, date 1 of one with it, so the model's wallets
 * know reservations and how they meet payments of the other concert. Buyers
 * and the host refund paid holds; date 1's concert keeps a 10% fee.
 *
 * @since 0.1.0
 */
import {
  Booking,
  type Concert,
  type Hold,
  Limits,
  newId,
  type PaymentId,
  QueueTokenSigner,
  UserId
} from "@boxoffice/core"
import { DateTime, Effect, Layer, ManagedRuntime, Redacted, Result } from "effect"
import * as fc from "fast-check"
import { assert, describe, it } from "vitest"
import type { AdapterUnderTest } from "./AdapterUnderTest.ts"
import { propertyRuns } from "./PropertySuite.ts"
import { StoreClock } from "./StoreClock.ts"

const users = 3
const seatCount = 4
/** One date per concert: date `i` is concert `i`'s. */
const priceKrw = [1_000, 1_500] as const
/** Whether the concert of date `i` sells under `holdNeedsFunds`. */
const holdNeedsFunds = [false, true] as const
/** The share of a buyer's refund the concert of date `i` keeps, in percent. */
const refundFeePercent = [0, 10] as const
const holdSeconds = 60
const maxSeatsPerUser = 3

interface ModelHold {
  readonly user: number
  readonly date: number
  readonly seats: ReadonlyArray<number>
  readonly amountKrw: number
  readonly expiresAtMs: number
  /** It reserves its amount from the wallet while live. */
  readonly reserves: boolean
  state: "held" | "paid" | "released"
  /** Its payment was refunded: the seats are for sale again, and the hold still reads paid. */
  refunded: boolean
}

interface Model {
  nowMs: number
  readonly balances: Array<number>
  readonly holds: Array<ModelHold>
  /**
   * `${user}/${date}` of users whose payment sold the date's concert out: their token ended with the payment
   * and the line refused their join, so every call they make with it is `QueueTokenExpired`.
   */
  readonly tokenless: Set<string>
}

interface Real {
  readonly run: <A, E>(effect: Effect.Effect<A, E, Booking | StoreClock>) => Promise<Result.Result<A, E>>
  /** Concert `i` has date `i`. */
  readonly concerts: ReadonlyArray<Concert>
  readonly users: ReadonlyArray<UserId>
  /** Each user's token per concert. */
  readonly tokens: Array<Array<string>>
  readonly holds: Array<Hold>
  /** The payment of each paid hold, by the hold's index. */
  readonly paymentIds: Map<number, string>
}

const isLive = (model: Model, hold: ModelHold) => hold.state === "held" && hold.expiresAtMs > model.nowMs
/** The user's balance less their live reserving holds, but `except`. */
const availableOf = (model: Model, user: number, except: ModelHold | null = null) =>
  model.holds
    .filter((h) => h.user === user && h.reserves && h !== except && isLive(model, h))
    .reduce((available, h) => available - h.amountKrw, model.balances[user]!)
const outcome = (result: Result.Result<unknown, { readonly _tag: string }>) =>
  Result.isSuccess(result) ? "success" : result.failure._tag

type Command = fc.AsyncCommand<Model, Real>

class Charge implements Command {
  readonly user: number
  readonly amountKrw: number
  constructor(user: number, amountKrw: number) {
    this.user = user
    this.amountKrw = amountKrw
  }
  check() {
    return true
  }
  async run(model: Model, real: Real) {
    const result = await real.run(Booking.use((b) => b.charge(real.users[this.user]!, this.amountKrw, null)))
    const expected =
      model.balances[this.user]! + this.amountKrw > Limits.balanceKrwMax ? "BalanceLimitExceeded" : "success"
    assert.strictEqual(outcome(result), expected)
    if (Result.isSuccess(result)) {
      model.balances[this.user]! += this.amountKrw
      assert.strictEqual(result.success.balanceKrw, model.balances[this.user])
    }
  }
  toString() {
    return `charge(user ${this.user}, ${this.amountKrw})`
  }
}

class HoldSeats implements Command {
  readonly user: number
  readonly date: number
  readonly seats: ReadonlyArray<number>
  constructor(user: number, date: number, seats: ReadonlyArray<number>) {
    this.user = user
    this.date = date
    this.seats = seats
  }
  check() {
    return true
  }
  async run(model: Model, real: Real) {
    const result = await real.run(
      Booking.use((b) =>
        b.hold(
          real.users[this.user]!,
          real.tokens[this.user]![this.date]!,
          real.concerts[this.date]!.dates[0]!.dateId,
          this.seats
        )
      )
    )
    const onDate = model.holds.filter((h) => h.date === this.date)
    const taken = this.seats.some((seat) =>
      onDate.some((h) => ((h.state === "paid" && !h.refunded) || isLive(model, h)) && h.seats.includes(seat))
    )
    const mine = onDate
      .filter((h) => h.user === this.user && ((h.state === "paid" && !h.refunded) || isLive(model, h)))
      .reduce((sum, h) => sum + h.seats.length, 0)
    const amountKrw = priceKrw[this.date]! * this.seats.length
    const reserves = holdNeedsFunds[this.date]!
    const expected = model.tokenless.has(`${this.user}/${this.date}`)
      ? "QueueTokenExpired"
      : taken
        ? "SeatUnavailable"
        : mine + this.seats.length > maxSeatsPerUser
          ? "HoldLimitExceeded"
          : reserves && amountKrw > availableOf(model, this.user)
            ? "InsufficientBalance"
            : "success"
    assert.strictEqual(outcome(result), expected)
    if (Result.isFailure(result) && result.failure._tag === "InsufficientBalance") {
      assert.strictEqual(result.failure.balanceKrw, availableOf(model, this.user))
    }
    if (Result.isSuccess(result)) {
      assert.strictEqual(result.success.amountKrw, amountKrw)
      assert.strictEqual(DateTime.toEpochMillis(result.success.expiresAt), model.nowMs + holdSeconds * 1000)
      model.holds.push({
        user: this.user,
        date: this.date,
        seats: this.seats,
        amountKrw,
        expiresAtMs: model.nowMs + holdSeconds * 1000,
        reserves,
        state: "held",
        refunded: false
      })
      real.holds.push(result.success)
    }
  }
  toString() {
    return `hold(user ${this.user}, date ${this.date}, seats ${this.seats.join("+")})`
  }
}

class Pay implements Command {
  readonly user: number
  readonly hold: number
  constructor(user: number, hold: number) {
    this.user = user
    this.hold = hold
  }
  check(model: Readonly<Model>) {
    return model.holds.length > 0
  }
  async run(model: Model, real: Real) {
    const index = this.hold % model.holds.length
    const hold = model.holds[index]!
    const userId = real.users[this.user]!
    const concert = real.concerts[hold.date]!
    const result = await real.run(
      Booking.use((b) => b.pay(userId, real.tokens[this.user]![hold.date]!, real.holds[index]!.holdId, null))
    )
    const expected = model.tokenless.has(`${this.user}/${hold.date}`)
      ? "QueueTokenExpired"
      : hold.user !== this.user
        ? "Forbidden"
        : hold.state === "paid"
          ? "AlreadyPaid"
          : !isLive(model, hold)
            ? "HoldExpired"
            : // A reserving hold pays out of its own reservation; any other needs what the rest leave.
              availableOf(model, this.user, hold) < hold.amountKrw
              ? "InsufficientBalance"
              : "success"
    assert.strictEqual(outcome(result), expected)
    if (Result.isFailure(result) && result.failure._tag === "InsufficientBalance") {
      assert.strictEqual(result.failure.balanceKrw, availableOf(model, this.user, hold))
    }
    if (Result.isSuccess(result)) {
      hold.state = "paid"
      real.paymentIds.set(index, result.success.paymentId)
      model.balances[this.user]! -= hold.amountKrw
      assert.strictEqual(result.success.balanceKrw, model.balances[this.user])
      // Payment ended the token; the user queues again (there is room for all), unless this payment sold the
      // concert's last seat: then its line refuses every join.
      const sold = model.holds.filter((h) => h.date === hold.date && h.state === "paid" && !h.refunded)
      const soldOut = sold.reduce((count, h) => count + h.seats.length, 0) === seatCount
      const ticket = await real.run(Booking.use((b) => b.joinQueue(userId, concert.concertId)))
      if (soldOut) {
        assert.strictEqual(outcome(ticket), "SoldOut")
        model.tokenless.add(`${this.user}/${hold.date}`)
      } else {
        assert.isTrue(Result.isSuccess(ticket) && ticket.success.entry.status === "active")
      }
      if (Result.isSuccess(ticket)) real.tokens[this.user]![hold.date] = ticket.success.queueToken
    }
  }
  toString() {
    return `pay(user ${this.user}, hold #${this.hold})`
  }
}

class Release implements Command {
  readonly user: number
  readonly hold: number
  constructor(user: number, hold: number) {
    this.user = user
    this.hold = hold
  }
  check(model: Readonly<Model>) {
    return model.holds.length > 0
  }
  async run(model: Model, real: Real) {
    const index = this.hold % model.holds.length
    const hold = model.holds[index]!
    const result = await real.run(Booking.use((b) => b.releaseHold(real.users[this.user]!, real.holds[index]!.holdId)))
    const expected = hold.user !== this.user ? "Forbidden" : hold.state === "paid" ? "AlreadyPaid" : "success"
    assert.strictEqual(outcome(result), expected)
    if (Result.isSuccess(result) && isLive(model, hold)) hold.state = "released"
    const status = await real.run(Booking.use((b) => b.getHold(real.users[hold.user]!, real.holds[index]!.holdId)))
    const expectedStatus = hold.state === "held" && !isLive(model, hold) ? "expired" : hold.state
    assert.isTrue(Result.isSuccess(status) && status.success.status === expectedStatus)
  }
  toString() {
    return `release(user ${this.user}, hold #${this.hold})`
  }
}

class Refund implements Command {
  readonly user: number
  readonly hold: number
  readonly by: "user" | "host"
  constructor(user: number, hold: number, by: "user" | "host") {
    this.user = user
    this.hold = hold
    this.by = by
  }
  check(model: Readonly<Model>) {
    return model.holds.some((h) => h.state === "paid")
  }
  async run(model: Model, real: Real) {
    const paid = model.holds.flatMap((h, index) => (h.state === "paid" ? [index] : []))
    const index = paid[this.hold % paid.length]!
    const hold = model.holds[index]!
    const paymentId = real.paymentIds.get(index)! as PaymentId
    const result = await real.run(
      Booking.use((b) =>
        this.by === "host" ? b.refundAsHost(paymentId, null) : b.refund(real.users[this.user]!, paymentId, null)
      )
    )
    const expected =
      this.by === "user" && hold.user !== this.user ? "Forbidden" : hold.refunded ? "AlreadyRefunded" : "success"
    assert.strictEqual(outcome(result), expected)
    if (Result.isSuccess(result)) {
      // The fee rounds down to the won; the host keeps none.
      const feeKrw = this.by === "host" ? 0 : Math.floor((hold.amountKrw * refundFeePercent[hold.date]!) / 100)
      hold.refunded = true
      model.balances[hold.user]! += hold.amountKrw - feeKrw
      assert.deepStrictEqual(
        [result.success.amountKrw, result.success.feeKrw, result.success.balanceKrw],
        [hold.amountKrw - feeKrw, feeKrw, model.balances[hold.user]!]
      )
      // A seat is for sale again: a line that refused joins as sold out takes them now.
      for (const key of [...model.tokenless].filter((k) => k.endsWith(`/${hold.date}`))) {
        const user = Number(key.split("/")[0])
        const ticket = await real.run(
          Booking.use((b) => b.joinQueue(real.users[user]!, real.concerts[hold.date]!.concertId))
        )
        assert.isTrue(Result.isSuccess(ticket) && ticket.success.entry.status === "active")
        if (Result.isSuccess(ticket)) real.tokens[user]![hold.date] = ticket.success.queueToken
        model.tokenless.delete(key)
      }
    }
  }
  toString() {
    return `refund(${this.by} ${this.user}, paid hold #${this.hold})`
  }
}

class Funds implements Command {
  readonly user: number
  constructor(user: number) {
    this.user = user
  }
  check() {
    return true
  }
  async run(model: Model, real: Real) {
    const result = await real.run(Booking.use((b) => b.funds(real.users[this.user]!)))
    assert.isTrue(Result.isSuccess(result))
    if (Result.isSuccess(result)) {
      assert.deepStrictEqual(
        [result.success.balanceKrw, result.success.availableKrw],
        [model.balances[this.user]!, availableOf(model, this.user)]
      )
    }
  }
  toString() {
    return `funds(user ${this.user})`
  }
}

class Advance implements Command {
  readonly seconds: number
  constructor(seconds: number) {
    this.seconds = seconds
  }
  check() {
    return true
  }
  async run(model: Model, real: Real) {
    await real.run(StoreClock.use((clock) => clock.advance(this.seconds * 1000)))
    model.nowMs += this.seconds * 1000
  }
  toString() {
    return `advance(${this.seconds} s)`
  }
}

const user = fc.nat({ max: users - 1 })
const commands = fc.commands(
  [
    fc.tuple(user, fc.constantFrom(500, 1_000, 3_000)).map(([u, a]) => new Charge(u, a)),
    fc
      .tuple(
        user,
        fc.nat({ max: 1 }),
        fc.uniqueArray(fc.integer({ min: 1, max: seatCount }), { minLength: 1, maxLength: 2 })
      )
      .map(([u, d, s]) => new HoldSeats(u, d, s)),
    fc.tuple(user, fc.nat({ max: 20 })).map(([u, h]) => new Pay(u, h)),
    fc.tuple(user, fc.nat({ max: 20 })).map(([u, h]) => new Release(u, h)),
    fc
      .tuple(user, fc.nat({ max: 20 }), fc.constantFrom("user" as const, "host" as const))
      .map(([u, h, by]) => new Refund(u, h, by)),
    user.map((u) => new Funds(u)),
    fc.constantFrom(1, 30, 59, 61).map((s) => new Advance(s))
  ],
  { maxCommands: 40 }
)

/**
 * Registers the model-based suite for `adapter` with vitest.
 *
 * @example
 * ```ts
 * import { modelSuite } from "@boxoffice/testing"
 * declare const adapter: import("@boxoffice/testing").AdapterUnderTest
 * modelSuite(adapter)
 * ```
 * @category suites
 */
export const modelSuite = (adapter: AdapterUnderTest): void => {
  describe(`model suite: ${adapter.name}`, () => {
    it("each call's outcome is exactly what a small model of holds, wallets and reservations predicts", async () => {
      const runs = propertyRuns()
      let commandsRun = 0
      await fc.assert(
        fc.asyncProperty(commands, async (sequence) => {
          const runtime = ManagedRuntime.make(
            Booking.layer.pipe(
              Layer.provideMerge(
                Layer.merge(
                  adapter.layer,
                  QueueTokenSigner.layerHmac(Redacted.make("boxoffice-model-secret-of-32-bytes-or-more"))
                )
              )
            )
          )
          try {
            const run = <A, E>(effect: Effect.Effect<A, E, Booking | StoreClock>) =>
              runtime.runPromise(Effect.result(effect))
            const setup = await runtime.runPromise(
              Effect.gen(function* () {
                const booking = yield* Booking
                const nowMs = yield* StoreClock.use((clock) => clock.nowMs)
                const concerts = yield* Effect.forEach(priceKrw, (price, index) =>
                  booking.createConcert({
                    title: `Model world ${index}`,
                    dates: [
                      { startsAt: DateTime.makeUnsafe(nowMs + (30 + index) * 86_400_000), priceKrw: price, seatCount }
                    ],
                    queue: { maxActive: 1_000, activeSeconds: Limits.activeSecondsMax },
                    holdSeconds,
                    maxSeatsPerUser,
                    holdNeedsFunds: holdNeedsFunds[index]!,
                    refundFeePercent: refundFeePercent[index]!
                  })
                )
                const ids = yield* Effect.forEach(Array.from({ length: users }), () => newId(UserId))
                const tokens = yield* Effect.forEach(ids, (id) =>
                  Effect.forEach(concerts, (concert) =>
                    Effect.map(booking.joinQueue(id, concert.concertId), (t) => t.queueToken)
                  )
                )
                return { concerts, ids, tokens, nowMs }
              })
            )
            const model: Model = {
              nowMs: setup.nowMs,
              balances: setup.ids.map(() => 0),
              holds: [],
              tokenless: new Set()
            }
            const real: Real = {
              run,
              concerts: setup.concerts,
              users: setup.ids,
              tokens: setup.tokens,
              holds: [],
              paymentIds: new Map()
            }
            commandsRun += [...sequence].length
            await fc.asyncModelRun(() => ({ model, real }), sequence)
          } finally {
            await runtime.dispose()
          }
        }),
        { numRuns: runs }
      )
      console.log(`[model] ${adapter.name}: ${runs} sequences passed, ${commandsRun} commands`)
    }, 1_800_000)
  })
}
