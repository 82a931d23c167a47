/**
 * Every engine error says what failed in its `message`, so that a logger,
 * `String(error)` and a stack trace print something useful; a store's
 * error says which store, where, and why.
 */
import { assert, describe, it } from "vitest"
import {
  AlreadyPaid,
  AlreadyRefunded,
  BalanceLimitExceeded,
  Forbidden,
  HoldExpired,
  HoldLimitExceeded,
  HumanCheckFailed,
  IdempotencyInFlight,
  IdempotencyKeyReused,
  InsufficientBalance,
  InvalidRequest,
  NotFound,
  OutcomeUnknown,
  QueueNotAdmitted,
  QueueTokenExpired,
  QueueTokenInvalid,
  RefundClosed,
  SaleClosed,
  SeatUnavailable,
  SoldOut,
  Unauthenticated,
  Unavailable
} from "../src/index.ts"

/** A connection refused, as Node reports it. */
const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:6390"), {
  code: "ECONNREFUSED",
  syscall: "connect",
  address: "127.0.0.1",
  port: 6390
})

describe("error messages", () => {
  it("every expected outcome names what happened", () => {
    const cases: Array<[{ readonly message: string }, string]> = [
      [new InvalidRequest({ detail: "seat 99 is outside 1..50" }), "invalid request: seat 99 is outside 1..50"],
      [
        new Unauthenticated({ detail: "the access token has expired" }),
        "not authenticated: the access token has expired"
      ],
      [new QueueTokenInvalid({ detail: "bad signature" }), "the queue token is invalid: bad signature"],
      [new QueueNotAdmitted({ position: 3 }), "the queue token is not admitted yet: it waits at position 3"],
      [new QueueNotAdmitted({ position: null }), "the queue token is not admitted yet"],
      [new QueueTokenExpired({}), "the queue token has ended (paid, timed out or left); join the queue again"],
      [new HumanCheckFailed({ detail: "the proof was spent" }), "the human check failed: the proof was spent"],
      [new Forbidden({ detail: "another user's hold" }), "forbidden: another user's hold"],
      [new NotFound({ entity: "concert", id: "c1" }), "no concert c1"],
      [new SeatUnavailable({ seatNumbers: [12] }), "seat 12 is held or sold; nothing was held"],
      [new SeatUnavailable({ seatNumbers: [12, 13] }), "seats 12 and 13 are held or sold; nothing was held"],
      [new SeatUnavailable({ seatNumbers: [3, 4, 5] }), "seats 3, 4 and 5 are held or sold; nothing was held"],
      [new SeatUnavailable({ seatNumbers: [] }), "a requested seat is held or sold; nothing was held"],
      [
        new HoldLimitExceeded({ maxSeatsPerUser: 4, seatsAlready: 3 }),
        "a user holds or buys at most 4 seats of a date, and has 3 already; nothing was held"
      ],
      [new AlreadyPaid({ holdId: "h1" }), "hold h1 is paid already"],
      [new AlreadyRefunded({ paymentId: "p1" }), "payment p1 was refunded already"],
      [
        new RefundClosed({ paymentId: "p1" }),
        "payment p1 can no longer be refunded: the refund cutoff of its date has passed"
      ],
      [
        new IdempotencyInFlight({}),
        "a request with the same Idempotency-Key is still running; retry once it has answered"
      ],
      [new HoldExpired({ holdId: "h1" }), "hold h1 expired or was released before payment"],
      [
        new InsufficientBalance({ balanceKrw: 10_000, neededKrw: 55_000 }),
        "the wallet has 10000 KRW available and 55000 KRW are needed; nothing changed"
      ],
      [
        new BalanceLimitExceeded({ balanceKrw: 999_000_000, balanceKrwMax: 1_000_000_000 }),
        "the charge would lift the balance of 999000000 KRW past its cap of 1000000000 KRW; nothing changed"
      ],
      [new IdempotencyKeyReused({}), "the Idempotency-Key was used before with another request; nothing changed"],
      [new SaleClosed({ dateId: "d1" }), "date d1 has started: its seats can no longer be held or paid"],
      [new SoldOut({ concertId: "c1" }), "concert c1 is sold out"]
    ]
    for (const [error, message] of cases) assert.strictEqual(error.message, message)
  })

  it("a store's failure names the store, where it is and the cause, in the message, String() and the stack", () => {
    const error = new Unavailable({ store: "redis", address: "127.0.0.1:6390", cause: refused })
    const message =
      "the redis store at 127.0.0.1:6390 is unavailable, so nothing happened: connect ECONNREFUSED 127.0.0.1:6390"
    assert.strictEqual(error.message, message)
    assert.strictEqual(String(error), `Unavailable: ${message}`)
    assert.strictEqual(error.stack!.split("\n")[0], `Unavailable: ${message}`)
  })

  it("a lost answer says the write may have happened and what to do", () => {
    const lost = Object.assign(new Error("write CONNECTION_CLOSED 127.0.0.1:5432"), {
      code: "CONNECTION_CLOSED",
      cause: Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" })
    })
    assert.strictEqual(
      new OutcomeUnknown({ store: "postgres", address: "127.0.0.1:5432/boxoffice", cause: lost }).message,
      "the postgres store at 127.0.0.1:5432/boxoffice took a write but its answer was lost, so it may or may not " +
        "have happened (write CONNECTION_CLOSED 127.0.0.1:5432, from read ECONNRESET); retry with the same " +
        "Idempotency-Key or look the result up"
    )
  })

  it("causes are described whatever their shape", () => {
    const describe = (cause: unknown) => new Unavailable({ store: "s", cause }).message.split("nothing happened: ")[1]
    // A server error whose message lacks its code gets the code.
    assert.strictEqual(
      describe(Object.assign(new Error('database "nope" does not exist'), { code: "3D000" })),
      'database "nope" does not exist (3D000)'
    )
    // Node's attempts at several addresses: an aggregate with an empty message.
    const both = Object.assign(new AggregateError([refused, new Error("connect ECONNREFUSED ::1:6390")], ""), {
      code: "ECONNREFUSED"
    })
    assert.strictEqual(describe(both), "connect ECONNREFUSED 127.0.0.1:6390; connect ECONNREFUSED ::1:6390")
    // A code and an address with no message at all.
    assert.strictEqual(describe({ code: "ETIMEDOUT", address: "10.0.0.5", port: 6379 }), "ETIMEDOUT 10.0.0.5:6379")
    assert.strictEqual(describe("stalled"), "stalled")
    assert.strictEqual(describe(undefined), "no reason given")
    assert.strictEqual(describe(new Error("")), "Error")
    // No address: the message says so by saying nothing of one.
    assert.strictEqual(
      new Unavailable({ store: "identity", cause: new Error("the key set could not be read") }).message,
      "the identity store is unavailable, so nothing happened: the key set could not be read"
    )
  })
})
