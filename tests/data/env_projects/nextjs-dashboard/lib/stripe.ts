import { serverEnv } from "./env";

export async function listInvoices(customer: string) {
  const response = await fetch(`https://api.stripe.com/v1/invoices?customer=${customer}`, {
    headers: { Authorization: `Bearer ${serverEnv.stripeSecretKey}` },
    signal: AbortSignal.timeout(10_000),
  });
  return response.json();
}
