import path from 'node:path'
import type { Command } from 'commander'
import { describeConfig, renderConfigDoc, renderEnvExample, unknownVariables } from '../config/config.ts'
import { envFileValues } from './context.ts'

function show(options: { json?: boolean }): void {
  const envFile = envFileValues()
  const entries = describeConfig(process.env, envFile)
  const unknown = unknownVariables(process.env, envFile)
  if (options.json) {
    console.log(JSON.stringify({ envFile: path.resolve('.env'), settings: entries, unknown }, null, 2))
  } else {
    const width = (pick: (e: (typeof entries)[number]) => string) => Math.max(...entries.map((e) => pick(e).length))
    const nameWidth = width((e) => e.name)
    const valueWidth = Math.min(60, width((e) => e.value || '(unset)'))
    for (const e of entries) {
      const value = (e.value || '(unset)').padEnd(valueWidth)
      console.log(`${e.name.padEnd(nameWidth)}  ${value}  ${e.source}${e.problem ? `  REFUSED: ${e.problem}` : ''}`)
    }
    const count = Object.keys(envFile).length
    const read = count === 0 ? 'none, or empty' : `${count} variable(s)`
    console.log(`\n.env: ${path.resolve('.env')} (${read}); the environment wins over it.`)
    for (const u of unknown) console.log(`${u.name} (${u.source}) is not a Brisk setting and is ignored: misspelt?`)
  }
  if (entries.some((e) => e.problem)) process.exitCode = 1
}

export function register(program: Command, summary: string): void {
  const config = program.command('config').summary(summary).description(summary)
  config
    .command('show')
    .description(
      'Print the effective configuration: each setting, its value (passwords masked) and where it comes from ' +
        '(environment, .env or default). Exit 1 if a value is refused.',
    )
    .option('--json', 'print JSON instead of a table')
    .action(show)
  config
    .command('env-example')
    .description('Print .env.example, generated from the configuration schema (src/config/config.ts).')
    .addHelpText('after', '\nExample:\n  brisk config env-example > .env.example')
    .action(() => {
      process.stdout.write(renderEnvExample())
    })
  config
    .command('doc')
    .description('Print docs/configuration.md, generated from the configuration schema (src/config/config.ts).')
    .addHelpText('after', '\nExample:\n  brisk config doc > docs/configuration.md')
    .action(() => {
      process.stdout.write(renderConfigDoc())
    })
}
