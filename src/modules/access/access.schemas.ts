import { Type } from 'typebox'
import { Id, Page, PageQuery, Text } from '../../infra/http/schemas.ts'
import { ROLES, TOKEN_NAME_MAX_LENGTH } from './access.service.ts'

const Role = Type.Enum([...ROLES], {
  description: 'admin: everything; manager: catalog, stock, locations; cashier: sales and reads',
})

const LocationCode = Text({ pattern: '^[A-Za-z0-9_-]{1,32}$', description: 'A location code, such as MAIN' })

export const CreateTokenBody = Type.Object(
  {
    name: Text({
      minLength: 1,
      maxLength: TOKEN_NAME_MAX_LENGTH,
      pattern: '\\S',
      description: 'What the token is for, such as "till 2"',
    }),
    role: Role,
    locations: Type.Optional(
      Type.Array(LocationCode, {
        minItems: 1,
        maxItems: 100,
        uniqueItems: true,
        description: 'Location codes the token is limited to; leave out for every location',
      }),
    ),
  },
  { additionalProperties: false },
)

const Nullable = <T extends import('typebox').TSchema>(schema: T) => Type.Union([schema, Type.Null()])

const tokenFields = {
  id: Id,
  name: Type.String(),
  role: Role,
  locations: Nullable(Type.Array(Type.String(), { description: 'Location codes; null: every location' })),
  locationIds: Nullable(Type.Array(Type.Integer(), { description: 'The same locations by id; null: every location' })),
  createdAt: Type.String({ format: 'date-time' }),
  revokedAt: Nullable(Type.String({ format: 'date-time' })),
}

export const Token = Type.Object(tokenFields, { description: 'A token without its secret' })

export const CreatedToken = Type.Object(
  { ...tokenFields, token: Type.String({ description: 'The secret: shown in this response only, stored as a hash' }) },
  { description: 'A new token and its secret' },
)

export const TokenQuery = Type.Object({ ...PageQuery }, { additionalProperties: false })

export const TokenPage = Page(Token)
