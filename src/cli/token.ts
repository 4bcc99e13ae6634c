import { type Command, Option } from 'commander'
import type { Db } from '../infra/db/database.ts'
import {
  createAccessService,
  ROLES,
  type Role,
  SYSTEM_PRINCIPAL,
  TOKEN_CACHE_SECONDS,
  type Token,
} from '../modules/access/index.ts'
import { parseLocationCode, parseName, wholeNumber } from './arguments.ts'
import { curl, withDatabase, withServices } from './context.ts'

async function allTokens(db: Db): Promise<Token[]> {
  const access = createAccessService(db)
  const tokens: Token[] = []
  for (let after: number | undefined; ; ) {
    const page = await access.listTokenPage(SYSTEM_PRINCIPAL, { after, limit: 500 })
    tokens.push(...page.items)
    if (page.nextAfter === null) return tokens
    after = page.nextAfter
  }
}

function addLocationCode(code: string, codes: string[] = []): string[] {
  return [...codes, parseLocationCode(code)]
}

function describeToken(t: Token): string {
  const where = t.locations ? `  locations ${t.locations.join(',')}` : ''
  return `${String(t.id).padStart(4)}  ${t.role.padEnd(8)} ${t.revokedAt ? 'revoked ' : 'active  '} ${t.name}${where}`
}

export function register(program: Command, summary: string): void {
  const token = program
    .command('token')
    .summary(summary)
    .description(
      `${summary} Tokens are stored as SHA-256 hashes: a secret is shown once, when it is made. While \`brisk serve\` ` +
        'runs on the embedded database, use its /api/tokens routes instead (these commands say how).',
    )

  token
    .command('create')
    .description('Create an API token and print its secret (once) on stdout; what it may do goes to stderr.')
    .addOption(new Option('--role <role>', 'what the token may do').choices(ROLES as string[]).makeOptionMandatory())
    .option('--name <name>', 'what the token is for, e.g. "till 2"', parseName, 'cli')
    .option('--location <code...>', 'limit the token to these location codes (default: every location)', addLocationCode)
    .addHelpText('after', '\nExample:\n  brisk token create --role cashier --location MAIN --name "till 2"')
    .action(async (options: { role: Role; name: string; location?: string[] }) => {
      const body = { name: options.name, role: options.role, ...(options.location ? { locations: options.location } : {}) }
      await withDatabase(
        async (db) => {
          const created = await createAccessService(db).createToken(body)
          console.log(created.token)
          const where = created.locations ? `locations ${created.locations.join(', ')}` : 'every location'
          console.error(`token ${created.id} (${created.role}, ${where})`)
        },
        { migrate: true, whenLocked: { api: (url) => [curl('POST', `${url}/api/tokens`, body)] } },
      )
    })

  token
    .command('list')
    .description('List API tokens: id, role, active or revoked, name, locations (never their secrets).')
    .option('--json', 'print a JSON array of tokens')
    .action(async (options: { json?: boolean }) => {
      await withDatabase(
        async (db) => {
          const tokens = await allTokens(db)
          console.log(options.json ? JSON.stringify(tokens, null, 2) : tokens.map(describeToken).join('\n'))
        },
        { whenLocked: { api: (url) => [curl('GET', `${url}/api/tokens`)] } },
      )
    })

  token
    .command('revoke')
    .description(
      `Revoke an API token by id. Servers sharing BRISK_REDIS_URL with this command refuse it at once; one without Redis within ${TOKEN_CACHE_SECONDS} s (its token cache).`,
    )
    .argument('<id>', 'token id (see `brisk token list`)', wholeNumber(1, 2 ** 31 - 1, 'a token id'))
    .action(async (id: number) => {
      await withServices(
        async ({ access }) => {
          await access.revokeToken(id)
          console.log(`token ${id} revoked`)
        },
        { whenLocked: { api: (url) => [curl('POST', `${url}/api/tokens/${id}/revoke`)] } },
      )
    })
}
