// A real GraphQL server for holdfast's tests: graphql-yoga (from npm) with a
// small schema of our own whose `products` connection paginates by Relay
// cursor. Started by support/graphql_server.rs as
//   node graphql_server.cjs PORT PRODUCTS MODE
// MODE: `ok`; `errors` (product 3's title fails: partial data + errors);
// `throttle_once` (the first request answers a THROTTLED error);
// `null_cursor` (the last page claims hasNextPage with no endCursor).
// GET /_log answers every GraphQL request's { query, variables, operationName }.
'use strict';

const http = require('node:http');
const { createYoga, createSchema } = require('graphql-yoga');
const { GraphQLError } = require('graphql');

const [port, count, mode] = [Number(process.argv[2]), Number(process.argv[3]), process.argv[4] || 'ok'];
const products = Array.from({ length: count }, (_, i) => ({
  id: `gid://shop/Product/${i + 1}`,
  n: i + 1,
  title: `Product ${i + 1}`,
  price: (i + 1) * 100,
}));
const log = [];
let requests = 0;

const cursor = (n) => Buffer.from(`cursor:${n}`).toString('base64');
const position = (after) => {
  if (after == null) return 0;
  const text = Buffer.from(after, 'base64').toString();
  if (!text.startsWith('cursor:')) {
    throw new GraphQLError(`invalid cursor ${after}`, { extensions: { code: 'BAD_USER_INPUT' } });
  }
  return Number(text.slice('cursor:'.length));
};

const schema = createSchema({
  typeDefs: /* GraphQL */ `
    type Product { id: ID!, title: String, price: Int! }
    type PageInfo { hasNextPage: Boolean!, endCursor: String }
    type ProductConnection { nodes: [Product!]!, pageInfo: PageInfo! }
    type Query { products(first: Int!, after: String): ProductConnection! }
  `,
  resolvers: {
    Query: {
      products: (_, { first, after }) => {
        if (mode === 'throttle_once' && requests === 1) {
          throw new GraphQLError('Throttled', { extensions: { code: 'THROTTLED' } });
        }
        const start = position(after);
        const nodes = products.slice(start, start + first);
        const end = start + nodes.length;
        const hasNextPage = end < products.length || (mode === 'null_cursor' && nodes.length > 0);
        const endCursor = mode === 'null_cursor' && end >= products.length ? null
          : nodes.length ? cursor(end) : null;
        return { nodes, pageInfo: { hasNextPage, endCursor } };
      },
    },
    Product: {
      title: (p) => {
        if (mode === 'errors' && p.n === 3) {
          throw new GraphQLError(`title of product ${p.n} is unavailable`, {
            extensions: { code: 'INTERNAL_ERROR' },
          });
        }
        return p.title;
      },
    },
  },
});

const yoga = createYoga({
  schema,
  logging: false,
  maskedErrors: false,
  plugins: [{
    onParams({ params }) {
      requests += 1;
      log.push({ query: params.query, variables: params.variables ?? null, operationName: params.operationName ?? null });
    },
  }],
});

const server = http.createServer((req, res) => {
  if (req.url === '/_log') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(log));
    return;
  }
  yoga(req, res);
});
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`listening on ${port}\n`);
});
