// Server-side configuration, read once.
const { DATABASE_URL, STRIPE_SECRET_KEY } = process.env;

export const serverEnv = {
  databaseUrl: DATABASE_URL ?? "",
  stripeSecretKey: STRIPE_SECRET_KEY!,
  resendApiKey: process.env["RESEND_API_KEY"],
};
