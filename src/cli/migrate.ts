import type { Command } from 'commander'
import { withDatabase } from './context.ts'

const SERVER_MIGRATES = { note: 'A starting `brisk serve` applies pending migrations itself.' }

export function register(program: Command, summary: string): void {
  const migrate = program
    .command('migrate')
    .summary(summary)
    .description(
      'Apply pending migrations from migrations/, one transaction per file, under an advisory lock (two processes ' +
        'never both migrate). Each file is linted first (docs/migrations.md) and refused on a violation unless --unsafe.',
    )
    .option('--dry-run', 'show what would run, and what the linter says, without running anything')
    .option('--unsafe', 'apply files even if the migration linter rejects them')
    .addHelpText(
      'after',
      '\nExamples:\n  brisk migrate --dry-run\n  brisk migrate status --json\n  brisk migrate lint migrations/0007_*.sql',
    )
    .action(async (options: { dryRun?: boolean; unsafe?: boolean }) => {
      const [migrations, { formatViolations }] = await Promise.all([
        import('../infra/db/migrations.ts'),
        import('../infra/db/migration-lint/index.ts'),
      ])
      await withDatabase(
        async (db) => {
          if (options.dryRun) {
            console.log(migrations.formatMigrationPlan(await migrations.planMigrations(db.primary)))
            return
          }
          const applied = await migrations.migrate(db.primary, {
            unsafe: options.unsafe ?? false,
            onLintViolations: (violations) => console.error(formatViolations(violations)),
            onApplied: (name, ms) => console.log(`applied ${name} (${ms.toFixed(0)} ms)`),
          })
          const done = applied.length === 0 ? 'Nothing to apply: the database is up to date.' : `Applied ${applied.length} migration(s).`
          console.log(done)
        },
        { whenLocked: SERVER_MIGRATES },
      )
    })

  migrate
    .command('lint')
    .description(
      'Check migration files against the zero-downtime rules (docs/migrations.md); exit 1 on any violation. No database needed.',
    )
    .argument('[files...]', 'migration files (default: every file in migrations/)')
    .option('--json', 'print violations as JSON')
    .action(async (files: string[], options: { json?: boolean }) => {
      const { runLintCommand } = await import('../infra/db/migration-lint/index.ts')
      process.exitCode = await runLintCommand(files, { json: options.json ?? false })
    })

  migrate
    .command('status')
    .description('List migrations and whether each is applied, pending, changed since it was applied, or missing from migrations/.')
    .option('--json', 'print a JSON array of { name, state, appliedAt }')
    .action(async (options: { json?: boolean }) => {
      const { migrationStatus } = await import('../infra/db/migrations.ts')
      await withDatabase(
        async (db) => {
          const statuses = await migrationStatus(db.primary)
          if (options.json) {
            const rows = statuses.map((s) => ({ name: s.name, state: s.state, appliedAt: s.appliedAt?.toISOString() ?? null }))
            console.log(JSON.stringify(rows, null, 2))
            return
          }
          for (const s of statuses) {
            console.log(`${s.state.padEnd(8)} ${s.name}${s.appliedAt ? `  (${s.appliedAt.toISOString()})` : ''}`)
          }
        },
        { whenLocked: SERVER_MIGRATES },
      )
    })
}
