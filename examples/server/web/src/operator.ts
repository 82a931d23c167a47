/**
 * The operator view: the numbers of `GET /admin/concerts/{id}` and the
 * webhook's backlog (`GET /admin/events`), live, and the queue's controls. The admin key lives in this module's memory only:
 * never in storage, so closing the tab forgets it.
 */
import type { ConcertId } from "@boxoffice/core"
import type { BoxofficeClient } from "@boxoffice/http"
import { DateTime } from "effect"
import { clientFor, formatKrw, messageFor, ProblemError, run } from "./api.ts"
import { byId, element, say } from "./dom.ts"

const reportPollMs = 1_000

let admin: BoxofficeClient | null = null
let poll: ReturnType<typeof setInterval> | null = null
/** The concert whose settings the caps form shows; it is filled once per concert, then left to the operator. */
let capsShownFor: string | null = null

const tell = (error: unknown) => {
  if (error instanceof ProblemError) {
    say(error.problem.code === "unauthenticated" ? "That admin key was refused." : messageFor(error.problem), "problem")
  } else throw error
}

/** The selected concert: an id the API listed. */
const concertId = () => byId<HTMLSelectElement>("concert").value as ConcertId

const refresh = async () => {
  if (admin === null || concertId() === "") return
  try {
    const report = await run(admin.admin.saleReport({ params: { concertId: concertId() } }))
    // The webhook's backlog is the whole store's, not the concert's: one event is enough to read it.
    const { delivery } = await run(admin.admin.listEvents({ query: { limit: 1 } }))
    const stats: Array<[string, string]> = [
      ["Opens", report.opensAt === null ? "open" : DateTime.formatIso(report.opensAt)],
      ["Admissions", report.settings.paused ? "paused" : "running"],
      ["Pending", String(report.queue.pending)],
      ["Waiting", String(report.queue.waiting)],
      ["Active", `${report.queue.active} of ${report.settings.maxActive}`],
      ["Admitted in the last minute", String(report.queue.admittedLastMinute)],
      ["Active seconds", String(report.settings.activeSeconds)],
      [
        "Admissions per minute",
        report.settings.admitPerMinute === null ? "no cap" : String(report.settings.admitPerMinute)
      ],
      [
        "Webhook",
        delivery === null
          ? "off"
          : `${delivery.pending} pending, ${delivery.parked} parked` +
            (delivery.oldestPendingSequence === null ? "" : ` (oldest #${delivery.oldestPendingSequence})`)
      ]
    ]
    byId("stats").replaceChildren(
      ...stats.flatMap(([name, value]) => [
        element("dt", {}, name),
        element("dd", { "data-stat": name.toLowerCase().replaceAll(" ", "-") }, value)
      ])
    )
    if (capsShownFor !== report.concertId) {
      capsShownFor = report.concertId
      byId<HTMLInputElement>("max-active").value = String(report.settings.maxActive)
      byId<HTMLInputElement>("active-seconds").value = String(report.settings.activeSeconds)
      byId<HTMLInputElement>("admit-per-minute").value =
        report.settings.admitPerMinute === null ? "" : String(report.settings.admitPerMinute)
    }
    byId("dates-table")
      .querySelector("tbody")!
      .replaceChildren(
        ...report.dates.flatMap((date) => {
          const row = (label: string, counts: typeof date, attributes: Record<string, string> = {}) => {
            const made = element("tr", attributes)
            made.append(
              element("th", { scope: "row" }, label),
              element("td", {}, String(counts.available)),
              element("td", {}, String(counts.held)),
              element("td", {}, String(counts.sold)),
              element("td", {}, counts.revenue.toLocaleString("en-US"))
            )
            return made
          }
          // Under a date with seat classes, a row per class, then the seats outside every class as "standard".
          const classed = (pick: (counts: (typeof date.classes)[number]) => number) =>
            date.classes.reduce((sum, counts) => sum + pick(counts), 0)
          const standard = {
            ...date,
            available: date.available - classed((c) => c.available),
            held: date.held - classed((c) => c.held),
            sold: date.sold - classed((c) => c.sold),
            revenue: date.revenue - classed((c) => c.revenue)
          }
          const classRows = date.classes.map((counts) =>
            row(
              `${counts.name} · ${formatKrw(counts.price)}`,
              { ...date, ...counts },
              {
                class: "class-row",
                "data-class": counts.name
              }
            )
          )
          const standardRow =
            date.classes.length > 0 && standard.available + standard.held + standard.sold > 0
              ? [row(`standard · ${formatKrw(date.price)}`, standard, { class: "class-row", "data-class": "standard" })]
              : []
          return [
            row(DateTime.formatIso(date.startsAt).slice(0, 16).replace("T", " "), date),
            ...classRows,
            ...standardRow
          ]
        })
      )
  } catch (error) {
    tell(error)
  }
}

const configure = async (payload: Record<string, unknown>, done: string) => {
  if (admin === null) return
  try {
    await run(admin.admin.configureQueue({ params: { concertId: concertId() }, payload }))
    say(done)
    await refresh()
  } catch (error) {
    tell(error)
  }
}

const connect = async (adminKey: string) => {
  const candidate = await clientFor({ adminKey })
  const concerts = await run(candidate.listConcerts())
  if (concerts[0] !== undefined) {
    // The key is checked by the first admin call.
    await run(candidate.admin.saleReport({ params: { concertId: concerts[0].concertId } }))
  }
  admin = candidate
  byId("concert").replaceChildren(
    ...concerts.map((concert) => element("option", { value: concert.concertId }, concert.title))
  )
  byId("sale-section").hidden = false
  say("Connected.")
  if (poll !== null) clearInterval(poll)
  poll = setInterval(() => void refresh(), reportPollMs)
  await refresh()
  document.body.dataset["ready"] = "true"
}

byId<HTMLFormElement>("key-form").addEventListener("submit", (event) => {
  event.preventDefault()
  const input = byId<HTMLInputElement>("admin-key")
  const key = input.value
  input.value = ""
  connect(key).catch(tell)
})
byId("concert").addEventListener("change", () => void refresh())
byId("pause").addEventListener(
  "click",
  () => void configure({ paused: true }, "Admissions paused: nobody is admitted, nobody loses a place.")
)
byId("resume").addEventListener("click", () => void configure({ paused: false }, "Admissions resumed."))
byId<HTMLFormElement>("caps-form").addEventListener("submit", (event) => {
  event.preventDefault()
  const value = (id: string) => byId<HTMLInputElement>(id).value.trim()
  const payload: Record<string, unknown> = {}
  if (value("max-active") !== "") payload["maxActive"] = Number(value("max-active"))
  if (value("active-seconds") !== "") payload["activeSeconds"] = Number(value("active-seconds"))
  payload["admitPerMinute"] = value("admit-per-minute") === "" ? null : Number(value("admit-per-minute"))
  void configure(payload, "Caps applied.")
})
