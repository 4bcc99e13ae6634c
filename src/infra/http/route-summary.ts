import type { FastifyInstance } from 'fastify'

/** A sentence ends at . ! or ? before a capital, a code span, a parenthesis or the end, or at a blank line. */
const SENTENCE_END = /(?<!\b(?:e\.g|i\.e|etc|vs|cf))[.!?](?=\s+[A-Z`(]|\s*$)|\n\s*\n/
const MAX_SUMMARY_LENGTH = 120

/** The first sentence of a description, without its full stop: an operation's one-line OpenAPI summary. */
export function summaryOf(description: string): string {
  const text = description.trim()
  const end = SENTENCE_END.exec(text)
  const sentence = (end ? text.slice(0, end.index) : text).replace(/\s+/g, ' ').replace(/[.:;,]$/, '').trim()
  if (sentence.length <= MAX_SUMMARY_LENGTH) return sentence
  const cut = sentence.lastIndexOf(' ', MAX_SUMMARY_LENGTH - 1)
  return `${sentence.slice(0, cut > 0 ? cut : MAX_SUMMARY_LENGTH - 1)}…`
}

/**
 * Every route with a description and no summary gets one from the description's first sentence, so
 * the OpenAPI document lists each operation by name; an explicit summary is kept.
 */
export function installRouteSummaries(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    const schema = route.schema
    const { summary, description } = (schema ?? {}) as { summary?: unknown; description?: unknown }
    if (!schema || summary !== undefined || typeof description !== 'string') return
    const derived = summaryOf(description)
    if (derived !== '') route.schema = Object.assign({}, schema, { summary: derived })
  })
}
