import type { Command } from 'commander'
import { wholeNumber } from './arguments.ts'
import { withDatabase } from './context.ts'

export function register(program: Command, summary: string): void {
  const prune = program.command('prune').summary(summary).description(summary)
  prune
    .command('idempotency-keys')
    .description(
      'Delete idempotency keys older than BRISK_IDEMPOTENCY_KEY_TTL_HOURS (default 24), in batches. ' +
        '`brisk serve` does this every hour.',
    )
    .option(
      '--older-than-hours <hours>',
      'delete keys created more than this many hours ago (default: the TTL)',
      wholeNumber(1, 1_000_000, 'a number of hours'),
    )
    .action(async (options: { olderThanHours?: number }) => {
      const { pruneIdempotencyKeys } = await import('../infra/idempotency/idempotency.maintenance.ts')
      await withDatabase(
        async (db, config) => {
          const ttlHours = options.olderThanHours ?? config.idempotencyKeyTtlHours
          const started = performance.now()
          const deleted = await pruneIdempotencyKeys(db, { ttlHours })
          const ms = (performance.now() - started).toFixed(0)
          console.log(`Deleted ${deleted} idempotency key(s) older than ${ttlHours} hour(s) in ${ms} ms.`)
        },
        { migrate: true, whenLocked: { note: 'The running server deletes expired idempotency keys every hour itself.' } },
      )
    })
}
