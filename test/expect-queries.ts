import { newQueryStats, type QueryStats, runWithQueryStats } from '../src/infra/db/query-stats.ts'

/** Runs `fn` and reports every statement it sent (BEGIN and COMMIT included). */
export async function countQueries<T>(fn: () => Promise<T>): Promise<{ result: T; stats: QueryStats; count: number }> {
  const stats = newQueryStats(true)
  const result = await runWithQueryStats(stats, fn)
  return { result, stats, count: stats.count }
}

/**
 * Statements the server sent for an HTTP response, from its Server-Timing header: a request runs in
 * a counting scope of its own, so countQueries around `inject` does not see them.
 */
export function statementsOf(response: { headers: Record<string, unknown> }): number {
  const timing = String(response.headers['server-timing'])
  const found = /db;desc="(\d+) statements?"/.exec(timing)
  if (!found) throw new Error(`no statement count in the Server-Timing header: ${timing}`)
  return Number(found[1])
}

export class QueryBudgetError extends Error {}

/** Fails when `fn` sends more than `max` statements, and lists the statements it saw. */
export async function expectQueries<T>(max: number, fn: () => Promise<T>): Promise<T> {
  const { result, stats } = await countQueries(fn)
  if (stats.count > max) {
    const listing = (stats.statements ?? []).map((s, i) => `  ${i + 1}. ${s.replace(/\s+/g, ' ').slice(0, 300)}`)
    throw new QueryBudgetError(`Expected at most ${max} statements, saw ${stats.count}:\n${listing.join('\n')}`)
  }
  return result
}
