/**
 * The demo's application: places orders, each with its outbox events, in one transaction.
 *   DATABASE_URL=... npx tsx scripts/demo/writer.ts <orders>
 */
import pg from 'pg';

const orderCount = Number(process.argv[2] ?? 40);
const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
await client.connect();
await client.query(
  'CREATE TABLE IF NOT EXISTS orders (id text PRIMARY KEY, customer text, total numeric, status text)',
);

let orders = 0;
let events = 0;
while (orders < orderCount) {
  const orderId = `order-${Date.now().toString(36)}-${orders}`;
  const total = (Math.random() * 200).toFixed(2);
  await client.query('BEGIN');
  await client.query("INSERT INTO orders VALUES ($1, $2, $3, 'placed')", [
    orderId,
    `customer-${orders % 7}`,
    total,
  ]);
  await client.query(
    `INSERT INTO outbox (aggregate_type, aggregate_id, event_type, payload, headers) VALUES
       ('order', $1, 'OrderPlaced', jsonb_build_object('orderId', $1::text, 'total', $2::numeric), '{"source": "demo"}'),
       ('payment', $1, 'PaymentRequested', jsonb_build_object('orderId', $1::text, 'amount', $2::numeric), NULL)`,
    [orderId, total],
  );
  await client.query('COMMIT');
  orders++;
  events += 2;
  await new Promise((resolve) => setTimeout(resolve, 250));
}
await client.end();
console.log(`writer: committed ${orders} orders, ${events} outbox events`);
