/**
 * The demo page: a buyer's whole journey through the public API, with the
 * typed client. The queue moves over SSE; the seat map is polled once a
 * second while a date is open (docs/decisions.md explains the choice).
 */
import type { ConcertId, DateId, HoldId, PaymentId } from "@boxoffice/core"
import type { BoxofficeClient, PaymentSummary } from "@boxoffice/http"
import { DateTime } from "effect"
import { clientFor, clock, formatKrw, messageFor, ProblemError, run } from "./api.ts"
import { byId, element, say } from "./dom.ts"
import { humanCheckWidget, humanProof } from "./humanCheck.ts"

interface QueueView {
  readonly status: "pending" | "waiting" | "active" | "expired" | "sold-out"
  readonly position: number | null
  readonly etaSeconds: number | null
  readonly activeUntil: string | null
  readonly opensAt: string | null
}

interface HoldView {
  readonly holdId: HoldId
  readonly dateId: DateId
  readonly seatNumbers: ReadonlyArray<number>
  readonly amount: number
  readonly expiresAtMs: number
}

const seatPollMs = 1_000

let client: BoxofficeClient
let concertId: ConcertId | null = null
let queueToken: string | null = null
let queue: QueueView | null = null
let events: EventSource | null = null
let dateId: DateId | null = null
let seatPoll: ReturnType<typeof setInterval> | null = null
const selected = new Set<number>()
let hold: HoldView | null = null
let justPaid = false
/** The human check's widget, when the server checks joins. */
let humanWidget: HTMLElement | null = null

const show = (id: string, visible: boolean) => {
  byId(id).hidden = !visible
}

/** Reports a failed call in plain words; anything that is not a problem is rethrown. */
const tell = (error: unknown) => {
  // An expired access token: the next load of the page signs up anew.
  if (error instanceof ProblemError && error.problem.code === "unauthenticated")
    sessionStorage.removeItem("boxoffice-user")
  if (error instanceof ProblemError) say(messageFor(error.problem), "problem")
  else throw error
}

const ms = (value: DateTime.Utc) => DateTime.toEpochMillis(value)

// ---- the queue ------------------------------------------------------------

const renderQueue = () => {
  const status = byId("queue-status")
  if (queue === null) return
  status.dataset["status"] = queue.status
  const now = Date.now()
  switch (queue.status) {
    case "pending": {
      const left = queue.opensAt === null ? 0 : (Date.parse(queue.opensAt) - now) / 1000
      status.textContent = `The sale opens in ${clock(left)}. Everyone who joins before then gets a place drawn at random when it opens.`
      break
    }
    case "waiting":
      status.textContent =
        `You are number ${queue.position} in line` +
        (queue.etaSeconds === null ? "." : `, about ${clock(queue.etaSeconds)} to go.`)
      break
    case "active": {
      const left = queue.activeUntil === null ? 0 : (Date.parse(queue.activeUntil) - now) / 1000
      status.textContent = `It's your turn: you have ${clock(left)} to pick seats and pay.`
      break
    }
    case "expired":
      status.textContent = justPaid ? "Paid. Your turn is complete; enjoy the show." : "Your turn has ended."
      break
    case "sold-out":
      status.textContent = "Sold out: every seat has been bought, so nobody more will be let in from the line."
      break
  }
}

const onQueue = (view: QueueView) => {
  const was = queue?.status
  queue = view
  show("queue-section", true)
  renderQueue()
  if (view.status === "active" && was !== "active") void loadDates()
  if (view.status === "sold-out") {
    events?.close()
    events = null
    say(messageFor({ code: "sold-out", fields: {} }), "problem")
  }
  if (view.status === "expired") {
    events?.close()
    events = null
    stopSeats()
    show("seats-section", false)
    if (!justPaid && was !== undefined && was !== "expired")
      say("Your turn has ended. Join the queue again to buy more.", "problem")
  }
}

const listen = (token: string) => {
  events?.close()
  events = new EventSource(`/queue/events?token=${encodeURIComponent(token)}`)
  events.onmessage = (event) => {
    const data = JSON.parse(event.data as string) as Partial<QueueView>
    if (data.status !== undefined) onQueue(data as QueueView)
  }
}

const join = async (id: ConcertId, title: string) => {
  try {
    const proof = humanWidget === null ? undefined : await humanProof(humanWidget)
    const ticket = await run(
      client.user.joinQueue({ params: { concertId: id }, headers: proof === undefined ? {} : { "human-check": proof } })
    )
    concertId = id
    queueToken = ticket.queueToken
    justPaid = false
    say(`You joined the queue for ${title}.`)
    onQueue({
      status: ticket.status,
      position: ticket.position,
      etaSeconds: ticket.etaSeconds,
      activeUntil: ticket.activeUntil === null ? null : DateTime.formatIso(ticket.activeUntil),
      opensAt: ticket.opensAt === null ? null : DateTime.formatIso(ticket.opensAt)
    })
    listen(ticket.queueToken)
  } catch (error) {
    tell(error)
  }
}

const leave = async () => {
  if (queueToken === null) return
  try {
    await run(client.user.leaveQueue({ headers: { "queue-token": queueToken } }))
    say("You left the queue.")
  } catch (error) {
    tell(error)
  }
}

// ---- dates and seats ------------------------------------------------------

const stopSeats = () => {
  if (seatPoll !== null) clearInterval(seatPoll)
  seatPoll = null
}

/** " · 10,000 KRW" or " · 10,000–50,000 KRW" for what the available seats cost; nothing when none is left. */
const priceRange = (min: number | null, max: number | null) =>
  min === null || max === null
    ? ""
    : min === max
      ? ` · ${formatKrw(min)}`
      : ` · ${formatKrw(min).replace(" KRW", "")}–${formatKrw(max)}`

const loadDates = async () => {
  if (queueToken === null || concertId === null) return
  try {
    const dates = await run(client.user.listDates({ params: { concertId }, headers: { "queue-token": queueToken } }))
    const list = byId("dates")
    list.replaceChildren(
      ...dates.map((date) => {
        const button = element(
          "button",
          { type: "button", "aria-pressed": "false", "data-date-id": date.dateId },
          `${new Date(ms(date.startsAt)).toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" })} UTC · ${date.availableSeats} left${priceRange(date.minPrice, date.maxPrice)}`
        )
        button.addEventListener("click", () => openDate(date.dateId))
        return button
      })
    )
    show("seats-section", true)
    if (dates[0] !== undefined) openDate(dates[0].dateId)
  } catch (error) {
    tell(error)
  }
}

const openDate = (id: DateId) => {
  dateId = id
  selected.clear()
  for (const button of byId("dates").querySelectorAll("button")) {
    button.setAttribute("aria-pressed", String(button.dataset["dateId"] === id))
  }
  stopSeats()
  void refreshSeats()
  seatPoll = setInterval(() => void refreshSeats(), seatPollMs)
}

/** One class of a date's seats as the legend shows it: unclassed seats are "standard", at the date's price. */
interface Tier {
  readonly name: string
  readonly price: number
  readonly colour: string
}

/** The seats' classes in seat order, then "standard" if any seat is outside every class; each with its colour. */
const tiersOf = (seats: ReadonlyArray<{ readonly price: number; readonly class: string | null }>) => {
  const tiers = new Map<string, Omit<Tier, "colour">>()
  for (const seat of seats) {
    if (seat.class !== null && !tiers.has(seat.class)) tiers.set(seat.class, { name: seat.class, price: seat.price })
  }
  const standard = seats.find((seat) => seat.class === null)
  // Hues a golden angle apart stay distinct for any number of classes; standard seats stay white.
  const colours = [...tiers.values()].map((tier, index) => ({
    ...tier,
    colour: `hsl(${Math.round((index * 137.5 + 210) % 360)} 70% 82%)`
  }))
  return new Map<string | null, Tier>([
    ...colours.map((tier) => [tier.name, tier] as const),
    ...(standard === undefined ? [] : [[null, { name: "standard", price: standard.price, colour: "#ffffff" }] as const])
  ])
}

const renderLegend = (tiers: ReadonlyMap<string | null, Tier>) => {
  byId("class-legend").replaceChildren(
    ...[...tiers.values()].map((tier) => {
      const item = element("span", { class: "tier", "data-class": tier.name })
      const swatch = element("span", { class: "swatch", "aria-hidden": "true" })
      swatch.style.setProperty("--tier", tier.colour)
      item.append(swatch, `${tier.name} · ${formatKrw(tier.price)}`)
      return item
    })
  )
}

const refreshSeats = async () => {
  if (queueToken === null || dateId === null) return
  const shownDate = dateId
  try {
    const seats = await run(
      client.user.listSeats({ params: { dateId: shownDate }, headers: { "queue-token": queueToken } })
    )
    if (shownDate !== dateId) return
    const mine = new Set(hold !== null && hold.dateId === shownDate ? hold.seatNumbers : [])
    const tiers = tiersOf(seats)
    renderLegend(tiers)
    const map = byId("seat-map")
    map.replaceChildren(
      ...seats.map((seat) => {
        // A seat someone else just took leaves the selection.
        if (seat.status !== "available") selected.delete(seat.seatNumber)
        const state = mine.has(seat.seatNumber) ? "mine" : selected.has(seat.seatNumber) ? "selected" : seat.status
        const button = element(
          "button",
          {
            type: "button",
            class: `seat ${state}`,
            "data-seat": String(seat.seatNumber),
            "data-status": seat.status,
            "data-class": tiers.get(seat.class)!.name,
            "aria-pressed": String(selected.has(seat.seatNumber)),
            "aria-label": `Seat ${seat.seatNumber}, ${state === "mine" ? "held by you" : seat.status}, ${tiers.get(seat.class)!.name}, ${formatKrw(seat.price)}`
          },
          String(seat.seatNumber)
        )
        // The class's colour, set through the CSSOM: the page's CSP allows no style attribute.
        button.style.setProperty("--tier", tiers.get(seat.class)!.colour)
        button.disabled = seat.status !== "available"
        button.addEventListener("click", () => toggleSeat(seat.seatNumber))
        return button
      })
    )
    byId<HTMLButtonElement>("hold").disabled = selected.size === 0
  } catch (error) {
    stopSeats()
    tell(error)
  }
}

const toggleSeat = (seatNumber: number) => {
  if (selected.has(seatNumber)) selected.delete(seatNumber)
  else selected.add(seatNumber)
  void refreshSeats()
}

// ---- the hold and the payment ----------------------------------------------

const renderHold = () => {
  if (hold === null) return
  const left = (hold.expiresAtMs - Date.now()) / 1000
  if (left <= 0) {
    hold = null
    show("hold-section", false)
    say(messageFor({ code: "hold-expired", fields: {} }), "problem")
    void refreshSeats()
    return
  }
  const seats =
    hold.seatNumbers.length === 1 ? `Seat ${hold.seatNumbers[0]} is` : `Seats ${hold.seatNumbers.join(", ")} are`
  byId("hold-status").textContent = `${seats} yours for ${clock(left)}: ${formatKrw(hold.amount)} to pay.`
}

const holdSeats = async () => {
  if (queueToken === null || dateId === null || selected.size === 0) return
  try {
    const made = await run(
      client.user.hold({
        params: { dateId },
        headers: { "queue-token": queueToken },
        payload: { seatNumbers: [...selected].sort((a, b) => a - b) }
      })
    )
    hold = {
      holdId: made.holdId,
      dateId: made.dateId,
      seatNumbers: made.seatNumbers,
      amount: made.amount,
      expiresAtMs: ms(made.expiresAt)
    }
    selected.clear()
    show("hold-section", true)
    say(`Held ${made.seatNumbers.length === 1 ? "seat" : "seats"} ${made.seatNumbers.join(", ")}.`)
    renderHold()
  } catch (error) {
    tell(error)
  }
  void refreshSeats()
}

const release = async () => {
  if (hold === null) return
  try {
    await run(client.user.releaseHold({ params: { holdId: hold.holdId } }))
    say("Released; the seats are back on sale.")
  } catch (error) {
    tell(error)
  }
  hold = null
  show("hold-section", false)
  void refreshSeats()
}

const pay = async () => {
  if (hold === null || queueToken === null) return
  try {
    const receipt = await run(
      client.user.pay({
        params: { holdId: hold.holdId },
        headers: { "queue-token": queueToken, "idempotency-key": crypto.randomUUID() }
      })
    )
    justPaid = true
    hold = null
    show("hold-section", false)
    show("receipt-section", true)
    byId("receipt").textContent =
      `Payment ${receipt.paymentId}: seats ${receipt.seatNumbers.join(", ")}, ${formatKrw(receipt.amount)}. ` +
      `Your balance is now ${formatKrw(receipt.balance)}.`
    say("Paid. Your seats are yours.")
    byId("balance").textContent = formatKrw(receipt.balance)
    onQueue({ status: "expired", position: null, etaSeconds: null, activeUntil: null, opensAt: queue?.opensAt ?? null })
    await loadPayments()
  } catch (error) {
    tell(error)
    if (error instanceof ProblemError && error.problem.code === "hold-expired") {
      hold = null
      show("hold-section", false)
    }
  }
}

// ---- wallet and payments ----------------------------------------------------

const refreshWallet = async () => {
  try {
    byId("balance").textContent = formatKrw((await run(client.user.wallet())).balance)
  } catch (error) {
    tell(error)
  }
}

const charge = async (amount: number) => {
  try {
    const receipt = await run(client.user.charge({ headers: {}, payload: { amount } }))
    byId("balance").textContent = formatKrw(receipt.balance)
    say(`Added ${formatKrw(receipt.amount)} to your wallet.`)
  } catch (error) {
    tell(error)
  }
}

const cancelPayment = async (paymentId: string) => {
  try {
    const refund = await run(
      client.user.refundPayment({
        params: { paymentId: paymentId as PaymentId },
        headers: { "idempotency-key": crypto.randomUUID() }
      })
    )
    byId("balance").textContent = formatKrw(refund.balance)
    say(`Cancelled: ${formatKrw(refund.amount)} is back in your wallet; your seats are for sale again.`)
  } catch (error) {
    tell(error)
  }
  await loadPayments()
}

/** One payment: what it bought, and a cancel button that shows the fee before it asks to confirm. */
const paymentItem = (payment: PaymentSummary) => {
  const seats = `Seats ${payment.seatNumbers.join(", ")} · ${formatKrw(payment.amount)}`
  const item = element("li", { "data-status": payment.status }, `${seats} · ${DateTime.formatIso(payment.paidAt)}`)
  if (payment.refund !== null) {
    item.append(` · cancelled, ${formatKrw(payment.refund.amount)} refunded`)
    return item
  }
  const cancel = payment.cancel
  if (cancel === null || DateTime.toEpochMillis(cancel.until) <= Date.now()) return item
  const ask = element("button", { type: "button", class: "cancel", "aria-label": `Cancel ${seats}` }, "Cancel")
  ask.addEventListener("click", () => {
    const fee = cancel.fee === 0 ? "no fee" : `a fee of ${formatKrw(cancel.fee)}`
    const confirmRow = element(
      "span",
      { class: "confirm-cancel", role: "group", "aria-label": "Confirm the cancellation" },
      ` You get back ${formatKrw(cancel.amount)} (${fee}). `
    )
    const yes = element("button", { type: "button", class: "confirm" }, "Confirm cancel")
    const no = element("button", { type: "button", class: "keep" }, "Keep my seats")
    yes.addEventListener("click", () => void cancelPayment(payment.paymentId))
    no.addEventListener("click", () => confirmRow.replaceWith(ask))
    confirmRow.append(yes, " ", no)
    ask.replaceWith(confirmRow)
    yes.focus()
  })
  item.append(" ", ask)
  return item
}

const loadPayments = async () => {
  try {
    byId("payments").replaceChildren(...(await run(client.user.listPayments())).map(paymentItem))
  } catch (error) {
    tell(error)
  }
}

// ---- start ------------------------------------------------------------------

const signIn = async (): Promise<{ userId: string; accessToken: string }> => {
  const saved = sessionStorage.getItem("boxoffice-user")
  if (saved !== null) return JSON.parse(saved) as { userId: string; accessToken: string }
  const anonymous = await clientFor({})
  const user = await run(anonymous.createUser())
  sessionStorage.setItem("boxoffice-user", JSON.stringify(user))
  return user
}

const start = async () => {
  const user = await signIn()
  client = await clientFor({ accessToken: user.accessToken })
  byId("user").textContent = `user ${user.userId.slice(0, 8)}`
  byId("leave").addEventListener("click", () => void leave())
  byId("hold").addEventListener("click", () => void holdSeats())
  byId("pay").addEventListener("click", () => void pay())
  byId("release").addEventListener("click", () => void release())
  byId<HTMLFormElement>("charge-form").addEventListener("submit", (event) => {
    event.preventDefault()
    void charge(Number(byId<HTMLInputElement>("charge-amount").value))
  })
  setInterval(() => {
    renderQueue()
    renderHold()
  }, 250)
  const concerts = await run(client.listConcerts())
  byId("concerts").replaceChildren(
    ...concerts.map((concert) => {
      const item = element("li", {}, `${concert.title} `)
      const button = element(
        "button",
        {
          type: "button",
          "aria-label": `Join the queue for ${concert.title}`,
          ...(concert.soldOut ? { disabled: "", "data-sold-out": "true" } : {})
        },
        concert.soldOut ? "Sold out" : "Join the queue"
      )
      button.addEventListener("click", () => void join(concert.concertId, concert.title))
      item.append(button)
      return item
    })
  )
  humanWidget = await humanCheckWidget(byId("concerts-section"))
  await Promise.all([refreshWallet(), loadPayments()])
  document.body.dataset["ready"] = "true"
}

start().catch(tell)
