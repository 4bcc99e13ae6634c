import type { Command } from 'commander'
import { wholeNumber } from './arguments.ts'
import { withDatabase } from './context.ts'

export function register(program: Command, summary: string): void {
  const carts = program.command('carts').summary(summary).description(summary)
  carts
    .command('prune')
    .description(
      'Delete carts that expired (BRISK_CART_TTL_HOURS after their last change, default 72) with their lines, in batches. ' +
        '`brisk serve` does this every hour.',
    )
    .option('--batch-size <n>', 'carts per DELETE statement (default 1000)', wholeNumber(1, 1_000_000, 'a batch size'))
    .action(async (options: { batchSize?: number }) => {
      const { pruneExpiredCarts } = await import('../modules/orders/index.ts')
      await withDatabase(
        async (db) => {
          const started = performance.now()
          const deleted = await pruneExpiredCarts(db, options.batchSize === undefined ? {} : { batchSize: options.batchSize })
          const ms = (performance.now() - started).toFixed(0)
          console.log(`Deleted ${deleted} expired cart(s) in ${ms} ms.`)
        },
        { migrate: true, whenLocked: { note: 'The running server deletes expired carts every hour itself.' } },
      )
    })
}
