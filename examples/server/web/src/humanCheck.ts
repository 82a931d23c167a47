/**
 * The human check at the join, when the server asks for one: ALTCHA's
 * widget (bundled, no CDN; its styles and worker are files of their own so
 * the page's strict content-security-policy holds). The widget solves a
 * challenge in a worker; each join spends one solution.
 */
import "altcha/external"
import "altcha/altcha.css"
import ShaWorker from "altcha/workers/sha?worker"

const challengeUrl = "/human-check/challenge"

declare global {
  // The widget registers its algorithms' workers here.
  // eslint-disable-next-line no-var
  var $altcha: { readonly algorithms: Map<string, () => Worker> }
}

/** The widget, when the server checks joins; null when it does not. */
export const humanCheckWidget = async (container: HTMLElement): Promise<HTMLElement | null> => {
  const probe = await fetch(challengeUrl, { cache: "no-store" })
  if (!probe.ok) return null
  globalThis.$altcha.algorithms.set("SHA-256", () => new ShaWorker())
  const widget = document.createElement("altcha-widget")
  widget.setAttribute("challenge", challengeUrl)
  widget.setAttribute("auto", "onload")
  widget.id = "human-check"
  container.append(widget)
  return widget
}

/** A solution to send with a join (`Human-Check`); the widget then starts on the next one. */
export const humanProof = async (widget: HTMLElement): Promise<string | undefined> => {
  const altcha = widget as HTMLElement & {
    readonly verify: () => Promise<{ readonly payload: string } | null>
    readonly reset: () => void
  }
  const result = await altcha.verify()
  altcha.reset()
  return result?.payload
}
