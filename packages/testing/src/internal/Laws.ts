/**
 * The laws L1–L7 of the spec (docs/spec.md, Laws), checked on a snapshot read through the
 * ports after every generated step. A violation throws a `LawViolation`
 * whose message starts with the law's name.
 */
import {
  type BookingEvent,
  type Concert,
  Events,
  type Hold,
  type LedgerEntry,
  Limits,
  opensAtMsOf,
  type Payment,
  Payments,
  type PricedSeat,
  Queue,
  QueueEntry,
  type QueueTokenId,
  type Seat,
  SeatInventory,
  type UserId,
  Wallet,
  type WalletFunds
} from "@boxoffice/core"
import { DateTime, Effect, Option } from "effect"
import { StoreClock } from "../StoreClock.ts"

export class LawViolation extends Error {
  override readonly name = "LawViolation"
}

const violated = (law: string, message: string): never => {
  throw new LawViolation(`${law}: ${message}`)
}

/** What the harness learned from the answers it got. */
export interface Knowledge {
  readonly users: ReadonlyArray<UserId>
  /** Every token any join returned, in join order. */
  readonly tokens: Map<QueueTokenId, { readonly user: number; readonly token: string }>
  /** The last entry seen of each token: a rejoin replaces the user's ended entry, which then names nothing. */
  readonly lastEntries: Map<QueueTokenId, QueueEntry>
  /** Every hold any hold call returned, with the token it was made with. */
  readonly holds: Array<{ readonly hold: Hold; readonly tokenId: QueueTokenId }>
  /** When each token was first seen admitted; it must never change. */
  readonly admittedAtMs: Map<QueueTokenId, number>
  /** Tokens whose payment answered with success: they must have ended. */
  readonly paidTokens: Set<QueueTokenId>
  /**
   * The token each answered payment was made with, by payment id: a token pays
   * once. Only answers known to be the payment's own, not a replay that a
   * later token's call got with the key, are recorded.
   */
  readonly paymentTokens: Map<string, QueueTokenId>
  /** `${user}/${key}` of keyed payments whose outcome is unknown: a later success with the key may be a replay. */
  readonly uncertainPaymentKeys: Set<string>
  /** Per user: charges sent without a key, and the distinct keys sent. */
  readonly chargeAttempts: Array<{ unkeyed: number; readonly keys: Set<string> }>
  /** Charge ids that answered with success, per user. */
  readonly chargeSuccesses: Array<Set<string>>
  /** Since when the operator has kept the queue paused, or null while it runs. */
  pausedSinceMs: number | null
  /** Answers that said sold out (a refused join or act, a `sold-out` status) since the last check. */
  soldOutAnswers: number
  /** When a check first found the line said sold out: nobody may be admitted after it (until a refund). */
  soldOutSinceMs: number | null
  /** Every payment id any pay call answered, in order: what refund calls name. */
  readonly paymentIds: Array<string>
  /** A refund in this step succeeded or may have: seats may have come back while answers were given. */
  refundedInStep: boolean
  /** A refund was cut off after its store step, maybe: its line's reopening waits for the engine's next join. */
  reopenUnsettled: boolean
  /** The events of this world's users and concert read so far, and the sequence read up to. */
  readonly events: Array<BookingEvent>
  eventCursor: number
}

export interface Snapshot {
  readonly nowMs: number
  readonly holds: ReadonlyArray<{ readonly hold: Hold; readonly tokenId: QueueTokenId }>
  readonly payments: ReadonlyArray<Payment>
  readonly seats: ReadonlyArray<ReadonlyArray<Seat>>
  readonly balances: ReadonlyArray<number>
  /** Each user's balance and available balance as the wallet reports them, in one read. */
  readonly funds: ReadonlyArray<WalletFunds>
  readonly ledgers: ReadonlyArray<ReadonlyArray<LedgerEntry>>
  readonly entries: ReadonlyArray<QueueEntry>
  /** Every event of this world recorded so far, in sequence order. */
  readonly events: ReadonlyArray<BookingEvent>
}

/** Reads everything the laws speak of, through the ports (not the scheduler). */
export const takeSnapshot = (concert: Concert, knowledge: Knowledge) =>
  Effect.gen(function* () {
    const inventory = yield* SeatInventory
    const wallet = yield* Wallet
    const payments = yield* Payments
    const queue = yield* Queue
    const nowMs = yield* StoreClock.use((clock) => clock.nowMs)
    // The events since the last check; a store shared by other worlds (Postgres) holds theirs too.
    const outbox = yield* Events
    const ownUsers = new Set<string>(knowledge.users)
    for (;;) {
      const page = yield* outbox.read(knowledge.eventCursor, 500)
      if (page.length === 0) break
      knowledge.eventCursor = page[page.length - 1]!.sequence
      knowledge.events.push(
        ...page.filter(
          (event) =>
            event.data.concertId === concert.concertId ||
            (event.data.userId !== null && ownUsers.has(event.data.userId))
        )
      )
    }
    const paymentLists = yield* Effect.forEach(knowledge.users, payments.listPayments)
    const paidHolds = new Set(paymentLists.flat().map((payment) => payment.holdId))
    const found = yield* Effect.forEach(knowledge.holds, ({ hold, tokenId }) =>
      Effect.map(inventory.findHold(hold.holdId), (stored) => {
        if (Option.isSome(stored)) return [{ hold: stored.value, tokenId }]
        // A store may forget an unpaid hold once it has been over for the retention period.
        const forgettable =
          !paidHolds.has(hold.holdId) && ms(hold.expiresAt) + Limits.endedHoldRetentionSeconds * 1000 <= nowMs
        return forgettable ? [] : violated("L3", `hold ${hold.holdId} vanished`)
      })
    )
    const holds = found.flat()
    const newestOfUser = new Map<number, QueueTokenId>()
    for (const [tokenId, { user }] of knowledge.tokens) newestOfUser.set(user, tokenId)
    const entries = yield* Effect.forEach([...knowledge.tokens], ([tokenId, { user }]) =>
      Effect.map(
        queue.status(concert.concertId, { tokenId, userId: knowledge.users[user]! }, concert.policy.queue),
        (found) => {
          if (Option.isSome(found)) {
            knowledge.lastEntries.set(tokenId, found.value)
            return found.value
          }
          // Only an entry the same user's newer join replaced may vanish; it had ended.
          const last = knowledge.lastEntries.get(tokenId)
          if (last === undefined || newestOfUser.get(user) === tokenId)
            return violated("L5", `queue entry ${tokenId} vanished`)
          return new QueueEntry({ ...last, status: "expired", position: null, etaSeconds: null, activeUntil: null })
        }
      )
    )
    return {
      nowMs,
      holds,
      payments: paymentLists.flat(),
      seats: yield* Effect.forEach(concert.dates, inventory.seats),
      balances: yield* Effect.forEach(knowledge.users, wallet.balance),
      funds: yield* Effect.forEach(knowledge.users, wallet.funds),
      ledgers: yield* Effect.forEach(knowledge.users, wallet.ledger),
      events: knowledge.events,
      entries
    } satisfies Snapshot
  })

const ms = DateTime.toEpochMillis

/** L1: one owner per seat; at most one live hold per seat; a sold seat has no live hold. */
const checkL1 = (concert: Concert, snapshot: Snapshot) => {
  concert.dates.forEach((date, index) => {
    const soldBy = new Map<number, Payment>()
    // L3: a refunded payment's seats are sold to nobody by it.
    for (const payment of snapshot.payments.filter((p) => p.dateId === date.dateId && p.refund === null)) {
      for (const seat of payment.seatNumbers) {
        if (soldBy.has(seat)) violated("L1", `seat ${seat} of date ${index} sold twice`)
        soldBy.set(seat, payment)
      }
    }
    const heldBy = new Map<number, Hold>()
    for (const { hold } of snapshot.holds.filter((h) => h.hold.dateId === date.dateId && h.hold.status === "held")) {
      for (const seat of hold.seatNumbers) {
        if (heldBy.has(seat)) violated("L1", `seat ${seat} of date ${index} has two live holds`)
        if (soldBy.has(seat)) violated("L1", `sold seat ${seat} of date ${index} has a live hold`)
        heldBy.set(seat, hold)
      }
    }
    for (const seat of snapshot.seats[index]!) {
      const expected = soldBy.has(seat.seatNumber) ? "sold" : heldBy.has(seat.seatNumber) ? "held" : "available"
      if (seat.status !== expected) {
        violated("L1", `seat ${seat.seatNumber} of date ${index} is listed ${seat.status}, but is ${expected}`)
      }
    }
  })
}

/**
 * L2: balance = Σ charges − Σ payments, within 0..cap; no charge applied more
 * often than sent; available = balance − the amounts of the user's live
 * reserving holds (those of a concert with `holdNeedsFunds` that read held
 * now) is ≥ 0, and is what the wallet reports.
 */
const checkL2 = (concert: Concert, knowledge: Knowledge, snapshot: Snapshot) => {
  knowledge.users.forEach((userId, user) => {
    const ledger = snapshot.ledgers[user]!
    const balance = snapshot.balances[user]!
    const sum = ledger.reduce(
      (total, entry) => total + (entry.kind === "payment" ? -entry.amountKrw : entry.amountKrw),
      0
    )
    if (balance !== sum) violated("L2", `user ${user} has balance ${balance} but a ledger summing to ${sum}`)
    if (balance < 0) violated("L2", `user ${user} has a negative balance ${balance}`)
    if (balance > Limits.balanceKrwMax) violated("L2", `user ${user} has a balance past the cap`)
    // Every hold of the world is of its one concert: all of them reserve, or none does.
    const reserved = concert.policy.holdNeedsFunds
      ? snapshot.holds
          .filter(({ hold }) => hold.userId === userId && hold.status === "held")
          .reduce((total, { hold }) => total + hold.amountKrw, 0)
      : 0
    const available = balance - reserved
    if (available < 0) {
      violated("L2", `user ${user} has ${available} available: a balance of ${balance} less ${reserved} reserved`)
    }
    const funds = snapshot.funds[user]!
    if (funds.balanceKrw !== balance || funds.availableKrw !== available) {
      violated(
        "L2",
        `user ${user}'s wallet reports ${funds.balanceKrw} with ${funds.availableKrw} available, ` +
          `but holds ${balance} with ${available} available`
      )
    }
    const charges = ledger.filter((entry) => entry.kind === "charge")
    const chargeIds = new Set(charges.map((entry) => entry.referenceId))
    if (chargeIds.size !== charges.length) violated("L2", `user ${user} has a charge recorded twice`)
    const attempts = knowledge.chargeAttempts[user]!
    if (charges.length > attempts.unkeyed + attempts.keys.size) {
      violated(
        "L2",
        `user ${user} has ${charges.length} charges from ${attempts.unkeyed + attempts.keys.size} possible`
      )
    }
    for (const chargeId of knowledge.chargeSuccesses[user]!) {
      if (!chargeIds.has(chargeId as never))
        violated("L2", `user ${user}'s answered charge ${chargeId} is not in the ledger`)
    }
  })
}

/** What seat `seatNumber` of `date` costs and its class, read from the concert as created. */
const priceOf = (date: Concert["dates"][number], seatNumber: number) => {
  const seatClass = date.classes.find((c) => c.from <= seatNumber && seatNumber <= c.to)
  return { seatNumber, priceKrw: seatClass?.priceKrw ?? date.priceKrw, className: seatClass?.name ?? null }
}

/**
 * L3: every sale has exactly one payment by its owner for its price; no
 * payment half-happens. Per seat: each seat listed has its own price (its
 * class's, or the date's), a hold fixes those prices, and a payment's amount
 * is the sum of its seats' prices as its hold fixed them.
 */
const checkL3 = (concert: Concert, knowledge: Knowledge, snapshot: Snapshot) => {
  concert.dates.forEach((date, index) => {
    for (const seat of snapshot.seats[index]!) {
      const expected = priceOf(date, seat.seatNumber)
      if (seat.priceKrw !== expected.priceKrw || seat.className !== expected.className) {
        violated("L3", `seat ${seat.seatNumber} of date ${index} is listed at ${seat.priceKrw} (${seat.className})`)
      }
    }
  })
  for (const { hold } of snapshot.holds) {
    const date = concert.dates.find((d) => d.dateId === hold.dateId)!
    const fixed = hold.seats.map((seat) => `${seat.seatNumber}:${seat.priceKrw}:${seat.className}`).join()
    const priced = hold.seatNumbers
      .map((n) => priceOf(date, n))
      .map((seat) => `${seat.seatNumber}:${seat.priceKrw}:${seat.className}`)
      .join()
    if (fixed !== priced) violated("L3", `hold ${hold.holdId} fixed ${fixed}, not its seats' prices ${priced}`)
    const sum = hold.seats.reduce((total, seat) => total + seat.priceKrw, 0)
    if (hold.amountKrw !== sum) violated("L3", `hold ${hold.holdId} of ${hold.amountKrw} is not its seats' sum ${sum}`)
  }
  const holds = new Map(snapshot.holds.map(({ hold }) => [hold.holdId, hold]))
  const paymentsPerHold = new Map<string, number>()
  for (const payment of snapshot.payments) {
    const hold = holds.get(payment.holdId) ?? violated("L3", `payment ${payment.paymentId} names an unknown hold`)
    const date =
      concert.dates.find((d) => d.dateId === payment.dateId) ??
      violated("L3", `payment ${payment.paymentId} names an unknown date`)
    if (hold.status !== "paid") violated("L3", `paid hold ${hold.holdId} reads ${hold.status}`)
    if (hold.userId !== payment.userId) violated("L3", `payment ${payment.paymentId} is not by the hold's owner`)
    if (hold.seatNumbers.join() !== payment.seatNumbers.join())
      violated("L3", `payment ${payment.paymentId} lacks seats`)
    const seatsSum = payment.seatNumbers.reduce((total, n) => total + priceOf(date, n).priceKrw, 0)
    if (payment.amountKrw !== hold.amountKrw || payment.amountKrw !== seatsSum) {
      violated("L3", `payment ${payment.paymentId} of ${payment.amountKrw} is not its seats' prices, ${seatsSum}`)
    }
    const listed = (seats: ReadonlyArray<PricedSeat>) =>
      seats.map((seat) => `${seat.seatNumber}:${seat.priceKrw}:${seat.className}`).join()
    if (listed(payment.seats) !== listed(hold.seats)) {
      violated(
        "L3",
        `payment ${payment.paymentId} lists seats ${listed(payment.seats)}, its hold ${listed(hold.seats)}`
      )
    }
    paymentsPerHold.set(hold.holdId, (paymentsPerHold.get(hold.holdId) ?? 0) + 1)
  }
  for (const { hold } of snapshot.holds) {
    const count = paymentsPerHold.get(hold.holdId) ?? 0
    if (count > 1) violated("L3", `hold ${hold.holdId} was paid ${count} times`)
    if (hold.status === "paid" && count === 0) violated("L3", `hold ${hold.holdId} reads paid but has no payment`)
  }
  for (const payment of snapshot.payments) {
    const refund = payment.refund
    if (refund !== null && refund.amountKrw + refund.feeKrw !== payment.amountKrw) {
      violated(
        "L2",
        `payment ${payment.paymentId} of ${payment.amountKrw} was refunded ${refund.amountKrw} + fee ${refund.feeKrw}`
      )
    }
  }
  knowledge.users.forEach((userId, user) => {
    const credits = snapshot.ledgers[user]!.filter((entry) => entry.kind === "refund")
    const refunded = snapshot.payments.filter((p) => p.userId === userId && p.refund !== null)
    const credited = new Map(credits.map((entry) => [entry.referenceId as string, entry.amountKrw]))
    if (
      credits.length !== refunded.length ||
      refunded.some((p) => credited.get(p.refund!.refundId) !== p.refund!.amountKrw)
    ) {
      violated("L2", `user ${user}'s ledger credits ${credits.length} refunds for ${refunded.length} refunded payments`)
    }
    const debits = snapshot.ledgers[user]!.filter((entry) => entry.kind === "payment")
    const own = snapshot.payments.filter((p) => p.userId === userId)
    const debited = new Map(debits.map((entry) => [entry.referenceId as string, entry.amountKrw]))
    if (debits.length !== own.length || own.some((p) => debited.get(p.paymentId) !== p.amountKrw)) {
      violated("L3", `user ${user}'s ledger debits do not match their payments`)
    }
  })
}

/** L4: a hold counts only while expiresAt > now; an expired hold was never paid. */
const checkL4 = (snapshot: Snapshot) => {
  const holds = new Map(snapshot.holds.map(({ hold }) => [hold.holdId, hold]))
  for (const payment of snapshot.payments) {
    const hold = holds.get(payment.holdId)!
    if (ms(payment.paidAt) >= ms(hold.expiresAt)) {
      violated("L4", `hold ${hold.holdId} was paid at or after its expiry`)
    }
  }
  for (const { hold } of snapshot.holds) {
    if (hold.status === "held" && ms(hold.expiresAt) <= snapshot.nowMs) {
      violated("L4", `hold ${hold.holdId} reads held after its expiry`)
    }
    if (hold.status === "expired" && ms(hold.expiresAt) > snapshot.nowMs) {
      violated("L4", `hold ${hold.holdId} reads expired before its expiry`)
    }
  }
}

/** Admissions in (t − 60 s, t] for each admission time t; the most in any window. */
const busiestWindow = (timesMs: ReadonlyArray<number>): number => {
  const sorted = [...timesMs].sort((a, b) => a - b)
  let most = 0
  let start = 0
  for (let end = 0; end < sorted.length; end++) {
    while (sorted[start]! <= sorted[end]! - 60_000) start++
    most = Math.max(most, end - start + 1)
  }
  return most
}

/**
 * L5 at a fair start: nobody is admitted or placed before the opening; from
 * the opening on, nobody is pending, and everyone drawn stands ahead of
 * everyone who joined later.
 */
const checkFairStart = (concert: Concert, snapshot: Snapshot) => {
  const opensAtMs = opensAtMsOf(concert.policy.queue)
  if (opensAtMs === null) return
  for (const entry of snapshot.entries) {
    if (entry.admittedAt !== null && ms(entry.admittedAt) < opensAtMs) {
      violated("L5", `${entry.tokenId} was admitted before the opening`)
    }
    if (snapshot.nowMs < opensAtMs && (entry.status === "waiting" || entry.status === "active")) {
      violated("L5", `${entry.tokenId} is ${entry.status} before the opening`)
    }
    if (snapshot.nowMs >= opensAtMs && entry.status === "pending") {
      violated("L5", `${entry.tokenId} is still pending after the opening`)
    }
  }
  const placed = snapshot.entries.filter((e) => e.joinSequence > 0)
  const drawn = placed.filter((e) => ms(e.joinedAt) < opensAtMs)
  const later = placed.filter((e) => ms(e.joinedAt) >= opensAtMs)
  const lastDrawn = Math.max(...drawn.map((e) => e.joinSequence))
  const firstLater = later.find((e) => e.joinSequence < lastDrawn)
  if (firstLater !== undefined) {
    violated("L5", `#${firstLater.joinSequence}, who joined after the opening, stands ahead of a drawn entry`)
  }
}

/** L5: exact join order, both caps, and no idle slot while someone waits. */
const checkL5 = (concert: Concert, knowledge: Knowledge, snapshot: Snapshot) => {
  checkFairStart(concert, snapshot)
  const policy = concert.policy.queue
  const bySequence = [...snapshot.entries].sort((a, b) => a.joinSequence - b.joinSequence)
  const waiting = bySequence.filter((e) => e.status === "waiting")
  const active = bySequence.filter((e) => e.status === "active")
  if (active.length > policy.maxActive) violated("L5", `${active.length} active over maxActive ${policy.maxActive}`)
  waiting.forEach((entry, index) => {
    if (entry.position !== index + 1)
      violated("L5", `waiter #${entry.joinSequence} is at ${entry.position}, not ${index + 1}`)
  })
  for (const entry of bySequence) {
    if (entry.admittedAt === null) continue
    const admittedAtMs = ms(entry.admittedAt)
    const seen = knowledge.admittedAtMs.get(entry.tokenId)
    if (seen !== undefined && seen !== admittedAtMs) violated("L5", `token ${entry.tokenId} was admitted twice`)
    knowledge.admittedAtMs.set(entry.tokenId, admittedAtMs)
    if (waiting.length > 0 && entry.joinSequence > waiting[0]!.joinSequence) {
      violated("L5", `#${entry.joinSequence} was admitted before #${waiting[0]!.joinSequence}, who joined first`)
    }
  }
  const admitted = bySequence.filter((e) => e.admittedAt !== null)
  for (let i = 1; i < admitted.length; i++) {
    if (ms(admitted[i]!.admittedAt!) < ms(admitted[i - 1]!.admittedAt!)) {
      violated("L5", `#${admitted[i]!.joinSequence} was admitted before #${admitted[i - 1]!.joinSequence}`)
    }
  }
  const admissionTimes = [...knowledge.admittedAtMs.values()]
  if (policy.admitPerMinute !== null && busiestWindow(admissionTimes) > policy.admitPerMinute) {
    violated("L5", `more than ${policy.admitPerMinute} admissions in one 60-second window`)
  }
  const pausedSinceMs = knowledge.pausedSinceMs
  if (pausedSinceMs !== null) {
    // Paused: nobody is admitted, and the idle slots are the operator's choice.
    const late = bySequence.find((e) => e.admittedAt !== null && ms(e.admittedAt) > pausedSinceMs)
    if (late !== undefined) violated("L5", `#${late.joinSequence} was admitted while the queue was paused`)
    return
  }
  const recent = admissionTimes.filter((t) => t > snapshot.nowMs - 60_000).length
  const rateRoom = policy.admitPerMinute === null || recent < policy.admitPerMinute
  if (waiting.length > 0 && active.length < policy.maxActive && rateRoom) {
    violated("L5", `${waiting.length} wait while ${policy.maxActive - active.length} slots are free`)
  }
}

/**
 * L5 when sold out: nobody is told `sold-out` while a seat of a date that has
 * not started is available or held. An entry that reads `sold-out` now, or an
 * answer that said so since the last check, needs every seat of every
 * upcoming date sold now. Only a refund un-sells a seat, so without one in the
 * step a seat that is not sold now was not sold when the answer was given
 * either. And once the line has said so, nobody is admitted until a refund.
 */
const checkSoldOut = (concert: Concert, knowledge: Knowledge, snapshot: Snapshot) => {
  // A refund reopens the line: admissions may follow, and answers given while it committed, or while a
  // cut-off refund left the reopening to the next call, are not judged.
  const refunded = knowledge.refundedInStep
  knowledge.refundedInStep = false
  if (refunded) knowledge.soldOutSinceMs = null
  const sinceMs = knowledge.soldOutSinceMs
  const late = snapshot.entries.find(
    (entry) => sinceMs !== null && entry.admittedAt !== null && ms(entry.admittedAt) > sinceMs
  )
  if (late !== undefined) violated("L5", `#${late.joinSequence} was admitted after the line said sold out`)
  const told = knowledge.soldOutAnswers > 0 || snapshot.entries.some((entry) => entry.status === "sold-out")
  knowledge.soldOutAnswers = 0
  if (!told || refunded || knowledge.reopenUnsettled) return
  knowledge.soldOutSinceMs ??= snapshot.nowMs
  concert.dates.forEach((date, index) => {
    if (ms(date.startsAt) <= snapshot.nowMs) return
    const unsold = snapshot.seats[index]!.find((seat) => seat.status !== "sold")
    if (unsold !== undefined) {
      violated("L5", `told sold-out while seat ${unsold.seatNumber} of date ${index} is ${unsold.status}`)
    }
  })
}

/** L6: holds were made with an active token of their owner; a token paid at most once; payment ended the token. */
const checkL6 = (concert: Concert, knowledge: Knowledge, snapshot: Snapshot) => {
  const entries = new Map(snapshot.entries.map((e) => [e.tokenId, e]))
  for (const { hold, tokenId } of snapshot.holds) {
    const entry = entries.get(tokenId) ?? violated("L6", `hold ${hold.holdId} was made with an unknown token`)
    if (entry.userId !== hold.userId) violated("L6", `hold ${hold.holdId} was made with another user's token`)
    const admittedAtMs = entry.admittedAt === null ? null : ms(entry.admittedAt)
    const createdAtMs = ms(hold.createdAt)
    if (
      admittedAtMs === null ||
      createdAtMs < admittedAtMs ||
      createdAtMs >= admittedAtMs + concert.policy.queue.activeSeconds * 1000
    ) {
      violated(
        "L6",
        `hold ${hold.holdId} was made outside its token's active window (made at ${createdAtMs}, admitted at ${admittedAtMs}, joined at ${ms(entry.joinedAt)}, opens at ${concert.policy.queue.opensAt === undefined ? "-" : ms(concert.policy.queue.opensAt)})`
      )
    }
  }
  const paidWith = new Map<QueueTokenId, string>()
  for (const [paymentId, tokenId] of knowledge.paymentTokens) {
    const first = paidWith.get(tokenId)
    if (first !== undefined) violated("L6", `token ${tokenId} paid twice: payments ${first} and ${paymentId}`)
    paidWith.set(tokenId, paymentId)
  }
  for (const tokenId of knowledge.paidTokens) {
    if (entries.get(tokenId)?.status !== "expired") violated("L6", `token ${tokenId} outlived its payment`)
  }
}

/**
 * The outbox: every change has exactly one event, written with it, and the
 * events alone rebuild every seat's state and every balance exactly.
 */
const checkEvents = (concert: Concert, knowledge: Knowledge, snapshot: Snapshot) => {
  /** One event per change; `exact`: and none for a change not listed (a hold whose answer was lost is not). */
  const once = (
    type: string,
    key: (event: BookingEvent) => string | null,
    expected: ReadonlyArray<string>,
    exact = true
  ) => {
    const seen = snapshot.events.filter((event) => event.type === type).map(key)
    if (new Set(seen).size !== seen.length) violated("events", `a ${type} event was recorded twice`)
    const missing = expected.filter((id) => !seen.includes(id))
    if (missing.length > 0 || (exact && seen.length !== expected.length)) {
      violated("events", `${type}: ${seen.length} events for ${expected.length} changes (missing ${missing.join()})`)
    }
  }
  once(
    "payment.completed",
    (e) => e.data.paymentId,
    snapshot.payments.map((p) => p.paymentId)
  )
  once(
    "payment.refunded",
    (e) => e.data.refundId,
    snapshot.payments.flatMap((p) => (p.refund === null ? [] : [p.refund.refundId]))
  )
  once(
    "wallet.charged",
    (e) => e.data.chargeId,
    snapshot.ledgers.flat().flatMap((entry) => (entry.kind === "charge" ? [entry.referenceId as string] : []))
  )
  once(
    "hold.created",
    (e) => e.data.holdId,
    snapshot.holds.map(({ hold }) => hold.holdId),
    false
  )
  // Balances: what charges added, payments took and refunds gave back.
  knowledge.users.forEach((userId, user) => {
    const rebuilt = snapshot.events
      .filter((event) => event.data.userId === userId)
      .reduce(
        (sum, event) =>
          event.type === "wallet.charged" || event.type === "payment.refunded"
            ? sum + event.data.amountKrw
            : event.type === "payment.completed"
              ? sum - event.data.amountKrw
              : sum,
        0
      )
    if (rebuilt !== snapshot.balances[user]) {
      violated("events", `user ${user}'s events rebuild a balance of ${rebuilt}, not ${snapshot.balances[user]}`)
    }
  })
  // Seats: replayed in sequence order; a hold counts until its expiry, as L4 says.
  concert.dates.forEach((date, index) => {
    const sold = new Map<number, string>()
    const held = new Map<number, { holdId: string; untilMs: number }>()
    for (const event of snapshot.events.filter((e) => e.data.dateId === date.dateId)) {
      for (const seat of event.data.seatNumbers) {
        if (event.type === "hold.created") {
          held.set(seat, { holdId: event.data.holdId!, untilMs: ms(event.data.expiresAt!) })
        } else if (event.type === "hold.released" || event.type === "hold.expired") {
          if (held.get(seat)?.holdId === event.data.holdId) held.delete(seat)
        } else if (event.type === "payment.completed") {
          held.delete(seat)
          sold.set(seat, event.data.paymentId!)
        } else if (event.type === "payment.refunded" && sold.get(seat) === event.data.paymentId) {
          sold.delete(seat)
        }
      }
    }
    for (const seat of snapshot.seats[index]!) {
      const hold = held.get(seat.seatNumber)
      const rebuilt = sold.has(seat.seatNumber)
        ? "sold"
        : hold !== undefined && hold.untilMs > snapshot.nowMs
          ? "held"
          : "available"
      if (rebuilt !== seat.status) {
        violated("events", `seat ${seat.seatNumber} of date ${index} is ${seat.status}; its events say ${rebuilt}`)
      }
    }
  })
}

/** Checks L1–L6 on the snapshot (L7 is checked on each answer, as it arrives). */
export const checkLaws = (concert: Concert, knowledge: Knowledge, snapshot: Snapshot): void => {
  checkL1(concert, snapshot)
  checkL2(concert, knowledge, snapshot)
  checkL3(concert, knowledge, snapshot)
  checkL4(snapshot)
  checkL5(concert, knowledge, snapshot)
  checkSoldOut(concert, knowledge, snapshot)
  checkL6(concert, knowledge, snapshot)
  checkEvents(concert, knowledge, snapshot)
}
