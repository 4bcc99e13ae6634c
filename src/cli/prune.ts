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
  prune
    .command('views')
    .description('Delete product views older than N days, oldest first, in batches (each its own statement, committed at once).')
    .requiredOption('--older-than-days <days>', 'delete views more than this many days old', wholeNumber(0, 1_000_000, 'a number of days'))
    .option('--batch-size <views>', 'views per DELETE statement (default 1000)', wholeNumber(1, 100_000, 'a batch size'), 1000)
    .action(async (options: { olderThanDays: number; batchSize: number }) => {
      const { pruneOldViews } = await import('../modules/activity/index.ts')
      await withDatabase(
        async (db) => {
          const started = performance.now()
          let batches = 0
          const deleted = await pruneOldViews(db, { ...options, onBatch: () => batches++ })
          const ms = (performance.now() - started).toFixed(0)
          console.log(`Deleted ${deleted} product view(s) older than ${options.olderThanDays} day(s) in ${batches} batch(es), ${ms} ms.`)
        },
        { migrate: true },
      )
    })
}
