/**
 * Proves the demo page and the operator view in a real browser: Debian's
 * Chromium, headless, driven by playwright-core, against the example server
 * on the embedded engine. Every check reads the page as a person would see
 * it, and the API confirms what the page claims.
 */
import { execFileSync } from "node:child_process"
import { existsSync, mkdirSync } from "node:fs"
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { defaultWebRoot } from "../src/DemoPage.ts"
import { adminKey, call, type RunningServer, startServer } from "./support/TestServer.ts"

const chromiumPath = process.env["BOXOFFICE_CHROMIUM"] ?? "/usr/bin/chromium"
const imagesDir = new URL("../../../docs/images/", import.meta.url)
/** The docs' screenshots are written only when asked (`BOXOFFICE_SCREENSHOTS=1`), so a test run changes no file. */
const screenshot = async (page: Page, name: string) => {
  if (process.env["BOXOFFICE_SCREENSHOTS"] !== "1") return
  mkdirSync(imagesDir, { recursive: true })
  await page.screenshot({ path: new URL(name, imagesDir).pathname, fullPage: true })
}

let server: RunningServer
let browser: Browser
const contexts: Array<BrowserContext> = []

beforeAll(async () => {
  if (!existsSync(`${defaultWebRoot}index.html`)) {
    throw new Error(
      "the demo page is not built: run pnpm --filter @boxoffice/example-server build:web (pnpm test does)"
    )
  }
  // Installs Debian's Chromium when it is missing and this runs as root; otherwise fails saying how.
  execFileSync("bash", [new URL("../../../scripts/ensure-chromium.sh", import.meta.url).pathname], { stdio: "inherit" })
  server = await startServer()
  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run"
    ]
  })
}, 600_000)

afterAll(async () => {
  await Promise.all(contexts.map((context) => context.close()))
  await browser?.close()
  await server?.close()
})

let concerts = 0
/** A concert with a unique title, made through the API. */
const concert = async (settings: Record<string, unknown> = {}) => {
  const title = `Browser concert ${++concerts}`
  const created = await call(server.url, "POST", "/admin/concerts", {
    token: adminKey,
    body: { title, dates: [{ startsAt: "2031-05-01T19:00:00Z", price: 10_000, seatCount: 20 }], ...settings }
  })
  assert.strictEqual(created.status, 201)
  return { title, concertId: created.body.concertId as string, dateId: created.body.dates[0].dateId as string }
}

/** A fresh browser context (its own user) on the demo page, ready to use. */
const visitor = async (viewport = { width: 1280, height: 900 }): Promise<Page> => {
  const context = await browser.newContext({ viewport })
  contexts.push(context)
  const page = await context.newPage()
  await page.goto(server.url)
  await page.waitForSelector("body[data-ready=true]")
  return page
}

const join = async (page: Page, title: string, status: "active" | "waiting" | "pending") => {
  await page.getByRole("button", { name: `Join the queue for ${title}` }).click()
  await page.waitForSelector(`#queue-status[data-status=${status}]`)
}

const chargeWallet = async (page: Page, amountKrw: number) => {
  await page.getByLabel("Amount to add (KRW)").fill(String(amountKrw))
  await page.getByRole("button", { name: "Charge" }).click()
  await page.waitForFunction((text) => document.querySelector("#message")?.textContent?.includes(text), "Added")
}

const holdSeats = async (page: Page, seats: ReadonlyArray<number>) => {
  for (const seat of seats) await page.click(`#seat-map button[data-seat="${seat}"]:not([disabled])`)
  await page.getByRole("button", { name: "Hold selected seats" }).click()
  await page.waitForSelector("#hold-section:not([hidden])")
}

/** The user this page signed in as, from the tab's session. */
const userOf = (page: Page) =>
  page.evaluate(() => JSON.parse(sessionStorage.getItem("boxoffice-user")!) as { userId: string; accessToken: string })

const text = (page: Page, selector: string) => page.locator(selector).innerText()

describe("the demo page in Chromium", () => {
  it("the whole purchase in the browser; the API confirms the balance and the payment", async () => {
    const sale = await concert()
    const page = await visitor()
    await chargeWallet(page, 50_000)
    await join(page, sale.title, "active")
    await holdSeats(page, [4, 5])
    assert.match(await text(page, "#hold-status"), /Seats 4, 5 are yours for \d:\d\d: 20,000 KRW to pay/)
    await screenshot(page, "demo-desktop.png")
    await page.getByRole("button", { name: "Pay" }).click()
    await page.waitForSelector("#receipt-section:not([hidden])")
    assert.match(await text(page, "#receipt"), /seats 4, 5, 20,000 KRW\. Your balance is now 30,000 KRW/)
    assert.match(await text(page, "#payments"), /Seats 4, 5 · 20,000 KRW/)
    assert.match(await text(page, "#queue-status"), /Paid/)

    const user = await userOf(page)
    assert.deepStrictEqual((await call(server.url, "GET", "/wallet", { token: user.accessToken })).body, {
      balance: 30_000,
      available: 30_000
    })
    const payments = (await call(server.url, "GET", "/payments", { token: user.accessToken })).body
    assert.strictEqual(payments.length, 1)
    assert.deepStrictEqual(
      [payments[0].dateId, payments[0].amount, payments[0].seatNumbers],
      [sale.dateId, 20_000, [4, 5]]
    )
  })

  it("cancel: the fee is shown before confirming; the money comes back and the seats are for sale again", async () => {
    const sale = await concert({ refundFeePercent: 10 })
    const page = await visitor()
    await chargeWallet(page, 50_000)
    await join(page, sale.title, "active")
    await holdSeats(page, [8, 9])
    await page.getByRole("button", { name: "Pay" }).click()
    await page.waitForSelector("#receipt-section:not([hidden])")
    await page.getByRole("button", { name: "Cancel Seats 8, 9 · 20,000 KRW" }).click()
    assert.match(await text(page, "#payments .confirm-cancel"), /You get back 18,000 KRW \(a fee of 2,000 KRW\)/)
    // Keeping the seats changes nothing.
    await page.getByRole("button", { name: "Keep my seats" }).click()
    assert.strictEqual(await page.locator("#payments .confirm-cancel").count(), 0)
    await page.getByRole("button", { name: "Cancel Seats 8, 9 · 20,000 KRW" }).click()
    await page.getByRole("button", { name: "Confirm cancel" }).click()
    await page.waitForSelector("#payments li[data-status=refunded]")
    assert.match(await text(page, "#payments"), /cancelled, 18,000 KRW refunded/)
    assert.match(await text(page, "#message"), /Cancelled: 18,000 KRW is back in your wallet/)
    assert.strictEqual(await text(page, "#balance"), "48,000 KRW")
    const user = await userOf(page)
    const [payment] = (await call(server.url, "GET", "/payments", { token: user.accessToken })).body
    assert.deepInclude(payment, { status: "refunded", cancel: null })
    assert.deepInclude(payment.refund, { amount: 18_000, fee: 2_000, by: "user" })
    // Another visitor finds the seats available.
    const other = await visitor()
    await join(other, sale.title, "active")
    await other.waitForSelector("#seat-map button[data-seat='8'][data-status=available]")
    await other.waitForSelector("#seat-map button[data-seat='9'][data-status=available]")
  })

  it("with maxActive 1, one context is admitted, the other sees its place, then is admitted when the first pays", async () => {
    const sale = await concert({ queue: { maxActive: 1 } })
    const first = await visitor()
    const second = await visitor()
    await chargeWallet(first, 10_000)
    await join(first, sale.title, "active")
    await join(second, sale.title, "waiting")
    assert.match(await text(second, "#queue-status"), /You are number 1 in line/)
    await holdSeats(first, [1])
    await first.getByRole("button", { name: "Pay" }).click()
    await first.waitForSelector("#receipt-section:not([hidden])")
    // No reload: the admission arrives over SSE.
    await second.waitForSelector("#queue-status[data-status=active]", { timeout: 10_000 })
    assert.match(await text(second, "#queue-status"), /It's your turn/)
    await second.waitForSelector("#seats-section:not([hidden]) #seat-map button[data-seat='1'][data-status=sold]")
  })

  it("a seat taken in one context turns held in the other without a reload", async () => {
    const sale = await concert({ queue: { maxActive: 2 } })
    const [a, b] = [await visitor(), await visitor()]
    await join(a, sale.title, "active")
    await join(b, sale.title, "active")
    await b.waitForSelector("#seat-map button[data-seat='7'][data-status=available]")
    await holdSeats(a, [7])
    await b.waitForSelector("#seat-map button[data-seat='7'][data-status=held]", { timeout: 5_000 })
    assert.isTrue(await b.locator("#seat-map button[data-seat='7']").isDisabled())
    assert.strictEqual(await b.locator("#seat-map button[data-status=available]").count(), 19)
  })

  it("seat classes: the seat map is coloured by class with a legend of names and prices; the operator counts each", async () => {
    const sale = await concert({
      dates: [
        {
          startsAt: "2031-05-01T19:00:00Z",
          price: 10_000,
          seatCount: 20,
          classes: [
            { name: "VIP", price: 50_000, from: 1, to: 4 },
            { name: "R", price: 30_000, from: 5, to: 10 }
          ]
        }
      ]
    })
    const page = await visitor()
    await chargeWallet(page, 200_000)
    await join(page, sale.title, "active")
    await page.waitForSelector("#class-legend .tier[data-class=standard]")
    // The date says what its available seats cost.
    assert.match(await text(page, "#dates button"), /20 left · 10,000–50,000 KRW$/)
    assert.deepStrictEqual(await page.locator("#class-legend .tier").allInnerTexts(), [
      "VIP · 50,000 KRW",
      "R · 30,000 KRW",
      "standard · 10,000 KRW"
    ])
    const seat = (n: number) => page.locator(`#seat-map button[data-seat="${n}"]`)
    assert.deepStrictEqual(await Promise.all([1, 5, 11].map((n) => seat(n).getAttribute("data-class"))), [
      "VIP",
      "R",
      "standard"
    ])
    assert.strictEqual(await seat(1).getAttribute("aria-label"), "Seat 1, available, VIP, 50,000 KRW")
    // Each class has its own colour, on the seats and on its legend swatch.
    const colour = (selector: string) =>
      page.locator(selector).evaluate((node) => getComputedStyle(node).getPropertyValue("--tier").trim())
    const [vip, r, standard] = await Promise.all([
      colour(`#seat-map button[data-seat="1"]`),
      colour(`#seat-map button[data-seat="5"]`),
      colour(`#seat-map button[data-seat="11"]`)
    ])
    assert.strictEqual(new Set([vip, r, standard]).size, 3)
    assert.strictEqual(await colour("#class-legend .tier[data-class=VIP] .swatch"), vip)
    // A hold across classes costs the sum of its seats' prices.
    await holdSeats(page, [4, 5, 11])
    assert.match(await text(page, "#hold-status"), /Seats 4, 5, 11 are yours for \d:\d\d: 90,000 KRW to pay/)
    await page.getByRole("button", { name: "Pay" }).click()
    await page.waitForSelector("#receipt-section:not([hidden])")

    const operator = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage()
    contexts.push(operator.context())
    await operator.goto(`${server.url}/operator`)
    await operator.getByLabel("Admin key (kept in this tab's memory only)").fill(adminKey)
    await operator.getByRole("button", { name: "Connect" }).click()
    await operator.waitForSelector("body[data-ready=true]")
    await operator.getByLabel("Concert").selectOption(sale.concertId)
    const row = (name: string) => operator.locator(`#dates-table tr[data-class="${name}"]`)
    await row("VIP").waitFor()
    assert.deepStrictEqual(await row("VIP").locator("th, td").allInnerTexts(), [
      "VIP · 50,000 KRW",
      "3",
      "0",
      "1",
      "50,000"
    ])
    assert.deepStrictEqual(await row("R").locator("th, td").allInnerTexts(), [
      "R · 30,000 KRW",
      "5",
      "0",
      "1",
      "30,000"
    ])
    assert.deepStrictEqual(await row("standard").locator("th, td").allInnerTexts(), [
      "standard · 10,000 KRW",
      "9",
      "0",
      "1",
      "10,000"
    ])
  })

  it("a hold that runs out (holdSeconds at its minimum, 10 s) is told plainly, and its seat is free again", async () => {
    const sale = await concert({ holdSeconds: 10 })
    const page = await visitor({ width: 390, height: 844 })
    await join(page, sale.title, "active")
    await holdSeats(page, [2])
    await screenshot(page, "demo-phone.png")
    await page.waitForFunction(
      () => document.querySelector("#message")?.textContent?.startsWith("Your hold expired"),
      undefined,
      { timeout: 15_000 }
    )
    assert.strictEqual(
      await text(page, "#message"),
      "Your hold expired: its time ran out and the seats went back on sale. Pick your seats again."
    )
    assert.isTrue(await page.locator("#hold-section").isHidden())
    await page.waitForSelector("#seat-map button[data-seat='2'][data-status=available]")
  })

  it("before the opening: a countdown, then a place; plain words for a lost seat and a short wallet", async () => {
    // Far enough ahead that a loaded machine still joins before it.
    const opensAt = new Date(Date.now() + 8_000).toISOString()
    const sale = await concert({ opensAt, queue: { maxActive: 2 } })
    const page = await visitor()
    await join(page, sale.title, "pending")
    assert.match(
      await text(page, "#queue-status"),
      /^The sale opens in 0:0\d\. Everyone who joins before then gets a place drawn at random/
    )
    await page.waitForSelector("#queue-status[data-status=active]", { timeout: 20_000 })
    await page.waitForSelector("#seat-map button[data-seat='9'][data-status=available]")

    // The page's clock stops, so no refresh takes seat 9 out of the selection before the hold is sent.
    await page.clock.install()
    await page.clock.pauseAt(Date.now() + 60_000)
    await page.click("#seat-map button[data-seat='9']")
    await page.waitForSelector("#seat-map button[data-seat='9'][aria-pressed=true]")
    const other = (await call(server.url, "POST", "/users")).body
    const otherTicket = await call(server.url, "POST", `/concerts/${sale.concertId}/queue`, {
      token: other.accessToken
    })
    const taken = await call(server.url, "POST", `/dates/${sale.dateId}/holds`, {
      token: other.accessToken,
      queueToken: otherTicket.body.queueToken,
      body: { seatNumbers: [9] }
    })
    assert.strictEqual(taken.status, 201)
    await page.getByRole("button", { name: "Hold selected seats" }).click()
    await page.waitForFunction(() => document.querySelector("#message")?.textContent?.startsWith("Seat taken"))
    assert.strictEqual(
      await text(page, "#message"),
      "Seat taken: someone else holds or bought seat 9 a moment ago. Nothing was held; pick other seats."
    )
    await page.clock.resume()

    await holdSeats(page, [10])
    await page.getByRole("button", { name: "Pay" }).click()
    await page.waitForFunction(() => document.querySelector("#message")?.textContent?.startsWith("Not enough money"))
    assert.strictEqual(
      await text(page, "#message"),
      "Not enough money in your wallet: you have 0 KRW and this needs 10,000 KRW. Charge your wallet, then pay."
    )
  })

  it("sold out: a waiter is told so over SSE, a stale page's join gets the sentence, the list says so", async () => {
    const sale = await concert({
      dates: [{ startsAt: "2031-05-01T19:00:00Z", price: 10_000, seatCount: 1 }],
      queue: { maxActive: 1 }
    })
    const buyer = (await call(server.url, "POST", "/users")).body
    await call(server.url, "POST", "/wallet/charges", { token: buyer.accessToken, body: { amount: 10_000 } })
    const ticket = await call(server.url, "POST", `/concerts/${sale.concertId}/queue`, { token: buyer.accessToken })
    assert.strictEqual(ticket.body.status, "active")
    const waiting = await visitor()
    const stale = await visitor()
    await join(waiting, sale.title, "waiting")
    const held = await call(server.url, "POST", `/dates/${sale.dateId}/holds`, {
      token: buyer.accessToken,
      queueToken: ticket.body.queueToken,
      body: { seatNumbers: [1] }
    })
    const paid = await call(server.url, "POST", `/holds/${held.body.holdId}/payment`, {
      token: buyer.accessToken,
      queueToken: ticket.body.queueToken
    })
    assert.strictEqual(paid.status, 201)
    // No reload: the last sale reaches the waiter over SSE, in plain words.
    await waiting.waitForSelector("#queue-status[data-status=sold-out]", { timeout: 10_000 })
    assert.strictEqual(
      await text(waiting, "#queue-status"),
      "Sold out: every seat has been bought, so nobody more will be let in from the line."
    )
    const soldOut = "Sold out: every seat of every date has been bought. Nobody more can join the queue or be let in."
    assert.strictEqual(await text(waiting, "#message"), soldOut)
    // A page loaded before the sale ended still offers the join: the answer is the sentence.
    await stale.getByRole("button", { name: `Join the queue for ${sale.title}` }).click()
    await stale.waitForFunction((sentence) => document.querySelector("#message")?.textContent === sentence, soldOut)
    assert.isTrue(await stale.locator("#queue-section").isHidden())
    // A fresh page lists the concert as sold out.
    const fresh = await visitor()
    const button = fresh.getByRole("button", { name: `Join the queue for ${sale.title}` })
    assert.strictEqual(await button.innerText(), "Sold out")
    assert.isTrue(await button.isDisabled())
  })

  it("the operator pauses the queue: a waiting user stays put when a slot frees; resuming admits them", async () => {
    const sale = await concert({ queue: { maxActive: 1 } })
    const admitted = await visitor()
    const waiting = await visitor()
    await join(admitted, sale.title, "active")
    await join(waiting, sale.title, "waiting")

    const operator = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage()
    contexts.push(operator.context())
    await operator.goto(`${server.url}/operator`)
    await operator.getByLabel("Admin key (kept in this tab's memory only)").fill("wrong-key-of-sixteen")
    await operator.getByRole("button", { name: "Connect" }).click()
    await operator.waitForFunction(
      () => document.querySelector("#message")?.textContent === "That admin key was refused."
    )
    await operator.getByLabel("Admin key (kept in this tab's memory only)").fill(adminKey)
    await operator.getByRole("button", { name: "Connect" }).click()
    await operator.waitForSelector("body[data-ready=true]")
    await operator.getByLabel("Concert").selectOption(sale.concertId)
    await operator.waitForSelector("dd[data-stat=waiting]:text-is('1')")
    // This server has no webhook: the backlog line says so.
    await operator.waitForSelector("dd[data-stat=webhook]:text-is('off')")
    await operator.getByRole("button", { name: "Pause admissions" }).click()
    await operator.waitForSelector("dd[data-stat=admissions]:text-is('paused')")

    await admitted.getByRole("button", { name: "Leave the queue" }).click()
    await operator.waitForSelector("dd[data-stat=active]:text-is('0 of 1')")
    // Paused: the slot stays free and the waiter keeps place 1.
    await new Promise((resolve) => setTimeout(resolve, 3_000))
    assert.strictEqual(await waiting.locator("#queue-status").getAttribute("data-status"), "waiting")
    assert.match(await text(waiting, "#queue-status"), /You are number 1 in line/)
    await screenshot(operator, "operator.png")

    await operator.getByRole("button", { name: "Resume admissions" }).click()
    await waiting.waitForSelector("#queue-status[data-status=active]", { timeout: 10_000 })
    await operator.waitForSelector("dd[data-stat=active]:text-is('1 of 1')")
    // The caps form starts from the settings in force; a new cap reaches the API.
    assert.strictEqual(await operator.getByLabel("Max active").inputValue(), "1")
    await operator.getByLabel("Max active").fill("3")
    await operator.getByRole("button", { name: "Apply caps" }).click()
    await operator.waitForSelector("dd[data-stat=active]:text-is('1 of 3')")
    const report = await call(server.url, "GET", `/admin/concerts/${sale.concertId}`, { token: adminKey })
    assert.deepStrictEqual([report.body.settings.maxActive, report.body.settings.paused], [3, false])
  })

  it("with the human check on, the page solves ALTCHA's proof of work and joins; a bare join is refused", async () => {
    const guarded = await startServer({ humanCheck: "altcha" })
    try {
      const created = await call(guarded.url, "POST", "/admin/concerts", {
        token: adminKey,
        body: { title: "Guarded concert", dates: [{ startsAt: "2031-05-01T19:00:00Z", price: 10_000 }] }
      })
      const context = await browser.newContext()
      contexts.push(context)
      const page = await context.newPage()
      const problems: Array<string> = []
      page.on("console", (message) => {
        if (message.type() === "error") problems.push(message.text())
      })
      await page.goto(guarded.url)
      await page.waitForSelector("body[data-ready=true]")
      await page.waitForSelector("altcha-widget")
      await page.getByRole("button", { name: "Join the queue for Guarded concert" }).click()
      await page.waitForSelector("#queue-status[data-status=active]", { timeout: 60_000 })
      assert.deepStrictEqual(problems, [], "no content-security-policy or script errors")
      const user = await userOf(page)
      const bare = await call(guarded.url, "POST", `/concerts/${created.body.concertId}/queue`, {
        token: user.accessToken
      })
      assert.strictEqual(bare.status, 403)
      assert.strictEqual(bare.body.code, "human-check-failed")
    } finally {
      await guarded.close()
    }
  }, 90_000)
})
