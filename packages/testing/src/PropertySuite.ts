/**
 * The property suite: arbitrary interleavings of the whole sale, against
 * any adapter, with the laws L1–L7 checked after every step.
 *
 * @since 0.1.0
 */
import {
  Booking,
  type Concert,
  type NewConcert,
  newId,
  type PaymentId,
  type QueueEntry,
  QueueSettingsChange,
  type QueueTokenId,
  QueueTokenSigner,
  UserId
} from "@boxoffice/core"
import { Cause, DateTime, Effect, Exit, Layer, ManagedRuntime, Redacted } from "effect"
import * as fc from "fast-check"
import { assert, describe, it } from "vitest"
import type { AdapterUnderTest } from "./AdapterUnderTest.ts"
import { checkLaws, type Knowledge, LawViolation, takeSnapshot } from "./internal/Laws.ts"
import { CurrentOperation, gatedStores, type OperationControl } from "./internal/Scheduling.ts"
import { StoreClock } from "./StoreClock.ts"
import { type HeldLock, StoreStall } from "./StoreStall.ts"

/** One call a user makes. `hold` indexes the holds seen so far, anyone's. @category models */
export type Operation =
  | { readonly kind: "join"; readonly user: number }
  | { readonly kind: "status"; readonly user: number }
  | { readonly kind: "leave"; readonly user: number }
  | { readonly kind: "hold"; readonly user: number; readonly date: number; readonly seats: ReadonlyArray<number> }
  | { readonly kind: "release"; readonly user: number; readonly hold: number }
  | { readonly kind: "charge"; readonly user: number; readonly amountKrw: number; readonly key: string | null }
  | { readonly kind: "pay"; readonly user: number; readonly hold: number; readonly key: string | null }
  | { readonly kind: "forged"; readonly user: number; readonly date: number }
  | {
      readonly kind: "refund"
      readonly user: number
      readonly payment: number
      readonly by: "user" | "host"
      readonly key: string | null
    }

/**
 * A slow store call: the operation's payment, release or charge waits on a
 * lock of its hold or wallet (a hold that reserves funds, on its wallet)
 * while the clock moves on by `seconds`.
 *
 * @category models
 */
export interface SlowCall {
  readonly operation: number
  readonly lock: "hold" | "wallet"
  readonly seconds: number
}

/**
 * One step: calls running concurrently (one may crash at a store call, one
 * may be slow inside the store), or the clock moving on.
 *
 * @category models
 */
export type Step =
  | {
      readonly kind: "concurrently"
      readonly operations: ReadonlyArray<Operation>
      readonly interrupt: { readonly operation: number; readonly atCall: number } | null
      readonly slow: SlowCall | null
    }
  | { readonly kind: "advance"; readonly seconds: number }
  | { readonly kind: "pause"; readonly paused: boolean }

/**
 * The sale every case runs: small, so that users collide often. Half the
 * cases open the sale a little later, so joins land both before and after
 * the fair-start draw. Half of them sell under `holdNeedsFunds`, where each
 * user starts with 0, 1,000 or 2,500 KRW and charges little, so holds both
 * fit and would over-reserve. The second date has a seat class (seats 1 and
 * 2 at 2,000) beside seats at its own price, so holds mix prices and L3 is
 * checked per seat.
 *
 * @category constants
 */
export const lawWorld = {
  users: 4,
  seatCount: 4,
  concert: (nowMs: number, opensInSeconds: number | null = null, holdNeedsFunds = false): NewConcert => ({
    ...(opensInSeconds === null ? {} : { opensAt: DateTime.makeUnsafe(nowMs + opensInSeconds * 1000) }),
    ...(holdNeedsFunds ? { holdNeedsFunds } : {}),
    title: "Law world",
    dates: [
      { startsAt: DateTime.makeUnsafe(nowMs + 30 * 86_400_000), priceKrw: 1_000, seatCount: 4 },
      {
        startsAt: DateTime.makeUnsafe(nowMs + 31 * 86_400_000),
        priceKrw: 1_500,
        seatCount: 4,
        classes: [{ name: "VIP", priceKrw: 2_000, from: 1, to: 2 }]
      }
    ],
    queue: { maxActive: 2, activeSeconds: 180, admitPerMinute: 3 },
    holdSeconds: 60,
    maxSeatsPerUser: 3
  })
} as const

const user = fc.nat({ max: lawWorld.users - 1 })
const date = fc.nat({ max: 1 })
const key = fc.option(fc.constantFrom("a", "b"), { nil: null })

const operation: fc.Arbitrary<Operation> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("join" as const), user }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("status" as const), user }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("leave" as const), user }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("hold" as const),
      user,
      date,
      seats: fc.uniqueArray(fc.integer({ min: 1, max: lawWorld.seatCount }), { minLength: 1, maxLength: 2 })
    })
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("release" as const), user, hold: fc.nat({ max: 15 }) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("charge" as const),
      user,
      amountKrw: fc.constantFrom(500, 1_000, 2_500),
      key
    })
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("pay" as const), user, hold: fc.nat({ max: 15 }), key }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("forged" as const), user, date }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("refund" as const),
      user,
      payment: fc.nat({ max: 7 }),
      by: fc.constantFrom("user" as const, "host" as const),
      key
    })
  }
)

/** @category arbitraries */
export const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant("concurrently" as const),
      operations: fc.array(operation, { minLength: 1, maxLength: 3 }),
      interrupt: fc.option(fc.record({ operation: fc.nat({ max: 2 }), atCall: fc.nat({ max: 6 }) }), {
        nil: null,
        freq: 3
      }),
      slow: fc.option(
        fc.record({
          operation: fc.nat({ max: 2 }),
          lock: fc.constantFrom("hold" as const, "wallet" as const),
          seconds: fc.constantFrom(1, 30, 61)
        }),
        { nil: null, freq: 3 }
      )
    })
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("advance" as const), seconds: fc.constantFrom(1, 30, 61, 181) })
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("pause" as const), paused: fc.boolean() }) }
)

/** The number of cases per adapter: at least 500, more with `BOXOFFICE_PROPERTY_RUNS`. @category constants */
export const propertyRuns = (): number => {
  const requested = Number(globalThis.process?.env?.["BOXOFFICE_PROPERTY_RUNS"] ?? "")
  return Number.isInteger(requested) && requested > 500 ? requested : 500
}

/** What a run did, for the printed counts. @category models */
export interface PropertyTally {
  cases: number
  steps: number
  operations: number
  interrupted: number
  /** Store calls that waited on a lock while the clock moved on. */
  slowed: number
  /** Steps where the operator paused or resumed the queue. */
  pauses: number
  /** Cases whose sale opened later, with a pre-queue drawn at the opening. */
  openings: number
  /** Cases sold under `holdNeedsFunds`, the holds made there, and those refused for want of funds. */
  fundedCases: number
  reservingHolds: number
  fundsRefusals: number
  /** Cases that started with every seat but one sold and that one held (or sold); the answers that said sold out. */
  nearlySoldOutCases: number
  soldOutAnswers: number
  /** Refunds that succeeded. */
  refunds: number
  lawChecks: number
}

const worldLayer = (adapter: AdapterUnderTest) =>
  Booking.layer.pipe(
    Layer.provide(gatedStores),
    Layer.provideMerge(
      Layer.merge(
        adapter.layer,
        QueueTokenSigner.layerHmac(Redacted.make("boxoffice-law-world-secret-of-32-bytes-or-more"))
      )
    )
  )

type WorldRuntime = ManagedRuntime.ManagedRuntime<Layer.Success<ReturnType<typeof worldLayer>>, unknown>

interface World {
  readonly concert: Concert
  readonly knowledge: Knowledge
  /** Each user's newest token, and each token's id. */
  readonly tokenOf: Map<number, string>
  readonly tokenIdOf: Map<string, QueueTokenId>
  /** L7: the first answer per user and key. */
  readonly answers: Map<string, string>
  readonly tally: PropertyTally
}

/** `token` is the user's newest token when the step starts: the one this call uses. */
const runOperation = (world: World, op: Operation, token: string) =>
  Effect.gen(function* () {
    const booking = yield* Booking
    const { concert, knowledge } = world
    const userId = knowledge.users[op.user]!
    const holdAt = (index: number) =>
      knowledge.holds.length === 0 ? null : knowledge.holds[index % knowledge.holds.length]!.hold
    switch (op.kind) {
      case "join":
        return yield* booking.joinQueue(userId, concert.concertId)
      case "status":
        return yield* booking.queueStatus(userId, token)
      case "leave":
        return yield* booking.leaveQueue(userId, token)
      case "hold":
        return yield* booking.hold(userId, token, concert.dates[op.date]!.dateId, op.seats)
      case "release": {
        const hold = holdAt(op.hold)
        return hold === null ? undefined : yield* booking.releaseHold(userId, hold.holdId)
      }
      case "charge":
        return yield* booking.charge(userId, op.amountKrw, op.key)
      case "pay": {
        const hold = holdAt(op.hold)
        return hold === null ? undefined : yield* booking.pay(userId, token, hold.holdId, op.key)
      }
      case "refund": {
        const paymentIds = knowledge.paymentIds
        if (paymentIds.length === 0) return undefined
        const paymentId = paymentIds[op.payment % paymentIds.length]! as PaymentId
        return op.by === "host"
          ? yield* booking.refundAsHost(paymentId, op.key)
          : yield* booking.refund(userId, paymentId, op.key)
      }
      case "forged": {
        const forged = token === "" ? "forged" : `${token.slice(0, -3)}${token.endsWith("AAA") ? "BBB" : "AAA"}`
        return yield* booking.hold(userId, forged, concert.dates[op.date]!.dateId, [1])
      }
    }
  })

/** An answer said the concert is sold out: the laws check that it was, after the step. */
const toldSoldOut = (world: World) => {
  world.knowledge.soldOutAnswers++
  world.tally.soldOutAnswers++
}

/**
 * A prelude that sells every seat but the last of the first date (user 0
 * buys three of each date, user 1 the last of the second) and leaves user 1
 * holding that seat, all through the engine as any step does, so that the
 * generated steps that follow race around it: the last sale, or the hold's
 * expiry and someone else's, with joins and polls.
 *
 * @category constants
 */
export const nearlySoldOut: ReadonlyArray<Step> = (() => {
  const alone = (operation: Operation): Step => ({
    kind: "concurrently",
    operations: [operation],
    interrupt: null,
    slow: null
  })
  return [
    alone({ kind: "charge", user: 0, amountKrw: 10_000, key: null }),
    alone({ kind: "join", user: 0 }),
    alone({ kind: "hold", user: 0, date: 0, seats: [1, 2, 3] }),
    alone({ kind: "pay", user: 0, hold: 0, key: null }),
    alone({ kind: "join", user: 0 }),
    alone({ kind: "hold", user: 0, date: 1, seats: [1, 2, 3] }),
    alone({ kind: "pay", user: 0, hold: 1, key: null }),
    alone({ kind: "charge", user: 1, amountKrw: 10_000, key: null }),
    alone({ kind: "join", user: 1 }),
    alone({ kind: "hold", user: 1, date: 1, seats: [4] }),
    alone({ kind: "pay", user: 1, hold: 2, key: null }),
    // The rate cap has admitted three this minute.
    { kind: "advance", seconds: 61 },
    alone({ kind: "join", user: 1 }),
    alone({ kind: "hold", user: 1, date: 0, seats: [4] })
  ]
})()

/** After {@link nearlySoldOut}: the last sale. @category constants */
export const soldOutStep: Step = {
  kind: "concurrently",
  operations: [{ kind: "pay", user: 1, hold: 3, key: null }],
  interrupt: null,
  slow: null
}

/**
 * Learns from one answer, and checks what can only be checked on answers
 * (L6 forgeries, L7). Returns a defect to report once the laws were checked,
 * so that a broken store is named by the law it broke.
 */
const learn = (
  world: World,
  op: Operation,
  token: string,
  exit: Exit.Exit<unknown, unknown>,
  interrupted: boolean
): Error | null => {
  const { concert, knowledge } = world
  // The token this call used, not the user's newest: a join in the same step may have replaced it.
  const usedTokenId = world.tokenIdOf.get(token)
  const lostAnswer =
    Exit.isFailure(exit) &&
    (Cause.hasInterruptsOnly(exit.cause) ||
      (Cause.squash(exit.cause) as { readonly _tag?: string })._tag === "OutcomeUnknown")
  if (op.kind === "pay" && op.key !== null && (interrupted || lostAnswer)) {
    // It may have paid unseen: a later success with the key may be its replay, got with another token.
    knowledge.uncertainPaymentKeys.add(`${op.user}/${op.key}`)
  }
  if (op.kind === "refund" && (interrupted || lostAnswer || Exit.isSuccess(exit))) {
    // Seats may have come back: the line may reopen, and until a later call settles it, may not have yet.
    knowledge.refundedInStep = true
    if (interrupted || lostAnswer) knowledge.reopenUnsettled = true
  }
  if (Exit.isFailure(exit)) {
    if (Cause.hasDies(exit.cause)) return new Error(`${op.kind} died: ${Cause.pretty(exit.cause)}`)
    if (Cause.hasInterruptsOnly(exit.cause)) return null
    const error = Cause.squash(exit.cause) as { readonly _tag?: string }
    if (error._tag === "SoldOut") toldSoldOut(world)
    if (error._tag === "Unavailable") return new Error(`${op.kind} found a store unavailable`)
    if (op.kind === "forged" && error._tag !== "QueueTokenInvalid") {
      throw new LawViolation(`L6: a forged token got ${error._tag}`)
    }
    if (op.kind === "hold" && error._tag === "InsufficientBalance") {
      if (!concert.policy.holdNeedsFunds) {
        throw new LawViolation("L2: a hold of a concert without holdNeedsFunds was refused for want of funds")
      }
      world.tally.fundsRefusals++
    }
    return null
  }
  const value = exit.value as Record<string, unknown> | undefined
  const entry = (op.kind === "join" ? value?.["entry"] : value) as { readonly status?: string } | undefined
  if (entry?.status === "sold-out") toldSoldOut(world)
  switch (op.kind) {
    case "join": {
      const ticket = value as unknown as { queueToken: string; entry: { tokenId: QueueTokenId } }
      world.tokenOf.set(op.user, ticket.queueToken)
      world.tokenIdOf.set(ticket.queueToken, ticket.entry.tokenId)
      knowledge.tokens.set(ticket.entry.tokenId, { user: op.user, token: ticket.queueToken })
      knowledge.lastEntries.set(ticket.entry.tokenId, ticket.entry as QueueEntry)
      return null
    }
    case "hold":
      knowledge.holds.push({ hold: value as never, tokenId: usedTokenId! })
      if (concert.policy.holdNeedsFunds) world.tally.reservingHolds++
      return null
    case "forged":
      throw new LawViolation("L6: a forged token was accepted")
    case "refund": {
      if (value === undefined) return null
      world.tally.refunds++
      // A host's key is scoped to the payment's owner, not to the user who sent it: only a buyer's is checked here.
      if (op.key === null || op.by === "host") return null
      const answerKey = `${op.user}/${op.key}`
      const answer = JSON.stringify(value)
      const first = world.answers.get(answerKey)
      if (first !== undefined && first !== answer) {
        throw new LawViolation(`L7: key ${op.key} of user ${op.user} answered ${answer} after ${first}`)
      }
      world.answers.set(answerKey, answer)
      return null
    }
    case "charge":
    case "pay": {
      if (value === undefined) return null
      if (op.kind === "charge") knowledge.chargeSuccesses[op.user]!.add(value["chargeId"] as string)
      if (op.kind === "pay") knowledge.paymentIds.push(value["paymentId"] as string)
      if (op.kind === "pay" && !interrupted) {
        knowledge.paidTokens.add(usedTokenId!)
        const paymentId = value["paymentId"] as string
        const own = op.key === null || !knowledge.uncertainPaymentKeys.has(`${op.user}/${op.key}`)
        if (own && !knowledge.paymentTokens.has(paymentId)) knowledge.paymentTokens.set(paymentId, usedTokenId!)
      }
      if (op.key === null) return null
      const answerKey = `${op.user}/${op.key}`
      const answer = JSON.stringify(value)
      const first = world.answers.get(answerKey)
      if (first !== undefined && first !== answer) {
        throw new LawViolation(`L7: key ${op.key} of user ${op.user} answered ${answer} after ${first}`)
      }
      world.answers.set(answerKey, answer)
      return null
    }
    default:
      return null
  }
}

/** The lock a slow call waits on, taken before the step's calls start; null when the step has none. */
const takeSlowLock = async (
  runtime: WorldRuntime,
  world: World,
  step: Extract<Step, { kind: "concurrently" }>
): Promise<HeldLock | null> => {
  const slow = step.slow
  const op = slow === null ? undefined : step.operations[slow.operation]
  if (slow === null || op === undefined) return null
  const { knowledge } = world
  if (slow.lock === "wallet" && (op.kind === "pay" || op.kind === "charge" || op.kind === "hold")) {
    const userId = knowledge.users[op.user]!
    return runtime.runPromise(StoreStall.use((stall) => stall.lockWallet(userId)))
  }
  if (slow.lock === "hold" && (op.kind === "pay" || op.kind === "release") && knowledge.holds.length > 0) {
    const holdId = knowledge.holds[op.hold % knowledge.holds.length]!.hold.holdId
    return runtime.runPromise(StoreStall.use((stall) => stall.lockHold(holdId)))
  }
  return null
}

/**
 * Once the slow call waits on the lock (or ended without reaching it), the
 * clock moves on, then the lock is let go.
 */
const slowDown = async (
  runtime: WorldRuntime,
  lock: HeldLock,
  slowCall: Promise<unknown>,
  seconds: number,
  tally: PropertyTally
): Promise<void> => {
  const waiting = new AbortController()
  try {
    await Promise.race([
      runtime.runPromise(lock.waitedOn, { signal: waiting.signal }).then(
        () => void tally.slowed++,
        () => undefined
      ),
      slowCall
    ])
    await runtime.runPromise(StoreClock.use((clock) => clock.advance(seconds * 1000)))
  } finally {
    waiting.abort()
    await runtime.runPromise(lock.release)
  }
}

const runStep = async (
  runtime: WorldRuntime,
  scheduler: fc.Scheduler,
  world: World,
  step: Step,
  tally: PropertyTally
): Promise<Array<Error>> => {
  tally.steps++
  if (step.kind === "advance") {
    await runtime.runPromise(StoreClock.use((clock) => clock.advance(step.seconds * 1000)))
    return []
  }
  if (step.kind === "pause") {
    const settings = await runtime.runPromise(
      Booking.use((b) => b.configureQueue(world.concert.concertId, new QueueSettingsChange({ paused: step.paused })))
    )
    world.knowledge.pausedSinceMs = settings.paused
      ? (world.knowledge.pausedSinceMs ?? (await runtime.runPromise(StoreClock.use((clock) => clock.nowMs))))
      : null
    tally.pauses++
    return []
  }
  for (const op of step.operations) {
    if (op.kind !== "charge") continue
    const attempts = world.knowledge.chargeAttempts[op.user]!
    if (op.key === null) attempts.unkeyed++
    else attempts.keys.add(op.key)
  }
  const controls: Array<OperationControl> = step.operations.map((op, index) => ({
    label: `#${index} ${op.kind}(user ${op.user})`,
    scheduler,
    interruptAtCall: step.interrupt?.operation === index ? step.interrupt.atCall : null,
    calls: 0,
    interrupted: false
  }))
  const tokens = step.operations.map((op) => world.tokenOf.get(op.user) ?? "")
  const lock = await takeSlowLock(runtime, world, step)
  const running = step.operations.map((op, index) =>
    runtime.runPromiseExit(
      runOperation(world, op, tokens[index]!).pipe(Effect.provideService(CurrentOperation, controls[index]!))
    )
  )
  const exits = await scheduler.waitFor(
    lock === null
      ? Promise.all(running)
      : Promise.all([
          Promise.all(running),
          slowDown(runtime, lock, running[step.slow!.operation]!, step.slow!.seconds, tally)
        ]).then(([done]) => done)
  )
  tally.operations += exits.length
  const defects = exits.flatMap((exit, index) => {
    if (controls[index]!.interrupted) tally.interrupted++
    return learn(world, step.operations[index]!, tokens[index]!, exit, controls[index]!.interrupted) ?? []
  })
  // A join settles what a cut-off refund left owed (the engine reopens the line first), unless it too was cut off.
  const settled = step.operations.some(
    (op, index) => op.kind === "join" && !controls[index]!.interrupted && !world.knowledge.refundedInStep
  )
  if (settled) world.knowledge.reopenUnsettled = false
  return defects
}

/**
 * Runs the law property against `adapter` and returns fast-check's details
 * (a failure carries the shrunk counterexample). `tally` collects counts.
 *
 * @example
 * ```ts
 * import { checkBookingLaws } from "@boxoffice/testing"
 * declare const adapter: import("@boxoffice/testing").AdapterUnderTest
 * const details = await checkBookingLaws(adapter, { runs: 500 })
 * details.failed // false when L1–L7 held in every case
 * ```
 * @category suites
 */
export const checkBookingLaws = (
  adapter: AdapterUnderTest,
  options: { readonly runs: number; readonly seed?: number; readonly path?: string; readonly tally?: PropertyTally }
): Promise<
  fc.RunDetails<
    [fc.Scheduler, Array<Step>, number | null, Array<number> | null, "open" | "last-seat-held" | "sold-out"]
  >
> => {
  const tally = options.tally ?? {
    cases: 0,
    steps: 0,
    operations: 0,
    interrupted: 0,
    slowed: 0,
    pauses: 0,
    openings: 0,
    fundedCases: 0,
    reservingHolds: 0,
    fundsRefusals: 0,
    nearlySoldOutCases: 0,
    soldOutAnswers: 0,
    refunds: 0,
    lawChecks: 0
  }
  const property = fc.asyncProperty(
    fc.scheduler(),
    fc.array(stepArbitrary, { minLength: 1, maxLength: 30 }),
    fc.option(fc.constantFrom<number>(30, 61, 181), { nil: null, freq: 2 }),
    // Under holdNeedsFunds: each user's balance at the start. Without it (null), users start with nothing.
    fc.option(
      fc.array(fc.constantFrom<number>(0, 1_000, 2_500), { minLength: lawWorld.users, maxLength: lawWorld.users }),
      {
        nil: null,
        freq: 2
      }
    ),
    // Of the cases without an opening, a quarter start with every seat but one sold and that one held, and a
    // quarter sold out.
    fc.oneof(
      { weight: 2, arbitrary: fc.constant("open" as const) },
      { weight: 1, arbitrary: fc.constant("last-seat-held" as const) },
      { weight: 1, arbitrary: fc.constant("sold-out" as const) }
    ),
    async (scheduler, steps, opensInSeconds, funding, start) => {
      const holdNeedsFunds = funding !== null
      const prelude =
        opensInSeconds !== null || start === "open"
          ? []
          : start === "sold-out"
            ? [...nearlySoldOut, soldOutStep]
            : nearlySoldOut
      if (prelude.length > 0) tally.nearlySoldOutCases++
      tally.cases++
      if (opensInSeconds !== null) tally.openings++
      if (holdNeedsFunds) tally.fundedCases++
      const runtime: WorldRuntime = ManagedRuntime.make(worldLayer(adapter))
      try {
        const world = await runtime.runPromise(
          Effect.gen(function* () {
            const nowMs = yield* StoreClock.use((clock) => clock.nowMs)
            const concert = yield* (yield* Booking).createConcert(
              lawWorld.concert(nowMs, opensInSeconds, holdNeedsFunds)
            )
            const users = yield* Effect.forEach(Array.from({ length: lawWorld.users }), () => newId(UserId))
            const knowledge: Knowledge = {
              users,
              tokens: new Map(),
              lastEntries: new Map(),
              holds: [],
              admittedAtMs: new Map(),
              paidTokens: new Set(),
              paymentTokens: new Map(),
              uncertainPaymentKeys: new Set(),
              chargeAttempts: users.map(() => ({ unkeyed: 0, keys: new Set<string>() })),
              chargeSuccesses: users.map(() => new Set<string>()),
              pausedSinceMs: null,
              soldOutAnswers: 0,
              soldOutSinceMs: null,
              paymentIds: [],
              refundedInStep: false,
              reopenUnsettled: false,
              events: [],
              eventCursor: 0
            }
            for (const [user, amountKrw] of (funding ?? []).entries()) {
              if (amountKrw === 0) continue
              knowledge.chargeAttempts[user]!.unkeyed++
              const receipt = yield* (yield* Booking).charge(users[user]!, amountKrw, null)
              knowledge.chargeSuccesses[user]!.add(receipt.chargeId)
            }
            return {
              concert,
              knowledge,
              tokenOf: new Map(),
              tokenIdOf: new Map(),
              answers: new Map(),
              tally
            } satisfies World
          })
        )
        for (const step of [...prelude, ...steps]) {
          const defects = await runStep(runtime, scheduler, world, step, tally)
          const snapshot = await runtime.runPromise(takeSnapshot(world.concert, world.knowledge))
          checkLaws(world.concert, world.knowledge, snapshot)
          tally.lawChecks++
          if (defects.length > 0) throw defects[0]
        }
      } finally {
        await runtime.dispose()
      }
    }
  )
  return fc.check(property, {
    numRuns: options.runs,
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    ...(options.path === undefined ? {} : { path: options.path })
  })
}

/**
 * Registers the property suite for `adapter` with vitest: at least 500
 * generated cases (see {@link propertyRuns}), with the counts printed.
 *
 * @example
 * ```ts
 * import { propertySuite } from "@boxoffice/testing"
 * declare const adapter: import("@boxoffice/testing").AdapterUnderTest
 * propertySuite(adapter)
 * ```
 * @category suites
 */
export const propertySuite = (adapter: AdapterUnderTest): void => {
  describe(`property suite: ${adapter.name}`, () => {
    it("L1–L7 hold after every step of arbitrary interleavings, interruptions and clock moves", async () => {
      const runs = propertyRuns()
      const tally: PropertyTally = {
        cases: 0,
        steps: 0,
        operations: 0,
        interrupted: 0,
        slowed: 0,
        pauses: 0,
        openings: 0,
        fundedCases: 0,
        reservingHolds: 0,
        fundsRefusals: 0,
        nearlySoldOutCases: 0,
        soldOutAnswers: 0,
        refunds: 0,
        lawChecks: 0
      }
      // A failure prints its seed and path; set both to replay exactly that case.
      const env = globalThis.process?.env ?? {}
      const seed = env["BOXOFFICE_PROPERTY_SEED"] === undefined ? undefined : Number(env["BOXOFFICE_PROPERTY_SEED"])
      const path = env["BOXOFFICE_PROPERTY_PATH"]
      const details = await checkBookingLaws(adapter, {
        runs,
        tally,
        ...(seed === undefined ? {} : { seed }),
        ...(path === undefined ? {} : { path })
      })
      console.log(
        `[property] ${adapter.name}: ${details.numRuns} cases passed (seed ${details.seed}), ` +
          `${tally.steps} steps, ${tally.operations} operations, ${tally.interrupted} interrupted, ` +
          `${tally.slowed} slowed inside a store by a lock while the clock moved, ${tally.pauses} pauses or resumes, ` +
          `${tally.openings} cases with a later opening, ` +
          `${tally.fundedCases} cases under holdNeedsFunds with ${tally.reservingHolds} reserving holds and ` +
          `${tally.fundsRefusals} holds refused for want of funds, ` +
          `${tally.nearlySoldOutCases} cases around the last seat with ${tally.soldOutAnswers} sold-out answers, ` +
          `${tally.refunds} refunds, ` +
          `${tally.lawChecks} law checks`
      )
      assert.isFalse(
        details.failed,
        `${details.errorInstance}\n${fc.defaultReportMessage(details) ?? "the property failed"}`
      )
      if (path === undefined) assert.strictEqual(details.numRuns, runs)
    }, 1_800_000)
  })
}
