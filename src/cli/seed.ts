import type { Command } from 'commander'
import { withServices } from './context.ts'

export function register(program: Command, summary: string): void {
  program
    .command('seed')
    .summary(summary)
    .description(
      'Seed the demo shop: 240 products in 8 categories, units, a store and a warehouse with stock, and an admin and ' +
        'a cashier token (printed once). Applies pending migrations first. On an empty database only, unless --force; ' +
        'seeding again brings products and stock back to the demo levels and adds two new tokens.',
    )
    .option('--force', 'seed even if the database already has products')
    .action(async (options: { force?: boolean }) => {
      const { seedDemoShop } = await import('../demo/seed-demo.ts')
      await withServices(
        async (services, db) => {
          const report = await seedDemoShop(db, services, { onlyIfEmpty: !options.force })
          if (!report.seeded) {
            console.log('The database has products already; nothing seeded (use --force to seed anyway).')
            return
          }
          console.log(`Seeded ${report.products} products in ${report.categories} categories, ${report.locations} locations.`)
          console.log(`admin token:   ${report.adminToken}`)
          console.log(`cashier token: ${report.cashierToken}`)
        },
        { migrate: true },
      )
    })
}
