#!/usr/bin/env node
/**
 * The `brisk` CLI. Only the group a command line names is loaded (src/cli/<group>.ts), and each
 * command loads the code it runs when it runs: `brisk --help` reads no database code at all.
 */
import { createRequire } from 'node:module'
import { Command } from 'commander'

export interface CommandGroup {
  register(program: Command, summary: string): void
}

const GROUPS: { name: string; summary: string; load: () => Promise<CommandGroup> }[] = [
  {
    name: 'serve',
    summary: 'Migrate, seed the demo shop (embedded database) and serve the HTTP API until SIGTERM or Ctrl+C.',
    load: () => import('./cli/serve.ts'),
  },
  {
    name: 'migrate',
    summary: 'Apply pending migrations; `migrate status` lists them, `migrate lint` checks them.',
    load: () => import('./cli/migrate.ts'),
  },
  {
    name: 'db',
    summary: 'The database nodes: `db status` shows the primary and each replica, their state, WAL position and lag.',
    load: () => import('./cli/db.ts'),
  },
  { name: 'seed', summary: 'Seed the demo shop and print an admin and a cashier token.', load: () => import('./cli/seed.ts') },
  { name: 'token', summary: 'Create, list and revoke API tokens.', load: () => import('./cli/token.ts') },
  { name: 'report', summary: 'Sales reports from the rollups, as a table or JSON.', load: () => import('./cli/report.ts') },
  {
    name: 'cache',
    summary: 'Cache tiers: stats and sizing figures, clear (all or one kind), warm before a busy day.',
    load: () => import('./cli/cache.ts'),
  },
  { name: 'prune', summary: 'Delete data that is kept only for a while (idempotency keys, product views).', load: () => import('./cli/prune.ts') },
  { name: 'carts', summary: 'Online-store carts: `carts prune` deletes the expired ones.', load: () => import('./cli/carts.ts') },
  { name: 'orders', summary: 'Online orders: `orders list` shows them, newest first, as a table or JSON.', load: () => import('./cli/orders.ts') },
  {
    name: 'import',
    summary: 'Import products, stock counts, product views or recommendation scores from a CSV or JSON Lines file, streamed and resumable.',
    load: () => import('./cli/import.ts'),
  },
  { name: 'batches', summary: 'The batch log: imports and batch operations, newest first, with their figures.', load: () => import('./cli/batches.ts') },
  {
    name: 'bench',
    summary: 'Benchmark scenarios, in a scratch database unless told otherwise.',
    load: () => import('./cli/bench.ts'),
  },
  {
    name: 'config',
    summary: 'Show the effective configuration and where each value comes from; generate .env.example and the docs.',
    load: () => import('./cli/config.ts'),
  },
]

/** The group a command line runs (or asks help for): the first word that is not an option. */
function groupOf(args: readonly string[]): string | undefined {
  const words = args.filter((arg) => !arg.startsWith('-'))
  return words[0] === 'help' ? words[1] : words[0]
}

async function buildProgram(args: readonly string[]): Promise<Command> {
  const { version } = createRequire(import.meta.url)('../package.json') as { version: string }
  const program = new Command()
    .name('brisk')
    .description('Brisk: a fast, correct point-of-sale and online-store backend.')
    .version(version, '-V, --version', 'print the version')
    .option('--verbose', 'show the stack trace of an error (so does BRISK_LOG_LEVEL=debug)')
    .showHelpAfterError('(add --help for usage)')
    .addHelpText(
      'after',
      '\nConfiguration comes from the environment, then from .env in the current folder (see `brisk config show`).\n' +
        'Run `brisk <command> --help` for the options of a command.',
    )
  const wanted = groupOf(args)
  for (const group of GROUPS) {
    if (group.name === wanted) (await group.load()).register(program, group.summary)
    else program.command(group.name).description(group.summary)
  }
  return program
}

async function fail(error: unknown): Promise<never> {
  const [{ explainError, wantsStack }, { cliConfig }] = await Promise.all([import('./cli/errors.ts'), import('./cli/context.ts')])
  let logLevel: string | undefined
  try {
    logLevel = cliConfig().logLevel
  } catch {
    // the configuration itself is what failed: --verbose still works
  }
  console.error(explainError(error, wantsStack(process.argv, logLevel)))
  process.exit(1)
}

try {
  await (await buildProgram(process.argv.slice(2))).parseAsync(process.argv)
  // A one-shot command is done when its action is: a timer a library left behind (PGlite keeps
  // one after a session that sent no SQL) must not keep the shell waiting. `serve` runs on.
  if (groupOf(process.argv.slice(2)) !== 'serve') process.exit(process.exitCode ?? 0)
} catch (error) {
  await fail(error)
}
