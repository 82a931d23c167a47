// Prints the fenced block (```ts unless another language is named) that follows `marker` in a markdown
// file: how the release check takes the README's examples into its fresh app, and how CI takes the
// README's commands. Usage: node scripts/readme-block.mjs <file> <marker> [language]
import { readFileSync } from "node:fs"

const [file, marker, language = "ts"] = process.argv.slice(2)
const markdown = readFileSync(file, "utf8")
const at = markdown.indexOf(marker)
const block = at < 0 ? null : new RegExp(`\`\`\`${language}\n([\\s\\S]*?)\`\`\``).exec(markdown.slice(at))
if (block === null) {
  console.error(`${file}: no ${language} block after ${marker}`)
  process.exit(1)
}
process.stdout.write(block[1])
