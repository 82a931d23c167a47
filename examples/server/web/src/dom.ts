/** Small DOM helpers shared by the two pages. */

export const byId = <E extends HTMLElement = HTMLElement>(id: string): E => {
  const element = document.getElementById(id)
  if (element === null) throw new Error(`#${id} is missing from the page`)
  return element as E
}

/** An element with text and attributes; `on` listeners for clicks. */
export const element = <K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string> = {},
  text = ""
): HTMLElementTagNameMap[K] => {
  const made = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) made.setAttribute(name, value)
  if (text !== "") made.textContent = text
  return made
}

/** Says something in the page's live region; problems are marked so they stand out. */
export const say = (text: string, kind: "info" | "problem" = "info"): void => {
  const message = byId("message")
  message.textContent = text
  message.dataset["kind"] = kind
}
