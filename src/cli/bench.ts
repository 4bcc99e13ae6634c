import type { Command } from 'commander'
import { BENCH_SCENARIOS } from '../bench/index.ts'
import { cliConfig } from './context.ts'

export function register(program: Command, summary: string): void {
  const bench = program
    .command('bench')
    .summary(summary)
    .description(`${summary} Each scenario prints a table, or JSON with --json.`)
  for (const scenario of BENCH_SCENARIOS) {
    const command = bench.command(scenario.name).description(scenario.description)
    for (const option of scenario.options) command.option(option.flags, option.description, option.defaultValue)
    command.option('--json', 'print JSON instead of a table')
    command.action(async (options: Record<string, string | boolean | undefined>) => {
      await scenario.run(cliConfig(), options)
    })
  }
}
